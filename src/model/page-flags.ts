/**
 * page->flags as the model encodes it: a few page flags and page types, then
 * the zone and node links (the kernel keeps them in the upper bits of
 * page->flags; positions here are the model's own).
 *
 * PAGE_POISON_PATTERN: page_init_poison() fills struct pages with 0xff bytes, so
 * a poisoned page has flags == -1 (PagePoisoned()). Its zone bits then read as
 * 7, which is no zone at all, exactly the garbage a kernel would read.
 */

export const PG_reserved = 1 << 0;
/** PageOffline(): a page type; hot-added memory is initialized with it in 6.x. */
export const PG_offline = 1 << 1;
/** PageBuddy(): the page is free in the buddy allocator. */
export const PG_buddy = 1 << 2;

export const ZONES_SHIFT = 4;
export const ZONES_MASK = 7;
export const NODES_SHIFT = 7;
export const NODES_MASK = 63;

export const PAGE_POISON_PATTERN = -1;

/** enum zone_type on a 64-bit kernel with ZONE_DMA, ZONE_DMA32 and ZONE_DEVICE. */
export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const ZONE_MOVABLE = 3;
export const ZONE_DEVICE = 4;
export const MAX_NR_ZONES = 5;

export type ZoneId = 0 | 1 | 2 | 3 | 4;
export type ZoneName = 'DMA' | 'DMA32' | 'Normal' | 'Movable' | 'Device';

/** The names the kernel prints (zone_names[] in mm/page_alloc.c). */
export const ZONE_NAMES: readonly ZoneName[] = ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'];

export function zoneName(zone: number): ZoneName | undefined {
  return ZONE_NAMES[zone];
}

/** __init_single_page(): the flags of a freshly initialized page. */
export function initPageFlags(zone: ZoneId, nid: number): number {
  return (zone << ZONES_SHIFT) | ((nid & NODES_MASK) << NODES_SHIFT);
}

/** page_zonenum() */
export function pageZonenum(flags: number): number {
  return (flags >>> ZONES_SHIFT) & ZONES_MASK;
}

/** page_to_nid() */
export function pageToNid(flags: number): number {
  return (flags >>> NODES_SHIFT) & NODES_MASK;
}

/** PagePoisoned() */
export function pagePoisoned(flags: number): boolean {
  return flags === PAGE_POISON_PATTERN;
}

export function describePageFlags(flags: number): string {
  if (pagePoisoned(flags)) return 'poisoned';
  const names: string[] = [];
  if (flags & PG_reserved) names.push('reserved');
  if (flags & PG_offline) names.push('offline');
  if (flags & PG_buddy) names.push('buddy');
  names.push(`zone=${zoneName(pageZonenum(flags)) ?? pageZonenum(flags)}`);
  names.push(`node=${pageToNid(flags)}`);
  return names.join(',');
}
