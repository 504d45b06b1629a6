/**
 * Running a scenario: boot, then each step's kernel steps in order, keeping a
 * log. The machine after any prefix (N operations, or N operations and k
 * kernel steps of the next) is what `pfnlab pfn --after`, the viewer's slider
 * and the comparison runs look at.
 */
import type { Geometry } from '../arch/geometry.js';
import { type Errno, HotplugError, PfnlabError } from '../errors.js';
import type { HotplugSettings } from '../model/hotplug-settings.js';
import { Machine, type MachineOptions } from '../model/machine.js';
import { planBootOperation, planOperation, type StepRecord } from './index.js';
import type { BootRange, OpSpec } from './spec.js';
import type { KernelStep, OperationPlan, WriteSide } from './step.js';

export interface ScenarioInput {
  readonly name: string;
  readonly geometry: Geometry;
  readonly boot: readonly BootRange[];
  readonly steps: readonly OpSpec[];
  /** auto_online_blocks, online_policy, auto_movable_ratio (default: the kernel's). */
  readonly hotplug?: HotplugSettings;
  /** page_owner=on: sections get a page_ext while online. */
  readonly pageOwner?: boolean;
  /** Where it was read from (a path, "builtin:NAME"): a refused boot range or step names it. */
  readonly source?: string;
}

/**
 * A boot range or step the kernel refuses names the scenario it is in ("$.steps[3]" alone does not
 * say which file): the error keeps its class, its message gains the scenario's file or name.
 */
export function inScenario(s: Pick<ScenarioInput, 'source'>, e: unknown): unknown {
  if ((e instanceof ScenarioStepError || e instanceof HotplugError) && s.source)
    e.message = `${s.source.replace(/^builtin:/, '')}: ${e.message}`;
  return e;
}

export interface OperationLog {
  /** 0 is boot; scenario step i is i + 1. */
  readonly index: number;
  readonly op: string;
  readonly summary: string;
  readonly steps: StepRecord[];
  /** Set when the operation was refused (as the scenario expected). */
  readonly refused?: { readonly errno: Errno; readonly message: string };
}

export interface RunOptions extends MachineOptions {
  readonly sides?: readonly WriteSide[];
  /** Called with the new machine before boot; returns the write sides to weave in (overrides `sides`). */
  readonly prepare?: (m: Machine) => readonly WriteSide[];
  /** Stop after this many operations (boot counts as none: 0 = just after boot). */
  readonly operations?: number;
  /** Called after every kernel step, with the machine as the step left it. */
  readonly onStep?: (m: Machine, op: OperationLog, step: KernelStep, record: StepRecord) => void;
  /** Called after every operation. */
  readonly onOperation?: (m: Machine, op: OperationLog) => void;
}

/** A scenario step that was refused (or was expected to be and was not), naming the step. */
export class ScenarioStepError extends PfnlabError {
  constructor(
    readonly stepIndex: number,
    readonly errno: Errno | undefined,
    message: string,
  ) {
    super(`$.steps[${stepIndex}]: ${message}`, stepIndex);
  }
}

function runSteps(m: Machine, plan: OperationPlan, log: OperationLog, opts: RunOptions): void {
  for (const s of plan.steps) {
    if (s.ready && !s.ready(m))
      throw new Error(`${plan.op}: step ${s.fn} would block with no other thread running`);
    const note = s.run(m);
    const record: StepRecord = { fn: s.fn, detail: s.detail, note };
    log.steps.push(record);
    opts.onStep?.(m, log, s, record);
  }
}

/** Plan one scenario step, honouring `expect`; returns undefined when it was refused as expected. */
function planStep(
  m: Machine,
  spec: OpSpec,
  i: number,
  sides: readonly WriteSide[],
): OperationPlan | HotplugError {
  try {
    const plan = planOperation(m, spec, sides);
    if (spec.expect) {
      throw new ScenarioStepError(
        i,
        undefined,
        `${spec.op} was expected to fail with -${spec.expect} but succeeds`,
      );
    }
    return plan;
  } catch (e) {
    if (!(e instanceof HotplugError) || e instanceof ScenarioStepError) throw e;
    if (spec.expect === e.errno) return e;
    const why = spec.expect ? ` (expected -${spec.expect})` : '';
    throw new ScenarioStepError(i, e.errno, `${e.message}${why}`);
  }
}

export interface ScenarioResult {
  readonly machine: Machine;
  readonly log: OperationLog[];
  /** The write sides woven into every operation. */
  readonly sides: readonly WriteSide[];
}

export function bootScenario(s: ScenarioInput, opts: RunOptions = {}): ScenarioResult {
  const m = new Machine(s.geometry, {
    ...opts,
    ...(s.hotplug ? { hotplug: s.hotplug } : {}),
    ...(s.pageOwner ? { pageOwner: true } : {}),
  });
  const sides = opts.prepare ? opts.prepare(m) : (opts.sides ?? []);
  const plan = planBootOperation(m, s.boot, sides);
  const log: OperationLog = { index: 0, op: 'boot', summary: plan.summary, steps: [] };
  runSteps(m, plan, log, opts);
  opts.onOperation?.(m, log);
  return { machine: m, log: [log], sides };
}

/** Boot and run a scenario's operations (all of them, or the first `opts.operations`). */
export function runScenario(s: ScenarioInput, opts: RunOptions = {}): ScenarioResult {
  try {
    return runAll(s, opts);
  } catch (e) {
    throw inScenario(s, e);
  }
}

function runAll(s: ScenarioInput, opts: RunOptions): ScenarioResult {
  const { machine: m, log, sides } = bootScenario(s, opts);
  const count = Math.min(opts.operations ?? s.steps.length, s.steps.length);
  for (let i = 0; i < count; i++) {
    const spec = s.steps[i];
    const planned = planStep(m, spec, i, sides);
    if (planned instanceof HotplugError) {
      const entry: OperationLog = {
        index: i + 1,
        op: spec.op,
        summary: `${spec.op} refused as expected`,
        steps: [],
        refused: { errno: planned.errno, message: planned.message },
      };
      log.push(entry);
      opts.onOperation?.(m, entry);
      continue;
    }
    const entry: OperationLog = { index: i + 1, op: planned.op, summary: planned.summary, steps: [] };
    runSteps(m, planned, entry, opts);
    log.push(entry);
    opts.onOperation?.(m, entry);
  }
  return { machine: m, log, sides };
}
