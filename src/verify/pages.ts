/**
 * Struct pages, pfn by pfn: the guest's /proc/kpageflags and /proc/kpagecount
 * against the model's (src/io/export/kpageflags.ts), compared per class over
 * runs so that a 4 GiB guest costs a few seconds.
 *
 * A pfn's class: nopage (KPF_NOPAGE: pfn_to_online_page() is NULL), offline
 * (KPF_OFFLINE, PageOffline), reserved (KPF_RESERVED), free (KPF_BUDDY: every
 * page of a free buddy block) or allocated (anything else); a kpagecount
 * (mapcount) above 0 is added to it, as the model maps nothing.
 *
 * Inside the guest's boot System RAM (and under the model's pins, which stand
 * for kernel allocations elsewhere) the kernel's own allocations (its image,
 * page tables, slab, the initramfs, the agent's processes) are not in the
 * model: there only nopage and offline are compared, every other class
 * counting as "page". /proc/kpageflags carries no zone bits: zones are
 * compared through /proc/zoneinfo and valid_zones.
 */
import {
  hasKpf,
  KPF_BUDDY,
  KPF_NOPAGE,
  KPF_OFFLINE,
  KPF_RESERVED,
  type KpageRun,
} from '../io/export/kpageflags.js';
import { hex } from '../units.js';
import type { Disagreement, Region } from './compare.js';

/** The agent reads kpageflags in 4 KiB blocks: 512 pfns. */
export const KPAGE_ALIGN = 512;

/** A run of pfns [start, end) with one u64 value. */
export interface ValueRun {
  readonly start: number;
  readonly end: number;
  readonly value: number;
}

/**
 * `od -Ad -tx8 -w8` output for pfns from `first`: "OFFSET VALUE" lines, "*"
 * for repeats of the line above, and the end offset alone on the last line.
 */
export function parseOdRuns(lines: readonly string[], first: number): ValueRun[] {
  const marks: { offset: number; value: number | undefined }[] = [];
  for (const line of lines) {
    const m = /^\s*(\d+)(?:\s+([0-9a-f]+))?\s*$/i.exec(line);
    if (m)
      marks.push({ offset: Number(m[1]), value: m[2] === undefined ? undefined : Number.parseInt(m[2], 16) });
  }
  const out: ValueRun[] = [];
  for (let i = 0; i < marks.length; i++) {
    const { offset, value } = marks[i];
    if (value === undefined) break;
    const next = marks[i + 1]?.offset ?? offset + 8;
    const start = first + offset / 8;
    const end = first + next / 8;
    const last = out[out.length - 1];
    if (last && last.value === value && last.end === start) out[out.length - 1] = { ...last, end };
    else out.push({ start, end, value });
  }
  return out;
}

/** The agent's `kpage` answer: the flags runs, then the count runs. */
export function parseKpage(
  lines: readonly string[],
  first: number,
): { flags: ValueRun[]; count: ValueRun[] } {
  const at = lines.indexOf('@@COUNT');
  const flagsLines = lines.slice(lines.indexOf('@@FLAGS') + 1, at < 0 ? lines.length : at);
  const countLines = at < 0 ? [] : lines.slice(at + 1);
  return { flags: parseOdRuns(flagsLines, first), count: parseOdRuns(countLines, first) };
}

export function pageClass(flags: number): string {
  if (hasKpf(flags, KPF_NOPAGE)) return 'nopage';
  if (hasKpf(flags, KPF_OFFLINE)) return 'offline';
  if (hasKpf(flags, KPF_RESERVED)) return 'reserved';
  if (hasKpf(flags, KPF_BUDDY)) return 'free';
  return 'allocated';
}

/** The class compared: coarse inside boot RAM, with the mapcount outside it. */
function comparedClass(flags: number, count: number, boot: boolean): string {
  const c = pageClass(flags);
  if (boot) return c === 'nopage' || c === 'offline' ? c : 'page';
  return count > 0 ? `${c}, mapcount ${count}` : c;
}

/** The run of `runs` holding pfn, advancing the index `at` (runs ascending); undefined in a gap. */
function runAt<T extends { start: number; end: number }>(
  runs: readonly T[],
  at: { i: number },
  pfn: number,
): T | undefined {
  while (at.i < runs.length && runs[at.i].end <= pfn) at.i++;
  const r = runs[at.i];
  return r && r.start <= pfn ? r : undefined;
}

/**
 * Split [start, end) at every boundary of the model's runs, the guest's runs
 * and boot RAM: each piece has one value on every side. Pfns the guest did
 * not read are skipped.
 */
function* pieces(
  model: readonly KpageRun[],
  flags: readonly ValueRun[],
  count: readonly ValueRun[],
  boot: readonly Region[],
): Generator<{ start: number; end: number; model: KpageRun; flags: number; count: number; boot: boolean }> {
  const at = { m: { i: 0 }, f: { i: 0 }, c: { i: 0 }, b: { i: 0 } };
  let pfn = flags.length ? flags[0].start : 0;
  const last = flags.length ? flags[flags.length - 1].end : 0;
  while (pfn < last) {
    const f = runAt(flags, at.f, pfn);
    const m = runAt(model, at.m, pfn);
    const c = runAt(count, at.c, pfn);
    const b = runAt(boot, at.b, pfn);
    const nextBoot = at.b.i < boot.length ? boot[at.b.i].start : Number.POSITIVE_INFINITY;
    const ends = [f?.end, m?.end, c?.end, b ? b.end : nextBoot > pfn ? nextBoot : undefined];
    // In a gap of the guest's flags, step to its next run.
    if (!f) {
      pfn = at.f.i < flags.length ? flags[at.f.i].start : last;
      continue;
    }
    const end = Math.min(...ends.filter((e): e is number => e !== undefined && e > pfn));
    if (m) yield { start: pfn, end, model: m, flags: f.value, count: c ? c.value : 0, boot: b !== undefined };
    pfn = end;
  }
}

export interface PageComparison {
  /** pfns compared. */
  readonly compared: number;
  /**
   * pfns free in the model that the guest had in use (allocated or mapped,
   * neither reserved nor offline): the guest's own processes and page cache
   * (the agent's shell, dd and od allocate from ZONE_MOVABLE first), which
   * the model does not have. Counted, not disagreements.
   */
  readonly inUse: number;
  readonly disagreements: Disagreement[];
}

/** The guest used a page the model has free: its own activity, not a difference in hotplug state. */
function guestInUse(model: string, kernel: string): boolean {
  return (
    model === 'free' &&
    (kernel === 'allocated' || kernel.startsWith('allocated, ') || kernel.startsWith('free, mapcount'))
  );
}

/** Disagreement ranges kept per comparison; the rest are summed in one line. */
export const MAX_PAGE_RANGES = 40;

/**
 * Compare the model's runs with the guest's over the pfns the guest read
 * (`flags` covers them), grouping adjacent pfns with the same two classes.
 */
export function comparePages(
  model: readonly KpageRun[],
  guest: { flags: readonly ValueRun[]; count: readonly ValueRun[] },
  bootRam: readonly Region[],
): PageComparison {
  let compared = 0;
  let inUse = 0;
  const groups: { start: number; end: number; model: string; kernel: string }[] = [];
  for (const p of pieces(model, guest.flags, guest.count, bootRam)) {
    compared += p.end - p.start;
    const mc = comparedClass(p.model.flags, p.model.count, p.boot);
    const kc = comparedClass(p.flags, p.count, p.boot);
    if (mc === kc) continue;
    if (guestInUse(mc, kc)) {
      inUse += p.end - p.start;
      continue;
    }
    const last = groups[groups.length - 1];
    if (last && last.end === p.start && last.model === mc && last.kernel === kc) last.end = p.end;
    else groups.push({ start: p.start, end: p.end, model: mc, kernel: kc });
  }
  const shown = groups.slice(0, MAX_PAGE_RANGES).map(
    (g): Disagreement => ({
      area: 'pages',
      what: `pfn ${hex(g.start)}-${hex(g.end - 1)} (${g.end - g.start} pages)`,
      model: g.model,
      kernel: g.kernel,
    }),
  );
  if (groups.length > MAX_PAGE_RANGES) {
    const rest = groups.slice(MAX_PAGE_RANGES);
    shown.push({
      area: 'pages',
      what: `${rest.length} more pfn ranges (${rest.reduce((n, g) => n + g.end - g.start, 0)} pages)`,
      model: 'see --keep',
      kernel: 'see --keep',
    });
  }
  return { compared, inUse, disagreements: shown };
}

/** Merge pfn ranges and align them to KPAGE_ALIGN. */
export function kpageRanges(ranges: readonly Region[]): Region[] {
  const aligned = ranges
    .map((r) => ({
      start: Math.floor(r.start / KPAGE_ALIGN) * KPAGE_ALIGN,
      end: Math.ceil(r.end / KPAGE_ALIGN) * KPAGE_ALIGN,
    }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const out: Region[] = [];
  for (const r of aligned) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push(r);
  }
  return out;
}

/**
 * The sections to read, at most `limit` pfns. At boot (no step range): all,
 * memory outside boot RAM first. After a step: the step's own range first,
 * then memory outside boot RAM (hot-added, device); boot RAM sections the
 * step does not touch are not read again (what is compared there, nopage and
 * offline, changes only with the step's own blocks). What does not fit is
 * returned as skipped.
 */
export function chooseRanges(
  sections: readonly Region[],
  stepRange: Region | undefined,
  bootRam: readonly Region[],
  limit: number,
): { read: Region[]; skipped: number } {
  const overlaps = (a: Region, b: Region) => a.start < b.end && b.start < a.end;
  const rank = (r: Region) =>
    stepRange && overlaps(r, stepRange) ? 0 : bootRam.some((b) => overlaps(r, b)) ? 2 : 1;
  const ordered = [...sections]
    .filter((r) => stepRange === undefined || rank(r) < 2)
    .sort((a, b) => rank(a) - rank(b) || a.start - b.start);
  const read: Region[] = [];
  let total = 0;
  let skipped = 0;
  for (const r of ordered) {
    const n = r.end - r.start;
    if (total + n > limit) {
      skipped += n;
      continue;
    }
    total += n;
    read.push(r);
  }
  return { read: kpageRanges(read), skipped };
}
