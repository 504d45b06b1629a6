/**
 * /proc/kpageflags and /proc/kpagecount as the kernel would show the model:
 * one little-endian u64 per pfn (fs/proc/page.c kpageflags_read(),
 * kpagecount_read()), the flags of stable_page_flags() and the page's
 * mapcount, for the pfns pfn_to_online_page() answers with a page; KPF_NOPAGE
 * and 0 elsewhere.
 *
 * Bit numbers: include/uapi/linux/kernel-page-flags.h (KPF_BUDDY 10,
 * KPF_NOPAGE 20, KPF_OFFLINE 23) and include/linux/kernel-page-flags.h
 * (KPF_RESERVED 32), the same in 5.4 and 6.19.
 *
 * What the model can know: NOPAGE, RESERVED, OFFLINE (PageOffline), and
 * BUDDY for its free pages (the kernel sets KPF_BUDDY on every page of a free
 * buddy block: PageBuddy() on the head, is_free_buddy_page() for the rest).
 * The model maps no page into a process, so its kpagecount is 0 everywhere.
 */

import { InputError } from '../../errors.js';
import { NO_PAGE, pfnToOnlinePage54, pfnToOnlinePage619 } from '../../model/lookup.js';
import type { Machine } from '../../model/machine.js';
import type { PageValue } from '../../model/memmap.js';
import { PG_buddy, PG_offline, PG_reserved, pagePoisoned } from '../../model/page-flags.js';

export const KPF_SLAB = 7;
export const KPF_BUDDY = 10;
export const KPF_NOPAGE = 20;
export const KPF_OFFLINE = 23;
export const KPF_RESERVED = 32;

/** 1 << bit for the u64 bits up to 52, as an exact JS number. */
export const kpfBit = (bit: number): number => 2 ** bit;

/** Is `bit` set in a kpageflags word held as a number (exact up to bit 52)? */
export function hasKpf(word: number, bit: number): boolean {
  return Math.floor(word / 2 ** bit) % 2 === 1;
}

/** stable_page_flags() for a model page that pfn_to_online_page() returned. */
export function modelPageFlags(page: PageValue | undefined): number {
  if (!page || pagePoisoned(page.flags)) return kpfBit(KPF_NOPAGE);
  let u = 0;
  if (page.flags & PG_reserved) u += kpfBit(KPF_RESERVED);
  if (page.flags & PG_offline) u += kpfBit(KPF_OFFLINE);
  const free = page.refcount === 0 && !(page.flags & (PG_reserved | PG_offline));
  if (page.flags & PG_buddy || free) u += kpfBit(KPF_BUDDY);
  return u;
}

/** A run of pfns [start, end) with the same kpageflags and kpagecount words. */
export interface KpageRun {
  readonly start: number;
  readonly end: number;
  readonly flags: number;
  readonly count: number;
}

/**
 * The model's kpageflags/kpagecount over [start, end), as runs. The online
 * answer is taken per subsection (sections come and go, and ZONE_DEVICE
 * ranges start and end, on subsection boundaries), the struct page per
 * memmap run.
 */
export function modelKpageRuns(m: Machine, start: number, end: number): KpageRun[] {
  const g = m.g;
  const online = g.kernel === '5.4' ? pfnToOnlinePage54 : pfnToOnlinePage619;
  const words = m.mem.words;
  const out: KpageRun[] = [];
  const push = (s: number, e: number, flags: number) => {
    const last = out[out.length - 1];
    if (last && last.end === s && last.flags === flags) out[out.length - 1] = { ...last, end: e };
    else out.push({ start: s, end: e, flags, count: 0 });
  };
  const sub = g.pagesPerSubsection;
  for (const run of m.memmap.runs(start, end)) {
    for (let s = run.start; s < run.end; ) {
      const e = Math.min(run.end, (Math.floor(s / sub) + 1) * sub);
      const page = online(words, g, s) === NO_PAGE ? undefined : run.page;
      push(s, e, modelPageFlags(page));
      s = e;
    }
  }
  // memmap.runs() skips nothing: pfns before its first run or after its last have no memmap.
  return fillGaps(out, start, end);
}

function fillGaps(runs: readonly KpageRun[], start: number, end: number): KpageRun[] {
  const out: KpageRun[] = [];
  let at = start;
  const nopage = kpfBit(KPF_NOPAGE);
  for (const r of runs) {
    if (r.start > at) out.push({ start: at, end: r.start, flags: nopage, count: 0 });
    out.push(r);
    at = r.end;
  }
  if (at < end) out.push({ start: at, end, flags: nopage, count: 0 });
  return out;
}

/** One past the last pfn of the last present section: where the exported files end. */
export function kpageEnd(m: Machine): number {
  let last = -1;
  for (const nr of m.sections.presentSectionNrs()) last = nr;
  return (last + 1) * m.g.pagesPerSection;
}

/** The files are written whole: at most 2^28 pfns (1 TiB of 4 KiB pages, 2 GiB per file). */
export const KPAGE_EXPORT_LIMIT = 2 ** 28;

/** /proc/kpageflags and /proc/kpagecount bytes for pfns [0, kpageEnd). */
export function kpageFiles(m: Machine): { kpageflags: Uint8Array; kpagecount: Uint8Array } {
  const end = kpageEnd(m);
  if (end > KPAGE_EXPORT_LIMIT)
    throw new InputError(
      'export',
      `--format kpageflags: ${end} pfns to write (${(end * 8) / 2 ** 30} GiB per file); the limit is ${KPAGE_EXPORT_LIMIT} pfns`,
      end,
    );
  const flags = Buffer.alloc(end * 8);
  const count = Buffer.alloc(end * 8);
  const word = Buffer.alloc(8);
  for (const r of modelKpageRuns(m, 0, end)) {
    word.writeBigUInt64LE(BigInt(r.flags));
    flags.fill(word, r.start * 8, r.end * 8);
    word.writeBigUInt64LE(BigInt(r.count));
    count.fill(word, r.start * 8, r.end * 8);
  }
  return { kpageflags: flags, kpagecount: count };
}
