/**
 * The kernel operations, one way in: plan an operation against a machine
 * (refusing before anything changes), then run its steps.
 */
import type { Machine } from '../model/machine.js';
import { planAddMemory } from './add-memory.js';
import { planBoot } from './boot.js';
import { planMemremap } from './memremap.js';
import { planMemunmap } from './memunmap.js';
import { planOffline } from './offline.js';
import { planOnline } from './online.js';
import { planPin } from './pin.js';
import { planRemove } from './remove.js';
import type { BootRange, OpSpec } from './spec.js';
import { type OperationPlan, type WriteSide, weave } from './step.js';

export type { BootRange, OpSpec } from './spec.js';
export { OP_NAMES } from './spec.js';
export type { KernelStep, OperationPlan, StepArgs, WriteSide } from './step.js';

function planCore(m: Machine, spec: OpSpec): OperationPlan {
  switch (spec.op) {
    case 'add_memory':
      return planAddMemory(m, spec);
    case 'online':
      return planOnline(m, spec);
    case 'offline':
      return planOffline(m, spec);
    case 'remove':
      return planRemove(m, spec);
    case 'memremap':
      return planMemremap(m, spec);
    case 'memunmap':
      return planMemunmap(m, spec);
    case 'pin':
    case 'unpin':
      return planPin(m, spec);
  }
}

/** Validate spec against m and return its steps with every write side's hooks woven in. */
export function planOperation(m: Machine, spec: OpSpec, sides: readonly WriteSide[] = []): OperationPlan {
  const plan = planCore(m, spec);
  return { ...plan, steps: weave(m, plan.steps, sides) };
}

export function planBootOperation(
  m: Machine,
  ranges: readonly BootRange[],
  sides: readonly WriteSide[] = [],
): OperationPlan {
  const plan = planBoot(m, ranges);
  return { ...plan, steps: weave(m, plan.steps, sides) };
}

export interface StepRecord {
  readonly fn: string;
  readonly detail: string;
  readonly note?: string;
}

/** Run a plan's steps in order. A step that would block (nobody else runs here) is a bug. */
export function runPlan(
  m: Machine,
  plan: OperationPlan,
  onStep?: (r: StepRecord, index: number) => void,
): void {
  plan.steps.forEach((s, i) => {
    if (s.ready && !s.ready(m))
      throw new Error(`${plan.op}: step ${s.fn} would block with no other thread running`);
    const note = s.run(m);
    onStep?.({ fn: s.fn, detail: s.detail, note }, i);
  });
}

/** Plan and run one operation. */
export function applyOperation(m: Machine, spec: OpSpec, sides: readonly WriteSide[] = []): OperationPlan {
  const plan = planOperation(m, spec, sides);
  runPlan(m, plan);
  return plan;
}
