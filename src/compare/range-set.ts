/** A set of pfns kept as sorted disjoint [start, end) ranges, with a few example pfns. */
export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const n = this.starts.length;
    // Fast path: ranges usually arrive in ascending order.
    if (n === 0 || start > this.ends[n - 1]) {
      this.starts.push(start);
      this.ends.push(end);
      return;
    }
    let i = 0;
    while (i < n && this.ends[i] < start) i++;
    let j = i;
    let s = start;
    let e = end;
    while (j < n && this.starts[j] <= end) {
      s = Math.min(s, this.starts[j]);
      e = Math.max(e, this.ends[j]);
      j++;
    }
    this.starts.splice(i, j - i, s);
    this.ends.splice(i, j - i, e);
  }

  get size(): number {
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) total += this.ends[i] - this.starts[i];
    return total;
  }

  /** Up to n example pfns: the first pfn of each range. */
  examples(n: number): number[] {
    return this.starts.slice(0, n);
  }

  ranges(): [number, number][] {
    return this.starts.map((s, i) => [s, this.ends[i]]);
  }
}
