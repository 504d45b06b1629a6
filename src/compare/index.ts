/**
 * Designs side by side with the truth. A scenario runs with every design's
 * write side woven in; after each kernel step every design answers for every
 * pfn (one per class of alike pfns, see classes.ts; when a layout is too
 * fragmented, a bounded stratified sample of the classes plus every class the
 * running operation changed, see coverage.ts), and each wrong answer is
 * counted by category. A scenario step's count is the number of distinct
 * pfns that got that wrong answer at any point while the step ran, or right
 * after it. Designs from modules are held to the one-pfn-per-class contract
 * by spot checks (contract.ts).
 */

import type { KernelVersion } from '../arch/geometry.js';
import { type BoundDesign, type Design, NO_PAGE, runWithDesigns } from '../designs/index.js';
import { G_HOTPLUG_LOCK, GLOBALS_ADDR, HOTPLUG_LOCK_BLOCK, HOTPLUG_LOCK_WRITER } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import type { OperationLog } from '../ops/scenario-run.js';
import { rng } from '../random.js';
import type { Scenario } from '../scenario/index.js';
import type { PfnClass } from './classes.js';
import { type ContractCheck, ContractChecker, type StepPlace } from './contract.js';
import { Coverage } from './coverage.js';
import { type Answers, CATEGORIES, type Category, judge } from './judge.js';
import { RangeSet } from './range-set.js';
import { ClassTracker } from './tracker.js';

export {
  type ContractCheck,
  type ContractViolation,
  type LookupAnswers,
  MODULE_CONTRACT,
} from './contract.js';
export { type Answers, CATEGORIES, CATEGORY_MEANINGS, type Category, categoryLegend } from './judge.js';

export interface CompareOptions {
  readonly designs: readonly Design[];
  /** Above this many classes in a kernel step, judge a stratified sample of them instead. */
  readonly classLimit?: number;
  /** Classes judged per kernel step when sampling, besides the operation's own (default: classLimit). */
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
  /** The kernel whose steps and page states every design was judged on. */
  readonly kernel: KernelVersion;
  /** 'every-pfn': exact over every pfn (one per class of alike pfns); 'sampled': see note. */
  readonly coverage: 'every-pfn' | 'sampled';
  /** How the pfns were judged; with designs from modules, a second line states their contract. */
  readonly note: string;
  readonly designs: readonly string[];
  readonly steps: StepResult[];
  /** Per design and category: pfns wrong at some point of the scenario (union over steps). */
  readonly totals: Record<string, Partial<Record<Category, number>>>;
  /** Only when designs from modules are compared: the spot checks of their one-pfn-per-class contract. */
  readonly contract?: ContractCheck;
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

/** What the design answered for pfn, as judge() takes it. */
function rawAnswers(l: BoundDesign['lookup'], pfn: number): Answers {
  const online = l.pfnToOnlinePage(pfn);
  const device = l.pfnToDevicePage ? l.pfnToDevicePage(pfn) : undefined;
  return { pfnValid: l.pfnValid(pfn), online, device, zoneDevice: l.isZoneDevicePage(pfn) };
}

export function answersFor(m: Machine, b: BoundDesign, pfn: number): PfnAnswers {
  const a = rawAnswers(b.lookup, pfn);
  const mapped = pageAddress(m.mem.words, m.g, pfn) !== NULL;
  const truth = m.truthOf(pfn);
  const blocked = b.design.protection === 'hotplug-lock' && hotplugLockHeld(m);
  const judged = blocked || truth.settling ? [] : judge(truth.state, a, mapped);
  return {
    pfnValid: a.pfnValid,
    pfnToOnlinePage: a.online !== NO_PAGE,
    pfnToDevicePage: a.device === undefined ? null : a.device !== NO_PAGE,
    isZoneDevicePage: a.zoneDevice,
    wrong: judged,
    ...(blocked ? { blocked } : {}),
  };
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

type WrongSets = Map<string, Map<Category, RangeSet>>;

function byCategory(sets: WrongSets, design: string): Map<Category, RangeSet> {
  let byCat = sets.get(design);
  if (!byCat) {
    byCat = new Map();
    sets.set(design, byCat);
  }
  return byCat;
}

function setFor(byCat: Map<Category, RangeSet>, c: Category): RangeSet {
  let set = byCat.get(c);
  if (!set) {
    set = new RangeSet();
    byCat.set(c, set);
  }
  return set;
}

class StepAccumulator {
  readonly wrong: WrongSets = new Map();
  readonly blocked = new Map<string, number>();
  kernelSteps = 0;

  /** The design's sets of wrong pfns by category, for judgeClasses() to add to. */
  byCategory(design: string): Map<Category, RangeSet> {
    return byCategory(this.wrong, design);
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

/**
 * Judge one kernel step: every design not blocked answers for the
 * representative (first pfn) of each class, which counts for the whole class;
 * then the module designs among them are spot-checked on more pfns.
 */
function judgeStep(
  m: Machine,
  bound: readonly BoundDesign[],
  classes: readonly PfnClass[],
  acc: StepAccumulator,
  contract: ContractChecker | undefined,
  place: StepPlace,
): void {
  acc.kernelSteps++;
  const held = hotplugLockHeld(m);
  const active: BoundDesign[] = [];
  for (const b of bound) {
    if (b.design.protection === 'hotplug-lock' && held)
      acc.blocked.set(b.design.name, (acc.blocked.get(b.design.name) ?? 0) + 1);
    else active.push(b);
  }
  if (active.length === 0) return;
  judgeClasses(m, active, classes, acc);
  contract?.check(active, classes, place);
}

/**
 * The hot loop: per class, the truth and the memmap mapping once, then each
 * design's answers. Classes come in address order, so every (design,
 * category) set is added to in ascending order (RangeSet's cheap case).
 */
function judgeClasses(
  m: Machine,
  active: readonly BoundDesign[],
  classes: readonly PfnClass[],
  acc: StepAccumulator,
): void {
  const mem = m.mem.words;
  const sets = active.map((b) => acc.byCategory(b.design.name));
  for (let k = 0; k < classes.length; k++) {
    const c = classes[k];
    const truth = m.truthOf(c.start);
    if (truth.settling) continue;
    const mapped = pageAddress(mem, m.g, c.start) !== NULL;
    for (let d = 0; d < active.length; d++) {
      const wrong = judge(truth.state, rawAnswers(active[d].lookup, c.start), mapped);
      for (let w = 0; w < wrong.length; w++) setFor(sets[d], wrong[w]).add(c.start, c.end);
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
  let contract: ContractChecker | undefined;
  let acc = new StepAccumulator();
  const steps: StepResult[] = [];
  const totals: WrongSets = new Map();
  // What the running operation has changed so far (ClassTracker.changes()): judged exactly when sampling.
  const focus = new RangeSet();

  const evaluate = (m: Machine, place: StepPlace) => {
    const classes = classify(m);
    tracker?.changes(focus);
    judgeStep(m, bound, coverage.pick(classes, focus), acc, contract, place);
  };
  const close = (index: number, op: string, summary: string) => {
    for (const [design, byCat] of acc.wrong) {
      const into = byCategory(totals, design);
      for (const [cat, set] of byCat) setFor(into, cat).addSet(set);
    }
    steps.push({ index, op, summary, kernelSteps: acc.kernelSteps, designs: acc.result(bound) });
    acc = new StepAccumulator();
    focus.clear();
  };

  const { machine } = runWithDesigns(s, opts.designs, {
    onBound(b) {
      bound = b as BoundDesign[];
      contract = ContractChecker.forDesigns(bound);
    },
    onStep(m, op, step) {
      if (op.index > 0) evaluate(m, { step: op.index, after: step.fn });
    },
    onOperation(m, op) {
      if (op.index === 0) evaluate(m, { step: 0, after: 'boot' });
      close(op.index, op.op, op.refused ? `${op.op} refused as expected (-${op.refused.errno})` : op.summary);
      opts.onOperation?.(m, op);
    },
  });
  if (opts.onDone) opts.onDone(machine, bound, classify(machine));
  tracker?.stop();

  const checked = contract?.result();
  return {
    scenario: s.name,
    kernel: s.geometry.kernel,
    coverage: coverage.sampled ? 'sampled' : 'every-pfn',
    note: checked ? `${coverage.note()}\n${checked.note}` : coverage.note(),
    designs: bound.map((b) => b.design.name),
    steps,
    totals: totalsOf(bound, totals),
    ...(checked ? { contract: checked } : {}),
  };
}
