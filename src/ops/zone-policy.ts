/**
 * Which zone memory goes to, and how zone spans shrink
 * (mm/memory_hotplug.c: zone_for_pfn_range, default_kernel_zone_for_pfn,
 * default_zone_for_pfn, shrink_zone_span, find_smallest/biggest_section_pfn;
 * drivers/base/memory.c: valid_zones_show).
 */

import { kernelOf } from '../kernel/index.js';
import type { MemoryBlock } from '../model/blocks.js';
import { pfnToOnlinePage54, pfnToOnlinePage619 } from '../model/lookup.js';
import type { Machine } from '../model/machine.js';
import {
  pageToNid,
  pageZonenum,
  ZONE_MOVABLE,
  ZONE_NAMES,
  ZONE_NORMAL,
  type ZoneId,
} from '../model/page-flags.js';
import { type Zone, zoneEndPfn, zoneIntersects } from '../model/zones.js';
import { onlineBlockZone } from './offline-checks.js';

/** What a write to memoryN/state asks for (MMOP_*). */
export type OnlineType = 'online' | 'online_kernel' | 'online_movable';

/** default_kernel_zone_for_pfn(): the first kernel zone the range intersects, else ZONE_NORMAL. */
export function defaultKernelZoneForPfn(m: Machine, nid: number, startPfn: number, nrPages: number): ZoneId {
  const zones = m.node(nid).zones;
  for (let zid = 0; zid < ZONE_NORMAL; zid++) {
    if (zoneIntersects(zones[zid], startPfn, nrPages)) return zid as ZoneId;
  }
  return ZONE_NORMAL;
}

/**
 * default_zone_for_pfn(): inherit the zone the range already intersects when
 * that is unambiguous; otherwise a kernel zone (movable_node is not modelled).
 */
export function defaultZoneForPfn(m: Machine, nid: number, startPfn: number, nrPages: number): ZoneId {
  const kernelZone = defaultKernelZoneForPfn(m, nid, startPfn, nrPages);
  const zones = m.node(nid).zones;
  const inKernel = zoneIntersects(zones[kernelZone], startPfn, nrPages);
  const inMovable = zoneIntersects(zones[ZONE_MOVABLE], startPfn, nrPages);
  if (inKernel !== inMovable) return inKernel ? kernelZone : ZONE_MOVABLE;
  return kernelZone;
}

/** zone_for_pfn_range(): the type asked for, else the machine's online_policy decides. */
export function zoneForPfnRange(
  m: Machine,
  type: OnlineType,
  nid: number,
  startPfn: number,
  nrPages: number,
): ZoneId {
  if (type === 'online_kernel') return defaultKernelZoneForPfn(m, nid, startPfn, nrPages);
  if (type === 'online_movable') return ZONE_MOVABLE;
  if (m.hotplug.onlinePolicy === 'auto-movable') return autoMovableZoneForPfn(m, nid, startPfn, nrPages);
  return defaultZoneForPfn(m, nid, startPfn, nrPages);
}

/**
 * auto_movable_can_online_movable() (mm/memory_hotplug.c, 5.15): would nrPages more in ZONE_MOVABLE
 * keep MOVABLE pages within auto_movable_ratio percent of the early kernel pages - over every
 * populated zone (nid undefined) or one node's. Memory groups are not modelled (each request is
 * its own unit).
 */
function autoMovableCanOnlineMovable(m: Machine, nid: number | undefined, nrPages: number): boolean {
  let kernelEarly = 0;
  let movable = 0;
  for (const [n, node] of m.nodes) {
    if (nid !== undefined && n !== nid) continue;
    for (const z of node.zones) {
      if (z.presentPages === 0) continue;
      if (z.id === ZONE_MOVABLE) movable += z.presentPages;
      else kernelEarly += z.presentEarlyPages;
    }
  }
  return movable + nrPages <= Math.floor((m.hotplug.autoMovableRatio * kernelEarly) / 100);
}

/** auto_movable_zone_for_pfn(): ZONE_MOVABLE while the ratio allows (system-wide and per node), else a kernel zone. */
function autoMovableZoneForPfn(m: Machine, nid: number, startPfn: number, nrPages: number): ZoneId {
  const ok =
    m.hotplug.autoMovableRatio > 0 &&
    autoMovableCanOnlineMovable(m, undefined, nrPages) &&
    autoMovableCanOnlineMovable(m, nid, nrPages);
  return ok ? ZONE_MOVABLE : defaultKernelZoneForPfn(m, nid, startPfn, nrPages);
}

/**
 * valid_zones_show(): the one zone of an online block ('none' when it has none: no mem->zone, or
 * before memoryBlockZone a failed test_pages_in_a_zone()), or the default first and then the
 * alternatives.
 */
export function validZones(m: Machine, b: MemoryBlock): string[] {
  if (b.state === 'online') {
    const z = onlineBlockZone(m, b);
    return [z === undefined ? 'none' : ZONE_NAMES[z.zone]];
  }
  const start = b.startSectionNr * m.g.pagesPerSection;
  const nr = m.pagesPerBlock();
  const def = zoneForPfnRange(m, 'online', b.nid, start, nr);
  const out = [ZONE_NAMES[def]];
  for (const t of ['online_kernel', 'online_movable'] as const) {
    const z = zoneForPfnRange(m, t, b.nid, start, nr);
    if (z !== def) out.push(ZONE_NAMES[z]);
  }
  return out;
}

/** Does pfn still count for zone's span: an online page of this node and zone? */
function pfnInZone(m: Machine, zone: Zone, pfn: number): boolean {
  const lookup = kernelOf(m.g).pfnToOnlinePageSubsection ? pfnToOnlinePage619 : pfnToOnlinePage54;
  if (lookup(m.mem.words, m.g, pfn) < 0) return false;
  const page = m.memmap.read(pfn);
  if (!page) return false;
  return pageToNid(page.flags) === zone.nid && pageZonenum(page.flags) === zone.id;
}

/** find_smallest_section_pfn(): step by subsection; 0 when none. */
function findSmallestSectionPfn(m: Machine, zone: Zone, start: number, end: number): number {
  for (let pfn = start; pfn < end; pfn += m.g.pagesPerSubsection) if (pfnInZone(m, zone, pfn)) return pfn;
  return 0;
}

/** find_biggest_section_pfn(): from end-1 downward by subsection; 0 when none. */
function findBiggestSectionPfn(m: Machine, zone: Zone, start: number, end: number): number {
  for (let pfn = end - 1; pfn >= start; pfn -= m.g.pagesPerSubsection)
    if (pfnInZone(m, zone, pfn)) return pfn;
  return 0;
}

/**
 * The tail of 5.4's shrink_zone_span(): walk the zone's old span by
 * subsection for an online pfn of this zone outside [startPfn, endPfn). A
 * section that is not ONLINE has none (5.4's pfn_to_online_page() reads only
 * the section bit), so it is skipped whole.
 */
function zoneKeepsOnlinePfn54(
  m: Machine,
  zone: Zone,
  zoneStart: number,
  zoneEnd: number,
  startPfn: number,
  endPfn: number,
): boolean {
  const sub = m.g.pagesPerSubsection;
  for (let pfn = zoneStart; pfn < zoneEnd; ) {
    if (pfnToOnlinePage54(m.mem.words, m.g, pfn) < 0) {
      const next = (Math.floor(pfn / m.g.pagesPerSection) + 1) * m.g.pagesPerSection;
      pfn += Math.ceil((next - pfn) / sub) * sub;
      continue;
    }
    if ((pfn < startPfn || pfn >= endPfn) && pfnInZone(m, zone, pfn)) return true;
    pfn += sub;
  }
  return false;
}

/**
 * shrink_zone_span() before shrinkZoneSpanNoHoleScan: it moves an end only
 * when it finds a pfn, then scans the whole old span and empties a zone left
 * with only holes, even after a removal from the middle.
 */
function shrinkZoneSpanHoleScan(m: Machine, zone: Zone, startPfn: number, endPfn: number): void {
  {
    const zoneStart = zone.zoneStartPfn;
    const zoneEnd = zoneEndPfn(zone);
    if (zoneStart === startPfn) {
      const pfn = findSmallestSectionPfn(m, zone, endPfn, zoneEnd);
      if (pfn) {
        zone.zoneStartPfn = pfn;
        zone.spannedPages = zoneEnd - pfn;
      }
    } else if (zoneEnd === endPfn) {
      const pfn = findBiggestSectionPfn(m, zone, zoneStart, startPfn);
      if (pfn) zone.spannedPages = pfn - zoneStart + 1;
    }
    if (!zoneKeepsOnlinePfn54(m, zone, zoneStart, zoneEnd, startPfn, endPfn)) {
      zone.zoneStartPfn = 0;
      zone.spannedPages = 0;
    }
  }
}

/**
 * shrink_zone_span(): only an end of the span can move; a hole in the middle
 * leaves the span as it is; an end with no pfn of the zone left empties it.
 */
export function shrinkZoneSpan(m: Machine, zone: Zone, startPfn: number, endPfn: number): void {
  if (!kernelOf(m.g).shrinkZoneSpanNoHoleScan) {
    shrinkZoneSpanHoleScan(m, zone, startPfn, endPfn);
    return;
  }
  if (zone.zoneStartPfn === startPfn) {
    const pfn = findSmallestSectionPfn(m, zone, endPfn, zoneEndPfn(zone));
    if (pfn) {
      zone.spannedPages = zoneEndPfn(zone) - pfn;
      zone.zoneStartPfn = pfn;
    } else {
      zone.zoneStartPfn = 0;
      zone.spannedPages = 0;
    }
  } else if (zoneEndPfn(zone) === endPfn) {
    const pfn = findBiggestSectionPfn(m, zone, zone.zoneStartPfn, startPfn);
    if (pfn) {
      zone.spannedPages = pfn - zone.zoneStartPfn + 1;
    } else {
      zone.zoneStartPfn = 0;
      zone.spannedPages = 0;
    }
  }
}
