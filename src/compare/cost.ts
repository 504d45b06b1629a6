/**
 * What a lookup touches: every load a design's pfn_to_online_page() makes,
 * sorted by what the word belongs to (root table, mem_section, usage and
 * bitmaps, struct page, pgmap table), averaged over every pfn of a present
 * section.
 */
import type { BoundDesign } from '../designs/index.js';
import type { Machine } from '../model/machine.js';
import { MEM_KIND_NAMES } from '../model/memory.js';
import { nrToSection, presentSection, type Words } from '../model/sections.js';
import { type PfnClass, pfnClasses } from './classes.js';

/** Model memory as Words that count every load by the kind of allocation it hits. */
export function countingWords(m: Machine): { words: Words; counts: Float64Array } {
  const counts = new Float64Array(16);
  const proxy = new Proxy(m.mem.words, {
    get(target, key) {
      if (typeof key === 'string') {
        const addr = Number(key);
        if (Number.isInteger(addr)) {
          counts[m.mem.kindOf(addr)]++;
          return target[addr];
        }
      }
      return Reflect.get(target, key);
    },
  });
  return { words: proxy, counts };
}

/** Loads by kind; `total` leaves out the vmemmap walk (the MMU's work: pfn_to_page() is arithmetic). */
export type LookupCost = Record<string, number>;

/**
 * Average loads per pfn_to_online_page() call, by kind, over every pfn of a
 * present section. `classes` (default: pfnClasses(m)) must be classes of m as
 * it is; a class never spans sections whose flags differ, so its first
 * section says whether all of it is present.
 */
export function lookupCost(
  m: Machine,
  b: BoundDesign,
  classes: readonly PfnClass[] = pfnClasses(m),
): LookupCost {
  const mem = m.mem.words;
  const counter = countingWords(m);
  const lookup = b.design.lookup({ ...b.ctx, mem: counter.words });
  let weight = 0;
  const totals = new Float64Array(16);
  for (const c of classes) {
    if (!presentSection(mem, nrToSection(mem, m.g, Math.floor(c.start / m.g.pagesPerSection)))) continue;
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
