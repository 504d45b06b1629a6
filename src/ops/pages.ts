/**
 * The struct page contents each initialization path writes, per kernel version.
 */
import type { KernelVersion } from '../arch/geometry.js';
import { resolveKernel } from '../kernel/index.js';
import type { PageValue } from '../model/memmap.js';
import { initPageFlags, PG_offline, PG_reserved, ZONE_DEVICE, type ZoneId } from '../model/page-flags.js';

/** memmap_init_range(MEMINIT_EARLY) for boot memory, before memblock_free_all(). */
export function bootPage(zone: ZoneId, nid: number): PageValue {
  return { flags: initPageFlags(zone, nid) | PG_reserved, refcount: 1, pgmap: 0 };
}

/** A page handed to the buddy allocator: __free_pages_core() cleared PG_reserved/PageOffline, refcount 0. */
export function freePage(zone: ZoneId, nid: number): PageValue {
  return { flags: initPageFlags(zone, nid), refcount: 0, pgmap: 0 };
}

/**
 * A hole inside an early section: with unavailableMemmapReserved,
 * init_unavailable_range() initializes it with the neighbouring zone and
 * PG_reserved. Before it (5.4 mm/page_alloc.c), a hole inside a zone's span
 * is pfn_valid() and memmap_init_zone() initializes it like any boot page of
 * that zone and node (refcount 1, not Reserved); a hole outside every span (at
 * or above max_pfn) is only zeroed by zero_resv_unavail() (zone 0, node 0).
 */
export function holePage(kernel: KernelVersion, zone: ZoneId, nid: number, inZoneSpan: boolean): PageValue {
  if (!resolveKernel(kernel).unavailableMemmapReserved) {
    if (!inZoneSpan) return { flags: 0, refcount: 0, pgmap: 0 };
    return { flags: initPageFlags(zone, nid), refcount: 1, pgmap: 0 };
  }
  return { flags: initPageFlags(zone, nid) | PG_reserved, refcount: 1, pgmap: 0 };
}

/** memmap_init_range(MEMINIT_HOTPLUG) for System RAM: PageOffline with hotplugMemmapPageOffline, else PG_reserved. */
export function hotplugInitPage(kernel: KernelVersion, zone: ZoneId, nid: number): PageValue {
  const mark = resolveKernel(kernel).hotplugMemmapPageOffline ? PG_offline : PG_reserved;
  return { flags: initPageFlags(zone, nid) | mark, refcount: 1, pgmap: 0 };
}

/**
 * mhp_init_memmap_on_memory(): a self-hosted vmemmap page is initialized as hot-added memory is
 * (memmap_init_range(MEMINIT_HOTPLUG)); with hotplugMemmapPageOffline it then clears PageOffline
 * (and sets PageVmemmapSelfHosted, which no pfn reader here tells apart), so nothing marks it.
 */
export function selfHostedVmemmapPage(kernel: KernelVersion, zone: ZoneId, nid: number): PageValue {
  if (resolveKernel(kernel).hotplugMemmapPageOffline)
    return { flags: initPageFlags(zone, nid), refcount: 1, pgmap: 0 };
  return hotplugInitPage(kernel, zone, nid);
}

/** __offline_isolated_pages(): before offlinedPagesNotReserved every page gets PG_reserved; after, it is left as it is. */
export function offlinedPage(kernel: KernelVersion, old: PageValue): PageValue {
  if (!resolveKernel(kernel).offlinedPagesNotReserved) return { ...old, flags: old.flags | PG_reserved };
  return old;
}

/** ZONE_DEVICE altmap pages that hold the memmap: initialized Reserved, no pgmap. */
export function altmapPage(nid: number): PageValue {
  return { flags: initPageFlags(ZONE_DEVICE, nid) | PG_reserved, refcount: 1, pgmap: 0 };
}

/** __init_zone_device_page(): Reserved, pgmap set; with zoneDeviceRefcountZero refcount 0 except MEMORY_DEVICE_GENERIC. */
export function devicePage(
  kernel: KernelVersion,
  nid: number,
  pgmapNum: number,
  generic: boolean,
): PageValue {
  const refcount = !resolveKernel(kernel).zoneDeviceRefcountZero || generic ? 1 : 0;
  return { flags: initPageFlags(ZONE_DEVICE, nid) | PG_reserved, refcount, pgmap: pgmapNum };
}
