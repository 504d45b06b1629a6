/**
 * The jobs a search is cut into, for worker threads and BullMQ workers alike: plain data
 * (structured-clone and JSON safe) from which any machine rebuilds the program and runs its part.
 * A subtree job explores under a schedule prefix (split.ts); a swarm member runs a seeded search
 * (swarm.ts). A job is a pure function of its data: run twice (a retried job), it answers the same.
 */
import type { KernelVersion } from '../arch/geometry.js';
import { designByName, loadDesign } from '../designs/index.js';
import type { Scenario } from '../scenario/index.js';
import { parseWalkerSpec } from '../walkers/spec.js';
import { buildProgram } from './build.js';
import type { Program } from './program.js';
import type { SharedTableHandle } from './shared-table.js';

/** What a job needs to rebuild the program anywhere, and the bounds of its search. */
export interface JobSpec {
  readonly scenario: Scenario;
  /** A design name, or the absolute path of a design module (on a worker's machine too). */
  readonly design: string;
  readonly kernel?: KernelVersion;
  /** Walkers as the command line names them: kpageflags@0xc8000. */
  readonly walkers: readonly string[];
  readonly from?: number;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly firstViolation?: boolean;
  /** A swarm member's depth-first search: at most this many preemptions after its prefix. */
  readonly preemptionBound?: number;
}

/** A subtree of one exhaustive search: every schedule that starts with `prefix`. */
export interface SubtreeJob {
  readonly spec: JobSpec;
  /** Visited states shared by the threads of one machine. */
  readonly shared?: SharedTableHandle;
  /** The job's position in the split (ties between counterexamples go to the lower). */
  readonly index: number;
  readonly prefix: readonly number[];
}

/** One member of a swarm: `runs` random schedules from `seed`, or without runs a bounded search under a random prefix. */
export interface SwarmJob {
  readonly spec: JobSpec;
  /** The member's number in the swarm (0 is seeded with the swarm's own seed). */
  readonly index: number;
  readonly member: { readonly seed: number; readonly runs?: number };
}

export type ExploreJob = SubtreeJob | SwarmJob;

export function isSwarmJob(job: ExploreJob): job is SwarmJob {
  return 'member' in job;
}

const programs = new Map<string, Program>();

/** A worker keeps the program of its last spec: jobs of one search share it (a search leaves memory as it found it). */
export async function jobProgram(spec: JobSpec): Promise<Program> {
  const bounds = { maxStates: 0, maxSeconds: 0, firstViolation: false, preemptionBound: 0 };
  const id = JSON.stringify({ ...spec, ...bounds });
  const known = programs.get(id);
  if (known) return known;
  const design = designByName(spec.design) ?? (await loadDesign(spec.design));
  const program = buildProgram({
    scenario: spec.scenario,
    design,
    kernel: spec.kernel,
    walkers: spec.walkers.map((w) => parseWalkerSpec(w, '--walker', spec.scenario.geometry)),
    from: spec.from,
  });
  programs.clear();
  programs.set(id, program);
  return program;
}
