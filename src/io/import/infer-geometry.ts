/**
 * Which machine the files describe: the architecture preset (from --arch,
 * else `uname -m` and the page size in the manifest, else inferred), the
 * kernel whose behaviour to follow, memory_block_size_bytes() and the zone
 * limits when zoneinfo shows them differ from the preset.
 */
import { memoryBlockSizeBytes } from '../../arch/block-size.js';
import {
  type Geometry,
  GeometryError,
  type GeometryParams,
  type KernelVersion,
} from '../../arch/geometry.js';
import { geometryFor, PRESET_NAMES } from '../../arch/presets.js';
import { InputError } from '../../errors.js';
import { BEHAVIOURS, isKernelRelease, NEWEST_RELEASE, OLDEST_RELEASE } from '../../kernel/index.js';
import { formatSize, hex } from '../../units.js';
import type { MachineFacts } from './facts.js';
import { type IomemResource, walkIomem } from './iomem.js';
import type { LsmemTable } from './lsmem.js';
import type { ReportBuilder } from './report.js';
import type { ZoneinfoZone } from './zoneinfo.js';

export interface GeometryChoice {
  readonly arch: string;
  readonly kernel: KernelVersion;
  readonly geometry: Geometry;
  readonly blockSize: number;
  /** No --arch and no uname -m gave the arch: it was inferred from the files (or assumed). */
  readonly archGuessed: boolean;
  /** The scenario's `overrides`, as written into it. */
  readonly overrides: Record<string, string>;
}

const GiB = 2 ** 30;

/** The largest power of two dividing n (n > 0). */
function powerOfTwoFactor(n: number): number {
  let p = 1;
  while (n % (p * 2) === 0 && p < 2 ** 52) p *= 2;
  return p;
}

/** lsmem --json prints no block size: BLOCK "N-M" and RANGE give it exactly, else a gcd of the rows. */
function lsmemBlockSize(t: LsmemTable, report: ReportBuilder): number | undefined {
  if (t.blockSize !== undefined) {
    report.infer(`memory block size ${formatSize(t.blockSize)} from the lsmem summary (${t.file})`);
    return t.blockSize;
  }
  let size: number | undefined;
  for (const row of t.rows) {
    if (row.first === undefined || row.last === undefined) continue;
    const bs = (row.end - row.start) / (row.last - row.first + 1);
    if (!Number.isInteger(bs) || row.start !== row.first * bs || (size !== undefined && bs !== size)) {
      throw new InputError(
        row.where,
        `RANGE and BLOCK disagree with the other rows on the memory block size`,
      );
    }
    size = bs;
  }
  if (size !== undefined) {
    report.infer(
      `memory block size ${formatSize(size)} from lsmem alone: RANGE size / number of BLOCKs (${t.file})`,
    );
    return size;
  }
  const gcd = t.rows.reduce(
    (g, r) => Math.min(g, powerOfTwoFactor(r.start || 2 ** 52), powerOfTwoFactor(r.end - r.start)),
    2 ** 52,
  );
  if (t.rows.length === 0) return undefined;
  report.infer(
    `memory block size ${formatSize(gcd)} from lsmem alone: the largest power of two dividing every row's start and size (without a BLOCK column this may be a multiple of the true size)`,
  );
  return gcd;
}

/** System RAM resources of /proc/iomem as [start, end) byte ranges. */
function iomemRamRanges(facts: MachineFacts): IomemResource[] {
  return walkIomem(facts.iomem!.roots).filter((r) => r.name.startsWith('System RAM'));
}

/** Byte ranges sysfs or lsmem show offline: System RAM in /proc/iomem, but never in a zone's present pages. */
function offlineRanges(facts: MachineFacts): { start: number; end: number }[] {
  if (facts.sysfs) {
    const bs = facts.sysfs.blockSize;
    return facts.sysfs.blocks
      .filter((b) => b.state === 'offline')
      .map((b) => ({ start: b.id * bs, end: (b.id + 1) * bs }));
  }
  return (facts.lsmem?.rows ?? []).filter((r) => r.state === 'offline');
}

function overlap(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

/** Byte ranges of memory blocks. */
type BlockRanges = readonly { readonly start: number; readonly end: number }[];

interface RamBytes {
  /** Online System RAM: what zoneinfo's present pages count. */
  readonly online: number;
  /** Left out as offline (sysfs or lsmem). */
  readonly offline: number;
  /** Counted in whole memory blocks (an upper bound, since holes inside blocks count too): the blocks. */
  readonly blocks?: BlockRanges;
}

/** Bytes of online System RAM the files show: iomem less what the blocks say is offline, else the blocks. */
function ramBytes(facts: MachineFacts): RamBytes | undefined {
  if (facts.iomem) {
    const ram = iomemRamRanges(facts);
    const total = ram.reduce((sum, r) => sum + r.end - r.start, 0);
    const offline = offlineRanges(facts).reduce(
      (sum, o) => sum + ram.reduce((s, r) => s + overlap(r, o), 0),
      0,
    );
    return { online: total - offline, offline };
  }
  return blockBytes(facts);
}

/** Without /proc/iomem: the bytes of the memory blocks sysfs or lsmem show, online and offline. */
function blockBytes(facts: MachineFacts): RamBytes | undefined {
  const sysfs = facts.sysfs;
  const ranges = sysfs
    ? sysfs.blocks.map((b) => ({
        start: b.id * sysfs.blockSize,
        end: (b.id + 1) * sysfs.blockSize,
        state: b.state,
      }))
    : facts.lsmem?.rows;
  if (!ranges?.length) return undefined;
  const bytes = (offline: boolean) =>
    ranges.filter((r) => (r.state === 'offline') === offline).reduce((s, r) => s + r.end - r.start, 0);
  return { online: bytes(false), offline: bytes(true), blocks: ranges };
}

const PAGE_SHIFTS = [12, 14, 16];

/**
 * How far RAM per present page may stray from a page size and still name it:
 * memblock's trimmed partial pages, arm64's nomap carve-outs and firmware
 * holes inside blocks stay well within it, while the page sizes are 4x apart.
 */
const PAGE_RATIO_SLACK = 1.1;

/** The page shift whose size RAM per present page is close to, if any. */
function pageShiftNear(bytesPerPage: number): number | undefined {
  return PAGE_SHIFTS.find((s) => Math.abs(Math.log(bytesPerPage / 2 ** s)) <= Math.log(PAGE_RATIO_SLACK));
}

/** Resources only an x86 firmware map and chipset put in /proc/iomem. */
const X86_LEGACY = /^(Video ROM|System ROM|Adapter ROM|Local APIC|IOAPIC|HPET|dmar|PCI MMCONFIG)/;

function x86Entry(facts: MachineFacts): string | undefined {
  const r = facts.iomem ? walkIomem(facts.iomem.roots).find((x) => X86_LEGACY.test(x.name)) : undefined;
  return r ? `${r.where} '${r.name}'` : undefined;
}

/**
 * Do the nodes zoneinfo shows, with pages of this size, start and end inside
 * memory blocks? A node's lowest zone starts at its first present pfn and
 * its highest ends after its last (free_area_init()); inner zone edges may
 * fall in holes, at the zone limits.
 */
function nodesWithinBlocks(facts: MachineFacts, shift: number, blocks: BlockRanges): boolean {
  const inBlock = (byte: number) => blocks.some((b) => b.start <= byte && byte < b.end);
  const zones = (facts.zoneinfo?.zones ?? []).filter((z) => z.present > 0 && z.startPfn !== undefined);
  return [...new Set(zones.map((z) => z.node))].every((node) => {
    const mine = zones.filter((z) => z.node === node);
    const first = Math.min(...mine.map((z) => z.startPfn!));
    const end = Math.max(...mine.map((z) => z.startPfn! + z.spanned));
    return inBlock(first * 2 ** shift) && inBlock(end * 2 ** shift - 1);
  });
}

/**
 * With RAM counted in whole blocks (no /proc/iomem), RAM per present page is
 * an upper bound on the page size (holes inside blocks count too): the
 * largest page size within it whose nodes still start and end inside blocks.
 */
function pageShiftWithin(facts: MachineFacts, blocks: BlockRanges, bytesPerPage: number): number | undefined {
  return [...PAGE_SHIFTS]
    .reverse()
    .find((s) => 2 ** s <= bytesPerPage * PAGE_RATIO_SLACK && nodesWithinBlocks(facts, s, blocks));
}

function pagesAgainstRam(present: number, ram: RamBytes): string {
  const offline = ram.offline ? ` (${formatSize(ram.offline)} offline left out)` : '';
  const what = ram.blocks ? 'in online memory blocks' : 'of RAM';
  return `zoneinfo's ${present} present pages against ${formatSize(ram.online)} ${what}${offline}`;
}

/**
 * Page size from zoneinfo's present pages against the bytes of online RAM,
 * accepted only near a real page size; else 4K when /proc/iomem has x86's
 * legacy entries, else refused (a truncated zoneinfo, files of two machines).
 */
function inferPageShift(
  facts: MachineFacts,
  ram: RamBytes | undefined,
  report: ReportBuilder,
): number | undefined {
  if (facts.manifest?.host.pageSize) {
    const shift = Math.log2(facts.manifest.host.pageSize);
    report.infer(`page size ${formatSize(facts.manifest.host.pageSize)} from the capture manifest`);
    return shift;
  }
  const present = facts.zoneinfo?.zones.reduce((s, z) => s + z.present, 0);
  if (!present || !ram?.online) return undefined;
  const perPage = ram.online / present;
  const shift = ram.blocks ? pageShiftWithin(facts, ram.blocks, perPage) : pageShiftNear(perPage);
  if (shift !== undefined) {
    report.infer(`page size ${formatSize(2 ** shift)}: ${pagesAgainstRam(present, ram)}`);
    return shift;
  }
  const bytes = `${Math.round(perPage)} bytes`;
  const x86 = x86Entry(facts);
  if (x86 === undefined)
    throw new InputError(
      facts.zoneinfo!.file,
      `cannot tell the page size: ${pagesAgainstRam(present, ram)} make ${bytes} a page, near none of 4K, 16K, 64K (offline memory no sysfs or lsmem shows, a truncated copy, or files from two machines?); pass --arch`,
    );
  report.infer(`page size 4K: /proc/iomem has x86's legacy ${x86}`);
  report.mismatch(
    `${pagesAgainstRam(present, ram)} make ${bytes} a page, not 4K: offline memory no sysfs or lsmem shows, a truncated zoneinfo, or files from two machines?`,
  );
  return 12;
}

/** The end (exclusive pfn) of a node's zone, or undefined when unpopulated. */
function zoneEnd(z: ZoneinfoZone | undefined): number | undefined {
  return z && z.present > 0 && z.startPfn !== undefined ? z.startPfn + z.spanned : undefined;
}

function zonesNamed(facts: MachineFacts, name: string): ZoneinfoZone[] {
  return facts.zoneinfo?.zones.filter((z) => z.zone === name && z.present > 0) ?? [];
}

function archFromUname(machine: string, pageShift: number | undefined): string | undefined {
  if (machine === 'x86_64') return 'x86_64';
  if (machine === 'aarch64' || machine === 'arm64')
    return pageShift === 16 ? 'arm64-64k' : pageShift === 14 ? 'arm64-16k' : 'arm64-4k';
  if (machine.startsWith('ppc64')) return 'ppc64-64k';
  return undefined;
}

/** ZONE_DMA past 16 MiB means an arm64 (its ZONE_DMA reaches up to 4 GiB, or all of low RAM). */
function looksArm64(facts: MachineFacts, pageShift: number): boolean {
  const dmaEnd = Math.max(0, ...zonesNamed(facts, 'DMA').map((z) => zoneEnd(z) ?? 0));
  return dmaEnd * 2 ** pageShift > 16 * 2 ** 20;
}

/** The arch preset, and whether uname -m named it (else it was inferred from the files). */
function inferArch(
  facts: MachineFacts,
  pageShift: number | undefined,
  blockSize: number | undefined,
  report: ReportBuilder,
): { arch: string; guessed: boolean } {
  const uname = facts.manifest?.host.machine;
  const fromUname = uname ? archFromUname(uname, pageShift) : undefined;
  let arch: string;
  if (fromUname) {
    arch = fromUname;
    report.infer(`arch ${arch} from uname -m '${uname}' in the capture manifest`);
  } else if (pageShift === 16) {
    arch = blockSize !== undefined && blockSize % 2 ** 29 !== 0 ? 'ppc64-64k' : 'arm64-64k';
    report.infer(`arch ${arch}: 64K pages${arch === 'arm64-64k' ? ' and 512M-aligned blocks' : ''}`);
  } else if (pageShift === 14) {
    arch = 'arm64-16k';
    report.infer('arch arm64-16k: 16K pages');
  } else if (pageShift === 12 && looksArm64(facts, 12) && x86Entry(facts) === undefined) {
    arch = 'arm64-4k';
    report.infer('arch arm64-4k: 4K pages and a ZONE_DMA reaching past 16 MiB');
  } else {
    arch = 'x86_64';
    report.infer(
      pageShift === undefined
        ? 'arch x86_64 assumed: nothing gives the page size (no manifest, or no zoneinfo beside RAM sizes); pass --arch'
        : 'arch x86_64: 4K pages and a 16 MiB ZONE_DMA',
    );
  }
  // Before v5.12 arm64 sections (and so blocks) were 1 GiB.
  if (arch.startsWith('arm64') && blockSize !== undefined && blockSize >= GiB && !arch.endsWith('-5.4')) {
    arch = `${arch}-5.4`;
    report.infer(
      `arch ${arch}: ${formatSize(blockSize)} memory blocks mean the pre-5.12 1 GiB arm64 sections`,
    );
  }
  return { arch, guessed: fromUname === undefined };
}

/** The mainline release a uname release names ("6.12.48+deb13-amd64" is 6.12), clamped to 5.4 … 6.19. */
function mainlineOf(major: number, minor: number): KernelVersion {
  const named = `${major}.${minor}`;
  if (isKernelRelease(named)) return named;
  return major < 5 || (major === 5 && minor < 4) ? OLDEST_RELEASE : NEWEST_RELEASE;
}

/** Which release's behaviours to follow: the uname release's mainline base, else what zoneinfo's lines tell. */
function inferKernel(facts: MachineFacts, arch: string, report: ReportBuilder): KernelVersion {
  if (arch.endsWith('-5.4')) return '5.4';
  const release = facts.manifest?.host.release;
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (m) {
    const k = mainlineOf(Number(m[1]), Number(m[2]));
    report.infer(
      `kernel ${k} behaviour for release ${release} (its mainline base; stable backports are not modelled)`,
    );
    return k;
  }
  const zones = facts.zoneinfo?.zones ?? [];
  if (zones.length && zones.every((z) => !z.keys.has('boost'))) {
    report.infer(
      `kernel 5.4 behaviour: zoneinfo has no "boost" lines, as releases before ${BEHAVIOURS.zoneinfoBoostLine.since} print it`,
    );
    return '5.4';
  }
  return '6.19';
}

/** A geometry for the choice, every GeometryError turned into one clear line. */
function buildGeometry(arch: string, params: Partial<GeometryParams>): Geometry {
  try {
    return geometryFor(arch, params);
  } catch (e) {
    if (e instanceof GeometryError)
      throw new InputError(`arch ${arch}`, `${e.message} (wrong --arch?)`, e.value);
    throw e;
  }
}

/**
 * Zone limits: override the preset only where zoneinfo contradicts it — a
 * lower zone reaching past the preset's limit, or a higher zone starting
 * below it.
 */
interface ZoneLimits {
  zoneDmaLimit?: number;
  zoneDma32Limit?: number;
}

function zoneLimitOverrides(facts: MachineFacts, g: Geometry, report: ReportBuilder): ZoneLimits {
  const out: ZoneLimits = {};
  const bytes = (pfn: number) => pfn * g.pageSize;
  const ends = (name: string) => zonesNamed(facts, name).map((z) => bytes(zoneEnd(z)!));
  const starts = (names: string[]) =>
    names.flatMap((n) => zonesNamed(facts, n).map((z) => bytes(z.startPfn!)));
  const dmaEnd = Math.max(0, ...ends('DMA'));
  const aboveDma = Math.min(Number.MAX_SAFE_INTEGER, ...starts(['DMA32', 'Normal']));
  if (dmaEnd > g.zoneDmaLimit) out.zoneDmaLimit = dmaEnd;
  else if (aboveDma < g.zoneDmaLimit) out.zoneDmaLimit = aboveDma;
  const dma32End = Math.max(0, ...ends('DMA32'));
  const normalStart = Math.min(Number.MAX_SAFE_INTEGER, ...starts(['Normal']));
  if (dma32End > g.zoneDma32Limit) out.zoneDma32Limit = dma32End;
  else if (normalStart < g.zoneDma32Limit) out.zoneDma32Limit = normalStart;
  // A ZONE_DMA reaching past ZONE_DMA32's limit leaves ZONE_DMA32 empty: it ends where ZONE_DMA does.
  const dmaLimit = out.zoneDmaLimit ?? g.zoneDmaLimit;
  if (g.zoneDma32Limit > 0 && dmaLimit > (out.zoneDma32Limit ?? g.zoneDma32Limit))
    out.zoneDma32Limit = dmaLimit;
  for (const [k, v] of Object.entries(out)) {
    report.infer(`${k} ${hex(v)} from zoneinfo (the ${g.arch} preset says ${hex(g[k as keyof ZoneLimits])})`);
  }
  return out;
}

/** The end of the highest memory the files show: System RAM, persistent or soft-reserved memory, blocks. */
function memoryEnd(facts: MachineFacts, blockSize: number | undefined): number {
  const memory = /^(System RAM|Persistent Memory|Soft Reserved)/;
  const iomem = facts.iomem ? walkIomem(facts.iomem.roots).filter((r) => memory.test(r.name)) : [];
  const blocks = facts.sysfs
    ? facts.sysfs.blocks.map((b) => (b.id + 1) * (blockSize ?? 0))
    : (facts.lsmem?.rows ?? []).map((r) => r.end);
  return Math.max(0, ...iomem.map((r) => r.end), ...blocks);
}

/** Where System RAM ends: the fallback for the end of boot memory when it cannot be told apart. */
function ramEnd(facts: MachineFacts): number {
  return facts.iomem ? Math.max(0, ...iomemRamRanges(facts).map((r) => r.end)) : memoryEnd(facts, undefined);
}

function checkArchOption(archOption: string): string {
  if (!PRESET_NAMES.includes(archOption))
    throw new InputError(
      '--arch',
      `unknown arch '${archOption}' (one of ${PRESET_NAMES.join(', ')})`,
      archOption,
    );
  return archOption;
}

/** The arch: --arch, else inferred (uname -m, the page size, the zones); 5-level paging past 2^46. */
function pickArch(
  facts: MachineFacts,
  archOption: string | undefined,
  blockSize: number | undefined,
  report: ReportBuilder,
): { arch: string; guessed: boolean } {
  let picked: { arch: string; guessed: boolean };
  if (archOption !== undefined) {
    picked = { arch: checkArchOption(archOption), guessed: false };
    report.infer(`arch ${picked.arch} from --arch`);
  } else {
    const pageShift = inferPageShift(facts, ramBytes(facts), report);
    picked = inferArch(facts, pageShift, blockSize, report);
  }
  if (picked.arch === 'x86_64' && memoryEnd(facts, blockSize) > 2 ** 46) {
    picked = { ...picked, arch: 'x86_64-5level' };
    report.infer('arch x86_64-5level: addresses above 2^46 need 5-level paging');
  }
  return picked;
}

/** The block size sysfs or lsmem give, if any. */
function blockSizeFromFiles(facts: MachineFacts, report: ReportBuilder): number | undefined {
  const blockSize = facts.sysfs?.blockSize;
  if (blockSize !== undefined) {
    report.infer(`memory block size ${formatSize(blockSize)} from block_size_bytes`);
    return blockSize;
  }
  return facts.lsmem ? lsmemBlockSize(facts.lsmem, report) : undefined;
}

/** memory_block_size_bytes() for the arch, from where boot memory ends (bootMemEnd, else ramEnd()). */
function assumedBlockSize(
  facts: MachineFacts,
  base: Geometry,
  bootMemEnd: number | undefined,
  report: ReportBuilder,
): number {
  const end = bootMemEnd ?? ramEnd(facts);
  const blockSize = memoryBlockSizeBytes(base, end);
  report.infer(
    `memory block size ${formatSize(blockSize)} assumed (no sysfs or lsmem): memory_block_size_bytes() of ${base.arch} for boot memory ending at ${hex(end)}`,
  );
  return blockSize;
}

/**
 * The machine the files describe. bootMemEnd: where boot memory ends, for
 * the block size probe when no file gives the block size (see
 * inferScenario()); 0 asks for the smallest block the arch has.
 */
export function chooseGeometry(
  facts: MachineFacts,
  archOption: string | undefined,
  report: ReportBuilder,
  bootMemEnd?: number,
): GeometryChoice {
  const given = blockSizeFromFiles(facts, report);
  const { arch, guessed } = pickArch(facts, archOption, given, report);
  const kernel = inferKernel(facts, arch, report);
  const base = buildGeometry(arch, { kernel });
  const blockSize = given ?? assumedBlockSize(facts, base, bootMemEnd, report);
  const limits = zoneLimitOverrides(facts, base, report);
  const geometry = buildGeometry(arch, { kernel, memoryBlockSize: blockSize, ...limits });
  const overrides: Record<string, string> = { memoryBlockSize: formatSize(blockSize) };
  for (const [k, v] of Object.entries(limits)) overrides[k] = hex(v as number);
  return {
    arch,
    kernel,
    geometry,
    blockSize,
    archGuessed: guessed,
    overrides,
  };
}
