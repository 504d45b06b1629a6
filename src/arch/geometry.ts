/**
 * The SPARSEMEM geometry of one machine: every constant the kernel derives from
 * PAGE_SHIFT, SECTION_SIZE_BITS and MAX_PHYSMEM_BITS (include/linux/mmzone.h),
 * plus the memory-block size and the zone limits of the architecture.
 *
 * pfns and physical addresses are plain numbers: MAX_PHYSMEM_BITS <= 52 keeps
 * every address below 2^53. JavaScript's bitwise operators are 32-bit, so pfn
 * arithmetic here uses multiplication and Math.floor, never `>>` or `&`.
 */

import type { KernelRelease } from '../kernel/index.js';

/** Which mainline release's behaviours the model follows (src/kernel names what differs). */
export type KernelVersion = KernelRelease;

/** SUBSECTION_SHIFT: hard-coded to 2 MiB and independent of the architecture. */
export const SUBSECTION_SHIFT = 21;

/** sizeof(struct page) on 64-bit kernels without debug options. */
export const STRUCT_PAGE_SIZE = 64;

/** sizeof(struct mem_section) on 64-bit without CONFIG_PAGE_EXTENSION. */
export const MEM_SECTION_SIZE = 16;

/** The inputs a preset (or a scenario's overrides) fixes; everything else is derived. */
export interface GeometryParams {
  readonly arch: string;
  readonly kernel: KernelVersion;
  readonly pageShift: number;
  readonly sectionSizeBits: number;
  readonly maxPhysmemBits: number;
  /** SECTIONS_PER_ROOT; PAGE_SIZE / sizeof(struct mem_section) unless overridden. */
  readonly sectionsPerRoot: number;
  /** Bytes; null means "apply the architecture's memory_block_size_bytes() rule at boot". */
  readonly memoryBlockSize: number | null;
  /** x86 rule input: whether X86_FEATURE_HYPERVISOR is set. */
  readonly hypervisor: boolean;
  readonly pageblockOrder: number;
  /** MAX_PAGE_ORDER (6.19 naming; 5.4's MAX_ORDER - 1). */
  readonly maxPageOrder: number;
  /** End (exclusive, bytes) of ZONE_DMA, or 0 when the architecture has no ZONE_DMA. */
  readonly zoneDmaLimit: number;
  /** End (exclusive, bytes) of ZONE_DMA32, or 0 when there is no ZONE_DMA32. */
  readonly zoneDma32Limit: number;
  /** The rule memory_block_size_bytes() follows when memoryBlockSize is null. */
  readonly blockSizeRule: 'x86' | 'section';
}

/** Every derived constant, named after the kernel macro it models. */
export interface Geometry extends GeometryParams {
  readonly pageSize: number;
  readonly pfnSectionShift: number;
  readonly pagesPerSection: number;
  readonly pfnSubsectionShift: number;
  readonly pagesPerSubsection: number;
  readonly subsectionsPerSection: number;
  readonly sectionsShift: number;
  readonly nrMemSections: number;
  readonly nrSectionRoots: number;
  readonly sectionSize: number;
  readonly subsectionSize: number;
  readonly pageblockNrPages: number;
  /** One past the highest pfn MAX_PHYSMEM_BITS allows. */
  readonly maxPfn: number;
  /** Words of one subsection bitmap (32 subsections per word). */
  readonly subsectionMapWords: number;
  /** log2(SECTIONS_PER_ROOT): section numbers fit 32 bits, so roots are found with shifts. */
  readonly rootShift: number;
}

export class GeometryError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = 'GeometryError';
  }
}

function requireInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GeometryError(`${field} must be an integer in [${min}, ${max}], got ${value}`, field, value);
  }
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n));
}

/** ZONE_DMA ends at or below ZONE_DMA32's end (0: the zone does not exist), within the physical address space. */
function checkZoneLimits(p: GeometryParams): void {
  for (const field of ['zoneDmaLimit', 'zoneDma32Limit'] as const) {
    const v = p[field];
    if (!Number.isInteger(v) || v < 0 || v % 2 ** p.pageShift !== 0 || v > 2 ** p.maxPhysmemBits)
      throw new GeometryError(
        `${field} must be 0 or a page-aligned address within MAX_PHYSMEM_BITS, got ${v}`,
        field,
        v,
      );
  }
  if (p.zoneDmaLimit > 0 && p.zoneDma32Limit > 0 && p.zoneDmaLimit > p.zoneDma32Limit)
    throw new GeometryError(
      `zoneDmaLimit (${p.zoneDmaLimit}) lies above zoneDma32Limit (${p.zoneDma32Limit}): ZONE_DMA comes first`,
      'zoneDmaLimit',
      p.zoneDmaLimit,
    );
}

/** Derive every constant and check the build-time assertions the kernel makes. */
export function deriveGeometry(p: GeometryParams): Geometry {
  requireInt('pageShift', p.pageShift, 12, 18);
  requireInt('sectionSizeBits', p.sectionSizeBits, SUBSECTION_SHIFT, 40);
  requireInt('maxPhysmemBits', p.maxPhysmemBits, p.sectionSizeBits, 52);
  requireInt('maxPageOrder', p.maxPageOrder, 0, 20);
  // pageblock_order is capped at MAX_PAGE_ORDER and a pageblock never spans sections; a preset's
  // value can break that when only the page or section size is overridden, so say which to set.
  const maxPageblockOrder = Math.min(p.maxPageOrder, p.sectionSizeBits - p.pageShift);
  if (!Number.isInteger(p.pageblockOrder) || p.pageblockOrder < 0 || p.pageblockOrder > maxPageblockOrder)
    throw new GeometryError(
      `pageblockOrder must be an integer in [0, ${maxPageblockOrder}] (at most MAX_PAGE_ORDER and SECTION_SIZE_BITS - PAGE_SHIFT), got ${p.pageblockOrder}: with a changed page or section size, override pageblockOrder too`,
      'pageblockOrder',
      p.pageblockOrder,
    );
  checkZoneLimits(p);
  if (p.maxPageOrder + p.pageShift > p.sectionSizeBits) {
    // The allocator sanity check in include/linux/mmzone.h.
    throw new GeometryError(
      `MAX_PAGE_ORDER + PAGE_SHIFT (${p.maxPageOrder + p.pageShift}) exceeds SECTION_SIZE_BITS (${p.sectionSizeBits})`,
      'maxPageOrder',
      p.maxPageOrder,
    );
  }
  if (!isPowerOfTwo(p.sectionsPerRoot)) {
    throw new GeometryError(
      `sectionsPerRoot must be a power of two, got ${p.sectionsPerRoot}`,
      'sectionsPerRoot',
      p.sectionsPerRoot,
    );
  }
  const pageSize = 2 ** p.pageShift;
  const pfnSectionShift = p.sectionSizeBits - p.pageShift;
  const pagesPerSection = 2 ** pfnSectionShift;
  const pfnSubsectionShift = SUBSECTION_SHIFT - p.pageShift;
  const subsectionsPerSection = 2 ** (p.sectionSizeBits - SUBSECTION_SHIFT);
  const sectionsShift = p.maxPhysmemBits - p.sectionSizeBits;
  const nrMemSections = 2 ** sectionsShift;
  if (pfnSubsectionShift < 0) {
    throw new GeometryError('PAGE_SHIFT larger than SUBSECTION_SHIFT', 'pageShift', p.pageShift);
  }
  if (nrMemSections > 2 ** 30) {
    throw new GeometryError(
      `NR_MEM_SECTIONS (${nrMemSections}) is too large`,
      'maxPhysmemBits',
      p.maxPhysmemBits,
    );
  }
  const sectionSize = 2 ** p.sectionSizeBits;
  if (p.memoryBlockSize !== null) {
    if (!isPowerOfTwo(p.memoryBlockSize / sectionSize) || p.memoryBlockSize % sectionSize !== 0) {
      throw new GeometryError(
        `memoryBlockSize must be a power-of-two multiple of the section size (${sectionSize}), got ${p.memoryBlockSize}`,
        'memoryBlockSize',
        p.memoryBlockSize,
      );
    }
  }
  return {
    ...p,
    pageSize,
    pfnSectionShift,
    pagesPerSection,
    pfnSubsectionShift,
    pagesPerSubsection: 2 ** pfnSubsectionShift,
    subsectionsPerSection,
    sectionsShift,
    nrMemSections,
    nrSectionRoots: Math.ceil(nrMemSections / p.sectionsPerRoot),
    sectionSize,
    subsectionSize: 2 ** SUBSECTION_SHIFT,
    pageblockNrPages: 2 ** p.pageblockOrder,
    maxPfn: 2 ** (p.maxPhysmemBits - p.pageShift),
    subsectionMapWords: Math.ceil(subsectionsPerSection / 32),
    rootShift: Math.log2(p.sectionsPerRoot),
  };
}
