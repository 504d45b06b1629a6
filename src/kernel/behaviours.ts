/**
 * Every behavioural difference between 5.4 and 6.19 the model follows, each
 * named once with the mainline release that introduced it and the title of
 * the commit that did. A behaviour is "in force" at its release and every
 * later one. `approx` marks a release inferred from merge timing (the fact
 * sheet's ≈): the commit title leads to the merge that confirms it.
 * Facts come from kernel history and mailing lists; the sentences are ours.
 */
import type { KernelRelease } from './releases.js';

export interface Behaviour {
  /** The first mainline release that has it. */
  readonly since: KernelRelease;
  /** The commit title that introduced it. */
  readonly commit: string;
  /** The commit hash, abbreviated, where known. */
  readonly hash?: string;
  /** The release is inferred from merge timing, not read from a tag. */
  readonly approx?: true;
  /** The kernel file and function it changed. */
  readonly where: string;
  /** What changes for the model, in one sentence. */
  readonly what: string;
  /** Listed but not (yet) followed by the model: what is missing. Absent: the model asks for it. */
  readonly unmodelled?: string;
}

export const BEHAVIOURS = {
  zoneShrinkOnOffline: {
    since: '5.5',
    commit: 'mm/memory_hotplug: shrink zones when offlining memory',
    hash: 'feee6b298916',
    where: 'mm/memory_hotplug.c: remove_pfn_range_from_zone()',
    what: 'zone and node spans shrink (and the memmap is poisoned) when a range goes offline or memunmap_pages() runs; 5.4 shrank in __remove_zone() at removal, with the zone of the first page for every section',
  },
  softOfflineTakesPfn: {
    since: '5.5',
    commit: 'mm, soft-offline: convert parameter to pfn',
    approx: true,
    where: 'mm/memory-failure.c: soft_offline_page()',
    what: 'soft_offline_page() takes a pfn and gates it with pfn_valid() and pfn_to_online_page(); 5.4 took a struct page and tested is_zone_device_page() on it',
  },
  autoOnlineType: {
    since: '5.7',
    commit: 'mm/memory_hotplug: allow to specify a default online_type',
    approx: true,
    where:
      'mm/memory_hotplug.c: memhp_default_online_type; drivers/base/memory.c: auto_online_blocks_store()',
    what: 'auto_online_blocks accepts online_kernel and online_movable besides online and offline',
  },
  usageKeptIfBootAllocated: {
    since: '5.6',
    commit: 'mm/sparse: fix kernel crash with pfn_section_valid check',
    hash: 'b943f045a9af',
    approx: true,
    where: 'mm/sparse.c: section_deactivate()',
    what: 'an emptied section keeps ms->usage only when it came from the boot allocator (PageReserved of its page); 5.4 kept it for every early section',
  },
  shrinkZoneSpanNoHoleScan: {
    since: '5.6',
    commit: 'mm/memory_hotplug: don\'t check for "all holes" in shrink_zone_span()',
    approx: true,
    where: 'mm/memory_hotplug.c: shrink_zone_span()',
    what: 'shrink_zone_span() moves only an end of the span; 5.4 also scanned the whole old span and emptied a zone left with only holes',
  },
  offlinedPagesNotReserved: {
    since: '5.7',
    commit: "mm/page_alloc.c: don't set pages PageReserved() when offlining",
    approx: true,
    where: 'mm/page_alloc.c: __offline_isolated_pages()',
    what: 'offlined pages are left as they are (to be poisoned); 5.4 set PG_reserved on every one',
  },
  unavailableMemmapReserved: {
    since: '5.7',
    commit: 'mm/page_alloc.c: initialize memmap of unavailable memory directly',
    approx: true,
    where: 'mm/page_alloc.c: init_unavailable_range() (was zero_resv_unavail())',
    what: 'struct pages of boot holes are initialized and marked PG_reserved; 5.4 initialized holes inside a zone span through memmap_init_zone() (refcount 1, not Reserved) and only zeroed the rest',
  },
  earlyMemmapNeverPartlyFreed: {
    since: '5.8',
    commit: 'mm/sparse: never partially remove memmap for early section',
    approx: true,
    where: 'mm/sparse.c: section_deactivate()',
    what: 'a partial removal from an early section keeps its boot memmap; 5.4 called depopulate_section_memmap() for the removed chunk',
  },
  pageIdleOnlinePagesOnly: {
    since: '5.8',
    commit: 'mm/page_idle.c: skip offline pages',
    hash: '92fb1db26eef',
    approx: true,
    where: 'mm/page_idle.c: page_idle_get_page()',
    what: 'page_idle reads only pages pfn_to_online_page() returns; 5.4 used pfn_valid() and pfn_to_page()',
  },
  onlineIsolatesPageblocks: {
    since: '5.10',
    commit: 'mm/memory_hotplug: mark pageblocks MIGRATE_ISOLATE while onlining memory',
    approx: true,
    where: 'mm/memory_hotplug.c: online_pages()',
    what: 'onlined pages are freed into isolated pageblocks and become allocatable only at undo_isolate_page_range(); 5.4 handed them out at once',
  },
  memunmapPutsRefsInBulk: {
    since: '5.10',
    commit: 'mm/memremap_pages: support multiple ranges per invocation',
    hash: 'b7b3c01b1915',
    approx: true,
    where: 'mm/memremap.c: memunmap_pages()',
    what: "memunmap_pages() drops the device pages' pgmap references with one percpu_ref_put_many(); 5.4 called put_page() on every device pfn",
  },
  sectionsPresentFromMemblock: {
    since: '5.10',
    commit: 'mm: remove memory_present()',
    approx: true,
    where: 'mm/sparse.c: memblocks_present()',
    what: 'sparse_init() marks the present sections itself from memblock; 5.4 architectures called memory_present() per region',
  },
  pfnToOnlinePageSubsection: {
    since: '5.12',
    commit: 'mm: teach pfn_to_online_page() to consider subsection validity',
    hash: '9f9b02e5b346',
    where: 'mm/memory_hotplug.c: pfn_to_online_page()',
    what: 'pfn_to_online_page() checks the subsection map after the section ONLINE bit; 5.4 read only the section bit',
  },
  sectionTaintZoneDevice: {
    since: '5.12',
    commit: 'mm: teach pfn_to_online_page() about ZONE_DEVICE section collisions',
    hash: '1f90a3477df3',
    where: 'mm/memory_hotplug.c: move_pfn_range_to_zone(), pfn_to_online_page()',
    what: 'an unaligned ZONE_DEVICE boundary taints its section (SECTION_TAINT_ZONE_DEVICE) and pfn_to_online_page() asks get_dev_pagemap() there',
  },
  x86SubPmdVmemmap: {
    since: '5.12',
    commit: 'x86/vmemmap: Handle unpopulated sub-pmd ranges',
    hash: '8d400913c231',
    where: 'arch/x86/mm/init_64.c: remove_pmd_table(), vmemmap_populate_hugepages()',
    what: 'a freed sub-PMD part of a PMD-mapped vmemmap is tracked and the PMD freed once unused; before, x86 kept the PMD and filled the freed part with 0xFD',
    unmodelled:
      'vmemmap is not modelled as PMD or PTE mappings: a freed memmap chunk reads as not mapped at every release',
  },
  memmapOnMemory: {
    since: '5.13',
    commit: 'mm,memory_hotplug: allocate memmap from the added memory range',
    hash: 'a08a2ae34613',
    where: 'mm/memory_hotplug.c: add_memory_resource(), mhp_supports_memmap_on_memory()',
    what: 'memory_hotplug.memmap_on_memory: a hot-added range may host its own memmap in its first pages',
    unmodelled:
      'add_memory has no memmapOnMemory: the memmap of hot-added memory always comes from other memory',
  },
  autoMovableOnlinePolicy: {
    since: '5.15',
    commit: 'mm/memory_hotplug: memory group aware "auto-movable" online policy',
    approx: true,
    where: 'mm/memory_hotplug.c: auto_movable_zone_for_pfn()',
    what: 'memory_hotplug.online_policy=auto-movable with auto_movable_ratio picks the zone of auto-onlined and default-onlined blocks; before, only contig-zones',
  },
  sectionNidShift6: {
    since: '5.15',
    commit: 'mm/sparse: set SECTION_NID_SHIFT to 6',
    hash: '01c8d337d195',
    where: 'include/linux/mmzone.h: SECTION_NID_SHIFT',
    what: 'the early nid in section_mem_map moves above the taint bit (shift 6); 5.12–5.14 stored it at shift 3, overlapping SECTION_TAINT_ZONE_DEVICE',
  },
  checkPageSpanRemoved: {
    since: '5.18',
    commit: 'usercopy: Remove HARDENED_USERCOPY_PAGESPAN',
    hash: '1109a5d90701',
    where: 'mm/usercopy.c: check_page_span()',
    what: 'hardened usercopy no longer checks that a copy spans only Reserved or only CMA pages',
  },
  deviceCoherentType: {
    since: '6.0',
    commit: 'mm: add zone device coherent type memory support',
    approx: true,
    where: 'include/linux/memremap.h: enum memory_type',
    what: 'MEMORY_DEVICE_COHERENT takes value 2, so FS_DAX, GENERIC and PCI_P2PDMA are 3, 4 and 5; 5.4 numbered PRIVATE 1, FS_DAX 2, DEVDAX 3, PCI_P2PDMA 4',
  },
  sectionFlagsEnum: {
    since: '6.0',
    commit: 'mm: memory_hotplug: enumerate all supported section flags',
    approx: true,
    where: 'include/linux/mmzone.h: enum of SECTION_* flag bits',
    what: 'section flags are an enum and SECTION_NID_SHIFT is the first bit after them (5 with ZONE_DEVICE)',
  },
  kvmReservedPfnGone: {
    since: '6.0',
    commit: 'KVM: Rename/refactor kvm_is_reserved_pfn() to kvm_pfn_to_refcounted_page()',
    approx: true,
    where: 'virt/kvm/kvm_main.c: kvm_is_reserved_pfn()',
    what: "KVM stops reading page_count() and is_zone_device_page() of a Reserved pfn; 5.4's kvm_is_zone_device_pfn() did both with no protection",
  },
  privatePagesRefAtAlloc: {
    since: '6.1',
    commit: 'mm/memremap.c: take a pgmap reference on page allocation',
    hash: '0dc45ca1ce18',
    approx: true,
    where: 'mm/memremap.c: memremap_pages(), memunmap_pages()',
    what: 'DEVICE_PRIVATE pages take their pgmap reference when the driver allocates them, so memremap_pages() takes none for them at set-up',
  },
  pageExtFreedAfterRcu: {
    since: '6.1',
    commit: 'mm: fix use-after free of page_ext after race with memory-offline',
    approx: true,
    where: 'mm/page_ext.c: __free_page_ext(), page_ext_get()',
    what: 'offlining marks ms->page_ext invalid, waits one synchronize_rcu() and frees it; readers take page_ext_get()/page_ext_put() under RCU',
  },
  usageFreedWithKfreeRcu: {
    since: '6.8',
    commit: 'mm/sparsemem: fix race in accessing memory_section->usage',
    hash: '5ec8e8ea8b77',
    where: 'mm/sparse.c: section_deactivate(); include/linux/mmzone.h: pfn_valid()',
    what: 'section_deactivate() clears SECTION_HAS_MEM_MAP first and frees ms->usage with kfree_rcu(); pfn_valid() reads it under RCU (CVE-2023-52489)',
  },
  memmapOnMemoryPerBlock: {
    since: '6.8',
    commit: 'mm/memory_hotplug: split memmap_on_memory requests across memblocks',
    approx: true,
    where: 'mm/memory_hotplug.c: create_altmaps_and_memory_blocks()',
    what: 'memmap_on_memory is applied per memory block of a larger request, and dax/kmem may ask for it; before, the whole request had to be one block',
  },
  pfnSectionValidNullCheck: {
    since: '6.10',
    commit: 'mm: prevent derefencing NULL ptr in pfn_section_valid()',
    hash: '82f0b6f041fa',
    approx: true,
    where: 'include/linux/mmzone.h: pfn_section_valid()',
    what: 'pfn_section_valid() reads ms->usage once and treats NULL as invalid (CVE-2024-41055)',
  },
  hotplugMemmapPageOffline: {
    since: '6.11',
    commit:
      'mm/memory_hotplug: initialize memmap of !ZONE_DEVICE with PageOffline() instead of PageReserved()',
    approx: true,
    where: 'mm/mm_init.c: memmap_init_range()',
    what: "hot-added System RAM's memmap starts PageOffline; 5.4 to 6.10 set PG_reserved (ZONE_DEVICE pages stay Reserved)",
  },
  zoneDeviceRefcountZero: {
    since: '6.15',
    commit: 'fs/dax: Fix ZONE_DEVICE page reference counts',
    hash: '7851bf649d42',
    where: 'mm/mm_init.c: __init_zone_device_page()',
    what: 'FS-DAX, DEVICE_PRIVATE, COHERENT and P2PDMA pages start at refcount 0; GENERIC pages keep 1',
  },
  memoryBlockStateEnum: {
    since: '6.19',
    commit: 'mm: convert memory block states (MEM_*) macros to enum',
    hash: '1a4f70f6851a',
    where: 'include/linux/memory.h: enum memory_block_state',
    what: 'memory block states are an enum (ONLINE, GOING_OFFLINE, OFFLINE, GOING_ONLINE, CANCEL_ONLINE, CANCEL_OFFLINE); the sysfs words are unchanged',
    unmodelled: 'nothing the model shows changes: the sysfs words are the same',
  },
  x86BareMetalMaxBlock: {
    since: '5.16',
    commit: 'x86/mm: Use max memory block size on bare metal',
    approx: true,
    where: 'arch/x86/mm/init_64.c: probe_memory_block_size()',
    what: 'bare metal with at least 64 GiB takes 2 GiB blocks outright; before, and under a hypervisor, the block is the largest power of two up to 2 GiB dividing the end of boot memory',
  },
  minFreeKbytesCap256M: {
    since: '5.7',
    commit: 'mm/page_alloc.c: increase default min_free_kbytes bound',
    approx: true,
    where: 'mm/page_alloc.c: init_per_zone_wmark_min()',
    what: 'the computed min_free_kbytes is capped at 256 MiB instead of 64 MiB',
  },
  zoneinfoBoostLine: {
    since: '5.6',
    commit: '(title unconfirmed) /proc/zoneinfo prints the watermark boost',
    approx: true,
    where: 'mm/vmstat.c: zoneinfo_show_print()',
    what: '/proc/zoneinfo prints a "boost" line after "pages free"; 5.4 does not',
  },
  zoneinfoCmaLine: {
    since: '5.6',
    commit: "(title unconfirmed) /proc/zoneinfo prints a zone's CMA pages",
    approx: true,
    where: 'mm/vmstat.c: zoneinfo_show_print()',
    what: '/proc/zoneinfo prints a "cma" line after "managed"',
  },
  promoWatermark: {
    since: '6.1',
    commit: 'memory tiering: hot page selection with hint page fault latency',
    approx: true,
    where: 'mm/page_alloc.c: __setup_per_zone_wmarks(); mm/vmstat.c: zoneinfo_show_print()',
    what: 'zones get a WMARK_PROMO watermark and /proc/zoneinfo prints "promo"',
  },
  pcpHighMinMax: {
    since: '6.7',
    commit: 'mm, pcp: decrease PCP high if free pages < high watermark',
    approx: true,
    where: 'mm/vmstat.c: zoneinfo_show_print()',
    what: 'the pagesets of /proc/zoneinfo print high_min and high_max, with a larger default batch',
  },
  zoneinfoHighatomicLines: {
    since: '6.11',
    commit: '(title unconfirmed) /proc/zoneinfo prints reserved_highatomic and free_highatomic',
    approx: true,
    where: 'mm/vmstat.c: zoneinfo_show_print()',
    what: '/proc/zoneinfo ends each populated zone with reserved_highatomic and free_highatomic',
  },
  offlineRefusesHoles: {
    since: '5.5',
    commit: "mm/memory_hotplug.c: don't allow to online/offline memory blocks with holes",
    hash: 'c5e79ef561b0',
    approx: true,
    where: 'mm/memory_hotplug.c: __offline_pages()',
    what: 'offlining a block that is not all System RAM fails with -EINVAL ("memory holes"); 5.4 isolates the holes too: their pages (refcount 1, not Reserved) are unmovable in a kernel zone (-EBUSY) and pass in ZONE_MOVABLE',
  },
  memoryBlockZone: {
    since: '5.18',
    commit: 'drivers/base/memory: determine and store zone for single-zone memory blocks',
    hash: '395f6081bad4',
    approx: true,
    where:
      'drivers/base/memory.c: valid_zones_show(), memory_block_offline(); mm/memory_hotplug.c: test_pages_in_a_zone()',
    what: "valid_zones and offlining read the block's zone (mem->zone, from the zones a boot block intersects); before, test_pages_in_a_zone() walked the memmap and failed (valid_zones 'none', offline -EINVAL) for a block leaving its zone's span or mixing zones",
  },
  percpuRefExitAfterUnmap: {
    since: '6.0',
    commit: 'mm/memremap: fix memunmap_pages() race with get_dev_pagemap()',
    approx: true,
    where: 'mm/memremap.c: memunmap_pages()',
    what: 'percpu_ref_exit() runs after pageunmap_range() has taken the pgmap out of pgmap_array; 5.4 ran it in dev_pagemap_cleanup(), right after wait_for_completion() and before mem_hotplug_begin()',
  },
} as const satisfies Record<string, Behaviour>;

export type BehaviourName = keyof typeof BEHAVIOURS;

export const BEHAVIOUR_NAMES = Object.keys(BEHAVIOURS) as readonly BehaviourName[];
