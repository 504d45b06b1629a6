/**
 * The section-level steps shared by every operation that adds or removes
 * memmap: __add_pages() -> sparse_add_section() and __remove_pages() ->
 * sparse_remove_section() -> section_deactivate() (mm/sparse.c,
 * mm/memory_hotplug.c), plus mem_hotplug_begin/done and
 * remove_pfn_range_from_zone().
 */
import { type Geometry, STRUCT_PAGE_SIZE } from '../arch/geometry.js';
import { partialPmdFreeKeepsMapping } from '../arch/vmemmap.js';
import { kernelOf } from '../kernel/index.js';
import {
  G_HOTPLUG_LOCK,
  GLOBALS_ADDR,
  HOTPLUG_LOCK_BLOCK,
  HOTPLUG_LOCK_READERS,
  HOTPLUG_LOCK_WRITER,
  SECTION_HAS_MEM_MAP,
  SECTION_IS_EARLY,
} from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { POISONED_PAGE, VMEMMAP_UNUSED_PAGE } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import type { Truth } from '../model/truth.js';
import { updatePgdatSpan, type Zone } from '../model/zones.js';
import { hex } from '../units.js';
import { type KernelStep, step } from './step.js';
import { shrinkZoneSpan } from './zone-policy.js';

/** One piece of a range that stays within a section. */
export interface SectionChunk {
  readonly sectionNr: number;
  readonly startPfn: number;
  readonly endPfn: number;
  /** Index of the first subsection and how many. */
  readonly first: number;
  readonly count: number;
}

/** Split [startPfn, endPfn) at section boundaries, as __add_pages() and __remove_pages() do. */
export function sectionChunks(g: Geometry, startPfn: number, endPfn: number): SectionChunk[] {
  const out: SectionChunk[] = [];
  for (let pfn = startPfn; pfn < endPfn; ) {
    const sectionNr = Math.floor(pfn / g.pagesPerSection);
    const sectionStart = sectionNr * g.pagesPerSection;
    const end = Math.min(endPfn, sectionStart + g.pagesPerSection);
    const first = Math.floor((pfn - sectionStart) / g.pagesPerSubsection);
    out.push({
      sectionNr,
      startPfn: pfn,
      endPfn: end,
      first,
      count: Math.ceil((end - pfn) / g.pagesPerSubsection),
    });
    pfn = end;
  }
  return out;
}

function chunkDetail(c: SectionChunk): string {
  return `section ${c.sectionNr} subsections ${c.first}-${c.first + c.count - 1}`;
}

/** memmap_on_memory: the altmap at the start of a hot-added block its sections' memmap comes from. */
export interface SelfHostedAltmap {
  readonly basePfn: number;
}

/**
 * vmemmap_populate() with an altmap: the chunk's memmap takes the next pages of the block's
 * altmap (sections populate in order, so a section's share starts where the previous ended).
 */
function takeFromAltmap(m: Machine, altmap: SelfHostedAltmap, c: SectionChunk): string {
  const perPage = m.g.pageSize / STRUCT_PAGE_SIZE;
  const first = altmap.basePfn + Math.ceil((c.startPfn - altmap.basePfn) / perPage);
  const end = altmap.basePfn + Math.ceil((c.endPfn - altmap.basePfn) / perPage);
  m.truth.set(first, end, { state: 'vmemmap' });
  return `memmap from the altmap: pfns ${first}-${end - 1}`;
}

/**
 * mem_hotplug_begin(): percpu_down_write() in its two halves. First the
 * writer sets block, after which get_online_mems() waits (writer preference:
 * a stream of readers cannot starve hotplug); then it waits until the readers
 * inside have left (readers_active_check()) and holds the lock.
 */
export function memHotplugBegin(): KernelStep[] {
  const lock = GLOBALS_ADDR + G_HOTPLUG_LOCK;
  return [
    step('mem_hotplug_begin', {}, 'percpu_down_write: block new readers of mem_hotplug_lock', (m) =>
      m.mem.store(lock, m.mem.load(lock) | HOTPLUG_LOCK_BLOCK),
    ),
    step(
      'readers_active_check',
      {},
      'the readers inside have left: mem_hotplug_lock held for write',
      (m) => m.mem.store(lock, HOTPLUG_LOCK_WRITER),
      (m) => (m.mem.load(lock) & HOTPLUG_LOCK_READERS) === 0,
    ),
  ];
}

/** mem_hotplug_done() */
export function memHotplugDone(): KernelStep {
  return step('mem_hotplug_done', {}, 'release mem_hotplug_lock', (m) =>
    m.mem.store(GLOBALS_ADDR + G_HOTPLUG_LOCK, 0),
  );
}

/**
 * sparse_add_section() for each section chunk of [startPfn, endPfn), in the
 * kernel's order: sparse_index_init, section_activate (usage, then
 * fill_subsection_map, then populate_section_memmap unless an early section's
 * boot memmap is reused), page_init_poison, __section_mark_present,
 * sparse_init_one_section.
 */
export function sparseAddSteps(
  m: Machine,
  nid: number,
  startPfn: number,
  endPfn: number,
  altmap?: SelfHostedAltmap,
): KernelStep[] {
  const steps: KernelStep[] = [];
  for (const c of sectionChunks(m.g, startPfn, endPfn)) {
    const args = { sectionNr: c.sectionNr, startPfn: c.startPfn, endPfn: c.endPfn, nid };
    const whole = c.count === m.g.subsectionsPerSection;
    steps.push(
      step('sparse_index_init', args, `section ${c.sectionNr}`, (mm) => {
        mm.sections.indexInit(c.sectionNr);
      }),
      step('fill_subsection_map', args, chunkDetail(c), (mm) => {
        const ms = mm.sections.section(c.sectionNr);
        if (mm.sections.usage(ms) === NULL) mm.sections.setUsage(ms, mm.sections.allocUsage(false));
        mm.sections.writeSubsectionBits(mm.sections.usage(ms), 0, c.first, c.count, true);
      }),
      step('populate_section_memmap', args, chunkDetail(c), (mm) => {
        const ms = mm.sections.section(c.sectionNr);
        // section_activate(): a partial chunk of an early section reuses the boot memmap.
        const early = (mm.sections.flags(ms) & SECTION_IS_EARLY) !== 0;
        mm.truth.set(c.startPfn, c.endPfn, { state: 'uninitialized' });
        if (!(early && !whole)) {
          mm.memmap.populate(ms, c.sectionNr, c.first, c.count);
          return altmap ? takeFromAltmap(mm, altmap, c) : undefined;
        }
        // Only 5.4 frees part of a boot memmap (section_deactivate); the kernel then writes
        // page_init_poison() through whatever vmemmap still maps there. The model maps it again.
        const gone: number[] = [];
        for (let i = c.first; i < c.first + c.count; i++) {
          if (!mm.memmap.isMapped(ms, i)) {
            mm.memmap.populate(ms, c.sectionNr, i, 1);
            gone.push(i);
          }
        }
        return gone.length
          ? `early section: boot memmap reused, though 5.4 freed subsections ${gone[0]}-${gone[gone.length - 1]} of it on an earlier removal`
          : 'early section: boot memmap reused';
      }),
      step('page_init_poison', args, chunkDetail(c), (mm) => {
        mm.memmap.fill((nr) => mm.sections.section(nr), c.startPfn, c.endPfn, POISONED_PAGE);
      }),
      step('__section_mark_present', args, `section ${c.sectionNr} node ${nid}`, (mm) => {
        const ms = mm.sections.section(c.sectionNr);
        mm.sections.setNid(ms, nid);
        mm.sections.markPresent(ms, c.sectionNr);
      }),
      step('sparse_init_one_section', args, `section ${c.sectionNr}: SECTION_HAS_MEM_MAP`, (mm) => {
        mm.sections.setFlags(mm.sections.section(c.sectionNr), SECTION_HAS_MEM_MAP);
      }),
    );
  }
  return steps;
}

/**
 * sparse_remove_section() -> section_deactivate() for each section chunk, in
 * the order of the machine's kernel version. `after` is the truth of pfns
 * whose memmap stays mapped (an early section's boot memmap) once their
 * memory is gone.
 */
export function sparseRemoveSteps(
  m: Machine,
  startPfn: number,
  endPfn: number,
  beforeSection?: (c: SectionChunk) => KernelStep,
): KernelStep[] {
  const steps: KernelStep[] = [];
  const k = kernelOf(m.g);
  const emptiedOrder = k.usageFreedWithKfreeRcu ? clearMemMapFirst : freeUsageFirst;
  for (const c of sectionChunks(m.g, startPfn, endPfn)) {
    if (beforeSection) steps.push(beforeSection(c));
    const ms = m.sections.section(c.sectionNr);
    const usage = m.sections.usage(ms);
    const early = (m.sections.flags(ms) & SECTION_IS_EARLY) !== 0;
    const remaining = m.sections.bitmapIndices(usage, 0).filter((i) => i < c.first || i >= c.first + c.count);
    const empty = remaining.length === 0;
    // usageKeptIfBootAllocated: keep a boot-allocated usage (PageReserved(virt_to_page(usage))); before, an early section's.
    const keepUsage = k.usageKeptIfBootAllocated ? m.sections.isBootUsage(usage) : early;
    const sectionStart = c.sectionNr * m.g.pagesPerSection;
    const sectionEnd = sectionStart + m.g.pagesPerSection;
    const args = { sectionNr: c.sectionNr, startPfn: c.startPfn, endPfn: c.endPfn };
    const deact = (fn: string, detail: string, run: (mm: Machine) => void) => step(fn, args, detail, run);
    steps.push(
      deact('clear_subsection_map', chunkDetail(c), (mm) => {
        mm.sections.writeSubsectionBits(usage, 0, c.first, c.count, false);
      }),
    );
    const freeUsage = deact(
      keepUsage ? 'section_deactivate' : k.usageFreedWithKfreeRcu ? 'kfree_rcu' : 'kfree',
      keepUsage
        ? `section ${c.sectionNr}: keep boot-allocated usage`
        : `section ${c.sectionNr} usage ${hex(usage)}`,
      (mm) => {
        if (keepUsage) return;
        mm.sections.setUsage(ms, NULL);
        if (k.usageFreedWithKfreeRcu) mm.reclaimer.deferFree(mm.mem, usage);
        else mm.mem.free(usage);
      },
    );
    const clearSection = deact('section_deactivate', `section ${c.sectionNr}: section_mem_map = 0`, (mm) => {
      mm.sections.writeFlags(ms, 0);
    });
    const clearMemMap = deact(
      'section_deactivate',
      `section ${c.sectionNr}: clear SECTION_HAS_MEM_MAP`,
      (mm) => {
        mm.sections.clearFlags(ms, SECTION_HAS_MEM_MAP);
      },
    );
    const order = empty ? emptiedOrder(freeUsage, clearSection, clearMemMap) : { before: [], after: [] };
    steps.push(...order.before);
    // An emptied early section's boot memmap is freed whole (free_map_bootmem); before
    // earlyMemmapNeverPartlyFreed a partial removal from an early section called
    // depopulate_section_memmap() for the chunk; after it, part of a boot memmap is never freed.
    if (early && !empty && !k.earlyMemmapNeverPartlyFreed && partialPmdFreeKeepsMapping(m.g)) {
      steps.push(
        deact(
          'depopulate_section_memmap',
          `${chunkDetail(c)}: vmemmap PMD kept, freed part filled with 0xFD`,
          (mm) => fillUnusedBootMemmap(mm, c),
        ),
      );
    } else if (!early || (!k.earlyMemmapNeverPartlyFreed && !empty)) {
      steps.push(
        deact('depopulate_section_memmap', chunkDetail(c), (mm) => {
          mm.memmap.depopulate(ms, c.sectionNr, c.first, c.count);
          mm.truth.set(c.startPfn, c.endPfn, { state: 'freed' });
        }),
      );
    } else if (empty) {
      steps.push(
        deact('free_map_bootmem', `section ${c.sectionNr}: the whole boot memmap`, (mm) => {
          mm.memmap.depopulate(ms, c.sectionNr, 0, mm.g.subsectionsPerSection);
          mm.truth.set(sectionStart, sectionEnd, { state: 'freed' });
        }),
      );
    } else {
      // The boot memmap of an early section stays until the section is empty:
      // the pfns keep a struct page but lose their memory.
      steps.push(
        deact('section_deactivate', `section ${c.sectionNr}: boot memmap kept`, (mm) => {
          mm.truth.set(c.startPfn, c.endPfn, { state: 'hole' });
        }),
      );
    }
    steps.push(...order.after);
  }
  return steps;
}

/**
 * x86 vmemmap_free() -> remove_pmd_table() on part of an early section's boot memmap, which
 * sparse_init() mapped with one PMD per section: the part is not PMD-aligned, so it is memset to
 * 0xFD (PAGE_INUSE) and the PMD stays until all of it reads 0xFD, which cannot happen before the
 * section is emptied and free_map_bootmem() frees it whole. The pfns keep a mapped struct page
 * full of garbage and no memory: a hole, not an unmapped memmap.
 */
function fillUnusedBootMemmap(mm: Machine, c: SectionChunk): void {
  mm.memmap.fill((nr) => mm.sections.section(nr), c.startPfn, c.endPfn, VMEMMAP_UNUSED_PAGE);
  mm.truth.set(c.startPfn, c.endPfn, { state: 'hole' });
}

/** The steps of section_deactivate() for an emptied section, around the freeing of its memmap. */
interface EmptiedOrder {
  readonly before: readonly KernelStep[];
  readonly after: readonly KernelStep[];
}

/**
 * mm/sparse.c section_deactivate() before usageFreedWithKfreeRcu: kfree(ms->usage) and
 * ms->usage = NULL first, then section_mem_map = 0 clears every flag at once. Between the
 * two, valid_section() still holds and pfn_valid() reads the NULL usage.
 */
function freeUsageFirst(freeUsage: KernelStep, clearSection: KernelStep): EmptiedOrder {
  return { before: [freeUsage, clearSection], after: [] };
}

/**
 * mm/sparse.c section_deactivate() since usageFreedWithKfreeRcu: clear SECTION_HAS_MEM_MAP,
 * kfree_rcu(ms->usage), free the memmap, and only then zero the rest of section_mem_map.
 */
function clearMemMapFirst(
  freeUsage: KernelStep,
  clearSection: KernelStep,
  clearMemMap: KernelStep,
): EmptiedOrder {
  return { before: [clearMemMap, freeUsage], after: [clearSection] };
}

/** Mark [startPfn, endPfn) as having its memmap torn down right now. */
export function markTearingDown(
  m: Machine,
  startPfn: number,
  endPfn: number,
  keep?: (t: Truth) => Truth,
): void {
  m.truth.map(startPfn, endPfn, (t) =>
    keep ? keep(t) : { state: 'tearing-down', zone: t.zone, pgmap: t.pgmap },
  );
}

/**
 * remove_pfn_range_from_zone() (v5.5+): poison the memmap ("uninitialized
 * again"), then, except for ZONE_DEVICE, shrink the zone and node spans.
 */
export function removePfnRangeFromZoneSteps(
  zoneOf: (m: Machine) => Zone,
  startPfn: number,
  endPfn: number,
): KernelStep[] {
  const args = { startPfn, endPfn };
  return [
    step('page_init_poison', args, `pfn ${hex(startPfn)}-${hex(endPfn - 1)}`, (m) => {
      m.memmap.fill((nr) => m.sections.section(nr), startPfn, endPfn, POISONED_PAGE);
    }),
    step('shrink_zone_span', args, `pfn ${hex(startPfn)}-${hex(endPfn - 1)}`, (m) => {
      const zone = zoneOf(m);
      if (zone.name === 'Device') return 'ZONE_DEVICE spans never shrink';
      const before = `${hex(zone.zoneStartPfn)}+${zone.spannedPages}`;
      shrinkZoneSpan(m, zone, startPfn, endPfn);
      updatePgdatSpan(m.node(zone.nid));
      return `${zone.name}: ${before} -> ${hex(zone.zoneStartPfn)}+${zone.spannedPages}`;
    }),
  ];
}
