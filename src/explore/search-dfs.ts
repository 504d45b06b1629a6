/**
 * The exhaustive search: depth-first over the world's states with visited-state hashing, sleep
 * sets (sleep-sets.ts), symmetry between identical walkers (state-key.ts), an optional preemption
 * bound, and branch and bound for a shortest violation. With a shared table (threads of a split
 * search) it keeps no sleep sets and explores each state at its least depth.
 */
import type { Program, Violation } from './program.js';
import {
  type Counterexample,
  deadlock,
  type SearchOptions,
  type SearchResult,
  shorter,
  unfinished,
} from './search-result.js';
import { FULL, NEW, SEEN, SHALLOWER, type SharedStateTable } from './shared-table.js';
import { canonicalMask, childSleep, EXPLORE_ALL, revisit, SKIP } from './sleep-sets.js';
import { StateTable } from './state-table.js';
import type { Footprint } from './walker-steps.js';
import { World } from './world.js';

/** Depth-first search with state hashing, sleep sets, a preemption bound, and branch and bound for a shortest violation. */
export function search(program: Program, opts: SearchOptions = {}): SearchResult {
  return new DepthFirstSearch(program, opts).run();
}

class DepthFirstSearch {
  private readonly world: World;
  private readonly shared: SharedStateTable | undefined;
  private readonly sleepSets: boolean;
  private readonly threads: number;
  /** This search's visited states (a token table when they are shared). */
  private readonly visited: StateTable;
  private readonly key: Int32Array;
  private readonly started = performance.now();
  private states = 0;
  private transitions = 0;
  private best: Counterexample | undefined;
  private bounded = false;
  private stopped = false;
  private outOfTime = false;
  private lastProgress = this.started;
  private readonly path: number[] = [];
  // By depth: the sleep set a state is explored with (each sleeping thread's pending footprint),
  // the transitions already explored from it, and its key's permutation.
  private readonly sleepFps: Footprint[][] = [];
  private readonly doneFps: Footprint[][] = [];
  private readonly perms: Int32Array[] = [];

  constructor(
    program: Program,
    private readonly opts: SearchOptions,
  ) {
    this.world = new World(program, opts.reduce?.symmetry ?? true);
    this.shared = opts.shared;
    this.visited = new StateTable(this.shared ? 1 : undefined);
    this.sleepSets = !this.shared && (opts.reduce?.sleepSets ?? true);
    this.threads = this.world.threads;
    this.key = new Int32Array(this.world.keyLength);
  }

  run(): SearchResult {
    const { world, opts, path } = this;
    this.at(0);
    world.save(0);
    const prefix = opts.prefix ?? [];
    const start = startAt(world, prefix);
    if (typeof start === 'string') throw new Error(`search: the prefix ${start}`);
    if (start.violation) this.best = { schedule: [...prefix], violation: start.violation };
    else {
      path.push(...prefix);
      this.at(path.length);
      this.explore(path.length, 0, path.length ? path[path.length - 1] : -1, 0);
    }
    world.reset(0);
    return this.result();
  }

  private result(): SearchResult {
    const best = this.best;
    return {
      verdict: best ? 'unsafe' : this.bounded ? 'bounded' : 'safe',
      states: this.states,
      transitions: this.transitions,
      seconds: (performance.now() - this.started) / 1000,
      schedule: best?.schedule,
      violation: best?.violation,
      ...(this.stopped ? { stoppedAtMaxStates: true } : {}),
      ...(this.outOfTime ? { stoppedAtMaxSeconds: true } : {}),
    };
  }

  /** Room for the per-depth arrays down to depth d + 1. */
  private at(d: number): void {
    while (this.sleepFps.length <= d + 1) {
      this.sleepFps.push(new Array(this.threads));
      this.doneFps.push(new Array(this.threads));
      this.perms.push(new Int32Array(this.threads));
    }
  }

  /** Visit the state at depth (reached with sleep set `sleep` by thread prev); true: stop the search. */
  private explore(depth: number, sleep: number, prev: number, preemptions: number): boolean {
    const { opts, world } = this;
    if (opts.maxStates !== undefined && this.states >= opts.maxStates) {
      this.bounded = true;
      this.stopped = true;
      return true;
    }
    if (this.best && depth + 1 >= this.best.schedule.length) return false;
    this.at(depth);
    const perm = this.perms[depth];
    world.key(this.key, perm);
    if (this.shared) return this.exploreShared(depth, prev, preemptions, perm);
    const sleepMask = canonicalMask(sleep, perm, this.threads);
    const slot = this.visited.find(this.key, world.keyLength);
    const only = revisit(this.visited, slot, sleepMask, depth, preemptions);
    if (only === SKIP) return false;
    if (slot < 0) {
      this.states++;
      this.visited.insert(sleepMask, preemptions, depth);
      if ((this.states & 1023) === 0 && this.tick(depth)) return true;
    }
    return this.expand(depth, sleep, prev, preemptions, only, perm);
  }

  /** explore() with a table shared by threads: no sleep sets; each state at its least depth. */
  private exploreShared(depth: number, prev: number, preemptions: number, perm: Int32Array): boolean {
    const shared = this.shared!;
    const startDepth = this.opts.prefix?.length ?? 0;
    if (depth + 1 >= shared.shortest) return false;
    const v = depth === startDepth ? SHALLOWER : shared.visit(this.key, this.world.keyLength, depth);
    if (v === SEEN) return false;
    if (v === FULL) {
      this.bounded = true;
      this.stopped = true;
      return true;
    }
    if (v === NEW) {
      this.states++;
      if ((this.states & 1023) === 0 && this.tick(depth)) return true;
    }
    return this.expand(depth, 0, prev, preemptions, EXPLORE_ALL, perm);
  }

  /** Every 1024 states: progress about once a second, and the time limit (true: stop). */
  private tick(depth: number): boolean {
    const opts = this.opts;
    if (!opts.progress && opts.maxSeconds === undefined) return false;
    const now = performance.now();
    if (opts.maxSeconds !== undefined && now - this.started >= opts.maxSeconds * 1000) {
      this.bounded = true;
      this.outOfTime = true;
      return true;
    }
    if (opts.progress && now - this.lastProgress > 1000) {
      this.lastProgress = now;
      opts.progress({
        states: this.states,
        transitions: this.transitions,
        depth,
        seconds: (now - this.started) / 1000,
      });
    }
    return false;
  }

  /** Run each thread's transition from the state at depth (the sleep set's and `only`'s allowing). */
  private expand(
    depth: number,
    sleep: number,
    prev: number,
    preemptions: number,
    only: number,
    perm: Int32Array,
  ): boolean {
    const { world, threads, path } = this;
    world.save(depth);
    const done = this.doneFps[depth];
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
      this.transitions++;
      path.push(t);
      if (violation) {
        if (this.violationFound(violation)) return true;
      } else if (this.descend(depth, sleep, doneMask, fp, t, preemptions + preempt)) return true;
      path.pop();
      world.load(depth);
      done[t] = fp;
      doneMask |= 1 << t;
    }
    if (!anyEnabled && !world.allDone()) {
      const v = deadlock(world, unfinished(world));
      this.best = shorter(this.best, path, v);
      this.shared?.offerShortest(path.length);
      if (this.opts.firstViolation) return true;
    }
    return false;
  }

  /** A violation at the end of the path: keep the shorter counterexample; true: stop the search. */
  private violationFound(violation: Violation): boolean {
    this.best = shorter(this.best, this.path, violation);
    this.shared?.offerShortest(this.path.length);
    return this.opts.firstViolation === true;
  }

  /** Explore the state transition t (footprint fp) led to, within the preemption bound; true: stop. */
  private descend(
    depth: number,
    sleep: number,
    doneMask: number,
    fp: Footprint,
    t: number,
    preemptions: number,
  ): boolean {
    const bound = this.opts.preemptionBound;
    if (bound !== undefined && preemptions > bound) {
      this.bounded = true;
      return false;
    }
    this.at(depth + 1);
    const next = this.sleepSets
      ? childSleep(
          fp,
          this.threads,
          sleep,
          this.sleepFps[depth],
          doneMask,
          this.doneFps[depth],
          this.sleepFps[depth + 1],
        )
      : 0;
    return this.explore(depth + 1, next, t, preemptions);
  }
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
