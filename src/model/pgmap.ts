/**
 * ZONE_DEVICE page maps: struct dev_pagemap with its altmap (writer side) and
 * the pgmap table readers search (pgmap_array plus the live-reference state
 * that get_dev_pagemap() tests with percpu_ref_tryget_live()).
 */
import type { Geometry } from '../arch/geometry.js';
import { resolveKernel } from '../kernel/index.js';
import {
  G_PGMAP_TABLE,
  GLOBALS_ADDR,
  joinPfn,
  PG_END_HI,
  PG_END_LO,
  PG_ID,
  PG_IN_ARRAY,
  PG_REF_LIVE,
  PG_REFCOUNT,
  PG_START_HI,
  PG_START_LO,
  PG_TYPE,
  PGMAP_SLOTS,
  PGMAP_WORDS,
  pfnHi,
  pfnLo,
} from './layout.js';
import type { Memory } from './memory.js';
import type { Words } from './sections.js';

export type PgmapType = 'fsdax' | 'devdax' | 'device_private' | 'p2pdma' | 'generic';
export const PGMAP_TYPES: readonly PgmapType[] = ['fsdax', 'devdax', 'device_private', 'p2pdma', 'generic'];

/** enum memory_type values: {PRIVATE=1, FS_DAX, DEVDAX, PCI_P2PDMA}; with deviceCoherentType {PRIVATE=1, COHERENT, FS_DAX, GENERIC, PCI_P2PDMA}. */
export function memoryTypeValue(type: PgmapType, kernel: Geometry['kernel']): number {
  if (!resolveKernel(kernel).deviceCoherentType)
    return { device_private: 1, fsdax: 2, devdax: 3, generic: 3, p2pdma: 4 }[type];
  return { device_private: 1, fsdax: 3, devdax: 4, generic: 4, p2pdma: 5 }[type];
}

/** struct vmem_altmap */
export interface Altmap {
  readonly basePfn: number;
  readonly endPfn: number;
  /** pfns reserved for the driver (namespace info block, labels). */
  readonly reserve: number;
  /** pfns set aside to hold the memmap itself. */
  readonly free: number;
  /** pfns of `free` handed out for the memmap so far. */
  alloc: number;
}

/** vmem_altmap_offset(): pfns from the base that are not device pages. */
export function altmapOffset(a: Altmap): number {
  return a.reserve + a.free;
}

export interface Pgmap {
  readonly id: string;
  /** 1-based numeric id stored in struct pages' pgmap field. */
  readonly num: number;
  readonly type: PgmapType;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly nid: number;
  readonly altmap?: Altmap;
  /** Address of its record in the pgmap table. */
  readonly slot: number;
  state: 'creating' | 'live' | 'dying';
}

/** pfn_first(): the first pfn that is a device page. */
export function pgmapFirstPfn(p: Pgmap): number {
  return p.altmap ? p.startPfn + altmapOffset(p.altmap) : p.startPfn;
}

export function clonePgmap(p: Pgmap): Pgmap {
  return { ...p, altmap: p.altmap ? { ...p.altmap } : undefined };
}

/** In PG_REFCOUNT: the reference is dead (percpu_ref_kill); the rest is the count. */
export const PGMAP_REF_DEAD = 1 << 30;

/** percpu_ref_tryget_live() as one read-modify-write of the refcount word: the new value, or undefined. */
export function trygetLive(refcount: number): number | undefined {
  return refcount & PGMAP_REF_DEAD ? undefined : refcount + 1;
}

export function pgmapTableAddr(mem: Words): number {
  return mem[GLOBALS_ADDR + G_PGMAP_TABLE];
}

/**
 * xa_load(&pgmap_array, pfn): the table record whose range holds pfn, or 0.
 * The kernel's xarray lookup runs under rcu_read_lock; here it is a scan of
 * PGMAP_SLOTS fixed records.
 */
export function pgmapArrayLoad(mem: Words, pfn: number): number {
  const table = pgmapTableAddr(mem);
  for (let i = 0; i < PGMAP_SLOTS; i++) {
    const rec = table + i * PGMAP_WORDS;
    if (mem[rec + PG_IN_ARRAY] === 0) continue;
    const start = joinPfn(mem[rec + PG_START_LO], mem[rec + PG_START_HI]);
    if (pfn < start) continue;
    const end = joinPfn(mem[rec + PG_END_LO], mem[rec + PG_END_HI]);
    if (pfn < end) return rec;
  }
  return 0;
}

/**
 * get_dev_pagemap(pfn): the pgmap id holding pfn if a live reference can be
 * taken (percpu_ref_tryget_live), else 0. The reference is dropped at once;
 * callers here only ask "is there a pgmap".
 */
export function getDevPagemap(mem: Words, pfn: number): number {
  const rec = pgmapArrayLoad(mem, pfn);
  if (rec === 0 || mem[rec + PG_REF_LIVE] === 0) return 0;
  return mem[rec + PG_ID];
}

/** The writer side of the pgmap table. */
export class PgmapTable {
  readonly addr: number;

  constructor(private readonly mem: Memory) {
    this.addr = mem.load(GLOBALS_ADDR + G_PGMAP_TABLE);
  }

  /** A free record, or -1 when all PGMAP_SLOTS are in use. */
  freeSlot(used: Iterable<number>): number {
    const taken = new Set(used);
    for (let i = 0; i < PGMAP_SLOTS; i++) {
      const rec = this.addr + i * PGMAP_WORDS;
      if (!taken.has(rec)) return rec;
    }
    return -1;
  }

  /** percpu_ref_init(): the record exists, not yet in pgmap_array. */
  init(rec: number, num: number, typeValue: number, startPfn: number, endPfn: number): void {
    this.mem.store(rec + PG_IN_ARRAY, 0);
    this.mem.store(rec + PG_REF_LIVE, 1);
    this.mem.store(rec + PG_ID, num);
    this.mem.store(rec + PG_TYPE, typeValue);
    this.mem.store(rec + PG_START_LO, pfnLo(startPfn));
    this.mem.store(rec + PG_START_HI, pfnHi(startPfn));
    this.mem.store(rec + PG_END_LO, pfnLo(endPfn));
    this.mem.store(rec + PG_END_HI, pfnHi(endPfn));
    this.mem.store(rec + PG_REFCOUNT, 0);
  }

  setInArray(rec: number, inArray: boolean): void {
    this.mem.store(rec + PG_IN_ARRAY, inArray ? 1 : 0);
  }

  /** percpu_ref_kill(): no new live references from now on. */
  kill(rec: number): void {
    this.mem.store(rec + PG_REF_LIVE, 0);
    this.mem.update(rec + PG_REFCOUNT, (v) => v | PGMAP_REF_DEAD);
  }

  /** Walkers take and drop references on the same word (on other threads, under stress): atomically. */
  addRefs(rec: number, n: number): void {
    this.mem.update(rec + PG_REFCOUNT, (v) => v + n);
  }

  refs(rec: number): number {
    return this.mem.load(rec + PG_REFCOUNT) & ~PGMAP_REF_DEAD;
  }

  /** percpu_ref_exit(): the record is free again. */
  clear(rec: number): void {
    for (let w = 0; w < PGMAP_WORDS; w++) this.mem.store(rec + w, 0);
  }
}
