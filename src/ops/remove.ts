/**
 * remove_memory() -> try_remove_memory(): every block must be offline; remove
 * the block devices, arch_remove_memory() -> __remove_pages() ->
 * sparse_remove_section() per section, release the resource.
 *
 * 5.4 shrinks the zone here (__remove_zone per section, before
 * section_deactivate); 6.x shrank it when offlining.
 */

import { kernelOf } from '../kernel/index.js';
import type { Machine } from '../model/machine.js';
import { pagePoisoned, pageToNid, pageZonenum, ZONE_DEVICE } from '../model/page-flags.js';
import { regionIntersects } from '../model/resources.js';
import { updatePgdatSpan } from '../model/zones.js';
import { memRange } from '../units.js';
import { blockIds, checkRange, refuse, requireBooted } from './checks.js';
import {
  markTearingDown,
  memHotplugBegin,
  memHotplugDone,
  type SectionChunk,
  sparseRemoveSteps,
} from './sparse.js';
import type { RemoveSpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';
import { shrinkZoneSpan } from './zone-policy.js';

/**
 * 5.4 __remove_section() -> __remove_zone(): shrink `stale`, the zone x86 arch_remove_memory()
 * took once, from page_zone() of the range's first struct page (after the altmap; zone and node
 * both from the stale flags), for every section removed - even sections another zone held.
 */
function removeZoneStep54(stale: StaleZone | undefined): (c: SectionChunk) => KernelStep {
  return (c) => {
    return step('__remove_zone', { sectionNr: c.sectionNr }, `section ${c.sectionNr}`, (mm) => {
      if (stale === undefined) return 'first block never onlined: no zone';
      const zone = mm.node(stale.nid).zones[stale.zone];
      shrinkZoneSpan(mm, zone, c.startPfn, c.endPfn);
      updatePgdatSpan(mm.node(stale.nid));
      return undefined;
    });
  };
}

export function planRemove(m: Machine, spec: RemoveSpec): OperationPlan {
  const op = 'remove';
  requireBooted(m, op);
  checkRange(op, spec.start, spec.size, m.blockSize, 'memory block size');
  const end = spec.start + spec.size;
  const ids = blockIds(m, spec.start, spec.size);
  for (const id of ids) {
    const b = m.blocks.get(id);
    if (!b) refuse('EINVAL', op, `memory${id} does not exist (nothing to remove there)`, id);
    // check_memblock_offlined_cb()
    if (b.state !== 'offline') refuse('EBUSY', op, `memory${id} is ${b.state}; offline it first`, id);
  }
  checkAltmapGranularity(m, op, spec.size, ids);
  if (regionIntersects(m.resources, spec.start, end, 'system-ram') !== 'intersects') {
    refuse('EINVAL', op, `${memRange(spec.start, end)} is not entirely System RAM`, spec.start);
  }
  const startPfn = spec.start / m.g.pageSize;
  const endPfn = end / m.g.pageSize;
  const args = { startPfn, endPfn };
  const zoneOf = lastZones(m, ids).get(ids[0]);
  const steps: KernelStep[] = [
    ...memHotplugBegin(),
    step('remove_memory_block_devices', args, `memory${ids[0]}-memory${ids[ids.length - 1]}`, (mm) => {
      for (const id of ids) mm.blocks.delete(id);
    }),
    step('arch_remove_memory', args, memRange(spec.start, end), (mm) => {
      markTearingDown(mm, startPfn, endPfn, () => ({ state: 'tearing-down' }));
    }),
    ...sparseRemoveSteps(
      m,
      startPfn,
      endPfn,
      kernelOf(m.g).zoneShrinkOnOffline ? undefined : removeZoneStep54(zoneOf),
    ),
    step('release_memory_resource', args, `System RAM ${memRange(spec.start, end)}`, (mm) => {
      releaseRange(mm, spec.start, end);
    }),
    memHotplugDone(),
  ];
  return { op, summary: `remove ${memRange(spec.start, end)}`, steps };
}

/**
 * try_remove_memory() of memmap_on_memory blocks: before memmapOnMemoryPerBlock the request must
 * be the one block its altmap belongs to ("wrong granularity"); after it, every block of the
 * range or none must have an altmap (memory_blocks_have_altmaps()). Both -EINVAL.
 */
function checkAltmapGranularity(m: Machine, op: string, size: number, ids: readonly number[]): void {
  const hosted = ids.filter((id) => m.blocks.get(id)!.vmemmapPages);
  if (hosted.length === 0) return;
  if (!kernelOf(m.g).memmapOnMemoryPerBlock && size !== m.blockSize)
    refuse('EINVAL', op, `memory${hosted[0]} hosts its memmap: remove it alone (wrong granularity)`, size);
  if (hosted.length !== ids.length) {
    const plain = ids.find((id) => !m.blocks.get(id)!.vmemmapPages)!;
    refuse('EINVAL', op, `memory${hosted[0]} hosts its memmap but memory${plain} does not`, plain);
  }
}

/** The zone and node an offline block's struct pages still name. */
interface StaleZone {
  readonly zone: number;
  readonly nid: number;
}

/** Before zoneShrinkOnOffline, which zone each block was last onlined to (the stale page_zone() the kernel reads). */
function lastZones(m: Machine, ids: readonly number[]): Map<number, StaleZone> {
  const out = new Map<number, StaleZone>();
  for (const id of ids) {
    const startPfn = id * m.pagesPerBlock();
    const page = m.memmap.read(startPfn);
    const zone = page && !pagePoisoned(page.flags) ? pageZonenum(page.flags) : undefined;
    if (zone !== undefined && zone < ZONE_DEVICE && m.truthOf(startPfn).state === 'offline')
      out.set(id, { zone, nid: pageToNid(page!.flags) });
  }
  return out;
}

/** release_mem_region_adjustable(): cut [start, end) out of the System RAM resources. */
function releaseRange(m: Machine, start: number, end: number): void {
  const out = [];
  for (const r of m.resources) {
    if (r.kind !== 'system-ram' || r.end <= start || r.start >= end) {
      out.push(r);
      continue;
    }
    if (r.start < start) out.push({ ...r, end: start });
    if (r.end > end) out.push({ ...r, start: end });
  }
  m.resources = out;
}
