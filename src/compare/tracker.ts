/**
 * pfnClasses() kept up to date kernel step by kernel step, rescanning only
 * the sections a step can have changed. A full scan reads every section of
 * the machine (half a million on 64 TiB); a kernel step writes a few.
 *
 * What a step changed comes from the model memory's journal (Memory's record
 * of every store), started once boot is judged. A section's signature and
 * inner breakpoints (see classes.ts) read its record in a root and the
 * allocations hanging off it: the usage record and the memmap - one uniform
 * node, or a split node with its subsection directory, subsection nodes and
 * per-page arrays. Every such allocation is registered with its section as
 * owner whenever the section is (re)scanned. A journaled store then marks
 * dirty:
 *   - every section of a root, when it hits the root table (a new root);
 *   - the section whose record it hits (roots are found by address);
 *   - the owner of the allocation it hits (found from the address by its
 *     first word: the shadow of an allocation's header word is 0).
 * A pointer to a new allocation is itself a store to the record or to an
 * allocation already registered, so the owner is rescanned and registers it.
 *
 * INVARIANT: after update(), every section's stored signature, mixed bits and
 * inner breakpoints equal what a fresh scan computes, so classes() equals
 * pfnClasses(). It rests on the journal seeing every change to allocated
 * words, and on freed blocks not being handed out again while it runs
 * (Memory's rule), so that a stale owner can only mark a section dirty for
 * nothing, never miss one. A store that fits none of the above (an address
 * whose header does not cover it) rescans everything.
 *
 * changes() says, after classes(), which pfns the last kernel step can have
 * changed for a reader or for the judge: the sections it marked dirty (or
 * everything, when a store was lost), every pgmap range when it wrote the
 * pgmap table, and the pfns whose truth differs from the step before. It is
 * a superset of where any design's answer or any judgment can have changed
 * for designs that read what classes.ts lists (globals aside).
 */
import type { Geometry } from '../arch/geometry.js';
import {
  N_CHILD,
  N_STATE,
  NODE_SPLIT,
  PGMAP_SLOTS,
  PGMAP_WORDS,
  S_MEMMAP,
  S_USAGE,
  SECTION_WORDS,
} from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { type Journal, NULL } from '../model/memory.js';
import { pgmapTableAddr } from '../model/pgmap.js';
import { rootsAddr } from '../model/sections.js';
import { NO_MEMMAP, sameTruth, type TruthInterval } from '../model/truth.js';
import {
  type BitmapShape,
  bitmapShape,
  classesBetween,
  innerBreakpoints,
  type PfnClass,
  pgmapBreakpoints,
  SIG_WORDS,
  sectionSignature,
  sortedBreakpoints,
  sortedOtherBreakpoints,
} from './classes.js';
import { IntMap } from './int-map.js';
import type { RangeSet } from './range-set.js';

/** Per section: the signature words, then its MIXED_* bits. */
const STRIDE = SIG_WORDS + 1;
const MIXED_AT = SIG_WORDS;
const EMPTY = new Int32Array(STRIDE);
const NO_OWNER = -1;

export class ClassTracker {
  private readonly g: Geometry;
  private readonly mem: Int32Array;
  private readonly shadow: Uint8Array;
  private readonly shape: BitmapShape;
  private readonly rootTable: number;
  private readonly journal: Journal;
  /** Root index -> the signatures of its sections, STRIDE words each. */
  private readonly sigs = new Map<number, Int32Array>();
  /** Addresses of the allocated roots, ascending by address (not by root index), and their root indices. */
  private readonly rootStarts: number[] = [];
  private readonly rootIndices: number[] = [];
  /** First word of a usage record or memmap allocation -> the section reading it. */
  private readonly owners = new IntMap(1 << 16);
  /** Section numbers whose first pfn is a breakpoint. */
  private readonly boundaries = new Set<number>();
  /** Sections not uniform inside, with the breakpoints inside them. */
  private readonly inner = new Map<number, number[]>();
  // Per-step scratch; dirty, stepLost and pgmapsWritten describe the last update() until the next.
  private readonly dirty = new Set<number>();
  private readonly seen = new Set<number>();
  private lost = false;
  private stepLost = false;
  private pgmapsWritten = false;
  /** The pgmap table's words, [start, end). */
  private pgmapStart = 0;
  private pgmapEnd = 0;
  /** The allocation of the last store looked up, [start, end), and its owner. */
  private lastStart = 0;
  private lastEnd = 0;
  private lastOwner = NO_OWNER;
  // What the last classes() returned, and the breakpoints it was made of (each sorted).
  private sectionPoints: number[] = [];
  private otherPoints: number[] = [];
  private points: number[] = [];
  private last: PfnClass[] = [];
  /** The truth as of the last classes() and the one before (undefined: none yet). */
  private intervals: TruthInterval[] | undefined;
  private prevIntervals: TruthInterval[] | undefined;

  constructor(private readonly m: Machine) {
    this.g = m.g;
    this.mem = m.mem.words;
    this.shadow = m.mem.shadow;
    this.shape = bitmapShape(m.g);
    this.rootTable = rootsAddr(this.mem);
    if (m.mem.journal) throw new Error('ClassTracker: the machine already journals its memory');
    this.journal = m.mem.startJournal();
    for (let r = 0; r < this.g.nrSectionRoots; r++)
      if (this.mem[this.rootTable + r] !== NULL) this.addRoot(r);
    this.checkAllBoundaries();
    this.collectSectionPoints();
  }

  /** The classes after the kernel step that just ran (the same array when nothing changed). */
  classes(): readonly PfnClass[] {
    const sectionsChanged = this.update();
    this.prevIntervals = this.intervals;
    this.intervals = this.m.truth.intervals();
    const other = sortedOtherBreakpoints(this.m, this.intervals);
    if (!sectionsChanged && this.last.length > 0 && sameNumbers(other, this.otherPoints)) return this.last;
    this.otherPoints = other;
    const points = mergeSorted(this.sectionPoints, other);
    if (this.last.length > 0 && sameNumbers(points, this.points)) return this.last;
    this.points = points;
    this.last = classesBetween(points);
    return this.last;
  }

  /**
   * Add to `out` the pfns the kernel step before the last classes() can have
   * changed for a reader or the judge (see the header): dirty sections,
   * pgmap ranges when the table was written, pfns whose truth changed.
   */
  changes(out: RangeSet): void {
    const pps = this.g.pagesPerSection;
    if (this.stepLost) {
      out.add(0, this.g.maxPfn);
      return;
    }
    const dirty = Float64Array.from(this.dirty).sort();
    for (let k = 0; k < dirty.length; k++) out.add(dirty[k] * pps, (dirty[k] + 1) * pps);
    if (this.pgmapsWritten) {
      const ends: number[] = [];
      pgmapBreakpoints(this.m, ends);
      for (let k = 0; k + 1 < ends.length; k += 2) out.add(ends[k], ends[k + 1]);
    }
    if (this.prevIntervals && this.intervals) truthChanges(this.prevIntervals, this.intervals, out);
  }

  /** Stop journaling the machine's memory. */
  stop(): void {
    if (this.m.mem.journal === this.journal) this.m.mem.journal = null;
  }

  /** Rescan what the journaled stores can have changed, and the section points; false when nothing was. */
  private update(): boolean {
    const e = this.journal.entries;
    const { dirty, seen } = this;
    dirty.clear();
    this.stepLost = false;
    this.pgmapsWritten = false;
    if (e.length === 0) return false;
    seen.clear();
    this.lastEnd = 0;
    this.pgmapStart = pgmapTableAddr(this.mem);
    this.pgmapEnd = this.pgmapStart === NULL ? NULL : this.pgmapStart + PGMAP_SLOTS * PGMAP_WORDS;
    // Entries are (kind, addr, old value) triples; a shadow entry's address is a word's too.
    for (let i = 1; i < e.length; i += 3) {
      const addr = e[i];
      if (seen.has(addr)) continue;
      seen.add(addr);
      this.markDirty(addr);
    }
    e.length = 0;
    if (this.lost) {
      this.lost = false;
      this.stepLost = true;
      for (const r of this.sigs.keys()) this.rescanRoot(r);
      this.checkAllBoundaries();
      this.collectSectionPoints();
      return true;
    }
    if (dirty.size === 0) return false;
    for (const nr of dirty) this.rescan(nr);
    for (const nr of dirty) {
      this.checkBoundary(nr);
      this.checkBoundary(nr + 1);
    }
    this.patchSectionPoints();
    return true;
  }

  /** Section boundaries and inner breakpoints with the end of the section table, sorted, cut at maxPfn. */
  private collectSectionPoints(): void {
    const pps = this.g.pagesPerSection;
    const points: number[] = [this.g.nrMemSections * pps];
    for (const nr of this.boundaries) points.push(nr * pps);
    for (const list of this.inner.values()) for (const p of list) points.push(p);
    this.sectionPoints = sortedBreakpoints(points, this.g.maxPfn);
  }

  /**
   * collectSectionPoints() after rescanning the dirty sections, in one pass
   * over the old points instead of a sort of all of them: only the points of
   * a dirty section nr - its boundaries nr and nr + 1 and its inner points,
   * all in the closed span [nr, nr + 1] * pagesPerSection - can have changed.
   * Per run a..b of dirty sections, the old points in [a, b + 1] *
   * pagesPerSection are replaced by the current ones (a mixed neighbour's
   * inner points start at its boundary, which is then a boundary too).
   */
  private patchSectionPoints(): void {
    const pps = this.g.pagesPerSection;
    const nrs = Float64Array.from(this.dirty).sort();
    const spans: number[] = [];
    const fresh: number[] = [];
    for (let k = 0; k < nrs.length; ) {
      let b = k;
      while (b + 1 < nrs.length && nrs[b + 1] === nrs[b] + 1) b++;
      spans.push(nrs[k] * pps, (nrs[b] + 1) * pps);
      for (let nr = nrs[k]; nr <= nrs[b] + 1; nr++) {
        if (this.boundaries.has(nr) || nr === this.g.nrMemSections) fresh.push(nr * pps);
        const inner = nr <= nrs[b] ? this.inner.get(nr) : undefined;
        if (inner) for (const p of inner) fresh.push(p);
      }
      k = b + 1;
    }
    this.sectionPoints = replaceSpans(this.sectionPoints, spans, sortedBreakpoints(fresh, this.g.maxPfn));
  }

  private addRoot(r: number): void {
    this.sigs.set(r, new Int32Array(this.g.sectionsPerRoot * STRIDE));
    const start = this.mem[this.rootTable + r];
    const k = this.rootStarts.findIndex((x) => x > start);
    const at = k < 0 ? this.rootStarts.length : k;
    this.rootStarts.splice(at, 0, start);
    this.rootIndices.splice(at, 0, r);
    this.rescanRoot(r);
  }

  /** Root r's pointer was written: follow it (sparse_index_init() sets it once; anything else is handled too). */
  private syncRoot(r: number): void {
    const start = this.mem[this.rootTable + r];
    const at = this.rootIndices.indexOf(r);
    if (at >= 0 && this.rootStarts[at] === start) return;
    if (at >= 0) {
      this.rootStarts.splice(at, 1);
      this.rootIndices.splice(at, 1);
      this.sigs.delete(r);
    }
    if (start !== NULL) this.addRoot(r);
  }

  private rescanRoot(r: number): void {
    for (let i = 0; i < this.g.sectionsPerRoot; i++) this.rescan(r * this.g.sectionsPerRoot + i);
  }

  /** Mark the sections whose signature a store to addr can have changed. */
  private markDirty(addr: number): void {
    if (addr >= this.pgmapStart && addr < this.pgmapEnd) {
      this.pgmapsWritten = true;
      return;
    }
    const spr = this.g.sectionsPerRoot;
    const r = addr - this.rootTable;
    if (r >= 0 && r < this.g.nrSectionRoots) {
      this.syncRoot(r);
      for (let i = 0; i < spr; i++) this.dirty.add(r * spr + i);
      return;
    }
    const nr = this.sectionOfRecordWord(addr);
    if (nr >= 0) {
      this.dirty.add(nr);
      return;
    }
    const owner = this.ownerOf(addr);
    if (owner !== NO_OWNER) this.dirty.add(owner);
  }

  /** The section owning the allocation holding addr, or NO_OWNER. */
  private ownerOf(addr: number): number {
    if (addr >= this.lastStart && addr < this.lastEnd) return this.lastOwner;
    const shadow = this.shadow;
    // A header word (the allocator's size word) or a word never allocated: nobody reads it.
    if (shadow[addr] === 0) return NO_OWNER;
    let start = addr;
    while (start > 0 && shadow[start - 1] !== 0) start--;
    const end = start + this.mem[start - 1];
    if (addr >= end) {
      this.lost = true;
      return NO_OWNER;
    }
    this.lastStart = start;
    this.lastEnd = end;
    this.lastOwner = this.owners.get(start);
    return this.lastOwner;
  }

  /** The section whose record holds addr, or -1. */
  private sectionOfRecordWord(addr: number): number {
    const starts = this.rootStarts;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= addr) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return -1;
    const offset = addr - starts[lo - 1];
    if (offset >= this.g.sectionsPerRoot * SECTION_WORDS) return -1;
    return this.rootIndices[lo - 1] * this.g.sectionsPerRoot + Math.floor(offset / SECTION_WORDS);
  }

  /** Recompute section nr's signature and inner breakpoints, and register what it reads. */
  private rescan(nr: number): void {
    const spr = this.g.sectionsPerRoot;
    const r = Math.floor(nr / spr);
    const sigs = this.sigs.get(r);
    if (!sigs) {
      this.inner.delete(nr); // an absent root: its sections read as empty until addRoot
      return;
    }
    const ms = this.mem[this.rootTable + r] + (nr - r * spr) * SECTION_WORDS;
    const at = (nr - r * spr) * STRIDE;
    const mixed = sectionSignature(this.mem, ms, this.shape, sigs, at);
    sigs[at + MIXED_AT] = mixed;
    this.registerOwned(ms, nr);
    if (mixed === 0) {
      this.inner.delete(nr);
      return;
    }
    const points: number[] = [];
    innerBreakpoints(this.m, nr, ms, mixed, points);
    this.inner.set(nr, points);
  }

  /** Register section nr as the owner of its usage record and every allocation of its memmap. */
  private registerOwned(ms: number, nr: number): void {
    const mem = this.mem;
    const usage = mem[ms + S_USAGE];
    if (usage !== NULL) this.owners.set(usage, nr);
    const node = mem[ms + S_MEMMAP];
    if (node === NULL) return;
    this.owners.set(node, nr);
    if (mem[node + N_STATE] !== NODE_SPLIT) return;
    const dir = mem[node + N_CHILD];
    if (dir === NULL) return;
    this.owners.set(dir, nr);
    for (let i = 0; i < this.g.subsectionsPerSection; i++) {
      const sub = mem[dir + i];
      if (sub === NULL) continue;
      this.owners.set(sub, nr);
      const pages = mem[sub + N_STATE] === NODE_SPLIT ? mem[sub + N_CHILD] : NULL;
      if (pages !== NULL) this.owners.set(pages, nr);
    }
  }

  private checkAllBoundaries(): void {
    for (const r of this.sigs.keys()) {
      for (let i = 0; i <= this.g.sectionsPerRoot; i++) this.checkBoundary(r * this.g.sectionsPerRoot + i);
    }
  }

  /** Is the boundary between section nr - 1 and nr a breakpoint? (Both ends of the table always are.) */
  private checkBoundary(nr: number): void {
    if (nr <= 0 || nr >= this.g.nrMemSections) return;
    const [a, ai] = this.slot(nr - 1);
    const [b, bi] = this.slot(nr);
    let differ = a[ai + MIXED_AT] !== 0 || b[bi + MIXED_AT] !== 0;
    for (let k = 0; k < SIG_WORDS && !differ; k++) differ = a[ai + k] !== b[bi + k];
    if (differ) this.boundaries.add(nr);
    else this.boundaries.delete(nr);
  }

  /** Where section nr's signature is stored (the empty signature for an absent root). */
  private slot(nr: number): [Int32Array, number] {
    const spr = this.g.sectionsPerRoot;
    const r = Math.floor(nr / spr);
    const sigs = this.sigs.get(r);
    return sigs ? [sigs, (nr - r * spr) * STRIDE] : [EMPTY, 0];
  }
}

/**
 * Add to `out` the pfns whose truth differs between two truths (each a sorted
 * list of disjoint intervals; a pfn in none has NO_MEMMAP), in one pass over
 * both: p walks every interval end and start of either.
 */
export function truthChanges(a: readonly TruthInterval[], b: readonly TruthInterval[], out: RangeSet): void {
  let i = 0;
  let j = 0;
  let p = 0;
  for (;;) {
    while (i < a.length && a[i].end <= p) i++;
    while (j < b.length && b[j].end <= p) j++;
    if (i >= a.length && j >= b.length) return;
    const x = a[i];
    const y = b[j];
    const inX = x !== undefined && x.start <= p;
    const inY = y !== undefined && y.start <= p;
    const nextX = x === undefined ? Number.POSITIVE_INFINITY : inX ? x.end : x.start;
    const nextY = y === undefined ? Number.POSITIVE_INFINITY : inY ? y.end : y.start;
    const next = Math.min(nextX, nextY);
    if (!sameTruth(inX ? x.truth : NO_MEMMAP, inY ? y.truth : NO_MEMMAP)) out.add(p, next);
    p = next;
  }
}

/**
 * The sorted points with those inside the closed spans (sorted disjoint
 * [lo, hi] pairs) replaced by `fresh` (sorted, all inside the spans).
 */
function replaceSpans(
  points: readonly number[],
  spans: readonly number[],
  fresh: readonly number[],
): number[] {
  const out: number[] = [];
  let s = 0;
  let f = 0;
  for (const p of points) {
    while (s < spans.length && spans[s + 1] < p) s += 2;
    if (s < spans.length && spans[s] <= p) continue;
    while (f < fresh.length && fresh[f] < p) out.push(fresh[f++]);
    out.push(p);
  }
  while (f < fresh.length) out.push(fresh[f++]);
  return out;
}

/** The union of two sorted lists without repeats, sorted without repeats. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const p = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out.length === 0 || out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
