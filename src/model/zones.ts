/**
 * Nodes (pglist_data) and their zones: spans that grow in
 * move_pfn_range_to_zone() and shrink in remove_pfn_range_from_zone(), present
 * pages adjusted by adjust_present_page_count().
 */
import { MAX_NR_ZONES, ZONE_DEVICE, ZONE_NAMES, type ZoneId, type ZoneName } from './page-flags.js';

export interface Zone {
  readonly id: ZoneId;
  readonly name: ZoneName;
  readonly nid: number;
  zoneStartPfn: number;
  spannedPages: number;
  presentPages: number;
  /** Pages present since boot (present_early_pages). */
  presentEarlyPages: number;
}

export interface Pgdat {
  readonly nid: number;
  nodeStartPfn: number;
  nodeSpannedPages: number;
  nodePresentPages: number;
  readonly zones: Zone[];
}

export function newPgdat(nid: number): Pgdat {
  const zones: Zone[] = [];
  for (let id = 0; id < MAX_NR_ZONES; id++) {
    zones.push({
      id: id as ZoneId,
      name: ZONE_NAMES[id],
      nid,
      zoneStartPfn: 0,
      spannedPages: 0,
      presentPages: 0,
      presentEarlyPages: 0,
    });
  }
  return { nid, nodeStartPfn: 0, nodeSpannedPages: 0, nodePresentPages: 0, zones };
}

export function clonePgdat(p: Pgdat): Pgdat {
  return { ...p, zones: p.zones.map((z) => ({ ...z })) };
}

/** zone_end_pfn() */
export function zoneEndPfn(z: Zone): number {
  return z.zoneStartPfn + z.spannedPages;
}

/** zone_is_empty() */
export function zoneIsEmpty(z: Zone): boolean {
  return z.spannedPages === 0;
}

/** populated_zone() */
export function populatedZone(z: Zone): boolean {
  return z.presentPages > 0;
}

/** zone_intersects() */
export function zoneIntersects(z: Zone, startPfn: number, nrPages: number): boolean {
  if (zoneIsEmpty(z)) return false;
  return !(startPfn >= zoneEndPfn(z) || startPfn + nrPages <= z.zoneStartPfn);
}

/** resize_zone_range() */
export function resizeZoneRange(z: Zone, startPfn: number, nrPages: number): void {
  const oldEnd = zoneEndPfn(z);
  if (zoneIsEmpty(z) || startPfn < z.zoneStartPfn) z.zoneStartPfn = startPfn;
  z.spannedPages = Math.max(startPfn + nrPages, oldEnd) - z.zoneStartPfn;
}

/** resize_pgdat_range() */
export function resizePgdatRange(p: Pgdat, startPfn: number, nrPages: number): void {
  const oldEnd = p.nodeStartPfn + p.nodeSpannedPages;
  if (p.nodeSpannedPages === 0 || startPfn < p.nodeStartPfn) p.nodeStartPfn = startPfn;
  p.nodeSpannedPages = Math.max(startPfn + nrPages, oldEnd) - p.nodeStartPfn;
}

/** update_pgdat_span(): the node spans what its zones span. */
export function updatePgdatSpan(p: Pgdat): void {
  let start = 0;
  let end = 0;
  for (const z of p.zones) {
    if (!z.spannedPages) continue;
    if (!end) {
      start = z.zoneStartPfn;
      end = zoneEndPfn(z);
      continue;
    }
    end = Math.max(end, zoneEndPfn(z));
    start = Math.min(start, z.zoneStartPfn);
  }
  p.nodeStartPfn = start;
  p.nodeSpannedPages = end - start;
}

export function isDeviceZone(z: Zone): boolean {
  return z.id === ZONE_DEVICE;
}
