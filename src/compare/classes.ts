/**
 * Classes of pfns that every design must answer alike: between two
 * breakpoints nothing a design can read differs (section record, usage
 * bitmaps at subsection granularity, struct page contents, pgmap ranges) and
 * neither does the truth. Evaluating one pfn per class and weighting it by the
 * class's size counts wrong answers over every pfn exactly.
 *
 * Breakpoints: section boundaries of allocated sections; subsection boundaries
 * where a section's usage bitmaps are not uniform; memmap runs; truth
 * intervals; pgmap ranges. The rest of the address space forms a few large
 * classes of pfns with no section at all.
 */

import { USAGE_DESIGN_BITMAPS } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';

export interface PfnClass {
  readonly start: number;
  readonly end: number;
}

function usageUniform(m: Machine, usage: number): boolean {
  for (let slot = 0; slot <= USAGE_DESIGN_BITMAPS; slot++) {
    const first = m.sections.testSubsection(usage, slot, 0);
    for (let i = 1; i < m.g.subsectionsPerSection; i++)
      if (m.sections.testSubsection(usage, slot, i) !== first) return false;
  }
  return true;
}

export function pfnBreakpoints(m: Machine): number[] {
  const g = m.g;
  const points = new Set<number>([0, g.maxPfn]);
  for (const nr of m.sections.allocatedSectionNrs()) {
    const start = nr * g.pagesPerSection;
    points.add(start);
    points.add(start + g.pagesPerSection);
    const ms = m.sections.section(nr);
    const usage = m.sections.usage(ms);
    if (usage !== NULL && !usageUniform(m, usage)) {
      for (let i = 1; i < g.subsectionsPerSection; i++) points.add(start + i * g.pagesPerSubsection);
    }
    for (const run of m.memmap.runs(start, start + g.pagesPerSection)) points.add(run.start);
  }
  for (const iv of m.truth.intervals()) {
    points.add(iv.start);
    points.add(iv.end);
  }
  for (const p of m.pgmaps.values()) {
    points.add(p.startPfn);
    points.add(p.endPfn);
  }
  return [...points].filter((p) => p <= g.maxPfn).sort((a, b) => a - b);
}

export function pfnClasses(m: Machine): PfnClass[] {
  const points = pfnBreakpoints(m);
  const out: PfnClass[] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push({ start: points[i], end: points[i + 1] });
  return out;
}
