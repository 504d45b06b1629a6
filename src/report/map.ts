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
import { hex } from '../units.js';

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
  | 'vmemmap'
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
  vmemmap: '#fdae61',
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
  vmemmap: 'self-hosted memmap (memmap_on_memory)',
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
  /** Drawn hatched over its fill (an altmap's reserve: pages reserved for the driver). */
  readonly hatch?: boolean;
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

/** The outline of what a step changed (cells and band ranges). */
export const CHANGED_OUTLINE = '#d01c8b';
/** The corner mark of a subsection in subsection_map (white-edged, to show on every fill). */
export const SUBSECTION_MARK = { fill: '#111', stroke: '#fff', strokeWidth: 0.8 } as const;

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** WCAG 2 relative luminance of a #rrggbb (or #rgb) colour. */
function luminance(colour: string): number {
  const hexDigits = colour.length === 4 ? [...colour.slice(1)].map((c) => c + c).join('') : colour.slice(1);
  const n = Number.parseInt(hexDigits, 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two #rrggbb (or #rgb) colours (1 to 21; labels want 4.5 or more). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white text, whichever contrasts more with a fill (every band fill gets 4.5:1 or more). */
export function textColourOn(fill: string): string {
  return contrastRatio('#111111', fill) >= contrastRatio('#ffffff', fill) ? '#111' : '#fff';
}

/** Classes drawn hatched as well as coloured: pages reserved for a driver, whatever the palette. */
export const HATCHED_CLASSES: ReadonlySet<CellClass> = new Set<CellClass>(['driver-reserved']);

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

export interface LegendItem {
  readonly colour: string;
  readonly label: string;
  /** A band colour rather than a cell colour. */
  readonly band?: boolean;
  /** A mark in a cell's corner rather than its fill. */
  readonly mark?: 'top-left' | 'top-right';
  /** Drawn hatched (reserved pages). */
  readonly hatch?: boolean;
}

/** What the colours of some maps mean: the cell classes that occur, then the band colours. */
export function legendItems(maps: readonly LayoutMap[]): LegendItem[] {
  const used = new Set<CellClass>();
  const bandColours = new Map<string, string>();
  const hatchedBands = new Set<string>();
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
        if (r.hatch) hatchedBands.add(r.fill);
        else if (b.name === 'zone') zoneColours.set(r.fill, `zone span ${r.label.replace(/^\d+:/, '')}`);
      }
    }
  }
  used.delete('mixed');
  const order = Object.keys(CELL_COLOURS) as CellClass[];
  const items: LegendItem[] = order
    .filter((c) => used.has(c))
    .map((c) => ({
      colour: CELL_COLOURS[c],
      label: CELL_LABELS[c],
      ...(HATCHED_CLASSES.has(c) ? { hatch: true } : {}),
    }));
  if (early) items.push({ colour: '#222', label: 'early section (corner mark)', mark: 'top-left' });
  if (inSubsectionMap)
    items.push({ colour: SUBSECTION_MARK.fill, label: 'in subsection_map (corner mark)', mark: 'top-right' });
  // A zone's band is in its pages' colour; a span with no such pages drawn (ZONE_DEVICE after
  // memunmap, a zone spanning only holes) still needs saying.
  const shown = new Set(items.map((i) => i.colour));
  for (const [colour, label] of zoneColours) if (!shown.has(colour)) bandColours.set(colour, label);
  for (const [colour, label] of bandColours)
    items.push({ colour, label, band: true, ...(hatchedBands.has(colour) ? { hatch: true } : {}) });
  return items;
}

/** The legend as HTML: the classes that occur in some maps, and the band colours. */
export function renderLegend(maps: readonly LayoutMap[]): string {
  return legendItems(maps)
    .map(
      (i) =>
        `<span class="swatch${i.band ? ' band' : ''}"><i style="background:${swatchBackground(i)}"></i>${escapeXml(i.label)}</span>`,
    )
    .join(' ');
}

/** The hatching's lines: dark, half transparent, so they show on every fill and keep its colour. */
export const HATCH_LINE = 'rgba(0,0,0,0.55)';

/** A legend swatch's CSS background: its colour, hatched as the map hatches it. */
export function swatchBackground(i: LegendItem): string {
  return i.hatch
    ? `repeating-linear-gradient(45deg, ${HATCH_LINE} 0 1px, transparent 1px 4px), ${i.colour}`
    : i.colour;
}

export { escapeXml };
