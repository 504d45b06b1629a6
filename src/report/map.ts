/**
 * A map of the physical address space: one cell per section, coloured by what
 * its pfns are; a section whose subsections differ is drawn as a strip of
 * subsections. Pure data and SVG text, no DOM, so the demo report (Node) and
 * the viewer (browser) draw the same map.
 */
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';
import type { Truth } from '../model/truth.js';
import { sectionFlagLetters } from './flags.js';

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

export const CELL_COLOURS: Readonly<Record<CellClass, string>> = {
  'online-DMA': '#1b7837',
  'online-DMA32': '#5aae61',
  'online-Normal': '#2166ac',
  'online-Movable': '#67a9cf',
  offline: '#999999',
  uninitialized: '#fee08b',
  device: '#8073ac',
  'driver-reserved': '#f46d43',
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
  'no-memmap': 'no memmap',
  mixed: 'mixed',
};

export function truthClass(t: Truth): CellClass {
  if (t.state === 'online') return `online-${t.zone ?? 'Normal'}` as CellClass;
  return t.state as CellClass;
}

export interface SectionCell {
  readonly nr: number;
  readonly flags: string;
  readonly cls: CellClass;
  /** Per-subsection classes when they differ. */
  readonly subsections?: readonly CellClass[];
}

export interface LayoutMap {
  readonly pagesPerSection: number;
  readonly sectionSize: number;
  readonly subsectionsPerSection: number;
  readonly cells: readonly SectionCell[];
}

/** The class covering most of [start, end). */
function dominantClass(m: Machine, start: number, end: number): CellClass {
  const weight = new Map<CellClass, number>();
  for (const piece of m.truth.slice(start, end)) {
    const c = truthClass(piece.truth);
    weight.set(c, (weight.get(c) ?? 0) + piece.end - piece.start);
  }
  let best: CellClass = 'no-memmap';
  let most = -1;
  for (const [c, w] of weight) {
    if (w > most) {
      best = c;
      most = w;
    }
  }
  return best;
}

/** Sections with any state or truth, as map cells. */
export function layoutMap(m: Machine): LayoutMap {
  const g = m.g;
  const nrs = new Set<number>(m.sections.allocatedSectionNrs());
  for (const iv of m.truth.intervals()) {
    const last = Math.floor((iv.end - 1) / g.pagesPerSection);
    for (let nr = Math.floor(iv.start / g.pagesPerSection); nr <= last && nrs.size < 1 << 20; nr++)
      nrs.add(nr);
  }
  const cells: SectionCell[] = [];
  for (const nr of [...nrs].sort((a, b) => a - b)) {
    const ms = m.sections.section(nr);
    const flags = sectionFlagLetters(ms === NULL ? 0 : m.sections.flags(ms));
    const base = nr * g.pagesPerSection;
    const pieces = m.truth.slice(base, base + g.pagesPerSection);
    if (pieces.length === 1) {
      cells.push({ nr, flags, cls: truthClass(pieces[0].truth) });
      continue;
    }
    const subsections: CellClass[] = [];
    for (let i = 0; i < g.subsectionsPerSection; i++) {
      const s = base + i * g.pagesPerSubsection;
      subsections.push(dominantClass(m, s, s + g.pagesPerSubsection));
    }
    const uniform = subsections.every((c) => c === subsections[0]);
    cells.push({
      nr,
      flags,
      cls: uniform ? subsections[0] : 'mixed',
      subsections: uniform ? undefined : subsections,
    });
  }
  return {
    pagesPerSection: g.pagesPerSection,
    sectionSize: g.sectionSize,
    subsectionsPerSection: g.subsectionsPerSection,
    cells,
  };
}

const CELL = 14;
const GAP = 2;
const PER_ROW = 32;

function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Rows of cells; a run of 4+ absent sections becomes a gap marker. */
function rows(map: LayoutMap): (SectionCell | { gap: number; from: number })[][] {
  const out: (SectionCell | { gap: number; from: number })[][] = [[]];
  let prev = -1;
  for (const cell of map.cells) {
    const row = () => out[out.length - 1];
    if (prev >= 0 && cell.nr - prev > 1) {
      const missing = cell.nr - prev - 1;
      if (missing >= 4) {
        row().push({ gap: missing, from: prev + 1 });
      } else {
        for (let k = prev + 1; k < cell.nr; k++) row().push({ nr: k, flags: '-', cls: 'no-memmap' });
      }
    }
    if (row().length >= PER_ROW) out.push([]);
    row().push(cell);
    prev = cell.nr;
  }
  return out.filter((r) => r.length);
}

/** An SVG map: a cell per section, left to right, PER_ROW per row, with tooltips. */
export function renderMapSvg(map: LayoutMap): string {
  const lines = rows(map);
  const width = PER_ROW * (CELL + GAP) + 90;
  const height = lines.length * (CELL + GAP) + 4;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" class="pfnlab-map">`,
  ];
  lines.forEach((row, y) => {
    const first = row.find((c) => 'nr' in c) as SectionCell | undefined;
    const top = y * (CELL + GAP) + 2;
    parts.push(
      `<text x="0" y="${top + CELL - 3}" font-size="10" font-family="monospace">${first ? `§${first.nr}` : ''}</text>`,
    );
    row.forEach((c, x) => {
      const left = 80 + x * (CELL + GAP);
      if ('gap' in c) {
        parts.push(
          `<text x="${left}" y="${top + CELL - 3}" font-size="9" font-family="monospace"><title>${c.gap} absent sections from §${c.from}</title>…</text>`,
        );
        return;
      }
      const title = `section ${c.nr} [${c.flags}] ${CELL_LABELS[c.cls]}`;
      if (c.subsections) {
        const w = CELL / c.subsections.length;
        parts.push(`<g data-section="${c.nr}"><title>${escapeXml(title)}</title>`);
        c.subsections.forEach((s, i) => {
          parts.push(
            `<rect x="${(left + i * w).toFixed(2)}" y="${top}" width="${w.toFixed(2)}" height="${CELL}" fill="${CELL_COLOURS[s]}"/>`,
          );
        });
        parts.push(
          `<rect x="${left}" y="${top}" width="${CELL}" height="${CELL}" fill="none" stroke="#000" stroke-width="0.6"/></g>`,
        );
      } else {
        parts.push(
          `<rect data-section="${c.nr}" x="${left}" y="${top}" width="${CELL}" height="${CELL}" fill="${CELL_COLOURS[c.cls]}" stroke="#444" stroke-width="0.4"><title>${escapeXml(title)}</title></rect>`,
        );
      }
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The legend: the classes that occur in a map. */
export function renderLegend(maps: readonly LayoutMap[]): string {
  const used = new Set<CellClass>();
  for (const map of maps) {
    for (const c of map.cells) {
      used.add(c.cls);
      for (const s of c.subsections ?? []) used.add(s);
    }
  }
  used.delete('mixed');
  return [...used]
    .map(
      (c) =>
        `<span class="swatch"><i style="background:${CELL_COLOURS[c]}"></i>${escapeXml(CELL_LABELS[c])}</span>`,
    )
    .join(' ');
}

export { escapeXml };
