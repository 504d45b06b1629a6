/**
 * How the kernel code each design stands for marks the accesses of its publish and teardown
 * protocols, for the litmus tests `pfnlab litmus --design` generates. The markings named here did
 * not change between 5.4 and 6.19: online_mem_sections() sets SECTION_IS_ONLINE with a plain `|=`
 * and offline_mem_sections() clears it with a plain `&= ~`, online_section_nr() (under
 * pfn_to_online_page()) reads it plainly, and the memmap is written by __init_single_page() and
 * page_init_poison() and read by page_zone() with plain accesses.
 */
import type { Kernel } from '../kernel/index.js';
import type { ProtocolDeclaration, ReaderGuard, WriterStep } from '../lkmm/index.js';

const ONLINE_BIT = 'SECTION_IS_ONLINE';

/** online_pages(): memmap_init_range() by move_pfn_range_to_zone(), then online_mem_sections(). */
export const ONLINE_PLAIN: ProtocolDeclaration = {
  op: 'online',
  flag: ONLINE_BIT,
  word: 'mem_section',
  store: { marking: 'plain', fn: 'online_mem_sections()' },
  load: { marking: 'plain', fn: 'pfn_to_online_page()' },
  writer: ['init', 'flag'],
};

/** offline_pages(): offline_mem_sections(), then remove_pfn_range_from_zone() poisons; nothing waits for readers. */
export const OFFLINE_PLAIN: ProtocolDeclaration = {
  op: 'offline+remove',
  flag: ONLINE_BIT,
  word: 'mem_section',
  store: { marking: 'plain', fn: 'offline_mem_sections()' },
  load: { marking: 'plain', fn: 'pfn_to_online_page()' },
  writer: ['flag', 'poison'],
};

/**
 * memremap_pages() publishes the pgmap in pgmap_array (xa_store_range(): rcu_assign_pointer()) in
 * pagemap_range() before memmap_init_zone_device() initializes the device pages, which runs after
 * mem_hotplug_done(); get_dev_pagemap() finds it with xa_load() (rcu_dereference()).
 */
export const MEMREMAP_PGMAP: ProtocolDeclaration = {
  op: 'memremap',
  flag: 'the pgmap in pgmap_array',
  word: 'pgmap',
  store: { marking: 'rcu_assign_pointer', fn: 'xa_store_range()' },
  load: { marking: 'rcu_dereference', fn: 'get_dev_pagemap()' },
  writer: ['flag', 'init'],
  note: 'memmap_init_zone_device() runs after the pgmap is findable: wrong under SC already.',
};

/**
 * memunmap_pages(): percpu_ref_kill() and wait_for_completion() until every reference taken by
 * get_dev_pagemap() is put, then pageunmap_range() poisons the memmap. A reference held across the
 * use and the wait for all of them are modelled as a read-side critical section and a grace period.
 */
export const MEMUNMAP_PGMAP: ProtocolDeclaration = {
  op: 'memunmap',
  flag: 'the live pgmap reference',
  store: { marking: 'WRITE_ONCE', fn: 'percpu_ref_kill()' },
  load: { marking: 'READ_ONCE', fn: 'percpu_ref_tryget_live() in get_dev_pagemap()' },
  writer: ['flag', 'synchronize_rcu', 'poison'],
  reader: 'rcu',
  note: 'percpu_ref_kill() and the wait for every reference are modelled as a store and synchronize_rcu().',
};

/**
 * section_deactivate() emptying a hot-added section against pfn_valid(), as each release writes them
 * (mm/sparse.c, include/linux/mmzone.h):
 * - before usageFreedWithKfreeRcu (5.4 … 6.7): kfree(ms->usage), ms->usage = NULL, then the
 *   section_mem_map cleared, all plain; pfn_valid() tests valid_section() and reads
 *   ms->usage->subsection_map with no protection (CVE-2023-52489);
 * - from usageFreedWithKfreeRcu (6.8): SECTION_HAS_MEM_MAP cleared first, kfree_rcu(ms->usage) and
 *   WRITE_ONCE(ms->usage, NULL); pfn_valid() holds rcu_read_lock_sched() (rcu_read_lock() in the
 *   test: linux-kernel.def has no _sched flavour) and reads READ_ONCE(ms->usage)->subsection_map;
 * - from pfnSectionValidNullCheck (6.10): pfn_section_valid() tests the loaded pointer for NULL
 *   (CVE-2024-41055: the flag seen set, the pointer already NULL).
 * kfree_rcu() is written as synchronize_rcu() before the free: the free runs after a grace period
 * that begins after the flag is cleared, which is all the test needs of it.
 */
export function usageTeardown(k: Kernel, designReader: ReaderGuard): ProtocolDeclaration {
  const rcu = k.usageFreedWithKfreeRcu;
  const steps: WriterStep[] = rcu
    ? ['flag', 'null', 'synchronize_rcu', 'poison']
    : ['poison', 'null', 'flag'];
  // section_deactivate() runs under mem_hotplug_begin() (try_remove_memory(), memunmap_pages()).
  const locked = designReader === 'mem_hotplug_lock';
  return {
    op: 'remove',
    flag: 'SECTION_HAS_MEM_MAP',
    word: 'mem_section',
    store: { marking: 'plain', fn: 'section_deactivate()' },
    load: { marking: 'plain', fn: 'pfn_valid()' },
    writer: locked ? ['lock', ...steps, 'unlock'] : steps,
    reader: designReader === 'none' && rcu ? 'rcu' : designReader,
    hop: {
      pointer: 'ms->usage',
      store: { marking: rcu ? 'WRITE_ONCE' : 'plain', fn: 'section_deactivate()' },
      load: { marking: rcu ? 'READ_ONCE' : 'plain', fn: 'pfn_section_valid()' },
      nullCheck: k.pfnSectionValidNullCheck,
    },
    kernel: k.release,
    note: rcu
      ? `kfree_rcu(ms->usage) is written as synchronize_rcu() then the free (${k.pfnSectionValidNullCheck ? 'pfn_section_valid() tests the pointer for NULL' : 'pfn_section_valid() dereferences the pointer unchecked'}).`
      : 'ms->usage is kfree()d before the section is marked invalid, and readers hold nothing.',
  };
}
