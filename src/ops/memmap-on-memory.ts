/**
 * memory_hotplug.memmap_on_memory (5.13): a hot-added range hosts its own memmap in its first
 * pages, allocated through an altmap while its sections are populated (vmemmap_populate()).
 * Whether a request gets it is mhp_supports_memmap_on_memory() (mm/memory_hotplug.c); when it
 * does not, add_memory_resource() quietly takes the memmap from other memory, as before.
 *
 * 5.13 to 6.7 (a08a2ae34613): the request must be exactly one memory block, the memmap of that
 * block must fill whole PMDs and what is left must be pageblock aligned; the altmap belongs to
 * the request. memmapOnMemoryPerBlock (6.8, create_altmaps_and_memory_blocks()): a request of
 * any number of blocks gets one altmap per block, on the same rules per block (the memmap pages
 * pageblock aligned, not the whole block, PMD-sized: arch_supports_memmap_on_memory()).
 */
import { STRUCT_PAGE_SIZE } from '../arch/geometry.js';
import { BEHAVIOURS, kernelOf } from '../kernel/index.js';
import type { Machine } from '../model/machine.js';
import { formatSize } from '../units.js';

/** Per memory block: how many of its first pages hold its memmap (mhp_altmap.free). */
export type MemmapOnMemory =
  | { readonly selfHosted: true; readonly vmemmapPages: number }
  | { readonly selfHosted: false; readonly why: string };

/** PMD_SIZE: one page of page-table entries (8 bytes each) maps this much with base pages. */
function pmdSize(pageSize: number): number {
  return pageSize * (pageSize / 8);
}

/** memory_block_memmap_on_memory_pages(): PFN_UP(memory_block_memmap_size()). */
export function memoryBlockMemmapPages(m: Machine): number {
  return Math.ceil((m.pagesPerBlock() * STRUCT_PAGE_SIZE) / m.g.pageSize);
}

/** mhp_supports_memmap_on_memory() for an add_memory() of `size` bytes at this machine's release. */
export function mhpSupportsMemmapOnMemory(m: Machine, size: number): MemmapOnMemory {
  const vmemmapSize = m.pagesPerBlock() * STRUCT_PAGE_SIZE;
  const pages = memoryBlockMemmapPages(m);
  const pmd = pmdSize(m.g.pageSize);
  const no = (why: string): MemmapOnMemory => ({ selfHosted: false, why });
  if (!kernelOf(m.g).memmapOnMemoryPerBlock && size !== m.blockSize)
    return no(
      `the request is ${formatSize(size)}, not one memory block (${formatSize(m.blockSize)}); per-block altmaps came in ${BEHAVIOURS.memmapOnMemoryPerBlock.since}`,
    );
  if (vmemmapSize % pmd !== 0)
    return no(`a block's memmap (${formatSize(vmemmapSize)}) does not fill whole PMDs (${formatSize(pmd)})`);
  const rest = kernelOf(m.g).memmapOnMemoryPerBlock ? pages : m.pagesPerBlock() - pages;
  if (rest % m.g.pageblockNrPages !== 0)
    return no(
      `${kernelOf(m.g).memmapOnMemoryPerBlock ? 'the memmap pages' : 'what is left after the memmap'} (${rest} pages) are not pageblock aligned (${m.g.pageblockNrPages} pages)`,
    );
  if (pages >= m.pagesPerBlock()) return no('the memmap would fill the whole block');
  return { selfHosted: true, vmemmapPages: pages };
}
