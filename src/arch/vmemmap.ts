/**
 * Where an architecture's vmemmap_populate() takes the memmap of device memory from, by the
 * size of the range it is asked to map (one section chunk of __add_pages() at a time).
 */
import { type Geometry, STRUCT_PAGE_SIZE } from './geometry.js';

/** x86-64's PMD: vmemmap_populate_hugepages() maps (and takes from the altmap) 2 MiB at a time. */
const X86_PMD_SIZE = 2 * 2 ** 20;

/**
 * The pfns of an altmap that mapping `pfns` pages of one section takes. x86-64
 * (arch/x86/mm/init_64.c vmemmap_populate(), 5.4 and 6.19 alike) maps a range smaller than a
 * section's memmap with base pages from ordinary memory and no altmap; a whole section gets PMDs
 * from the altmap. Other presets (arm64's vmemmap_populate() hands the altmap to
 * vmemmap_populate_basepages() too) take exactly the memmap's pages from it.
 */
export function altmapPfnsForChunk(g: Geometry, pfns: number): number {
  const bytes = pfns * STRUCT_PAGE_SIZE;
  if (g.arch !== 'x86_64') return Math.ceil(bytes / g.pageSize);
  if (pfns < g.pagesPerSection) return 0;
  return (Math.ceil(bytes / X86_PMD_SIZE) * X86_PMD_SIZE) / g.pageSize;
}

/**
 * Does freeing part of a PMD-mapped memmap leave it mapped? x86-64's remove_pmd_table()
 * (arch/x86/mm/init_64.c, 5.4 and 6.19 alike) fills a freed range that is not a whole PMD with
 * 0xFD and frees the PMD only once all of it reads 0xFD: the struct pages stay mapped, holding
 * garbage. Other presets unmap what they free.
 */
export function partialPmdFreeKeepsMapping(g: Geometry): boolean {
  return g.arch === 'x86_64';
}
