/**
 * Operation specifications after parsing: byte addresses and sizes as numbers.
 */
import type { Errno } from '../errors.js';
import type { PgmapType } from '../model/pgmap.js';

/** Every scenario step may say it expects a refusal with a given errno. */
interface StepBase {
  readonly expect?: Errno;
}

export interface BootRange {
  readonly start: number;
  readonly size: number;
  readonly node: number;
}

export interface AddMemorySpec extends StepBase {
  readonly op: 'add_memory';
  readonly start: number;
  readonly size: number;
  readonly node?: number;
  /** MHP_MEMMAP_ON_MEMORY with memory_hotplug.memmap_on_memory on (5.13): the range hosts its memmap. */
  readonly memmapOnMemory?: boolean;
}

export interface OnlineSpec extends StepBase {
  readonly op: 'online';
  readonly start: number;
  readonly size: number;
  /** online_kernel ('normal'), online_movable ('movable'), or the kernel's default ('online'). */
  readonly zone?: 'normal' | 'movable';
}

export interface OfflineSpec extends StepBase {
  readonly op: 'offline';
  readonly start: number;
  readonly size: number;
}

export interface RemoveSpec extends StepBase {
  readonly op: 'remove';
  readonly start: number;
  readonly size: number;
}

export interface MemremapSpec extends StepBase {
  readonly op: 'memremap';
  readonly start: number;
  readonly size: number;
  readonly type: PgmapType;
  readonly id: string;
  readonly node?: number;
  /** Bytes reserved for the driver, and optionally bytes for the memmap (default: what the memmap needs). */
  readonly altmap?: { readonly reserve: number; readonly free?: number };
}

export interface MemunmapSpec extends StepBase {
  readonly op: 'memunmap';
  readonly id: string;
}

/** Take (or drop) a reference on pages, so that migration fails and offlining gets -EBUSY. */
export interface PinSpec extends StepBase {
  readonly op: 'pin' | 'unpin';
  readonly start: number;
  readonly size: number;
}

export type OpSpec =
  | AddMemorySpec
  | OnlineSpec
  | OfflineSpec
  | RemoveSpec
  | MemremapSpec
  | MemunmapSpec
  | PinSpec;

export const OP_NAMES = [
  'add_memory',
  'online',
  'offline',
  'remove',
  'memremap',
  'memunmap',
  'pin',
  'unpin',
] as const;
export type OpName = (typeof OP_NAMES)[number];
