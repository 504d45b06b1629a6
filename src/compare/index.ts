/**
 * Designs side by side with the truth. A scenario runs with every design's
 * write side woven in; after each kernel step every design answers for every
 * pfn (one per class of alike pfns, see classes.ts; a bounded stratified
 * sample of the classes when a layout is too fragmented), and each wrong
 * answer is counted by category. A scenario step's count is the
 * number of distinct pfns that got that wrong answer at any point while the
 * step ran, or right after it.
 */

import {
  type BoundDesign,
  bindDesigns,
  CATEGORIES,
  type Category,
  type Design,
  judge,
  NO_PAGE,
} from '../designs/index.js';
import type { Scenario } from '../io/scenario.js';
import { G_HOTPLUG_LOCK, GLOBALS_ADDR } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import { type OperationLog, runScenario } from '../ops/scenario-run.js';
import { HOTPLUG_LOCK_BLOCK, HOTPLUG_LOCK_WRITER } from '../ops/sparse.js';
import { rng } from '../random.js';
import type { PfnClass } from './classes.js';
import { RangeSet } from './range-set.js';
import { ClassTracker } from './tracker.js';

export { CATEGORIES } from '../designs/index.js';

export interface CompareOptions {
  readonly designs: readonly Design[];
  /** Above this many classes in a kernel step, judge a stratified sample of them instead. */
  readonly classLimit?: number;
  /** Classes judged per kernel step when sampling (default: classLimit). */
  readonly samples?: number;
  readonly seed?: number;
  /** Called after each operation (boot included) with the machine it left. */
  readonly onOperation?: (m: Machine, op: OperationLog) => void;
  /** Called once the scenario is done with the machine, the bound designs and its classes (for lookupCost). */
  readonly onDone?: (m: Machine, bound: readonly BoundDesign[], classes: readonly PfnClass[]) => void;
  /** The classes to judge after a kernel step (default: pfnClasses() via a ClassTracker; tests pass references). */
  readonly classify?: (m: Machine) => readonly PfnClass[];
}

export interface CategoryResult {
  readonly pages: number;
  readonly examples: readonly number[];
}

export interface DesignStepResult {
  readonly wrong: Partial<Record<Category, CategoryResult>>;
  /** Kernel steps during which a hotplug-lock reader would have waited. */
  readonly blockedSteps: number;
}

export interface StepResult {
  /** 0 is boot (judged once it is done); scenario step i is i + 1. */
  readonly index: number;
  readonly op: string;
  readonly summary: string;
  readonly kernelSteps: number;
  readonly designs: Record<string, DesignStepResult>;
}

export interface CompareResult {
  readonly scenario: string;
  /** 'every-pfn': exact over every pfn (one per class of alike pfns); 'sampled': see note. */
  readonly coverage: 'every-pfn' | 'sampled';
  readonly note: string;
  readonly designs: readonly string[];
  readonly steps: StepResult[];
  /** Per design and category: pfns wrong at some point of the scenario (union over steps). */
  readonly totals: Record<string, Partial<Record<Category, number>>>;
}

/** One pfn's truth and every design's answers. */
export interface PfnAnswers {
  readonly pfnValid: boolean;
  readonly pfnToOnlinePage: boolean;
  readonly pfnToDevicePage: boolean | null;
  readonly isZoneDevicePage: boolean;
  readonly wrong: Category[];
  /** hotplug-lock while a writer holds or waits for mem_hotplug_lock: the reader would wait. */
  readonly blocked?: boolean;
}

function hotplugLockHeld(m: Machine): boolean {
  return (m.mem.load(GLOBALS_ADDR + G_HOTPLUG_LOCK) & (HOTPLUG_LOCK_WRITER | HOTPLUG_LOCK_BLOCK)) !== 0;
}

export function answersFor(m: Machine, b: BoundDesign, pfn: number): PfnAnswers {
  const l = b.lookup;
  const online = l.pfnToOnlinePage(pfn);
  const device = l.pfnToDevicePage ? l.pfnToDevicePage(pfn) : undefined;
  const valid = l.pfnValid(pfn);
  const zoneDevice = l.isZoneDevicePage(pfn);
  const mapped = pageAddress(m.mem.words, m.g, pfn) !== NULL;
  const truth = m.truthOf(pfn);
  const blocked = b.design.protection === 'hotplug-lock' && hotplugLockHeld(m);
  const judged =
    blocked || truth.settling
      ? []
      : judge(truth.state, { pfnValid: valid, online, device, zoneDevice }, mapped);
  return {
    pfnValid: valid,
    pfnToOnlinePage: online !== NO_PAGE,
    pfnToDevicePage: device === undefined ? null : device !== NO_PAGE,
    isZoneDevicePage: zoneDevice,
    wrong: judged,
    ...(blocked ? { blocked } : {}),
  };
}

/** Run a scenario (or its first `operations` steps) with the designs' write sides woven in. */
export function runWithDesigns(
  s: Scenario,
  designs: readonly Design[],
  operations?: number,
  capacityWords?: number,
): { machine: Machine; bound: BoundDesign[]; log: OperationLog[] } {
  let bound: BoundDesign[] = [];
  const { machine, log } = runScenario(s, {
    operations,
    memory: capacityWords ? { capacityWords } : undefined,
    prepare(m) {
      bound = bindDesigns(m, designs);
      return bound.map((b) => b.writeSide);
    },
  });
  return { machine, bound, log };
}

/**
 * Run the scenario as compareScenario() will, designs woven in, without
 * judging: a scenario step that fails throws here, before any judging. It
 * costs one unjudged run, less than the judged one (bench/compare prints both).
 */
export function validateScenario(s: Scenario, designs: readonly Design[]): void {
  runWithDesigns(s, designs);
}

/** Every design's answers for one pfn, keyed by design name. */
export function designAnswers(
  m: Machine,
  bound: readonly BoundDesign[],
  pfn: number,
): Record<string, PfnAnswers> {
  const out: Record<string, PfnAnswers> = {};
  for (const b of bound) out[b.design.name] = answersFor(m, b, pfn);
  return out;
}

/**
 * The bounded fallback for a fragmented layout: `budget` classes, one drawn at
 * random from each of `budget` equal strata of the classes in address order.
 * Each drawn class still counts whole, so counts stay exact for what was
 * judged and are lower bounds overall.
 */
function stratifiedClasses(classes: readonly PfnClass[], budget: number, random: () => number): PfnClass[] {
  const n = classes.length;
  const out: PfnClass[] = [];
  for (let k = 0; k < budget; k++) {
    const lo = Math.floor((k * n) / budget);
    const hi = Math.floor(((k + 1) * n) / budget);
    out.push(classes[lo + Math.floor(random() * (hi - lo))]);
  }
  return out;
}

type WrongSets = Map<string, Map<Category, RangeSet>>;

function addTo(sets: WrongSets, design: string, c: Category, start: number, end: number): void {
  let byCat = sets.get(design);
  if (!byCat) {
    byCat = new Map();
    sets.set(design, byCat);
  }
  let set = byCat.get(c);
  if (!set) {
    set = new RangeSet();
    byCat.set(c, set);
  }
  set.add(start, end);
}

class StepAccumulator {
  readonly wrong: WrongSets = new Map();
  readonly blocked = new Map<string, number>();
  kernelSteps = 0;

  add(design: string, c: Category, start: number, end: number): void {
    addTo(this.wrong, design, c, start, end);
  }

  result(designs: readonly BoundDesign[]): Record<string, DesignStepResult> {
    const out: Record<string, DesignStepResult> = {};
    for (const b of designs) {
      const name = b.design.name;
      const wrong: Partial<Record<Category, CategoryResult>> = {};
      for (const c of CATEGORIES) {
        const set = this.wrong.get(name)?.get(c);
        if (set) wrong[c] = { pages: set.size, examples: set.examples(3) };
      }
      out[name] = { wrong, blockedSteps: this.blocked.get(name) ?? 0 };
    }
    return out;
  }
}

/** How the classes of each kernel step were judged: all of them, or a bounded sample. */
class Coverage {
  judgedSteps = 0;
  sampledSteps = 0;
  maxClasses = 0;

  constructor(
    readonly classLimit: number,
    readonly budget: number,
    private readonly random: () => number,
  ) {}

  /** The classes to judge in one kernel step. */
  pick(classes: readonly PfnClass[]): readonly PfnClass[] {
    this.judgedSteps++;
    this.maxClasses = Math.max(this.maxClasses, classes.length);
    if (classes.length <= this.classLimit || classes.length <= this.budget) return classes;
    this.sampledSteps++;
    return stratifiedClasses(classes, this.budget, this.random);
  }

  get sampled(): boolean {
    return this.sampledSteps > 0;
  }

  note(): string {
    if (!this.sampled)
      return 'every pfn, evaluated once per class of pfns that no design and not the truth can tell apart';
    return (
      `a fragmented layout: in ${this.sampledSteps} of ${this.judgedSteps} kernel steps the pfns formed more than ` +
      `${this.classLimit} classes (up to ${this.maxClasses}), and ${this.budget} of them were judged, one drawn from each ` +
      'of as many equal strata in address order; counts are exact for the judged classes and lower bounds overall'
    );
  }
}

function judgeStep(
  m: Machine,
  bound: readonly BoundDesign[],
  classes: readonly PfnClass[],
  acc: StepAccumulator,
): void {
  acc.kernelSteps++;
  const held = hotplugLockHeld(m);
  for (const b of bound) {
    if (b.design.protection === 'hotplug-lock' && held) {
      acc.blocked.set(b.design.name, (acc.blocked.get(b.design.name) ?? 0) + 1);
      continue;
    }
    for (const c of classes) {
      for (const cat of answersFor(m, b, c.start).wrong) acc.add(b.design.name, cat, c.start, c.end);
    }
  }
}

function totalsOf(
  bound: readonly BoundDesign[],
  totals: WrongSets,
): Record<string, Partial<Record<Category, number>>> {
  const out: Record<string, Partial<Record<Category, number>>> = {};
  for (const b of bound) {
    const t: Partial<Record<Category, number>> = {};
    for (const c of CATEGORIES) {
      const set = totals.get(b.design.name)?.get(c);
      if (set) t[c] = set.size;
    }
    out[b.design.name] = t;
  }
  return out;
}

/** Run a scenario with every design and count wrong answers per scenario step. */
export function compareScenario(s: Scenario, opts: CompareOptions): CompareResult {
  const classLimit = opts.classLimit ?? 40_000;
  const coverage = new Coverage(classLimit, opts.samples ?? classLimit, rng(opts.seed ?? 1));
  // The default: pfnClasses() kept up to date from what each kernel step wrote, from boot's end on.
  let tracker: ClassTracker | undefined;
  const tracked = (m: Machine) => {
    tracker = tracker ?? new ClassTracker(m);
    return tracker.classes();
  };
  const classify = opts.classify ?? tracked;
  let bound: BoundDesign[] = [];
  let acc = new StepAccumulator();
  const steps: StepResult[] = [];
  const totals: WrongSets = new Map();

  const evaluate = (m: Machine) => judgeStep(m, bound, coverage.pick(classify(m)), acc);
  const close = (index: number, op: string, summary: string) => {
    for (const [design, byCat] of acc.wrong) {
      for (const [cat, set] of byCat) for (const [a, b] of set.ranges()) addTo(totals, design, cat, a, b);
    }
    steps.push({ index, op, summary, kernelSteps: acc.kernelSteps, designs: acc.result(bound) });
    acc = new StepAccumulator();
  };

  const { machine } = runScenario(s, {
    prepare(m) {
      bound = bindDesigns(m, opts.designs);
      return bound.map((b) => b.writeSide);
    },
    onStep(m, op) {
      if (op.index > 0) evaluate(m);
    },
    onOperation(m, op) {
      if (op.index === 0) evaluate(m);
      close(op.index, op.op, op.refused ? `${op.op} refused as expected (-${op.refused.errno})` : op.summary);
      opts.onOperation?.(m, op);
    },
  });
  if (opts.onDone) opts.onDone(machine, bound, classify(machine));
  tracker?.stop();

  return {
    scenario: s.name,
    coverage: coverage.sampled ? 'sampled' : 'every-pfn',
    note: coverage.note(),
    designs: bound.map((b) => b.design.name),
    steps,
    totals: totalsOf(bound, totals),
  };
}
