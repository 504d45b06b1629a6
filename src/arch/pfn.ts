/**
 * pfn arithmetic implied by a Geometry: the kernel's pfn_to_section_nr(),
 * section_nr_to_pfn(), subsection_map_index(), SECTION_NR_TO_ROOT() and the
 * memory-block id of a section. Plain float arithmetic, exact below 2^53.
 */
import { InputError } from '../errors.js';
import type { Geometry } from './geometry.js';

/** pfn_to_section_nr() */
export function pfnToSectionNr(g: Geometry, pfn: number): number {
  return Math.floor(pfn / g.pagesPerSection);
}

/** section_nr_to_pfn() */
export function sectionNrToPfn(g: Geometry, nr: number): number {
  return nr * g.pagesPerSection;
}

/** subsection_map_index(): the subsection of pfn inside its section. */
export function subsectionMapIndex(g: Geometry, pfn: number): number {
  return offsetInSection(g, pfn, Math.floor(pfn / g.pagesPerSection)) >>> g.pfnSubsectionShift;
}

/**
 * pfn's offset inside section nr, as a 32-bit integer. Hot paths use this
 * rather than `pfn % PAGES_PER_SECTION`: a double modulus is a library call.
 */
export function offsetInSection(g: Geometry, pfn: number, nr: number): number {
  return (pfn - nr * g.pagesPerSection) | 0;
}

/** SECTION_NR_TO_ROOT() */
export function sectionNrToRoot(g: Geometry, nr: number): number {
  return Math.floor(nr / g.sectionsPerRoot);
}

/** PFN_PHYS() */
export function pfnPhys(g: Geometry, pfn: number): number {
  return pfn * g.pageSize;
}

/** memory_block_id(): the sysfs memoryN number of a section. */
export function sectionNrToBlockId(nr: number, sectionsPerBlock: number): number {
  return Math.floor(nr / sectionsPerBlock);
}

/** The location of a pfn in every SPARSEMEM structure that indexes it. */
export interface PfnLocation {
  readonly pfn: number;
  readonly phys: number;
  readonly section: number;
  readonly root: number;
  readonly rootIndex: number;
  readonly subsection: number;
  readonly block: number;
}

export function locatePfn(g: Geometry, pfn: number, sectionsPerBlock: number): PfnLocation {
  const section = pfnToSectionNr(g, pfn);
  return {
    pfn,
    phys: pfnPhys(g, pfn),
    section,
    root: sectionNrToRoot(g, section),
    rootIndex: section & (g.sectionsPerRoot - 1),
    subsection: subsectionMapIndex(g, pfn),
    block: sectionNrToBlockId(section, sectionsPerBlock),
  };
}

/** A pfn the architecture can address at all (below 2^(MAX_PHYSMEM_BITS - PAGE_SHIFT)), or one line saying why not. */
export function checkPfnWithinPhysmem(g: Geometry, pfn: number, text: string, where: string): void {
  if (pfn >= g.maxPfn)
    throw new InputError(
      where,
      `unknown pfn ${text}: beyond MAX_PHYSMEM_BITS (${g.maxPhysmemBits}) of ${g.arch}`,
      pfn,
    );
}
