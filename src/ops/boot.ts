/**
 * Boot: memblocks_present() (memory_present() in 5.4), sparse_init(),
 * subsection_map_init(), free_area_init() zone spans, memmap_init() with
 * init_unavailable_range() for holes, memblock_free_all(), memory_dev_init().
 *
 * Boot sections are ONLINE from the first step and get a whole-section memmap
 * (SECTION_IS_EARLY) even where memory has holes.
 */
import { memoryBlockSizeBytes } from '../arch/block-size.js';
import type { KernelVersion } from '../arch/geometry.js';
import { type Kernel, kernelOf } from '../kernel/index.js';
import { SECTION_HAS_MEM_MAP, SECTION_IS_EARLY, SECTION_IS_ONLINE, SECTION_WORDS } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { OutOfModelMemoryError } from '../model/memory.js';
import {
  ZONE_DEVICE,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_NAMES,
  ZONE_NORMAL,
  type ZoneId,
} from '../model/page-flags.js';
import { usageWords } from '../model/sections.js';
import { populatedZone, zoneIntersects } from '../model/zones.js';
import { formatSize, formatSizeApprox, memRange } from '../units.js';
import { checkNode, refuse } from './checks.js';
import { bootPage, freePage, holePage } from './pages.js';
import type { BootRange } from './spec.js';
import { type KernelStep, type OperationPlan, step } from './step.js';

/** A boot range in pfns. */
interface PfnRange {
  readonly start: number;
  readonly end: number;
  readonly nid: number;
}

/** The zone_type pfn falls in by the architecture's zone limits. */
function zoneLimits(m: Machine): { id: ZoneId; lo: number; hi: number }[] {
  const dma = m.g.zoneDmaLimit / m.g.pageSize;
  const dma32 = Math.max(dma, m.g.zoneDma32Limit / m.g.pageSize);
  return [
    { id: ZONE_DMA, lo: 0, hi: dma },
    { id: ZONE_DMA32, lo: dma, hi: dma32 },
    { id: ZONE_NORMAL, lo: dma32, hi: Number.MAX_SAFE_INTEGER },
  ];
}

/** Split a pfn range at zone limits. */
function byZone(m: Machine, r: PfnRange): { start: number; end: number; zone: ZoneId }[] {
  const out: { start: number; end: number; zone: ZoneId }[] = [];
  for (const z of zoneLimits(m)) {
    const start = Math.max(r.start, z.lo);
    const end = Math.min(r.end, z.hi);
    if (start < end) out.push({ start, end, zone: z.id });
  }
  return out;
}

function validateBoot(m: Machine, ranges: readonly BootRange[]): PfnRange[] {
  const op = 'boot';
  if (m.booted) refuse('EINVAL', op, 'the machine has already booted', undefined);
  if (ranges.length === 0) refuse('EINVAL', op, 'no boot memory ranges', ranges);
  const limit = 2 ** m.g.maxPhysmemBits;
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: PfnRange[] = [];
  for (const r of sorted) {
    checkNode(op, r.node);
    if (r.size <= 0) refuse('EINVAL', op, `boot range at ${r.start} has size ${r.size}`, r);
    if (r.start % m.g.pageSize !== 0 || r.size % m.g.pageSize !== 0) {
      refuse('EINVAL', op, `boot range ${memRange(r.start, r.start + r.size)} is not page aligned`, r);
    }
    if (r.start + r.size > limit) {
      refuse('E2BIG', op, `boot range ${memRange(r.start, r.start + r.size)} exceeds MAX_PHYSMEM_BITS`, r);
    }
    const prev = out[out.length - 1];
    const start = r.start / m.g.pageSize;
    if (prev && start < prev.end)
      refuse(
        'EEXIST',
        op,
        `boot ranges overlap at ${memRange(r.start, Math.min(prev.end * m.g.pageSize, r.start + r.size))}`,
        r,
      );
    out.push({ start, end: start + r.size / m.g.pageSize, nid: r.node });
  }
  refuseBeyondModel(m, out);
  return out;
}

/** How many sections the sorted, disjoint ranges touch (a section two ranges share counts once). */
function presentSectionCount(m: Machine, ranges: readonly PfnRange[]): number {
  let count = 0;
  let prevLast = -1;
  for (const r of ranges) {
    const first = Math.max(Math.floor(r.start / m.g.pagesPerSection), prevLast + 1);
    const last = Math.floor((r.end - 1) / m.g.pagesPerSection);
    if (last >= first) count += last - first + 1;
    prevLast = Math.max(prevLast, last);
  }
  return count;
}

/**
 * A boot whose section and usage records alone cannot fit the model's memory is refused before
 * anything is allocated (a 4 PiB x86_64-5level machine has 2^25 present sections; the model
 * holds about 2^23), rather than failing halfway or outgrowing a JavaScript Map.
 */
function refuseBeyondModel(m: Machine, ranges: readonly PfnRange[]): void {
  const sections = presentSectionCount(m, ranges);
  const perSection = SECTION_WORDS + usageWords(m.g);
  const room = m.mem.capacityWords - m.mem.usedWords;
  if (sections * perSection > room)
    throw new OutOfModelMemoryError(
      sections * perSection,
      m.mem.capacityWords,
      `${sections.toLocaleString('en-US')} present sections need ${formatSizeApprox(sections * perSection * 4)} of section and usage records alone; it holds at most ${Math.floor(room / perSection).toLocaleString('en-US')}`,
    );
}

/** The present sections and, for each, the node that first claimed it (memory_present order). */
function presentSections(m: Machine, ranges: readonly PfnRange[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of ranges) {
    const last = Math.floor((r.end - 1) / m.g.pagesPerSection);
    for (let nr = Math.floor(r.start / m.g.pagesPerSection); nr <= last; nr++)
      if (!out.has(nr)) out.set(nr, r.nid);
  }
  return out;
}

/** A run of hole pfns, with the zone whose span holds it (memmap_init_zone() reaches it), if any. */
interface HolePiece {
  readonly start: number;
  readonly end: number;
  readonly span?: { readonly zone: ZoneId; readonly nid: number };
}

/** Split the hole [start, end) at the zone spans free_area_init() set. */
function holePieces(m: Machine, start: number, end: number): HolePiece[] {
  const spans: { lo: number; hi: number; zone: ZoneId; nid: number }[] = [];
  for (const [nid, node] of m.nodes)
    for (const z of node.zones)
      if (z.spannedPages > 0 && z.id !== ZONE_DEVICE)
        spans.push({ lo: z.zoneStartPfn, hi: z.zoneStartPfn + z.spannedPages, zone: z.id as ZoneId, nid });
  spans.sort((a, b) => a.lo - b.lo);
  const out: HolePiece[] = [];
  let pfn = start;
  for (const s of spans) {
    if (s.hi <= pfn || s.lo >= end) continue;
    if (s.lo > pfn) out.push({ start: pfn, end: s.lo });
    const to = Math.min(end, s.hi);
    out.push({ start: Math.max(pfn, s.lo), end: to, span: { zone: s.zone, nid: s.nid } });
    pfn = to;
  }
  if (pfn < end) out.push({ start: pfn, end });
  return out;
}

/** The node and zone a hole's struct page links to: the memory above it, else the memory below. */
function holeOwner(m: Machine, ranges: readonly PfnRange[], pfn: number): { zone: ZoneId; nid: number } {
  // ranges are sorted and disjoint, and a hole lies in none: the first range above it, else the last below.
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid].start > pfn) hi = mid;
    else lo = mid + 1;
  }
  const above = ranges[lo];
  const near = above ?? ranges[lo - 1] ?? ranges[0];
  const at = above ? near.start : near.end - 1;
  const zone = byZone(m, { start: at, end: at + 1, nid: near.nid })[0].zone;
  return { zone, nid: near.nid };
}

/**
 * SECTION_NID_SHIFT (include/linux/mmzone.h): 3 at first, which 5.12's taint bit (bit 4)
 * overlaps until sectionNidShift6; the bit after the last flag once sectionFlagsEnum (5).
 */
function sectionNidShift(k: Kernel): number {
  if (k.sectionFlagsEnum) return 5;
  return k.sectionNidShift6 ? 6 : 3;
}

/** The flag bits below SECTION_MAP_LAST_BIT that sparse_init_one_section() keeps: one more with the taint. */
function sectionFlagBits(k: Kernel): number {
  return k.sectionTaintZoneDevice ? 0x1f : 0xf;
}

/** A boot's validated memblock ranges and the present sections they touch, as each boot step reads them. */
interface BootPlan {
  readonly g: Machine['g'];
  readonly kernel: Kernel;
  readonly ranges: readonly PfnRange[];
  /** Present section nr -> the node that first claimed it. */
  readonly sections: ReadonlyMap<number, number>;
}

export function planBoot(m: Machine, bootRanges: readonly BootRange[]): OperationPlan {
  const ranges = validateBoot(m, bootRanges);
  const plan: BootPlan = { g: m.g, kernel: kernelOf(m.g), ranges, sections: presentSections(m, ranges) };
  const steps: KernelStep[] = [
    memblocksPresent(plan),
    sparseInit(plan),
    subsectionMapInit(plan),
    freeAreaInit(plan),
    memmapInit(plan),
    memblockFreeAll(plan),
    memoryDevInit(plan),
  ];
  return { op: 'boot', summary: `boot ${ranges.length} ranges`, steps };
}

/** memblocks_present() (memory_present() before 5.8): every present section marked, with its node. */
function memblocksPresent({ kernel, sections }: BootPlan): KernelStep {
  const nidShift = sectionNidShift(kernel);
  return step(
    kernel.sectionsPresentFromMemblock ? 'memblocks_present' : 'memory_present',
    {},
    `${sections.size} sections present`,
    (mm) => {
      for (const [nr, nid] of sections) {
        const ms = mm.sections.indexInit(nr);
        if (mm.sections.flags(ms) === 0) mm.sections.writeFlags(ms, (nid << nidShift) | SECTION_IS_ONLINE);
        mm.sections.markPresent(ms, nr);
      }
    },
  );
}

/** sparse_init(): usage and a whole-section (early) memmap for every present section. */
function sparseInit({ g, kernel, sections }: BootPlan): KernelStep {
  const keepMask = sectionFlagBits(kernel);
  return step('sparse_init', {}, 'usage and a whole-section memmap for every present section', (mm) => {
    for (const [nr, nid] of sections) {
      const ms = mm.sections.section(nr);
      mm.sections.setUsage(ms, mm.sections.allocUsage(true));
      mm.memmap.populate(ms, nr, 0, g.subsectionsPerSection);
      mm.sections.setNid(ms, nid);
      const flags = mm.sections.flags(ms) & keepMask;
      mm.sections.writeFlags(ms, flags | SECTION_HAS_MEM_MAP | SECTION_IS_EARLY);
      mm.truth.set(nr * g.pagesPerSection, (nr + 1) * g.pagesPerSection, { state: 'uninitialized' });
    }
  });
}

/** subsection_map_init(): the subsection bits of every memblock range. */
function subsectionMapInit({ g, ranges }: BootPlan): KernelStep {
  return step('subsection_map_init', {}, `${ranges.length} memblock ranges`, (mm) => {
    for (const r of ranges) {
      for (let pfn = r.start; pfn < r.end; ) {
        const nr = Math.floor(pfn / g.pagesPerSection);
        const end = Math.min(r.end, (nr + 1) * g.pagesPerSection);
        const first = Math.floor((pfn % g.pagesPerSection) / g.pagesPerSubsection);
        const last = Math.floor(((end - 1) % g.pagesPerSection) / g.pagesPerSubsection);
        const ms = mm.sections.section(nr);
        mm.sections.writeSubsectionBits(mm.sections.usage(ms), 0, first, last - first + 1, true);
        pfn = end;
      }
    }
  });
}

/** free_area_init(): node spans and zone present pages from memblock, then the zones' spans. */
function freeAreaInit({ ranges }: BootPlan): KernelStep {
  return step('free_area_init', {}, 'zone and node spans from memblock', (mm) => {
    for (const r of ranges) {
      const node = mm.node(r.nid);
      const nodeEnd = Math.max(node.nodeStartPfn + node.nodeSpannedPages, r.end);
      if (node.nodeSpannedPages === 0 || r.start < node.nodeStartPfn) node.nodeStartPfn = r.start;
      node.nodeSpannedPages = nodeEnd - node.nodeStartPfn;
      node.nodePresentPages += r.end - r.start;
      for (const piece of byZone(mm, r)) {
        const zone = node.zones[piece.zone];
        zone.presentPages += piece.end - piece.start;
        zone.presentEarlyPages += piece.end - piece.start;
      }
    }
    zoneSpannedPagesInNode(mm);
  });
}

/** zone_spanned_pages_in_node(): each populated zone spans its limits clipped to the node's span. */
function zoneSpannedPagesInNode(mm: Machine): void {
  for (const node of mm.nodes.values()) {
    const nodeEnd = node.nodeStartPfn + node.nodeSpannedPages;
    for (const z of zoneLimits(mm)) {
      const zone = node.zones[z.id];
      if (zone.presentPages === 0) continue;
      const start = Math.max(node.nodeStartPfn, z.lo);
      const end = Math.min(nodeEnd, z.hi);
      zone.zoneStartPfn = start;
      zone.spannedPages = Math.max(0, end - start);
    }
  }
}

/** memmap_init(): boot memory's struct pages, and init_unavailable_range() for the holes. */
function memmapInit({ g, ranges }: BootPlan): KernelStep {
  return step('memmap_init', {}, 'initialize boot memory; init_unavailable_range() for holes', (mm) => {
    const sectionOf = (nr: number) => mm.sections.section(nr);
    for (const r of ranges) {
      for (const piece of byZone(mm, r)) {
        mm.memmap.fill(sectionOf, piece.start, piece.end, bootPage(piece.zone, r.nid));
        mm.truth.set(piece.start, piece.end, { state: 'online', zone: ZONE_NAMES[piece.zone], nid: r.nid });
      }
    }
    const covered = initUnavailableRanges(mm, g.kernel, ranges);
    return covered ? `${covered} pages in unavailable ranges` : undefined;
  });
}

/**
 * init_unavailable_range(): pfns of present sections that no memblock range covers get a
 * reserved struct page linked to the zone spanning them (or the nearest memory's). Returns the
 * number of pages.
 */
function initUnavailableRanges(mm: Machine, kernel: KernelVersion, ranges: readonly PfnRange[]): number {
  const sectionOf = (nr: number) => mm.sections.section(nr);
  let covered = 0;
  for (const interval of mm.truth.intervals()) {
    if (interval.truth.state !== 'uninitialized') continue;
    for (const piece of holePieces(mm, interval.start, interval.end)) {
      const owner = piece.span ?? holeOwner(mm, ranges, piece.start);
      const page = holePage(kernel, owner.zone, owner.nid, piece.span !== undefined);
      mm.memmap.fill(sectionOf, piece.start, piece.end, page);
    }
    mm.truth.set(interval.start, interval.end, { state: 'hole' });
    covered += interval.end - interval.start;
  }
  return covered;
}

/** memblock_free_all(): boot memory freed to the buddy allocator. */
function memblockFreeAll({ ranges }: BootPlan): KernelStep {
  return step('memblock_free_all', {}, 'free boot memory to the buddy allocator', (mm) => {
    const sectionOf = (nr: number) => mm.sections.section(nr);
    for (const r of ranges) {
      for (const piece of byZone(mm, r))
        mm.memmap.fill(sectionOf, piece.start, piece.end, freePage(piece.zone, r.nid));
    }
  });
}

/** memory_dev_init(): the block size, a memory block device per present block, and the System RAM resources. */
function memoryDevInit({ g, ranges, sections }: BootPlan): KernelStep {
  return step('memory_dev_init', {}, 'memory block devices for present sections', (mm) => {
    const bootMemEnd = ranges[ranges.length - 1].end * g.pageSize;
    mm.blockSize = memoryBlockSizeBytes(g, bootMemEnd);
    mm.sectionsPerBlock = mm.blockSize / g.sectionSize;
    const nidsOf = blockNodesEarly(mm, ranges);
    for (const nr of sections.keys()) {
      const id = Math.floor(nr / mm.sectionsPerBlock);
      if (mm.blocks.has(id)) continue;
      const nids = nidsOf.get(id)!;
      const start = id * mm.sectionsPerBlock * g.pagesPerSection;
      const zones = mm
        .node(nids[0])
        .zones.filter((z) => populatedZone(z) && zoneIntersects(z, start, mm.pagesPerBlock()));
      mm.blocks.set(id, {
        id,
        startSectionNr: id * mm.sectionsPerBlock,
        state: 'online',
        nid: nids[nids.length - 1],
        zone: zones.length === 1 && nids.length === 1 ? zones[0].id : null,
        early: true,
      });
    }
    for (const r of ranges) {
      mm.resources.push({
        start: r.start * g.pageSize,
        end: r.end * g.pageSize,
        name: 'System RAM',
        kind: 'system-ram',
        boot: true,
      });
    }
    mm.booted = true;
    return `memory block size ${formatSize(mm.blockSize)}, ${mm.blocks.size} blocks`;
  });
}

/**
 * memory_block_add_nid_early(), from node_dev_init() -> register_memory_blocks_under_node_early():
 * every memblock range of each node, nodes in ascending order, gives each block the nodes that
 * reach it. The first node sets the block's zone; a second node (even one sharing a section with
 * the first) means no single zone, and the block records the last node processed, as the kernel's does.
 */
function blockNodesEarly(mm: Machine, ranges: readonly PfnRange[]): Map<number, number[]> {
  const nidsOf = new Map<number, number[]>();
  const ppb = mm.pagesPerBlock();
  for (const r of [...ranges].sort((a, b) => a.nid - b.nid || a.start - b.start)) {
    for (let id = Math.floor(r.start / ppb); id <= Math.floor((r.end - 1) / ppb); id++) {
      const nids = nidsOf.get(id) ?? [];
      if (nids[nids.length - 1] !== r.nid) nids.push(r.nid);
      nidsOf.set(id, nids);
    }
  }
  return nidsOf;
}
