/**
 * memunmap_pages() (mm/memremap.c).
 *
 * 6.19: percpu_ref_kill, drop the initial references, wait_for_completion,
 * then pageunmap_range(): mem_hotplug_begin, remove_pfn_range_from_zone()
 * (poison only: ZONE_DEVICE spans never shrink), arch_remove_memory() or
 * __remove_pages(), mem_hotplug_done, pgmap_array_delete() (xa erase +
 * synchronize_rcu), and percpu_ref_exit() last. The memmap is freed before
 * the pgmap leaves pgmap_array.
 * 5.4: kill, put the pages, dev_pagemap_cleanup() (wait, percpu_ref_exit),
 * then arch_remove_memory() without poisoning, pgmap_array_delete().
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
import { type KernelStep, type OperationPlan, type StepArgs, step } from './step.js';

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
  ];
  const unmap: KernelStep[] = [...memHotplugBegin()];
  if (k.zoneShrinkOnOffline) {
    unmap.push(...removePfnRangeFromZoneSteps((mm) => mm.node(nid).zones[ZONE_DEVICE], startPfn, endPfn));
  }
  unmap.push(
    step(isPrivate ? '__remove_pages' : 'arch_remove_memory', args, range, (mm) => {
      const p = mm.pgmaps.get(spec.id)!;
      if (p.altmap) p.altmap.alloc = 0;
    }),
    ...sparseRemoveSteps(m, startPfn, endPfn),
    memHotplugDone(),
  );
  const order = k.percpuRefExitAfterUnmap ? exitAfterUnmap : exitBeforeUnmap;
  steps.push(...order(unmap, { id: spec.id, slot, args }));
  return { op, summary: `memunmap ${spec.id} ${range}`, steps };
}

/** The pgmap being torn down, as its last steps name it. */
interface Teardown {
  readonly id: string;
  readonly slot: number;
  readonly args: StepArgs;
}

/** The pgmap's table record, entry and resource go: nothing can find it any more. */
function releasePgmap(mm: Machine, t: Teardown): void {
  mm.pgmapTable.clear(t.slot);
  mm.pgmaps.delete(t.id);
  mm.resources = mm.resources.filter((r) => r.owner !== t.id);
}

/** pgmap_array_delete(): xa_store_range(NULL) + synchronize_rcu; `release` when nothing follows it. */
function pgmapArrayDelete(t: Teardown, release: boolean): KernelStep {
  const { startPfn = 0, endPfn = 0 } = t.args;
  return step(
    'pgmap_array_delete',
    t.args,
    `xa_store_range(${hex(startPfn)}..${hex(endPfn - 1)}, NULL) + synchronize_rcu`,
    (mm) => {
      mm.pgmapTable.setInArray(t.slot, false);
      if (release) releasePgmap(mm, t);
    },
  );
}

/**
 * mm/memremap.c memunmap_pages() since percpuRefExitAfterUnmap (6.19): pageunmap_range(), which
 * ends with pgmap_array_delete(), then percpu_ref_exit(): a get_dev_pagemap() that still finds the
 * pgmap in pgmap_array finds its reference intact (dead, so the tryget fails).
 */
function exitAfterUnmap(unmap: readonly KernelStep[], t: Teardown): KernelStep[] {
  return [
    ...unmap,
    pgmapArrayDelete(t, false),
    step('percpu_ref_exit', t.args, `pgmap ${t.id} gone`, (mm) => releasePgmap(mm, t)),
  ];
}

/**
 * 5.4 mm/memremap.c memunmap_pages() -> dev_pagemap_cleanup(): wait_for_completion(), then
 * percpu_ref_exit() at once, before mem_hotplug_begin(); the pgmap stays in pgmap_array until
 * pgmap_array_delete() after arch_remove_memory(). Freeing the percpu counters changes no word a
 * reader here tests (the reference is dead already); the record goes with pgmap_array_delete().
 */
function exitBeforeUnmap(unmap: readonly KernelStep[], t: Teardown): KernelStep[] {
  return [
    {
      ...step(
        'percpu_ref_exit',
        t.args,
        `pgmap ${t.id}: dev_pagemap_cleanup() frees the percpu counters`,
        () => undefined,
      ),
      footprint: { reads: [], writes: [] },
    },
    ...unmap,
    pgmapArrayDelete(t, true),
  ];
}
