/**
 * pfnlab stress, one way in: a scenario's machine in shared memory, its
 * operations cycled by the main thread with a design's write side woven in,
 * and the kernel's pfn walkers on worker threads looking up and dereferencing
 * random pfns of the cycled ranges, every dereference of a freed, poisoned or
 * uninitialized struct page detected and counted.
 *
 * The shared-layout handoff: model memory (words and shadow) and the control
 * block are SharedArrayBuffers sent once with each walker's job; the geometry,
 * the design's name and its usage-bitmap slots, the RCU block's address and
 * the cycle's pfn ranges come with them. Nothing else crosses threads while
 * the run lasts: walkers read the machine's words directly.
 */
import { type BoundDesign, bindDesigns, type Design, loadDesign } from '../designs/index.js';
import type { Scenario } from '../io/scenario.js';
import { InputError } from '../model/errors.js';
import type { Machine } from '../model/machine.js';
import { OutOfModelMemoryError } from '../model/memory.js';
import { runScenario } from '../ops/scenario-run.js';
import { rcuInit } from '../rcu/memb.js';
import { RcuAborted, type RcuMode, type RcuStall, SharedRcu } from '../rcu/shared.js';
import { hex } from '../units.js';
import { WALKER_NAMES, walkerByName } from '../walkers/index.js';
import { Control, wallMs } from './control.js';
import { type RawViolation, VIOLATION_KINDS, type ViolationKind } from './detector.js';
import { type JobHandle, WorkerPool } from './pool.js';
import type { WalkJob, WalkResult } from './walk.js';
import { type CycleOp, deriveCycle, pause, StressWriter } from './writer.js';

export type { RcuMode } from '../rcu/shared.js';
export type { ViolationKind } from './detector.js';
export { WorkerPool } from './pool.js';
export { type CycleOp, deriveCycle } from './writer.js';

export interface StressOptions {
  readonly scenario: Scenario;
  /** A design name or a design module path. */
  readonly design: string;
  /** Walker threads (default 2). */
  readonly workers?: number;
  /** Stop after this long (default 5 s unless `lookups` is given). */
  readonly seconds?: number;
  /** Stop after this many lookups in all (each worker makes its share). */
  readonly lookups?: number;
  readonly seed?: number;
  /** Spin iterations between a walker's lookup and each dereference: widens the race window (default 0). */
  readonly window?: number;
  /** RCU reader mode for RCU designs (default memb). */
  readonly rcu?: RcuMode;
  /** QSBR: walks between quiescent states (default 16). */
  readonly qsEvery?: number;
  /** The walkers, taken in turn (default pfn-walker, the design's own read protocol). */
  readonly walkers?: readonly string[];
  /** End the run at the first violation. */
  readonly stopOnViolation?: boolean;
  /** Examples kept per kind of violation (default 3). */
  readonly examples?: number;
  /** A grace period waiting this long for one walker is a stall, which ends the run (default 2000 ms). */
  readonly stallMs?: number;
  /** Model memory capacity in words (default 2^27: 512 MiB of address space, committed as used). */
  readonly capacityWords?: number;
  /** A pool to run the walkers in (kept open); by default one is made and closed. */
  readonly pool?: WorkerPool;
  /** Called about every 250 ms while the run lasts. */
  readonly progress?: (p: StressProgress) => void;
}

export interface StressProgress {
  readonly seconds: number;
  readonly lookups: number;
  readonly cycles: number;
  readonly violations: number;
}

/** A violation as the result reports it: the writer's position by name. */
export type StressExample = Omit<RawViolation, 'lookup' | 'op' | 'step'> & {
  readonly operation: string;
  /** The kernel step the writer was in (absent: it was between operations). */
  readonly step?: string;
};

export interface StressResult {
  readonly scenario: string;
  readonly design: string;
  readonly rcu?: RcuMode;
  readonly workers: number;
  readonly walkers: readonly string[];
  readonly window: number;
  readonly seed: number;
  readonly cycle: readonly string[];
  readonly seconds: number;
  readonly lookups: number;
  readonly lookupsPerSecond: number;
  readonly derefs: number;
  readonly cycles: number;
  readonly operations: number;
  readonly kernelSteps: number;
  readonly gracePeriods: number;
  /** synchronize_rcu() wall time, for RCU designs. */
  readonly gracePeriodMs?: { readonly median: number; readonly p99: number; readonly max: number };
  readonly violations: Record<ViolationKind, number> & { readonly total: number };
  readonly firstViolationMs?: number;
  readonly examples: readonly StressExample[];
  /**
   * Grace periods that waited over `stallMs` for one walker (blocked inside its
   * read-side critical section: a deadlock; or a QSBR walker announcing no
   * quiescent state). The run ends: the walkers are terminated, their counts lost.
   */
  readonly stalls: readonly RcuStall[];
  readonly memory: {
    readonly capacityWords: number;
    readonly bootWords: number;
    readonly endWords: number;
    /** Model memory allocated per writer cycle: freed blocks are never reused during a run. */
    readonly bytesPerCycle: number;
    /** The writer stopped early because model memory ran out. */
    readonly exhausted: boolean;
  };
  readonly verdict: 'violations' | 'stall' | 'clean';
}

const DEFAULT_SECONDS = 5;
const DEFAULT_CAPACITY = 2 ** 27;

/** The pfn ranges walkers pick from: each cycled range (weighted by 9/10 overall), and boot memory. */
function targetRanges(
  s: Scenario,
  cycle: readonly CycleOp[],
): { ranges: [number, number][]; weights: number[] } {
  const cycled = new Map<string, [number, number]>();
  for (const op of cycle) cycled.set(`${op.startPfn}:${op.endPfn}`, [op.startPfn, op.endPfn]);
  const boot = s.boot.map((b): [number, number] => [
    Math.ceil(b.start / s.geometry.pageSize),
    Math.floor((b.start + b.size) / s.geometry.pageSize),
  ]);
  const ranges = [...cycled.values(), ...boot];
  const share = [...cycled.values()].map(() => 0.9 / cycled.size).concat(boot.map(() => 0.1 / boot.length));
  const weights: number[] = [];
  let sum = 0;
  for (const w of share) {
    sum += w;
    weights.push(sum);
  }
  weights[weights.length - 1] = 1;
  return { ranges, weights };
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function checkOptions(o: StressOptions): void {
  const walkers = o.walkers ?? ['pfn-walker'];
  for (const name of walkers) {
    const w = walkerByName(name);
    if (!w)
      throw new InputError(
        '--walker',
        `unknown walker '${name}' (walkers: ${WALKER_NAMES.join(', ')})`,
        name,
      );
    if (w.holdsReference)
      throw new InputError(
        '--walker',
        `${name} relies on a page reference its caller took before the walk; stress walks random pfns with none`,
        name,
      );
  }
  if (o.workers !== undefined && (o.workers < 1 || o.workers > 64))
    throw new InputError('--workers', `must be between 1 and 64, got ${o.workers}`, o.workers);
}

/** The machine a run cycles, with the design bound to it and its RCU block. */
interface Prepared {
  readonly design: Design;
  readonly m: Machine;
  readonly bound: BoundDesign;
  readonly cycle: readonly CycleOp[];
  readonly rcuBase: number;
  /** The real RCU backend over the machine's RCU block, for RCU designs. */
  readonly rcu?: SharedRcu;
  readonly rcuMode?: RcuMode;
  readonly bootWords: number;
}

async function prepare(o: StressOptions, workers: number, capacityWords: number): Promise<Prepared> {
  const design = await loadDesign(o.design);
  const cycle = deriveCycle(o.scenario);
  let bound: BoundDesign | undefined;
  const { machine: m } = runScenario(o.scenario, {
    operations: 0,
    memory: { shared: true, capacityWords, reuseFreed: false },
    prepare(mm) {
      bound = bindDesigns(mm, [design])[0];
      return [bound.writeSide];
    },
  });
  // ms->usage is freed with kfree_rcu() in 6.x: it outlives every reader here (never freed), as in the explorer.
  if (m.g.kernel !== '5.4') m.reclaimer = { deferFree: () => undefined };
  const rcuBase = rcuInit(m, workers);
  const usesRcu = design.protection === 'rcu';
  return {
    design,
    m,
    bound: bound!,
    cycle,
    rcuBase,
    rcu: usesRcu ? SharedRcu.inMemory(m.mem, rcuBase) : undefined,
    rcuMode: usesRcu ? (o.rcu ?? 'memb') : undefined,
    bootWords: m.mem.highWater,
  };
}

/** The walkers' jobs: the shared-layout handoff (memory, control block) and what each needs to rebuild its side. */
function walkJobs(o: StressOptions, p: Prepared, control: Control, workers: number): WalkJob[] {
  const { ranges, weights } = targetRanges(o.scenario, p.cycle);
  const quota = o.lookups === undefined ? 0 : Math.ceil(o.lookups / workers);
  return Array.from(
    { length: workers },
    (_, worker): WalkJob => ({
      kind: 'stress-walk',
      memory: p.m.mem.handle(),
      control: control.buffer,
      workers,
      worker,
      geometry: p.m.g,
      design: o.design,
      slots: p.bound.ctx.slots,
      kernel: p.design.kernel ?? p.m.g.kernel,
      walkers: o.walkers ?? ['pfn-walker'],
      ranges,
      weights,
      ops: p.cycle.map(({ startPfn, endPfn, up }) => ({ startPfn, endPfn, up })),
      seed: o.seed ?? 1,
      window: o.window ?? 0,
      rcu: p.rcuMode ? { base: p.rcuBase, mode: p.rcuMode, qsEvery: o.qsEvery ?? 16 } : undefined,
      quota,
      stopOnViolation: o.stopOnViolation ?? false,
      examplesPerKind: o.examples ?? 3,
    }),
  );
}

/** Run a stress test. */
export async function runStress(o: StressOptions): Promise<StressResult> {
  checkOptions(o);
  const workers = o.workers ?? 2;
  const capacityWords = o.capacityWords ?? DEFAULT_CAPACITY;
  const seconds = o.seconds ?? (o.lookups === undefined ? DEFAULT_SECONDS : undefined);
  const p = await prepare(o, workers, capacityWords);
  const { m, rcu, cycle } = p;

  const control = Control.create(workers);
  const stalls: RcuStall[] = [];
  let stalled = false;
  let handles: JobHandle<WalkResult>[] = [];
  const writer: StressWriter = new StressWriter(m, p.bound.writeSide, cycle, control, {
    rcu,
    wait: {
      stallMs: o.stallMs,
      onStall: (s) => {
        stalls.push(s);
        // A walk takes microseconds: a grace period that waits this long for one walker waits for
        // nothing that will come (a walker blocked inside its read-side critical section on
        // mem_hotplug_lock, which the writer holds, say). End it: the walkers go, the writer
        // gives up its waits.
        if (stalled) return;
        stalled = true;
        control.stop();
        writer.abort();
        for (const h of handles) void h.terminate();
      },
    },
  });
  const pool = o.pool ?? new WorkerPool();
  const jobs = walkJobs(o, p, control, workers);

  let walkersDone = false;
  let failure: unknown;
  handles = jobs.map((job) => pool.start<WalkResult>(job));
  // A walker that dies inside a read section must not block grace periods forever.
  const unsubscribe = pool.onExit((threadId) => rcu?.recoverOwner(threadId + 1));
  for (const h of handles)
    h.result.catch((e) => {
      if (stalled) return;
      failure ??= e;
      control.stop();
    });
  const settled = Promise.allSettled(handles.map((h) => h.result)).then((r) => {
    walkersDone = true;
    return r;
  });
  // The clock starts when every walker walks (a worker loads its code first: ~25 ms, more under tsx).
  while (control.started < workers && !walkersDone) await pause(1);
  control.startMs = wallMs();
  const startGps = rcu?.gracePeriods ?? 0;
  const started = performance.now();
  const timer = o.progress
    ? setInterval(() => {
        o.progress!({
          seconds: (performance.now() - started) / 1000,
          lookups: control.lookups(),
          cycles: writer.stats.cycles,
          violations: control.violations,
        });
      }, 250)
    : undefined;
  let exhausted = false;
  try {
    await writer.run(() => {
      if (walkersDone || control.stopped) return true;
      if (seconds !== undefined && performance.now() - started >= seconds * 1000) return true;
      return o.stopOnViolation === true && control.violations > 0;
    });
  } catch (e) {
    if (e instanceof OutOfModelMemoryError) exhausted = true;
    else if (!(e instanceof RcuAborted && stalled)) failure ??= e;
  } finally {
    control.stop();
    if (timer) clearInterval(timer);
  }
  // Walkers ended by a stall leave only their progress counts.
  const results = (await settled).map(
    (r, worker): WalkResult =>
      r.status === 'fulfilled'
        ? r.value
        : {
            worker,
            lookups: control.workerLookups(worker),
            derefs: 0,
            counts: { freed: 0, poisoned: 0, uninitialized: 0 },
            examples: [],
          },
  );
  unsubscribe();
  if (!o.pool) await pool.close();
  const elapsed = (performance.now() - started) / 1000;
  if (failure) throw failure;
  return summarize({
    o,
    design: p.design.name,
    rcuMode: p.rcuMode,
    workers,
    walkers: [...(o.walkers ?? ['pfn-walker'])],
    seed: o.seed ?? 1,
    window: o.window ?? 0,
    cycle,
    writer,
    results,
    elapsed,
    gracePeriods: (rcu?.gracePeriods ?? 0) - startGps,
    stalls,
    memory: { capacityWords, bootWords: p.bootWords, endWords: m.mem.highWater, exhausted },
  });
}

function summarize(x: {
  o: StressOptions;
  design: string;
  rcuMode: RcuMode | undefined;
  workers: number;
  walkers: string[];
  seed: number;
  window: number;
  cycle: readonly CycleOp[];
  writer: StressWriter;
  results: readonly WalkResult[];
  elapsed: number;
  gracePeriods: number;
  stalls: RcuStall[];
  memory: { capacityWords: number; bootWords: number; endWords: number; exhausted: boolean };
}): StressResult {
  const { results, writer, cycle } = x;
  const counts = Object.fromEntries(
    VIOLATION_KINDS.map((k) => [k, results.reduce((n, r) => n + r.counts[k], 0)]),
  ) as Record<ViolationKind, number>;
  const total = VIOLATION_KINDS.reduce((n, k) => n + counts[k], 0);
  const lookups = results.reduce((n, r) => n + r.lookups, 0);
  const firsts = results.map((r) => r.firstMs).filter((t): t is number => t !== undefined);
  const raw: RawViolation[] = results.flatMap((r) => r.examples).sort((a, b) => a.atMs - b.atMs);
  const perKind = x.o.examples ?? 3;
  const examples = VIOLATION_KINDS.flatMap((k) => raw.filter((e) => e.kind === k).slice(0, perKind)).map(
    (e): StressExample => ({
      kind: e.kind,
      pfn: e.pfn,
      what: e.what,
      walker: e.walker,
      worker: e.worker,
      value: e.value,
      unmapped: e.unmapped,
      atMs: Math.round(e.atMs * 1000) / 1000,
      cycle: e.cycle,
      operation: cycle[e.op]?.label ?? `operation ${e.op}`,
      ...(e.step < (writer.stats.stepNames[e.op]?.length ?? 0)
        ? { step: writer.stats.stepNames[e.op][e.step] }
        : {}),
    }),
  );
  const gp = [...writer.stats.gracePeriodMs].sort((a, b) => a - b);
  const cycles = writer.stats.operations / cycle.length;
  const growth = (x.memory.endWords - x.memory.bootWords) * 5; // a word and its shadow byte
  return {
    scenario: x.o.scenario.name,
    design: x.design,
    ...(x.rcuMode ? { rcu: x.rcuMode } : {}),
    workers: x.workers,
    walkers: x.walkers,
    window: x.window,
    seed: x.seed,
    cycle: cycle.map((c) => c.label),
    seconds: round(x.elapsed, 3),
    lookups,
    lookupsPerSecond: Math.round(lookups / x.elapsed),
    derefs: results.reduce((n, r) => n + r.derefs, 0),
    cycles: writer.stats.cycles,
    operations: writer.stats.operations,
    kernelSteps: writer.stats.kernelSteps,
    gracePeriods: x.gracePeriods,
    ...(gp.length
      ? {
          gracePeriodMs: {
            median: round(percentile(gp, 0.5), 4),
            p99: round(percentile(gp, 0.99), 4),
            max: round(gp[gp.length - 1], 4),
          },
        }
      : {}),
    violations: { ...counts, total },
    ...(firsts.length ? { firstViolationMs: round(Math.min(...firsts), 3) } : {}),
    examples,
    stalls: x.stalls,
    memory: {
      ...x.memory,
      bytesPerCycle: cycles > 0 ? Math.round(growth / cycles) : 0,
    },
    verdict: x.stalls.length ? 'stall' : total > 0 ? 'violations' : 'clean',
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** One line per example, for the CLI. */
export function describeExample(e: StressExample): string {
  const read = e.unmapped ? 'no memmap' : e.value === -1 ? '-1' : `0x${(e.value >>> 0).toString(16)}`;
  const writer = e.step ? `in ${e.step} of ${e.operation}` : `just after ${e.operation}`;
  return `${e.kind} struct page of pfn ${hex(e.pfn)}: ${e.walker} read ${e.what} (${read}) on worker ${e.worker} at ${e.atMs.toFixed(1)} ms; the writer was ${writer} (cycle ${e.cycle})`;
}
