import type { Machine } from '../model/machine.js';
import { overlaps } from '../model/resources.js';
import { memRange } from '../units.js';
import { blockIds, checkNode, checkPhysmemLimit, checkRange, refuse, requireBooted } from './checks.js';
import { mhpSupportsMemmapOnMemory } from './memmap-on-memory.js';
import { onlineBlockSteps } from './online.js';
import { memHotplugBegin, memHotplugDone, sparseAddSteps } from './sparse.js';
import type { AddMemorySpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';

export function planAddMemory(m: Machine, spec: AddMemorySpec): OperationPlan {
  const op = 'add_memory';
  requireBooted(m, op);
  const nid = spec.node ?? 0;
  checkNode(op, nid);
  // check_hotplug_memory_range(): memory block granularity.
  checkRange(op, spec.start, spec.size, m.blockSize, 'memory block size');
  checkPhysmemLimit(m, op, spec.start, spec.size);
  const end = spec.start + spec.size;
  // register_memory_resource(): the range must not collide with an existing resource.
  const clash = m.resources.find((r) => overlaps(r, spec.start, end));
  if (clash) {
    refuse(
      'EEXIST',
      op,
      `${memRange(spec.start, end)} overlaps ${clash.name} ${memRange(clash.start, clash.end)}`,
      spec.start,
    );
  }
  const ids = blockIds(m, spec.start, spec.size);
  const taken = ids.find((id) => m.blocks.has(id));
  if (taken !== undefined) refuse('EEXIST', op, `memory block ${taken} already exists`, taken);
  const startPfn = spec.start / m.g.pageSize;
  const endPfn = end / m.g.pageSize;
  const args = { startPfn, endPfn, nid };
  const selfHosted = spec.memmapOnMemory ? mhpSupportsMemmapOnMemory(m, spec.size) : undefined;
  const steps = [
    step('register_memory_resource', args, `System RAM ${memRange(spec.start, end)}`, (mm) => {
      mm.resources.push({ start: spec.start, end, name: 'System RAM', kind: 'system-ram', boot: false });
      mm.resources.sort((a, b) => a.start - b.start);
    }),
    ...memHotplugBegin(),
    ...(selfHosted?.selfHosted
      ? createAltmapsAndMemoryBlocks(m, nid, ids, selfHosted.vmemmapPages)
      : [
          ...(selfHosted ? [memmapOnMemoryRefused(selfHosted.why)] : []),
          ...sparseAddSteps(m, nid, startPfn, endPfn),
          createMemoryBlockDevices(ids, args),
        ]),
    memHotplugDone(),
    ...autoOnlineSteps(m, ids, nid, selfHosted?.selfHosted ? selfHosted.vmemmapPages : undefined),
  ];
  return { op, summary: `add_memory node ${nid} ${memRange(spec.start, end)}`, steps };
}

/** create_memory_block_devices(): the blocks, offline; with memmap_on_memory each keeps its altmap. */
function createMemoryBlockDevices(
  ids: readonly number[],
  args: { readonly startPfn: number; readonly endPfn: number; readonly nid: number },
  vmemmapPages?: number,
): KernelStep {
  const nid = args.nid;
  const detail = `memory${ids[0]}-memory${ids[ids.length - 1]} offline${vmemmapPages ? `, its first ${vmemmapPages} pages hold its memmap` : ''}`;
  return step('create_memory_block_devices', args, detail, (mm) => {
    for (const id of ids) {
      mm.blocks.set(id, {
        id,
        startSectionNr: id * mm.sectionsPerBlock,
        state: 'offline',
        nid,
        zone: null,
        early: false,
        ...(vmemmapPages ? { vmemmapPages } : {}),
      });
    }
  });
}

/**
 * create_altmaps_and_memory_blocks() (6.8; before it, the one block of the request): per block,
 * arch_add_memory() with an altmap at the block's start, whose first pages take the memmap as
 * its sections are populated, then the block device holding that altmap.
 */
function createAltmapsAndMemoryBlocks(
  m: Machine,
  nid: number,
  ids: readonly number[],
  vmemmapPages: number,
): KernelStep[] {
  const nr = m.pagesPerBlock();
  return ids.flatMap((id) => {
    const [startPfn, endPfn] = [id * nr, (id + 1) * nr];
    return [
      ...sparseAddSteps(m, nid, startPfn, endPfn, { basePfn: startPfn }),
      createMemoryBlockDevices([id], { startPfn, endPfn, nid }, vmemmapPages),
    ];
  });
}

/** mhp_supports_memmap_on_memory() said no: add_memory_resource() takes the memmap from other memory. */
function memmapOnMemoryRefused(why: string): KernelStep {
  return step(
    'mhp_supports_memmap_on_memory',
    {},
    `false: ${why}; the memmap comes from other memory`,
    () => {},
  );
}

/**
 * add_memory_resource()'s last step: with auto_online_blocks other than offline, every new
 * block is onlined as that type (walk_memory_blocks() -> online_memory_block()), after
 * mem_hotplug_done(), each through online_pages() as a write to its state file would.
 */
function autoOnlineSteps(
  m: Machine,
  ids: readonly number[],
  nid: number,
  vmemmapPages: number | undefined,
): KernelStep[] {
  const type = m.hotplug.autoOnlineBlocks;
  if (type === 'offline') return [];
  return ids.flatMap((id) =>
    onlineBlockSteps(m, id, type, { nid, startSectionNr: id * m.sectionsPerBlock, vmemmapPages }),
  );
}
