/**
 * Memory blocks: the sysfs unit of onlining (drivers/base/memory.c), one
 * /sys/devices/system/memory/memoryN per memory_block_size_bytes() of
 * address space that has present sections.
 */
import type { ZoneId } from './page-flags.js';

/** enum memory_block_state as state_show() prints it. */
export type BlockState = 'online' | 'offline' | 'going-offline';

export interface MemoryBlock {
  /** memoryN: start section / sections per block. */
  readonly id: number;
  readonly startSectionNr: number;
  state: BlockState;
  nid: number;
  /** mem->zone: the single zone managing an online block, or null (offline, or spanning zones). */
  zone: ZoneId | null;
  /** Created by memory_dev_init() for boot memory rather than by add_memory(). */
  readonly early: boolean;
  /** memmap_on_memory: mem->altmap->free, the block's first pages holding its own memmap. */
  readonly vmemmapPages?: number;
}

export function cloneBlock(b: MemoryBlock): MemoryBlock {
  return { ...b };
}
