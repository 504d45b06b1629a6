/**
 * The rows of a map before anything is placed: which cells share a row, the rows of absent
 * sections between runs, the runs of present sections (each gets its address range as a header),
 * and the runs of alike rows folded under their first. Pure data in and out; map-scene.ts gives
 * the rows their coordinates.
 */
import { formatSizeApprox, hex } from '../units.js';
import type { BandRange, LayoutMap, MapBand, SectionCell } from './map.js';

/** Runs of this many absent sections or more are a row of their own naming the range skipped. */
const MIN_COLLAPSED_GAP = 4;
/** Fewest alike rows folded: smaller maps are drawn row by row. */
export const FOLD_ROWS = 8;

/** A cell in its column, or a run of absent sections (a row of its own). */
export type Slot = { cell: SectionCell; col: number } | { gap: number; from: number };

/** A band's ranges spread over tracks (zone spans may overlap). */
export interface BandTracks {
  readonly name: MapBand['name'];
  readonly tracks: BandRange[][];
}

/**
 * Rows of slots. A jump of MIN_COLLAPSED_GAP+ absent sections is a row of its own naming the
 * range it skips. At the sections level rows are aligned: a row holds the sections
 * [n * perRow, (n + 1) * perRow), so rows begin at perRow-section boundaries (4 GiB of x86_64's
 * 128 MiB sections, a multiple of every memory block size) and a hot-plugged range starts its own.
 */
export function rows(map: LayoutMap, perRow: number): Slot[][] {
  const out: Slot[][] = [[]];
  const aligned = map.level === 'sections';
  let prev: number | undefined;
  const push = (cell: SectionCell) => {
    let row = out[out.length - 1];
    const col = aligned ? cell.nr % perRow : row.length;
    const last = row[row.length - 1];
    if (row.length >= perRow || (last && (!('cell' in last) || (aligned && col <= last.col)))) {
      row = [];
      out.push(row);
    }
    row.push({ cell, col: aligned ? col : row.length });
  };
  for (const cell of map.cells) {
    if (prev !== undefined && cell.nr - prev > 1) {
      const missing = cell.nr - prev - 1;
      if (missing >= MIN_COLLAPSED_GAP) out.push([{ gap: missing, from: prev + 1 }]);
      else for (let k = prev + 1; k < cell.nr; k++) push({ nr: k, flags: '-', cls: 'no-memmap' });
    }
    push(cell);
    prev = cell.nr;
  }
  return out.filter((r) => r.length);
}

/** What a row of absent sections skips: "0x80000000-0xffffffff, 2 GiB absent (§16-§31)". */
export function gapText(map: LayoutMap, from: number, count: number): string {
  const start = from * map.sectionSize;
  const end = (from + count) * map.sectionSize;
  return `${hex(start)}-${hex(end - 1)}, ${formatSizeApprox(end - start)} absent (§${from}-§${from + count - 1})`;
}

/** A run of rows between gaps: "0x100000000-0x13fffffff, 1G". */
export function runText(map: LayoutMap, first: number, last: number): string {
  const start = first * map.unitPages * map.pageSize;
  const end = (last + 1) * map.unitPages * map.pageSize;
  return `${hex(start)}-${hex(end - 1)}, ${formatSizeApprox(end - start)}`;
}

/** Spread overlapping ranges over tracks (zone spans may overlap); returns ranges per track. */
export function tracks(ranges: readonly BandRange[]): BandRange[][] {
  const out: BandRange[][] = [];
  const ends: number[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start || b.end - a.end)) {
    let t = ends.findIndex((e) => e <= r.start);
    if (t < 0) {
      t = out.length;
      out.push([]);
      ends.push(0);
    }
    out[t].push(r);
    ends[t] = r.end;
  }
  return out;
}

/** Where a row starts, as a label: "§32 0x100000000", "0x104000000", "pfn 0x104400". */
function rowLabel(map: LayoutMap, c: SectionCell): string {
  if (map.level === 'sections') return `§${c.nr} ${hex(c.nr * map.sectionSize)}`;
  if (map.level === 'subsections') return hex(c.nr * map.pagesPerSubsection * map.pageSize);
  return `pfn ${hex(c.nr)}`;
}

/**
 * A band track across [lo, hi) as a row that may fold sees it: '-' when nothing of it is there,
 * the range when one zone, node or pgmap range runs through (begun before the row, going on after
 * it: neither its first row nor its last), the state when memory blocks of one state cover the row;
 * undefined when anything else is there (a range beginning or ending, blocks of two states, a hole).
 */
function trackKey(
  name: MapBand['name'],
  ranges: readonly BandRange[],
  lo: number,
  hi: number,
): string | undefined {
  const hit = ranges.filter((r) => r.end > lo && r.start < hi);
  if (!hit.length) return '-';
  if (name === 'block') {
    if (hit[0].start > lo || hit[hit.length - 1].end < hi) return undefined;
    for (let i = 1; i < hit.length; i++)
      if (hit[i].start !== hit[i - 1].end || hit[i].fill !== hit[0].fill) return undefined;
    return hit[0].fill;
  }
  const [r] = hit;
  if (hit.length !== 1 || r.start >= lo || r.end <= hi) return undefined;
  return `${r.start}-${r.end}:${r.fill}`;
}

/**
 * What a row shares with the alike rows around it, or undefined when it is to be drawn whatever its
 * neighbours: a full row of cells of one class and flags (so one colour and one early-section
 * mark), none highlighted or kept, every band track a plain continuation through it.
 */
export function rowKey(
  row: readonly Slot[],
  perRow: number,
  unit: number,
  bandTracks: readonly BandTracks[],
  marked: (nr: number) => boolean,
): string | undefined {
  if (row.length !== perRow) return undefined;
  let first: SectionCell | undefined;
  let last: SectionCell | undefined;
  for (const s of row) {
    if (!('cell' in s)) return undefined;
    const c = s.cell;
    if (c.parts || marked(c.nr)) return undefined;
    if (!first) first = c;
    else if (c.cls !== first.cls || c.flags !== first.flags) return undefined;
    last = c;
  }
  if (!first || !last || last.nr - first.nr !== row.length - 1) return undefined;
  const key = [first.cls, first.flags];
  for (const b of bandTracks) {
    for (const t of b.tracks) {
      const k = trackKey(b.name, t, first.nr * unit, (last.nr + 1) * unit);
      if (k === undefined) return undefined;
      key.push(k);
    }
  }
  return key.join('|');
}

/** What a run of folded cells covers: "§256-§8191, 0x800000000-0xfffffffff (992G)". */
export function foldedRange(map: LayoutMap, first: number, last: number): string {
  const start = first * map.unitPages;
  const pages = (last - first + 1) * map.unitPages;
  const where =
    map.level === 'sections' ? `§${first}-§${last}` : `pfn ${hex(start)}-${hex(start + pages - 1)}`;
  return `${where}, ${hex(start * map.pageSize)}-${hex((start + pages) * map.pageSize - 1)} (${formatSizeApprox(pages * map.pageSize)})`;
}

/** The first cell of a row, if it has one (a row of absent sections has none). */
function firstCell(row: readonly Slot[]): SectionCell | undefined {
  const s = row.find((x): x is { cell: SectionCell; col: number } => 'cell' in x);
  return s?.cell;
}

/** Each row's label ('' for a row of absent sections). */
export function rowLabels(map: LayoutMap, lines: readonly (readonly Slot[])[]): string[] {
  return lines.map((row) => {
    const first = firstCell(row);
    return first ? rowLabel(map, first) : '';
  });
}

/**
 * Runs of present sections (rows between rows of absent sections), when there are such gaps:
 * the first row of each run, with the last cell nr of its run (the run's header names the range).
 */
export function runHeads(map: LayoutMap, lines: readonly (readonly Slot[])[]): Map<number, number> {
  const heads = new Map<number, number>();
  if (map.level !== 'sections' || !lines.some((row) => 'gap' in row[0])) return heads;
  let start: number | undefined;
  lines.forEach((row, r) => {
    const isGap = 'gap' in row[0];
    if (!isGap && start === undefined) start = r;
    const next = lines[r + 1];
    if (start !== undefined && !isGap && (!next || 'gap' in next[0])) {
      const last = row[row.length - 1] as { cell: SectionCell };
      heads.set(start, last.cell.nr);
      start = undefined;
    }
  });
  return heads;
}

/**
 * Runs of `least`+ alike rows (equal rowKey): the first is drawn, the rest folded. Returns the
 * first folded row of each run with the end of the run (exclusive); none when least is 0.
 */
export function foldedRuns(keys: readonly (string | undefined)[], least: number): Map<number, number> {
  const folded = new Map<number, number>();
  if (least <= 0 || keys.length < least) return folded;
  for (let r = 0; r < keys.length; ) {
    let end = r + 1;
    while (keys[r] !== undefined && end < keys.length && keys[end] === keys[r]) end++;
    if (end - r >= least) folded.set(r + 1, end);
    r = end;
  }
  return folded;
}
