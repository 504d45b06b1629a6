/**
 * A WalkerCtx for a walker on a real thread: memory is the shared Int32Array
 * itself (no instrumentation on the hot path), read-modify-writes are
 * compareExchange loops, and a read-modify-write that "would block" (a reader
 * of mem_hotplug_lock while an operation holds it) spins, then sleeps on the
 * word until the writer's release wakes it. Notes, held pages and
 * expectations are no-ops (the explorer judges answers; stress checks
 * dereferences, through WalkerKernel's hooks).
 *
 * The writer's side of mem_hotplug_lock is here too, so that the lock's two
 * sides (a reader count, block, WRITER) live in one place.
 */
import { G_HOTPLUG_LOCK, GLOBALS_ADDR, HOTPLUG_LOCK_BLOCK, HOTPLUG_LOCK_WRITER } from '../model/layout.js';
import { RcuAborted, sleepOn } from '../rcu/shared.js';
import type { WalkerCtx } from '../walkers/kernel.js';
import { DECREMENT, READ_LOCK } from '../walkers/kernel.js';

const SPINS = 200;
const SLICE_MS = 1;

/** Keeps the window's spin from being optimized away. */
let spinSink = 0;

/** Spin n iterations of integer work (about 1 ns each). */
export function spin(n: number): void {
  let x = spinSink;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 31) + i) | 0;
  spinSink = x;
}

/** An atomic read-modify-write of words[addr]; f returning undefined means wait until the word changes. */
export function atomicRmw(words: Int32Array, addr: number, f: (old: number) => number | undefined): number {
  for (let spins = 0; ; spins++) {
    const old = Atomics.load(words, addr);
    const next = f(old);
    if (next === undefined) {
      if (spins >= SPINS) Atomics.wait(words, addr, old, SLICE_MS);
      continue;
    }
    if (Atomics.compareExchange(words, addr, old, next) === old) return old;
  }
}

export function threadWalkerCtx(words: Int32Array): WalkerCtx {
  return {
    mem: words,
    note() {},
    rmw: (addr, f) => atomicRmw(words, addr, f),
    hold() {},
    release() {},
    expect() {},
  };
}

const LOCK = GLOBALS_ADDR + G_HOTPLUG_LOCK;

/** get_online_mems() as a walker takes it on a real thread (WalkerKernel.getOnlineMems through this ctx's rmw). */
export function hotplugReadLock(words: Int32Array): void {
  atomicRmw(words, LOCK, READ_LOCK);
}

/** put_online_mems() */
export function hotplugReadUnlock(words: Int32Array): void {
  atomicRmw(words, LOCK, DECREMENT);
}

/** mem_hotplug_begin() for real, its first half: set block, so that readers arriving now wait. */
export function hotplugBlockReaders(words: Int32Array): void {
  Atomics.or(words, LOCK, HOTPLUG_LOCK_BLOCK);
}

/**
 * Its second half (readers_active_check()): once the readers inside have left,
 * take the lock word from block to WRITER with one compareExchange; spinning,
 * then sleeping a slice at a time (Atomics.waitAsync: the event loop runs on).
 * A wait given up (the run's end) clears block again: the writer never got the
 * lock, and the readers it held back must be able to finish their walks.
 */
export async function hotplugWaitReaders(words: Int32Array, aborted?: () => boolean): Promise<void> {
  for (let spins = 0; ; spins++) {
    const v = Atomics.compareExchange(words, LOCK, HOTPLUG_LOCK_BLOCK, HOTPLUG_LOCK_WRITER);
    if (v === HOTPLUG_LOCK_BLOCK) return;
    if (spins < SPINS) continue;
    if (aborted?.()) {
      Atomics.and(words, LOCK, ~HOTPLUG_LOCK_BLOCK);
      Atomics.notify(words, LOCK);
      throw new RcuAborted();
    }
    await sleepOn(words, LOCK, v, 0.05);
  }
}

/** mem_hotplug_begin() whole: both halves. */
export async function hotplugWriteLock(words: Int32Array, aborted?: () => boolean): Promise<void> {
  hotplugBlockReaders(words);
  await hotplugWaitReaders(words, aborted);
}

/** mem_hotplug_done(): release and wake the readers waiting for it. */
export function hotplugWriteUnlock(words: Int32Array): void {
  Atomics.store(words, LOCK, 0);
  Atomics.notify(words, LOCK);
}
