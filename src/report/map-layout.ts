/**
 * A machine as map data (LayoutMap, drawn by map.ts): the cells of one zoom
 * level coloured by the truth, and the bands (zones, nodes, memory blocks,
 * pgmaps with their altmap) as pfn ranges.
 */
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';
import { formatSizeApprox, hex } from '../units.js';
import { sectionFlagLetters } from './flags.js';
import {
  BAND_COLOURS,
  type BandRange,
  CELL_COLOURS,
  type CellClass,
  type LayoutMap,
  type MapBand,
  type MapLevel,
  type SectionCell,
  truthClass,
} from './map.js';

/** Most parts a cell is split into when its pfns differ. */
const MAX_PARTS = 64;
/** Absent runs shorter than this stay cells (the renderer collapses longer ones). */
const SHORT_GAP = 4;
/** Past this many memory blocks, blocks of one state merge into one band range. */
const BLOCK_RANGES_LIMIT = 4096;

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

/** A cell over [start, start + pages): one class, or its parts when they differ. */
function cellOf(m: Machine, nr: number, flags: string, start: number, pages: number): SectionCell {
  const pieces = m.truth.slice(start, start + pages);
  if (pieces.length === 1) return { nr, flags, cls: truthClass(pieces[0].truth) };
  const n = Math.min(pages, MAX_PARTS);
  const parts: CellClass[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(
      dominantClass(m, start + Math.floor((i * pages) / n), start + Math.floor(((i + 1) * pages) / n)),
    );
  }
  const uniform = parts.every((c) => c === parts[0]);
  return uniform ? { nr, flags, cls: parts[0] } : { nr, flags, cls: 'mixed', parts };
}

function clip(r: BandRange, lo: number, hi: number): BandRange | undefined {
  if (r.end <= lo || r.start >= hi) return undefined;
  return { ...r, start: Math.max(r.start, lo), end: Math.min(r.end, hi) };
}

function zoneColour(zone: string): string {
  return zone === 'Device' ? CELL_COLOURS.device : CELL_COLOURS[`online-${zone}` as CellClass];
}

/** The bands over [lo, hi): zone and node spans, memory blocks, pgmaps with their altmap. */
export function mapBands(m: Machine, lo: number, hi: number): MapBand[] {
  const page = m.g.pageSize;
  const span = (start: number, pages: number) =>
    `pfn ${hex(start)}-${hex(start + pages - 1)} (${formatSizeApprox(pages * page)})`;
  const nodes = [...m.nodes.values()].sort((a, b) => a.nid - b.nid);
  const multiNode = nodes.filter((n) => n.nodeSpannedPages > 0).length > 1;
  const zone: BandRange[] = [];
  const node: BandRange[] = [];
  for (const n of nodes) {
    if (n.nodeSpannedPages > 0) {
      node.push({
        start: n.nodeStartPfn,
        end: n.nodeStartPfn + n.nodeSpannedPages,
        fill: BAND_COLOURS.nodes[n.nid % BAND_COLOURS.nodes.length],
        label: `node ${n.nid}`,
        state: `present ${n.nodePresentPages}`,
        title: `node ${n.nid}: node_start_pfn ${hex(n.nodeStartPfn)}, spanned ${n.nodeSpannedPages}, present ${n.nodePresentPages} pages`,
      });
    }
    for (const z of n.zones) {
      if (z.spannedPages === 0) continue;
      zone.push({
        start: z.zoneStartPfn,
        end: z.zoneStartPfn + z.spannedPages,
        fill: zoneColour(z.name),
        label: multiNode ? `${n.nid}:${z.name}` : z.name,
        state: `present ${z.presentPages}`,
        title: `node ${n.nid} zone ${z.name}: ${span(z.zoneStartPfn, z.spannedPages)}, spanned ${z.spannedPages}, present ${z.presentPages} pages`,
      });
    }
  }
  const block: BandRange[] = [];
  const perBlock = m.pagesPerBlock();
  if (perBlock > 0) {
    const ids = [...m.blocks.keys()].sort((a, b) => a - b);
    const merge = ids.length > BLOCK_RANGES_LIMIT;
    for (const id of ids) {
      const b = m.blocks.get(id)!;
      const start = id * perBlock;
      if (start + perBlock <= lo || start >= hi) continue;
      const fill =
        b.state === 'online'
          ? BAND_COLOURS.blockOnline
          : b.state === 'offline'
            ? BAND_COLOURS.blockOffline
            : BAND_COLOURS.blockGoingOffline;
      const last = block[block.length - 1];
      if (merge && last && last.end === start && last.fill === fill) {
        block[block.length - 1] = { ...last, end: start + perBlock, label: '', title: `${last.title}+` };
        continue;
      }
      const zoneName = b.zone === null ? '' : `, zone ${m.node(b.nid).zones[b.zone].name}`;
      block.push({
        start,
        end: start + perBlock,
        fill,
        label: `memory${id}`,
        state: b.state,
        title: `memory${id}: ${b.state}${zoneName}, node ${b.nid}${b.early ? ', boot' : ''}, ${span(start, perBlock)}`,
        legend: `memory block ${b.state}`,
      });
    }
  }
  const pgmap: BandRange[] = [];
  for (const p of m.pgmaps.values()) {
    const what = `${p.id} (${p.type}, ${p.state})`;
    let devStart = p.startPfn;
    if (p.altmap) {
      const { reserve, free } = p.altmap;
      if (reserve > 0) {
        pgmap.push({
          start: p.startPfn,
          end: p.startPfn + reserve,
          fill: BAND_COLOURS.altmapReserve,
          label: 'rsv',
          title: `${what}: altmap reserve, ${reserve} pfns for the driver`,
          legend: 'altmap reserve',
          hatch: true,
        });
      }
      if (free > 0) {
        pgmap.push({
          start: p.startPfn + reserve,
          end: p.startPfn + reserve + free,
          fill: BAND_COLOURS.altmapMemmap,
          label: 'memmap',
          title: `${what}: altmap, ${free} pfns holding the pgmap's own memmap`,
          legend: "altmap: the pgmap's own memmap",
        });
      }
      devStart = p.startPfn + reserve + free;
    }
    pgmap.push({
      start: devStart,
      end: p.endPfn,
      fill: CELL_COLOURS.device,
      label: `${p.id} ${p.type}`,
      state: p.state,
      title: `${what}: device pages ${span(devStart, p.endPfn - devStart)}`,
    });
  }
  const within = (rs: BandRange[]) => rs.map((r) => clip(r, lo, hi)).filter((r): r is BandRange => !!r);
  return [
    { name: 'zone', ranges: within(zone) },
    { name: 'node', ranges: within(node) },
    { name: 'block', ranges: within(block) },
    { name: 'pgmap', ranges: within(pgmap) },
  ];
}

function baseMap(
  m: Machine,
  level: MapLevel,
  unitPages: number,
  cells: SectionCell[],
  bands: MapBand[],
): LayoutMap {
  const g = m.g;
  return {
    level,
    pageSize: g.pageSize,
    pagesPerSection: g.pagesPerSection,
    sectionSize: g.sectionSize,
    subsectionsPerSection: g.subsectionsPerSection,
    pagesPerSubsection: g.pagesPerSubsection,
    unitPages,
    cells,
    bands,
  };
}

/** Most sections a map holds (past it, the truth's sections are not all drawn). */
const MAX_SECTIONS = 1 << 20;

/**
 * The section numbers a map shows, ascending: every allocated section, every section holding
 * some truth, and the absent runs shorter than SHORT_GAP between them.
 */
function shownSectionNrs(m: Machine): number[] {
  const per = m.g.pagesPerSection;
  const allocated = m.sections.allocatedSectionNrs();
  const intervals = m.truth.intervals();
  let top = allocated.length ? allocated[allocated.length - 1] + 1 : 0;
  if (intervals.length) top = Math.max(top, Math.floor((intervals[intervals.length - 1].end - 1) / per) + 1);
  // One byte per section up to the highest one shown (a 64 TiB x86_64 machine: 512 KiB).
  const shown = new Uint8Array(top);
  for (const nr of allocated) shown[nr] = 1;
  let count = allocated.length;
  for (const iv of intervals) {
    const last = Math.floor((iv.end - 1) / per);
    for (let nr = Math.floor(iv.start / per); nr <= last && count < MAX_SECTIONS; nr++) {
      count += 1 - shown[nr];
      shown[nr] = 1;
    }
  }
  const out: number[] = [];
  let prev = -1;
  for (let nr = 0; nr < top; nr++) {
    if (!shown[nr]) continue;
    const missing = nr - prev - 1;
    if (prev >= 0 && missing > 0 && missing < SHORT_GAP) for (let k = prev + 1; k < nr; k++) out.push(k);
    out.push(nr);
    prev = nr;
  }
  return out;
}

/** Sections with any state or truth, as map cells (short absent runs between them too). */
export function layoutMap(m: Machine): LayoutMap {
  const g = m.g;
  const per = g.pagesPerSection;
  const intervals = m.truth.intervals();
  const classes = intervals.map((iv) => truthClass(iv.truth));
  const cells: SectionCell[] = [];
  // The truth's intervals walked alongside the sections: a section inside one interval is that
  // interval's class without slicing the truth (131,072 sections of a 16 TiB machine).
  let i = 0;
  for (const nr of shownSectionNrs(m)) {
    const ms = m.sections.section(nr);
    const flags = sectionFlagLetters(ms === NULL ? 0 : m.sections.flags(ms));
    const start = nr * per;
    while (i < intervals.length && intervals[i].end <= start) i++;
    const iv = intervals[i];
    if (iv && iv.start <= start && iv.end >= start + per) cells.push({ nr, flags, cls: classes[i] });
    else if (!iv || iv.start >= start + per) cells.push({ nr, flags, cls: 'no-memmap' });
    else cells.push(cellOf(m, nr, flags, start, per));
  }
  const top = cells.length ? (cells[cells.length - 1].nr + 1) * per : 0;
  return baseMap(m, 'sections', per, cells, mapBands(m, 0, top));
}

/** The subsections of one section. */
export function sectionMap(m: Machine, sectionNr: number): LayoutMap {
  const g = m.g;
  const ms = m.sections.section(sectionNr);
  const usage = ms === NULL ? NULL : m.sections.usage(ms);
  const cells: SectionCell[] = [];
  const base = sectionNr * g.pagesPerSection;
  for (let i = 0; i < g.subsectionsPerSection; i++) {
    const flags = usage !== NULL && m.sections.testSubsection(usage, 0, i) ? 'S' : '-';
    const start = base + i * g.pagesPerSubsection;
    cells.push(cellOf(m, start / g.pagesPerSubsection, flags, start, g.pagesPerSubsection));
  }
  return baseMap(m, 'subsections', g.pagesPerSubsection, cells, mapBands(m, base, base + g.pagesPerSection));
}

/** The pages of one subsection (index inside its section). */
export function subsectionMap(m: Machine, sectionNr: number, index: number): LayoutMap {
  const g = m.g;
  const base = sectionNr * g.pagesPerSection + index * g.pagesPerSubsection;
  const cells: SectionCell[] = [];
  for (const piece of m.truth.slice(base, base + g.pagesPerSubsection)) {
    const cls = truthClass(piece.truth);
    for (let pfn = piece.start; pfn < piece.end; pfn++) cells.push({ nr: pfn, flags: '', cls });
  }
  return baseMap(m, 'pages', 1, cells, mapBands(m, base, base + g.pagesPerSubsection));
}
