/**
 * Swarm search, for hunting bugs in spaces too big to exhaust: N members, each an independent
 * search with a seed of its own, run one after another here or side by side on BullMQ workers;
 * the first member to find a counterexample wins and the swarm stops. A member is either `runs`
 * random schedules, or a depth-first search bounded by states (and seconds, preemptions) under a
 * random schedule prefix: a cut of one random schedule at a random length, so members dive into
 * different subtrees. Members' answers are counterexamples or nothing: a swarm that finds
 * nothing covers only the schedules and subtrees its members ran, never the whole space.
 *
 * Member i's seed is the swarm's seed plus i times 2^32/phi (mod 2^32), so member 0 is seeded
 * with the swarm's own seed: a swarm of one is the search its member runs.
 */
import { rng } from '../random.js';
import { randomRun, randomSearch, type SearchResult, search } from './engine.js';
import { type JobSpec, jobProgram, type SwarmJob } from './job-spec.js';
import type { Program } from './program.js';
import { World } from './world.js';

/** A member's depth-first search stops here unless --max-states says otherwise. */
export const SWARM_MAX_STATES = 100_000;
/** 2^32 / golden ratio: consecutive members' seeds land far apart in mulberry32's sequence space. */
const SEED_STRIDE = 0x9e3779b9;

export interface SwarmSpec {
  readonly members: number;
  readonly seed: number;
  /** Random schedules per member; undefined: each member a bounded search under a random prefix. */
  readonly runs?: number;
}

/** Member i's seed. */
export function memberSeed(seed: number, i: number): number {
  return (seed + Math.imul(i, SEED_STRIDE)) >>> 0;
}

/** The swarm's members as jobs (for workers and for a local run alike). */
export function swarmJobs(spec: JobSpec, swarm: SwarmSpec): SwarmJob[] {
  const runs = swarm.runs !== undefined ? { runs: swarm.runs } : {};
  return Array.from({ length: swarm.members }, (_, index) => ({
    spec,
    index,
    member: { seed: memberSeed(swarm.seed, index), ...runs },
  }));
}

/** One member's search on a program (the bounds are the spec's). */
export function swarmMember(
  program: Program,
  job: SwarmJob,
  progress?: (states: number) => void,
): SearchResult {
  const { seed, runs } = job.member;
  if (runs !== undefined) return randomSearch(program, runs, seed);
  const random = rng(seed);
  const world = new World(program);
  world.save(0);
  const walk = randomRun(world, random);
  world.reset(0);
  // A cut strictly before the walk's end: never past a violation, always something left to search.
  const prefix = walk.schedule.slice(0, Math.floor(random() * walk.schedule.length));
  return search(program, {
    prefix,
    maxStates: job.spec.maxStates ?? SWARM_MAX_STATES,
    maxSeconds: job.spec.maxSeconds,
    preemptionBound: job.spec.preemptionBound,
    firstViolation: job.spec.firstViolation,
    progress: progress ? (p) => progress(p.states) : undefined,
  });
}

/** Run a member job anywhere: rebuild the program from its spec, then search. */
export async function runSwarmMember(
  job: SwarmJob,
  progress?: (states: number) => void,
): Promise<SearchResult> {
  return swarmMember(await jobProgram(job.spec), job, progress);
}

/** What a swarm answered: its members' work, and the counterexample of the member that won. */
export interface SwarmResult {
  readonly result: SearchResult;
  /** The member whose counterexample this is. */
  readonly winner?: number;
  /** Members that finished (the others were withdrawn once one had won, or not run). */
  readonly finished: number;
}

/**
 * Members' results, in the order they finished (undefined: not run), as one: the states and
 * transitions of every finished member; the winner is the first in `order` with a violation.
 */
export function mergeSwarm(
  results: readonly (SearchResult | undefined)[],
  order: readonly number[],
  seconds: number,
): SwarmResult {
  let states = 0;
  let transitions = 0;
  let finished = 0;
  for (const r of results) {
    if (!r) continue;
    finished++;
    states += r.states;
    transitions += r.transitions;
  }
  const winner = order.find((i) => results[i]?.violation);
  const w = winner === undefined ? undefined : results[winner];
  return {
    result: {
      verdict: w ? 'unsafe' : 'bounded',
      states,
      transitions,
      seconds,
      schedule: w?.schedule,
      violation: w?.violation,
    },
    winner,
    finished,
  };
}

/** The members one after another on this thread, stopping at the first counterexample. */
export function runSwarmHere(
  program: Program,
  jobs: readonly SwarmJob[],
  progress?: (done: number, states: number) => void,
): (SearchResult | undefined)[] {
  const results: (SearchResult | undefined)[] = new Array(jobs.length);
  let states = 0;
  for (const [i, job] of jobs.entries()) {
    const r = swarmMember(program, job, (s) => progress?.(i, states + s));
    results[i] = r;
    states += r.states;
    progress?.(i + 1, states);
    if (r.violation) break;
  }
  return results;
}
