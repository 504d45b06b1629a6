/**
 * The interleaving explorer: every schedule of one writer (kernel steps, each
 * atomic, some blocking) and several walkers (every shared-memory access a
 * scheduling point), searched depth-first with visited-state hashing, sleep
 * sets, symmetry between identical walkers and an optional preemption bound;
 * or sampled at random with a seed.
 *
 * The world (world.ts) keeps a state as a few integers: memory changes are
 * journaled and undone on backtrack, each walker is a node of its trace trie
 * (walker-steps.ts: a walker's transitions learned by re-execution once, then
 * applied directly), and visited states are 96-bit fingerprints in a typed
 * hash table (state-table.ts). The same walker code that serves the CLI and
 * worker threads is what the explorer interleaves.
 */
import { rng } from '../random.js';
import type { Program, StepLabel, Violation } from './program.js';
import { FULL, NEW, SEEN, SHALLOWER, type SharedStateTable } from './shared-table.js';
import { StateTable } from './state-table.js';
import { dependent, type Footprint } from './walker-steps.js';
import { World } from './world.js';

export type { Program, StepLabel, Violation, WalkerProgram, WriterStep } from './program.js';

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

/** Depth-first search with state hashing, sleep sets, a preemption bound, and branch and bound for a shortest violation. */
export function search(program: Program, opts: SearchOptions = {}): SearchResult {
  const world = new World(program, opts.reduce?.symmetry ?? true);
  const shared = opts.shared;
  const sleepSets = !shared && (opts.reduce?.sleepSets ?? true);
  const startDepth = opts.prefix?.length ?? 0;
  const threads = world.threads;
  const visited = new StateTable();
  const key = new Int32Array(world.keyLength);
  const started = performance.now();
  let states = 0;
  let transitions = 0;
  let best: { schedule: number[]; violation: Violation } | undefined;
  let bounded = false;
  let stopped = false;
  let outOfTime = false;
  let lastProgress = started;
  const path: number[] = [];
  // By depth: the sleep set a state is explored with (a thread mask and each sleeping thread's
  // pending footprint), the transitions already explored from it, and its key's permutation.
  const sleepFps: Footprint[][] = [];
  const doneFps: Footprint[][] = [];
  const perms: Int32Array[] = [];
  const at = (d: number) => {
    while (sleepFps.length <= d + 1) {
      sleepFps.push(new Array(threads));
      doneFps.push(new Array(threads));
      perms.push(new Int32Array(threads));
    }
  };

  const explore = (depth: number, sleep: number, prev: number, preemptions: number): boolean => {
    if (opts.maxStates !== undefined && states >= opts.maxStates) {
      bounded = true;
      stopped = true;
      return true;
    }
    if (best && depth + 1 >= best.schedule.length) return false;
    at(depth);
    const perm = perms[depth];
    world.key(key, perm);
    if (shared) {
      if (depth + 1 >= shared.shortest) return false;
      const v = depth === startDepth ? SHALLOWER : shared.visit(key, world.keyLength, depth);
      if (v === SEEN) return false;
      if (v === FULL) {
        bounded = true;
        stopped = true;
        return true;
      }
      if (v === NEW) {
        states++;
        if ((states & 1023) === 0 && tick(depth)) return true;
      }
      return expand(depth, 0, prev, preemptions, -1, perm);
    }
    let sleepMask = 0;
    for (let t = 0; t < threads; t++) if (sleep & (1 << t)) sleepMask |= 1 << perm[t];
    // A state seen before is explored again only for what it could not do then: threads that
    // were asleep then and are awake now (Godefroid's stateful sleep sets), unless it is now
    // reached shallower or with fewer preemptions, which calls for a full exploration.
    const slot = visited.find(key, world.keyLength);
    let only = -1;
    if (slot >= 0 && visited.depth(slot) <= depth && visited.preemptions(slot) <= preemptions) {
      const seenSleep = visited.sleep(slot);
      const newlyAwake = seenSleep & ~sleepMask;
      if (newlyAwake === 0) return false;
      only = newlyAwake;
      visited.setSleep(slot, seenSleep & sleepMask);
    } else if (slot >= 0) {
      visited.set(slot, sleepMask, preemptions, depth);
    } else {
      states++;
      visited.insert(sleepMask, preemptions, depth);
      if ((states & 1023) === 0 && tick(depth)) return true;
    }
    return expand(depth, sleep, prev, preemptions, only, perm);
  };

  /** Every 1024 states: progress about once a second, and the time limit (true: stop). */
  const tick = (depth: number): boolean => {
    if (!opts.progress && opts.maxSeconds === undefined) return false;
    const now = performance.now();
    if (opts.maxSeconds !== undefined && now - started >= opts.maxSeconds * 1000) {
      bounded = true;
      outOfTime = true;
      return true;
    }
    if (opts.progress && now - lastProgress > 1000) {
      lastProgress = now;
      opts.progress({ states, transitions, depth, seconds: (now - started) / 1000 });
    }
    return false;
  };

  /** Run each thread's transition from the state at depth (the sleep set's and `only`'s allowing). */
  const expand = (
    depth: number,
    sleep: number,
    prev: number,
    preemptions: number,
    only: number,
    perm: Int32Array,
  ): boolean => {
    world.save(depth);
    const mySleep = sleepFps[depth];
    const done = doneFps[depth];
    let doneMask = 0;
    let anyEnabled = false;
    let prevEnabled = false;
    // Prefer continuing the thread that ran last (fewer preemptions first).
    for (let k = prev >= 0 ? -1 : 0; k < threads; k++) {
      const t = k < 0 ? prev : k;
      if (k >= 0 && t === prev) continue;
      if (world.done(t)) continue;
      const fp = world.step(t);
      if (!fp) continue;
      const violation = world.violation;
      anyEnabled = true;
      if (t === prev) prevEnabled = true;
      if (sleep & (1 << t) || (only >= 0 && (only & (1 << perm[t])) === 0)) {
        world.load(depth);
        continue;
      }
      // Switching away from the thread that ran last while it could still run is a preemption.
      const preempt = prev >= 0 && t !== prev && prevEnabled ? 1 : 0;
      transitions++;
      path.push(t);
      if (violation) {
        if (!best || path.length < best.schedule.length) best = { schedule: [...path], violation };
        shared?.offerShortest(path.length);
        path.pop();
        world.load(depth);
        if (opts.firstViolation) return true;
        done[t] = fp;
        doneMask |= 1 << t;
        continue;
      }
      const withinBound = opts.preemptionBound === undefined || preemptions + preempt <= opts.preemptionBound;
      if (withinBound) {
        at(depth + 1);
        let next = 0;
        if (sleepSets) {
          const nextFps = sleepFps[depth + 1];
          for (let u = 0; u < threads; u++) {
            const ufp = sleep & (1 << u) ? mySleep[u] : doneMask & (1 << u) ? done[u] : undefined;
            if (ufp && !dependent(ufp, fp)) {
              next |= 1 << u;
              nextFps[u] = ufp;
            }
          }
        }
        if (explore(depth + 1, next, t, preemptions + preempt)) return true;
      } else {
        bounded = true;
      }
      path.pop();
      world.load(depth);
      done[t] = fp;
      doneMask |= 1 << t;
    }
    if (!anyEnabled && !world.allDone()) {
      const stuck = [...Array(threads).keys()].filter((t) => !world.done(t));
      const v = deadlock(world, stuck);
      if (!best || path.length < best.schedule.length) best = { schedule: [...path], violation: v };
      shared?.offerShortest(path.length);
      if (opts.firstViolation) return true;
    }
    return false;
  };

  at(0);
  world.save(0);
  const start = startAt(world, opts.prefix ?? []);
  if (typeof start === 'string') throw new Error(`search: the prefix ${start}`);
  if (start.violation) best = { schedule: [...(opts.prefix ?? [])], violation: start.violation };
  else {
    path.push(...(opts.prefix ?? []));
    at(path.length);
    explore(path.length, 0, path.length ? path[path.length - 1] : -1, 0);
  }
  world.reset(0);
  const seconds = (performance.now() - started) / 1000;
  return {
    verdict: best ? 'unsafe' : bounded ? 'bounded' : 'safe',
    states,
    transitions,
    seconds,
    schedule: best?.schedule,
    violation: best?.violation,
    ...(stopped ? { stoppedAtMaxStates: true } : {}),
    ...(outOfTime ? { stoppedAtMaxSeconds: true } : {}),
  };
}

/** Run a schedule prefix from the start (slot 0): its violation, or a sentence if it cannot run. */
function startAt(world: World, prefix: readonly number[]): { violation?: Violation } | string {
  for (const [i, t] of prefix.entries()) {
    if (t < 0 || t >= world.threads || world.done(t)) return `step ${i + 1}: thread ${t} cannot run here`;
    if (!world.step(t)) return `step ${i + 1}: thread ${t} is blocked here`;
    if (world.violation) return { violation: world.violation };
  }
  return {};
}

/** No thread can move and some have not finished: each waits on another (a lock, a grace period). */
function deadlock(world: World, stuck: readonly number[]): Violation {
  return {
    kind: 'deadlock',
    thread: stuck[0],
    pfn: -1,
    message: `deadlock: ${world.threadNames(stuck)} all wait for one another`,
  };
}

/** Random schedules with a seed: each run picks uniformly among enabled threads until done or a violation. */
export function randomSearch(program: Program, runs: number, seed: number): SearchResult {
  const world = new World(program);
  world.save(0);
  const random = rng(seed);
  const started = performance.now();
  let transitions = 0;
  let best: { schedule: number[]; violation: Violation } | undefined;
  for (let r = 0; r < runs; r++) {
    world.load(0);
    const schedule: number[] = [];
    for (;;) {
      const candidates = [...Array(world.threads).keys()].filter((t) => !world.done(t));
      if (candidates.length === 0) break;
      let progressed = false;
      let violation: Violation | undefined;
      // Try threads in a random order until one is enabled.
      for (const t of candidates.sort(() => random() - 0.5)) {
        const fp = world.step(t);
        if (!fp) continue;
        violation = world.violation;
        schedule.push(t);
        transitions++;
        progressed = true;
        break;
      }
      if (violation) {
        if (!best || schedule.length < best.schedule.length) best = { schedule: [...schedule], violation };
        break;
      }
      if (!progressed) {
        const v = deadlock(world, candidates);
        if (!best || schedule.length < best.schedule.length) best = { schedule: [...schedule], violation: v };
        break;
      }
    }
  }
  world.reset(0);
  return {
    verdict: best ? 'unsafe' : 'bounded',
    states: runs,
    transitions,
    seconds: (performance.now() - started) / 1000,
    schedule: best?.schedule,
    violation: best?.violation,
  };
}

/** Run one schedule from the start; returns every step's label and the first violation. */
export function replay(
  program: Program,
  schedule: readonly number[],
  each?: (label: StepLabel) => void,
): { labels: StepLabel[]; violation?: Violation; error?: string } {
  const world = new World(program);
  world.save(0);
  const labels: StepLabel[] = [];
  let violation: Violation | undefined;
  for (const [i, t] of schedule.entries()) {
    if (t < 0 || t >= world.threads || world.done(t)) {
      world.reset(0);
      return { labels, error: `step ${i + 1}: thread ${t} cannot run here` };
    }
    const fp = world.step(t, true);
    if (!fp) {
      world.reset(0);
      return { labels, error: `step ${i + 1}: thread ${t} is blocked here` };
    }
    violation ??= world.violation;
    labels.push(world.lastLabel!);
    each?.(world.lastLabel!);
    if (violation) break;
  }
  world.reset(0);
  return { labels, violation };
}
