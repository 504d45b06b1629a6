/**
 * The one-pfn-per-class contract. compare judges one pfn per class of pfns
 * that the kernel's metadata cannot tell apart (classes.ts) and counts the
 * answer for the whole class. The built-in designs keep the contract by
 * construction: they read nothing else. A design from a module need not (it
 * could, say, answer by pfn parity), so for those compare spot-checks it:
 * after every kernel step, a few more pfns of up to CLASSES_PER_STEP
 * multi-pfn classes - the last and the middle one, the classes chosen evenly
 * over the judged ones and rotating from step to step - are looked up and
 * compared with the class's representative. A difference is reported as a
 * violation (its counts are then not exact), never silently trusted.
 */
import {
  type BoundDesign,
  DESIGNS,
  type Design,
  FAULT_DESIGNS,
  type Lookup,
  NO_PAGE,
} from '../designs/index.js';
import type { PfnClass } from './classes.js';

export const MODULE_CONTRACT =
  "designs from modules are judged one pfn per class: a design must answer alike for pfns it cannot tell apart by the kernel's metadata";

/** Classes spot-checked per kernel step and module design. */
const CLASSES_PER_STEP = 8;
/** Violations kept as examples, per design. */
const EXAMPLES_PER_DESIGN = 3;

const BUILTIN: ReadonlySet<Design> = new Set([...DESIGNS, ...FAULT_DESIGNS]);

/** A built-in design (not one loaded from a module): it keeps the contract by construction. */
export function isBuiltinDesign(d: Design): boolean {
  return BUILTIN.has(d);
}

/** What one design's lookups said about one pfn (null: it has no pfn_to_device_page()). */
export interface LookupAnswers {
  readonly pfnValid: boolean;
  readonly pfnToOnlinePage: boolean;
  readonly pfnToDevicePage: boolean | null;
  readonly isZoneDevicePage: boolean;
}

export function lookupAnswers(l: Lookup, pfn: number): LookupAnswers {
  const online = l.pfnToOnlinePage(pfn);
  const device = l.pfnToDevicePage ? l.pfnToDevicePage(pfn) : undefined;
  return {
    pfnValid: l.pfnValid(pfn),
    pfnToOnlinePage: online !== NO_PAGE,
    pfnToDevicePage: device === undefined ? null : device !== NO_PAGE,
    isZoneDevicePage: l.isZoneDevicePage(pfn),
  };
}

function sameAnswers(a: LookupAnswers, b: LookupAnswers): boolean {
  return (
    a.pfnValid === b.pfnValid &&
    a.pfnToOnlinePage === b.pfnToOnlinePage &&
    a.pfnToDevicePage === b.pfnToDevicePage &&
    a.isZoneDevicePage === b.isZoneDevicePage
  );
}

export interface ContractViolation {
  readonly design: string;
  /** The scenario step (0: boot) and the kernel function after which the answers differed. */
  readonly step: number;
  readonly after: string;
  /** The class, whose first pfn (the representative) was judged for all of it. */
  readonly class: { readonly start: number; readonly end: number };
  readonly pfn: number;
  readonly representativeAnswers: LookupAnswers;
  readonly answers: LookupAnswers;
}

export interface ContractCheck {
  readonly note: string;
  /** Per design from a module: extra pfns looked up, and how many answered unlike their representative. */
  readonly checked: Record<string, number>;
  readonly violations: Record<string, number>;
  /** The first few violations of each design. */
  readonly examples: readonly ContractViolation[];
}

/** Where a kernel step is: its scenario step and kernel function. */
export interface StepPlace {
  readonly step: number;
  readonly after: string;
}

/** The pfns of a class checked against its representative: the last and the middle one. */
function probes(c: PfnClass): number[] {
  const last = c.end - 1;
  const middle = c.start + Math.floor((c.end - c.start) / 2);
  return middle === last ? [last] : [middle, last];
}

export class ContractChecker {
  private readonly checked = new Map<string, number>();
  private readonly violations = new Map<string, number>();
  private readonly examples: ContractViolation[] = [];
  private round = 0;

  constructor(private readonly designs: readonly BoundDesign[]) {
    for (const b of designs) {
      this.checked.set(b.design.name, 0);
      this.violations.set(b.design.name, 0);
    }
  }

  /** The module designs among `bound` (none: no checker needed). */
  static forDesigns(bound: readonly BoundDesign[]): ContractChecker | undefined {
    const modules = bound.filter((b) => !isBuiltinDesign(b.design));
    return modules.length ? new ContractChecker(modules) : undefined;
  }

  /** Spot-check the judged classes of one kernel step for the module designs among `active`. */
  check(active: readonly BoundDesign[], classes: readonly PfnClass[], place: StepPlace): void {
    const designs = this.designs.filter((b) => active.includes(b));
    if (designs.length === 0) return;
    for (const c of this.chosen(classes)) {
      for (const b of designs) {
        const representative = lookupAnswers(b.lookup, c.start);
        for (const pfn of probes(c)) this.compare(b, c, pfn, representative, place);
      }
    }
  }

  private compare(
    b: BoundDesign,
    c: PfnClass,
    pfn: number,
    representativeAnswers: LookupAnswers,
    place: StepPlace,
  ): void {
    const name = b.design.name;
    this.checked.set(name, (this.checked.get(name) ?? 0) + 1);
    const answers = lookupAnswers(b.lookup, pfn);
    if (sameAnswers(representativeAnswers, answers)) return;
    const seen = this.violations.get(name) ?? 0;
    this.violations.set(name, seen + 1);
    if (seen < EXAMPLES_PER_DESIGN)
      this.examples.push({
        design: name,
        ...place,
        class: { start: c.start, end: c.end },
        pfn,
        representativeAnswers,
        answers,
      });
  }

  /** Up to CLASSES_PER_STEP multi-pfn classes, spread evenly, at an offset that rotates per step. */
  private chosen(classes: readonly PfnClass[]): PfnClass[] {
    const multi = classes.filter((c) => c.end - c.start > 1);
    if (multi.length <= CLASSES_PER_STEP) return multi;
    // The golden ratio's fractional part: offsets that keep filling the gaps step after step.
    const offset = (this.round++ * 0.6180339887) % 1;
    const out: PfnClass[] = [];
    for (let t = 0; t < CLASSES_PER_STEP; t++)
      out.push(multi[Math.floor(((t + offset) * multi.length) / CLASSES_PER_STEP)]);
    return out;
  }

  result(): ContractCheck {
    return {
      note: MODULE_CONTRACT,
      checked: Object.fromEntries(this.checked),
      violations: Object.fromEntries(this.violations),
      examples: this.examples,
    };
  }
}
