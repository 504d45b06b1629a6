/**
 * A lookup design: how code holding only a pfn learns whether its struct page
 * exists, is initialized, is online or device memory - and what the design
 * writes, when, to make its answers true.
 *
 * A design reads only what its kernel would keep: section flags, the usage
 * record (subsection_map and the design's own bitmaps), the pgmap table and
 * the memmap, through a Words. It never sees the truth.
 */
import type { Geometry, KernelVersion } from '../arch/geometry.js';
import type { DesignAccesses } from '../lkmm/index.js';
import type { KernelView } from '../model/machine.js';
import type { Words } from '../model/sections.js';
import type { KernelHelpers } from './helpers.js';
import type { DesignWriteSide } from './write-side.js';

export type { DesignStep, DesignWriteSide } from './write-side.js';

/** How a design's readers protect a lookup and the use of the page it returns. */
export type ReaderProtection =
  | 'none' // nothing: the page can be freed under the reader
  | 'rcu' // rcu_read_lock() around lookup and use; writers wait a grace period before invalidating
  | 'rcu-usage' // RCU only keeps ms->usage alive (6.8+ pfn_valid), not the memmap
  | 'hotplug-lock'; // get_online_mems()/mem_hotplug_lock read side around lookup and use

/** What a design needs to read: memory, geometry, and where its usage bitmaps live. */
export interface DesignContext {
  readonly mem: Words;
  readonly g: Geometry;
  /** The usage-record bitmap slot of each bitmap the design asked for, by name. */
  readonly slots: Readonly<Record<string, number>>;
  /** The kernel's predicates and step builders, for designs written outside this package. */
  readonly helpers: KernelHelpers;
}

/** A design's answers for one pfn, bound to a context. */
export interface Lookup {
  /** pfn_valid(): a struct page exists. */
  pfnValid(pfn: number): boolean;
  /** pfn_to_online_page(): the page if it is online memory, else NO_PAGE. */
  pfnToOnlinePage(pfn: number): number;
  /** pfn_to_device_page(): the page if it is ZONE_DEVICE memory; absent where the design has none. */
  pfnToDevicePage?(pfn: number): number;
  /** is_zone_device_page(pfn_to_page(pfn)) as the design answers it (page flags, or a pfn-based map). */
  isZoneDevicePage(pfn: number): boolean;
  /** page_zone(pfn_to_page(pfn)): the zone id the struct page names (garbage in, garbage out). */
  pageZone(pfn: number): number;
}

export interface Design {
  /** The name on the command line: 'v5.4', 'active-bitmap', ... */
  readonly name: string;
  readonly summary: string;
  /** Per-subsection bitmaps this design keeps in mem_section_usage, by name. */
  readonly usageBitmaps: readonly string[];
  readonly protection: ReaderProtection;
  /**
   * The kernel this design is judged on: v5.4 is the kernel as the thread
   * found it; upstream and the proposals are judged on today's (6.19), where
   * ms->usage is freed with kfree_rcu() - on 5.4, which kfree()s it under a
   * reader, active-bitmap's readers hit the 2023 usage race
   * (CVE-2023-52489): `pfnlab explore explore/offline --design active-bitmap
   * --kernel 5.4` shows it. Walkers follow that version's code (page_idle,
   * soft_offline_page, KVM changed), and `pfnlab audit` runs the model with it.
   */
  readonly kernel?: KernelVersion;
  /** A broken reader protocol (fault injection): test before taking the read lock. */
  readonly checkBeforeLock?: boolean;
  /** Bind the reader side to memory. */
  lookup(ctx: DesignContext): Lookup;
  /** The write side: what it sets and clears around the core kernel steps. */
  writeSide(ctx: DesignContext, m: KernelView): DesignWriteSide;
  /** A sentence per write-side rule, for `pfnlab compare --explain` and the docs. */
  readonly writeRules: readonly string[];
  /**
   * How the kernel code the design stands for marks each access of its publish and teardown
   * protocols (plain, ONCE, release/acquire, RCU, under which lock): `pfnlab litmus --design`
   * decides them under LKMM. Absent for a design that declares none.
   */
  readonly accesses?: DesignAccesses;
}
