/**
 * The map of the physical address space, drawn once for both the demo report
 * (Node, SVG text) and the viewer (browser, SVG or canvas). Pure data in, a
 * scene of rectangles and labels out; no DOM, no Node.
 *
 * A map is a grid of cells at one zoom level: sections (the whole address
 * space, runs of absent sections collapsed), the subsections of one section,
 * or the pages of one subsection. A cell is coloured by what its pfns are; a
 * cell whose pfns differ is drawn as a strip of its parts. Under each row run
 * the bands: zones, nodes, memory blocks, and pgmaps with their altmap. Runs of
 * FOLD_ROWS+ alike rows (one class and flags, no highlight, bands running
 * through) are folded under their first row into a marker naming them, so a
 * large uniform machine is a few rows rather than a thousand.
 *
 * The map's data (LayoutMap) is built from a Machine in map-layout.ts.
 */
import type { Truth } from '../model/truth.js';
import { formatSizeApprox, hex } from '../units.js';

/** What a cell is, for colour: truth states, online split by zone. */
export type CellClass =
  | 'online-DMA'
  | 'online-DMA32'
  | 'online-Normal'
  | 'online-Movable'
  | 'offline'
  | 'uninitialized'
  | 'device'
  | 'driver-reserved'
  | 'hole'
  | 'tearing-down'
  | 'freed'
  | 'no-memmap'
  | 'mixed';

/**
 * Cell colours. ZONE_MOVABLE, ZONE_DEVICE and driver-reserved are Okabe and Ito's sky blue,
 * reddish purple and orange: told apart under deuteranopia and protanopia by hue and lightness
 * (the blues of DMA32/Normal/Movable differ in lightness too).
 */
export const CELL_COLOURS: Readonly<Record<CellClass, string>> = {
  'online-DMA': '#1b7837',
  'online-DMA32': '#5aae61',
  'online-Normal': '#2166ac',
  'online-Movable': '#56b4e9',
  offline: '#999999',
  uninitialized: '#fee08b',
  device: '#cc79a7',
  'driver-reserved': '#e69f00',
  hole: '#f0f0f0',
  'tearing-down': '#d73027',
  freed: '#fddbc7',
  'no-memmap': '#ffffff',
  mixed: '#000000',
};

export const CELL_LABELS: Readonly<Record<CellClass, string>> = {
  'online-DMA': 'online, ZONE_DMA',
  'online-DMA32': 'online, ZONE_DMA32',
  'online-Normal': 'online, ZONE_NORMAL',
  'online-Movable': 'online, ZONE_MOVABLE',
  offline: 'offline',
  uninitialized: 'memmap not initialized',
  device: 'ZONE_DEVICE',
  'driver-reserved': 'driver-reserved (altmap)',
  hole: 'hole (memmap, no memory)',
  'tearing-down': 'memmap being torn down',
  freed: 'memmap freed',
  'no-memmap': 'absent (no memmap)',
  mixed: 'mixed',
};

/** Band colours that are not cell colours: memory block states, the altmap's memmap part, nodes. */
export const BAND_COLOURS = {
  blockOnline: '#01665e',
  blockOffline: '#c7eae5',
  blockGoingOffline: '#dfc27d',
  altmapReserve: CELL_COLOURS['driver-reserved'],
  altmapMemmap: '#fdae61',
  nodes: ['#bdbdbd', '#8c8c8c', '#d9d9d9', '#737373'],
} as const;

export function truthClass(t: Truth): CellClass {
  if (t.state === 'online') return `online-${t.zone ?? 'Normal'}` as CellClass;
  return t.state as CellClass;
}

/** The zoom levels: a cell is a section, a subsection, or a page. */
export type MapLevel = 'sections' | 'subsections' | 'pages';

export interface SectionCell {
  /** The cell's number at its level: section nr, global subsection nr (pfn / PAGES_PER_SUBSECTION), or pfn. */
  readonly nr: number;
  /** Section flags (P M O E D) for a section; 'S' (set in subsection_map) or '-' for a subsection; '' for a page. */
  readonly flags: string;
  readonly cls: CellClass;
  /** Classes of equal parts of the cell, when they differ. */
  readonly parts?: readonly CellClass[];
}

/** A pfn range drawn in a band. */
export interface BandRange {
  readonly start: number;
  readonly end: number;
  readonly fill: string;
  /** Written inside the band where it fits. */
  readonly label: string;
  readonly title: string;
  /** What the colour means, for the legend (bands whose colours are cell colours have none). */
  readonly legend?: string;
  /**
   * What a step may change without moving the range: a block's or pgmap's state, a zone's or
   * node's present pages ("present 32768"); compared by map-diff.ts.
   */
  readonly state?: string;
}

export interface MapBand {
  readonly name: 'zone' | 'node' | 'block' | 'pgmap';
  readonly ranges: readonly BandRange[];
}

export interface LayoutMap {
  readonly level: MapLevel;
  readonly pageSize: number;
  readonly pagesPerSection: number;
  readonly sectionSize: number;
  readonly subsectionsPerSection: number;
  readonly pagesPerSubsection: number;
  /** pfns per cell at this level. */
  readonly unitPages: number;
  /** Sorted by nr. At the sections level, runs of fewer than 4 absent sections are cells too. */
  readonly cells: readonly SectionCell[];
  readonly bands: readonly MapBand[];
}

/** A pfn to outline on the map (the trace player's held page). */
export interface MapHighlight {
  readonly pfn: number;
  readonly colour: string;
  readonly title?: string;
}

export interface MapStyle {
  readonly cell?: number;
  /** A cell's height, when not square (dense maps: narrow cells, still easy to point at). */
  readonly cellHeight?: number;
  readonly gap?: number;
  readonly perRow?: number;
  /** Draw the zone/node/block/pgmap bands (default true). */
  readonly bands?: boolean;
  /** <title> tooltips in the SVG (default true; the viewer draws its own). */
  readonly titles?: boolean;
  readonly highlight?: readonly MapHighlight[];
  /** Drawn this many times larger (the viewer's map is bigger than the report's). */
  readonly scale?: number;
  /** Height of one band track (default 9; below 8 the bands carry no labels). */
  readonly band?: number;
  /**
   * Fold runs of at least this many alike rows into their first row and a marker (default
   * FOLD_ROWS; 0 never folds). Alike: every cell one class and flags, no highlight, and each
   * band a plain continuation (one zone, node or pgmap range running through, blocks of one state).
   */
  readonly fold?: number;
  /** pfns whose rows are never folded (the viewer's pinned pfn). */
  readonly keep?: readonly number[];
  /** Band ranges to outline (what a step changed), by band and exact range. */
  readonly bandOutline?: readonly {
    readonly band: MapBand['name'];
    readonly start: number;
    readonly end: number;
  }[];
  /** The colour of band outlines (default the changed-cell magenta). */
  readonly outlineColour?: string;
}

export interface SceneRect {
  readonly kind: 'rect';
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly fill: string;
  readonly stroke?: string;
  readonly strokeWidth?: number;
  readonly dash?: boolean;
  readonly title?: string;
  /** data-* attributes in SVG (cells: nr, cls). */
  readonly data?: Readonly<Record<string, string | number>>;
}

export interface SceneText {
  readonly kind: 'text';
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly size: number;
  readonly fill?: string;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly title?: string;
}

/** Where a cell is drawn, for hit testing: the pfns [start, start + pages) across [x, x + w). */
export interface SceneCell {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly cell: SectionCell;
  readonly start: number;
  readonly pages: number;
}

/** Rows folded under the row drawn above them: the marker's place and the cells it stands for. */
export interface SceneFold {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** How many rows are folded. */
  readonly rows: number;
  /** The first and last cell nr folded. */
  readonly first: number;
  readonly last: number;
  /** The pfns [start, start + pages) folded. */
  readonly start: number;
  readonly pages: number;
  /** What the marker says, e.g. "62 rows like the one above folded: §256-§8191, ...". */
  readonly text: string;
}

export interface MapScene {
  /** In scene units; drawn scale times larger. */
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly items: readonly (SceneRect | SceneText)[];
  readonly cells: readonly SceneCell[];
  /** Runs of alike rows not drawn, each shown as a marker under the row like them. */
  readonly folds: readonly SceneFold[];
  /** The band tracks under each row, top to bottom, and whether the scene names them (bands of 8+). */
  readonly tracks: readonly string[];
  readonly tracksLabelled: boolean;
}

const MIN_COLLAPSED_GAP = 4;
/** The outline of what a step changed (cells and band ranges). */
export const CHANGED_OUTLINE = '#d01c8b';
/** Fewest alike rows folded: smaller maps are drawn row by row. */
export const FOLD_ROWS = 8;
/** Height of a run's address header above its first row (scene units). */
const RUN_HEADER = 11;
/** Height of a fold marker (scene units). */
const FOLD_HEIGHT = 12;
const LABEL_WIDTH = 118;
const BAND_HEIGHT = 9;
/** Bands thinner than this carry no labels. */
const LABELLED_BAND = 8;
/** Narrowest a run of a mixed cell (or a band range) is drawn, so 8 MiB of device memory in a 512 MiB section shows. */
const MIN_PART_WIDTH = 4;
const ROW_GAP = 7;
const FONT = 'ui-monospace,SFMono-Regular,Menlo,Consolas,monospace';
/** The corner mark of a subsection in subsection_map (white-edged, to show on every fill). */
const SUBSECTION_MARK = { fill: '#111', stroke: '#fff', strokeWidth: 0.8 } as const;

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Black or white text, whichever reads better on a fill. */
export function textColourOn(fill: string): string {
  const n = Number.parseInt(fill.slice(1), 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 150 ? '#111' : '#fff';
}

/** What one cell is called: "section 32 [PMOED]", "subsection 34 of section 32", "pfn 0x104400". */
export function cellName(map: LayoutMap, c: SectionCell): string {
  if (map.level === 'sections') return `section ${c.nr} [${c.flags}]`;
  if (map.level === 'subsections') {
    const sec = Math.floor(c.nr / map.subsectionsPerSection);
    const state = c.flags === 'S' ? 'in subsection_map' : 'not in subsection_map';
    return `subsection ${c.nr % map.subsectionsPerSection} of section ${sec} (${state})`;
  }
  return `pfn ${hex(c.nr)}`;
}

/** A cell in its column, or a run of absent sections (a row of its own). */
type Slot = { cell: SectionCell; col: number } | { gap: number; from: number };

/**
 * Rows of slots. A jump of MIN_COLLAPSED_GAP+ absent sections is a row of its own naming the
 * range it skips. At the sections level rows are aligned: a row holds the sections
 * [n * perRow, (n + 1) * perRow), so rows begin at perRow-section boundaries (4 GiB of x86_64's
 * 128 MiB sections, a multiple of every memory block size) and a hot-plugged range starts its own.
 */
function rows(map: LayoutMap, perRow: number): Slot[][] {
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
function gapText(map: LayoutMap, from: number, count: number): string {
  const start = from * map.sectionSize;
  const end = (from + count) * map.sectionSize;
  return `${hex(start)}-${hex(end - 1)}, ${formatSizeApprox(end - start)} absent (§${from}-§${from + count - 1})`;
}

/** A run of rows between gaps: "0x100000000-0x13fffffff, 1G". */
function runText(map: LayoutMap, first: number, last: number): string {
  const start = first * map.unitPages * map.pageSize;
  const end = (last + 1) * map.unitPages * map.pageSize;
  return `${hex(start)}-${hex(end - 1)}, ${formatSizeApprox(end - start)}`;
}

/** Spread overlapping ranges over tracks (zone spans may overlap); returns ranges per track. */
function tracks(ranges: readonly BandRange[]): BandRange[][] {
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

interface Placed {
  readonly x: number;
  readonly cell?: SectionCell;
}

/** A band track across one row: each range as one rect per run of adjacent cells, labelled where it fits. */
function bandSegments(
  items: (SceneRect | SceneText)[],
  row: readonly Placed[],
  ranges: readonly BandRange[],
  unit: number,
  y: number,
  cell: number,
  gap: number,
  titles: boolean,
  band: number,
  outlined: (r: BandRange) => string | undefined = () => undefined,
): void {
  const first = row.find((p) => p.cell)?.cell;
  const last = [...row].reverse().find((p) => p.cell)?.cell;
  if (!first || !last) return;
  const rowStart = first.nr * unit;
  const rowEnd = (last.nr + 1) * unit;
  for (const r of ranges) {
    if (r.end <= rowStart || r.start >= rowEnd) continue;
    let seg: { x0: number; x1: number } | undefined;
    const flush = () => {
      if (!seg) return;
      // A pgmap of one subsection in a 512 MiB section still shows (the next range draws over it).
      const w = Math.max(seg.x1 - seg.x0, MIN_PART_WIDTH);
      items.push({
        kind: 'rect',
        x: seg.x0,
        y,
        w,
        h: band - 1,
        fill: r.fill,
        title: titles ? r.title : undefined,
      });
      const outline = outlined(r);
      if (outline) {
        items.push({
          kind: 'rect',
          x: seg.x0 - 0.5,
          y: y - 0.5,
          w: w + 1,
          h: band,
          fill: 'none',
          stroke: outline,
          strokeWidth: 1.5,
          data: { changed: 'band' },
        });
      }
      if (r.label && band >= LABELLED_BAND && w >= r.label.length * 4.9 + 4) {
        items.push({
          kind: 'text',
          x: seg.x0 + 2,
          y: y + band - 2.5,
          text: r.label,
          size: 7.5,
          fill: textColourOn(r.fill),
        });
      }
      seg = undefined;
    };
    for (let i = 0; i < row.length; i++) {
      const p = row[i];
      if (!p.cell) {
        flush();
        continue;
      }
      const cs = p.cell.nr * unit;
      const ce = cs + unit;
      if (r.end <= cs || r.start >= ce) {
        flush();
        continue;
      }
      const x0 = p.x + ((Math.max(r.start, cs) - cs) / unit) * cell;
      let x1 = p.x + ((Math.min(r.end, ce) - cs) / unit) * cell;
      const next = row[i + 1]?.cell;
      if (r.end > ce && next && next.nr === p.cell.nr + 1) x1 += gap;
      if (seg && Math.abs(seg.x1 - x0) < 0.01) seg.x1 = x1;
      else {
        flush();
        seg = { x0, x1 };
      }
    }
    flush();
  }
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
function rowKey(
  row: readonly Slot[],
  perRow: number,
  unit: number,
  bandTracks: readonly { name: MapBand['name']; tracks: BandRange[][] }[],
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
function foldedRange(map: LayoutMap, first: number, last: number): string {
  const start = first * map.unitPages;
  const pages = (last - first + 1) * map.unitPages;
  const where =
    map.level === 'sections' ? `§${first}-§${last}` : `pfn ${hex(start)}-${hex(start + pages - 1)}`;
  return `${where}, ${hex(start * map.pageSize)}-${hex((start + pages) * map.pageSize - 1)} (${formatSizeApprox(pages * map.pageSize)})`;
}

/** A map of at most this many cells is drawn 16 to a row, so that the viewer can draw it larger. */
export const SMALL_MAP = 64;

/**
 * The viewer's style for a map: denser rows for larger maps, so that thousands of sections stay
 * a page or two tall (and runs of alike rows fold).
 */
export function viewStyle(map: LayoutMap): MapStyle {
  const n = map.cells.length;
  const [perRow, cell, cellHeight, gap, band] =
    n > 4096
      ? [128, 4, 10, 1, 4]
      : n > 1024
        ? [64, 8, 12, 1, 6]
        : map.level === 'pages' && n >= 256
          ? [64, 8, 12, 1, 9]
          : n <= SMALL_MAP
            ? [16, 16, 16, 2, 9]
            : [32, 16, 16, 2, 9];
  return { cell, cellHeight, gap, perRow, band, titles: false };
}

/** Lay the map out: cells in rows of perRow, bands under each row, highlights on top. */
export function mapScene(map: LayoutMap, style: MapStyle = {}): MapScene {
  const cell = style.cell ?? 14;
  const cellH = style.cellHeight ?? cell;
  const gap = style.gap ?? 2;
  const perRow = style.perRow ?? 32;
  const titles = style.titles ?? true;
  const bands = style.bands === false ? [] : map.bands.filter((b) => b.ranges.length);
  const bandTracks = bands.map((b) => ({ name: b.name, tracks: tracks(b.ranges) }));
  const trackCount = bandTracks.reduce((n, b) => n + b.tracks.length, 0);
  const band = style.band ?? BAND_HEIGHT;
  const rowHeight = cellH + (trackCount ? 2 + trackCount * band : 0) + ROW_GAP;
  const items: (SceneRect | SceneText)[] = [];
  const cells: SceneCell[] = [];
  const lines = rows(map, perRow);
  const unit = map.unitPages;
  // Row labels in a 9.5px monospace font, about 5.7px a character: past 16 TiB "§131072 0x100000000000"
  // is wider than the usual label column, which then widens rather than run into the first cell.
  const labels = lines.map((row) => {
    const first = row.find((s): s is { cell: SectionCell; col: number } => 'cell' in s);
    return first ? rowLabel(map, first.cell) : '';
  });
  const labelWidth = Math.max(LABEL_WIDTH, Math.ceil(Math.max(0, ...labels.map((l) => l.length)) * 5.8) + 8);
  const outlines: { c: SceneCell; colour: string; title?: string }[] = [];
  const folds: SceneFold[] = [];
  // Highlights by the cell that holds them: one lookup per cell, not a scan of every highlight
  // (stepping across boot of 16 TiB outlines all 131072 sections as changed).
  const highlightsAt = new Map<number, MapHighlight[]>();
  for (const h of style.highlight ?? []) {
    const at = Math.floor(h.pfn / map.unitPages);
    const list = highlightsAt.get(at);
    if (list) list.push(h);
    else highlightsAt.set(at, [h]);
  }
  const kept = new Set((style.keep ?? []).map((pfn) => Math.floor(pfn / map.unitPages)));
  const marked = (nr: number) => highlightsAt.has(nr) || kept.has(nr);
  const bandOutline = style.bandOutline ?? [];
  const outlinedIn = (name: MapBand['name']) => (r: BandRange) =>
    bandOutline.some((o) => o.band === name && o.start === r.start && o.end === r.end)
      ? (style.outlineColour ?? CHANGED_OUTLINE)
      : undefined;

  // Runs of present sections (rows between gap rows) when there are gaps: the first row of each,
  // with the last cell nr of its run, gets the run's range as a header.
  const runEnds = new Map<number, number>();
  if (map.level === 'sections' && lines.some((row) => 'gap' in row[0])) {
    let start: number | undefined;
    lines.forEach((row, r) => {
      const isGap = 'gap' in row[0];
      if (!isGap && start === undefined) start = r;
      const next = lines[r + 1];
      if (start !== undefined && !isGap && (!next || 'gap' in next[0])) {
        const last = row[row.length - 1] as { cell: SectionCell };
        runEnds.set(start, last.cell.nr);
        start = undefined;
      }
    });
  }

  // Runs of FOLD_ROWS+ alike rows: the first drawn, the rest folded into a marker under it.
  const foldRows = style.fold ?? FOLD_ROWS;
  const foldedAt = new Map<number, number>();
  if (foldRows > 0 && lines.length >= foldRows) {
    const keys = lines.map((row) => rowKey(row, perRow, unit, bandTracks, marked));
    for (let r = 0; r < lines.length; ) {
      let end = r + 1;
      while (keys[r] !== undefined && end < lines.length && keys[end] === keys[r]) end++;
      if (end - r >= foldRows) foldedAt.set(r + 1, end);
      r = end;
    }
  }

  let nextTop = 2;
  for (let r = 0; r < lines.length; r++) {
    const foldEnd = foldedAt.get(r);
    if (foldEnd !== undefined) {
      const top = nextTop;
      const firstRow = lines[r];
      const lastRow = lines[foldEnd - 1];
      const first = (firstRow[0] as { cell: SectionCell }).cell.nr;
      const last = (lastRow[lastRow.length - 1] as { cell: SectionCell }).cell.nr;
      const n = foldEnd - r;
      const text = `${n} rows like the one above folded: ${foldedRange(map, first, last)}`;
      const fold: SceneFold = {
        x: labelWidth,
        y: top,
        w: perRow * (cell + gap) - gap,
        h: FOLD_HEIGHT,
        rows: n,
        first,
        last,
        start: first * unit,
        pages: (last - first + 1) * unit,
        text,
      };
      folds.push(fold);
      // The address column goes on: where the folded rows begin, in grey.
      items.push({
        kind: 'text',
        x: 0,
        y: top + FOLD_HEIGHT / 2 + 3.5,
        text: labels[r],
        size: 9.5,
        fill: '#888',
      });
      items.push({
        kind: 'rect',
        x: fold.x,
        y: top,
        w: fold.w,
        h: fold.h,
        fill: '#f7f7f7',
        stroke: '#999',
        strokeWidth: 0.8,
        dash: true,
        title: titles ? text : undefined,
        data: { fold: first, rows: n, count: last - first + 1 },
      });
      items.push({
        kind: 'text',
        x: fold.x + 4,
        y: top + FOLD_HEIGHT / 2 + 3,
        text: `⋮ ${text}`,
        size: 8,
        fill: '#444',
        title: titles ? text : undefined,
      });
      nextTop += FOLD_HEIGHT + ROW_GAP;
      r = foldEnd - 1;
      continue;
    }
    const row = lines[r];
    const only = row[0];
    if (row.length === 1 && 'gap' in only) {
      // A row of its own for absent sections, naming the range it skips and its size.
      const text = gapText(map, only.from, only.gap);
      const top = nextTop;
      nextTop += FOLD_HEIGHT + ROW_GAP;
      items.push({
        kind: 'rect',
        x: labelWidth,
        y: top,
        w: perRow * (cell + gap) - gap,
        h: FOLD_HEIGHT,
        fill: '#fff',
        stroke: '#bbb',
        strokeWidth: 0.8,
        dash: true,
        title: titles ? text : undefined,
        data: { gap: only.from, count: only.gap },
      });
      items.push({
        kind: 'text',
        x: labelWidth + 4,
        y: top + FOLD_HEIGHT / 2 + 3.5,
        text: `… ${text}`,
        size: 9,
        fill: '#555',
      });
      continue;
    }
    // The first row of a run of present sections: its address range and size above it.
    if (runEnds.has(r)) {
      const first = (row[0] as { cell: SectionCell }).cell.nr;
      items.push({
        kind: 'text',
        x: labelWidth,
        y: nextTop + RUN_HEADER - 3,
        text: runText(map, first, runEnds.get(r)!),
        size: 9,
        fill: '#333',
      });
      nextTop += RUN_HEADER;
    }
    const top = nextTop;
    nextTop += rowHeight;
    const placed: Placed[] = row.map((s, i) => ({
      x: labelWidth + ('col' in s ? s.col : i) * (cell + gap),
      cell: 'cell' in s ? s.cell : undefined,
    }));
    if (labels[r]) {
      items.push({
        kind: 'text',
        x: 0,
        y: top + cellH / 2 + 3.5,
        text: labels[r],
        size: 9.5,
        fill: '#333',
      });
    }
    row.forEach((s, i) => {
      const left = placed[i].x;
      if ('gap' in s) return;
      const c = s.cell;
      const title = titles ? `${cellName(map, c)}: ${CELL_LABELS[c.cls]}` : undefined;
      if (c.parts) {
        const runs = partRuns(c.parts);
        const widths = stripWidths(
          runs.map((r) => r.parts),
          cell,
          MIN_PART_WIDTH,
        );
        let x = left;
        runs.forEach((r, k) => {
          items.push({ kind: 'rect', x, y: top, w: widths[k], h: cellH, fill: CELL_COLOURS[r.cls] });
          x += widths[k];
        });
      }
      items.push({
        kind: 'rect',
        x: left,
        y: top,
        w: cell,
        h: cellH,
        fill: c.parts ? 'transparent' : CELL_COLOURS[c.cls],
        stroke: c.parts ? '#000' : '#555',
        strokeWidth: c.parts ? 0.7 : 0.4,
        title,
        data: { nr: c.nr, cls: c.cls },
      });
      if (map.level === 'sections' && c.flags.includes('E') && cell >= 8) {
        items.push({ kind: 'rect', x: left + 1, y: top + 1, w: 3, h: 3, fill: '#222' });
      }
      // A subsection set in its section's subsection_map: the point of zooming into a section.
      if (map.level === 'subsections' && c.flags === 'S' && cell >= 8) {
        items.push({ kind: 'rect', ...SUBSECTION_MARK, x: left + cell - 5, y: top + 1, w: 4, h: 4 });
      }
      const sc: SceneCell = { x: left, y: top, w: cell, h: cellH, cell: c, start: c.nr * unit, pages: unit };
      cells.push(sc);
      for (const h of highlightsAt.get(c.nr) ?? [])
        outlines.push({ c: sc, colour: h.colour, title: h.title });
    });
    let y = top + cellH + 2;
    for (const b of bandTracks) {
      b.tracks.forEach((t, ti) => {
        if (ti === 0 && band >= LABELLED_BAND) {
          items.push({
            kind: 'text',
            x: labelWidth - 6,
            y: y + band - 2,
            text: b.name,
            size: 7.5,
            fill: '#888',
            anchor: 'end',
          });
        }
        bandSegments(items, placed, t, unit, y, cell, gap, titles, band, outlinedIn(b.name));
        y += band;
      });
    }
  }
  for (const o of outlines) {
    items.push({
      kind: 'rect',
      x: o.c.x - 1.5,
      y: o.c.y - 1.5,
      w: o.c.w + 3,
      h: o.c.h + 3,
      fill: 'none',
      stroke: o.colour,
      strokeWidth: 2.5,
      title: titles ? o.title : undefined,
      data: { highlight: o.c.cell.nr },
    });
  }
  return {
    width: labelWidth + perRow * (cell + gap) + 4,
    height: nextTop,
    scale: style.scale ?? 1,
    items,
    cells,
    folds,
    tracks: bandTracks.flatMap((b) => b.tracks.map(() => b.name)),
    tracksLabelled: band >= LABELLED_BAND,
  };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** A scene as SVG text. */
export function sceneSvg(scene: MapScene): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(scene.width * scene.scale)}" height="${fmt(scene.height * scene.scale)}" viewBox="0 0 ${fmt(scene.width)} ${fmt(scene.height)}" class="pfnlab-map" font-family="${FONT}">`,
  ];
  for (const it of scene.items) {
    const title = it.title ? `<title>${escapeXml(it.title)}</title>` : '';
    if (it.kind === 'text') {
      const anchor = it.anchor && it.anchor !== 'start' ? ` text-anchor="${it.anchor}"` : '';
      parts.push(
        `<text x="${fmt(it.x)}" y="${fmt(it.y)}" font-size="${it.size}"${it.fill ? ` fill="${it.fill}"` : ''}${anchor}>${title}${escapeXml(it.text)}</text>`,
      );
      continue;
    }
    const data = it.data
      ? Object.entries(it.data)
          .map(([k, v]) => ` data-${k}="${escapeXml(String(v))}"`)
          .join('')
      : '';
    const stroke = it.stroke ? ` stroke="${it.stroke}" stroke-width="${it.strokeWidth ?? 1}"` : '';
    const dash = it.dash ? ' stroke-dasharray="2 2"' : '';
    const attrs = `x="${fmt(it.x)}" y="${fmt(it.y)}" width="${fmt(it.w)}" height="${fmt(it.h)}" fill="${it.fill}"${stroke}${dash}${data}`;
    parts.push(title ? `<rect ${attrs}>${title}</rect>` : `<rect ${attrs}/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A mixed cell's parts as runs of one class. */
function partRuns(parts: readonly CellClass[]): { cls: CellClass; parts: number }[] {
  const runs: { cls: CellClass; parts: number }[] = [];
  for (const cls of parts) {
    const last = runs[runs.length - 1];
    if (last && last.cls === cls) last.parts++;
    else runs.push({ cls, parts: 1 });
  }
  return runs;
}

/**
 * Widths of a strip's runs: proportional to their counts, but none narrower than `min`
 * (when all fit); what the narrow ones gain is taken from the wide ones in proportion.
 * Invariant: the widths sum to `width`.
 */
export function stripWidths(counts: readonly number[], width: number, min: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const floor = Math.min(min, width / counts.length);
  const widths = counts.map((n) => (n / total) * width);
  const narrow = widths.map((w) => w < floor);
  const gained = widths.reduce((sum, w, i) => sum + (narrow[i] ? floor - w : 0), 0);
  if (gained === 0) return widths;
  const spare = widths.reduce((sum, w, i) => sum + (narrow[i] ? 0 : w - floor), 0);
  return widths.map((w, i) => (narrow[i] ? floor : w - ((w - floor) / spare) * gained));
}

/** An SVG map: a cell per section (or subsection, or page), PER_ROW per row, bands under each row. */
export function renderMapSvg(map: LayoutMap, style: MapStyle = {}): string {
  return sceneSvg(mapScene(map, style));
}

export interface LegendItem {
  readonly colour: string;
  readonly label: string;
  /** A band colour rather than a cell colour. */
  readonly band?: boolean;
  /** A mark in a cell's corner rather than its fill. */
  readonly mark?: 'top-left' | 'top-right';
}

/** What the colours of some maps mean: the cell classes that occur, then the band colours. */
export function legendItems(maps: readonly LayoutMap[]): LegendItem[] {
  const used = new Set<CellClass>();
  const bandColours = new Map<string, string>();
  const zoneColours = new Map<string, string>();
  let early = false;
  let inSubsectionMap = false;
  for (const map of maps) {
    for (const c of map.cells) {
      used.add(c.cls);
      for (const s of c.parts ?? []) used.add(s);
      if (map.level === 'sections' && c.flags.includes('E')) early = true;
      if (map.level === 'subsections' && c.flags === 'S') inSubsectionMap = true;
    }
    for (const b of map.bands) {
      for (const r of b.ranges) {
        if (r.legend) bandColours.set(r.fill, r.legend);
        else if (b.name === 'zone') zoneColours.set(r.fill, `zone span ${r.label.replace(/^\d+:/, '')}`);
      }
    }
  }
  used.delete('mixed');
  const order = Object.keys(CELL_COLOURS) as CellClass[];
  const items: LegendItem[] = order
    .filter((c) => used.has(c))
    .map((c) => ({ colour: CELL_COLOURS[c], label: CELL_LABELS[c] }));
  if (early) items.push({ colour: '#222', label: 'early section (corner mark)', mark: 'top-left' });
  if (inSubsectionMap)
    items.push({ colour: SUBSECTION_MARK.fill, label: 'in subsection_map (corner mark)', mark: 'top-right' });
  // A zone's band is in its pages' colour; a span with no such pages drawn (ZONE_DEVICE after
  // memunmap, a zone spanning only holes) still needs saying.
  const shown = new Set(items.map((i) => i.colour));
  for (const [colour, label] of zoneColours) if (!shown.has(colour)) bandColours.set(colour, label);
  for (const [colour, label] of bandColours) items.push({ colour, label, band: true });
  return items;
}

/** The legend as HTML: the classes that occur in some maps, and the band colours. */
export function renderLegend(maps: readonly LayoutMap[]): string {
  return legendItems(maps)
    .map(
      (i) =>
        `<span class="swatch${i.band ? ' band' : ''}"><i style="background:${i.colour}"></i>${escapeXml(i.label)}</span>`,
    )
    .join(' ');
}

export { escapeXml };
