/**
 * /proc/zoneinfo for the model, as zoneinfo_show_print() (mm/vmstat.c)
 * prints it: every zone of every node, unpopulated ones stopping after
 * "protection:"; per-node stats under the node's first populated zone; the
 * 6.x field set (boost, promo, cma, high_min/high_max, reserved_highatomic) or
 * the 5.4 one, following the geometry's kernel.
 *
 * What the model does not track is filled in as the kernel would compute it
 * for a machine that has allocated nothing: managed = present and every
 * managed page free; watermarks from min_free_kbytes = sqrt(lowmem_kbytes *
 * 16) (__setup_per_zone_wmarks(), init_per_zone_wmark_min(), lowmem
 * approximated by managed pages); protection from sysctl_lowmem_reserve_ratio
 * (setup_per_zone_lowmem_reserve()); counters 0; one CPU's pageset.
 */

import { kernelOf } from '../../kernel/index.js';
import type { Machine } from '../../model/machine.js';
import { MAX_NR_ZONES, ZONE_DEVICE, ZONE_MOVABLE, ZONE_NORMAL } from '../../model/page-flags.js';
import { type Pgdat, populatedZone, type Zone } from '../../model/zones.js';

/** sysctl_lowmem_reserve_ratio[]: DMA 256, DMA32 256, Normal 32, Movable 0 (Device: none). */
const LOWMEM_RESERVE_RATIO = [256, 256, 32, 0, 0];

/** A few of enum node_stat_item's names: the counters the model does not keep, printed as 0. */
const NODE_STATS = [
  'nr_inactive_anon',
  'nr_active_anon',
  'nr_inactive_file',
  'nr_active_file',
  'nr_unevictable',
  'nr_slab_reclaimable',
  'nr_slab_unreclaimable',
  'nr_isolated_anon',
  'nr_isolated_file',
  'nr_anon_pages',
  'nr_mapped',
  'nr_file_pages',
  'nr_dirty',
  'nr_writeback',
  'nr_shmem',
  'nr_kernel_stack',
  'nr_page_table_pages',
];
const ZONE_STATS = [
  'nr_zone_inactive_anon',
  'nr_zone_active_anon',
  'nr_zone_inactive_file',
  'nr_zone_active_file',
  'nr_zone_unevictable',
  'nr_zone_write_pending',
  'nr_mlock',
  'nr_free_cma',
];
const NUMA_STATS = ['numa_hit', 'numa_miss', 'numa_foreign', 'numa_interleave', 'numa_local', 'numa_other'];

interface Watermarks {
  readonly min: number;
  readonly low: number;
  readonly high: number;
  readonly promo: number;
}

/** managed_pages: present pages the buddy got; memmap_on_memory's vmemmap pages are present, never managed. */
type Managed = (z: Zone) => number;

function managedPages(m: Machine): Managed {
  const vmemmap = new Map<string, number>();
  for (const iv of m.truth.intervals()) {
    const t = iv.truth;
    if (t.state !== 'vmemmap' || t.zone === undefined) continue;
    const key = `${t.nid}/${t.zone}`;
    vmemmap.set(key, (vmemmap.get(key) ?? 0) + iv.end - iv.start);
  }
  return (z) => z.presentPages - (vmemmap.get(`${z.nid}/${z.name}`) ?? 0);
}

function isLowmem(z: Zone): boolean {
  return z.id <= ZONE_NORMAL;
}

/** init_per_zone_wmark_min() then __setup_per_zone_wmarks(), for every zone of the machine. */
function watermarks(m: Machine, managed: Managed): Map<Zone, Watermarks> {
  const zones = [...m.nodes.values()].flatMap((p) => p.zones);
  const lowmemPages = zones.filter(isLowmem).reduce((s, z) => s + managed(z), 0);
  const lowmemKbytes = lowmemPages * (m.g.pageSize / 1024);
  const maxKbytes = kernelOf(m.g).minFreeKbytesCap256M ? 262144 : 65536;
  const minFreeKbytes = Math.min(maxKbytes, Math.max(128, Math.floor(Math.sqrt(lowmemKbytes * 16))));
  const pagesMin = Math.floor(minFreeKbytes / (m.g.pageSize / 1024));
  const out = new Map<Zone, Watermarks>();
  for (const z of zones) {
    const share = lowmemPages ? Math.floor((pagesMin * managed(z)) / lowmemPages) : 0;
    const min = z.id === ZONE_MOVABLE ? Math.min(128, Math.max(32, Math.floor(managed(z) / 1024))) : share;
    const gap = Math.max(Math.floor(share / 4), Math.floor((managed(z) * 10) / 10000));
    out.set(z, { min, low: min + gap, high: min + 2 * gap, promo: min + 3 * gap });
  }
  return out;
}

/** setup_per_zone_lowmem_reserve() */
function protection(p: Pgdat, zone: Zone, managed: Managed): number[] {
  const out = new Array<number>(MAX_NR_ZONES).fill(0);
  const ratio = LOWMEM_RESERVE_RATIO[zone.id];
  if (!ratio || !managed(zone)) return out;
  let pages = 0;
  for (let j = zone.id + 1; j < MAX_NR_ZONES; j++) {
    pages += managed(p.zones[j]);
    out[j] = Math.floor(pages / ratio);
  }
  return out;
}

function stat(name: string, value: number): string {
  return `\n      ${name.padEnd(12)} ${value}`;
}

function isFirstPopulated(p: Pgdat, zone: Zone): boolean {
  return p.zones.find(populatedZone) === zone;
}

function watermarkLines(m: Machine, z: Zone, w: Watermarks, managed: Managed): string {
  const k = kernelOf(m.g);
  return [
    `\n  pages free     ${managed(z)}`,
    k.zoneinfoBoostLine ? '\n        boost    0' : '',
    `\n        min      ${w.min}`,
    `\n        low      ${w.low}`,
    `\n        high     ${w.high}`,
    k.promoWatermark ? `\n        promo    ${w.promo}` : '',
    `\n        spanned  ${z.spannedPages}`,
    `\n        present  ${z.presentPages}`,
    `\n        managed  ${managed(z)}`,
    k.zoneinfoCmaLine ? '\n        cma      0' : '',
  ].join('');
}

function pagesetLines(m: Machine): string {
  if (!kernelOf(m.g).pcpHighMinMax) {
    return '\n  pagesets\n    cpu: 0\n              count: 0\n              high:  186\n              batch: 31\n  vm stats threshold: 24';
  }
  return [
    '\n  pagesets',
    '\n    cpu: 0',
    '\n              count:    0',
    '\n              high:     378',
    '\n              batch:    63',
    '\n              high_min: 378',
    '\n              high_max: 756',
    '\n  vm stats threshold: 24',
  ].join('');
}

/** zoneinfo_show_print() for one zone. */
function zoneRecord(m: Machine, p: Pgdat, z: Zone, w: Watermarks, managed: Managed): string {
  let s = `Node ${p.nid}, zone ${z.name.padStart(8)}`;
  if (isFirstPopulated(p, z)) s += `\n  per-node stats${NODE_STATS.map((n) => stat(n, 0)).join('')}`;
  s += watermarkLines(m, z, w, managed);
  s += `\n        protection: (${protection(p, z, managed).join(', ')})`;
  if (!populatedZone(z)) return `${s}\n`;
  s += stat('nr_free_pages', managed(z)) + ZONE_STATS.map((n) => stat(n, 0)).join('');
  s += NUMA_STATS.map((n) => stat(n, 0)).join('');
  s += pagesetLines(m);
  s += `\n  node_unreclaimable:  0\n  start_pfn:           ${z.zoneStartPfn}`;
  if (kernelOf(m.g).zoneinfoHighatomicLines) s += '\n  reserved_highatomic: 0\n  free_highatomic:     0';
  return `${s}\n`;
}

/** The whole of /proc/zoneinfo: nodes in order, each zone of each (ZONE_DEVICE last). */
export function zoneinfoText(m: Machine): string {
  const managed = managedPages(m);
  const w = watermarks(m, managed);
  const nodes = [...m.nodes.values()].sort((a, b) => a.nid - b.nid);
  return nodes
    .flatMap((p) => p.zones.slice(0, ZONE_DEVICE + 1).map((z) => zoneRecord(m, p, z, w.get(z)!, managed)))
    .join('');
}
