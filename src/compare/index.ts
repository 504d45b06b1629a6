/**
 * Designs side by side with the truth. A scenario runs with every design's
 * write side woven in; after each kernel step every design answers for every
 * pfn (one per class of alike pfns, or samples when the layout is too large),
 * and each wrong answer is counted by category. A scenario step's count is the
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
import { type PfnClass, pfnClasses } from './classes.js';
import { RangeSet } from './range-set.js';

export { CATEGORIES } from '../designs/index.js';

export interface CompareOptions {
  readonly designs: readonly Design[];
  /** Above this many classes per kernel step, sample instead. */
  readonly classLimit?: number;
  /** Random samples per kernel step in sampled mode. */
  readonly samples?: number;
  readonly seed?: number;
  /** Called after each operation (boot included) with the machine it left. */
  readonly onOperation?: (m: Machine, op: OperationLog) => void;
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
  /** 'every-pfn': exact over every pfn (one per class of alike pfns); 'sampled': see samples. */
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

/** Samples for a large layout: the start of every subsection of every allocated section, plus random pfns. */
function sampleClasses(m: Machine, samples: number, random: () => number): PfnClass[] {
  const out: PfnClass[] = [];
  const g = m.g;
  for (const nr of m.sections.allocatedSectionNrs()) {
    for (let i = 0; i < g.subsectionsPerSection; i++) {
      const pfn = nr * g.pagesPerSection + i * g.pagesPerSubsection;
      out.push({ start: pfn, end: pfn + 1 });
    }
  }
  const top = Math.max(...m.truth.intervals().map((iv) => iv.end), g.pagesPerSection);
  for (let i = 0; i < samples; i++) {
    const pfn = Math.floor(random() * top);
    out.push({ start: pfn, end: pfn + 1 });
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

/** Run a scenario with every design and count wrong answers per scenario step. */
export function compareScenario(s: Scenario, opts: CompareOptions): CompareResult {
  const classLimit = opts.classLimit ?? 40_000;
  const random = rng(opts.seed ?? 1);
  let bound: BoundDesign[] = [];
  let acc = new StepAccumulator();
  const steps: StepResult[] = [];
  const totals: WrongSets = new Map();
  let sampled = false;

  const evaluate = (m: Machine) => {
    let classes = pfnClasses(m);
    if (classes.length > classLimit) {
      sampled = true;
      classes = sampleClasses(m, opts.samples ?? 10_000, random);
    }
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
  };
  const close = (index: number, op: string, summary: string) => {
    for (const [design, byCat] of acc.wrong) {
      for (const [cat, set] of byCat) for (const [a, b] of set.ranges()) addTo(totals, design, cat, a, b);
    }
    steps.push({ index, op, summary, kernelSteps: acc.kernelSteps, designs: acc.result(bound) });
    acc = new StepAccumulator();
  };

  runScenario(s, {
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

  const totalsOut: Record<string, Partial<Record<Category, number>>> = {};
  for (const b of bound) {
    const t: Partial<Record<Category, number>> = {};
    for (const c of CATEGORIES) {
      const set = totals.get(b.design.name)?.get(c);
      if (set) t[c] = set.size;
    }
    totalsOut[b.design.name] = t;
  }
  return {
    scenario: s.name,
    coverage: sampled ? 'sampled' : 'every-pfn',
    note: sampled
      ? `layout too large for every pfn: the start of every subsection of every allocated section plus ${opts.samples ?? 10_000} random pfns per kernel step; counts are of sampled pfns`
      : 'every pfn, evaluated once per class of pfns that no design and not the truth can tell apart',
    designs: bound.map((b) => b.design.name),
    steps,
    totals: totalsOut,
  };
}
