/**
 * An exploration's program from its options: the scenario on the kernel the design is explored
 * on, its first operations run, the walkers bound. Shared by a local search and by the jobs of a
 * split one (worker threads, BullMQ workers), which rebuild it from a JobSpec.
 */
import type { KernelVersion } from '../arch/geometry.js';
import type { Design } from '../designs/design.js';
import { InputError } from '../errors.js';
import { type FlagWord, isOrderingLoad } from '../lkmm/index.js';
import { MemKind } from '../model/memory.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';
import type { WalkerSpec } from '../walkers/spec.js';
import { type MachineProgram, machineProgram } from './machine-program.js';
import type { MemoryModel } from './program.js';
import type { ViolationKind } from './trace.js';

/** How far a search got (about once a second): a split search adds its jobs done of all. */
export interface ExploreProgress {
  readonly states: number;
  readonly depth?: number;
  readonly seconds: number;
  readonly jobs?: { readonly done: number; readonly total: number };
}

export interface ExploreOptions {
  readonly scenario: Scenario;
  /** How the user named the scenario, for the trace and its command (default: its source). */
  readonly scenarioRef?: string;
  readonly design: Design;
  /** How the user named the design, e.g. a module path (default: its name). */
  readonly designRef?: string;
  /** The kernel the model and the walkers follow (default: modelKernel()). */
  readonly kernel?: KernelVersion;
  readonly walkers: readonly WalkerSpec[];
  /** Operations done before exploring (default: the scenario's explore.from, else 0). */
  readonly from?: number;
  readonly preemptionBound?: number;
  /** Random schedules instead of every interleaving. */
  readonly random?: { readonly runs: number; readonly seed: number };
  readonly firstViolation?: boolean;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly progress?: (p: ExploreProgress) => void;
  /** Count only violations of these kinds (pfnlab bugs looks for one bug's); default every kind. */
  readonly onlyViolations?: readonly ViolationKind[];
  /** sc (default): accesses in program order; lkmm: walkers' loads may be satisfied early. */
  readonly memoryModel?: MemoryModel;
}

const FLAG_KINDS: Record<FlagWord, MemKind> = {
  mem_section: MemKind.SectionRoot,
  usage: MemKind.Usage,
  pgmap: MemKind.PgmapTable,
};

/** The kinds of memory whose lookup loads the design declares acquire (or rcu_dereference()). */
export function acquireKinds(design: Design): Set<number> {
  const kinds = new Set<number>();
  for (const p of design.accesses?.protocols ?? [])
    if (p.word && isOrderingLoad(p.load.marking)) kinds.add(FLAG_KINDS[p.word]);
  return kinds;
}

/**
 * The kernel a design is explored on: the one asked for, else the design's own (the kernel it is
 * judged on, as audit runs it), else the scenario's.
 */
export function modelKernel(design: Design, scenario: Scenario, kernel?: KernelVersion): KernelVersion {
  return kernel ?? design.kernel ?? scenario.geometry.kernel;
}

/** The scenario on the kernel the exploration follows. */
export function modelScenario(opts: ExploreOptions): Scenario {
  return scenarioWithKernel(opts.scenario, modelKernel(opts.design, opts.scenario, opts.kernel));
}

/** Operations done before exploring; a bad count is blamed on where it came from (--from or the file). */
export function scenarioFrom(s: Scenario, from: number | undefined): number {
  const fromFile = (s.explore as { from?: number } | undefined)?.from;
  const f = from ?? fromFile ?? 0;
  const where = from === undefined ? `${s.source}: $.explore.from` : '--from';
  if (f > s.steps.length) throw new InputError(where, `the scenario has only ${s.steps.length} steps`, f);
  return f;
}

export function buildProgram(opts: ExploreOptions): MachineProgram {
  const scenario = modelScenario(opts);
  const program = machineProgram({
    scenario,
    design: opts.design,
    walkers: opts.walkers,
    from: scenarioFrom(scenario, opts.from),
  });
  // The program's methods keep their state on it: set the filter on the object itself.
  if (opts.onlyViolations) Object.assign(program, { onlyViolations: new Set(opts.onlyViolations) });
  if (opts.memoryModel === 'lkmm')
    Object.assign(program, { memoryModel: 'lkmm', acquireKinds: acquireKinds(opts.design) });
  return program;
}
