/**
 * Onlining memory blocks: memory_block_online() -> online_pages() for each
 * block of the range (drivers/base/memory.c, mm/memory_hotplug.c).
 *
 * 6.19 order: zone_for_pfn_range, move_pfn_range_to_zone (span grows, memmap
 * initialized PageOffline), online_pages_range (generic_online_page frees the
 * pages to the buddy, then online_mem_sections), adjust_present_page_count,
 * then the block's state. 5.4 initializes with PG_reserved instead.
 */

import { kernelOf } from '../kernel/index.js';
import type { MemoryBlock } from '../model/blocks.js';
import { SECTION_IS_ONLINE } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { ZONE_NAMES, type ZoneId } from '../model/page-flags.js';
import { pfnCount, systemRamPfnRanges } from '../model/resources.js';
import { validSection } from '../model/sections.js';
import { resizePgdatRange, resizeZoneRange } from '../model/zones.js';
import { memRange } from '../units.js';
import { blockIds, checkRange, refuse, requireBooted } from './checks.js';
import { onlinePageExtSteps } from './page-ext.js';
import { freePage, hotplugInitPage, selfHostedVmemmapPage } from './pages.js';
import { memHotplugBegin, memHotplugDone } from './sparse.js';
import type { OnlineSpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';
import { type OnlineType, zoneForPfnRange } from './zone-policy.js';

function onlineType(spec: OnlineSpec): OnlineType {
  if (spec.zone === 'normal') return 'online_kernel';
  if (spec.zone === 'movable') return 'online_movable';
  return 'online';
}

/**
 * online_pages() for one block. `at` gives the block's node and first section when the block is
 * only being created (auto-online plans its onlining inside add_memory()). The zone span and the
 * memmap cover the whole block (move_pfn_range_to_zone()); only its System RAM is handed to the
 * buddy and counted present (walk_system_ram_range(online_pages_range)): a 5.4 boot block with a
 * hole, offlined and onlined again, keeps its hole. Hot-added blocks are all System RAM.
 */
export function onlineBlockSteps(
  m: Machine,
  blockId: number,
  type: OnlineType,
  at: BlockAt = m.blocks.get(blockId)!,
): KernelStep[] {
  const nid = at.nid;
  const blockStartPfn = at.startSectionNr * m.g.pagesPerSection;
  // memmap_on_memory: online_pages() gets the block after its self-hosted memmap pages.
  const vmemmap = at.vmemmapPages ?? 0;
  const startPfn = blockStartPfn + vmemmap;
  const nr = m.pagesPerBlock() - vmemmap;
  const endPfn = startPfn + nr;
  const ram = m.blocks.has(blockId)
    ? systemRamPfnRanges(m.resources, m.g.pageSize, startPfn, endPfn)
    : [{ start: startPfn, end: endPfn }];
  const nrRam = pfnCount(ram);
  const range = memRange(startPfn * m.g.pageSize, endPfn * m.g.pageSize);
  const kernel = m.g.kernel;
  const isolates = kernelOf(m.g).onlineIsolatesPageblocks;
  // The zone is chosen when the block's turn comes: earlier blocks of the same request move zone spans.
  let zone: ZoneId = 0;
  const args = () => ({ startPfn, endPfn, nid, block: blockId, zone });
  const sectionOf = (mm: Machine) => (n: number) => mm.sections.section(n);
  return [
    ...memHotplugBegin(),
    step('zone_for_pfn_range', args(), `memory${blockId} ${type}`, (mm) => {
      zone = zoneForPfnRange(mm, type, nid, blockStartPfn, m.pagesPerBlock());
      return ZONE_NAMES[zone];
    }),
    ...(vmemmap ? [mhpInitMemmapOnMemory(m, blockStartPfn, vmemmap, nid, () => zone)] : []),
    {
      fn: 'move_pfn_range_to_zone',
      get args() {
        return args();
      },
      detail: `memory${blockId} ${range}`,
      run(mm) {
        const node = mm.node(nid);
        resizeZoneRange(node.zones[zone], startPfn, nr);
        resizePgdatRange(node, startPfn, nr);
        mm.memmap.fill(sectionOf(mm), startPfn, endPfn, hotplugInitPage(kernel, zone, nid));
        for (const r of ram) mm.truth.set(r.start, r.end, { state: 'offline', zone: ZONE_NAMES[zone], nid });
        return `${ZONE_NAMES[zone]} spans ${node.zones[zone].zoneStartPfn}+${node.zones[zone].spannedPages}`;
      },
    },
    // memory_notify(MEM_GOING_ONLINE): page_ext_callback() -> online_page_ext().
    ...onlinePageExtSteps(m, startPfn, endPfn),
    step(
      'online_pages_range',
      { startPfn, endPfn, nid, block: blockId },
      `memory${blockId}: generic_online_page`,
      (mm) => {
        // onlineIsolatesPageblocks: the pages go into isolated pageblocks and nothing can
        // allocate them until undo_isolate_page_range(); before it they are usable at once.
        const settling = isolates || undefined;
        for (const r of ram) {
          mm.memmap.fill(sectionOf(mm), r.start, r.end, freePage(zone, nid));
          mm.truth.set(r.start, r.end, { state: 'online', zone: ZONE_NAMES[zone], nid, settling });
        }
      },
    ),
    step(
      'online_mem_sections',
      { startPfn, endPfn, block: blockId },
      `memory${blockId}: SECTION_IS_ONLINE`,
      (mm) => {
        for (let n = at.startSectionNr; n < at.startSectionNr + mm.sectionsPerBlock; n++) {
          const ms = mm.sections.section(n);
          // A section that is not present is skipped (5.4 warns: valid_section_nr()).
          if (ms) mm.sections.setFlags(ms, SECTION_IS_ONLINE);
        }
      },
    ),
    step('adjust_present_page_count', { startPfn, endPfn, block: blockId }, `+${nrRam} pages`, (mm) => {
      const node = mm.node(nid);
      node.zones[zone].presentPages += nrRam;
      node.nodePresentPages += nrRam;
    }),
    ...(!isolates
      ? []
      : [
          step(
            'undo_isolate_page_range',
            { startPfn, endPfn, block: blockId },
            `memory${blockId}: pages allocatable`,
            (mm) => {
              for (const r of ram)
                mm.truth.set(r.start, r.end, { state: 'online', zone: ZONE_NAMES[zone], nid });
            },
          ),
        ]),
    ...(vmemmap
      ? [
          step(
            'adjust_present_page_count',
            { startPfn: blockStartPfn, block: blockId },
            `+${vmemmap} vmemmap pages`,
            (mm) => {
              const node = mm.node(nid);
              node.zones[zone].presentPages += vmemmap;
              node.nodePresentPages += vmemmap;
            },
          ),
        ]
      : []),
    step('memory_block_change_state', { block: blockId }, `memory${blockId}: online`, (mm) => {
      const b = mm.blocks.get(blockId)!;
      b.state = 'online';
      b.zone = zone;
    }),
    memHotplugDone(),
  ];
}

/** Where a block lies, whether or not it exists yet (auto-online plans it inside add_memory()). */
export interface BlockAt {
  readonly nid: number;
  readonly startSectionNr: number;
  readonly vmemmapPages?: number;
}

/**
 * mhp_init_memmap_on_memory(): the block's self-hosted memmap pages join the zone
 * (move_pfn_range_to_zone(), MIGRATE_UNMOVABLE), initialized and never freed to the buddy;
 * sections they fill whole are marked online here, as online_pages() will not reach them.
 */
function mhpInitMemmapOnMemory(
  m: Machine,
  startPfn: number,
  nrPages: number,
  nid: number,
  zoneOf: () => ZoneId,
): KernelStep {
  const kernel = m.g.kernel;
  const endPfn = startPfn + nrPages;
  return step('mhp_init_memmap_on_memory', { startPfn, endPfn, nid }, `${nrPages} vmemmap pages`, (mm) => {
    const zone = zoneOf();
    const node = mm.node(nid);
    resizeZoneRange(node.zones[zone], startPfn, nrPages);
    resizePgdatRange(node, startPfn, nrPages);
    mm.memmap.fill((n) => mm.sections.section(n), startPfn, endPfn, selfHostedVmemmapPage(kernel, zone, nid));
    mm.truth.set(startPfn, endPfn, { state: 'vmemmap', zone: ZONE_NAMES[zone], nid });
    const pps = mm.g.pagesPerSection;
    for (let n = startPfn / pps; (n + 1) * pps <= endPfn; n++)
      mm.sections.setFlags(mm.sections.section(n), SECTION_IS_ONLINE);
  });
}

/**
 * 5.4 drivers/base/memory.c memory_block_action() -> pages_correctly_probed(): every section of
 * the block must be present with a memmap, else -EBUSY. Only a 5.4 boot block with a missing
 * section can be offline (offlineRefusesHoles refuses to offline one from 5.5 on), so the check
 * never fires in the releases that dropped it.
 */
function pagesCorrectlyProbed(m: Machine, b: MemoryBlock): void {
  for (let n = b.startSectionNr; n < b.startSectionNr + m.sectionsPerBlock; n++) {
    const ms = m.sections.section(n);
    if (!ms || !validSection(m.mem.words, ms))
      refuse('EBUSY', 'online', `memory${b.id}: section ${n} is not present (pages_correctly_probed())`, n);
  }
}

/**
 * A 5.4 boot block with a hole can be offlined, and memremap_pages() can then put a device range
 * in the hole. Onlining the block again would reinitialize the device's struct pages too
 * (move_pfn_range_to_zone() covers the whole block, mm/page_alloc.c memmap_init_zone()): a
 * corruption the model's truth cannot hold, so the model refuses it, saying so.
 */
function refuseDevicePagesInBlock(m: Machine, b: MemoryBlock): void {
  const start = b.startSectionNr * m.g.pagesPerSection;
  const end = start + m.pagesPerBlock();
  for (const p of m.pgmaps.values())
    if (p.startPfn < end && start < p.endPfn)
      refuse(
        'EBUSY',
        'online',
        `memory${b.id} holds ZONE_DEVICE pfns of pgmap ${p.id}; onlining it would reinitialize their struct pages (not modelled)`,
        b.id,
      );
}

export function planOnline(m: Machine, spec: OnlineSpec): OperationPlan {
  const op = 'online';
  requireBooted(m, op);
  checkRange(op, spec.start, spec.size, m.blockSize, 'memory block size');
  const type = onlineType(spec);
  const ids = blockIds(m, spec.start, spec.size);
  for (const id of ids) {
    const b = m.blocks.get(id);
    if (!b) refuse('EINVAL', op, `memory${id} does not exist (no memory is present there)`, id);
    // memory_block_change_state(): the block must be offline.
    if (b.state !== 'offline') refuse('EINVAL', op, `memory${id} is ${b.state}, not offline`, id);
    pagesCorrectlyProbed(m, b);
    refuseDevicePagesInBlock(m, b);
  }
  const steps = ids.flatMap((id) => onlineBlockSteps(m, id, type));
  return { op, summary: `online ${type} ${memRange(spec.start, spec.start + spec.size)}`, steps };
}
