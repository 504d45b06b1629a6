/**
 * RCU, liburcu's memb flavour, over model memory words.
 *
 * One global grace-period word (gp: a PHASE bit above a nesting count), one
 * counter per registered reader on its own 64-byte line, and a two-flip grace
 * period. This file is the algorithm, written once over RcuWords (a load and a
 * store of a word), and the deterministic backend: plain indexing, where the
 * explorer makes every access a scheduling point and waiting is the
 * scheduler's business (the writer side is a list of steps, each wait a step
 * enabled once its reader is out of an old critical section). The real-thread
 * backend (shared.ts) runs the same reader functions and the same plan with
 * Atomics, spinning then sleeping on the futex word where a step would block.
 *
 * A reader is in an old read-side critical section when its nesting count is
 * non-zero and its phase differs from gp's: the writer waits those out. Two
 * flips are needed because a reader can load gp, stall, and store the stale
 * phase after the writer's flip; with one flip the next grace period flips the
 * phase back and mistakes that reader for a current one.
 *
 * QSBR is a reader-side mode of the same algorithm: a QSBR reader's counter is
 * a copy of gp taken at its last quiescent state (nesting 1 while online, 0
 * while offline), so the memb writer's test waits exactly for the readers that
 * have not announced a quiescent state since the flip.
 */

import { G_RCU, GLOBALS_ADDR } from '../model/layout.js';
import type { KernelView, Machine } from '../model/machine.js';
import { MemKind, type Memory } from '../model/memory.js';
import type { Words } from '../model/sections.js';
import { type KernelStep, step } from '../ops/step.js';

/** What the RCU reader side needs: words it can also write. */
export interface WordMemory {
  [addr: number]: number;
}

export const RCU_GP = 0; // gp.ctr: PHASE | nesting unit
export const RCU_FUTEX = 1; // -1 while a writer sleeps waiting for readers
export const RCU_NR_READERS = 2; // slots registered
export const RCU_GRACE_PERIODS = 3; // completed grace periods (statistics)
export const RCU_GP_LOCK = 4; // real threads: the owner of the writer mutex (one synchronize at a time), or 0
export const RCU_SLOT_STRIDE = 16; // one 64-byte line per reader
export const RCU_SLOT_CTR = 0;
export const RCU_SLOT_ALIVE = 1; // the owner while registered (real threads: threadId + 1), else 0
export const RCU_SLOT_GEN = 2; // bumped by every registration and recovery of the slot

export const RCU_GP_COUNT = 1;
export const RCU_PHASE = 1 << 16;
export const RCU_NEST_MASK = RCU_PHASE - 1;

export function rcuSlotAddr(rcu: number, slot: number): number {
  return rcu + RCU_SLOT_STRIDE * (slot + 1);
}

/** Allocate and initialize the RCU state for up to maxReaders readers in memory. */
export function rcuAlloc(mem: Memory, maxReaders: number): number {
  const rcu = mem.alloc(RCU_SLOT_STRIDE * (maxReaders + 1), MemKind.Rcu);
  mem.store(rcu + RCU_GP, RCU_GP_COUNT);
  mem.store(rcu + RCU_NR_READERS, maxReaders);
  return rcu;
}

/** The machine's RCU state for up to maxReaders readers (allocated once). */
export function rcuInit(m: Machine, maxReaders: number): number {
  const existing = m.mem.load(GLOBALS_ADDR + G_RCU);
  if (existing) return existing;
  const rcu = rcuAlloc(m.mem, maxReaders);
  m.mem.store(GLOBALS_ADDR + G_RCU, rcu);
  return rcu;
}

export function rcuAddr(mem: Words): number {
  return mem[GLOBALS_ADDR + G_RCU];
}

/**
 * How the algorithm touches a word. The deterministic backend indexes plain
 * (or instrumented) words; the real-thread backend uses Atomics, whose
 * sequentially consistent stores give the ordering the algorithm needs (a
 * reader's counter store before its data loads, the writer's flip before its
 * loads of reader counters). A Memory is one (its load and store).
 */
export interface RcuWords {
  load(addr: number): number;
  store(addr: number, value: number): void;
}

/**
 * RcuWords over plain indexing: each access is one index operation (a
 * scheduling point in the explorer). A class rather than closures: under tsx
 * (esbuild's keepNames) every closure created costs a defineProperty.
 */
export class PlainWords implements RcuWords {
  constructor(private readonly mem: WordMemory | Words) {}

  load(addr: number): number {
    return this.mem[addr];
  }

  store(addr: number, value: number): void {
    (this.mem as WordMemory)[addr] = value;
  }
}

/** The address of a reader's counter. */
export function rcuCtrAddr(rcu: number, slot: number): number {
  return rcuSlotAddr(rcu, slot) + RCU_SLOT_CTR;
}

/**
 * rcu_read_lock() of the reader whose counter is at `ctr`, gp at `gp`: an
 * outermost lock copies gp (count 1 + phase); a nested one adds 1. (By
 * address: a real-thread reader computes them once.)
 */
export function readLockAt(w: RcuWords, gp: number, ctr: number): void {
  const tmp = w.load(ctr);
  if ((tmp & RCU_NEST_MASK) === 0) w.store(ctr, w.load(gp));
  else w.store(ctr, tmp + RCU_GP_COUNT);
}

/**
 * rcu_read_unlock(). Returns true when it left the outermost section: a
 * backend whose writer sleeps then checks the futex word and wakes it.
 */
export function readUnlockAt(w: RcuWords, ctr: number): boolean {
  const next = w.load(ctr) - RCU_GP_COUNT;
  w.store(ctr, next);
  return (next & RCU_NEST_MASK) === 0;
}

/**
 * rcu_quiescent_state() (QSBR): the reader holds no reference from before
 * this point; it copies gp into its counter if they differ. Returns true when
 * it did (a sleeping writer may be waiting for exactly this).
 */
export function quiescentStateAt(w: RcuWords, gp: number, ctr: number): boolean {
  const now = w.load(gp);
  if (w.load(ctr) === now) return false;
  w.store(ctr, now);
  return true;
}

/** rcu_thread_online() (QSBR): the reader is a reader again, as of gp's current phase. */
export function threadOnlineAt(w: RcuWords, gp: number, ctr: number): void {
  w.store(ctr, w.load(gp));
}

/** rcu_thread_offline() (QSBR): the reader holds nothing until it comes online again. */
export function threadOfflineAt(w: RcuWords, ctr: number): void {
  w.store(ctr, 0);
}

/** readLockAt() by RCU block and slot. */
export function readLock(w: RcuWords, rcu: number, slot: number): void {
  readLockAt(w, rcu + RCU_GP, rcuCtrAddr(rcu, slot));
}

/** readUnlockAt() by RCU block and slot. */
export function readUnlock(w: RcuWords, rcu: number, slot: number): boolean {
  return readUnlockAt(w, rcuCtrAddr(rcu, slot));
}

/** rcuReadLock() over plain words: the explorer's walkers and the RCU model. */
export function rcuReadLock(mem: WordMemory, rcu: number, slot: number): void {
  readLock(new PlainWords(mem), rcu, slot);
}

/** rcu_read_unlock() over plain words. */
export function rcuReadUnlock(mem: WordMemory, rcu: number, slot: number): void {
  readUnlock(new PlainWords(mem), rcu, slot);
}

/** A reader's rcu_read_lock()/rcu_read_unlock(), whichever backend runs them. */
export interface RcuReadSide {
  lock(): void;
  unlock(): void;
}

/** The deterministic backend's read side: one slot's lock and unlock over plain (or instrumented) words. */
export class PlainReadSide implements RcuReadSide {
  constructor(
    private readonly mem: WordMemory,
    private readonly rcu: number,
    private readonly slot: number,
  ) {}

  lock(): void {
    rcuReadLock(this.mem, this.rcu, this.slot);
  }

  unlock(): void {
    rcuReadUnlock(this.mem, this.rcu, this.slot);
  }
}

/** Is this reader inside a critical section that began before gp's current phase? */
export function readerActiveOld(ctr: number, gp: number): boolean {
  return (ctr & RCU_NEST_MASK) !== 0 && ((ctr ^ gp) & RCU_PHASE) !== 0;
}

/** The writer may go past reader `slot`: it is not in a critical section older than gp's phase. */
export function readerQuiesced(w: RcuWords, rcu: number, slot: number): boolean {
  return !readerActiveOld(w.load(rcuSlotAddr(rcu, slot) + RCU_SLOT_CTR), w.load(rcu + RCU_GP));
}

/**
 * One step of a grace period. `ready` (the explorer's enabling condition)
 * reads raw words; `run` goes through any backend. A wait step names the
 * reader slot it waits for, so that a real-thread backend can wait for it.
 */
export interface RcuStep {
  readonly fn: string;
  readonly detail: string;
  readonly kind: 'flip' | 'wait' | 'complete';
  /** The reader a wait step waits for. */
  readonly slot?: number;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  ready(w: Words): boolean;
  run(w: RcuWords): void;
}

/**
 * synchronize_rcu() as steps: for each flip, flip gp's phase, then one
 * blocking step per reader slot, enabled once that reader is not in an old
 * critical section. `flips` = 1 is the broken single-flip variant.
 */
export function synchronizeRcuPlan(rcu: number, readers: number, flips: 1 | 2, why: string): RcuStep[] {
  const gp = rcu + RCU_GP;
  const steps: RcuStep[] = [];
  for (let f = 0; f < flips; f++) {
    steps.push({
      fn: 'synchronize_rcu',
      detail: `${why}: flip the grace-period phase (${f + 1}/${flips})`,
      kind: 'flip',
      reads: [gp],
      writes: [gp],
      ready: () => true,
      run: (w) => w.store(gp, w.load(gp) ^ RCU_PHASE),
    });
    for (let r = 0; r < readers; r++) {
      const ctr = rcuSlotAddr(rcu, r) + RCU_SLOT_CTR;
      steps.push({
        fn: 'synchronize_rcu',
        detail: `${why}: wait for reader ${r} (${f + 1}/${flips})`,
        kind: 'wait',
        slot: r,
        reads: [gp, ctr],
        writes: [],
        ready: (w) => readerQuiesced(new PlainWords(w), rcu, r),
        run: () => undefined,
      });
    }
  }
  const done = rcu + RCU_GRACE_PERIODS;
  steps.push({
    fn: 'synchronize_rcu',
    detail: `${why}: grace period complete`,
    kind: 'complete',
    reads: [done],
    writes: [done],
    ready: () => true,
    run: (w) => w.store(done, w.load(done) + 1),
  });
  return steps;
}

const RCU_KERNEL_STEPS = new WeakMap<KernelStep, RcuStep>();

/** The grace-period step behind a kernel step from synchronizeRcuSteps(), for a backend that runs it for real. */
export function rcuStepOf(s: KernelStep): RcuStep | undefined {
  return RCU_KERNEL_STEPS.get(s);
}

/** synchronize_rcu() on a machine, as kernel steps a scheduler can interleave. */
export function synchronizeRcuSteps(m: KernelView, flips: 1 | 2, why: string): KernelStep[] {
  const rcu = rcuAddr(m.mem.words);
  if (!rcu) return [step('synchronize_rcu', {}, `${why} (no readers registered)`, () => undefined)];
  const readers = m.mem.load(rcu + RCU_NR_READERS);
  return synchronizeRcuPlan(rcu, readers, flips, why).map((s) => {
    const k: KernelStep = {
      fn: s.fn,
      args: {},
      detail: s.detail,
      footprint: { reads: s.reads, writes: s.writes },
      ready: (mm: Machine) => s.ready(mm.mem.words),
      run: (mm: Machine) => {
        s.run(mm.mem);
        return undefined;
      },
    };
    RCU_KERNEL_STEPS.set(k, s);
    return k;
  });
}
