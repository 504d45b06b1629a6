/**
 * active-bitmap: David Hildenbrand's proposal (linux-mm, October 2019).
 * SECTION_IS_ONLINE becomes a per-subsection "active" bitmap: a subsection is
 * set active once its memmap is initialized and set inactive before the
 * memmap is invalidated; driver-reserved device memory is never active.
 * pfn_active() tests the bit, pfn_to_online_page() = active && zone !=
 * ZONE_DEVICE, pfn_to_device_page() = active && zone == ZONE_DEVICE.
 * Readers hold rcu_read_lock() across lookup and use; writers clear the bits,
 * synchronize_rcu(), then invalidate.
 *
 * The fault variants break exactly one rule, for the explorer and the stress
 * runner to catch: no-sync (writers skip synchronize_rcu), single-flip (a grace
 * period with one phase flip), check-before-lock (readers test the bit before
 * rcu_read_lock).
 */

import type { DesignAccesses, ProtocolDeclaration } from '../lkmm/index.js';
import {
  N_CHILD,
  N_PAGE,
  N_STATE,
  NODE_SPLIT,
  P_FLAGS,
  PAGE_WORDS,
  S_FLAGS,
  S_MEMMAP,
  S_USAGE,
  SECTION_HAS_MEM_MAP,
  SECTION_WORDS,
} from '../model/layout.js';
import { pfnValid619 } from '../model/lookup.js';
import type { KernelView } from '../model/machine.js';
import { PAGE_POISON_PATTERN, ZONE_DEVICE, ZONES_MASK, ZONES_SHIFT } from '../model/page-flags.js';
import { rootsAddr, usageBitmapOffset, type Words } from '../model/sections.js';
import { synchronizeRcuSteps } from '../rcu/memb.js';
import { bitmapStep, pageZone } from './common.js';
import type { Design, DesignContext, DesignStep, DesignWriteSide } from './design.js';

export interface ActiveBitmapFaults {
  /** Grace-period flips in synchronize_rcu(): 2 (correct), 1 (single-flip), 0 (no-sync). */
  readonly flips: 0 | 1 | 2;
  /** Readers test the active bit before rcu_read_lock(). */
  readonly checkBeforeLock: boolean;
}

export const ACTIVE = 'active';

function inactiveSteps(
  m: KernelView,
  slot: number,
  startPfn: number,
  endPfn: number,
  flips: 0 | 1 | 2,
): DesignStep[] {
  const clear = bitmapStep('set_subsections_inactive', slot, startPfn, endPfn, false);
  if (flips === 0) return [clear];
  return [clear, ...synchronizeRcuSteps(m, flips, 'before invalidating the memmap')];
}

// Hot-path copies of layout constants: V8 folds a module's own constants but reads an
// imported binding every time (measured on bench/lookup: about 30% of the lookup).
const FLAGS = S_FLAGS;
const USAGE = S_USAGE;
const MEMMAP = S_MEMMAP;
const HAS_MEM_MAP = SECTION_HAS_MEM_MAP;
const SECTION_STRIDE = SECTION_WORDS;
const STATE = N_STATE;
const CHILD = N_CHILD;
const PAGE = N_PAGE + P_FLAGS;
const SPLIT = NODE_SPLIT;
const PAGE_STRIDE = PAGE_WORDS;
const POISON = PAGE_POISON_PATTERN;
const ZONE_SHIFT = ZONES_SHIFT;
const ZONE_MASK = ZONES_MASK;
const DEVICE = ZONE_DEVICE;

/**
 * page->flags of the page at `offset` (subsection idx) of section ms, through the
 * vmemmap: poison when unmapped. Kept apart from the lookup so that V8 inlines
 * both (a function over ~460 bytes of bytecode is never inlined); a const, so the
 * inlined call needs no identity check per lookup.
 */
const memmapFlags = (mem: Words, ms: number, offset: number, idx: number, subMask: number): number => {
  const node = mem[(ms + MEMMAP) | 0];
  if (node === 0) return POISON;
  if (mem[(node + STATE) | 0] !== SPLIT) return mem[(node + PAGE) | 0];
  const sub = mem[(mem[(node + CHILD) | 0] + idx) | 0];
  if (sub === 0) return POISON;
  if (mem[(sub + STATE) | 0] !== SPLIT) return mem[(sub + PAGE) | 0];
  return mem[(mem[(sub + CHILD) | 0] + (offset & subMask) * PAGE_STRIDE + PAGE) | 0];
};

function writeSide(ctx: DesignContext, faults: ActiveBitmapFaults, name: string): DesignWriteSide {
  const slot = ctx.slots[ACTIVE];
  return {
    name,
    before(s, m) {
      const { startPfn = 0, endPfn = 0 } = s.args;
      // offline_pages(): inactive, grace period, then the memmap may be poisoned or freed.
      if (s.fn === 'offline_mem_sections') return inactiveSteps(m, slot, startPfn, endPfn, faults.flips);
      // memunmap_pages(): inactive before the pgmap's percpu_ref_kill().
      if (s.fn === 'percpu_ref_kill') return inactiveSteps(m, slot, startPfn, endPfn, faults.flips);
      return [];
    },
    after(s) {
      const { startPfn = 0, endPfn = 0 } = s.args;
      // online_pages(): active where SECTION_IS_ONLINE used to be set.
      if (s.fn === 'online_mem_sections')
        return [bitmapStep('set_subsections_active', slot, startPfn, endPfn, true)];
      // memremap_pages(): device pages are initialized; the altmap's pfns never become active.
      if (s.fn === 'memmap_init_zone_device')
        return [bitmapStep('set_subsections_active', slot, startPfn, endPfn, true, true)];
      if (s.fn === 'memory_dev_init') return [bootActiveStep(slot)];
      return [];
    },
  };
}

/** At the end of boot, every subsection holding boot memory is active. */
function bootActiveStep(slot: number): DesignStep {
  return {
    fn: 'set_subsections_active',
    args: {},
    detail: 'boot memory subsections',
    run(m) {
      for (const nr of m.sections.presentSectionNrs())
        m.sections.orBitmap(m.sections.usage(m.sections.section(nr)), 0, slot);
      return undefined;
    },
  };
}

/**
 * As proposed in the thread: set_subsections_active()/set_subsections_inactive() change the bit
 * with atomic bitops ("clears the bit atomically"), which order nothing; pfn_active() is test_bit().
 */
function activeBitmapAccesses(faults: ActiveBitmapFaults): DesignAccesses {
  const bit = 'the active subsection bit';
  const load = { marking: 'test_bit', fn: 'pfn_active()' } as const;
  const set = (op: 'online' | 'memremap', after: string): ProtocolDeclaration => ({
    op,
    flag: bit,
    store: { marking: 'set_bit', fn: `set_subsections_active() after ${after}` },
    load,
    writer: ['init', 'flag'],
  });
  const clear = (op: 'offline+remove' | 'memunmap', before: string): ProtocolDeclaration => ({
    op,
    flag: bit,
    store: { marking: 'clear_bit', fn: `set_subsections_inactive() before ${before}` },
    load,
    writer: faults.flips === 0 ? ['flag', 'poison'] : ['flag', 'synchronize_rcu', 'poison'],
  });
  return {
    reader: faults.checkBeforeLock ? 'none' : 'rcu',
    protocols: [
      set('online', 'online_mem_sections()'),
      set('memremap', 'memmap_init_zone_device()'),
      clear('offline+remove', 'offline_mem_sections()'),
      clear('memunmap', 'percpu_ref_kill()'),
    ],
  };
}

export function activeBitmap(name: string, faults: ActiveBitmapFaults): Design {
  const variant =
    faults.flips === 0
      ? 'writers skip synchronize_rcu()'
      : faults.flips === 1
        ? 'grace periods flip the phase once'
        : faults.checkBeforeLock
          ? 'readers test the bit before rcu_read_lock()'
          : '';
  return {
    name,
    summary: variant
      ? `active-bitmap with an injected fault: ${variant}`
      : "David Hildenbrand's per-subsection active bitmap: pfn_active(), pfn_to_online_page(), pfn_to_device_page() under RCU",
    usageBitmaps: [ACTIVE],
    protection: 'rcu',
    kernel: '6.19',
    checkBeforeLock: faults.checkBeforeLock,
    writeRules: [
      "online_pages(): set the block's subsections active right after online_mem_sections().",
      "memremap_pages(): after memmap_init_zone_device(), set active the subsections made only of device pages (never the altmap's reserved or memmap-holding pfns).",
      `offline_pages() before offline_mem_sections() and memunmap_pages() before percpu_ref_kill(): set the range inactive${faults.flips ? `, then synchronize_rcu() (${faults.flips === 2 ? 'two phase flips' : 'ONE phase flip: the fault'})` : ' and do NOT wait for a grace period (the fault)'}.`,
      'boot: subsections holding boot memory are active once memory_dev_init() is done.',
    ],
    accesses: activeBitmapAccesses(faults),
    lookup(ctx) {
      const { mem, g } = ctx;
      // The hot path of bench/lookup, written flat: every constant hoisted, the memmap walk inline,
      // integer arithmetic wherever the values fit 32 bits.
      const roots = rootsAddr(mem);
      const nrMax = g.nrMemSections;
      const pps = g.pagesPerSection;
      const rootShift = g.rootShift;
      const rootMask = g.sectionsPerRoot - 1;
      const subShift = g.pfnSubsectionShift;
      const subMask = g.pagesPerSubsection - 1;
      const activeMap = usageBitmapOffset(g, ctx.slots[ACTIVE]);
      /**
       * pfn_active() then page_zone(pfn_to_page(pfn)): the zone of an active pfn's page, or -1.
       * Reading the struct page is safe because active means its memmap is initialized.
       */
      const sectionShift = g.pfnSectionShift;
      const activeZone = (pfn: number): number => {
        let nr: number;
        let offset: number;
        if (pfn < 4294967296) {
          // Up to 16 TiB of 4K pages the pfn fits 32 bits: shifts instead of float division.
          const p = pfn >>> 0;
          nr = p >>> sectionShift;
          offset = p & (pps - 1);
        } else {
          nr = Math.floor(pfn / pps);
          offset = (pfn - nr * pps) | 0;
        }
        if (nr >= nrMax) return -1;
        const root = mem[(roots + (nr >>> rootShift)) | 0];
        if (root === 0) return -1;
        const ms = (root + (nr & rootMask) * SECTION_STRIDE) | 0;
        if ((mem[(ms + FLAGS) | 0] & HAS_MEM_MAP) === 0) return -1;
        const usage = mem[(ms + USAGE) | 0];
        if (usage === 0) return -1;
        const idx = offset >>> subShift;
        if (((mem[(usage + activeMap + (idx >>> 5)) | 0] >>> idx) & 1) === 0) return -1; // bit idx % 32
        return (memmapFlags(mem, ms, offset, idx, subMask) >>> ZONE_SHIFT) & ZONE_MASK;
      };
      return {
        pfnValid: (pfn) => pfnValid619(mem, g, pfn),
        pfnToOnlinePage(pfn) {
          const zone = activeZone(pfn);
          return zone >= 0 && zone !== DEVICE ? pfn : -1; // -1 is NO_PAGE
        },
        pfnToDevicePage: (pfn) => (activeZone(pfn) === DEVICE ? pfn : -1),
        // "Is this pfn ZONE_DEVICE?" asked the design's way: pfn_to_device_page() != NULL.
        isZoneDevicePage: (pfn) => activeZone(pfn) === DEVICE,
        pageZone: (pfn) => pageZone(mem, g, pfn),
      };
    },
    writeSide: (ctx) => writeSide(ctx, faults, name),
  };
}

export const activeBitmapDesign = activeBitmap('active-bitmap', { flips: 2, checkBeforeLock: false });
export const activeBitmapNoSync = activeBitmap('active-bitmap/no-sync', { flips: 0, checkBeforeLock: false });
export const activeBitmapSingleFlip = activeBitmap('active-bitmap/single-flip', {
  flips: 1,
  checkBeforeLock: false,
});
export const activeBitmapCheckBeforeLock = activeBitmap('active-bitmap/check-before-lock', {
  flips: 2,
  checkBeforeLock: true,
});
