/** What a search is asked (options) and what it answers (result), shared by every search of the explorer. */

import type { Violation } from './program.js';
import type { SharedStateTable } from './shared-table.js';
import type { World } from './world.js';

export interface SearchOptions {
  /** Non-forced context switches allowed (undefined: unbounded). */
  readonly preemptionBound?: number;
  /** Stop at the first violation instead of searching for a shortest one. */
  readonly firstViolation?: boolean;
  /** Give up after this many states (the verdict is then 'bounded'). */
  readonly maxStates?: number;
  /** Give up after this many seconds (the verdict is then 'bounded'). */
  readonly maxSeconds?: number;
  /**
   * Explore only the subtree under this schedule prefix (a job of a split search): the prefix is
   * run first, then the search goes on from its end with an empty sleep set (sound: a sleep set
   * only removes work) and without a preemption bound.
   */
  readonly prefix?: readonly number[];
  /**
   * Visited states shared with other threads' searches (split.ts): each state is explored by
   * whoever reaches it first, again by whoever reaches it shallower; no sleep sets (a sleep set
   * is a property of one search's path). The state the prefix reaches is this search's own.
   */
  readonly shared?: SharedStateTable;
  /** Switch off a reduction (both on by default), e.g. to measure what it saves. */
  readonly reduce?: { readonly sleepSets?: boolean; readonly symmetry?: boolean };
  /** Called about once a second with progress. */
  readonly progress?: (p: { states: number; transitions: number; depth: number; seconds: number }) => void;
}

export interface SearchResult {
  readonly verdict: 'safe' | 'unsafe' | 'bounded';
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
  /** The counterexample: thread ids in schedule order. */
  readonly schedule?: number[];
  readonly violation?: Violation;
  /** The search gave up at maxStates: a counterexample it found need not be a shortest one. */
  readonly stoppedAtMaxStates?: boolean;
  /** The search gave up at maxSeconds (as stoppedAtMaxStates). */
  readonly stoppedAtMaxSeconds?: boolean;
}

/** A counterexample: the schedule that reached it and what went wrong. */
export interface Counterexample {
  readonly schedule: number[];
  readonly violation: Violation;
}

/** The shorter of a known counterexample and a new one (the known one on a tie). */
export function shorter(
  best: Counterexample | undefined,
  schedule: readonly number[],
  violation: Violation,
): Counterexample {
  return !best || schedule.length < best.schedule.length ? { schedule: [...schedule], violation } : best;
}

/** No thread can move and some have not finished: each waits on another (a lock, a grace period). */
export function deadlock(world: World, stuck: readonly number[]): Violation {
  return {
    kind: 'deadlock',
    thread: stuck[0],
    pfn: -1,
    message: `deadlock: ${world.threadNames(stuck)} all wait for one another`,
  };
}

/** The threads that have not finished. */
export function unfinished(world: World): number[] {
  return [...Array(world.threads).keys()].filter((t) => !world.done(t));
}
