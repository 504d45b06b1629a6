/**
 * memory_block_size_bytes(): the sysfs memory-block size. x86-64 probes it at
 * boot from the end of boot memory (arch/x86/mm/init_64.c,
 * probe_memory_block_size); every other preset uses one section (the __weak
 * default in drivers/base/memory.c) unless the preset or scenario sets it.
 */

import { resolveKernel } from '../kernel/index.js';
import type { Geometry } from './geometry.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** MIN_MEMORY_BLOCK_SIZE on x86-64: one 128 MiB section. */
const X86_MIN_BLOCK = 128 * MiB;
/** MAX_BLOCK_SIZE */
const X86_MAX_BLOCK = 2 * GiB;
/** MEM_SIZE_FOR_LARGE_BLOCK */
const X86_LARGE_BLOCK_THRESHOLD = 64 * GiB;

/** The largest block size in [min, start] (halving) that divides bootMemEnd. */
function largestAlignedBlock(start: number, bootMemEnd: number): number {
  let bz = start;
  while (bz > X86_MIN_BLOCK && bootMemEnd % bz !== 0) bz /= 2;
  return bz;
}

/** probe_memory_block_size(), as 6.19 and 5.4 each define it. */
export function x86MemoryBlockSize(
  bootMemEnd: number,
  hypervisor: boolean,
  kernel: Geometry['kernel'],
): number {
  if (bootMemEnd < X86_LARGE_BLOCK_THRESHOLD) return X86_MIN_BLOCK;
  // x86BareMetalMaxBlock, with no advised maximum: bare metal takes the largest block outright.
  if (resolveKernel(kernel).x86BareMetalMaxBlock && !hypervisor) return X86_MAX_BLOCK;
  // Otherwise the largest power of two up to 2 GiB dividing the boot memory end, so hot-added DIMMs line up.
  return largestAlignedBlock(X86_MAX_BLOCK, bootMemEnd);
}

/** memory_block_size_bytes() for a geometry, given where boot memory ends. */
export function memoryBlockSizeBytes(g: Geometry, bootMemEnd: number): number {
  if (g.memoryBlockSize !== null) return g.memoryBlockSize;
  if (g.blockSizeRule === 'x86')
    return Math.max(x86MemoryBlockSize(bootMemEnd, g.hypervisor, g.kernel), g.sectionSize);
  return g.sectionSize;
}
