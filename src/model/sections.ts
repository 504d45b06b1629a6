/**
 * mem_section: the SPARSEMEM_EXTREME two-level section table and the usage
 * records hanging off it (mm/sparse.c, include/linux/mmzone.h).
 *
 * Reader side: small predicates named after the kernel's, taking any
 * Words, so that designs run them on plain, shared or instrumented memory.
 * Writer side: SectionTable, which allocates roots and usage records and flips
 * flag bits.
 */
import type { Geometry } from '../arch/geometry.js';
import { offsetInSection } from '../arch/pfn.js';
import { resolveKernel } from '../kernel/index.js';
import {
  G_HIGHEST_PRESENT_SECTION,
  G_PAGE_EXT,
  G_ROOTS,
  GLOBALS_ADDR,
  S_FLAGS,
  S_MEMMAP,
  S_NID,
  S_USAGE,
  SECTION_HAS_MEM_MAP,
  SECTION_IS_EARLY,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
  SECTION_TAINT_ZONE_DEVICE,
  SECTION_WORDS,
  U_FLAGS,
  U_SUBSECTION_MAP,
  USAGE_BOOT_ALLOCATED,
  USAGE_DESIGN_BITMAPS,
} from './layout.js';
import { MemKind, type Memory, NULL } from './memory.js';

/**
 * What readers read: model memory as an indexable array of 32-bit words. An
 * Int32Array (plain or over a SharedArrayBuffer) is one; the explorer passes a
 * Proxy that turns every access into a scheduling point. Readers index it
 * directly because that is what V8 compiles best on the hot paths.
 */
export interface Words {
  readonly [addr: number]: number;
}

/** The address of the root pointer array (fixed once the machine exists). */
export function rootsAddr(mem: Words): number {
  return mem[GLOBALS_ADDR + G_ROOTS];
}

/** __nr_to_section(): the section record's address, or NULL when its root is absent. */
export function nrToSection(mem: Words, g: Geometry, nr: number): number {
  if (nr >= g.nrMemSections) return NULL;
  const root = mem[rootsAddr(mem) + (nr >>> g.rootShift)];
  if (root === NULL) return NULL;
  return root + (nr & (g.sectionsPerRoot - 1)) * SECTION_WORDS;
}

/** Where ms->page_ext of section nr is kept (G_PAGE_EXT), or NULL while it has never had one. */
export function pageExtSlot(mem: Words, g: Geometry, nr: number): number {
  const table = mem[GLOBALS_ADDR + G_PAGE_EXT];
  if (table === NULL || nr >= g.nrMemSections) return NULL;
  const root = mem[table + (nr >>> g.rootShift)];
  return root === NULL ? NULL : root + (nr & (g.sectionsPerRoot - 1));
}

/** __pfn_to_section() */
export function pfnToSection(mem: Words, g: Geometry, pfn: number): number {
  return nrToSection(mem, g, Math.floor(pfn / g.pagesPerSection));
}

export function sectionFlags(mem: Words, ms: number): number {
  return ms === NULL ? 0 : mem[ms + S_FLAGS];
}

/** present_section() */
export function presentSection(mem: Words, ms: number): boolean {
  return (sectionFlags(mem, ms) & SECTION_MARKED_PRESENT) !== 0;
}

/** valid_section(): the section has a memmap (SECTION_HAS_MEM_MAP). */
export function validSection(mem: Words, ms: number): boolean {
  return (sectionFlags(mem, ms) & SECTION_HAS_MEM_MAP) !== 0;
}

/** online_section() */
export function onlineSection(mem: Words, ms: number): boolean {
  return (sectionFlags(mem, ms) & SECTION_IS_ONLINE) !== 0;
}

/** early_section() */
export function earlySection(mem: Words, ms: number): boolean {
  return (sectionFlags(mem, ms) & SECTION_IS_EARLY) !== 0;
}

/** online_device_section() (6.x): ONLINE and TAINT_ZONE_DEVICE both set. */
export function onlineDeviceSection(mem: Words, ms: number): boolean {
  const want = SECTION_IS_ONLINE | SECTION_TAINT_ZONE_DEVICE;
  return (sectionFlags(mem, ms) & want) === want;
}

/** Test bit `index` of a per-subsection bitmap starting at `addr`. */
export function testSubsectionBit(mem: Words, addr: number, index: number): boolean {
  return (mem[addr + (index >>> 5)] & (1 << (index & 31))) !== 0;
}

/** The word offset inside a usage record of design bitmap `slot` (0 is subsection_map). */
export function usageBitmapOffset(g: Geometry, slot: number): number {
  return U_SUBSECTION_MAP + slot * g.subsectionMapWords;
}

/** pfn_section_valid() (6.x form: a NULL usage reads as invalid). */
export function pfnSectionValid(mem: Words, g: Geometry, ms: number, pfn: number): boolean {
  const usage = mem[ms + S_USAGE];
  if (usage === NULL) {
    // pfnSectionValidNullCheck (include/linux/mmzone.h pfn_section_valid(), 6.10) reads a NULL
    // usage as invalid. Before it the subsection map is read through the NULL pointer: the read of
    // word NULL stands for that oops (the explorer reports it), and its 0 for the bit.
    if (!resolveKernel(g.kernel).pfnSectionValidNullCheck) return mem[NULL] !== 0;
    return false;
  }
  const idx = offsetInSection(g, pfn, Math.floor(pfn / g.pagesPerSection)) >>> g.pfnSubsectionShift;
  return testSubsectionBit(mem, usage + U_SUBSECTION_MAP, idx);
}

export function usageWords(g: Geometry): number {
  return U_SUBSECTION_MAP + (1 + USAGE_DESIGN_BITMAPS) * g.subsectionMapWords;
}

/**
 * The writer side of the section table. Only the thread running kernel
 * operations uses it.
 */
export class SectionTable {
  readonly roots: number;

  constructor(
    private readonly mem: Memory,
    private readonly g: Geometry,
  ) {
    this.roots = mem.load(GLOBALS_ADDR + G_ROOTS);
  }

  /** __nr_to_section() */
  section(nr: number): number {
    return nrToSection(this.mem.words, this.g, nr);
  }

  /** sparse_index_init(): allocate the root holding section nr on first use. */
  indexInit(nr: number): number {
    const rootSlot = this.roots + Math.floor(nr / this.g.sectionsPerRoot);
    let root = this.mem.load(rootSlot);
    if (root === NULL) {
      root = this.mem.alloc(this.g.sectionsPerRoot * SECTION_WORDS, MemKind.SectionRoot);
      // The memmap pointer stands for the vmemmap mapping, not for a word the kernel loads.
      for (let i = 0; i < this.g.sectionsPerRoot; i++)
        this.mem.setKind(root + i * SECTION_WORDS + S_MEMMAP, 1, MemKind.Vmemmap);
      this.mem.store(rootSlot, root);
    }
    return root + (nr & (this.g.sectionsPerRoot - 1)) * SECTION_WORDS;
  }

  flags(ms: number): number {
    return this.mem.load(ms + S_FLAGS);
  }

  setFlags(ms: number, bits: number): void {
    this.mem.store(ms + S_FLAGS, this.mem.load(ms + S_FLAGS) | bits);
  }

  clearFlags(ms: number, bits: number): void {
    this.mem.store(ms + S_FLAGS, this.mem.load(ms + S_FLAGS) & ~bits);
  }

  writeFlags(ms: number, value: number): void {
    this.mem.store(ms + S_FLAGS, value);
  }

  memmap(ms: number): number {
    return this.mem.load(ms + S_MEMMAP);
  }

  setMemmap(ms: number, node: number): void {
    this.mem.store(ms + S_MEMMAP, node);
  }

  usage(ms: number): number {
    return this.mem.load(ms + S_USAGE);
  }

  setUsage(ms: number, usage: number): void {
    this.mem.store(ms + S_USAGE, usage);
  }

  nid(ms: number): number {
    return this.mem.load(ms + S_NID);
  }

  /** set_section_nid() */
  setNid(ms: number, nid: number): void {
    this.mem.store(ms + S_NID, nid);
  }

  /** ms->page_ext of section nr (with PAGE_EXT_INVALID while offlining marks it), or NULL. */
  pageExt(nr: number): number {
    const slot = pageExtSlot(this.mem.words, this.g, nr);
    return slot === NULL ? NULL : this.mem.load(slot);
  }

  setPageExt(nr: number, v: number): void {
    const at = GLOBALS_ADDR + G_PAGE_EXT;
    if (this.mem.load(at) === NULL)
      this.mem.store(at, this.mem.alloc(this.g.nrSectionRoots, MemKind.PageExt));
    const table = this.mem.load(at) + (nr >>> this.g.rootShift);
    if (this.mem.load(table) === NULL)
      this.mem.store(table, this.mem.alloc(this.g.sectionsPerRoot, MemKind.PageExt));
    this.mem.store(this.mem.load(table) + (nr & (this.g.sectionsPerRoot - 1)), v);
  }

  /** __section_mark_present(): also tracks __highest_present_section_nr. */
  markPresent(ms: number, nr: number): void {
    const highest = GLOBALS_ADDR + G_HIGHEST_PRESENT_SECTION;
    if (nr > this.mem.load(highest)) this.mem.store(highest, nr);
    this.setFlags(ms, SECTION_MARKED_PRESENT);
  }

  /** kzalloc() of a mem_section_usage; boot usage comes from one memblock chunk per node. */
  allocUsage(bootAllocated: boolean): number {
    const usage = this.mem.alloc(usageWords(this.g), MemKind.Usage);
    if (bootAllocated) this.mem.store(usage + U_FLAGS, USAGE_BOOT_ALLOCATED);
    return usage;
  }

  isBootUsage(usage: number): boolean {
    return (this.mem.load(usage + U_FLAGS) & USAGE_BOOT_ALLOCATED) !== 0;
  }

  /** Set or clear subsections [first, first+count) of bitmap `slot` in a usage record. */
  writeSubsectionBits(usage: number, slot: number, first: number, count: number, set: boolean): void {
    const base = usage + usageBitmapOffset(this.g, slot);
    const end = first + count;
    // A word at a time: the bits of [first, end) that fall in word w.
    for (let w = first >>> 5; w << 5 < end; w++) {
      const lo = Math.max(first, w << 5) & 31;
      const hi = Math.min(end, (w + 1) << 5) - (w << 5);
      const mask = (hi === 32 ? -1 : (1 << hi) - 1) & ~((1 << lo) - 1);
      const word = this.mem.load(base + w);
      this.mem.store(base + w, set ? word | mask : word & ~mask);
    }
  }

  /** Set in bitmap `to` every subsection set in bitmap `from` of the same usage record. */
  orBitmap(usage: number, from: number, to: number): void {
    const src = usage + usageBitmapOffset(this.g, from);
    const dst = usage + usageBitmapOffset(this.g, to);
    for (let w = 0; w < this.g.subsectionMapWords; w++) {
      const bits = this.mem.load(src + w);
      if (bits !== 0) this.mem.store(dst + w, this.mem.load(dst + w) | bits);
    }
  }

  testSubsection(usage: number, slot: number, index: number): boolean {
    return testSubsectionBit(this.mem.words, usage + usageBitmapOffset(this.g, slot), index);
  }

  /** Is every bit of bitmap `slot` clear? (is_subsection_map_empty() for slot 0) */
  bitmapEmpty(usage: number, slot: number): boolean {
    const base = usage + usageBitmapOffset(this.g, slot);
    for (let w = 0; w < this.g.subsectionMapWords; w++) if (this.mem.load(base + w) !== 0) return false;
    return true;
  }

  /** for_each_present_section_nr(): the numbers of sections with SECTION_MARKED_PRESENT, ascending. */
  *presentSectionNrs(): Generator<number> {
    const g = this.g;
    for (let r = 0; r < g.nrSectionRoots; r++) {
      const root = this.mem.load(this.roots + r);
      if (root === NULL) continue;
      for (let i = 0; i < g.sectionsPerRoot; i++) {
        if (this.mem.load(root + i * SECTION_WORDS + S_FLAGS) & SECTION_MARKED_PRESENT)
          yield r * g.sectionsPerRoot + i;
      }
    }
  }

  /**
   * Numbers of sections whose record has any state at all (flags, memmap or usage), ascending:
   * one pass over the roots present, reading the words directly (a 16 TiB machine's 131,072
   * sections in a few ms; the generator it replaces took 30-60 ms of every viewer map).
   */
  allocatedSectionNrs(): number[] {
    const g = this.g;
    const w = this.mem.words;
    const out: number[] = [];
    for (let r = 0; r < g.nrSectionRoots; r++) {
      const root = w[this.roots + r];
      if (root === NULL) continue;
      const base = r * g.sectionsPerRoot;
      for (let i = 0, ms = root; i < g.sectionsPerRoot; i++, ms += SECTION_WORDS)
        if (w[ms + S_FLAGS] | w[ms + S_MEMMAP] | w[ms + S_USAGE]) out.push(base + i);
    }
    return out;
  }

  /** The subsection indices set in bitmap `slot`. */
  bitmapIndices(usage: number, slot: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.g.subsectionsPerSection; i++)
      if (this.testSubsection(usage, slot, i)) out.push(i);
    return out;
  }
}
