/**
 * Offlining memory blocks: memory_block_offline() -> offline_pages() for each
 * block of the range.
 *
 * Refusals the kernel gives before touching anything: the block is not online
 * (-EINVAL), then the release's checks (offline-checks.ts: one zone, memory
 * holes, 5.4's isolation of holes); and, after isolation, an unmovable (here:
 * pinned) page makes migration fail with -EBUSY and everything is undone,
 * which the model reports up front.
 *
 * 6.19 order: GOING_OFFLINE, isolate + migrate, __offline_isolated_pages
 * (offline_mem_sections first, then the buddy pages), present pages,
 * remove_pfn_range_from_zone (poison, shrink), then the block's state.
 * 5.4 marks the pages PG_reserved and leaves zone shrinking to removal.
 */

import { kernelOf } from '../kernel/index.js';
import { SECTION_IS_ONLINE } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { ZONE_NAMES, type ZoneId } from '../model/page-flags.js';
import { type PfnRange, pfnCount, systemRamPfnRanges } from '../model/resources.js';
import { memRange } from '../units.js';
import { blockIds, checkRange, refuse, requireBooted } from './checks.js';
import { offlineChecks, onlineBlockZone, type ZoneOf } from './offline-checks.js';
import { offlinePageExtSteps } from './page-ext.js';
import { offlinedPage } from './pages.js';
import { memHotplugBegin, memHotplugDone, removePfnRangeFromZoneSteps } from './sparse.js';
import type { OfflineSpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';

/**
 * offline_pages() for one block, from `zone` (mem->zone, or page_zone() of the first page tested).
 * Only the System RAM of the block changes (walk_system_ram_range() in 5.4's
 * offline_isolated_pages_cb() and its page count); from offlineRefusesHoles on, that is all of it.
 */
function offlineBlockSteps(m: Machine, blockId: number, zone: ZoneOf): KernelStep[] {
  const block = m.blocks.get(blockId)!;
  const zoneId = zone.zone;
  const nid = zone.nid;
  const blockStartPfn = block.startSectionNr * m.g.pagesPerSection;
  // memmap_on_memory: offline_pages() gets the block after its self-hosted memmap pages.
  const vmemmap = block.vmemmapPages ?? 0;
  const startPfn = blockStartPfn + vmemmap;
  const endPfn = blockStartPfn + m.pagesPerBlock();
  const ram = systemRamPfnRanges(m.resources, m.g.pageSize, startPfn, endPfn);
  const nr = pfnCount(ram);
  const args = { startPfn, endPfn, nid, block: blockId, zone: zoneId };
  const kernel = m.g.kernel;
  const sectionOf = (mm: Machine) => (n: number) => mm.sections.section(n);
  const eachRam = (fn: (r: PfnRange) => void) => {
    for (const r of ram) fn(r);
  };
  const steps: KernelStep[] = [
    ...(vmemmap ? [unaccountVmemmap(blockStartPfn, vmemmap, nid, zoneId)] : []),
    step('memory_block_change_state', args, `memory${blockId}: going-offline`, (mm) => {
      mm.blocks.get(blockId)!.state = 'going-offline';
      // From here the pages are isolated and migrated away: nobody may start using them.
      eachRam((r) =>
        mm.truth.set(r.start, r.end, { state: 'online', zone: ZONE_NAMES[zoneId], nid, settling: true }),
      );
    }),
    ...memHotplugBegin(),
    step('do_migrate_range', args, `memory${blockId}: isolate and migrate`, (mm) => {
      // Every page is free or migrated away: nothing is pinned (checked while planning).
      eachRam((r) => mm.memmap.update(sectionOf(mm), r.start, r.end, (p) => ({ ...p, refcount: 0 })));
    }),
    step('offline_mem_sections', args, `memory${blockId}: clear SECTION_IS_ONLINE`, (mm) => {
      for (let n = block.startSectionNr; n < block.startSectionNr + mm.sectionsPerBlock; n++) {
        const ms = mm.sections.section(n);
        // A section that is not present is skipped (5.4 warns: valid_section_nr()).
        if (ms) mm.sections.clearFlags(ms, SECTION_IS_ONLINE);
      }
    }),
    step('__offline_isolated_pages', args, `memory${blockId}: take pages off the free lists`, (mm) => {
      eachRam((r) => {
        mm.memmap.update(sectionOf(mm), r.start, r.end, (p) => offlinedPage(kernel, p));
        mm.truth.set(r.start, r.end, { state: 'offline', zone: ZONE_NAMES[zoneId], nid });
      });
    }),
    step('adjust_present_page_count', args, `-${nr} pages`, (mm) => {
      const node = mm.node(nid);
      node.zones[zoneId].presentPages -= nr;
      node.nodePresentPages -= nr;
    }),
  ];
  if (kernelOf(m.g).zoneShrinkOnOffline) {
    steps.push(
      ...removePfnRangeFromZoneSteps((mm) => mm.node(nid).zones[zoneId], startPfn, endPfn),
      step('remove_pfn_range_from_zone', args, `memory${blockId}: memmap uninitialized again`, (mm) => {
        mm.truth.set(startPfn, endPfn, { state: 'offline', nid });
      }),
    );
  }
  // memory_notify(MEM_OFFLINE): page_ext_callback() -> offline_page_ext().
  steps.push(...offlinePageExtSteps(m, startPfn, endPfn));
  if (vmemmap) steps.push(...mhpDeinitMemmapOnMemory(m, blockStartPfn, vmemmap, nid, zoneId));
  steps.push(
    step('memory_block_change_state', args, `memory${blockId}: offline`, (mm) => {
      const b = mm.blocks.get(blockId)!;
      b.state = 'offline';
      b.zone = null;
    }),
    memHotplugDone(),
  );
  return steps;
}

/** memory_block_offline(): the vmemmap pages leave the present count first (adjust_present_page_count()). */
function unaccountVmemmap(startPfn: number, nrPages: number, nid: number, zoneId: ZoneId): KernelStep {
  return step('adjust_present_page_count', { startPfn, nid }, `-${nrPages} vmemmap pages`, (mm) => {
    mm.node(nid).zones[zoneId].presentPages -= nrPages;
    mm.node(nid).nodePresentPages -= nrPages;
  });
}

/**
 * mhp_deinit_memmap_on_memory(): sections the vmemmap pages fill whole go offline, then
 * remove_pfn_range_from_zone() poisons their struct pages and shrinks the zone. The pages keep
 * holding the block's memmap until it is removed.
 */
function mhpDeinitMemmapOnMemory(
  m: Machine,
  startPfn: number,
  nrPages: number,
  nid: number,
  zoneId: ZoneId,
): KernelStep[] {
  const endPfn = startPfn + nrPages;
  const pps = m.g.pagesPerSection;
  return [
    step('mhp_deinit_memmap_on_memory', { startPfn, endPfn, nid }, `${nrPages} vmemmap pages`, (mm) => {
      for (let n = startPfn / pps; (n + 1) * pps <= endPfn; n++)
        mm.sections.clearFlags(mm.sections.section(n), SECTION_IS_ONLINE);
    }),
    ...removePfnRangeFromZoneSteps((mm) => mm.node(nid).zones[zoneId], startPfn, endPfn),
    step(
      'remove_pfn_range_from_zone',
      { startPfn, endPfn },
      'vmemmap pages: memmap uninitialized again',
      (mm) => {
        mm.truth.set(startPfn, endPfn, { state: 'vmemmap' });
      },
    ),
  ];
}

export function planOffline(m: Machine, spec: OfflineSpec): OperationPlan {
  const op = 'offline';
  requireBooted(m, op);
  checkRange(op, spec.start, spec.size, m.blockSize, 'memory block size');
  const ids = blockIds(m, spec.start, spec.size);
  const checks = offlineChecks(m);
  const zones: ZoneOf[] = [];
  for (const id of ids) {
    const b = m.blocks.get(id);
    if (!b) refuse('EINVAL', op, `memory${id} does not exist (no memory is present there)`, id);
    if (b.state !== 'online') refuse('EINVAL', op, `memory${id} is ${b.state}, not online`, id);
    for (const check of checks) check(m, b);
    const startPfn = b.startSectionNr * m.g.pagesPerSection;
    if (m.isPinned(startPfn, startPfn + m.pagesPerBlock())) {
      refuse('EBUSY', op, `memory${id} has an unmovable (pinned) page; migration failed`, id);
    }
    zones.push(onlineBlockZone(m, b)!);
  }
  const steps = ids.flatMap((id, i) => offlineBlockSteps(m, id, zones[i]));
  return { op, summary: `offline ${memRange(spec.start, spec.start + spec.size)}`, steps };
}
