/**
 * Architecture presets. Constants come from each kernel's asm/sparsemem.h,
 * Kconfig (ARCH_FORCE_MAX_ORDER) and the generic formulas in
 * include/linux/mmzone.h. The values a machine decides at boot (ppc64's LMB
 * size from the device tree, arm64's zone limits from its DMA ranges) are
 * defaults a scenario can override.
 */
import {
  deriveGeometry,
  type Geometry,
  type GeometryParams,
  type KernelVersion,
  MEM_SECTION_SIZE,
} from './geometry.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

type PresetParams = Omit<GeometryParams, 'sectionsPerRoot' | 'kernel'> & { kernel?: KernelVersion };

function preset(p: PresetParams): GeometryParams {
  return {
    kernel: '6.19',
    ...p,
    // SPARSEMEM_EXTREME: one page of struct mem_section per root.
    sectionsPerRoot: 2 ** p.pageShift / MEM_SECTION_SIZE,
  };
}

const x86_64 = preset({
  arch: 'x86_64',
  pageShift: 12,
  sectionSizeBits: 27,
  maxPhysmemBits: 46,
  memoryBlockSize: null,
  hypervisor: false,
  pageblockOrder: 9,
  maxPageOrder: 10,
  zoneDmaLimit: 16 * MiB,
  zoneDma32Limit: 4 * GiB,
  blockSizeRule: 'x86',
});

function arm64(
  pageShift: number,
  sectionSizeBits: number,
  kernel: KernelVersion,
  name: string,
): GeometryParams {
  // ARCH_FORCE_MAX_ORDER: 13 (64K), 11 (16K), 10 (4K); pageblock_order is the PMD order.
  const maxPageOrder = pageShift === 16 ? 13 : pageShift === 14 ? 11 : 10;
  const pageblockOrder = pageShift === 16 ? 13 : pageShift === 14 ? 11 : 9;
  return preset({
    arch: name,
    kernel,
    pageShift,
    sectionSizeBits,
    maxPhysmemBits: 48,
    memoryBlockSize: null,
    hypervisor: false,
    pageblockOrder,
    maxPageOrder,
    // ZONE_DMA covers the low 4 GiB unless firmware describes a smaller DMA limit;
    // ZONE_DMA32 is then empty. [mem]
    zoneDmaLimit: 4 * GiB,
    zoneDma32Limit: 4 * GiB,
    blockSizeRule: 'section',
  });
}

const ppc64_64k = preset({
  arch: 'ppc64-64k',
  pageShift: 16,
  sectionSizeBits: 24,
  maxPhysmemBits: 51,
  // pseries reports its LMB size as the memory block size; 256 MiB is typical. [mem]
  memoryBlockSize: 256 * MiB,
  hypervisor: true,
  pageblockOrder: 8,
  maxPageOrder: 8,
  zoneDmaLimit: 0,
  zoneDma32Limit: 0,
  blockSizeRule: 'section',
});

export const PRESETS: Readonly<Record<string, GeometryParams>> = {
  x86_64,
  'x86_64-5level': { ...x86_64, arch: 'x86_64-5level', maxPhysmemBits: 52 },
  'arm64-4k': arm64(12, 27, '6.19', 'arm64-4k'),
  'arm64-16k': arm64(14, 27, '6.19', 'arm64-16k'),
  'arm64-64k': arm64(16, 29, '6.19', 'arm64-64k'),
  // Before v5.12 arm64 used 1 GiB sections for every page size.
  'arm64-4k-5.4': arm64(12, 30, '5.4', 'arm64-4k-5.4'),
  'arm64-16k-5.4': arm64(14, 30, '5.4', 'arm64-16k-5.4'),
  'arm64-64k-5.4': arm64(16, 30, '5.4', 'arm64-64k-5.4'),
  'ppc64-64k': ppc64_64k,
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

export function presetParams(name: string): GeometryParams | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}

/** A preset's geometry with overrides applied; throws GeometryError on inconsistent values. */
export function geometryFor(name: string, overrides: Partial<GeometryParams> = {}): Geometry {
  const base = presetParams(name);
  if (!base) throw new Error(`unknown arch '${name}'`);
  const merged: GeometryParams = { ...base, ...overrides };
  if (overrides.pageShift !== undefined && overrides.sectionsPerRoot === undefined) {
    return deriveGeometry({ ...merged, sectionsPerRoot: 2 ** merged.pageShift / MEM_SECTION_SIZE });
  }
  return deriveGeometry(merged);
}
