/**
 * The truth about every pfn, kept beside the kernel structures and never read
 * by a design. Operations write it at the same steps that change what a pfn is;
 * designs are judged against it.
 *
 * Stored as a sorted list of disjoint intervals [start, end) -> Truth; a pfn
 * outside every interval has no memmap. A 64 TiB boot is a handful of intervals.
 */
import type { ZoneName } from './page-flags.js';

export type TruthState =
  | 'no-memmap' // no struct page has ever existed here (or the memmap was never populated)
  | 'hole' // a struct page exists (early section) but no memory backs the pfn
  | 'uninitialized' // memmap populated, not yet initialized
  | 'online' // online System RAM, handed to the page allocator
  | 'offline' // System RAM that is not online: initialized but not yet onlined, or offlined
  | 'device' // a ZONE_DEVICE page of a pgmap, initialized
  | 'driver-reserved' // altmap reserve and memmap-holding pfns: never handed out
  | 'vmemmap' // memmap_on_memory: a hot-added block's first pfns, holding its own memmap; never given to the buddy
  | 'tearing-down' // an operation is invalidating this memmap right now
  | 'freed'; // the memmap was freed (and not populated again)

export const TRUTH_STATES: readonly TruthState[] = [
  'no-memmap',
  'hole',
  'uninitialized',
  'online',
  'offline',
  'device',
  'driver-reserved',
  'vmemmap',
  'tearing-down',
  'freed',
];

export interface Truth {
  readonly state: TruthState;
  /**
   * An operation is moving these pages between states and nobody can be
   * using them yet or any more (isolated pageblocks being onlined or
   * offlined, device pages not yet handed to the driver): either answer is
   * acceptable, and a lookup that returns the page or misses it is not wrong.
   */
  readonly settling?: boolean;
  /** The zone the pfn belongs to, where it belongs to one. */
  readonly zone?: ZoneName;
  /** The id of the pgmap owning a ZONE_DEVICE pfn. */
  readonly pgmap?: string;
  readonly nid?: number;
}

export const NO_MEMMAP: Truth = Object.freeze({ state: 'no-memmap' });

export function sameTruth(a: Truth, b: Truth): boolean {
  return (
    a.state === b.state &&
    a.zone === b.zone &&
    a.pgmap === b.pgmap &&
    a.nid === b.nid &&
    a.settling === b.settling
  );
}

export interface TruthInterval {
  readonly start: number;
  readonly end: number;
  readonly truth: Truth;
}

export class TruthMap {
  private starts: number[] = [];
  private ends: number[] = [];
  private values: Truth[] = [];

  /** Index of the first interval whose end is > pfn. */
  private firstEndingAfter(pfn: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] <= pfn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(pfn: number): Truth {
    const i = this.firstEndingAfter(pfn);
    if (i < this.starts.length && this.starts[i] <= pfn) return this.values[i];
    return NO_MEMMAP;
  }

  /** Set [start, end) to truth; 'no-memmap' erases. Adjacent equal intervals merge. */
  set(start: number, end: number, truth: Truth): void {
    if (end <= start) return;
    const i = this.firstEndingAfter(start);
    let j = i;
    const newStarts: number[] = [];
    const newEnds: number[] = [];
    const newValues: Truth[] = [];
    if (i < this.starts.length && this.starts[i] < start) {
      newStarts.push(this.starts[i]);
      newEnds.push(start);
      newValues.push(this.values[i]);
    }
    while (j < this.starts.length && this.starts[j] < end) j++;
    if (truth.state !== 'no-memmap') {
      newStarts.push(start);
      newEnds.push(end);
      newValues.push(truth);
    }
    if (j > i && this.ends[j - 1] > end) {
      newStarts.push(end);
      newEnds.push(this.ends[j - 1]);
      newValues.push(this.values[j - 1]);
    }
    this.starts.splice(i, j - i, ...newStarts);
    this.ends.splice(i, j - i, ...newEnds);
    this.values.splice(i, j - i, ...newValues);
    this.coalesce(Math.max(0, i - 1), Math.min(this.starts.length, i + newStarts.length + 1));
  }

  /** Rewrite every interval in [start, end) through fn (which sees the old truth). */
  map(start: number, end: number, fn: (old: Truth) => Truth): void {
    for (const piece of this.slice(start, end)) this.set(piece.start, piece.end, fn(piece.truth));
  }

  private coalesce(from: number, to: number): void {
    for (let k = Math.min(to, this.starts.length) - 1; k > from; k--) {
      if (this.ends[k - 1] === this.starts[k] && sameTruth(this.values[k - 1], this.values[k])) {
        this.ends[k - 1] = this.ends[k];
        this.starts.splice(k, 1);
        this.ends.splice(k, 1);
        this.values.splice(k, 1);
      }
    }
  }

  /** The intervals covering [start, end), with the gaps reported as no-memmap. */
  slice(start: number, end: number): TruthInterval[] {
    const out: TruthInterval[] = [];
    let pfn = start;
    for (let i = this.firstEndingAfter(start); i < this.starts.length && this.starts[i] < end; i++) {
      if (this.starts[i] > pfn) out.push({ start: pfn, end: this.starts[i], truth: NO_MEMMAP });
      const s = Math.max(pfn, this.starts[i]);
      const e = Math.min(end, this.ends[i]);
      out.push({ start: s, end: e, truth: this.values[i] });
      pfn = e;
    }
    if (pfn < end) out.push({ start: pfn, end, truth: NO_MEMMAP });
    return out;
  }

  intervals(): TruthInterval[] {
    return this.starts.map((start, i) => ({ start, end: this.ends[i], truth: this.values[i] }));
  }

  clone(): TruthMap {
    const copy = new TruthMap();
    copy.starts = this.starts.slice();
    copy.ends = this.ends.slice();
    copy.values = this.values.slice();
    return copy;
  }
}
