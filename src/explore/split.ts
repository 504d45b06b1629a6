/**
 * One exhaustive search split into subtree jobs by schedule prefix, for worker threads and for
 * BullMQ workers alike.
 *
 * The split: a breadth-first walk from the initial state, level by level, keeps one schedule per
 * distinct state of each level (two prefixes reaching one state have the same subtree) until a
 * level holds enough states; each is a job that explores the subtree under its prefix (engine
 * search with `prefix`). Every schedule longer than the split depth passes through one of those
 * states, and every shorter one was run by the walk itself, so the union of the jobs and the walk
 * is the whole space: SAFE holds only when the walk and every job say SAFE. A violation the walk
 * meets is a shortest one (breadth first); otherwise each job's is a shortest of its subtree and
 * all prefixes have one length, so the shortest of all jobs (the first job's on a tie) is a
 * shortest overall. Jobs do not share visited states, so states reachable from two subtrees count
 * twice: a split search's states and transitions are its work, not the distinct states of the
 * space. A job is a pure function of its spec: running it twice (a retried job) gives the same.
 */
import { type SearchResult, search } from './engine.js';
import { jobProgram, type SubtreeJob } from './job-spec.js';
import type { Program, Violation } from './program.js';
import { NEW, SharedStateTable } from './shared-table.js';
import { StateTable } from './state-table.js';
import { World } from './world.js';

export type { JobSpec, SubtreeJob } from './job-spec.js';

/** The walk above the split: the states it saw, and a violation if it met one. */
export interface Split {
  readonly prefixes: number[][];
  readonly states: number;
  readonly transitions: number;
  readonly best?: { readonly schedule: number[]; readonly violation: Violation };
}

/** Levels deeper than this are not split further (a frontier wider than the jobs asked is fine). */
const MAX_SPLIT_DEPTH = 48;

/** Breadth-first from the initial state until a level holds at least `jobs` distinct states. */
export function splitSearch(program: Program, jobs: number, shared?: SharedStateTable): Split {
  const world = new World(program);
  world.save(0);
  const key = new Int32Array(world.keyLength);
  const perm = new Int32Array(world.threads);
  if (shared) {
    world.key(key, perm);
    shared.visit(key, world.keyLength, 0);
  }
  let level: number[][] = [[]];
  let states = 0;
  let transitions = 0;
  let best: Split['best'];
  for (let depth = 0; level.length > 0 && level.length < jobs && depth < MAX_SPLIT_DEPTH; depth++) {
    const next: number[][] = [];
    const seen = new StateTable(1 << 10);
    for (const prefix of level) {
      world.load(0);
      for (const t of prefix) world.step(t);
      world.save(1);
      let anyEnabled = false;
      for (let t = 0; t < world.threads; t++) {
        if (world.done(t) || !world.step(t)) continue;
        anyEnabled = true;
        transitions++;
        if (world.violation) {
          best ??= { schedule: [...prefix, t], violation: world.violation };
        } else {
          world.key(key, perm);
          if (
            shared
              ? shared.visit(key, world.keyLength, depth + 1) === NEW
              : seen.find(key, world.keyLength) < 0
          ) {
            if (!shared) seen.insert(0, 0, depth + 1);
            next.push([...prefix, t]);
          }
        }
        world.load(1);
      }
      if (!anyEnabled && !world.allDone()) {
        const stuck = [...Array(world.threads).keys()].filter((t) => !world.done(t));
        best ??= {
          schedule: [...prefix],
          violation: {
            kind: 'deadlock',
            thread: stuck[0],
            pfn: -1,
            message: `deadlock: ${world.threadNames(stuck)} all wait for one another`,
          },
        };
      }
    }
    states += level.length;
    level = next;
    if (best) break;
  }
  world.reset(0);
  // With a shared table every state the walk met is in it (the frontier's too, which its jobs own).
  return { prefixes: best ? [] : level, states: shared ? shared.states : states, transitions, best };
}

/** Run one subtree job: rebuild the program from its spec and search the subtree under its prefix. */
export async function runSubtree(
  job: SubtreeJob,
  progress?: (states: number) => void,
): Promise<SearchResult> {
  const program = await jobProgram(job.spec);
  return search(program, {
    prefix: job.prefix,
    shared: job.shared ? new SharedStateTable(job.shared) : undefined,
    maxStates: job.spec.maxStates,
    maxSeconds: job.spec.maxSeconds,
    firstViolation: job.spec.firstViolation,
    progress: progress ? (p) => progress(p.states) : undefined,
  });
}

/** The split's walk and its jobs' results as one search result (see the file's comment). */
export function mergeResults(
  split: Split,
  results: readonly SearchResult[],
  seconds: number,
  shared?: SharedStateTable,
): SearchResult {
  let best = split.best;
  let states = split.states;
  let transitions = split.transitions;
  let bounded = false;
  let stoppedAtMaxStates = false;
  let stoppedAtMaxSeconds = false;
  for (const r of results) {
    states += r.states;
    transitions += r.transitions;
    if (r.verdict === 'bounded') bounded = true;
    stoppedAtMaxStates ||= r.stoppedAtMaxStates === true;
    stoppedAtMaxSeconds ||= r.stoppedAtMaxSeconds === true;
    if (r.schedule && r.violation && (!best || r.schedule.length < best.schedule.length))
      best = { schedule: r.schedule, violation: r.violation };
  }
  return {
    verdict: best ? 'unsafe' : bounded ? 'bounded' : 'safe',
    // Shared: each state was counted once, by whoever reached it first.
    states: shared ? shared.states : states,
    transitions,
    seconds,
    schedule: best?.schedule,
    violation: best?.violation,
    ...(stoppedAtMaxStates ? { stoppedAtMaxStates: true } : {}),
    ...(stoppedAtMaxSeconds ? { stoppedAtMaxSeconds: true } : {}),
  };
}
