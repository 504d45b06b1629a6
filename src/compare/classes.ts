/**
 * Classes of pfns that every design must answer alike and the truth judges
 * alike. Evaluating one pfn per class and weighting it by the class's size
 * counts wrong answers over every pfn exactly.
 *
 * What a design can read about pfn (and nothing else - see design.ts):
 *   (a) globals, the root table and the pgmap table: the same for every pfn,
 *       except that get_dev_pagemap() answers by pgmap range;
 *   (b) pfn's section record: its flags word (ONLINE, EARLY, TAINT, ... and
 *       the early nid) and nid word, whether ms->usage is NULL, the usage
 *       record's flags word and pfn's subsection bit in each usage bitmap;
 *   (c) pfn's struct page contents (flags with zone and node, refcount,
 *       pgmap id), or that no memmap maps it;
 *   (d) the limits pfn < maxPfn and section nr < NR_MEM_SECTIONS.
 * Pointers - ms's memmap and usage pointers, a memmap node's generation and
 * owner - are identities, not contents: they differ per section and no answer
 * may depend on them (the kernel's pfn_to_page() is arithmetic).
 *
 * INVARIANT (exactness): two pfns with equal (a)-(d) and equal truth get the
 * same answers and the same judgment. A class is a run of pfns that crosses
 * no pgmap range end, truth interval end or limit, and inside which (b) and
 * (c) are constant. So a section boundary is a breakpoint only when the two
 * sections' signatures differ - flags, nid, usage presence and flags, each
 * bitmap's value when it is uniform over the section, and the section's
 * struct page when its memmap is one uniform node - or when either section
 * is not uniform inside (a bitmap mixing set and clear subsections, a split
 * memmap), which then adds its own subsection and memmap-run breakpoints. A
 * 64 TiB boot is a handful of classes; the count grows with what a scenario
 * makes different, not with the size of the machine.
 *
 * pfnClasses() scans every section; compare keeps the same classes step by
 * step with a ClassTracker (tracker.ts), which rescans only what changed.
 */

import type { Geometry } from '../arch/geometry.js';
import {
  joinPfn,
  N_PAGE,
  N_STATE,
  NODE_SPLIT,
  P_FLAGS,
  P_PGMAP,
  P_REFCOUNT,
  PG_END_HI,
  PG_END_LO,
  PG_IN_ARRAY,
  PG_START_HI,
  PG_START_LO,
  PGMAP_SLOTS,
  PGMAP_WORDS,
  S_FLAGS,
  S_MEMMAP,
  S_NID,
  S_USAGE,
  SECTION_WORDS,
  U_FLAGS,
  U_SUBSECTION_MAP,
  USAGE_DESIGN_BITMAPS,
} from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';
import { pgmapTableAddr } from '../model/pgmap.js';
import { rootsAddr } from '../model/sections.js';
import type { TruthInterval } from '../model/truth.js';

export interface PfnClass {
  readonly start: number;
  readonly end: number;
}

/** subsection_map and every design bitmap a usage record can hold. */
const USAGE_SLOTS = 1 + USAGE_DESIGN_BITMAPS;

// Module-level copies of the layout constants the section scan reads: V8 folds a module's own
// constants but loads an imported binding on every use (as designs/active-bitmap.ts does).
const MS_FLAGS = S_FLAGS;
const MS_MEMMAP = S_MEMMAP;
const MS_NID = S_NID;
const MS_USAGE = S_USAGE;
const MS_WORDS = SECTION_WORDS;
const USAGE_FLAGS = U_FLAGS;
const SUBSECTION_MAP = U_SUBSECTION_MAP;
const NODE_STATE = N_STATE;
const SPLIT = NODE_SPLIT;
const PAGE_FLAGS = N_PAGE + P_FLAGS;
const PAGE_REFCOUNT = N_PAGE + P_REFCOUNT;
const PAGE_PGMAP = N_PAGE + P_PGMAP;

// A section's signature: what (b) and (c) read, when the section is uniform inside.
const SIG_FLAGS = 0;
const SIG_NID = 1;
const SIG_USAGE = 2; // 0: ms->usage is NULL; 1: present
const SIG_USAGE_FLAGS = 3;
const SIG_SLOTS_SET = 4; // bit s: bitmap s has every subsection set (else every one clear)
const SIG_MEMMAP = 5; // 0: no memmap; 1: one uniform struct page; 2: split (MIXED_MEMMAP)
const SIG_PAGE_FLAGS = 6;
const SIG_PAGE_REFCOUNT = 7;
const SIG_PAGE_PGMAP = 8;
export const SIG_WORDS = 9;

/** Why a section is not uniform inside (0: it is). */
const MIXED_USAGE = 1;
const MIXED_MEMMAP = 2;

/** The valid-subsection mask of each word of one bitmap: -1, or the low bits of the last word. */
export interface BitmapShape {
  readonly words: number;
  readonly lastMask: number;
  readonly stride: number;
}

export function bitmapShape(g: Geometry): BitmapShape {
  const rem = g.subsectionsPerSection % 32;
  return {
    words: Math.ceil(g.subsectionsPerSection / 32),
    lastMask: rem === 0 ? -1 : (1 << rem) - 1,
    stride: g.subsectionMapWords,
  };
}

/**
 * Each bitmap of a usage record, a word at a time: a bitmap is uniform iff its
 * words under the valid-subsection mask are all zero or all ones. Returns the
 * set of all-ones bitmaps (bit s for slot s), or -1 when one is mixed.
 */
function uniformBitmaps(mem: Int32Array, usage: number, shape: BitmapShape): number {
  let set = 0;
  for (let s = 0; s < USAGE_SLOTS; s++) {
    const base = usage + SUBSECTION_MAP + s * shape.stride;
    let any = 0;
    let all = -1;
    for (let w = 0; w < shape.words; w++) {
      const mask = w === shape.words - 1 ? shape.lastMask : -1;
      const v = mem[base + w] & mask;
      any |= v;
      all &= v | ~mask;
    }
    if (any === 0) continue;
    if (all !== -1) return -1;
    set |= 1 << s;
  }
  return set;
}

/**
 * Write section ms's signature to sig[at .. at + SIG_WORDS) and return the
 * MIXED_* bits saying what is not uniform inside it (0: nothing).
 */
export function sectionSignature(
  mem: Int32Array,
  ms: number,
  shape: BitmapShape,
  sig: Int32Array,
  at: number,
): number {
  let mixed = 0;
  sig[at + SIG_FLAGS] = mem[ms + MS_FLAGS];
  sig[at + SIG_NID] = mem[ms + MS_NID];
  const usage = mem[ms + MS_USAGE];
  const set = usage === NULL ? 0 : uniformBitmaps(mem, usage, shape);
  if (set < 0) mixed |= MIXED_USAGE;
  sig[at + SIG_USAGE] = usage === NULL ? 0 : 1;
  sig[at + SIG_USAGE_FLAGS] = usage === NULL ? 0 : mem[usage + USAGE_FLAGS];
  sig[at + SIG_SLOTS_SET] = Math.max(set, 0);
  const node = mem[ms + MS_MEMMAP];
  // pageAddressInSection(): a node that is not SPLIT is read as its one struct page.
  const uniform = node !== NULL && mem[node + NODE_STATE] !== SPLIT;
  if (node !== NULL && !uniform) mixed |= MIXED_MEMMAP;
  sig[at + SIG_MEMMAP] = node === NULL ? 0 : uniform ? 1 : 2;
  sig[at + SIG_PAGE_FLAGS] = uniform ? mem[node + PAGE_FLAGS] : 0;
  sig[at + SIG_PAGE_REFCOUNT] = uniform ? mem[node + PAGE_REFCOUNT] : 0;
  sig[at + SIG_PAGE_PGMAP] = uniform ? mem[node + PAGE_PGMAP] : 0;
  return mixed;
}

function sameSignature(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < SIG_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

function emptySignature(a: Int32Array): boolean {
  for (let i = 0; i < SIG_WORDS; i++) if (a[i] !== 0) return false;
  return true;
}

function bitAt(mem: Int32Array, base: number, index: number): number {
  return (mem[base + (index >>> 5)] >>> (index & 31)) & 1;
}

/** Inside a section with mixed bitmaps: the subsection boundaries where some bitmap changes. */
function bitmapBreakpoints(m: Machine, usage: number, start: number, out: number[]): void {
  const g = m.g;
  const mem = m.mem.words;
  for (let i = 1; i < g.subsectionsPerSection; i++) {
    for (let s = 0; s < USAGE_SLOTS; s++) {
      const base = usage + U_SUBSECTION_MAP + s * g.subsectionMapWords;
      if (bitAt(mem, base, i) !== bitAt(mem, base, i - 1)) {
        out.push(start + i * g.pagesPerSubsection);
        break;
      }
    }
  }
}

/** The breakpoints a section that is not uniform inside adds. */
export function innerBreakpoints(m: Machine, nr: number, ms: number, mixed: number, out: number[]): void {
  const start = nr * m.g.pagesPerSection;
  if (mixed & MIXED_USAGE) bitmapBreakpoints(m, m.mem.words[ms + S_USAGE], start, out);
  if (mixed & MIXED_MEMMAP) {
    for (const run of m.memmap.runs(start, start + m.g.pagesPerSection)) out.push(run.start);
  }
}

/**
 * Section boundaries that are breakpoints, in one pass over the section
 * table: an absent root reads as sections with the empty signature (every
 * lookup finds NULL), as do zeroed records.
 */
function sectionBreakpoints(m: Machine, out: number[]): void {
  const g = m.g;
  const mem = m.mem.words;
  const roots = rootsAddr(mem);
  const shape = bitmapShape(g);
  let prev = new Int32Array(SIG_WORDS);
  let cur = new Int32Array(SIG_WORDS);
  let prevMixed = 0;
  for (let r = 0; r < g.nrSectionRoots; r++) {
    const root = mem[roots + r];
    const first = r * g.sectionsPerRoot;
    if (root === NULL) {
      if (prevMixed || !emptySignature(prev)) out.push(first * g.pagesPerSection);
      prev.fill(0);
      prevMixed = 0;
      continue;
    }
    const last = Math.min(g.sectionsPerRoot, g.nrMemSections - first);
    for (let i = 0; i < last; i++) {
      const ms = root + i * MS_WORDS;
      const mixed = sectionSignature(mem, ms, shape, cur, 0);
      if (mixed || prevMixed || !sameSignature(prev, cur)) out.push((first + i) * g.pagesPerSection);
      if (mixed) innerBreakpoints(m, first + i, ms, mixed, out);
      const t = prev;
      prev = cur;
      cur = t;
      prevMixed = mixed;
    }
  }
  out.push(g.nrMemSections * g.pagesPerSection);
}

/** Both ends of every pgmap range: the table records readers search, and the bookkeeping's pgmaps. */
export function pgmapBreakpoints(m: Machine, out: number[]): void {
  const mem = m.mem.words;
  const table = pgmapTableAddr(mem);
  for (let i = 0; i < PGMAP_SLOTS; i++) {
    const rec = table + i * PGMAP_WORDS;
    const start = joinPfn(mem[rec + PG_START_LO], mem[rec + PG_START_HI]);
    const end = joinPfn(mem[rec + PG_END_LO], mem[rec + PG_END_HI]);
    if (mem[rec + PG_IN_ARRAY] === 0 && start === 0 && end === 0) continue;
    out.push(start, end);
  }
  for (const p of m.pgmaps.values()) out.push(p.startPfn, p.endPfn);
}

/** The breakpoints that are not section boundaries: 0, maxPfn, truth interval ends and pgmap range ends. */
export function otherBreakpoints(m: Machine, out: number[]): void {
  out.push(0, m.g.maxPfn);
  for (const iv of m.truth.intervals()) out.push(iv.start, iv.end);
  pgmapBreakpoints(m, out);
}

/**
 * otherBreakpoints(), sorted, without repeats, cut at maxPfn, from the truth's
 * intervals as m.truth.intervals() returns them: their ends are already in
 * order (sorted and disjoint), so only the few pgmap ends and the limits are
 * sorted and merged in - linear in the intervals, where sorting them all
 * cost O(n log n) per kernel step on a fragmented layout.
 */
export function sortedOtherBreakpoints(m: Machine, intervals: readonly TruthInterval[]): number[] {
  const few: number[] = [0, m.g.maxPfn];
  pgmapBreakpoints(m, few);
  const extra = sortedBreakpoints(few, m.g.maxPfn);
  const ends = new Float64Array(intervals.length * 2);
  let n = 0;
  for (const iv of intervals) {
    ends[n++] = iv.start;
    ends[n++] = iv.end;
  }
  for (let k = 1; k < n; k++)
    if (ends[k] < ends[k - 1]) return sortedBreakpoints([...ends, ...extra], m.g.maxPfn);
  return mergeSortedCut(ends, n, extra, m.g.maxPfn);
}

/** The first n of a (sorted) and b (sorted), merged without repeats, cut at maxPfn. */
function mergeSortedCut(a: Float64Array, n: number, b: readonly number[], maxPfn: number): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < b.length) {
    const p = j >= b.length || (i < n && a[i] <= b[j]) ? a[i++] : b[j++];
    if (p > maxPfn) break;
    if (out.length === 0 || out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

/** points sorted, without repeats, cut at maxPfn. */
export function sortedBreakpoints(points: readonly number[], maxPfn: number): number[] {
  const sorted = Float64Array.from(points).sort();
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    if (p > maxPfn) break;
    if (out.length === 0 || out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

/** Sorted, distinct breakpoints in [0, maxPfn], 0 and maxPfn included, from one scan of every section. */
export function pfnBreakpoints(m: Machine): number[] {
  const points: number[] = [];
  sectionBreakpoints(m, points);
  otherBreakpoints(m, points);
  return sortedBreakpoints(points, m.g.maxPfn);
}

/** The classes between consecutive breakpoints. */
export function classesBetween(points: readonly number[]): PfnClass[] {
  const out: PfnClass[] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push({ start: points[i], end: points[i + 1] });
  return out;
}

/** The classes of the machine as it is, from one scan of every section (see ClassTracker for per-step use). */
export function pfnClasses(m: Machine): PfnClass[] {
  return classesBetween(pfnBreakpoints(m));
}
