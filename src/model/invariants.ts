/**
 * Invariants that hold between operations (not inside one: an operation in
 * flight is allowed to have, say, cleared a subsection bit before freeing the
 * memmap). Tests check them after every operation; each violation is a sentence.
 */

import { kernelOf } from '../kernel/index.js';
import {
  SECTION_HAS_MEM_MAP,
  SECTION_IS_EARLY,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
} from './layout.js';
import type { Machine } from './machine.js';
import { NULL } from './memory.js';
import { pagePoisoned, pageZonenum, ZONE_DEVICE, ZONE_NAMES } from './page-flags.js';
import type { TruthState } from './truth.js';
import { type Zone, zoneEndPfn } from './zones.js';

/** Truth states of pfns whose subsection is populated (its subsection_map bit is set). */
const POPULATED: ReadonlySet<TruthState> = new Set([
  'online',
  'offline',
  'uninitialized',
  'device',
  'driver-reserved',
  'vmemmap',
]);

/**
 * 5.4's shrink_zone_span() probes one pfn per subsection (find_smallest_section_pfn from a
 * subsection's first pfn, find_biggest_section_pfn from its last) and skips a probe whose
 * page_zone()/pfn_to_nid() differ; zero_resv_unavail() left the struct pages of boot holes as
 * zone 0, node 0. So when the probe of a boot subsection that is only partly RAM lands on a hole,
 * the kernel moves the zone's end (or start) past online pages of that subsection: those pages
 * then lie outside the span, as they do in 5.4 itself. Only such pages are tolerated.
 */
function shrunkPastHole54(m: Machine, start: number, end: number, zone: Zone): boolean {
  if (kernelOf(m.g).unavailableMemmapReserved || zone.id === ZONE_DEVICE) return false;
  const sub = m.g.pagesPerSubsection;
  const outside = [
    [start, Math.min(end, zone.zoneStartPfn)],
    [Math.max(start, zoneEndPfn(zone)), end],
  ];
  for (const [s, e] of outside) {
    for (let first = Math.floor(s / sub) * sub; first < e; first += sub) {
      const probes = [first, first + sub - 1];
      if (!probes.some((pfn) => m.truth.get(pfn).state === 'hole')) return false;
    }
  }
  return true;
}

function checkZones(m: Machine, out: string[]): void {
  const present = new Map<string, number>();
  for (const iv of m.truth.intervals()) {
    const t = iv.truth;
    // Self-hosted vmemmap pages join their block's zone while it is online (mhp_init_memmap_on_memory()).
    const zoned = t.state === 'vmemmap' && t.zone !== undefined;
    if (t.state !== 'online' && t.state !== 'device' && t.state !== 'driver-reserved' && !zoned) continue;
    const zoneId = ZONE_NAMES.indexOf(t.zone!);
    const zone = m.node(t.nid ?? 0).zones[zoneId];
    if (
      (iv.start < zone.zoneStartPfn || iv.end > zoneEndPfn(zone)) &&
      !shrunkPastHole54(m, iv.start, iv.end, zone)
    ) {
      out.push(
        `${t.state} pfns ${iv.start}-${iv.end - 1} lie outside node ${t.nid} zone ${t.zone} span ${zone.zoneStartPfn}+${zone.spannedPages}`,
      );
    }
    // memory_block_online() counts the vmemmap pages present (adjust_present_page_count()).
    if (t.state === 'online' || zoned) {
      const key = `${t.nid}/${zoneId}`;
      present.set(key, (present.get(key) ?? 0) + iv.end - iv.start);
    }
  }
  for (const node of m.nodes.values()) {
    let sum = 0;
    for (const z of node.zones) {
      const want = present.get(`${node.nid}/${z.id}`) ?? 0;
      if (z.presentPages !== want)
        out.push(
          `node ${node.nid} zone ${z.name} present_pages ${z.presentPages}, but ${want} pages are online (or self-hosted vmemmap) in it`,
        );
      if (z.id === ZONE_DEVICE && z.presentPages !== 0)
        out.push(`node ${node.nid} ZONE_DEVICE has present pages`);
      sum += z.presentPages;
      if (
        z.spannedPages &&
        (z.zoneStartPfn < node.nodeStartPfn || zoneEndPfn(z) > node.nodeStartPfn + node.nodeSpannedPages)
      ) {
        out.push(`node ${node.nid} span does not cover zone ${z.name}`);
      }
    }
    if (sum !== node.nodePresentPages)
      out.push(`node ${node.nid} present ${node.nodePresentPages} != sum of its zones ${sum}`);
  }
}

function checkSections(m: Machine, out: string[]): void {
  const g = m.g;
  for (const nr of m.sections.allocatedSectionNrs()) {
    const ms = m.sections.section(nr);
    const flags = m.sections.flags(ms);
    const usage = m.sections.usage(ms);
    const base = nr * g.pagesPerSection;
    const early = (flags & SECTION_IS_EARLY) !== 0;
    let any = false;
    for (let i = 0; i < g.subsectionsPerSection; i++) {
      const s = base + i * g.pagesPerSubsection;
      const populated = m.truth.slice(s, s + g.pagesPerSubsection).some((p) => POPULATED.has(p.truth.state));
      const bit = usage !== NULL && m.sections.testSubsection(usage, 0, i);
      any ||= bit;
      if (bit !== populated)
        out.push(
          `section ${nr} subsection ${i}: subsection_map bit ${bit ? 'set' : 'clear'} but the subsection is ${populated ? '' : 'not '}populated`,
        );
      const mapped = m.memmap.isMapped(ms, i);
      if (!early && mapped !== bit)
        out.push(
          `section ${nr} subsection ${i}: memmap ${mapped ? 'mapped' : 'unmapped'} but subsection_map bit ${bit ? 'set' : 'clear'}`,
        );
      // Before earlyMemmapNeverPartlyFreed, section_deactivate() freed the boot memmap of a removed subsection.
      if (early && !mapped && (bit || kernelOf(g).earlyMemmapNeverPartlyFreed))
        out.push(`early section ${nr} subsection ${i}: boot memmap unmapped`);
    }
    const present = (flags & SECTION_MARKED_PRESENT) !== 0;
    const valid = (flags & SECTION_HAS_MEM_MAP) !== 0;
    if (present !== (any || early))
      out.push(`section ${nr}: present=${present} but subsection_map ${any ? 'has' : 'has no'} bits`);
    if (valid !== present) out.push(`section ${nr}: SECTION_HAS_MEM_MAP=${valid} but present=${present}`);
  }
}

/** Does section nr hold System RAM (populated pfns that are not ZONE_DEVICE)? */
function holdsSystemRam(m: Machine, nr: number): boolean {
  const start = nr * m.g.pagesPerSection;
  return m.truth
    .slice(start, start + m.g.pagesPerSection)
    .some(
      (p) => p.truth.state === 'online' || p.truth.state === 'offline' || p.truth.state === 'uninitialized',
    );
}

function checkBlocks(m: Machine, out: string[]): void {
  for (const b of m.blocks.values()) {
    for (let nr = b.startSectionNr; nr < b.startSectionNr + m.sectionsPerBlock; nr++) {
      const ms = m.sections.section(nr);
      const flags = ms === NULL ? 0 : m.sections.flags(ms);
      const online = (flags & SECTION_IS_ONLINE) !== 0;
      if ((flags & SECTION_MARKED_PRESENT) === 0) continue;
      // A section of an online block that holds only ZONE_DEVICE memory (memremap'ed into a block
      // larger than a section) is never ONLINE: online_mem_sections() is not called for it.
      if (b.state === 'online' && !online && (flags & SECTION_IS_EARLY || holdsSystemRam(m, nr)))
        out.push(`memory${b.id} is online but section ${nr} is not ONLINE`);
      if (b.state === 'offline' && online) out.push(`memory${b.id} is offline but section ${nr} is ONLINE`);
    }
  }
  for (const nr of m.sections.presentSectionNrs()) {
    const id = Math.floor(nr / m.sectionsPerBlock);
    const b = m.blocks.get(id);
    const flags = m.sections.flags(m.sections.section(nr));
    if (flags & SECTION_IS_ONLINE && b?.state !== 'online')
      out.push(`section ${nr} is ONLINE outside an online memory block`);
  }
}

function checkPages(m: Machine, out: string[]): void {
  for (const iv of m.truth.intervals()) {
    const t = iv.truth;
    if (t.state !== 'online' && t.state !== 'device') continue;
    for (const run of m.memmap.runs(iv.start, iv.end)) {
      if (!run.page) {
        out.push(`${t.state} pfns ${run.start}-${run.end - 1} have no memmap`);
      } else if (pagePoisoned(run.page.flags)) {
        out.push(`${t.state} pfns ${run.start}-${run.end - 1} have a poisoned memmap`);
      } else if (ZONE_NAMES[pageZonenum(run.page.flags)] !== t.zone) {
        out.push(
          `${t.state} pfns ${run.start}-${run.end - 1} say zone ${pageZonenum(run.page.flags)}, truth ${t.zone}`,
        );
      } else if (t.state === 'device' && m.pgmapByNum(run.page.pgmap)?.id !== t.pgmap) {
        out.push(
          `device pfns ${run.start}-${run.end - 1} point at pgmap ${run.page.pgmap}, truth ${t.pgmap}`,
        );
      }
    }
  }
}

export function checkInvariants(m: Machine): string[] {
  const out: string[] = [];
  checkZones(m, out);
  checkSections(m, out);
  checkBlocks(m, out);
  checkPages(m, out);
  return out;
}
