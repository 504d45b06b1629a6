/**
 * The direct map (linear map) of physical memory, per architecture, and __pa() on it.
 * PAGE_OFFSET, where it starts: x86-64 __PAGE_OFFSET_BASE_L4 / _L5 (arch/x86/include/asm/
 * page_64_types.h, no KASLR of memory regions), arm64 with 48-bit VAs (arch/arm64/include/asm/
 * memory.h: the linear map in the lower half of kernel space since 5.4), ppc64's 0xc000...
 * region (arch/powerpc/include/asm/page.h).
 */
import type { Geometry } from './geometry.js';

/** PAGE_OFFSET of the architecture (a preset name: x86_64, x86_64-5level, arm64..., ppc64...). */
export function pageOffset(arch: string): bigint {
  if (arch.startsWith('x86_64-5level')) return 0xff11000000000000n;
  if (arch.startsWith('x86_64')) return 0xffff888000000000n;
  if (arch.startsWith('arm64')) return 0xffff000000000000n;
  return 0xc000000000000000n; // ppc64
}

/** Where the kernel's half of the address space starts (every architecture here: bit 63). */
const KERNEL_HALF = 0x8000000000000000n;

/** Whether a virtual address lies in the kernel's half of the address space. */
export function isKernelAddress(v: bigint): boolean {
  return v >= KERNEL_HALF;
}

/**
 * __pa() of a direct-map address: the physical address, or undefined when v is not in the
 * direct map (below PAGE_OFFSET, or beyond the MAX_PHYSMEM_BITS it can map).
 */
export function directMapPhys(g: Geometry, v: bigint): number | undefined {
  const base = pageOffset(g.arch);
  return v >= base && v - base < 2n ** BigInt(g.maxPhysmemBits) ? Number(v - base) : undefined;
}
