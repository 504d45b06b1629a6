/**
 * memremap_pages() -> pagemap_range() (mm/memremap.c): ZONE_DEVICE memory.
 *
 * Order: percpu_ref_init, conflict checks, region_intersects(System RAM),
 * xa_store_range() (get_dev_pagemap() can find it from here), mem_hotplug_begin,
 * arch_add_memory() (add_pages() for DEVICE_PRIVATE) with the altmap,
 * move_pfn_range_to_zone(ZONE_DEVICE) (span grows, 6.x taints unaligned
 * boundary sections, only the altmap's memmap-holding pfns are initialized),
 * mem_hotplug_done, memmap_init_zone_device() outside the lock,
 * percpu_ref_get_many(). Sections holding device memory never become ONLINE.
 */

import { STRUCT_PAGE_SIZE } from '../arch/geometry.js';
import { altmapPfnsForChunk } from '../arch/vmemmap.js';
import { kernelOf } from '../kernel/index.js';
import { SECTION_TAINT_ZONE_DEVICE } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { ZONE_DEVICE } from '../model/page-flags.js';
import { type Altmap, getDevPagemap, memoryTypeValue, type Pgmap, pgmapFirstPfn } from '../model/pgmap.js';
import { overlaps, regionIntersects } from '../model/resources.js';
import { resizePgdatRange, resizeZoneRange } from '../model/zones.js';
import { hex, memRange } from '../units.js';
import { checkNode, checkRange, refuse, requireBooted } from './checks.js';
import { altmapPage, devicePage } from './pages.js';
import { memHotplugBegin, memHotplugDone, sectionChunks, sparseAddSteps } from './sparse.js';
import type { MemremapSpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';

/** The resource name each kind of device memory shows in /proc/iomem. */
export function deviceResourceName(p: { type: Pgmap['type']; id: string }): string {
  switch (p.type) {
    case 'fsdax':
    case 'devdax':
      return `Persistent Memory (${p.id})`;
    case 'device_private':
      return `Device Private (${p.id})`;
    case 'p2pdma':
      return `PCI P2PDMA (${p.id})`;
    default:
      return `Device Memory (${p.id})`;
  }
}

function planAltmap(
  m: Machine,
  op: string,
  spec: MemremapSpec,
  startPfn: number,
  nr: number,
): Altmap | undefined {
  if (!spec.altmap) return undefined;
  const { reserve, free } = spec.altmap;
  for (const [name, bytes] of [
    ['altmap.reserve', reserve],
    ['altmap.free', free ?? 0],
  ] as const) {
    if (bytes % m.g.pageSize !== 0) refuse('EINVAL', op, `${name} ${hex(bytes)} is not page aligned`, bytes);
  }
  // By default the altmap sets aside exactly what the range's memmap needs.
  const memmapPfns = Math.ceil((nr * STRUCT_PAGE_SIZE) / m.g.pageSize);
  const used = altmapPfnsUsed(m, startPfn, nr);
  const altmap: Altmap = {
    basePfn: startPfn,
    endPfn: startPfn + nr,
    reserve: reserve / m.g.pageSize,
    free: free === undefined ? memmapPfns : free / m.g.pageSize,
    alloc: 0,
  };
  // __add_pages(): vmem_altmap_offset() must not exceed the range.
  if (altmap.reserve + altmap.free > nr) {
    refuse(
      'EINVAL',
      op,
      `altmap reserve+free (${altmap.reserve + altmap.free} pfns) exceeds the range (${nr})`,
      spec.altmap,
    );
  }
  // vmemmap_populate_hugepages(): an altmap too small for its PMDs is -ENOMEM, with no fallback.
  if (altmap.free < used) {
    refuse(
      'ENOMEM',
      op,
      `altmap.free holds ${altmap.free} pfns but the memmap needs ${used} of them`,
      spec.altmap,
    );
  }
  return altmap;
}

/** The altmap pfns sparse_add_section() takes for the memmap of [startPfn, startPfn + nr), chunk by chunk. */
function altmapPfnsUsed(m: Machine, startPfn: number, nr: number): number {
  let used = 0;
  for (const c of sectionChunks(m.g, startPfn, startPfn + nr))
    used += altmapPfnsForChunk(m.g, c.endPfn - c.startPfn);
  return used;
}

function validate(m: Machine, spec: MemremapSpec): void {
  const op = 'memremap';
  requireBooted(m, op);
  if (m.pgmaps.has(spec.id)) refuse('EEXIST', op, `a pgmap with id '${spec.id}' already exists`, spec.id);
  checkNode(op, spec.node ?? 0);
  // check_pfn_span(): subsection granularity with SPARSEMEM_VMEMMAP.
  checkRange(op, spec.start, spec.size, m.g.subsectionSize, 'subsection size');
  const end = spec.start + spec.size;
  const startPfn = spec.start / m.g.pageSize;
  const lastPfn = end / m.g.pageSize - 1;
  for (const pfn of [startPfn, lastPfn]) {
    const other = getDevPagemap(m.mem.words, pfn);
    if (other)
      refuse(
        'ENOMEM',
        op,
        `conflicting mapping in same section: pfn ${hex(pfn)} belongs to another pgmap`,
        pfn,
      );
  }
  const ram = regionIntersects(m.resources, spec.start, end, 'system-ram');
  if (ram !== 'disjoint')
    refuse(
      'ENXIO',
      op,
      `attempted on ${ram === 'mixed' ? 'mixed' : 'ram'} region ${memRange(spec.start, end)}`,
      spec.start,
    );
  const clash = m.resources.find((r) => overlaps(r, spec.start, end));
  if (clash) refuse('EEXIST', op, `${memRange(spec.start, end)} overlaps ${clash.name}`, spec.start);
  if (end > 2 ** m.g.maxPhysmemBits)
    refuse('EINVAL', op, `${memRange(spec.start, end)} is beyond MAX_PHYSMEM_BITS`, spec.start);
  // fill_subsection_map(): none of the subsections may be present already.
  for (const c of sectionChunks(m.g, startPfn, lastPfn + 1)) {
    const ms = m.sections.section(c.sectionNr);
    const usage = ms ? m.sections.usage(ms) : 0;
    if (!usage) continue;
    for (let i = c.first; i < c.first + c.count; i++) {
      if (m.sections.testSubsection(usage, 0, i)) {
        refuse('EEXIST', op, `section ${c.sectionNr} subsection ${i} is already present`, c.sectionNr);
      }
    }
  }
  if (m.pgmapTable.freeSlot([...m.pgmaps.values()].map((p) => p.slot)) < 0) {
    refuse('ENOSPC', op, 'the pgmap table is full', spec.id);
  }
}

export function planMemremap(m: Machine, spec: MemremapSpec): OperationPlan {
  const op = 'memremap';
  validate(m, spec);
  const g = m.g;
  const nid = spec.node ?? 0;
  const startPfn = spec.start / g.pageSize;
  const nr = spec.size / g.pageSize;
  const endPfn = startPfn + nr;
  const altmap = planAltmap(m, op, spec, startPfn, nr);
  const pgmap: Pgmap = {
    id: spec.id,
    num: m.nextPgmapNum,
    type: spec.type,
    startPfn,
    endPfn,
    nid,
    altmap,
    slot: m.pgmapTable.freeSlot([...m.pgmaps.values()].map((p) => p.slot)),
    state: 'creating',
  };
  const first = pgmapFirstPfn(pgmap);
  const args = { startPfn, endPfn, nid, pgmap: spec.id, device: true, zone: ZONE_DEVICE } as const;
  const isPrivate = spec.type === 'device_private';
  const steps: KernelStep[] = [
    step('percpu_ref_init', args, `pgmap ${spec.id} (${spec.type})`, (mm) => {
      mm.pgmaps.set(spec.id, { ...pgmap, altmap: altmap ? { ...altmap } : undefined });
      mm.nextPgmapNum = Math.max(mm.nextPgmapNum, pgmap.num + 1);
      mm.pgmapTable.init(pgmap.slot, pgmap.num, memoryTypeValue(spec.type, g.kernel), startPfn, endPfn);
      mm.resources.push({
        start: spec.start,
        end: spec.start + spec.size,
        name: deviceResourceName(spec),
        kind: 'device',
        owner: spec.id,
        boot: false,
      });
      mm.resources.sort((a, b) => a.start - b.start);
    }),
    step('xa_store_range', args, `pgmap_array[${hex(startPfn)}..${hex(endPfn - 1)}] = ${spec.id}`, (mm) => {
      mm.pgmapTable.setInArray(pgmap.slot, true);
    }),
    ...memHotplugBegin(),
    step(
      isPrivate ? 'add_pages' : 'arch_add_memory',
      args,
      memRange(spec.start, spec.start + spec.size),
      () =>
        altmap
          ? `memmap on the device: altmap reserve ${altmap.reserve}, free ${altmap.free} pfns`
          : undefined,
    ),
    ...sparseAddSteps(m, nid, startPfn, endPfn),
    step(
      'move_pfn_range_to_zone',
      args,
      `ZONE_DEVICE ${memRange(spec.start, spec.start + spec.size)}`,
      (mm) => {
        const node = mm.node(nid);
        resizeZoneRange(node.zones[ZONE_DEVICE], startPfn, nr);
        resizePgdatRange(node, startPfn, nr);
        const notes: string[] = [];
        if (kernelOf(g).sectionTaintZoneDevice) {
          for (const pfn of [startPfn, endPfn]) {
            if (pfn % g.pagesPerSection === 0) continue;
            const nrSec = Math.floor(pfn / g.pagesPerSection);
            mm.sections.setFlags(mm.sections.section(nrSec), SECTION_TAINT_ZONE_DEVICE);
            notes.push(`taint section ${nrSec}`);
          }
        }
        if (altmap) {
          const p = mm.pgmaps.get(spec.id)!;
          const memmapStart = startPfn + altmap.reserve;
          mm.memmap.fill((n) => mm.sections.section(n), memmapStart, first, altmapPage(nid));
          mm.truth.set(startPfn, first, { state: 'driver-reserved', zone: 'Device', pgmap: spec.id, nid });
          p.altmap!.alloc = altmapPfnsUsed(mm, startPfn, nr);
        }
        return notes.join(', ') || undefined;
      },
    ),
    memHotplugDone(),
    step('memmap_init_zone_device', { ...args, startPfn: first }, `${endPfn - first} device pages`, (mm) => {
      const page = devicePage(g.kernel, nid, pgmap.num, spec.type === 'generic' || spec.type === 'devdax');
      mm.memmap.fill((n) => mm.sections.section(n), first, endPfn, page);
      // Initialized, but memremap_pages() has not returned them to the driver yet.
      mm.truth.set(first, endPfn, { state: 'device', zone: 'Device', pgmap: spec.id, nid, settling: true });
    }),
    step('percpu_ref_get_many', args, `${endPfn - first} page references`, (mm) => {
      if (!isPrivate || !kernelOf(g).privatePagesRefAtAlloc)
        mm.pgmapTable.addRefs(pgmap.slot, endPfn - first);
      mm.pgmaps.get(spec.id)!.state = 'live';
      mm.truth.set(first, endPfn, { state: 'device', zone: 'Device', pgmap: spec.id, nid });
    }),
  ];
  return {
    op,
    summary: `memremap ${spec.type} ${spec.id} ${memRange(spec.start, spec.start + spec.size)}`,
    steps,
  };
}
