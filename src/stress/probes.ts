/**
 * Jobs that exercise the real RCU and mem_hotplug_lock on pooled workers, for
 * bench/rcu and the RCU tests:
 *
 * - read-loop: a read-side critical section around one data load, in a loop
 *   (memb, qsbr, the reader-writer lock, or nothing), for a count or until told
 *   to stop; workers start together at a barrier;
 * - rcu-guarantee: a reader inside a read-side critical section across a grace
 *   period, stepped by flags (never by timing): it reads the object, lets the
 *   writer start its grace period, reads again, and only then leaves;
 * - rcu-hold: a reader that enters a read-side critical section and never
 *   leaves (to be terminated: its slot must be recovered).
 */
import { type RcuMode, type RcuReader, SharedRcu, type SharedRcuHandle, sleepOn } from '../rcu/shared.js';
import type { Job, JobHandler } from './pool.js';
import { hotplugReadLock, hotplugReadUnlock } from './thread-ctx.js';

/** barrier words: [0] workers ready, [1] go, [2] stop. */
const B_READY = 0;
const B_GO = 1;
const B_STOP = 2;

export type ReadMode = RcuMode | 'rwlock' | 'none';

export interface ReadLoopJob extends Job {
  readonly kind: 'read-loop';
  readonly mode: ReadMode;
  /** The RCU instance (memb, qsbr). */
  readonly rcu?: SharedRcuHandle;
  /** Words holding mem_hotplug_lock where model memory has it, GLOBALS_ADDR + G_HOTPLUG_LOCK (rwlock). */
  readonly lock?: SharedArrayBuffer;
  /** Words read inside the critical section (a power-of-two count). */
  readonly data: SharedArrayBuffer;
  readonly barrier: SharedArrayBuffer;
  /** Iterations; 0: until the barrier's stop word is set. */
  readonly iterations: number;
  /** qsbr: iterations between quiescent states (a power of two). */
  readonly qsEvery: number;
}

export interface ReadLoopResult {
  readonly iterations: number;
  readonly nsPerIteration: number;
  readonly sink: number;
}

/** Wait at the barrier until the main thread says go. */
function arrive(barrier: Int32Array): void {
  Atomics.add(barrier, B_READY, 1);
  Atomics.notify(barrier, B_READY);
  while (Atomics.load(barrier, B_GO) === 0) Atomics.wait(barrier, B_GO, 0, 10);
}

/**
 * The RCU read loop, as a factory: one copy per reader class, so that each
 * call site sees one class (a call site that has seen both stops inlining).
 */
const rcuLoop = () =>
  function loop(reader: RcuReader, data: Int32Array, n: number, qsMask: number, stop: Int32Array): number[] {
    const mask = data.length - 1;
    let s = 0;
    let i = 0;
    for (; n === 0 || i < n; i++) {
      reader.lock();
      s += data[i & mask];
      reader.unlock();
      if ((i & qsMask) === 0) {
        reader.quiescentState();
        if (n === 0 && (i & 1023) === 0 && Atomics.load(stop, B_STOP) !== 0) break;
      }
    }
    return [i, s];
  };
const membLoop = rcuLoop();
const qsbrLoop = rcuLoop();

function lockLoop(words: Int32Array, data: Int32Array, n: number, stop: Int32Array): number[] {
  const mask = data.length - 1;
  let s = 0;
  let i = 0;
  for (; n === 0 || i < n; i++) {
    hotplugReadLock(words);
    s += data[i & mask];
    hotplugReadUnlock(words);
    if (n === 0 && (i & 1023) === 0 && Atomics.load(stop, B_STOP) !== 0) break;
  }
  return [i, s];
}

function bareLoop(data: Int32Array, n: number, stop: Int32Array): number[] {
  const mask = data.length - 1;
  let s = 0;
  let i = 0;
  for (; n === 0 || i < n; i++) {
    s += data[i & mask];
    if (n === 0 && (i & 1023) === 0 && Atomics.load(stop, B_STOP) !== 0) break;
  }
  return [i, s];
}

function readLoop(job: ReadLoopJob): ReadLoopResult {
  const data = new Int32Array(job.data);
  const barrier = new Int32Array(job.barrier);
  const reader =
    job.mode === 'memb' || job.mode === 'qsbr' ? SharedRcu.attach(job.rcu!).register(job.mode) : undefined;
  try {
    arrive(barrier);
    const t0 = performance.now();
    const [i, s] = reader
      ? (reader.qsbr ? qsbrLoop : membLoop)(reader, data, job.iterations, job.qsEvery - 1, barrier)
      : job.mode === 'rwlock'
        ? lockLoop(new Int32Array(job.lock!), data, job.iterations, barrier)
        : bareLoop(data, job.iterations, barrier);
    const ns = ((performance.now() - t0) * 1e6) / Math.max(1, i);
    return { iterations: i, nsPerIteration: ns, sink: s };
  } finally {
    reader?.unregister();
  }
}

/** Start n read-loop jobs' clocks together (main thread side): wait until all arrived, then go. */
export async function releaseBarrier(barrier: SharedArrayBuffer, n: number): Promise<void> {
  const b = new Int32Array(barrier);
  for (;;) {
    const ready = Atomics.load(b, B_READY);
    if (ready >= n) break;
    await sleepOn(b, B_READY, ready, 50);
  }
  Atomics.store(b, B_GO, 1);
  Atomics.notify(b, B_GO);
}

/** Tell until-stopped read loops to stop. */
export function stopLoops(barrier: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(barrier), B_STOP, 1);
}

export function newBarrier(): SharedArrayBuffer {
  return new SharedArrayBuffer(16);
}

/** flags words of the guarantee and hold probes. */
export const F_VALUE = 0; // the object's contents: 1 valid, -1 poisoned after the grace period
export const F_STEP = 1; // the protocol's step

export interface GuaranteeJob extends Job {
  readonly kind: 'rcu-guarantee';
  readonly rcu: SharedRcuHandle;
  readonly mode: RcuMode | 'none';
  readonly flags: SharedArrayBuffer;
}

export interface GuaranteeResult {
  /** The object as read when the section began, after the grace period started, and after it ended. */
  readonly before: number;
  readonly during: number;
  readonly after: number;
  /** Grace periods completed while the reader was inside. */
  readonly gracePeriodsInside: number;
}

function waitStep(flags: Int32Array, atLeast: number): void {
  for (;;) {
    const v = Atomics.load(flags, F_STEP);
    if (v >= atLeast) return;
    Atomics.wait(flags, F_STEP, v);
  }
}

function setStep(flags: Int32Array, step: number): void {
  Atomics.store(flags, F_STEP, step);
  Atomics.notify(flags, F_STEP);
}

/**
 * Reader side of the guarantee protocol:
 * 1. enter (memb: rcu_read_lock; qsbr: online), read the object, step 1;
 * 2. the writer starts a grace period and says step 2 once it is asleep
 *    waiting for this reader (or once its grace period is over and the object
 *    poisoned, when the reader is not protected);
 * 3. read the object again: with RCU it cannot be poisoned yet; leave
 *    (unlock; qsbr: a quiescent state, then offline), step 3;
 * 4. the writer's grace period ends, it poisons the object, step 4: read it
 *    once more (a new section sees the poison).
 */
function guarantee(job: GuaranteeJob): GuaranteeResult {
  const rcu = SharedRcu.attach(job.rcu);
  const flags = new Int32Array(job.flags);
  const reader = job.mode === 'none' ? undefined : rcu.register(job.mode);
  try {
    reader?.lock();
    const before = Atomics.load(flags, F_VALUE);
    const gps = rcu.gracePeriods;
    setStep(flags, 1);
    waitStep(flags, 2);
    const during = Atomics.load(flags, F_VALUE);
    const gracePeriodsInside = rcu.gracePeriods - gps;
    reader?.unlock();
    reader?.quiescentState();
    reader?.offline();
    setStep(flags, 3);
    waitStep(flags, 4);
    return { before, during, after: Atomics.load(flags, F_VALUE), gracePeriodsInside };
  } finally {
    reader?.unregister();
  }
}

export interface HoldJob extends Job {
  readonly kind: 'rcu-hold';
  readonly rcu: SharedRcuHandle;
  readonly flags: SharedArrayBuffer;
}

/** Enter a read-side critical section, say step 1, and never leave. */
function hold(job: HoldJob): never {
  const reader = SharedRcu.attach(job.rcu).register('memb');
  const flags = new Int32Array(job.flags);
  reader.lock();
  Atomics.store(flags, F_VALUE, reader.slot);
  setStep(flags, 1);
  for (;;) Atomics.wait(flags, F_STEP, 1);
}

export const PROBES: Readonly<Record<string, JobHandler>> = {
  'read-loop': (job) => readLoop(job as ReadLoopJob),
  'rcu-guarantee': (job) => guarantee(job as GuaranteeJob),
  'rcu-hold': (job) => hold(job as HoldJob),
};

/** Shared words for probes: data to read, or flags. */
export function sharedWords(n: number, fill = 0): SharedArrayBuffer {
  const words = new Int32Array(new SharedArrayBuffer(n * 4));
  words.fill(fill);
  return words.buffer as SharedArrayBuffer;
}
