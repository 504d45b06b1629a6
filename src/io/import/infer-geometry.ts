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
import { InputError } from '../../model/errors.js';
import { formatSize, hex } from '../../units.js';
import type { MachineFacts } from './facts.js';
import { walkIomem } from './iomem.js';
import type { LsmemTable } from './lsmem.js';
import type { ReportBuilder } from './report.js';
import type { ZoneinfoZone } from './zoneinfo.js';

export interface GeometryChoice {
  readonly arch: string;
  readonly kernel: KernelVersion;
  readonly geometry: Geometry;
  readonly blockSize: number;
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

/** Bytes of System RAM the files show: iomem, else online blocks. */
function ramBytes(facts: MachineFacts, blockSize: number | undefined): number | undefined {
  if (facts.iomem) {
    return walkIomem(facts.iomem.roots)
      .filter((r) => r.name.startsWith('System RAM'))
      .reduce((sum, r) => sum + r.end - r.start, 0);
  }
  const online = facts.sysfs?.blocks.filter((b) => b.state !== 'offline').length;
  return online !== undefined && blockSize ? online * blockSize : undefined;
}

/** Page size from zoneinfo's present pages against the bytes of RAM (the closest of 4K, 16K, 64K). */
function inferPageShift(
  facts: MachineFacts,
  ram: number | undefined,
  report: ReportBuilder,
): number | undefined {
  if (facts.manifest?.host.pageSize) {
    const shift = Math.log2(facts.manifest.host.pageSize);
    report.infer(`page size ${formatSize(facts.manifest.host.pageSize)} from the capture manifest`);
    return shift;
  }
  const present = facts.zoneinfo?.zones.reduce((s, z) => s + z.present, 0);
  if (!present || !ram) return undefined;
  const shift = [12, 14, 16].reduce((best, s) =>
    Math.abs(Math.log2((present * 2 ** s) / ram)) < Math.abs(Math.log2((present * 2 ** best) / ram))
      ? s
      : best,
  );
  report.infer(
    `page size ${formatSize(2 ** shift)}: zoneinfo's ${present} present pages against ${formatSize(ram)} of RAM`,
  );
  return shift;
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

function inferArch(
  facts: MachineFacts,
  pageShift: number | undefined,
  blockSize: number | undefined,
  report: ReportBuilder,
): string {
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
  } else if (pageShift === 12 && looksArm64(facts, 12)) {
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
  return arch;
}

/** Which kernel's behaviour to follow: shrinking zones at offline time came in 5.5. */
function inferKernel(facts: MachineFacts, arch: string, report: ReportBuilder): KernelVersion {
  if (arch.endsWith('-5.4')) return '5.4';
  const release = facts.manifest?.host.release;
  const m = release ? /^(\d+)\.(\d+)/.exec(release) : null;
  if (m) {
    const old = Number(m[1]) < 5 || (Number(m[1]) === 5 && Number(m[2]) < 5);
    report.infer(`kernel ${old ? '5.4' : '6.19'} behaviour for release ${release}`);
    return old ? '5.4' : '6.19';
  }
  const zones = facts.zoneinfo?.zones ?? [];
  if (zones.length && zones.every((z) => !z.keys.has('boost'))) {
    report.infer('kernel 5.4 behaviour: zoneinfo has no "boost" lines, as 5.4 and older print it');
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
  for (const [k, v] of Object.entries(out)) {
    report.infer(`${k} ${hex(v)} from zoneinfo (the ${g.arch} preset says ${hex(g[k as keyof ZoneLimits])})`);
  }
  return out;
}

/** The end of the highest memory the files show: System RAM, persistent or soft-reserved memory, blocks. */
function memoryEnd(facts: MachineFacts, blockSize: number | undefined): number {
  const memory = /^(System RAM|Persistent Memory|Soft Reserved)/;
  const iomem = facts.iomem ? walkIomem(facts.iomem.roots).filter((r) => memory.test(r.name)) : [];
  const blocks = (facts.sysfs?.blocks ?? []).map((b) => (b.id + 1) * (blockSize ?? 0));
  return Math.max(0, ...iomem.map((r) => r.end), ...blocks);
}

export function chooseGeometry(
  facts: MachineFacts,
  archOption: string | undefined,
  report: ReportBuilder,
): GeometryChoice {
  let blockSize = facts.sysfs?.blockSize;
  if (blockSize !== undefined)
    report.infer(`memory block size ${formatSize(blockSize)} from block_size_bytes`);
  else if (facts.lsmem) blockSize = lsmemBlockSize(facts.lsmem, report);
  let arch: string;
  if (archOption !== undefined) {
    if (!PRESET_NAMES.includes(archOption))
      throw new InputError(
        '--arch',
        `unknown arch '${archOption}' (one of ${PRESET_NAMES.join(', ')})`,
        archOption,
      );
    arch = archOption;
    report.infer(`arch ${arch} from --arch`);
  } else {
    const pageShift = inferPageShift(facts, ramBytes(facts, blockSize), report);
    arch = inferArch(facts, pageShift, blockSize, report);
  }
  if (arch === 'x86_64' && memoryEnd(facts, blockSize) > 2 ** 46) {
    arch = 'x86_64-5level';
    report.infer('arch x86_64-5level: addresses above 2^46 need 5-level paging');
  }
  const kernel = inferKernel(facts, arch, report);
  const base = buildGeometry(arch, { kernel });
  if (blockSize === undefined) {
    blockSize = memoryBlockSizeBytes(base, memoryEnd(facts, undefined));
    report.infer(
      `memory block size ${formatSize(blockSize)} assumed (no sysfs or lsmem): memory_block_size_bytes() of ${arch} for this much memory`,
    );
  }
  const limits = zoneLimitOverrides(facts, base, report);
  const geometry = buildGeometry(arch, { kernel, memoryBlockSize: blockSize, ...limits });
  const overrides: Record<string, string> = { memoryBlockSize: formatSize(blockSize) };
  for (const [k, v] of Object.entries(limits)) overrides[k] = hex(v as number);
  return { arch, kernel, geometry, blockSize, overrides };
}
