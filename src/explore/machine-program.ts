/**
 * A scenario, a design and some walkers as an explorer program: the writer
 * runs the scenario's operations (kernel steps woven with the design's write
 * side) while each walker walks its pfns the way its kernel code does.
 */
import type { Design } from '../designs/design.js';
import { type BoundDesign, runWithDesigns } from '../designs/index.js';
import { HotplugError, InputError } from '../errors.js';
import { kernelOf } from '../kernel/index.js';
import { PG_REFCOUNT } from '../model/layout.js';
import type { Bookkeeping, Machine } from '../model/machine.js';
import { pgmapArrayLoad } from '../model/pgmap.js';
import type { Truth } from '../model/truth.js';
import { planOperation } from '../ops/index.js';
import { inScenario, ScenarioStepError } from '../ops/scenario-run.js';
import type { OpSpec } from '../ops/spec.js';
import type { KernelStep } from '../ops/step.js';
import { RCU_SLOT_CTR, rcuInit, rcuSlotAddr } from '../rcu/memb.js';
import type { Scenario } from '../scenario/index.js';
import { hex } from '../units.js';
import { type WalkerDef, WalkerKernel, type WalkerTargets } from '../walkers/index.js';
import type { WalkerSpec } from '../walkers/spec.js';
import type { Program, WalkerProgram, WriterStep } from './engine.js';

export type { WalkerSpec } from '../walkers/spec.js';

export interface MachineProgramOptions {
  readonly scenario: Scenario;
  readonly design: Design;
  readonly walkers: readonly WalkerSpec[];
  /** Operations run to completion before the exploration starts (default 0: right after boot). */
  readonly from?: number;
}

export interface MachineProgram extends Program {
  readonly machine: Machine;
  /** The pfns each walker walks. */
  readonly targets: readonly (readonly number[])[];
}

function opRange(m: Machine, spec: OpSpec): [number, number] | undefined {
  if ('start' in spec) return [spec.start / m.g.pageSize, (spec.start + spec.size) / m.g.pageSize];
  const p = m.pgmaps.get(spec.id);
  return p ? [p.startPfn, p.endPfn] : undefined;
}

/** Default pfns for a walker: the first pfn each relevant operation changes. */
export function defaultTargets(m: Machine, ops: readonly OpSpec[], w: WalkerDef): number[] {
  const ram: number[] = [];
  const device: number[] = [];
  const privateDevice: number[] = [];
  for (const spec of ops) {
    if (spec.op === 'memremap') {
      const start = spec.start / m.g.pageSize;
      const reserve = spec.altmap
        ? spec.altmap.reserve / m.g.pageSize + Math.ceil(((spec.size / m.g.pageSize) * 64) / m.g.pageSize)
        : 0;
      const first =
        start +
        (spec.altmap?.free !== undefined ? (spec.altmap.reserve + spec.altmap.free) / m.g.pageSize : reserve);
      device.push(first);
      if (spec.type === 'device_private') privateDevice.push(first);
    } else if (
      spec.op === 'add_memory' ||
      spec.op === 'online' ||
      spec.op === 'offline' ||
      spec.op === 'remove'
    ) {
      ram.push(spec.start / m.g.pageSize);
    }
  }
  const uniq = (xs: number[]) => [...new Set(xs)];
  switch (w.targets) {
    case 'ram':
      return uniq(ram).slice(0, 1);
    case 'device':
      return uniq(device).slice(0, 1);
    case 'device-private':
      return uniq(privateDevice.length ? privateDevice : device).slice(0, 1);
    case 'untouched': {
      const touched = ops.map((o) => opRange(m, o)).filter((r): r is [number, number] => r !== undefined);
      const online = m.truth
        .intervals()
        .find((iv) => iv.truth.state === 'online' && touched.every(([s, e]) => iv.end <= s || iv.start >= e));
      return online ? [online.start + Math.floor((online.end - online.start) / 2)] : [];
    }
    default:
      return uniq([...ram.slice(0, 1), ...device.slice(0, 1)]);
  }
}

function judgeTruth(t: Truth, answer: 'online' | 'device', pfn: number, what: string): string | undefined {
  if (t.settling || t.state === answer) return undefined;
  return `${what} for pfn ${hex(pfn)}, whose truth is ${t.state}${t.zone ? ` (${t.zone})` : ''}`;
}

/** The writer's kernel steps; ops are the scenario's steps from index `first` on. */
function writerSteps(
  m: Machine,
  ops: readonly OpSpec[],
  first: number,
  bound: BoundDesign,
  source: string,
): (pc: number) => WriterStep | undefined {
  const steps: WriterStep[] = [];
  let next = 0;
  const adapt = (s: KernelStep): WriterStep => ({
    fn: s.fn,
    detail: s.detail,
    pfn: s.args.startPfn,
    ready: () => !s.ready || s.ready(m),
    run: () => {
      s.run(m);
    },
    footprint: s.footprint,
  });
  return (pc) => {
    // Plan each operation when the writer reaches it: planning reads the machine as it then is.
    while (pc >= steps.length && next < ops.length) {
      const spec = ops[next++];
      try {
        steps.push(...planOperation(m, spec, [bound.writeSide]).steps.map(adapt));
      } catch (e) {
        if (!(e instanceof HotplugError)) throw e;
        if (spec.expect === e.errno) continue;
        // Named as pfnlab run names it: which step of the scenario was refused.
        const why = spec.expect ? ` (expected -${spec.expect})` : '';
        throw inScenario({ source }, new ScenarioStepError(first + next - 1, e.errno, `${e.message}${why}`));
      }
    }
    return steps[pc];
  };
}

/** What a walker with no pfn of its kind in the scenario looks for: a search of it would prove nothing. */
const TARGET_KINDS: Record<WalkerTargets, string> = {
  ram: 'walks hot-plugged memory, and no step adds, onlines, offlines or removes any',
  device: 'walks ZONE_DEVICE pages, and no step maps any (memremap)',
  'device-private': 'walks ZONE_DEVICE pages, and no step maps any (memremap)',
  untouched: 'walks online memory no step touches, and there is none',
  any: 'walks memory a step hot-plugs or maps, and no step does',
};

function noTargets(w: WalkerDef, scenario: string): InputError {
  return new InputError(
    'explore',
    `${w.name} has no pfn to walk in ${scenario}: it ${TARGET_KINDS[w.targets]}; give pfns (--walker ${w.name}@PFN)`,
    w.name,
  );
}

/** The pgmap record a walker's set-up page reference is on, taken now (before the writer starts). */
function takeSetupReference(m: Machine, w: WalkerDef, pfn: number): number {
  if (!w.holdsReference) return 0;
  const rec = pgmapArrayLoad(m.mem.words, pfn);
  if (rec) m.mem.store(rec + PG_REFCOUNT, m.mem.load(rec + PG_REFCOUNT) + 1);
  return rec;
}

export function machineProgram(opts: MachineProgramOptions): MachineProgram {
  const { scenario, design } = opts;
  const from = opts.from ?? 0;
  if (from > scenario.steps.length)
    throw new InputError('--from', `the scenario has only ${scenario.steps.length} steps`, from);
  const {
    machine: m,
    bound: [b],
  } = runWithDesigns(scenario, [design], { operations: from, memory: { capacityWords: 2 ** 24 } });
  const rcu = rcuInit(m, Math.max(1, opts.walkers.length));
  const ops = scenario.steps.slice(from);
  // ms->usage is freed with kfree_rcu() (usageFreedWithKfreeRcu): it outlives every reader here (never freed).
  if (kernelOf(m.g).usageFreedWithKfreeRcu) m.reclaimer = { deferFree: () => undefined };
  const targets = opts.walkers.map((w) => [
    ...(w.pfns ?? defaultTargets(m, [...scenario.steps.slice(0, from), ...ops], w.walker)),
  ]);
  opts.walkers.forEach((w, i) => {
    if (!targets[i].length) throw noTargets(w.walker, scenario.name);
  });
  const heldRefs = opts.walkers.map((w, i) => targets[i].map((pfn) => takeSetupReference(m, w.walker, pfn)));
  m.mem.startJournal();
  const walkers: WalkerProgram[] = opts.walkers.map((spec, i) => ({
    name: spec.walker.name,
    iterations: targets[i].length,
    privateWords: [rcuSlotAddr(rcu, i) + RCU_SLOT_CTR],
    symmetryKey: `${spec.walker.name}@${targets[i].join(',')}`,
    run(ctx, iteration) {
      const pfn = targets[i][iteration];
      ctx.note(spec.walker.name, `walk pfn ${hex(pfn)}`, pfn);
      // The walkers follow the kernel the machine models (explore resolves it: --kernel, else the design's).
      const k = new WalkerKernel(ctx, design, b.ctx, m.g, m.g.kernel, i, rcu);
      spec.walker.run(k, pfn, heldRefs[i][iteration]);
    },
  }));
  return {
    machine: m,
    targets,
    mem: m.mem,
    writerStep: writerSteps(m, ops, from, b, scenario.source),
    walkers,
    snapshot: () => m.snapshotBookkeeping(),
    restore: (s) => m.restoreBookkeeping(s as Bookkeeping),
    judge: (pfn, answer, what) => judgeTruth(m.truthOf(pfn), answer, pfn, what),
    truthState: (pfn) => m.truthOf(pfn).state,
  };
}
