/**
 * The map laid out: a scene of rectangles and labels in scene units, drawn by map-svg.ts (the
 * report, the viewer's smaller maps) or on the viewer's canvas. Cells in rows of perRow (rows
 * planned by map-rows.ts), bands under each row, fold markers, rows of absent sections, and
 * outlines on top. Pure data in and out; no DOM, no Node.
 */
import {
  type BandRange,
  CELL_COLOURS,
  CELL_LABELS,
  type CellClass,
  CHANGED_OUTLINE,
  cellName,
  HATCHED_CLASSES,
  type LayoutMap,
  type MapBand,
  type SectionCell,
  SUBSECTION_MARK,
  textColourOn,
} from './map.js';
import {
  type BandTracks,
  FOLD_ROWS,
  foldedRange,
  foldedRuns,
  gapText,
  rowKey,
  rowLabels,
  rows,
  runHeads,
  runText,
  type Slot,
  tracks,
} from './map-rows.js';

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
  /**
   * Smallest text size in scene units (the viewer asks for 11 CSS px at the scale it draws at):
   * smaller labels are raised to it, and the label column, bands, run headers and fold markers
   * grow to hold them. Default: the report's sizes (7.5 to 9.5).
   */
  readonly font?: number;
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
  /** Diagonal lines over what is drawn under it (reserved pages), instead of the fill. */
  readonly hatch?: boolean;
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
  /** The smallest text size asked for (style.font), 0 when none was. */
  readonly font: number;
}

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
/** The report's text sizes (scene units): row labels, run headers and absent rows, fold markers, band labels. */
const ROW_TEXT = 9.5;
const HEADER_TEXT = 9;
const FOLD_TEXT = 8;
const BAND_TEXT = 7.5;
/** Labels meant to be read: 4.5:1 or more on white (and on the fold marker's grey). */
const LABEL_GREY = '#595959';

/** The baseline of text of `size` centred in a box of height h from top (a monospace font's x-height). */
function middle(top: number, h: number, size: number): number {
  return top + h / 2 + size * 0.37;
}

interface Placed {
  readonly x: number;
  readonly cell?: SectionCell;
}

/** A band track across one row: each range as one rect per run of adjacent cells, labelled where it fits. */
function bandSegments(
  items: (SceneRect | SceneText)[],
  f: Frame,
  row: readonly Placed[],
  ranges: readonly BandRange[],
  y: number,
  outlined: (r: BandRange) => string | undefined,
): void {
  const { cell, gap, titles, band } = f;
  const unit = f.map.unitPages;
  const size = f.text(BAND_TEXT);
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
      if (r.hatch) items.push(hatchOver(seg.x0, y, w, band - 1));
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
      if (r.label && band >= LABELLED_BAND && w >= r.label.length * 4.9 * (size / BAND_TEXT) + 4) {
        items.push({
          kind: 'text',
          x: seg.x0 + 2,
          y: y + band - 2.5,
          text: r.label,
          size,
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

/** A scene's sizes, from its style (scene units). */
interface Frame {
  readonly map: LayoutMap;
  readonly cell: number;
  readonly cellH: number;
  readonly gap: number;
  readonly perRow: number;
  readonly titles: boolean;
  readonly band: number;
  readonly bandTracks: readonly BandTracks[];
  /** From a row's top to the next row's: its cells, its band tracks, the gap. */
  readonly rowHeight: number;
  readonly labelWidth: number;
  /** Width of a full row of cells. */
  readonly gridWidth: number;
  /** A text size raised to the style's smallest (style.font). */
  readonly text: (size: number) => number;
  /** Heights of a fold marker (or a row of absent sections) and of a run's header. */
  readonly foldHeight: number;
  readonly runHeader: number;
  /** Band ranges outlined (what a step changed), as a colour per band range. */
  readonly outlinedIn: (name: MapBand['name']) => (r: BandRange) => string | undefined;
}

/** What is drawn so far, and where the next row goes. */
interface Drawing {
  readonly items: (SceneRect | SceneText)[];
  readonly cells: SceneCell[];
  readonly folds: SceneFold[];
  readonly outlines: { c: SceneCell; colour: string; title?: string }[];
  top: number;
}

/** The row labels' column for labels of `chars` characters at `size` (a monospace font). */
function labelColumn(chars: number, size: number): number {
  return Math.max(LABEL_WIDTH, Math.ceil(chars * 5.8 * (size / ROW_TEXT)) + 8);
}

function sceneFrame(map: LayoutMap, style: MapStyle, labels: readonly string[]): Frame {
  const cell = style.cell ?? 14;
  const cellH = style.cellHeight ?? cell;
  const gap = style.gap ?? 2;
  const perRow = style.perRow ?? 32;
  const bands = style.bands === false ? [] : map.bands.filter((b) => b.ranges.length);
  const bandTracks = bands.map((b) => ({ name: b.name, tracks: tracks(b.ranges) }));
  const trackCount = bandTracks.reduce((n, b) => n + b.tracks.length, 0);
  const text = (size: number) => Math.max(size, style.font ?? 0);
  // Labelled bands grow to hold their labels at the smallest text size.
  const asked = style.band ?? BAND_HEIGHT;
  const band = asked >= LABELLED_BAND ? Math.max(asked, text(BAND_TEXT) + 2) : asked;
  // Row labels in a 9.5px monospace font, about 5.7px a character: past 16 TiB "§131072 0x100000000000"
  // is wider than the usual label column, which then widens rather than run into the first cell.
  const labelWidth = labelColumn(Math.max(0, ...labels.map((l) => l.length)), text(ROW_TEXT));
  const bandOutline = style.bandOutline ?? [];
  const colour = style.outlineColour ?? CHANGED_OUTLINE;
  return {
    map,
    cell,
    cellH,
    gap,
    perRow,
    titles: style.titles ?? true,
    band,
    bandTracks,
    rowHeight: cellH + (trackCount ? 2 + trackCount * band : 0) + ROW_GAP,
    labelWidth,
    gridWidth: perRow * (cell + gap) - gap,
    text,
    foldHeight: Math.max(FOLD_HEIGHT, text(FOLD_TEXT) + 4),
    runHeader: Math.max(RUN_HEADER, text(HEADER_TEXT) + 2),
    outlinedIn: (name) => (r) =>
      bandOutline.some((o) => o.band === name && o.start === r.start && o.end === r.end) ? colour : undefined,
  };
}

/**
 * Highlights by the cell that holds them: one lookup per cell, not a scan of every highlight
 * (stepping across boot of 16 TiB outlines all 131072 sections as changed).
 */
function highlightsByCell(map: LayoutMap, highlight: readonly MapHighlight[]): Map<number, MapHighlight[]> {
  const at = new Map<number, MapHighlight[]>();
  for (const h of highlight) {
    const nr = Math.floor(h.pfn / map.unitPages);
    const list = at.get(nr);
    if (list) list.push(h);
    else at.set(nr, [h]);
  }
  return at;
}

/** Rows [r, end) folded into a marker under the row drawn above them. */
function drawFold(
  d: Drawing,
  f: Frame,
  lines: readonly (readonly Slot[])[],
  r: number,
  end: number,
  label: string,
): void {
  const top = d.top;
  const lastRow = lines[end - 1];
  const first = (lines[r][0] as { cell: SectionCell }).cell.nr;
  const last = (lastRow[lastRow.length - 1] as { cell: SectionCell }).cell.nr;
  const n = end - r;
  const unit = f.map.unitPages;
  const text = `${n} rows like the one above folded: ${foldedRange(f.map, first, last)}`;
  const fold: SceneFold = {
    x: f.labelWidth,
    y: top,
    w: f.gridWidth,
    h: f.foldHeight,
    rows: n,
    first,
    last,
    start: first * unit,
    pages: (last - first + 1) * unit,
    text,
  };
  d.folds.push(fold);
  const title = f.titles ? text : undefined;
  // The address column goes on: where the folded rows begin, in grey.
  d.items.push(
    {
      kind: 'text',
      x: 0,
      y: middle(top, f.foldHeight, f.text(ROW_TEXT)),
      text: label,
      size: f.text(ROW_TEXT),
      fill: LABEL_GREY,
    },
    {
      kind: 'rect',
      x: fold.x,
      y: top,
      w: fold.w,
      h: fold.h,
      fill: '#f7f7f7',
      stroke: '#999',
      strokeWidth: 0.8,
      dash: true,
      title,
      data: { fold: first, rows: n, count: last - first + 1 },
    },
    {
      kind: 'text',
      x: fold.x + 4,
      y: middle(top, f.foldHeight, f.text(FOLD_TEXT)),
      text: `⋮ ${text}`,
      size: f.text(FOLD_TEXT),
      fill: '#444',
      title,
    },
  );
  d.top += f.foldHeight + ROW_GAP;
}

/** A row of its own for absent sections, naming the range it skips and its size. */
function drawGapRow(d: Drawing, f: Frame, from: number, count: number): void {
  const text = gapText(f.map, from, count);
  const top = d.top;
  d.top += f.foldHeight + ROW_GAP;
  d.items.push(
    {
      kind: 'rect',
      x: f.labelWidth,
      y: top,
      w: f.gridWidth,
      h: f.foldHeight,
      fill: '#fff',
      stroke: '#bbb',
      strokeWidth: 0.8,
      dash: true,
      title: f.titles ? text : undefined,
      data: { gap: from, count },
    },
    {
      kind: 'text',
      x: f.labelWidth + 4,
      y: middle(top, f.foldHeight, f.text(HEADER_TEXT)),
      text: `… ${text}`,
      size: f.text(HEADER_TEXT),
      fill: '#555',
    },
  );
}

/** The first row of a run of present sections: its address range and size above it. */
function drawRunHeader(d: Drawing, f: Frame, first: number, last: number): void {
  d.items.push({
    kind: 'text',
    x: f.labelWidth,
    y: d.top + f.runHeader - 3,
    text: runText(f.map, first, last),
    size: f.text(HEADER_TEXT),
    fill: '#333',
  });
  d.top += f.runHeader;
}

/** Hatching over [x, x + w) x [y, y + h): reserved pages, told apart by more than their colour. */
function hatchOver(x: number, y: number, w: number, h: number): SceneRect {
  return { kind: 'rect', x, y, w, h, fill: 'none', hatch: true };
}

/** One cell: its fill (a strip of parts when mixed), its frame, its corner marks. */
function drawCell(d: Drawing, f: Frame, c: SectionCell, left: number, top: number): SceneCell {
  const { map, cell, cellH } = f;
  if (c.parts) {
    const runs = partRuns(c.parts);
    const widths = stripWidths(
      runs.map((r) => r.parts),
      cell,
      MIN_PART_WIDTH,
    );
    let x = left;
    runs.forEach((r, k) => {
      d.items.push({ kind: 'rect', x, y: top, w: widths[k], h: cellH, fill: CELL_COLOURS[r.cls] });
      if (HATCHED_CLASSES.has(r.cls)) d.items.push(hatchOver(x, top, widths[k], cellH));
      x += widths[k];
    });
  }
  d.items.push({
    kind: 'rect',
    x: left,
    y: top,
    w: cell,
    h: cellH,
    fill: c.parts ? 'transparent' : CELL_COLOURS[c.cls],
    stroke: c.parts ? '#000' : '#555',
    strokeWidth: c.parts ? 0.7 : 0.4,
    title: f.titles ? `${cellName(map, c)}: ${CELL_LABELS[c.cls]}` : undefined,
    data: { nr: c.nr, cls: c.cls },
  });
  if (!c.parts && HATCHED_CLASSES.has(c.cls)) d.items.push(hatchOver(left, top, cell, cellH));
  if (map.level === 'sections' && c.flags.includes('E') && cell >= 8) {
    d.items.push({ kind: 'rect', x: left + 1, y: top + 1, w: 3, h: 3, fill: '#222' });
  }
  // A subsection set in its section's subsection_map: the point of zooming into a section.
  if (map.level === 'subsections' && c.flags === 'S' && cell >= 8) {
    d.items.push({ kind: 'rect', ...SUBSECTION_MARK, x: left + cell - 5, y: top + 1, w: 4, h: 4 });
  }
  const sc: SceneCell = {
    x: left,
    y: top,
    w: cell,
    h: cellH,
    cell: c,
    start: c.nr * map.unitPages,
    pages: map.unitPages,
  };
  d.cells.push(sc);
  return sc;
}

/** The band tracks under a row of cells, each named at its first track when bands are labelled. */
function drawBands(d: Drawing, f: Frame, placed: readonly Placed[], y: number): void {
  for (const b of f.bandTracks) {
    b.tracks.forEach((t, ti) => {
      if (ti === 0 && f.band >= LABELLED_BAND) {
        d.items.push({
          kind: 'text',
          x: f.labelWidth - 6,
          y: y + f.band - 2,
          text: b.name,
          size: f.text(BAND_TEXT),
          fill: LABEL_GREY,
          anchor: 'end',
        });
      }
      bandSegments(d.items, f, placed, t, y, f.outlinedIn(b.name));
      y += f.band;
    });
  }
}

/** A row of cells: its label, its cells (highlights noted for drawing last), its bands. */
function drawRow(
  d: Drawing,
  f: Frame,
  row: readonly Slot[],
  label: string,
  highlightsAt: ReadonlyMap<number, readonly MapHighlight[]>,
): void {
  const top = d.top;
  d.top += f.rowHeight;
  const placed: Placed[] = row.map((s, i) => ({
    x: f.labelWidth + ('col' in s ? s.col : i) * (f.cell + f.gap),
    cell: 'cell' in s ? s.cell : undefined,
  }));
  if (label)
    d.items.push({
      kind: 'text',
      x: 0,
      y: middle(top, f.cellH, f.text(ROW_TEXT)),
      text: label,
      size: f.text(ROW_TEXT),
      fill: '#333',
    });
  for (const p of placed) {
    if (!p.cell) continue;
    const sc = drawCell(d, f, p.cell, p.x, top);
    for (const h of highlightsAt.get(p.cell.nr) ?? [])
      d.outlines.push({ c: sc, colour: h.colour, title: h.title });
  }
  drawBands(d, f, placed, top + f.cellH + 2);
}

/** Highlighted cells' outlines, on top of everything. */
function drawOutlines(d: Drawing, titles: boolean): void {
  for (const o of d.outlines) {
    d.items.push({
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
}

/** Lay the map out: cells in rows of perRow, bands under each row, highlights on top. */
export function mapScene(map: LayoutMap, style: MapStyle = {}): MapScene {
  const lines = rows(map, style.perRow ?? 32);
  const labels = rowLabels(map, lines);
  const f = sceneFrame(map, style, labels);
  const highlightsAt = highlightsByCell(map, style.highlight ?? []);
  const kept = new Set((style.keep ?? []).map((pfn) => Math.floor(pfn / map.unitPages)));
  const marked = (nr: number) => highlightsAt.has(nr) || kept.has(nr);
  const heads = runHeads(map, lines);
  const foldedAt = foldedRuns(
    lines.map((row) => rowKey(row, f.perRow, map.unitPages, f.bandTracks, marked)),
    style.fold ?? FOLD_ROWS,
  );
  const d: Drawing = { items: [], cells: [], folds: [], outlines: [], top: 2 };
  for (let r = 0; r < lines.length; r++) {
    const foldEnd = foldedAt.get(r);
    const row = lines[r];
    const only = row[0];
    if (foldEnd !== undefined) {
      drawFold(d, f, lines, r, foldEnd, labels[r]);
      r = foldEnd - 1;
    } else if (row.length === 1 && 'gap' in only) drawGapRow(d, f, only.from, only.gap);
    else {
      const last = heads.get(r);
      if (last !== undefined) drawRunHeader(d, f, (only as { cell: SectionCell }).cell.nr, last);
      drawRow(d, f, row, labels[r], highlightsAt);
    }
  }
  drawOutlines(d, f.titles);
  return {
    width: f.labelWidth + f.perRow * (f.cell + f.gap) + 4,
    height: d.top,
    scale: style.scale ?? 1,
    items: d.items,
    cells: d.cells,
    folds: d.folds,
    tracks: f.bandTracks.flatMap((b) => b.tracks.map(() => b.name)),
    tracksLabelled: f.band >= LABELLED_BAND,
    font: style.font ?? 0,
  };
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

/**
 * The scene as the viewer draws it in a panel `widthPx` wide: as large as fits, from 0.6 to 1.6
 * times the report's size, with every label at least `textPx` CSS pixels. The scale and the label
 * column depend on each other (larger labels, a wider column); the scale is found on the column's
 * width alone, then the scene laid out once.
 */
export function fittedScene(map: LayoutMap, style: MapStyle, widthPx: number, textPx: number): MapScene {
  const perRow = style.perRow ?? 32;
  const chars = Math.max(0, ...rowLabels(map, rows(map, perRow)).map((l) => l.length));
  const grid = perRow * ((style.cell ?? 14) + (style.gap ?? 2)) + 4;
  const fit = (scale: number) =>
    Math.max(0.6, Math.min(1.6, widthPx / (labelColumn(chars, Math.max(ROW_TEXT, textPx / scale)) + grid)));
  // fit() does not grow as the scale shrinks: from the largest scale it settles in a few steps.
  let scale = 1.6;
  for (let i = 0; i < 8; i++) {
    const next = fit(scale);
    if (Math.abs(next - scale) < 1e-4) break;
    scale = next;
  }
  return { ...mapScene(map, { ...style, font: textPx / scale }), scale };
}
