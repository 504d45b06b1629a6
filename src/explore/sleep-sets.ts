/**
 * Sleep sets (Godefroid), the depth-first search's partial-order reduction: after exploring
 * transition t from a state, a sibling u explored later need not explore t again right after u
 * when t and u are independent (they commute: u;t reaches what t;u reached). t "sleeps" in u's
 * subtree until a transition dependent with it runs. Stateful: a state seen before is explored
 * again only for the threads that were asleep then and are awake now.
 */
import type { StateTable } from './state-table.js';
import { dependent, type Footprint } from './walker-steps.js';

/** A sleep set over thread ids, renamed to canonical ids by perm (symmetric states compare alike). */
export function canonicalMask(sleep: number, perm: Int32Array, threads: number): number {
  let mask = 0;
  for (let t = 0; t < threads; t++) if (sleep & (1 << t)) mask |= 1 << perm[t];
  return mask;
}

/** What to explore of a state met again; found in the table by the search. */
export const EXPLORE_ALL = -1;
export const SKIP = 0;

/**
 * The stateful sleep-set rule for a state found at `slot` (or -1: new; then the caller inserts
 * it): SKIP, EXPLORE_ALL, or the canonical mask of the threads to explore (newly awake). A state
 * reached shallower or with fewer preemptions than before is explored in full.
 */
export function revisit(
  visited: StateTable,
  slot: number,
  sleepMask: number,
  depth: number,
  preemptions: number,
): number {
  if (slot < 0) return EXPLORE_ALL;
  if (visited.depth(slot) <= depth && visited.preemptions(slot) <= preemptions) {
    const seenSleep = visited.sleep(slot);
    const newlyAwake = seenSleep & ~sleepMask;
    if (newlyAwake !== 0) visited.setSleep(slot, seenSleep & sleepMask);
    return newlyAwake;
  }
  visited.set(slot, sleepMask, preemptions, depth);
  return EXPLORE_ALL;
}

/**
 * The sleep set after transition fp: the threads asleep here (sleep, their footprints in
 * sleepFps) and those explored before it from here (done, doneFps) whose pending transition is
 * independent of fp; their footprints go to nextFps.
 */
export function childSleep(
  fp: Footprint,
  threads: number,
  sleep: number,
  sleepFps: readonly Footprint[],
  done: number,
  doneFps: readonly Footprint[],
  nextFps: Footprint[],
): number {
  let next = 0;
  for (let u = 0; u < threads; u++) {
    const ufp = sleep & (1 << u) ? sleepFps[u] : done & (1 << u) ? doneFps[u] : undefined;
    if (ufp && !dependent(ufp, fp)) {
      next |= 1 << u;
      nextFps[u] = ufp;
    }
  }
  return next;
}
