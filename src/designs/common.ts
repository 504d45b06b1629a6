/**
 * Pieces designs share: reading a struct page through the memmap, testing
 * and writing a design's per-subsection bitmap, and matching core steps.
 */
import type { Geometry } from '../arch/geometry.js';
import { offsetInSection } from '../arch/pfn.js';
import { P_FLAGS, S_USAGE } from '../model/layout.js';
import type { KernelView } from '../model/machine.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import { PAGE_POISON_PATTERN, pageZonenum } from '../model/page-flags.js';
import { testSubsectionBit, usageBitmapOffset, type Words } from '../model/sections.js';
import { sectionChunks } from '../ops/sparse.js';
import { type StepArgs, step } from '../ops/step.js';
import { hex } from '../units.js';
import type { DesignStep } from './write-side.js';

/** page->flags of pfn's struct page; an unmapped memmap reads as poison (the kernel would fault). */
export function pageFlags(mem: Words, g: Geometry, pfn: number): number {
  const addr = pageAddress(mem, g, pfn);
  return addr === NULL ? PAGE_POISON_PATTERN : mem[addr + P_FLAGS];
}

/** page_zonenum(pfn_to_page(pfn)) */
export function pageZone(mem: Words, g: Geometry, pfn: number): number {
  return pageZonenum(pageFlags(mem, g, pfn));
}

/** Test pfn's subsection in bitmap `slot` of its section's usage record (NULL usage: clear). */
export function testUsageBit(mem: Words, g: Geometry, ms: number, pfn: number, slot: number): boolean {
  const usage = mem[ms + S_USAGE];
  if (usage === NULL) return false;
  const index = offsetInSection(g, pfn, Math.floor(pfn / g.pagesPerSection)) >>> g.pfnSubsectionShift;
  return testSubsectionBit(mem, usage + usageBitmapOffset(g, slot), index);
}

/**
 * Set or clear bitmap `slot` for the subsections of [startPfn, endPfn).
 * `whole` limits a set to subsections the range covers entirely.
 */
export function writeBits(
  m: KernelView,
  slot: number,
  startPfn: number,
  endPfn: number,
  set: boolean,
  whole = false,
): void {
  const g = m.g;
  for (const c of sectionChunks(g, startPfn, endPfn)) {
    const ms = m.sections.section(c.sectionNr);
    const usage = ms === NULL ? NULL : m.sections.usage(ms);
    if (usage === NULL) continue;
    let first = c.first;
    let count = c.count;
    if (whole) {
      const subStart = (i: number) => c.sectionNr * g.pagesPerSection + i * g.pagesPerSubsection;
      if (subStart(first) < c.startPfn) {
        first++;
        count--;
      }
      if (count > 0 && subStart(first + count) > c.endPfn) count--;
    }
    if (count > 0) m.sections.writeSubsectionBits(usage, slot, first, count, set);
  }
}

/** A design-side step that sets or clears its bitmap over a range. */
export function bitmapStep(
  fn: string,
  slot: number,
  startPfn: number,
  endPfn: number,
  set: boolean,
  whole = false,
): DesignStep {
  const what = `${set ? 'set' : 'clear'} ${fn.split(':')[1] ?? 'bits'} pfn ${hex(startPfn)}-${hex(endPfn - 1)}`;
  return designStep(fn, { startPfn, endPfn }, what, (m) => writeBits(m, slot, startPfn, endPfn, set, whole));
}

/** step() for a design: its run sees the kernel's view of the machine, never the truth. */
export function designStep(
  fn: string,
  args: StepArgs,
  detail: string,
  run: (m: KernelView) => unknown,
): DesignStep {
  return step(fn, args, detail, run);
}
