/**
 * The explorer, one way in: explore a scenario with a design and walkers
 * (every interleaving, or random schedules), replay a schedule, and audit
 * every walker against every design.
 */

import { resolve } from 'node:path';
import type { KernelVersion } from '../arch/geometry.js';
import { designByName } from '../designs/index.js';
import { InputError } from '../errors.js';
import { P_FLAGS } from '../model/layout.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import { PAGE_POISON_PATTERN } from '../model/page-flags.js';
import type { Scenario } from '../scenario/index.js';
import { type WalkerDef, walkerByName } from '../walkers/index.js';
import type { WalkerSpec } from '../walkers/spec.js';
import { parseWalkerSpec } from '../walkers/spec.js';
import { buildProgram, type ExploreOptions, scenarioFrom } from './build.js';
import { randomSearch, replay, type SearchResult, type StepLabel, search } from './engine.js';
import type { JobSpec, SwarmJob } from './job-spec.js';
import type { MachineProgram } from './machine-program.js';
import type { Program } from './program.js';
import type { RedisResults } from './queue.js';
import { SharedStateTable } from './shared-table.js';
import { mergeResults, type SubtreeJob, splitSearch } from './split.js';
import { mergeSwarm, runSwarmHere, SWARM_MAX_STATES, type SwarmSpec, swarmJobs } from './swarm.js';
import { runJobsOnThreads, type SplitProgress } from './threads.js';
import type { ExploreTrace, PageState, TraceSearch, TraceState, TraceStep } from './trace.js';
import { TraceStateReader } from './trace-state.js';

export { parseWalkerSpec, type WalkerSpec } from '../walkers/spec.js';
export type { ExploreOptions, ExploreProgress } from './build.js';
export { modelKernel } from './build.js';
export type { JobSpec, SubtreeJob, SwarmJob } from './job-spec.js';
export { runJob } from './jobs.js';
export type { MemoryModel } from './program.js';
export {
  DEFAULT_LOCK_SECONDS,
  DEFAULT_STALLED_SECONDS,
  QueueError,
  type RedisResults,
  runJobsOnRedis,
  runSwarmOnRedis,
  runWorker,
  type WorkerOptions,
} from './queue.js';
export { memberSeed, SWARM_MAX_STATES, type SwarmSpec } from './swarm.js';
export type { SplitProgress } from './threads.js';
export type { ExploreTrace, TraceSearch } from './trace.js';

/** A walker as the command line names it: with the pfns it walks, if any. */
function walkerText(name: string, pfns: readonly number[] | undefined): string {
  return pfns?.length ? `${name}@${pfns.map((x) => `0x${x.toString(16)}`).join(',')}` : name;
}

/** A schedule as a replay string: thread ids, runs folded as "id*count". */
export function formatSchedule(schedule: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < schedule.length; ) {
    let j = i;
    while (j < schedule.length && schedule[j] === schedule[i]) j++;
    out.push(j - i > 1 ? `${schedule[i]}*${j - i}` : `${schedule[i]}`);
    i = j;
  }
  return out.join(',');
}

/** Longer than any schedule a search prints (those are counterexamples: hundreds of steps at most). */
export const MAX_REPLAY_STEPS = 1_000_000;

export function parseSchedule(text: string): number[] {
  const out: number[] = [];
  for (const token of text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:\*(\d+))?$/.exec(token);
    if (!m) throw new InputError('--replay', `'${token}' is not a thread id or id*count`, text);
    const count = Number(m[2] ?? 1);
    // Checked before expanding: '0*99999999999' would otherwise exhaust memory.
    if (out.length + count > MAX_REPLAY_STEPS)
      throw new InputError(
        '--replay',
        `'${token}' makes the schedule longer than ${MAX_REPLAY_STEPS.toLocaleString('en-US')} steps`,
        text,
      );
    for (let k = 0; k < count; k++) out.push(Number(m[1]));
  }
  if (out.length === 0) throw new InputError('--replay', 'the schedule is empty', text);
  return out;
}

/** What pfn's struct page is now, for highlighting. */
function pageState(p: MachineProgram, pfn: number): PageState {
  const m = p.machine;
  const addr = pageAddress(m.mem.words, m.g, pfn);
  if (addr === NULL || !m.mem.isLive(addr)) return 'freed';
  if (m.mem.words[addr + P_FLAGS] !== PAGE_POISON_PATTERN) return 'initialized';
  return ['uninitialized', 'driver-reserved'].includes(m.truthOf(pfn).state) ? 'uninitialized' : 'poisoned';
}

function traceSteps(
  opts: ExploreOptions,
  schedule: readonly number[],
): { steps: TraceStep[]; initial: TraceState; error?: string } {
  const p = buildProgram(opts);
  const states: { held: TraceStep['held']; state: TraceState }[] = [];
  // Replay, noting the held pages' states and the RCU and lock state after each step.
  const reader = new TraceStateReader(p.machine.mem.words, opts.walkers.length);
  const initial = reader.after(undefined);
  const labels: StepLabel[] = [];
  const r = replay(p, schedule, (label) => {
    labels.push(label);
    states.push({
      held: label.held.map((h) => ({ thread: h.thread, pfn: h.pfn, page: pageState(p, h.pfn) })),
      state: reader.after(label.thread, label.held),
    });
  });
  const steps = labels.map((l, i) => ({
    index: i + 1,
    thread: l.thread,
    fn: l.fn,
    detail: l.access ? `${l.detail}: ${l.access}` : l.detail,
    ...(l.pfn !== undefined ? { pfn: l.pfn } : {}),
    ...(states[i].held?.length ? { held: states[i].held } : {}),
    state: states[i].state,
  }));
  return { steps, initial, error: r.error };
}

/** A word the shell passes through unchanged. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

/** pfnlab explore with every option that shapes the program (see ExploreTrace.command). */
function exploreCommand(
  opts: ExploreOptions,
  kernel: KernelVersion,
  from: number,
  walkers: readonly string[],
): string {
  const args = [
    opts.scenarioRef ?? scenarioRef(opts.scenario),
    '--design',
    opts.designRef ?? opts.design.name,
    '--kernel',
    kernel,
    '--from',
    String(from),
    ...walkers.flatMap((w) => ['--walker', w]),
    ...(opts.memoryModel === 'lkmm' ? ['--memory-model', 'lkmm'] : []),
  ];
  return `pfnlab explore ${args.map(shellWord).join(' ')}`;
}

/** The name explore takes for a scenario: a built-in's name, a file's or directory's path. */
function scenarioRef(s: Scenario): string {
  return s.source.replace(/^(builtin|import):/, '');
}

function toTrace(
  opts: ExploreOptions,
  program: MachineProgram,
  r: SearchResult,
  search: TraceSearch,
): ExploreTrace {
  const threads = [
    { id: 0, name: 'writer', kind: 'writer' as const },
    ...opts.walkers.map((w, i) => ({ id: i + 1, name: w.walker.name, kind: 'walker' as const })),
  ];
  const traced = r.schedule ? traceSteps(opts, r.schedule) : undefined;
  const steps = traced?.steps ?? [];
  const kernel = program.machine.g.kernel;
  const from = scenarioFrom(opts.scenario, opts.from);
  // Walkers with the pfns they walked (chosen from the scenario when not given): the same program.
  const walkers = walkerTexts(opts, program);
  return {
    format: 'pfnlab-explore-trace',
    version: 1,
    scenario: opts.scenarioRef ?? scenarioRef(opts.scenario),
    design: opts.design.name,
    kernel,
    from,
    walkers,
    ...(opts.memoryModel === 'lkmm' ? { memoryModel: 'lkmm' as const } : {}),
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    seconds: Math.round(r.seconds * 1000) / 1000,
    threads,
    steps,
    ...(traced ? { initialState: traced.initial } : {}),
    ...(r.violation
      ? {
          violation: {
            kind: r.violation.kind,
            thread: r.violation.thread,
            pfn: r.violation.pfn,
            message: r.violation.message,
          },
        }
      : {}),
    ...(r.schedule ? { replay: formatSchedule(r.schedule) } : {}),
    search,
    command: exploreCommand(opts, kernel, from, walkers),
  };
}

/** What an exhaustive or random search was asked to do, for the trace. */
function searchOf(opts: ExploreOptions, r: SearchResult): TraceSearch {
  if (opts.random) return { mode: 'random', runs: opts.random.runs, seed: opts.random.seed };
  return {
    mode: 'exhaustive',
    ...(opts.preemptionBound !== undefined ? { preemptionBound: opts.preemptionBound } : {}),
    ...(opts.firstViolation ? { firstViolation: true } : {}),
    ...(opts.maxStates !== undefined ? { maxStates: opts.maxStates } : {}),
    ...(r.stoppedAtMaxStates ? { stoppedAtMaxStates: true } : {}),
    ...(opts.maxSeconds !== undefined ? { maxSeconds: opts.maxSeconds } : {}),
    ...(r.stoppedAtMaxSeconds ? { stoppedAtMaxSeconds: true } : {}),
  };
}

/** The random schedules' generator (mulberry32) keeps 32 bits of its seed: a larger one repeats a smaller one's runs. */
export const MAX_RANDOM_SEED = 2 ** 32 - 1;

function checkSeed(seed: number | undefined) {
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_RANDOM_SEED))
    throw new InputError('--seed', `must be an integer 0..${MAX_RANDOM_SEED}, got ${seed}`, seed);
}

/** Explore every interleaving (or random ones) of the scenario's operations with the walkers. */
export function explore(opts: ExploreOptions): ExploreTrace {
  checkSeed(opts.random?.seed);
  const program = buildProgram(opts);
  const result = opts.random
    ? randomSearch(program, opts.random.runs, opts.random.seed)
    : search(program, {
        preemptionBound: opts.preemptionBound,
        firstViolation: opts.firstViolation,
        maxStates: opts.maxStates,
        maxSeconds: opts.maxSeconds,
        progress: opts.progress,
      });
  return toTrace(opts, program, result, searchOf(opts, result));
}

/** How a large exhaustive search is split (see split.ts). */
export interface SplitOptions {
  /** Worker threads (1: no split). */
  readonly threads: number;
  /** Subtree jobs (default 8 per thread). */
  readonly jobs?: number;
  /**
   * A search that ends within this many states is not split (its output is the one-thread
   * output); 0 splits every search, on one thread too (to measure the split itself).
   */
  readonly after?: number;
  /** Run the jobs elsewhere (BullMQ workers) instead of on local threads. */
  readonly run?: (jobs: SubtreeJob[], progress: (p: SplitProgress) => void) => Promise<SearchResult[]>;
}

/**
 * 2^26 slots: room for 60 million states (1.3 GB at most, committed as the table fills: states
 * land on random pages, so a search of a few million states commits most of it; a full table
 * stops the search as --max-states would, and the verdict names the states it covered). 2^24
 * held 15 million: too few for issue 19's three-walker case (31.7 million).
 */
const SHARED_TABLE_BITS = 26;

/**
 * Searches that end within this many states run on one thread (a few CPU seconds): splitting
 * costs each thread its own program and learning, and a split search's probe is lost work.
 */
export const SPLIT_AFTER_STATES = 1_000_000;

/**
 * explore(), with an exhaustive search that outgrows `after` states split into subtree jobs run
 * on worker threads (or by `split.run`). Random, bounded (--bound, --max-states) and small searches
 * are explore()'s own.
 */
export async function exploreSplit(opts: ExploreOptions, split: SplitOptions): Promise<ExploreTrace> {
  const spec = jobSpec(opts);
  const local = split.run === undefined;
  if (
    opts.random ||
    opts.preemptionBound !== undefined ||
    opts.maxStates !== undefined ||
    !spec ||
    (local && split.threads <= 1 && split.after !== 0)
  )
    return explore(opts);
  const after = split.after ?? SPLIT_AFTER_STATES;
  const started = performance.now();
  if (after > 0) {
    const small = explore({ ...opts, maxStates: after });
    if (!small.search?.stoppedAtMaxStates) {
      // Ended within the probe: the one-thread search, whose trace names no state limit.
      const { maxStates: _, ...search } = small.search!;
      return { ...small, search };
    }
  }
  const program = buildProgram(opts);
  const jobs = split.jobs ?? 8 * Math.max(1, split.threads);
  // Threads of one machine share their visited states; remote workers cannot.
  const shared = local ? SharedStateTable.create(SHARED_TABLE_BITS) : undefined;
  const s = splitSearch(program, jobs, shared);
  const subtrees = s.prefixes.map((prefix, index) => ({
    spec: { ...spec, walkers: walkerTexts(opts, program) },
    index,
    prefix,
    ...(shared ? { shared: shared.handle } : {}),
  }));
  const progress = (p: SplitProgress) =>
    opts.progress?.({
      states: s.states + p.states,
      seconds: (performance.now() - started) / 1000,
      jobs: { done: p.done, total: p.jobs },
    });
  const results = split.run
    ? await split.run(subtrees, progress)
    : await runJobsOnThreads(subtrees, split.threads, progress);
  const result = mergeResults(s, results, (performance.now() - started) / 1000, shared);
  return toTrace(opts, program, result, {
    ...searchOf(opts, result),
    ...(shared?.full ? { maxStates: shared.states } : {}),
    jobs: subtrees.length,
    ...(local ? { threads: split.threads } : {}),
  });
}

/** A swarm (swarm.ts): its members, seed and runs, and where they run. */
export interface SwarmOptions extends SwarmSpec {
  /** Run the members elsewhere (BullMQ workers) instead of one after another here. */
  readonly run?: (jobs: SwarmJob[], progress: (p: SplitProgress) => void) => Promise<RedisResults>;
}

/**
 * A swarm of independently seeded searches (swarm.ts): the counterexample of the first member to
 * find one, replayable here, or what the members covered (no proof). The options' bounds
 * (maxStates, maxSeconds, preemptionBound, firstViolation) bound each member's depth-first search.
 */
export async function exploreSwarm(opts: ExploreOptions, swarm: SwarmOptions): Promise<ExploreTrace> {
  checkSeed(swarm.seed);
  const program = buildProgram(opts);
  const named = jobSpec(opts);
  if (!named && swarm.run)
    throw new InputError(
      'explore',
      'a swarm on workers needs a built-in design or a module path',
      opts.design.name,
    );
  const spec: JobSpec = {
    ...(named ?? { scenario: opts.scenario, design: opts.design.name, walkers: [] }),
    walkers: walkerTexts(opts, program),
    ...(opts.preemptionBound !== undefined ? { preemptionBound: opts.preemptionBound } : {}),
    ...(swarm.runs === undefined ? { maxStates: opts.maxStates ?? SWARM_MAX_STATES } : {}),
  };
  const jobs = swarmJobs(spec, swarm);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let last = -1;
  const progress = (p: SplitProgress) => {
    if (seconds() - last < 1) return;
    last = seconds();
    opts.progress?.({ states: p.states, seconds: last, jobs: { done: p.done, total: p.jobs } });
  };
  const { results, order } = swarm.run ? await swarm.run(jobs, progress) : runHere(program, jobs, progress);
  const merged = mergeSwarm(results, order, seconds());
  return toTrace(opts, program, merged.result, {
    mode: 'swarm',
    swarm: swarm.members,
    seed: swarm.seed,
    ...(swarm.runs !== undefined ? { runs: swarm.runs } : { maxStates: spec.maxStates }),
    ...(spec.maxSeconds !== undefined ? { maxSeconds: spec.maxSeconds } : {}),
    ...(spec.preemptionBound !== undefined ? { preemptionBound: spec.preemptionBound } : {}),
    ...(spec.firstViolation ? { firstViolation: true } : {}),
    finished: merged.finished,
    ...(merged.winner !== undefined ? { winner: merged.winner } : {}),
  });
}

/** A swarm's members one after another here: their results, in member order. */
function runHere(program: Program, jobs: SwarmJob[], progress: (p: SplitProgress) => void): RedisResults {
  const results = runSwarmHere(program, jobs, (done, states) =>
    progress({ done, jobs: jobs.length, states }),
  );
  return { results, order: results.flatMap((r, i) => (r ? [i] : [])) };
}

/** The job spec of an exhaustive search, or undefined when its design cannot be named to a worker. */
function jobSpec(opts: ExploreOptions): JobSpec | undefined {
  const ref = opts.designRef ?? opts.design.name;
  const builtin = designByName(ref);
  const design = builtin ? ref : /[/\\]|\.m?js$/.test(ref) ? resolve(ref) : undefined;
  // Under lkmm a search runs on one thread: jobs do not carry the memory model.
  if (!design || (builtin && builtin !== opts.design) || opts.memoryModel === 'lkmm') return undefined;
  return {
    scenario: opts.scenario,
    design,
    kernel: opts.kernel,
    walkers: [],
    from: opts.from,
    maxSeconds: opts.maxSeconds,
    firstViolation: opts.firstViolation,
  };
}

/** The walkers with the pfns they walk (chosen from the scenario when not given). */
function walkerTexts(opts: ExploreOptions, program: MachineProgram): string[] {
  return opts.walkers.map((w, i) => walkerText(w.walker.name, program.targets[i]));
}

/** Run one schedule (a replay string) and report what happened. */
export function replaySchedule(opts: ExploreOptions, replayString: string): ExploreTrace {
  const schedule = parseSchedule(replayString);
  const program = buildProgram(opts);
  const r = replay(program, schedule);
  if (r.error) throw new InputError('--replay', r.error, replayString);
  const result: SearchResult = {
    verdict: r.violation ? 'unsafe' : 'bounded',
    states: schedule.length,
    transitions: schedule.length,
    seconds: 0,
    schedule: r.violation ? schedule.slice(0, r.labels.length) : schedule,
    violation: r.violation,
  };
  return toTrace(opts, program, result, { mode: 'replay' });
}

/** The walkers a scenario names (scenario.walkers), or pfn-walker; a bad one is blamed on the file. */
export function scenarioWalkers(s: Scenario): WalkerSpec[] {
  if (!s.walkers.length) return [{ walker: walkerByName('pfn-walker')! }];
  return s.walkers.map((w, i) => parseWalkerSpec(w, `${s.source}: $.walkers[${i}]`, s.geometry));
}

export type { WalkerDef };
