/**
 * The stress writer, on the main thread: it cycles the scenario's operations
 * forever, each planned with src/ops against the machine as it then is and
 * woven with the design's write side, exactly as the CLI and the explorer
 * plan them. Steps run one at a time; where a step would block it waits for
 * real, without freezing the event loop (worker messages and exits, timers):
 *
 * - a grace-period step (synchronize_rcu in the design's write side) runs on
 *   the shared RCU backend: flips with Atomics, waits by spinning then
 *   sleeping on the futex word with Atomics.waitAsync;
 * - mem_hotplug_begin sets block (new readers wait), readers_active_check
 *   takes the lock word with compareExchange once the readers inside have
 *   left; mem_hotplug_done releases it and wakes the readers waiting for it;
 * - any other guarded step (wait_for_completion on a pgmap's references) is
 *   polled, sleeping 50 us between looks.
 *
 * The cycle is derived from the scenario: every add_memory range goes
 * add_memory -> online (with the scenario's zone for it) -> offline -> remove,
 * every memremap goes memremap -> memunmap; all ranges come up in the
 * scenario's order, then go down in the same order. pin/unpin and steps the
 * scenario expects to be refused are left out.
 */

import { HotplugError, InputError } from '../errors.js';
import type { Machine } from '../model/machine.js';
import { planOperation } from '../ops/index.js';
import type { OnlineSpec, OpSpec } from '../ops/spec.js';
import type { WriteSide } from '../ops/step.js';
import { rcuStepOf } from '../rcu/memb.js';
import { RcuAborted, type SharedRcu, sleepOn, type WaitOptions } from '../rcu/shared.js';
import type { Scenario } from '../scenario/index.js';
import { hex, memRange } from '../units.js';
import type { Control } from './control.js';
import type { OpRange } from './detector.js';
import { hotplugBlockReaders, hotplugWaitReaders, hotplugWriteUnlock } from './thread-ctx.js';

export interface CycleOp extends OpRange {
  readonly spec: OpSpec;
  readonly label: string;
}

function overlaps(a: { start: number; size: number }, b: { start: number; size: number }): boolean {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

/** The operations the writer cycles through, derived from a scenario's steps. */
export function deriveCycle(s: Scenario): CycleOp[] {
  const page = s.geometry.pageSize;
  const up: CycleOp[] = [];
  const down: CycleOp[] = [];
  const ram = (spec: OpSpec, start: number, size: number, isUp: boolean): CycleOp => ({
    spec,
    label: `${spec.op} ${memRange(start, start + size)}`,
    startPfn: start / page,
    endPfn: (start + size) / page,
    up: isUp,
  });
  for (const spec of s.steps) {
    if (spec.expect) continue;
    if (spec.op === 'add_memory') {
      const r = { start: spec.start, size: spec.size };
      const online = s.steps.find((o): o is OnlineSpec => o.op === 'online' && !o.expect && overlaps(o, r));
      up.push(
        ram({ op: 'add_memory', start: r.start, size: r.size, node: spec.node }, r.start, r.size, true),
        ram({ op: 'online', start: r.start, size: r.size, zone: online?.zone }, r.start, r.size, true),
      );
      down.push(
        ram({ op: 'offline', start: r.start, size: r.size }, r.start, r.size, false),
        ram({ op: 'remove', start: r.start, size: r.size }, r.start, r.size, false),
      );
    } else if (spec.op === 'memremap') {
      const { expect: _, ...map } = spec;
      const range = { startPfn: spec.start / page, endPfn: (spec.start + spec.size) / page };
      up.push({ spec: map, label: `memremap ${spec.type} ${spec.id}`, ...range, up: true });
      down.push({ spec: { op: 'memunmap', id: spec.id }, label: `memunmap ${spec.id}`, ...range, up: false });
    }
  }
  if (up.length === 0) {
    throw new InputError(
      s.source,
      'the scenario has no add_memory or memremap step: the stress writer has nothing to cycle',
    );
  }
  return [...up, ...down];
}

export interface WriterStats {
  /** Whole cycles done. */
  cycles: number;
  operations: number;
  kernelSteps: number;
  /** Wall time of each synchronize_rcu() the write side asked for, in ms. */
  readonly gracePeriodMs: number[];
  /** Each operation's step names as last planned (for naming where a violation happened). */
  readonly stepNames: string[][];
}

/** Where the writer was when the deadline abandoned one of its waits. */
export interface DeadlineStop {
  /** The operation (its cycle label) and the kernel step whose wait was given up. */
  readonly operation: string;
  readonly step: string;
  readonly detail: string;
  /** How long that step had waited. */
  readonly waitedMs: number;
  /** How long the grace period had lasted, when the step was part of synchronize_rcu(). */
  readonly gracePeriodMs?: number;
}

export interface WriterOptions {
  readonly rcu?: SharedRcu;
  readonly wait?: WaitOptions;
}

const pauseWord = new Int32Array(new SharedArrayBuffer(4));

/** Sleep about `ms` without blocking the event loop. */
export function pause(ms: number): Promise<void> {
  return sleepOn(pauseWord, 0, 0, ms);
}

/** Let the event loop run (messages, exits, timers) between operations. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The step the writer is running, for saying where a deadline stopped it. */
interface Running {
  readonly index: number;
  readonly fn: string;
  readonly detail: string;
  readonly since: number;
  /** When the grace period this step belongs to began (-1: not in one). */
  readonly gpStart: number;
}

export class StressWriter {
  readonly stats: WriterStats;
  /** Set when the deadline gave up a wait of the writer's (the run's end, not an error). */
  deadlineStop: DeadlineStop | undefined;
  private aborted = false;
  private deadline = Number.POSITIVE_INFINITY;
  private running: Running | undefined;
  /** Every wait gives up when the run is aborted (a stall) or its deadline has passed. */
  private readonly isAborted = () => this.aborted || performance.now() >= this.deadline;
  private readonly wait: WaitOptions;

  constructor(
    private readonly m: Machine,
    private readonly side: WriteSide,
    readonly cycle: readonly CycleOp[],
    private readonly control: Control,
    private readonly opts: WriterOptions = {},
  ) {
    this.stats = {
      cycles: 0,
      operations: 0,
      kernelSteps: 0,
      gracePeriodMs: [],
      stepNames: cycle.map(() => []),
    };
    this.wait = { ...opts.wait, aborted: this.isAborted };
  }

  /** Give up every wait now (they throw RcuAborted): the walkers that would end them are gone. */
  abort(): void {
    this.aborted = true;
  }

  /**
   * Cycle until `stop()` says so (asked before every operation) or the
   * deadline (performance.now() ms) passes. A wait still running at the
   * deadline (a grace period held up by a reader, mem_hotplug_lock's
   * readers) is given up there, as a stall gives it up, and recorded in
   * `deadlineStop`: the run ends on time however slow grace periods are.
   */
  async run(stop: () => boolean, deadline = Number.POSITIVE_INFINITY): Promise<void> {
    this.deadline = deadline;
    try {
      await this.cycleUntil(stop);
    } catch (e) {
      if (!(e instanceof RcuAborted) || this.aborted || !this.running) throw e;
      this.deadlineStop = this.whereStopped(this.running);
    } finally {
      this.running = undefined;
    }
  }

  private async cycleUntil(stop: () => boolean): Promise<void> {
    for (;;) {
      for (let i = 0; i < this.cycle.length; i++) {
        if (stop() || performance.now() >= this.deadline) return;
        await this.runOperation(i);
        this.stats.operations++;
        await yieldToEventLoop();
      }
      this.stats.cycles++;
    }
  }

  private whereStopped(r: Running): DeadlineStop {
    const now = performance.now();
    return {
      operation: this.cycle[r.index].label,
      step: r.fn,
      detail: r.detail,
      waitedMs: now - r.since,
      ...(r.gpStart >= 0 ? { gracePeriodMs: now - r.gpStart } : {}),
    };
  }

  private async runOperation(index: number): Promise<void> {
    const { m } = this;
    const op = this.cycle[index];
    let steps: ReturnType<typeof planOperation>['steps'];
    try {
      steps = planOperation(m, op.spec, [this.side]).steps;
    } catch (e) {
      if (!(e instanceof HotplugError)) throw e;
      throw new InputError('stress', `the writer's cycle cannot ${op.label}: ${e.message}`, hex(op.startPfn));
    }
    this.stats.stepNames[index] = steps.map((s) => s.fn);
    const words = m.mem.words;
    let gpStart = -1;
    for (let j = 0; j < steps.length; j++) {
      const s = steps[j];
      this.control.publish(this.stats.cycles, index, j);
      const r = rcuStepOf(s);
      if (r && this.opts.rcu && gpStart < 0) gpStart = performance.now();
      this.running = { index, fn: s.fn, detail: s.detail, since: performance.now(), gpStart };
      if (r && this.opts.rcu) {
        await this.opts.rcu.runStepAsync(r, this.wait);
        if (r.kind === 'complete') {
          this.stats.gracePeriodMs.push(performance.now() - gpStart);
          gpStart = -1;
        }
      } else if (s.fn === 'mem_hotplug_begin') {
        hotplugBlockReaders(words);
      } else if (s.fn === 'readers_active_check') {
        await hotplugWaitReaders(words, this.isAborted);
      } else if (s.fn === 'mem_hotplug_done') {
        hotplugWriteUnlock(words);
      } else {
        while (s.ready && !s.ready(m)) {
          if (this.isAborted()) throw new RcuAborted();
          await pause(0.05);
        }
        s.run(m);
      }
      this.stats.kernelSteps++;
    }
    // Between operations: step index = the number of steps.
    this.control.publish(this.stats.cycles, index, steps.length);
  }
}
