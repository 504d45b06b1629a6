/**
 * What a machine looks like: sections (grouped into runs of identical state,
 * as crash's `kmem -n` would list them), memory blocks (merged like lsmem),
 * zones, pgmaps, and the truth summed by state. One plain object, rendered as
 * text or printed as JSON.
 */

import { kernelOf } from '../kernel/index.js';
import { SECTION_TAINT_ZONE_DEVICE } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';
import { describePageFlags } from '../model/page-flags.js';
import { pgmapFirstPfn } from '../model/pgmap.js';
import { TRUTH_STATES, type TruthState } from '../model/truth.js';
import { validZones } from '../ops/zone-policy.js';
import { formatSize, formatSizeApprox, hex } from '../units.js';
import { sectionFlagLetters } from './flags.js';
import { renderTable } from './table.js';

export interface SectionRun {
  readonly first: number;
  readonly last: number;
  readonly flags: string;
  /** Populated subsections: "64/64", or the subsection_map in hex when partial. */
  readonly subsections: string;
  readonly nid: number;
}

export interface BlockRun {
  readonly first: number;
  readonly last: number;
  readonly start: string;
  readonly end: string;
  readonly size: number;
  readonly state: string;
  readonly node: number;
  readonly zones: string;
}

export interface ZoneReport {
  readonly node: number;
  readonly zone: string;
  readonly startPfn: number;
  readonly spanned: number;
  readonly present: number;
}

export interface PgmapReport {
  readonly id: string;
  readonly type: string;
  readonly start: string;
  readonly end: string;
  readonly node: number;
  readonly state: string;
  readonly firstDevicePfn: number;
  readonly altmap?: { readonly reserve: number; readonly free: number };
}

export interface LayoutReport {
  readonly arch: string;
  readonly kernel: string;
  readonly geometry: {
    readonly pageSize: number;
    readonly sectionSize: number;
    readonly subsectionSize: number;
    readonly pagesPerSection: number;
    readonly subsectionsPerSection: number;
    readonly sectionsPerRoot: number;
    readonly maxPhysmemBits: number;
    readonly memoryBlockSize: number;
  };
  readonly sections: {
    readonly present: number;
    readonly online: number;
    readonly roots: number;
    readonly runs: SectionRun[];
  };
  readonly blocks: BlockRun[];
  readonly zones: ZoneReport[];
  readonly pgmaps: PgmapReport[];
  /** Pages per truth state, over the whole address space that has a memmap or had one. */
  readonly truth: Partial<Record<TruthState, number>>;
}

function subsectionSummary(m: Machine, nr: number): string {
  const usage = m.sections.usage(m.sections.section(nr));
  if (usage === NULL) return 'no usage';
  const set = m.sections.bitmapIndices(usage, 0);
  if (set.length === m.g.subsectionsPerSection || set.length === 0)
    return `${set.length}/${m.g.subsectionsPerSection}`;
  const ranges: string[] = [];
  for (let i = 0; i < set.length; ) {
    let j = i;
    while (j + 1 < set.length && set[j + 1] === set[j] + 1) j++;
    ranges.push(i === j ? `${set[i]}` : `${set[i]}-${set[j]}`);
    i = j + 1;
  }
  return `${set.length}/${m.g.subsectionsPerSection} (${ranges.join(',')})`;
}

function sectionRuns(m: Machine): { runs: SectionRun[]; present: number; online: number; roots: number } {
  const runs: SectionRun[] = [];
  let present = 0;
  let online = 0;
  const roots = new Set<number>();
  for (const nr of m.sections.allocatedSectionNrs()) {
    const ms = m.sections.section(nr);
    const flagsWord = m.sections.flags(ms);
    const flags = sectionFlagLetters(flagsWord);
    roots.add(Math.floor(nr / m.g.sectionsPerRoot));
    if (flags.includes('P')) present++;
    if (flags.includes('O')) online++;
    const subsections = subsectionSummary(m, nr);
    const nid = m.sections.nid(ms);
    const last = runs[runs.length - 1];
    if (
      last &&
      last.last === nr - 1 &&
      last.flags === flags &&
      last.subsections === subsections &&
      last.nid === nid
    ) {
      runs[runs.length - 1] = { ...last, last: nr };
    } else {
      runs.push({ first: nr, last: nr, flags, subsections, nid });
    }
  }
  return { runs, present, online, roots: roots.size };
}

function blockRuns(m: Machine): BlockRun[] {
  const runs: BlockRun[] = [];
  const ids = [...m.blocks.keys()].sort((a, b) => a - b);
  for (const id of ids) {
    const b = m.blocks.get(id)!;
    const zones = validZones(m, b).join(' ');
    const start = id * m.blockSize;
    const last = runs[runs.length - 1];
    if (
      last &&
      last.last === id - 1 &&
      last.state === b.state &&
      last.node === b.nid &&
      last.zones === zones
    ) {
      runs[runs.length - 1] = {
        ...last,
        last: id,
        end: hex(start + m.blockSize - 1, 16),
        size: last.size + m.blockSize,
      };
    } else {
      runs.push({
        first: id,
        last: id,
        start: hex(start, 16),
        end: hex(start + m.blockSize - 1, 16),
        size: m.blockSize,
        state: b.state,
        node: b.nid,
        zones,
      });
    }
  }
  return runs;
}

/** The geometry a layout is drawn in: the arch's constants and the boot-time memory block size. */
export function layoutGeometry(m: Machine): LayoutReport['geometry'] {
  const g = m.g;
  return {
    pageSize: g.pageSize,
    sectionSize: g.sectionSize,
    subsectionSize: g.subsectionSize,
    pagesPerSection: g.pagesPerSection,
    subsectionsPerSection: g.subsectionsPerSection,
    sectionsPerRoot: g.sectionsPerRoot,
    maxPhysmemBits: g.maxPhysmemBits,
    memoryBlockSize: m.blockSize,
  };
}

export function layoutReport(m: Machine): LayoutReport {
  const g = m.g;
  const zones: ZoneReport[] = [];
  for (const node of [...m.nodes.values()].sort((a, b) => a.nid - b.nid)) {
    for (const z of node.zones) {
      zones.push({
        node: node.nid,
        zone: z.name,
        startPfn: z.zoneStartPfn,
        spanned: z.spannedPages,
        present: z.presentPages,
      });
    }
  }
  const truth: Partial<Record<TruthState, number>> = {};
  for (const iv of m.truth.intervals())
    truth[iv.truth.state] = (truth[iv.truth.state] ?? 0) + iv.end - iv.start;
  const pgmaps = [...m.pgmaps.values()].map((p) => ({
    id: p.id,
    type: p.type,
    start: hex(p.startPfn * g.pageSize),
    end: hex(p.endPfn * g.pageSize - 1),
    node: p.nid,
    state: p.state,
    firstDevicePfn: pgmapFirstPfn(p),
    altmap: p.altmap ? { reserve: p.altmap.reserve, free: p.altmap.free } : undefined,
  }));
  return {
    arch: g.arch,
    kernel: g.kernel,
    geometry: layoutGeometry(m),
    sections: sectionRuns(m),
    blocks: blockRuns(m),
    zones,
    pgmaps,
    truth,
  };
}

/** The text rendering of a layout report. */
export function renderLayout(r: LayoutReport): string {
  const g = r.geometry;
  const out: string[] = [];
  out.push(
    `${r.arch} (kernel ${r.kernel}): ${formatSize(g.pageSize)} pages, ${formatSize(g.sectionSize)} sections of ${g.subsectionsPerSection} x ${formatSize(g.subsectionSize)} subsections, memory blocks ${formatSize(g.memoryBlockSize)}, MAX_PHYSMEM_BITS ${g.maxPhysmemBits}`,
  );
  out.push(
    '',
    `Sections: ${r.sections.present} present, ${r.sections.online} online, ${r.sections.roots} roots allocated (P present, M memmap, O online, E early, D ZONE_DEVICE taint)`,
  );
  const shown = r.sections.runs.slice(0, 40);
  out.push(
    renderTable(
      ['SECTIONS', 'FLAGS', 'SUBSECTIONS', 'NODE'],
      shown.map((s) => [
        s.first === s.last ? `${s.first}` : `${s.first}-${s.last}`,
        s.flags,
        s.subsections,
        s.nid,
      ]),
      '  ',
    ),
  );
  if (r.sections.runs.length > shown.length)
    out.push(`  ... ${r.sections.runs.length - shown.length} more runs (--json lists all)`);
  out.push('', 'Memory blocks:');
  out.push(
    renderTable(
      ['RANGE', 'SIZE', 'STATE', 'BLOCK', 'NODE', 'ZONES'],
      r.blocks.map((b) => [
        `${b.start}-${b.end}`,
        formatSizeApprox(b.size),
        b.state,
        b.first === b.last ? `${b.first}` : `${b.first}-${b.last}`,
        b.node,
        b.zones,
      ]),
      '  ',
    ),
  );
  out.push('', 'Zones:');
  out.push(
    renderTable(
      ['NODE', 'ZONE', 'START_PFN', 'SPANNED', 'PRESENT'],
      r.zones
        .filter((z) => z.spanned > 0 || z.present > 0)
        .map((z) => [z.node, z.zone, hex(z.startPfn), z.spanned, z.present]),
      '  ',
    ),
  );
  if (r.pgmaps.length) {
    out.push('', 'pgmaps (ZONE_DEVICE):');
    out.push(
      renderTable(
        ['ID', 'TYPE', 'RANGE', 'NODE', 'STATE', 'ALTMAP'],
        r.pgmaps.map((p) => [
          p.id,
          p.type,
          `${p.start}-${p.end}`,
          p.node,
          p.state,
          p.altmap ? `reserve ${p.altmap.reserve} + memmap ${p.altmap.free} pfns` : '-',
        ]),
        '  ',
      ),
    );
  }
  out.push('', 'Truth (pages by state):');
  out.push(
    renderTable(
      ['STATE', 'PAGES', 'SIZE'],
      TRUTH_STATES.filter((s) => r.truth[s]).map((s) => [
        s,
        r.truth[s]!,
        formatSizeApprox(r.truth[s]! * g.pageSize),
      ]),
      '  ',
    ),
  );
  return out.join('\n');
}

export interface PfnReport {
  readonly pfn: number;
  readonly phys: string;
  readonly section: number;
  readonly root: number;
  readonly subsection: number;
  readonly block: number;
  readonly sectionFlags: string;
  /** Why a flag is there that the scenario's kernel itself never sets, when one is. */
  readonly sectionFlagsNote?: string;
  readonly subsectionPresent: boolean;
  readonly truth: { readonly state: TruthState; readonly zone: string | null; readonly pgmap: string | null };
  /** The struct page as the memmap holds it now, or null when no memmap maps the pfn. */
  readonly page: {
    readonly flags: string;
    readonly refcount: number;
    /** The pgmap field as the struct page holds it (1-based, 0 none, -1 poison), and whose it is. */
    readonly pgmap: number;
    readonly pgmapId: string | null;
  } | null;
}

/** SECTION_TAINT_ZONE_DEVICE came with 5.12 (sectionTaintZoneDevice): before, only a design's write side sets it. */
function flagsNote(m: Machine, flags: number): string | undefined {
  if (kernelOf(m.g).sectionTaintZoneDevice || (flags & SECTION_TAINT_ZONE_DEVICE) === 0) return undefined;
  return `D set by the upstream design's write side: ${m.g.kernel} has no SECTION_TAINT_ZONE_DEVICE`;
}

export function pfnReport(m: Machine, pfn: number): PfnReport {
  const loc = m.locate(pfn);
  const ms = m.sections.section(loc.section);
  const flags = ms === NULL ? 0 : m.sections.flags(ms);
  const usage = ms === NULL ? NULL : m.sections.usage(ms);
  const t = m.truthOf(pfn);
  const page = m.memmap.read(pfn);
  return {
    pfn,
    phys: hex(loc.phys),
    section: loc.section,
    root: loc.root,
    subsection: loc.subsection,
    block: loc.block,
    sectionFlags: sectionFlagLetters(flags),
    ...(flagsNote(m, flags) ? { sectionFlagsNote: flagsNote(m, flags) } : {}),
    subsectionPresent: usage !== NULL && m.sections.testSubsection(usage, 0, loc.subsection),
    truth: { state: t.state, zone: t.zone ?? null, pgmap: t.pgmap ?? null },
    page: page
      ? {
          flags: describePageFlags(page.flags),
          refcount: page.refcount,
          pgmap: page.pgmap,
          pgmapId: page.pgmap > 0 ? (m.pgmapByNum(page.pgmap)?.id ?? null) : null,
        }
      : null,
  };
}

export function renderPfn(r: PfnReport): string {
  const t = r.truth;
  const lines = [
    `pfn ${r.pfn} (${hex(r.pfn)}), phys ${r.phys}`,
    `  section ${r.section} [${r.sectionFlags}] in root ${r.root}, subsection ${r.subsection} (${r.subsectionPresent ? 'present' : 'not present'} in subsection_map), memory block ${r.block}`,
    ...(r.sectionFlagsNote ? [`    (${r.sectionFlagsNote})`] : []),
    `  truth: ${t.state}${t.zone ? `, zone ${t.zone}` : ''}${t.pgmap ? `, pgmap ${t.pgmap}` : ''}`,
    `  struct page: ${r.page ? `flags ${r.page.flags}, refcount ${r.page.refcount}${r.page.pgmap > 0 ? `, pgmap #${r.page.pgmap}${r.page.pgmapId ? ` (${r.page.pgmapId})` : ''}` : ''}` : 'not mapped (no memmap)'}`,
  ];
  return lines.join('\n');
}
