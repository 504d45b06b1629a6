/**
 * The memmap (the array of struct page), materialized lazily.
 *
 * With SPARSEMEM_VMEMMAP, pfn_to_page() is pure arithmetic and a struct page
 * exists exactly where vmemmap page tables map it. The model represents that
 * mapping as a tree per section:
 *
 *   section record S_MEMMAP -> section node: UNIFORM (one struct page stands for
 *                              all of the section) or SPLIT (a directory of
 *                              subsection nodes, NULL where unmapped)
 *   subsection node         -> UNIFORM, or SPLIT into one struct page per pfn
 *
 * A node is split when a write covers part of it, and never merged back while
 * it lives, so a reader that followed an old path never reads words that the
 * writer has abandoned (a merge would have to free them under the reader).
 * Memory therefore grows with what a scenario makes different, not with the
 * size of the machine: a 64 TiB boot is one uniform node per section.
 *
 * Invariant: a subsection's memmap is mapped iff its node (or its section's
 * uniform node) is allocated; every node carries a generation, unique per
 * allocation, and its owner (section or subsection number) so that a reader
 * holding a stale pointer can tell the memory was freed and reused.
 */
import type { Geometry } from '../arch/geometry.js';
import { offsetInSection } from '../arch/pfn.js';
import {
  N_CHILD,
  N_GEN,
  N_OWNER,
  N_PAGE,
  N_STATE,
  NODE_FREE,
  NODE_SPLIT,
  NODE_UNIFORM,
  NODE_WORDS,
  P_FLAGS,
  P_PGMAP,
  P_REFCOUNT,
  PAGE_WORDS,
  S_MEMMAP,
} from './layout.js';
import { MemKind, type Memory, NULL } from './memory.js';
import { PAGE_POISON_PATTERN } from './page-flags.js';
import { pfnToSection, type Words } from './sections.js';

/** The contents of one struct page. */
export interface PageValue {
  readonly flags: number;
  readonly refcount: number;
  readonly pgmap: number;
}

/** What page_init_poison() leaves behind: every byte 0xff. */
export const POISONED_PAGE: PageValue = { flags: PAGE_POISON_PATTERN, refcount: -1, pgmap: -1 };

/** Every byte 0xfd: x86's PAGE_INUSE (PAGE_UNUSED since 5.12) marking a freed part of a vmemmap PMD. */
const BYTES_FD = 0xfdfdfdfd | 0;
export const VMEMMAP_UNUSED_PAGE: PageValue = { flags: BYTES_FD, refcount: BYTES_FD, pgmap: BYTES_FD };

/**
 * pfn_to_page() followed through the vmemmap mapping: the address of pfn's
 * struct page words, or NULL when no memmap maps it.
 */
export function pageAddress(mem: Words, g: Geometry, pfn: number): number {
  const ms = pfnToSection(mem, g, pfn);
  return ms === NULL ? NULL : pageAddressInSection(mem, g, ms, pfn);
}

/** pageAddress() for a caller that already holds pfn's section record. */
export function pageAddressInSection(mem: Words, g: Geometry, ms: number, pfn: number): number {
  const node = mem[ms + S_MEMMAP];
  if (node === NULL) return NULL;
  if (mem[node + N_STATE] !== NODE_SPLIT) return node + N_PAGE;
  const offset = offsetInSection(g, pfn, Math.floor(pfn / g.pagesPerSection));
  const sub = mem[mem[node + N_CHILD] + (offset >>> g.pfnSubsectionShift)];
  if (sub === NULL) return NULL;
  if (mem[sub + N_STATE] !== NODE_SPLIT) return sub + N_PAGE;
  return mem[sub + N_CHILD] + (offset & (g.pagesPerSubsection - 1)) * PAGE_WORDS;
}

/** The memmap node (section or subsection level) whose words hold pfn's struct page. */
export function pageNode(mem: Words, g: Geometry, pfn: number): number {
  const ms = pfnToSection(mem, g, pfn);
  if (ms === NULL) return NULL;
  const node = mem[ms + S_MEMMAP];
  if (node === NULL || mem[node + N_STATE] !== NODE_SPLIT) return node;
  const offset = offsetInSection(g, pfn, Math.floor(pfn / g.pagesPerSection));
  return mem[mem[node + N_CHILD] + (offset >>> g.pfnSubsectionShift)];
}

/**
 * The writer side of the memmap. populate/depopulate model
 * populate_section_memmap() and depopulate_section_memmap(); fill models the
 * initialization and poisoning loops (__init_single_page, page_init_poison).
 */
export class Memmap {
  /** The last generation handed to a node; clones carry it on. */
  generation = 0;

  constructor(
    private readonly mem: Memory,
    private readonly g: Geometry,
  ) {}

  private allocNode(owner: number, page: PageValue): number {
    const node = this.mem.alloc(NODE_WORDS, MemKind.MemmapNode);
    this.mem.setKind(node, N_PAGE, MemKind.Vmemmap);
    this.mem.store(node + N_STATE, NODE_UNIFORM);
    this.mem.store(node + N_GEN, ++this.generation | 0);
    this.mem.store(node + N_OWNER, owner | 0);
    this.writePage(node + N_PAGE, page);
    return node;
  }

  /** Free a node and its children; the node's state word says FREE to late readers. */
  private freeNode(node: number, level: 0 | 1): void {
    if (this.mem.load(node + N_STATE) === NODE_SPLIT) {
      const child = this.mem.load(node + N_CHILD);
      if (level === 0) {
        for (let i = 0; i < this.g.subsectionsPerSection; i++) {
          const sub = this.mem.load(child + i);
          if (sub !== NULL) this.freeNode(sub, 1);
        }
      }
      this.mem.free(child);
    }
    this.mem.store(node + N_STATE, NODE_FREE);
    this.mem.free(node);
  }

  private writePage(addr: number, page: PageValue): void {
    this.mem.store(addr + P_FLAGS, page.flags);
    this.mem.store(addr + P_REFCOUNT, page.refcount);
    this.mem.store(addr + P_PGMAP, page.pgmap);
  }

  private readPage(addr: number): PageValue {
    return {
      flags: this.mem.load(addr + P_FLAGS),
      refcount: this.mem.load(addr + P_REFCOUNT),
      pgmap: this.mem.load(addr + P_PGMAP),
    };
  }

  private subsectionOwner(sectionNr: number, index: number): number {
    return sectionNr * this.g.subsectionsPerSection + index;
  }

  /** Split a uniform section node into a directory of uniform subsection nodes. */
  private splitSection(ms: number, sectionNr: number): number {
    const node = this.mem.load(ms + S_MEMMAP);
    const page = this.readPage(node + N_PAGE);
    const dir = this.mem.alloc(this.g.subsectionsPerSection, MemKind.Vmemmap);
    for (let i = 0; i < this.g.subsectionsPerSection; i++) {
      this.mem.store(dir + i, this.allocNode(this.subsectionOwner(sectionNr, i), page));
    }
    this.mem.store(node + N_CHILD, dir);
    this.mem.store(node + N_STATE, NODE_SPLIT);
    return dir;
  }

  /** Give a uniform subsection node one struct page per pfn. */
  private splitSubsection(sub: number): number {
    const page = this.readPage(sub + N_PAGE);
    const n = this.g.pagesPerSubsection;
    const pages = this.mem.alloc(n * PAGE_WORDS, MemKind.Pages);
    for (let i = 0; i < n; i++) this.writePage(pages + i * PAGE_WORDS, page);
    this.mem.store(sub + N_CHILD, pages);
    this.mem.store(sub + N_STATE, NODE_SPLIT);
    return pages;
  }

  private ensureDirectory(ms: number, sectionNr: number): number {
    let node = this.mem.load(ms + S_MEMMAP);
    if (node === NULL) {
      node = this.allocNode(sectionNr, POISONED_PAGE);
      const dir = this.mem.alloc(this.g.subsectionsPerSection, MemKind.Vmemmap);
      this.mem.store(node + N_CHILD, dir);
      this.mem.store(node + N_STATE, NODE_SPLIT);
      this.mem.store(ms + S_MEMMAP, node);
      return dir;
    }
    if (this.mem.load(node + N_STATE) === NODE_SPLIT) return this.mem.load(node + N_CHILD);
    return this.splitSection(ms, sectionNr);
  }

  /** Is the memmap of subsection `index` of this section mapped? */
  isMapped(ms: number, index: number): boolean {
    const node = this.mem.load(ms + S_MEMMAP);
    if (node === NULL) return false;
    if (this.mem.load(node + N_STATE) !== NODE_SPLIT) return true;
    return this.mem.load(this.mem.load(node + N_CHILD) + index) !== NULL;
  }

  /**
   * populate_section_memmap(): map the memmap of subsections [first, first+count)
   * of section ms. The new struct pages hold garbage, modelled as the poison
   * pattern (page_init_poison() follows in sparse_add_section()).
   */
  populate(ms: number, sectionNr: number, first: number, count: number): void {
    const whole = first === 0 && count === this.g.subsectionsPerSection;
    if (whole && this.mem.load(ms + S_MEMMAP) === NULL) {
      this.mem.store(ms + S_MEMMAP, this.allocNode(sectionNr, POISONED_PAGE));
      return;
    }
    const dir = this.ensureDirectory(ms, sectionNr);
    for (let i = first; i < first + count; i++) {
      if (this.mem.load(dir + i) !== NULL) throw new Error(`memmap of subsection ${i} already mapped`);
      this.mem.store(dir + i, this.allocNode(this.subsectionOwner(sectionNr, i), POISONED_PAGE));
    }
  }

  /**
   * depopulate_section_memmap() / free_map_bootmem(): unmap and free the memmap
   * of subsections [first, first+count). When nothing of the section stays
   * mapped, its node goes too.
   */
  depopulate(ms: number, sectionNr: number, first: number, count: number): void {
    const node = this.mem.load(ms + S_MEMMAP);
    if (node === NULL) return;
    const whole = first === 0 && count === this.g.subsectionsPerSection;
    if (whole) {
      this.mem.store(ms + S_MEMMAP, NULL);
      this.freeNode(node, 0);
      return;
    }
    const dir = this.ensureDirectory(ms, sectionNr);
    for (let i = first; i < first + count; i++) {
      const sub = this.mem.load(dir + i);
      if (sub === NULL) continue;
      this.mem.store(dir + i, NULL);
      this.freeNode(sub, 1);
    }
    for (let i = 0; i < this.g.subsectionsPerSection; i++) if (this.mem.load(dir + i) !== NULL) return;
    this.mem.store(ms + S_MEMMAP, NULL);
    this.freeNode(node, 0);
  }

  /**
   * Write `page` into every struct page of [startPfn, endPfn); the range must be
   * mapped. Whole sections and subsections are written as one uniform page.
   */
  fill(sectionOf: (nr: number) => number, startPfn: number, endPfn: number, page: PageValue): void {
    this.update(sectionOf, startPfn, endPfn, () => page);
  }

  /** Apply fn to every struct page of [startPfn, endPfn). */
  update(
    sectionOf: (nr: number) => number,
    startPfn: number,
    endPfn: number,
    fn: (old: PageValue) => PageValue,
  ): void {
    const g = this.g;
    let pfn = startPfn;
    while (pfn < endPfn) {
      const sectionNr = Math.floor(pfn / g.pagesPerSection);
      const sectionStart = sectionNr * g.pagesPerSection;
      const sectionEnd = Math.min(endPfn, sectionStart + g.pagesPerSection);
      const ms = sectionOf(sectionNr);
      const node = ms === NULL ? NULL : this.mem.load(ms + S_MEMMAP);
      if (node === NULL) throw new Error(`memmap of section ${sectionNr} is not mapped`);
      const wholeSection = pfn === sectionStart && sectionEnd === sectionStart + g.pagesPerSection;
      if (wholeSection && this.mem.load(node + N_STATE) === NODE_UNIFORM) {
        this.writePage(node + N_PAGE, fn(this.readPage(node + N_PAGE)));
      } else {
        const dir = this.ensureDirectory(ms, sectionNr);
        this.updateSubsections(dir, sectionNr, sectionStart, pfn, sectionEnd, fn);
      }
      pfn = sectionEnd;
    }
  }

  private updateSubsections(
    dir: number,
    sectionNr: number,
    sectionStart: number,
    startPfn: number,
    endPfn: number,
    fn: (old: PageValue) => PageValue,
  ): void {
    const n = this.g.pagesPerSubsection;
    let pfn = startPfn;
    while (pfn < endPfn) {
      const index = Math.floor((pfn - sectionStart) / n);
      const subStart = sectionStart + index * n;
      const subEnd = Math.min(endPfn, subStart + n);
      const sub = this.mem.load(dir + index);
      if (sub === NULL) throw new Error(`memmap of section ${sectionNr} subsection ${index} is not mapped`);
      if (this.mem.load(sub + N_STATE) === NODE_UNIFORM && pfn === subStart && subEnd === subStart + n) {
        this.writePage(sub + N_PAGE, fn(this.readPage(sub + N_PAGE)));
      } else {
        const pages =
          this.mem.load(sub + N_STATE) === NODE_SPLIT
            ? this.mem.load(sub + N_CHILD)
            : this.splitSubsection(sub);
        for (let p = pfn; p < subEnd; p++) {
          const addr = pages + (p - subStart) * PAGE_WORDS;
          this.writePage(addr, fn(this.readPage(addr)));
        }
      }
      pfn = subEnd;
    }
  }

  /** Read pfn's struct page, or undefined when no memmap maps it. */
  read(pfn: number): PageValue | undefined {
    const addr = pageAddress(this.mem.words, this.g, pfn);
    return addr === NULL ? undefined : this.readPage(addr);
  }

  /** Visit maximal runs of the mapped memmap of [startPfn, endPfn) whose struct pages are identical. */
  *runs(
    startPfn: number,
    endPfn: number,
  ): Generator<{ start: number; end: number; page: PageValue | undefined }> {
    const g = this.g;
    let pfn = startPfn;
    let run: { start: number; end: number; page: PageValue | undefined } | undefined;
    const emit = (start: number, end: number, page: PageValue | undefined) => {
      if (run && run.end === start && samePage(run.page, page)) {
        run.end = end;
        return undefined;
      }
      const done = run;
      run = { start, end, page };
      return done;
    };
    while (pfn < endPfn) {
      const node = pageNode(this.mem.words, g, pfn);
      let stepEnd: number;
      let page: PageValue | undefined;
      if (node === NULL) {
        // Unmapped: step to the end of the subsection (or section when the section has nothing).
        stepEnd = Math.min(endPfn, (Math.floor(pfn / g.pagesPerSubsection) + 1) * g.pagesPerSubsection);
        page = undefined;
      } else if (this.mem.load(node + N_STATE) === NODE_UNIFORM) {
        const unit = this.isSectionNode(node, pfn) ? g.pagesPerSection : g.pagesPerSubsection;
        stepEnd = Math.min(endPfn, (Math.floor(pfn / unit) + 1) * unit);
        page = this.readPage(node + N_PAGE);
      } else {
        stepEnd = pfn + 1;
        page = this.read(pfn);
      }
      const done = emit(pfn, stepEnd, page);
      if (done) yield done;
      pfn = stepEnd;
    }
    if (run) yield run;
  }

  private isSectionNode(node: number, pfn: number): boolean {
    const ms = pfnToSection(this.mem.words, this.g, pfn);
    return ms !== NULL && this.mem.load(ms + S_MEMMAP) === node;
  }
}

export function samePage(a: PageValue | undefined, b: PageValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.flags === b.flags && a.refcount === b.refcount && a.pgmap === b.pgmap;
}
