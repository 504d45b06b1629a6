/**
 * Verify's snapshots of the guest: its files as a machine directory, the model's
 * exported beside them and compared, then its struct pages through
 * /proc/kpageflags and /proc/kpagecount; and the waits and settings around them.
 */
import { join } from 'node:path';
import { modelKpageRuns } from '../io/export/kpageflags.js';
import type { Machine } from '../model/machine.js';
import { hex } from '../units.js';
import { parseSnapshot } from './agent.js';
import { compareViews, type Disagreement, type Region } from './compare.js';
import { VerifyFault } from './guest-sysfs.js';
import { chooseRanges, comparePages, kpageRanges, type PageComparison, parseKpage } from './pages.js';
import { type Guest, GuestError } from './qemu.js';
import { type KernelView, modelView, writeGuestDir } from './view.js';

/**
 * The model's online policy: it has no auto-online (memhp_default_online_type)
 * yet, so hot-added memory stays offline until a step onlines it, as with
 * auto_online_blocks=offline.
 */
export const MODEL_AUTO_ONLINE = 'offline';

/** Make the guest's online policy the model's; returns the kernel's own value (null when the file is absent). */
export async function alignAutoOnline(guest: Guest): Promise<string | null> {
  const path = '/sys/devices/system/memory/auto_online_blocks';
  const r = await guest.request('read', [path]);
  if (r.rc !== 0) return null;
  const kernel = r.lines[0]?.trim() ?? '';
  if (kernel !== MODEL_AUTO_ONLINE) {
    const w = await guest.request('write', [path, MODEL_AUTO_ONLINE]);
    if (w.rc !== 0)
      throw new GuestError(`cannot set ${path} to ${MODEL_AUTO_ONLINE}: ${w.error.slice(0, 200)}`);
  }
  return kernel;
}

/** Wait until the guest's hotplug work has settled (block count and states stable, nothing going-offline). */
export async function settle(guest: Guest): Promise<string | undefined> {
  const r = await guest.request('settle', ['30'], 60_000);
  return r.rc === 0 ? undefined : `hotplug work did not settle: ${r.error.slice(0, 200)}`;
}

/** The guest's files now, written as a machine directory under dir/label; returns its path. */
export async function snapGuest(guest: Guest, dir: string, label: string, release: string): Promise<string> {
  const files = parseSnapshot((await guest.request('snap')).lines);
  const at = join(dir, label);
  writeGuestDir(at, files, release);
  return at;
}

/** Where and how much a snapshot compares. */
export interface SnapshotScope {
  readonly guest: Guest;
  readonly dir: string;
  /** Ranges a driver manages (virtio-mem devices): their resources are compared as System RAM. */
  readonly driverManaged: readonly Region[];
  /** The boot RAM's pfn ranges: their struct pages are compared coarsely. */
  readonly bootRam: readonly Region[];
  /** pfns read through /proc/kpageflags at most. */
  readonly limit: number;
}

/** One snapshot compared: the files' disagreements by area, and the struct pages'. */
export interface SnapshotComparison {
  readonly blocks: Disagreement[];
  readonly zones: Disagreement[];
  readonly iomem: Disagreement[];
  readonly pages: Disagreement[];
  readonly pagesCompared: number;
  readonly pagesInUse: number;
  readonly pagesSkipped: number;
  readonly pagesPastEnd: number;
}

/**
 * Files and struct pages: the blocks, zones and iomem compared through the
 * machine directories, then kpageflags/kpagecount pfn by pfn.
 */
export async function compareSnapshot(
  scope: SnapshotScope,
  label: string,
  m: Machine,
  g: KernelView,
  stepRange?: Region,
): Promise<SnapshotComparison> {
  const mv = modelView(m, join(scope.dir, `${label}.model`));
  const views = compareViews(mv, g, { driverManaged: scope.driverManaged });
  const pages = await comparePagesAfter(scope.guest, m, g, stepRange, scope.bootRam, scope.limit);
  return {
    ...views,
    pages: pages.disagreements,
    pagesCompared: pages.compared,
    pagesInUse: pages.inUse,
    pagesSkipped: pages.skipped,
    pagesPastEnd: pages.pastEnd,
  };
}

/** Sorted, merged regions. */
function kpageUnion(regions: readonly Region[]): Region[] {
  const out: Region[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push({ ...r });
  }
  return out;
}

/** pfn regions of the sections present on either side: the model's, and the guest's memory blocks. */
function presentRegions(m: Machine, guest: KernelView): Region[] {
  const per = m.g.pagesPerSection;
  const out: Region[] = [];
  for (const nr of m.sections.presentSectionNrs()) out.push({ start: nr * per, end: (nr + 1) * per });
  const perBlock = guest.blockSize / m.g.pageSize;
  for (const b of guest.blocks) out.push({ start: b.id * perBlock, end: (b.id + 1) * perBlock });
  // One region per section, so that chooseRanges() can rank them.
  const split: Region[] = [];
  for (const r of kpageRanges(out))
    for (let a = r.start; a < r.end; a += per) split.push({ start: a, end: Math.min(r.end, a + per) });
  return split;
}

/**
 * Read the guest's kpageflags/kpagecount over the present sections (the
 * step's range first, at most `limit` pfns) and compare them with the model's.
 */
async function comparePagesAfter(
  guest: Guest,
  m: Machine,
  view: KernelView,
  stepRange: Region | undefined,
  bootRam: readonly Region[],
  limit: number,
): Promise<PageComparison & { skipped: number; pastEnd: number }> {
  const { read, skipped } = chooseRanges(presentRegions(m, view), stepRange, bootRam, limit);
  // Pinned pages stand for the kernel's own unmovable allocations, somewhere else in the guest:
  // compared as coarsely as boot RAM.
  const coarse = kpageUnion([...bootRam, ...m.pins.map((p) => ({ start: p.startPfn, end: p.endPfn }))]);
  let compared = 0;
  let inUse = 0;
  let pastEnd = 0;
  const disagreements: Disagreement[] = [];
  for (const r of read) {
    const n = r.end - r.start;
    const resp = await guest.request('kpage', [String(r.start), String(n)], 60_000 + n / 10);
    const runs = parseKpage(resp.lines, r.start);
    const covered = runs.flags.reduce((t, x) => t + x.end - x.start, 0);
    const counted = runs.count.reduce((t, x) => t + x.end - x.start, 0);
    if (resp.rc !== 0 || counted !== covered)
      throw new VerifyFault(
        `the agent read ${covered} pfns of /proc/kpageflags and ${counted} of /proc/kpagecount from ${hex(r.start)}${resp.error ? `: ${resp.error.slice(0, 200)}` : ''}`,
        r.start,
      );
    // The files end at the kernel's max_pfn (rounded up to a section): ZONE_DEVICE
    // ranges above the last System RAM have no entries there.
    pastEnd += n - covered;
    const c = comparePages(modelKpageRuns(m, r.start, r.end), runs, coarse);
    compared += c.compared;
    inUse += c.inUse;
    disagreements.push(...c.disagreements);
  }
  return { compared, inUse, disagreements, skipped, pastEnd };
}
