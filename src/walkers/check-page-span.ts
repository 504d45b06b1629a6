/**
 * Hardened usercopy's check_page_span() (mm/usercopy.c, 5.4; removed in v5.18
 * with HARDENED_USERCOPY_PAGESPAN): a copy that spans several pages of a
 * non-slab object is allowed only if the pages are all PG_reserved or all CMA
 * (and the first is one of them).
 *
 * The RFC in the seed thread stops marking hotplugged and ZONE_DEVICE pages
 * PG_reserved, so this check decides differently; its patch 3 makes the
 * check treat is_zone_device_page() like PG_reserved, and Dan Williams
 * answered that ZONE_DEVICE pages should simply not matter to it. Each rule is
 * one variant here. The model has no kernel image (.rodata/.data/.bss) and no
 * compound pages or CMA, so those early exits are never taken.
 */
import type { Geometry } from '../arch/geometry.js';
import type { Lookup } from '../designs/design.js';
import { InputError } from '../errors.js';
import { SECTION_IS_EARLY } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { NULL } from '../model/memory.js';
import { PG_reserved, pagePoisoned, pageZonenum, ZONE_DEVICE } from '../model/page-flags.js';
import { hex } from '../units.js';
import type { WalkerDef } from './walker.js';

export type PageSpanVariant = 'as-is' | 'rfc' | 'rfc-zone-device' | 'ignore-zone-device';

export const PAGE_SPAN_VARIANTS: Readonly<Record<PageSpanVariant, string>> = {
  'as-is': 'check_page_span() on the memmap as the model has it',
  rfc: 'RFC: hotplugged and ZONE_DEVICE pages are not PG_reserved',
  'rfc-zone-device': 'RFC + patch 3: is_zone_device_page() counts as PG_reserved',
  'ignore-zone-device': 'ZONE_DEVICE pages do not take part in the check (Dan Williams)',
};

export interface PageSpanPage {
  readonly pfn: number;
  /** A memmap maps the pfn: reading its struct page does not fault. */
  readonly mapped: boolean;
  readonly reserved: boolean;
  readonly zoneDevice: boolean;
  readonly hotplugged: boolean;
  readonly poisoned: boolean;
  /** The loop tests this page's flags (false for the page holding the end when the loop steps over it). */
  readonly visited: boolean;
}

export type PageSpanVerdict =
  | { readonly allowed: true; readonly why: string }
  | { readonly allowed: false; readonly abort: string; readonly pfn: number };

/**
 * 5.4 mm/usercopy.c check_page_span() tests the pages of ptr, ptr + PAGE_SIZE, ... while the
 * pointer is <= end (the copy's last byte), starting from the unaligned ptr: when end's offset in
 * its page is below ptr's, the pointer steps past end before reaching end's page, which is then
 * never tested.
 */
export function endPageSkipped(addr: number, len: number, pageSize: number): boolean {
  const end = addr + len - 1;
  return Math.floor(end / pageSize) > Math.floor(addr / pageSize) && end % pageSize < addr % pageSize;
}

/** The pages [firstPfn, lastPfn] as check_page_span() would look at them (virt_to_head_page + flags). */
export function pageSpanPages(
  m: Machine,
  lookup: Lookup,
  firstPfn: number,
  lastPfn: number,
  endSkipped = false,
): PageSpanPage[] {
  const out: PageSpanPage[] = [];
  for (let pfn = firstPfn; pfn <= lastPfn; pfn++) {
    const page = m.memmap.read(pfn);
    const flags = page?.flags ?? -1;
    const ms = m.sections.section(Math.floor(pfn / m.g.pagesPerSection));
    const early = ms !== NULL && (m.sections.flags(ms) & SECTION_IS_EARLY) !== 0;
    out.push({
      pfn,
      mapped: page !== undefined,
      reserved: (flags & PG_reserved) !== 0,
      zoneDevice: lookup.isZoneDevicePage(pfn),
      // A struct page the RFC would leave unreserved: one that exists and was not made at boot.
      hotplugged: page !== undefined && (!early || pageZonenum(flags) === ZONE_DEVICE),
      poisoned: pagePoisoned(flags),
      visited: !(endSkipped && pfn === lastPfn && lastPfn > firstPfn),
    });
  }
  return out;
}

function reservedUnder(v: PageSpanVariant, p: PageSpanPage): boolean {
  if (v === 'as-is' || v === 'ignore-zone-device') return p.reserved;
  const rfcReserved = p.reserved && !p.hotplugged;
  return v === 'rfc' ? rfcReserved : rfcReserved || p.zoneDevice;
}

/** check_page_span() for a copy of n bytes at physical address addr, under one variant. */
export function checkPageSpan(pages: readonly PageSpanPage[], v: PageSpanVariant): PageSpanVerdict {
  const considered = v === 'ignore-zone-device' ? pages.filter((p) => !p.zoneDevice) : pages;
  if (considered.length <= 1)
    return {
      allowed: true,
      why:
        pages.length <= 1
          ? 'within one page'
          : considered.length === 0
            ? 'only ZONE_DEVICE pages'
            : 'only ZONE_DEVICE pages besides one',
    };
  const first = considered[0];
  const isReserved = reservedUnder(v, first);
  if (!isReserved) return { allowed: false, abort: 'spans multiple pages', pfn: first.pfn };
  for (const p of considered.slice(1)) {
    if (p.visited && !reservedUnder(v, p))
      return { allowed: false, abort: 'spans Reserved and non-Reserved pages', pfn: p.pfn };
  }
  return { allowed: true, why: 'every page is Reserved' };
}

/** The whole of hardened usercopy's verdict on a copy: was it checked, how, and what the check read. */
export interface UsercopyVerdict {
  /** check_heap_object() goes on to check_page_span() only where virt_addr_valid() holds. */
  readonly checked: boolean;
  readonly why?: string;
  readonly verdicts?: Record<PageSpanVariant, PageSpanVerdict>;
  /** Struct pages the check reads that are not initialized memmap: what the kernel would really see. */
  readonly hazards: readonly string[];
}

/** What reading these struct pages would really do, beyond PageReserved()'s answer. */
function hazards(pages: readonly PageSpanPage[]): string[] {
  const out: string[] = [];
  const unmapped = pages.find((p) => !p.mapped);
  if (unmapped)
    out.push(
      `pfn 0x${unmapped.pfn.toString(16)} has no memmap: reading its struct page faults in the vmemmap (oops)`,
    );
  const poisoned = pages.find((p) => p.mapped && p.poisoned);
  if (poisoned)
    out.push(
      `pfn 0x${poisoned.pfn.toString(16)}'s struct page is poisoned (never initialized or freed): PageReserved() reads all-ones flags, and DEBUG_VM's PF_POISONED_CHECK would BUG`,
    );
  return out;
}

/**
 * check_heap_object() for a non-slab copy: virt_addr_valid() - pfn_valid() of the first page on
 * x86-64 - gates check_page_span(), which then reads every page the copy spans.
 */
export function usercopyVerdict(pages: readonly PageSpanPage[], firstPfnValid: boolean): UsercopyVerdict {
  if (!firstPfnValid)
    return {
      checked: false,
      why: `virt_addr_valid() is false: pfn 0x${pages[0].pfn.toString(16)} has no struct page, so check_heap_object() returns before check_page_span()`,
      hazards: [],
    };
  const verdicts = Object.fromEntries(
    (Object.keys(PAGE_SPAN_VARIANTS) as PageSpanVariant[]).map((v) => [v, checkPageSpan(pages, v)]),
  ) as Record<PageSpanVariant, PageSpanVerdict>;
  return { checked: true, verdicts, hazards: hazards(pages) };
}

/** The most pages a copy may span here: a bound on the work, not the kernel's. */
export const USERCOPY_MAX_PAGES = 4096;

/** The pages a copy of len bytes at physical address addr spans. */
export interface CopySpan {
  readonly addr: number;
  readonly len: number;
  readonly firstPfn: number;
  readonly lastPfn: number;
  /** check_page_span()'s loop steps over the last page (endPageSkipped()). */
  readonly endSkipped: boolean;
}

/** The span of a copy; refused (InputError) beyond MAX_PHYSMEM_BITS or over USERCOPY_MAX_PAGES pages. */
export function copySpan(g: Geometry, addr: number, len: number): CopySpan {
  if (addr + len > 2 ** g.maxPhysmemBits)
    throw new InputError('usercopy', `${hex(addr)}+${len} lies beyond MAX_PHYSMEM_BITS`, addr);
  const firstPfn = Math.floor(addr / g.pageSize);
  const lastPfn = Math.floor((addr + len - 1) / g.pageSize);
  if (lastPfn - firstPfn >= USERCOPY_MAX_PAGES)
    throw new InputError(
      'usercopy',
      `a copy of ${len} bytes spans more than ${USERCOPY_MAX_PAGES} pages`,
      len,
    );
  return { addr, len, firstPfn, lastPfn, endSkipped: endPageSkipped(addr, len, g.pageSize) };
}

/** Hardened usercopy on one copy: the pages it reads, its verdict, and whether the RFC changes it. */
export interface UsercopyCheck {
  readonly span: CopySpan;
  readonly pages: readonly PageSpanPage[];
  readonly verdict: UsercopyVerdict;
  readonly rfcChangesVerdict: boolean;
}

/** check_heap_object() -> check_page_span() on a copy, with the design's lookups. */
export function checkUsercopy(m: Machine, lookup: Lookup, span: CopySpan): UsercopyCheck {
  const pages = pageSpanPages(m, lookup, span.firstPfn, span.lastPfn, span.endSkipped);
  const verdict = usercopyVerdict(pages, lookup.pfnValid(span.firstPfn));
  const rfcChangesVerdict = verdict.verdicts
    ? verdict.verdicts['as-is'].allowed !== verdict.verdicts.rfc.allowed
    : false;
  return { span, pages, verdict, rfcChangesVerdict };
}

/**
 * check_page_span() as a walker: hardened usercopy tests PageReserved() of
 * every page a copy spans. The object belongs to the caller, who keeps it
 * (and so its pages) alive: the walker is run on pages no operation touches.
 */
export const checkPageSpanWalker: WalkerDef = {
  name: 'check_page_span',
  models: 'check_page_span() (mm/usercopy.c, 5.4; removed in v5.18)',
  protection: { '5.4': "the caller's object: its pages stay allocated", '6.19': 'gone (v5.18)' },
  targets: 'untouched',
  run(k, pfn) {
    k.enter();
    if (!k.pageReserved(pfn)) k.pageReserved(pfn + 1);
    k.exit();
  },
};
