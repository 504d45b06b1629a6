/**
 * A set of pfns kept as sorted disjoint [start, end) ranges, with a few example pfns.
 *
 * INVARIANT: starts/ends[0 .. n) are sorted, and consecutive ranges neither
 * overlap nor touch (ends[i] < starts[i + 1]): every range is maximal, so
 * examples() are the first pfns of the maximal runs, whatever order ranges
 * were added in. total is the sum of their lengths.
 *
 * Additions arrive in runs of ascending ranges (compare adds every class of a
 * kernel step in address order, and each kernel step starts again at pfn 0),
 * so add() collects an ascending run in a pending buffer - itself sorted and
 * maximal - and merges it into the set in one pass when a range arrives out
 * of order or the set is read. A merge touches only the ranges of the set
 * between the run's first and last pfn (found by binary search) and moves
 * the tail once: a run of k ranges costs O(k + log n + what it overlaps +
 * one move of the tail), not O(k * n).
 */
export class RangeSet {
  private starts: Float64Array = new Float64Array(16);
  private ends: Float64Array = new Float64Array(16);
  private n = 0;
  private total = 0;
  // The pending ascending run (same invariant as the set).
  private runStarts: Float64Array = new Float64Array(16);
  private runEnds: Float64Array = new Float64Array(16);
  private runN = 0;

  add(start: number, end: number): void {
    if (end <= start) return;
    const k = this.runN;
    if (k > 0 && start < this.runStarts[k - 1]) this.flush();
    const m = this.runN;
    if (m > 0 && start <= this.runEnds[m - 1]) {
      if (end > this.runEnds[m - 1]) this.runEnds[m - 1] = end;
      return;
    }
    if (m === this.runStarts.length) {
      this.runStarts = grown(this.runStarts, m + 1);
      this.runEnds = grown(this.runEnds, m + 1);
    }
    this.runStarts[m] = start;
    this.runEnds[m] = end;
    this.runN = m + 1;
  }

  /** Empty the set. */
  clear(): void {
    this.n = 0;
    this.runN = 0;
    this.total = 0;
  }

  /** Add every range of other. */
  addSet(other: RangeSet): void {
    other.flush();
    for (let i = 0; i < other.n; i++) this.add(other.starts[i], other.ends[i]);
  }

  get size(): number {
    this.flush();
    return this.total;
  }

  /** Up to n example pfns: the first pfn of each range. */
  examples(n: number): number[] {
    this.flush();
    return Array.from(this.starts.subarray(0, Math.min(n, this.n)));
  }

  ranges(): [number, number][] {
    this.flush();
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) out.push([this.starts[i], this.ends[i]]);
    return out;
  }

  /** Index of the first range with ends[i] >= pfn (n when none). */
  private firstEndingAtOrAfter(pfn: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] < pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first range with starts[i] > pfn, searching from lo (n when none). */
  private firstStartingAfter(pfn: number, lo: number): number {
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] <= pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Merge the pending run into the set. */
  private flush(): void {
    const k = this.runN;
    if (k === 0) return;
    this.runN = 0;
    // Ranges [i, j) of the set touch the run's span; those before and after stay as they are.
    const i = this.firstEndingAtOrAfter(this.runStarts[0]);
    const j = this.firstStartingAfter(this.runEnds[k - 1], i);
    const merged = mergeRuns(this.starts, this.ends, i, j, this.runStarts, this.runEnds, k);
    let removed = 0;
    for (let x = i; x < j; x++) removed += this.ends[x] - this.starts[x];
    this.total += merged.length - removed;
    this.splice(i, j, merged.n);
  }

  /** Replace ranges [i, j) of the set by the first `count` ranges of the merge scratch. */
  private splice(i: number, j: number, count: number): void {
    const n = this.n + count - (j - i);
    if (n > this.starts.length) {
      this.starts = grown(this.starts, n);
      this.ends = grown(this.ends, n);
    }
    this.starts.copyWithin(i + count, j, this.n);
    this.ends.copyWithin(i + count, j, this.n);
    this.starts.set(scratch.starts.subarray(0, count), i);
    this.ends.set(scratch.ends.subarray(0, count), i);
    this.n = n;
  }
}

/** A copy of a with room for at least `need` elements (doubling). */
function grown(a: Float64Array, need: number): Float64Array {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const out = new Float64Array(size);
  out.set(a);
  return out;
}

/** Where mergeRuns() writes; shared, as merges never nest. */
const scratch: { starts: Float64Array; ends: Float64Array } = {
  starts: new Float64Array(16),
  ends: new Float64Array(16),
};

/**
 * Merge ranges [i, j) of (as, ae) with the k ranges of (bs, be), both sorted
 * and maximal, into scratch as sorted maximal ranges: n of them, length pfns.
 */
function mergeRuns(
  as: Float64Array,
  ae: Float64Array,
  i: number,
  j: number,
  bs: Float64Array,
  be: Float64Array,
  k: number,
): { n: number; length: number } {
  const need = j - i + k;
  if (scratch.starts.length < need) {
    scratch.starts = grown(scratch.starts, need);
    scratch.ends = grown(scratch.ends, need);
  }
  const os = scratch.starts;
  const oe = scratch.ends;
  let n = 0;
  let length = 0;
  let a = i;
  let b = 0;
  while (a < j || b < k) {
    let s: number;
    let e: number;
    if (b >= k || (a < j && as[a] <= bs[b])) {
      s = as[a];
      e = ae[a++];
    } else {
      s = bs[b];
      e = be[b++];
    }
    if (n > 0 && s <= oe[n - 1]) {
      if (e > oe[n - 1]) {
        length += e - oe[n - 1];
        oe[n - 1] = e;
      }
      continue;
    }
    os[n] = s;
    oe[n] = e;
    length += e - s;
    n++;
  }
  return { n, length };
}
