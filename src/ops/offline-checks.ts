/**
 * What offlining a memory block checks before it changes anything, per release: the block's
 * single zone (mem->zone since memoryBlockZone, test_pages_in_a_zone()'s memmap walk before),
 * memory holes (offlineRefusesHoles), and in 5.4 the isolation of every page, holes included
 * (start_isolate_page_range() -> has_unmovable_pages()). Each refusal throws the errno the
 * kernel returns; valid_zones of an online block asks the same zone question.
 */
import { kernelOf } from '../kernel/index.js';
import type { MemoryBlock } from '../model/blocks.js';
import type { Machine } from '../model/machine.js';
import {
  PG_reserved,
  pageToNid,
  pageZonenum,
  ZONE_MOVABLE,
  ZONE_NAMES,
  type ZoneId,
} from '../model/page-flags.js';
import { regionIntersects, systemRamPfnRanges } from '../model/resources.js';
import { presentSection } from '../model/sections.js';
import { zoneEndPfn } from '../model/zones.js';
import { hex, memRange } from '../units.js';
import { refuse } from './checks.js';

/** A zone as page_zone() names it: node and zone index. */
export interface ZoneOf {
  readonly nid: number;
  readonly zone: ZoneId;
}

/** page_zone() of pfn's struct page, or undefined when no memmap maps it. */
function pageZoneOf(m: Machine, pfn: number): ZoneOf | undefined {
  const page = m.memmap.read(pfn);
  if (!page) return undefined;
  return { nid: pageToNid(page.flags), zone: pageZonenum(page.flags) as ZoneId };
}

/** zone_spans_pfn(); a garbage page_zone() (poison, a node that does not exist) spans nothing. */
function zoneSpansPfn(m: Machine, z: ZoneOf, pfn: number): boolean {
  const zone = m.nodes.get(z.nid)?.zones[z.zone];
  return zone !== undefined && zone.zoneStartPfn <= pfn && pfn < zoneEndPfn(zone);
}

/**
 * 5.4 mm/memory_hotplug.c test_pages_in_a_zone(): over the present sections of [startPfn, endPfn),
 * the first pfn of every MAX_ORDER_NR_PAGES chunk (x86 has no HOLES_IN_ZONE, so the first is
 * always the one tested) must lie in the span of the zone of the first chunk and name that zone
 * in its struct page. Returns that zone, or undefined (the caller's "multizone range").
 */
export function testPagesInAZone(m: Machine, startPfn: number, endPfn: number): ZoneOf | undefined {
  const chunk = 2 ** m.g.maxPageOrder;
  let found: ZoneOf | undefined;
  for (let pfn = startPfn; pfn < endPfn; pfn += chunk) {
    const ms = m.sections.section(Math.floor(pfn / m.g.pagesPerSection));
    if (!ms || !presentSection(m.mem.words, ms)) continue;
    if (found && !zoneSpansPfn(m, found, pfn)) return undefined;
    const z = pageZoneOf(m, pfn);
    if (!z) return undefined;
    if (found && (z.nid !== found.nid || z.zone !== found.zone)) return undefined;
    // The first chunk's zone is taken as it is; the model can only offline from a zone it has.
    if (!found && !m.nodes.get(z.nid)?.zones[z.zone]) return undefined;
    found ??= z;
  }
  return found;
}

/**
 * The zone an online block is offlined from and valid_zones prints: mem->zone since
 * memoryBlockZone (drivers/base/memory.c memory_block_offline(), valid_zones_show()); before it,
 * test_pages_in_a_zone() over the block.
 */
export function onlineBlockZone(m: Machine, b: MemoryBlock): ZoneOf | undefined {
  if (kernelOf(m.g).memoryBlockZone) return b.zone === null ? undefined : { nid: b.nid, zone: b.zone };
  const startPfn = b.startSectionNr * m.g.pagesPerSection;
  return testPagesInAZone(m, startPfn, startPfn + m.pagesPerBlock());
}

/**
 * 5.4 mm/page_alloc.c has_unmovable_pages() as start_isolate_page_range() asks it for offlining:
 * the first pfn of [startPfn, endPfn) whose page is Reserved, or, outside ZONE_MOVABLE, has a
 * reference and is no LRU page (the model has no LRU pages: online pages it hands out are free);
 * -1 when every page can be isolated.
 */
export function firstUnmovablePfn(m: Machine, zone: ZoneId, startPfn: number, endPfn: number): number {
  for (const run of m.memmap.runs(startPfn, endPfn)) {
    const page = run.page;
    if (!page) continue;
    if (page.flags & PG_reserved) return run.start;
    if (zone === ZONE_MOVABLE) continue;
    if (page.refcount !== 0) return run.start;
  }
  return -1;
}

/** One refusal __offline_pages() / memory_block_offline() can give for block b. */
type OfflineCheck = (m: Machine, b: MemoryBlock) => void;

const op = 'offline';

function blockRange(m: Machine, b: MemoryBlock): { start: number; end: number } {
  const start = b.startSectionNr * m.g.sectionSize;
  return { start, end: start + m.blockSize };
}

/** drivers/base/memory.c memory_block_offline() since memoryBlockZone: no single zone, -EINVAL. */
const singleZone: OfflineCheck = (_m, b) => {
  if (b.zone === null)
    refuse('EINVAL', op, `memory${b.id} spans several zones or nodes and cannot be offlined`, b.id);
};

/**
 * 5.4 __offline_pages(): test_pages_in_a_zone() failed, -EINVAL ("multizone range"). It tests one
 * pfn per MAX_ORDER_NR_PAGES, so a block whose RAM changes node or zone between two tested pfns
 * (arm64 64K: 512 MiB apart) passes, and 5.4 would offline those pages from the wrong zone and
 * corrupt its counters; the model refuses that case as well, saying so.
 */
const pagesInAZone: OfflineCheck = (m, b) => {
  const z = onlineBlockZone(m, b);
  if (!z)
    refuse(
      'EINVAL',
      op,
      `memory${b.id}: test_pages_in_a_zone() failed (its pages span several zones or leave their zone's span)`,
      b.id,
    );
  const { start, end } = blockRange(m, b);
  const ps = m.g.pageSize;
  for (const r of systemRamPfnRanges(m.resources, ps, start / ps, end / ps)) {
    for (const run of m.memmap.runs(r.start, r.end)) {
      const flags = run.page?.flags ?? 0;
      if (pageToNid(flags) !== z.nid || pageZonenum(flags) !== z.zone)
        refuse(
          'EINVAL',
          op,
          `memory${b.id}: pfn ${hex(run.start)} is not in node ${z.nid} ${ZONE_NAMES[z.zone]}, between the pfns test_pages_in_a_zone() tests; 5.4 would offline it from the wrong zone (not modelled)`,
          run.start,
        );
    }
  }
};

/** __offline_pages() since offlineRefusesHoles: not all System RAM, -EINVAL ("memory holes"). */
const noHoles: OfflineCheck = (m, b) => {
  const { start, end } = blockRange(m, b);
  if (regionIntersects(m.resources, start, end, 'system-ram') !== 'intersects')
    refuse('EINVAL', op, `memory${b.id} ${memRange(start, end)} has memory holes`, b.id);
};

/** 5.4 __offline_pages(): start_isolate_page_range() fails on an unmovable page, -EBUSY. */
const isolatable: OfflineCheck = (m, b) => {
  const { start, end } = blockRange(m, b);
  const z = onlineBlockZone(m, b)!;
  const pfn = firstUnmovablePfn(m, z.zone, start / m.g.pageSize, end / m.g.pageSize);
  if (pfn >= 0)
    refuse(
      'EBUSY',
      op,
      `memory${b.id}: failure to isolate range (pfn ${hex(pfn)} is unmovable: Reserved, or referenced in a kernel zone)`,
      pfn,
    );
};

/**
 * The checks in the kernel's order, chosen once per release: 5.18+ memory_block_offline() tests
 * mem->zone before offline_pages() tests for holes; 5.5-5.17 __offline_pages() tests holes, then
 * test_pages_in_a_zone(); 5.4 runs test_pages_in_a_zone(), then isolates holes and all.
 */
export function offlineChecks(m: Machine): readonly OfflineCheck[] {
  const k = kernelOf(m.g);
  if (k.memoryBlockZone) return [singleZone, noHoles];
  if (k.offlineRefusesHoles) return [noHoles, pagesInAZone];
  return [pagesInAZone, isolatable];
}
