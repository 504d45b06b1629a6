/**
 * Which classes a kernel step judges: all of them, or - on a fragmented
 * layout of more than classLimit classes - a bounded stratified sample of
 * them plus, exactly, every class of the pfns the running operation has
 * changed so far (its focus: the sections its kernel steps wrote to, its
 * pgmaps, the pfns whose truth changed; see ClassTracker.changes()). The
 * operation's own range is where its wrong answers appear, and among a
 * hundred thousand hole classes a stratified sample would almost never draw
 * it.
 */
import type { PfnClass } from './classes.js';
import type { RangeSet } from './range-set.js';

/** Index of the first class with end > pfn (classes sorted and contiguous). */
function firstEndingAfter(classes: readonly PfnClass[], pfn: number): number {
  let lo = 0;
  let hi = classes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (classes[mid].end <= pfn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Mark (1) every class overlapping the focus; returns how many were marked. */
function markFocus(classes: readonly PfnClass[], focus: RangeSet, marks: Uint8Array): number {
  let marked = 0;
  for (const [start, end] of focus.ranges()) {
    for (let k = firstEndingAfter(classes, start); k < classes.length && classes[k].start < end; k++) {
      if (marks[k]) continue;
      marks[k] = 1;
      marked++;
    }
  }
  return marked;
}

/**
 * Mark `budget` of the unmarked classes, one drawn at random from each of
 * `budget` equal strata of them in address order (all of them when there
 * are no more than budget).
 */
function markStratified(marks: Uint8Array, budget: number, random: () => number): void {
  const rest = new Int32Array(marks.length);
  let n = 0;
  for (let k = 0; k < marks.length; k++) if (!marks[k]) rest[n++] = k;
  if (n <= budget) {
    for (let k = 0; k < n; k++) marks[rest[k]] = 1;
    return;
  }
  for (let k = 0; k < budget; k++) {
    const lo = Math.floor((k * n) / budget);
    const hi = Math.floor(((k + 1) * n) / budget);
    marks[rest[lo + Math.floor(random() * (hi - lo))]] = 1;
  }
}

/** How the classes of each kernel step were judged: all of them, or a bounded sample and the focus. */
export class Coverage {
  judgedSteps = 0;
  sampledSteps = 0;
  maxClasses = 0;
  /** The most focus classes judged in one sampled kernel step. */
  maxFocus = 0;

  constructor(
    readonly classLimit: number,
    readonly budget: number,
    private readonly random: () => number,
  ) {}

  /**
   * The classes to judge in one kernel step, in address order: all of them,
   * or every class overlapping `focus` and `budget` of the others. Each
   * judged class counts whole, so counts stay exact for what was judged.
   */
  pick(classes: readonly PfnClass[], focus: RangeSet): readonly PfnClass[] {
    this.judgedSteps++;
    this.maxClasses = Math.max(this.maxClasses, classes.length);
    if (classes.length <= this.classLimit || classes.length <= this.budget) return classes;
    this.sampledSteps++;
    const marks = new Uint8Array(classes.length);
    this.maxFocus = Math.max(this.maxFocus, markFocus(classes, focus, marks));
    markStratified(marks, this.budget, this.random);
    const out: PfnClass[] = [];
    for (let k = 0; k < classes.length; k++) if (marks[k]) out.push(classes[k]);
    return out;
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
      'of as many equal strata in address order, besides every class of what the operation had changed so far ' +
      '(the sections its kernel steps wrote to, its pgmaps, pfns whose truth changed), judged exactly ' +
      `(up to ${this.maxFocus} classes in a kernel step); counts are exact for the judged classes and lower bounds overall`
    );
  }
}
