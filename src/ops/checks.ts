/**
 * Refusals, checked while planning so that a refused operation changes nothing.
 * Each throws a HotplugError carrying the errno the kernel returns.
 */
import { type Errno, HotplugError } from '../errors.js';
import type { Machine } from '../model/machine.js';
import { formatSize, hex, memRange } from '../units.js';

export function refuse(errno: Errno, op: string, message: string, value: unknown): never {
  throw new HotplugError(errno, op, message, value);
}

/** A non-empty byte range aligned to `align` (check_hotplug_memory_range, check_pfn_span). */
export function checkRange(op: string, start: number, size: number, align: number, what: string): void {
  if (size <= 0) refuse('EINVAL', op, `size must be positive, got ${size}`, size);
  if (start % align !== 0) {
    refuse('EINVAL', op, `start ${hex(start)} is not aligned to the ${what} (${formatSize(align)})`, start);
  }
  if (size % align !== 0) {
    refuse('EINVAL', op, `size ${hex(size)} is not a multiple of the ${what} (${formatSize(align)})`, size);
  }
}

/** mhp_range_allowed(): the range must lie below MAX_PHYSMEM_BITS. */
export function checkPhysmemLimit(m: Machine, op: string, start: number, size: number): void {
  const limit = 2 ** m.g.maxPhysmemBits;
  if (start + size > limit) {
    refuse(
      'E2BIG',
      op,
      `${memRange(start, start + size)} lies beyond MAX_PHYSMEM_BITS (${m.g.maxPhysmemBits})`,
      start,
    );
  }
}

export const MAX_NUMNODES = 64;

export function checkNode(op: string, nid: number): void {
  if (!Number.isInteger(nid) || nid < 0 || nid >= MAX_NUMNODES) {
    refuse('EINVAL', op, `node ${nid} is not a valid node id (0-${MAX_NUMNODES - 1})`, nid);
  }
}

export function requireBooted(m: Machine, op: string): void {
  if (!m.booted) refuse('EINVAL', op, 'the machine has not booted', undefined);
}

/** The memory blocks [first, last] covering a block-aligned byte range. */
export function blockIds(m: Machine, start: number, size: number): number[] {
  const first = start / m.blockSize;
  const out: number[] = [];
  for (let id = first; id < first + size / m.blockSize; id++) out.push(id);
  return out;
}
