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
import { type BoundDesign, type Design, loadDesign, runWithDesigns } from '../designs/index.js';
import { InputError } from '../errors.js';
import { kernelOf } from '../kernel/index.js';
import type { Machine } from '../model/machine.js';
import { OutOfModelMemoryError } from '../model/memory.js';
import { rcuInit } from '../rcu/memb.js';
import { RcuAborted, type RcuMode, type RcuStall, SharedRcu } from '../rcu/shared.js';
import type { Scenario } from '../scenario/index.js';
import { hex } from '../units.js';
import { WALKER_NAMES, walkerByName } from '../walkers/index.js';
import { Control, VIOLATION_KINDS, type ViolationKind, wallMs } from './control.js';
import type { RawViolation } from './detector.js';
import { type JobHandle, WorkerPool } from './pool.js';
import type { WalkJob, WalkResult } from './walk.js';
import { type CycleOp, type DeadlineStop, deriveCycle, pause, StressWriter } from './writer.js';

export type { RcuMode } from '../rcu/shared.js';
export type { ViolationKind } from './control.js';
export { WorkerPool } from './pool.js';
export { type CycleOp, type DeadlineStop, deriveCycle } from './writer.js';

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
  /** Seeds the walkers' random pfns: an integer 0..2^32-1 (default 1). */
  readonly seed?: number;
  /** Spin iterations between a walker's lookup and each dereference: widens the race window (default 0). */
  readonly window?: number;
  /** RCU reader mode for RCU designs (default memb); refused for a design without RCU readers. */
  readonly rcu?: RcuMode;
  /** QSBR: walks between quiescent states (default 16); refused unless the readers are QSBR. */
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
   * quiescent state). The run ends: the walkers are told to stop, and one that
   * cannot (blocked) is terminated (see terminatedWalkers).
   */
  readonly stalls: readonly RcuStall[];
  /**
   * The run reached its deadline (--seconds) while the writer waited (a slow
   * grace period, say): the wait was given up there. Absent when the writer
   * was between steps.
   */
  readonly deadlineStop?: DeadlineStop;
  /**
   * Walkers still running SETTLE_MS after the run stopped (blocked on a lock
   * the stopped writer holds, inside a read-side critical section), and so
   * terminated: their counts are as of their last batch of lookups, their
   * examples lost.
   */
  readonly terminatedWalkers: number;
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
/** The walkers' random streams are seeded with 32 bits: a larger seed would only alias a smaller one. */
export const MAX_SEED = 2 ** 32 - 1;
/**
 * How long walkers have to return their results once the run has stopped (a
 * batch of lookups takes well under a millisecond) before the ones still
 * running are terminated.
 */
const SETTLE_MS = 500;

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
    if (name.includes('@') && walkerByName(name.slice(0, name.indexOf('@'))))
      throw new InputError(
        '--walker',
        `'${name}': stress walks random pfns of the cycled ranges; name the walker only`,
        name,
      );
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
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 64))
    throw new InputError('--workers', `must be between 1 and 64, got ${o.workers}`, o.workers);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > MAX_SEED))
    throw new InputError('--seed', `must be an integer 0..${MAX_SEED}, got ${o.seed}`, o.seed);
}

/** What a design's walkers take around a walk here, for saying why an RCU option means nothing to it. */
const READ_SIDE: Readonly<Record<Design['protection'], string>> = {
  none: 'its readers take no lock',
  rcu: 'its readers are RCU readers',
  'rcu-usage': 'its readers take RCU around ms->usage only, which a stress run never frees',
  'hotplug-lock': 'its readers take mem_hotplug_lock',
};

/**
 * The read-side options against the design: --rcu picks how RCU readers read,
 * so a design without them has nothing for it to change; --qs-every is how
 * often a QSBR reader announces a quiescent state, meaningless to a memb
 * reader. Either is refused where it would be ignored.
 */
function checkReadSide(o: StressOptions, design: Design): void {
  const rcuReaders = design.protection === 'rcu';
  const why = `design ${design.name} has no RCU readers (${READ_SIDE[design.protection]})`;
  if (o.rcu !== undefined && !rcuReaders) throw new InputError('--rcu', why, o.rcu);
  if (o.qsEvery === undefined) return;
  if (!Number.isInteger(o.qsEvery) || o.qsEvery < 1)
    throw new InputError('--qs-every', `must be an integer of at least 1, got ${o.qsEvery}`, o.qsEvery);
  if (!rcuReaders) throw new InputError('--qs-every', why, o.qsEvery);
  if ((o.rcu ?? 'memb') !== 'qsbr')
    throw new InputError(
      '--qs-every',
      'only QSBR readers announce quiescent states (add --rcu qsbr); memb readers leave their section after every walk',
      o.qsEvery,
    );
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
  checkReadSide(o, design);
  const cycle = deriveCycle(o.scenario);
  const {
    machine: m,
    bound: [bound],
  } = runWithDesigns(o.scenario, [design], {
    operations: 0,
    memory: { shared: true, capacityWords, reuseFreed: false },
  });
  // ms->usage is freed with kfree_rcu() (usageFreedWithKfreeRcu): it outlives every reader here (never freed), as in the explorer.
  if (kernelOf(m.g).usageFreedWithKfreeRcu) m.reclaimer = { deferFree: () => undefined };
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

/** The walkers as they end: each one's handle, and whether it was terminated (its rejection is expected). */
interface Walkers {
  readonly handles: readonly JobHandle<WalkResult>[];
  readonly settled: Promise<PromiseSettledResult<WalkResult>[]>;
  readonly terminated: Set<number>;
}

/**
 * The walkers' results once the run has stopped: each walker returns after its
 * batch; one still running SETTLE_MS later (blocked on mem_hotplug_lock, which
 * the stopped writer holds, inside its read-side critical section) is
 * terminated, and leaves the counts it published after its last batch.
 */
async function collectWalkers(w: Walkers, control: Control): Promise<WalkResult[]> {
  const done = new Set<number>();
  w.handles.forEach((h, i) => {
    h.result.then(
      () => done.add(i),
      () => done.add(i),
    );
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((ok) => {
    timer = setTimeout(() => ok(true), SETTLE_MS);
  });
  const timedOut = await Promise.race([w.settled.then(() => false), late]);
  clearTimeout(timer);
  if (timedOut) {
    const stuck = w.handles.map((_, i) => i).filter((i) => !done.has(i));
    for (const i of stuck) w.terminated.add(i);
    await Promise.all(stuck.map((i) => w.handles[i].terminate()));
  }
  return (await w.settled).map(
    (r, worker): WalkResult =>
      r.status === 'fulfilled' ? r.value : { worker, ...control.workerProgress(worker), examples: [] },
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
  const writer: StressWriter = new StressWriter(m, p.bound.writeSide, cycle, control, {
    rcu,
    wait: {
      stallMs: o.stallMs,
      onStall: (s) => {
        stalls.push(s);
        // A walk takes microseconds: a grace period that waits this long for one walker waits for
        // nothing that will come (a walker blocked inside its read-side critical section on
        // mem_hotplug_lock, which the writer holds, say; or a QSBR walker that announces no
        // quiescent state). End the run: the writer gives up its waits, the walkers stop (the
        // ones that cannot are terminated).
        if (stalled) return;
        stalled = true;
        control.stop();
        writer.abort();
      },
    },
  });
  const pool = o.pool ?? new WorkerPool();
  const jobs = walkJobs(o, p, control, workers);

  let walkersDone = false;
  let failure: unknown;
  const handles = jobs.map((job) => pool.start<WalkResult>(job));
  const terminated = new Set<number>();
  // A walker that dies inside a read section must not block grace periods forever.
  const unsubscribe = pool.onExit((threadId) => rcu?.recoverOwner(threadId + 1));
  handles.forEach((h, i) => {
    h.result.catch((e) => {
      if (terminated.has(i)) return;
      failure ??= e;
      control.stop();
    });
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
  const deadline = seconds === undefined ? Number.POSITIVE_INFINITY : started + seconds * 1000;
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
    await writer.run(
      () => walkersDone || control.stopped || (o.stopOnViolation === true && control.violations > 0),
      deadline,
    );
  } catch (e) {
    if (e instanceof OutOfModelMemoryError) exhausted = true;
    else if (!(e instanceof RcuAborted && stalled)) failure ??= e;
  } finally {
    control.stop();
    if (timer) clearInterval(timer);
  }
  const results = await collectWalkers({ handles, settled, terminated }, control);
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
    terminatedWalkers: terminated.size,
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
  terminatedWalkers: number;
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
    ...(writer.deadlineStop ? { deadlineStop: roundStop(writer.deadlineStop) } : {}),
    terminatedWalkers: x.terminatedWalkers,
    memory: {
      ...x.memory,
      bytesPerCycle: cycles > 0 ? Math.round(growth / cycles) : 0,
    },
    verdict: x.stalls.length ? 'stall' : total > 0 ? 'violations' : 'clean',
  };
}

function roundStop(d: DeadlineStop): DeadlineStop {
  return {
    ...d,
    waitedMs: round(d.waitedMs, 3),
    ...(d.gracePeriodMs !== undefined ? { gracePeriodMs: round(d.gracePeriodMs, 3) } : {}),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** One line per example, for the CLI. */
export function describeExample(e: StressExample): string {
  // The word read: none (the memmap was unmapped), the poison pattern page_init_poison() fills with, or a value.
  const read = e.unmapped
    ? 'a memmap no longer mapped'
    : e.value === -1
      ? 'all ones (the poison pattern)'
      : `0x${(e.value >>> 0).toString(16)}`;
  const writer = e.step ? `in ${e.step} of ${e.operation}` : `just after ${e.operation}`;
  return `${e.kind} struct page of pfn ${hex(e.pfn)}: ${e.walker}, at "${e.what}", read ${read} on worker ${e.worker} at ${e.atMs.toFixed(1)} ms; the writer was ${writer} (cycle ${e.cycle})`;
}
