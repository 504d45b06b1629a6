/**
 * Word layouts of the records that live in model memory. Each is the model's
 * rendition of a kernel structure; field names follow the kernel's.
 *
 * Every reader-visible structure is here, so that the CLI, the explorer and the
 * stress workers read the very same words.
 */

/** The globals block, allocated first at a fixed address. */
export const GLOBALS_ADDR = 3;
export const G_ROOTS = 0; // mem_section: the root pointer array (NR_SECTION_ROOTS words)
export const G_PGMAP_TABLE = 1; // the pgmap table (pgmap_array + struct dev_pagemap)
export const G_HIGHEST_PRESENT_SECTION = 2; // __highest_present_section_nr
export const G_HOTPLUG_LOCK = 3; // mem_hotplug_lock, for designs that take it
export const G_RCU = 4; // RCU state block, when a design uses RCU
export const G_PAGE_EXT_READERS = 5; // page_ext_get() readers inside (what synchronize_rcu() waits for)
/**
 * ms->page_ext, kept beside the section records: a table of NR_SECTION_ROOTS words, each a
 * root's SECTIONS_PER_ROOT page_ext pointers, made on first use (page_owner=on), so a machine
 * without page_ext keeps every other address where it was.
 */
export const G_PAGE_EXT = 6;
export const GLOBALS_WORDS = 16;

/** The mem_hotplug_lock word: a count of readers, or WRITER while a writer holds it. */
export const HOTPLUG_LOCK_WRITER = 1 << 30;
/** sem->block of the percpu rwsem: a writer is waiting, so new readers wait too. */
export const HOTPLUG_LOCK_BLOCK = 1 << 29;
/** The lock word's reader count: what is left with the writer bits masked off. */
export const HOTPLUG_LOCK_READERS = HOTPLUG_LOCK_BLOCK - 1;

/** struct mem_section: SECTION_WORDS words per section inside a root. */
export const S_FLAGS = 0; // the low flag bits of section_mem_map (and the early nid)
export const S_MEMMAP = 1; // the encoded mem_map: here, the section's memmap node
export const S_USAGE = 2; // ms->usage
export const S_NID = 3; // set_section_nid()
export const SECTION_WORDS = 4;
/**
 * page_ext_invalid(): the kernel sets the pointer's low bit (PAGE_EXT_INVALID) while offlining
 * (6.1); model addresses are word indexes with no alignment to spare, so the mark is a high bit.
 */
export const PAGE_EXT_INVALID = 1 << 30;

/** section_mem_map flag bits (identical bit positions in 5.4 and 6.19). */
export const SECTION_MARKED_PRESENT = 1 << 0;
export const SECTION_HAS_MEM_MAP = 1 << 1;
export const SECTION_IS_ONLINE = 1 << 2;
export const SECTION_IS_EARLY = 1 << 3;
/** v5.12+: set on sections where ZONE_DEVICE collides with System RAM. */
export const SECTION_TAINT_ZONE_DEVICE = 1 << 4;

/** struct mem_section_usage: [flags][subsection_map][design bitmaps...]. */
export const U_FLAGS = 0;
/** U_FLAGS bit: the usage came from the boot memblock chunk (PageReserved(virt_to_page(usage))). */
export const USAGE_BOOT_ALLOCATED = 1;
export const U_SUBSECTION_MAP = 1;
/** Per-subsection bitmaps designs may keep in the usage record besides subsection_map. */
export const USAGE_DESIGN_BITMAPS = 8;

/** A memmap node: the memmap of a section (level 0) or of a subsection (level 1). */
export const N_STATE = 0; // NODE_FREE, NODE_UNIFORM or NODE_SPLIT
export const N_GEN = 1; // generation: unique per allocation, to catch reuse
export const N_OWNER = 2; // section number (level 0) or global subsection number (level 1)
export const N_CHILD = 3; // level 0: subsection directory; level 1: per-page array
export const N_PAGE = 4; // the uniform struct page, valid while N_STATE is NODE_UNIFORM
export const NODE_FREE = 0;
export const NODE_UNIFORM = 1;
export const NODE_SPLIT = 2;

/** struct page: PAGE_WORDS words. */
export const P_FLAGS = 0;
export const P_REFCOUNT = 1;
export const P_PGMAP = 2; // pgmap id, valid for ZONE_DEVICE pages
export const PAGE_WORDS = 3;
export const NODE_WORDS = N_PAGE + PAGE_WORDS;

/** The pgmap table: PGMAP_SLOTS records of PGMAP_WORDS. */
export const PGMAP_SLOTS = 64;
export const PG_IN_ARRAY = 0; // 1 while xa_store_range() has it in pgmap_array
export const PG_REF_LIVE = 1; // 1 until percpu_ref_kill()
export const PG_ID = 2; // the pgmap's numeric id (1-based)
export const PG_TYPE = 3; // enum memory_type
export const PG_START_LO = 4; // first pfn, low 32 bits
export const PG_START_HI = 5;
export const PG_END_LO = 6; // one past the last pfn
export const PG_END_HI = 7;
export const PG_REFCOUNT = 8;
export const PGMAP_WORDS = 9;

/** Store a pfn (< 2^53) as two words. */
export function pfnLo(pfn: number): number {
  return (pfn % 4294967296) | 0;
}

export function pfnHi(pfn: number): number {
  return Math.floor(pfn / 4294967296);
}

export function joinPfn(lo: number, hi: number): number {
  return hi * 4294967296 + (lo >>> 0);
}
