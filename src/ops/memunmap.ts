/**
 * memunmap_pages() (mm/memremap.c).
 *
 * 6.19: percpu_ref_kill, drop the initial references, wait_for_completion,
 * then pageunmap_range(): mem_hotplug_begin, remove_pfn_range_from_zone()
 * (poison only: ZONE_DEVICE spans never shrink), arch_remove_memory() or
 * __remove_pages(), mem_hotplug_done, pgmap_array_delete() (xa erase +
 * synchronize_rcu). The memmap is freed before the pgmap leaves pgmap_array.
 * 5.4: kill, put the pages, wait, arch_remove_memory() without poisoning,
 * pgmap_array_delete().
 */

import { kernelOf } from '../kernel/index.js';
import type { Machine } from '../model/machine.js';
import { ZONE_DEVICE } from '../model/page-flags.js';
import { pgmapFirstPfn } from '../model/pgmap.js';
import { hex, memRange } from '../units.js';
import { refuse, requireBooted } from './checks.js';
import {
  markTearingDown,
  memHotplugBegin,
  memHotplugDone,
  removePfnRangeFromZoneSteps,
  sparseRemoveSteps,
} from './sparse.js';
import type { MemunmapSpec } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';

export function planMemunmap(m: Machine, spec: MemunmapSpec): OperationPlan {
  const op = 'memunmap';
  requireBooted(m, op);
  const pgmap = m.pgmaps.get(spec.id);
  if (!pgmap) refuse('ENOENT', op, `no pgmap with id '${spec.id}'`, spec.id);
  const { startPfn, endPfn, nid, slot } = pgmap;
  if (m.isPinned(startPfn, endPfn)) {
    refuse(
      'EBUSY',
      op,
      `pages of pgmap '${spec.id}' are still referenced; wait_for_completion() would never return`,
      spec.id,
    );
  }
  const first = pgmapFirstPfn(pgmap);
  const isPrivate = pgmap.type === 'device_private';
  const k = kernelOf(m.g);
  // Set-up took references for the device pages, except DEVICE_PRIVATE once those take theirs at allocation.
  const setupRefs = !isPrivate || !k.privatePagesRefAtAlloc;
  const range = memRange(startPfn * m.g.pageSize, endPfn * m.g.pageSize);
  const args = { startPfn, endPfn, nid, pgmap: spec.id, device: true } as const;
  const steps: KernelStep[] = [
    step('memunmap_pages', args, `pgmap ${spec.id}: the driver stops handing out its pages`, (mm) => {
      // Pages in use stay valid until the pgmap's reference dies; either answer is acceptable meanwhile.
      mm.truth.map(startPfn, endPfn, (t) => ({ ...t, settling: true }));
    }),
    step('percpu_ref_kill', args, `pgmap ${spec.id}`, (mm) => {
      mm.pgmapTable.kill(slot);
      mm.pgmaps.get(spec.id)!.state = 'dying';
      markTearingDown(mm, startPfn, endPfn);
    }),
    step(
      k.memunmapPutsRefsInBulk ? 'percpu_ref_put_many' : 'put_page',
      args,
      `${endPfn - first} page references`,
      (mm) => {
        // Drop the references percpu_ref_get_many() took for the device pages; others' stay.
        if (setupRefs) mm.pgmapTable.addRefs(slot, -(endPfn - first));
      },
    ),
    step(
      'wait_for_completion',
      args,
      `pgmap ${spec.id}: last reference dropped`,
      () => undefined,
      (mm) => mm.pgmapTable.refs(slot) === 0,
    ),
    ...memHotplugBegin(),
  ];
  if (k.zoneShrinkOnOffline) {
    steps.push(...removePfnRangeFromZoneSteps((mm) => mm.node(nid).zones[ZONE_DEVICE], startPfn, endPfn));
  }
  steps.push(
    step(isPrivate ? '__remove_pages' : 'arch_remove_memory', args, range, (mm) => {
      const p = mm.pgmaps.get(spec.id)!;
      if (p.altmap) p.altmap.alloc = 0;
    }),
    ...sparseRemoveSteps(m, startPfn, endPfn),
    memHotplugDone(),
    step(
      'pgmap_array_delete',
      args,
      `xa_store_range(${hex(startPfn)}..${hex(endPfn - 1)}, NULL) + synchronize_rcu`,
      (mm) => {
        mm.pgmapTable.setInArray(slot, false);
      },
    ),
    step('percpu_ref_exit', args, `pgmap ${spec.id} gone`, (mm) => {
      mm.pgmapTable.clear(slot);
      mm.pgmaps.delete(spec.id);
      mm.resources = mm.resources.filter((r) => r.owner !== spec.id);
    }),
  );
  return { op, summary: `memunmap ${spec.id} ${range}`, steps };
}
