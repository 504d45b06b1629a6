/**
 * The kernel's own pfn lookups, as 5.4 and 6.19 define them. The core model
 * uses them where the kernel does (shrink_zone_span() walks the zone with
 * pfn_to_online_page()), and the v5.4 and upstream designs answer with them.
 *
 * Each returns the pfn itself for "a struct page", or -1 for NULL: with
 * VMEMMAP, pfn_to_page() is arithmetic, so the pfn names the page.
 */
import type { Geometry } from '../arch/geometry.js';
import { NULL } from './memory.js';
import { getDevPagemap } from './pgmap.js';
import {
  earlySection,
  nrToSection,
  onlineDeviceSection,
  onlineSection,
  pfnSectionValid,
  validSection,
  type Words,
} from './sections.js';

/** Returned by lookups for "no page" (NULL). A page is named by its pfn (VMEMMAP pfn_to_page() is arithmetic). */
export const NO_PAGE = -1;

/** pfn_valid() in 5.4: valid_section && (early_section || pfn_section_valid). No RCU. */
export function pfnValid54(mem: Words, g: Geometry, pfn: number): boolean {
  const nr = Math.floor(pfn / g.pagesPerSection);
  if (nr >= g.nrMemSections) return false;
  const ms = nrToSection(mem, g, nr);
  if (!validSection(mem, ms)) return false;
  return earlySection(mem, ms) || pfnSectionValid(mem, g, ms, pfn);
}

/**
 * pfn_valid() in 6.19. The kernel wraps the section tests in
 * rcu_read_lock_sched() to keep ms->usage alive; callers that model RCU take
 * the read lock around this call.
 */
export function pfnValid619(mem: Words, g: Geometry, pfn: number): boolean {
  if (pfn >= g.maxPfn) return false; // PHYS_PFN(PFN_PHYS(pfn)) != pfn
  return pfnValid54(mem, g, pfn);
}

/** pfn_to_online_page() in 5.4: the section's ONLINE bit alone. */
export function pfnToOnlinePage54(mem: Words, g: Geometry, pfn: number): number {
  const nr = Math.floor(pfn / g.pagesPerSection);
  if (nr >= g.nrMemSections) return NO_PAGE;
  const ms = nrToSection(mem, g, nr);
  return ms !== NULL && onlineSection(mem, ms) ? pfn : NO_PAGE;
}

/** pfn_to_online_page() in 6.19: ONLINE, the subsection map, then the ZONE_DEVICE taint slow path. */
export function pfnToOnlinePage619(mem: Words, g: Geometry, pfn: number): number {
  const nr = Math.floor(pfn / g.pagesPerSection);
  if (nr >= g.nrMemSections) return NO_PAGE;
  const ms = nrToSection(mem, g, nr);
  if (ms === NULL || !onlineSection(mem, ms)) return NO_PAGE;
  if (!pfnSectionValid(mem, g, ms, pfn)) return NO_PAGE;
  if (!onlineDeviceSection(mem, ms)) return pfn;
  // The presence of a pgmap means a ZONE_DEVICE pfn in an otherwise online section.
  return getDevPagemap(mem, pfn) !== 0 ? NO_PAGE : pfn;
}
