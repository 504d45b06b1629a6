/**
 * What a lookup touches: every load a design's pfn_to_online_page() makes,
 * sorted by what the word belongs to (root table, mem_section, usage and
 * bitmaps, struct page, pgmap table), averaged over every pfn of a present
 * section.
 */
import type { BoundDesign } from '../designs/index.js';
import type { Machine } from '../model/machine.js';
import { MEM_KIND_NAMES } from '../model/memory.js';
import type { WordReader } from '../model/sections.js';
import { pfnClasses } from './classes.js';

/** A WordReader that counts loads by the kind of allocation they hit. */
export class CountingReader implements WordReader {
  readonly counts = new Float64Array(16);
  constructor(private readonly m: Machine) {}
  load(addr: number): number {
    this.counts[this.m.mem.kindOf(addr)]++;
    return this.m.mem.load(addr);
  }
}

/** Loads by kind; `total` leaves out the vmemmap walk (the MMU's work: pfn_to_page() is arithmetic). */
export type LookupCost = Record<string, number>;

/** Average loads per pfn_to_online_page() call, by kind, over every pfn of a present section. */
export function lookupCost(m: Machine, b: BoundDesign): LookupCost {
  const present = new Set(m.sections.presentSectionNrs());
  const counter = new CountingReader(m);
  const lookup = b.design.lookup({ ...b.ctx, mem: counter });
  let weight = 0;
  const totals = new Float64Array(16);
  for (const c of pfnClasses(m)) {
    if (!present.has(Math.floor(c.start / m.g.pagesPerSection))) continue;
    counter.counts.fill(0);
    lookup.pfnToOnlinePage(c.start);
    const n = c.end - c.start;
    for (let k = 0; k < 16; k++) totals[k] += counter.counts[k] * n;
    weight += n;
  }
  const out: LookupCost = {};
  let all = 0;
  for (let k = 0; k < 16; k++) {
    if (!totals[k]) continue;
    const name = MEM_KIND_NAMES[k] ?? 'unallocated';
    out[name] = (out[name] ?? 0) + totals[k] / weight;
    all += totals[k] / weight;
  }
  out.total = all - (out['vmemmap walk'] ?? 0);
  return out;
}
