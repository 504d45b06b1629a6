/**
 * Steps as data. A kernel operation is planned (validated against the current
 * machine, refusing with a HotplugError before anything changes) into a list
 * of KernelSteps, each named after the kernel function it models. Running them
 * to the end, one at a time, or interleaved with pfn walkers is the caller's
 * choice: the CLI runs them straight through, the explorer schedules them
 * between walker accesses, the stress runner runs them against real threads.
 */
import type { Machine } from '../model/machine.js';
import type { ZoneId } from '../model/page-flags.js';

/** What a step touches, for design write sides and for display. */
export interface StepArgs {
  readonly startPfn?: number;
  readonly endPfn?: number;
  readonly sectionNr?: number;
  readonly zone?: ZoneId;
  readonly pgmap?: string;
  readonly nid?: number;
  /** The memory block, for per-block steps. */
  readonly block?: number;
  /** Device memory (memremap/memunmap) rather than System RAM. */
  readonly device?: boolean;
}

export interface KernelStep {
  /** The kernel function this step models, e.g. 'online_mem_sections'. */
  readonly fn: string;
  readonly args: StepArgs;
  /** A short human description: the range, the section, the zone. */
  readonly detail: string;
  /**
   * Apply the step, atomically with respect to walkers. May return a note
   * learnt while running (the zone zone_for_pfn_range() chose, say).
   */
  run(m: Machine): string | undefined;
  /** A blocking step (an RCU wait, a lock) is enabled only when ready; absent means always. */
  ready?(m: Machine): boolean;
  /**
   * The memory words the step reads and writes, when it can say (RCU steps do);
   * absent means it may touch anything. The explorer's partial-order reduction uses it.
   */
  readonly footprint?: { readonly reads: readonly number[]; readonly writes: readonly number[] };
}

/**
 * A design's write side: what it sets and clears around the core steps (its
 * bitmaps, a grace period). Hooks run at plan time and return extra steps.
 */
export interface WriteSide {
  readonly name: string;
  before?(step: KernelStep, m: Machine): readonly KernelStep[];
  after?(step: KernelStep, m: Machine): readonly KernelStep[];
}

export interface OperationPlan {
  /** The operation's name as a scenario spells it ('add_memory', 'online', ...). */
  readonly op: string;
  readonly summary: string;
  readonly steps: readonly KernelStep[];
}

/** A step whose run may return a note (a string) or nothing. */
export function step(
  fn: string,
  args: StepArgs,
  detail: string,
  run: (m: Machine) => unknown,
  ready?: (m: Machine) => boolean,
): KernelStep {
  return {
    fn,
    args,
    detail,
    run: (m) => {
      const note = run(m);
      return typeof note === 'string' ? note : undefined;
    },
    ready,
  };
}

/** Insert every write side's hook steps around each core step. */
export function weave(m: Machine, core: readonly KernelStep[], sides: readonly WriteSide[]): KernelStep[] {
  if (sides.length === 0) return core.slice();
  const out: KernelStep[] = [];
  for (const s of core) {
    for (const side of sides) if (side.before) out.push(...side.before(s, m));
    out.push(s);
    for (const side of sides) if (side.after) out.push(...side.after(s, m));
  }
  return out;
}
