/**
 * RCU, liburcu's memb flavour, over model memory words.
 *
 * One global grace-period word (gp: a PHASE bit above a nesting count), one
 * counter per registered reader on its own 64-byte line, and a two-flip grace
 * period. The same algorithm runs three ways: its reader side as plain
 * functions over any WordMemory (the explorer makes every access a
 * scheduling point; workers use Atomics), and its writer side as KernelSteps
 * (flip, then wait for each reader) that a scheduler can interleave.
 *
 * A reader is in an old read-side critical section when its nesting count is
 * non-zero and its phase differs from gp's: the writer waits those out. Two
 * flips are needed because a reader can load gp, stall, and store the stale
 * phase after the writer's flip; with one flip the next grace period flips the
 * phase back and mistakes that reader for a current one.
 */

import { G_RCU, GLOBALS_ADDR } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { type Memory, MemKind } from '../model/memory.js';
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
export const RCU_SLOT_STRIDE = 16; // one 64-byte line per reader
export const RCU_SLOT_CTR = 0;
export const RCU_SLOT_ALIVE = 1; // 1 while registered

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

/** rcu_read_lock(): an outermost lock copies gp (count 1 + phase); a nested one adds 1. */
export function rcuReadLock(mem: WordMemory, rcu: number, slot: number): void {
  const ctr = rcuSlotAddr(rcu, slot) + RCU_SLOT_CTR;
  const tmp = mem[ctr];
  if ((tmp & RCU_NEST_MASK) === 0) mem[ctr] = mem[rcu + RCU_GP];
  else mem[ctr] = tmp + RCU_GP_COUNT;
}

/** rcu_read_unlock() */
export function rcuReadUnlock(mem: WordMemory, rcu: number, slot: number): void {
  const ctr = rcuSlotAddr(rcu, slot) + RCU_SLOT_CTR;
  mem[ctr] = mem[ctr] - RCU_GP_COUNT;
}

/** Is this reader inside a critical section that began before gp's current phase? */
export function readerActiveOld(ctr: number, gp: number): boolean {
  return (ctr & RCU_NEST_MASK) !== 0 && ((ctr ^ gp) & RCU_PHASE) !== 0;
}

/** One step of a grace period, over raw memory (the explorer's RCU model uses these directly). */
export interface RcuStep {
  readonly fn: string;
  readonly detail: string;
  readonly reads: readonly number[];
  readonly writes: readonly number[];
  ready(w: Words): boolean;
  run(mem: Memory): void;
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
      reads: [gp],
      writes: [gp],
      ready: () => true,
      run: (mem) => mem.store(gp, mem.load(gp) ^ RCU_PHASE),
    });
    for (let r = 0; r < readers; r++) {
      const ctr = rcuSlotAddr(rcu, r) + RCU_SLOT_CTR;
      steps.push({
        fn: 'synchronize_rcu',
        detail: `${why}: wait for reader ${r} (${f + 1}/${flips})`,
        reads: [gp, ctr],
        writes: [],
        ready: (w) => !readerActiveOld(w[ctr], w[gp]),
        run: () => undefined,
      });
    }
  }
  const done = rcu + RCU_GRACE_PERIODS;
  steps.push({
    fn: 'synchronize_rcu',
    detail: `${why}: grace period complete`,
    reads: [done],
    writes: [done],
    ready: () => true,
    run: (mem) => mem.store(done, mem.load(done) + 1),
  });
  return steps;
}

/** synchronize_rcu() on a machine, as kernel steps a scheduler can interleave. */
export function synchronizeRcuSteps(m: Machine, flips: 1 | 2, why: string): KernelStep[] {
  const rcu = rcuAddr(m.mem.words);
  if (!rcu) return [step('synchronize_rcu', {}, `${why} (no readers registered)`, () => undefined)];
  const readers = m.mem.load(rcu + RCU_NR_READERS);
  return synchronizeRcuPlan(rcu, readers, flips, why).map((s) => ({
    fn: s.fn,
    args: {},
    detail: s.detail,
    footprint: { reads: s.reads, writes: s.writes },
    ready: (mm: Machine) => s.ready(mm.mem.words),
    run: (mm: Machine) => {
      s.run(mm.mem);
      return undefined;
    },
  }));
}
