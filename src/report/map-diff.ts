/**
 * What changed between two maps of one zoom level: the cells whose class,
 * parts or flags differ, and the band ranges (zone and node spans, memory
 * blocks, pgmaps) that appeared, moved, went or changed state, as ranges to
 * outline and one line of text ("zone Normal spans +32768 pfns; memory33
 * offline → online"). The viewer outlines a step's change with it.
 */
import type { BandRange, LayoutMap, MapBand } from './map.js';

/** Past this many changed cells none is outlined: the line says how many changed instead. */
export const OUTLINE_LIMIT = 512;
/** Past this many band changes of one kind, they are counted rather than named. */
const NAMED_CHANGES = 4;

export interface BandChange {
  readonly band: MapBand['name'];
  /** The range after the change (empty ranges, gone ones, are not outlined). */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface MapChanges {
  /** nr of every changed cell (every one, even past OUTLINE_LIMIT). */
  readonly cells: readonly number[];
  /** Cells in the map after. */
  readonly total: number;
  readonly bands: readonly BandChange[];
  /** One line: the cells, then each band change; '' when nothing changed. */
  readonly line: string;
}

function changedCells(before: LayoutMap, after: LayoutMap): number[] {
  const old = new Map(before.cells.map((c) => [c.nr, c]));
  const out: number[] = [];
  for (const c of after.cells) {
    const o = old.get(c.nr);
    if (!o || o.cls !== c.cls || o.flags !== c.flags || String(o.parts) !== String(c.parts)) out.push(c.nr);
  }
  return out;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** A band range's name in a line: "zone Normal", "node 0", "memory33", "pgmap pmem0 fsdax". */
function rangeName(band: MapBand['name'], r: BandRange): string {
  if (band === 'zone') return `zone ${r.label}`;
  if (band === 'pgmap') return `pgmap ${r.label}`;
  return r.label;
}

function presentPages(r: BandRange): number | undefined {
  const m = /^present (\d+)$/.exec(r.state ?? '');
  return m ? Number(m[1]) : undefined;
}

/** One band's changes: ranges by label (blocks merged past a limit have none and are compared as spans). */
function bandChanges(
  band: MapBand['name'],
  before: readonly BandRange[],
  after: readonly BandRange[],
): BandChange[] {
  const key = (r: BandRange) => (r.label ? `${r.label}` : `${r.start}-${r.fill}`);
  const old = new Map(before.map((r) => [key(r), r]));
  const out: BandChange[] = [];
  for (const r of after) {
    const name = rangeName(band, r);
    const o = old.get(key(r));
    old.delete(key(r));
    if (!o) {
      const what = r.state && presentPages(r) === undefined ? ` (${r.state})` : '';
      out.push({ band, start: r.start, end: r.end, text: `${name} added${what}, ${r.end - r.start} pfns` });
      continue;
    }
    const parts: string[] = [];
    const span = r.end - r.start - (o.end - o.start);
    if (span !== 0) parts.push(`${name} spans ${signed(span)} pfns`);
    else if (r.start !== o.start) parts.push(`${name} moves ${signed(r.start - o.start)} pfns`);
    const [pb, pa] = [presentPages(o), presentPages(r)];
    if (pb !== undefined && pa !== undefined) {
      if (pa !== pb) parts.push(`${name} present ${signed(pa - pb)} pfns`);
    } else if (o.state !== r.state) parts.push(`${name} ${o.state ?? '?'} → ${r.state ?? '?'}`);
    else if (o.fill !== r.fill) parts.push(`${name} changes`);
    if (parts.length) out.push({ band, start: r.start, end: r.end, text: parts.join(', ') });
  }
  for (const o of old.values())
    out.push({ band, start: o.start, end: o.start, text: `${rangeName(band, o)} removed` });
  return out;
}

/**
 * Texts of changes: zone, node and pgmap changes named (the first few), then memory blocks
 * grouped by what happened to them ("16 memory blocks offline → online (memory32..memory47)").
 */
function summarize(changes: readonly BandChange[]): string[] {
  const out: string[] = [];
  const blocks = new Map<string, string[]>();
  let others = 0;
  for (const c of changes) {
    const m = c.band === 'block' ? /^(memory\d+) (.*)$/.exec(c.text) : null;
    if (m) blocks.set(m[2], [...(blocks.get(m[2]) ?? []), m[1]]);
    else if (others++ < NAMED_CHANGES) out.push(c.text);
  }
  if (others > NAMED_CHANGES) out.push(`${others - NAMED_CHANGES} more band changes`);
  for (const [what, names] of blocks)
    out.push(
      names.length > 2
        ? `${names.length} memory blocks ${what} (${names[0]}..${names[names.length - 1]})`
        : names.map((n) => `${n} ${what}`).join('; '),
    );
  return out;
}

/** What changed from one map to the next (same level and zoom). */
export function mapChanges(before: LayoutMap, after: LayoutMap): MapChanges {
  const cells = changedCells(before, after);
  const bands: BandChange[] = [];
  for (const b of after.bands) {
    const old = before.bands.find((x) => x.name === b.name)?.ranges ?? [];
    bands.push(...bandChanges(b.name, old, b.ranges));
  }
  for (const b of before.bands)
    if (!after.bands.some((x) => x.name === b.name)) bands.push(...bandChanges(b.name, b.ranges, []));
  const unit = after.level === 'pages' ? 'pages' : after.level;
  const parts: string[] = [];
  if (cells.length)
    parts.push(
      cells.length === after.cells.length && cells.length > 1
        ? `all ${cells.length} ${unit} changed`
        : `${cells.length} ${cells.length === 1 ? unit.replace(/s$/, '') : unit} changed`,
    );
  parts.push(...summarize(bands));
  return { cells, total: after.cells.length, bands, line: parts.join('; ') };
}
