/**
 * What a pfn walker can do, bound to one run of it: the design's lookups and
 * read-side protection, the kernel's own protections (a pgmap reference, the
 * hotplug lock, a page reference), and dereferencing a struct page. Every
 * memory access goes through the walker's context, so the explorer can
 * interleave it and catch a read of a poisoned, uninitialized or freed page.
 */
import type { Geometry, KernelVersion } from '../arch/geometry.js';
import type { Design, DesignContext, Lookup } from '../designs/design.js';
import { type Kernel, resolveKernel } from '../kernel/index.js';
import {
  G_HOTPLUG_LOCK,
  G_PAGE_EXT_READERS,
  GLOBALS_ADDR,
  HOTPLUG_LOCK_BLOCK,
  HOTPLUG_LOCK_WRITER,
  P_FLAGS,
  P_PGMAP,
  P_REFCOUNT,
  PAGE_EXT_INVALID,
  PG_REFCOUNT,
} from '../model/layout.js';
import { NO_PAGE } from '../model/lookup.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import { PAGE_POISON_PATTERN, PG_reserved, pageZonenum, ZONE_DEVICE } from '../model/page-flags.js';
import { pgmapArrayLoad, trygetLive } from '../model/pgmap.js';
import { pageExtSlot } from '../model/sections.js';
import { PlainReadSide, type RcuReadSide } from '../rcu/memb.js';

/**
 * What a walker sees of the world: memory (every access a scheduling point under the explorer,
 * a shared Int32Array on a stress thread) and a few verbs. The explorer, stress and the walkers
 * all speak it.
 */
export interface WalkerCtx {
  /** Model memory; reads and writes are scheduling points. */
  readonly mem: { [addr: number]: number };
  /** Name the action the next accesses belong to (for traces). */
  note(fn: string, detail: string, pfn?: number): void;
  /** An atomic read-modify-write; returning undefined means "would block here". */
  rmw(addr: number, f: (old: number) => number | undefined): number;
  /**
   * The walker now holds (uses) the struct page of pfn. Holds end with the
   * walker's iteration (its rcu_read_unlock or put); release() ends one sooner.
   */
  hold(pfn: number): void;
  release(pfn: number): void;
  /** The walker acts on a lookup's answer: is it right by the truth now? */
  expect(pfn: number, answer: 'online' | 'device', what: string): void;
}

// The read-modify-writes walkers make, created once: a closure per call costs a defineProperty under tsx.
/** get_online_mems() on the lock word: one more reader, or "wait" while a writer holds it or waits for it. */
export const READ_LOCK = (v: number) => (v & (HOTPLUG_LOCK_WRITER | HOTPLUG_LOCK_BLOCK) ? undefined : v + 1);
/** put_online_mems(), put_dev_pagemap(), put_page(): one reference less. */
export const DECREMENT = (v: number) => v - 1;
const INCREMENT = (v: number) => v + 1;
const TRYGET_LIVE = (v: number) => trygetLive(v) ?? v;

/**
 * What a walker running on a real thread plugs in (src/stress): the RCU read
 * side of its registered reader slot, and a check of every struct page word it
 * reads. The explorer needs neither: it checks every access itself.
 */
export interface WalkerHooks {
  /** rcu_read_lock()/rcu_read_unlock() of a registered reader, instead of the deterministic ones over ctx.mem. */
  readonly rcu?: RcuReadSide;
  /** Before each struct page read, after the lookup that found the page: the walker's race window. */
  readonly beforePageRead?: (pfn: number) => void;
  /** After each struct page read: the pfn, the address read (NULL: no memmap maps it), the value, what read it. */
  readonly pageRead?: (pfn: number, addr: number, value: number, what: string) => void;
  /**
   * Build no trace notes and keep no held pages (the notes' strings are most of
   * a walk's cost, and a real-thread ctx does nothing with either); the kernel
   * can then serve walk after walk.
   */
  readonly quiet?: boolean;
}

export class WalkerKernel {
  readonly lookup: Lookup;
  /** The behaviours in force at the walker's release (src/kernel). */
  readonly behaviours: Kernel;
  private locked = false;
  private pendingLock = false;
  private readonly noting: boolean;
  private readonly readSide: RcuReadSide;
  private readonly touched = new Set<number>();

  constructor(
    readonly ctx: WalkerCtx,
    readonly design: Design,
    designCtx: DesignContext,
    readonly g: Geometry,
    readonly kernel: KernelVersion,
    /** This walker's RCU reader slot. */
    private readonly rcuSlot: number,
    rcu: number,
    private readonly hooks: WalkerHooks = {},
  ) {
    this.lookup = design.lookup({ ...designCtx, mem: ctx.mem });
    this.behaviours = resolveKernel(kernel);
    this.noting = hooks.quiet !== true;
    this.readSide = hooks.rcu ?? new PlainReadSide(ctx.mem, rcu, rcuSlot);
  }

  get mem(): { [addr: number]: number } {
    return this.ctx.mem;
  }

  /**
   * Enter the read side the design asks of every pfn walker: rcu_read_lock()
   * for RCU designs, get_online_mems() for hotplug-lock, nothing otherwise. A
   * check-before-lock design takes the lock only after the first lookup.
   */
  enter(): void {
    if (this.design.protection === 'rcu') {
      if (this.design.checkBeforeLock) this.pendingLock = true;
      else this.rcuLock();
    } else if (this.design.protection === 'hotplug-lock') {
      this.getOnlineMems();
    }
  }

  exit(): void {
    if (this.design.protection === 'rcu') {
      this.pendingLock = false;
      if (this.locked) this.rcuUnlock();
    } else if (this.design.protection === 'hotplug-lock') {
      this.putOnlineMems();
    }
  }

  private afterLookup(): void {
    if (this.pendingLock) {
      this.pendingLock = false;
      this.rcuLock();
    }
  }

  rcuLock(): void {
    if (this.noting) this.ctx.note('rcu_read_lock', `reader ${this.rcuSlot}`);
    this.readSide.lock();
    this.locked = true;
  }

  rcuUnlock(): void {
    if (this.noting) this.ctx.note('rcu_read_unlock', `reader ${this.rcuSlot}`);
    this.readSide.unlock();
    this.locked = false;
  }

  /** get_online_mems(): mem_hotplug_lock for read; waits while an operation holds it or waits to. */
  getOnlineMems(): void {
    if (this.noting) this.ctx.note('get_online_mems', 'mem_hotplug_lock for read');
    this.ctx.rmw(GLOBALS_ADDR + G_HOTPLUG_LOCK, READ_LOCK);
  }

  putOnlineMems(): void {
    if (this.noting) this.ctx.note('put_online_mems', 'mem_hotplug_lock released');
    this.ctx.rmw(GLOBALS_ADDR + G_HOTPLUG_LOCK, DECREMENT);
  }

  pfnValid(pfn: number): boolean {
    if (this.noting) this.ctx.note('pfn_valid', `pfn 0x${pfn.toString(16)}`, pfn);
    const r = this.lookup.pfnValid(pfn);
    this.afterLookup();
    return r;
  }

  /** The walker works on pfn's page from its lookup to the end of the walk. */
  private touch(pfn: number): void {
    if (this.noting && !this.touched.has(pfn)) {
      this.touched.add(pfn);
      this.ctx.hold(pfn);
    }
  }

  /** pfn_to_online_page(); a returned page is acted upon, so its truth is checked. */
  pfnToOnlinePage(pfn: number): number {
    if (this.noting) this.ctx.note('pfn_to_online_page', `pfn 0x${pfn.toString(16)}`, pfn);
    this.touch(pfn);
    const page = this.lookup.pfnToOnlinePage(pfn);
    this.afterLookup();
    if (page !== NO_PAGE) this.ctx.expect(pfn, 'online', 'pfn_to_online_page() returned it');
    return page;
  }

  hasDeviceLookup(): boolean {
    return this.lookup.pfnToDevicePage !== undefined;
  }

  pfnToDevicePage(pfn: number): number {
    if (this.noting) this.ctx.note('pfn_to_device_page', `pfn 0x${pfn.toString(16)}`, pfn);
    this.touch(pfn);
    const page = this.lookup.pfnToDevicePage!(pfn);
    this.afterLookup();
    if (page !== NO_PAGE) this.ctx.expect(pfn, 'device', 'pfn_to_device_page() returned it');
    return page;
  }

  /** is_zone_device_page() as the design answers it (page flags, or a pfn-based map). */
  isZoneDevicePage(pfn: number): boolean {
    if (this.noting) this.ctx.note('is_zone_device_page', `pfn 0x${pfn.toString(16)}`, pfn);
    this.touch(pfn);
    return this.lookup.isZoneDevicePage(pfn);
  }

  /** Read one word of pfn's struct page (through the vmemmap), holding the page meanwhile. */
  private pageWord(pfn: number, word: number, what: string): number {
    if (this.noting) this.ctx.note('deref', `${what} of pfn 0x${pfn.toString(16)}`, pfn);
    this.touch(pfn);
    this.hooks.beforePageRead?.(pfn);
    const addr = pageAddress(this.ctx.mem, this.g, pfn);
    const v = addr === NULL ? PAGE_POISON_PATTERN : this.ctx.mem[addr + word];
    this.hooks.pageRead?.(pfn, addr === NULL ? NULL : addr + word, v, what);
    return v;
  }

  pageFlags(pfn: number, what = 'page->flags'): number {
    return this.pageWord(pfn, P_FLAGS, what);
  }

  pageCount(pfn: number): number {
    return this.pageWord(pfn, P_REFCOUNT, 'page_count()');
  }

  pagePgmap(pfn: number): number {
    return this.pageWord(pfn, P_PGMAP, 'page->pgmap');
  }

  pageReserved(pfn: number): boolean {
    return (this.pageFlags(pfn, 'PageReserved()') & PG_reserved) !== 0;
  }

  /** page_zone() compared by id. */
  pageZone(pfn: number): number {
    return pageZonenum(this.pageFlags(pfn, 'page_zone()'));
  }

  /** get_dev_pagemap(): a live reference on pfn's pgmap (table record), or 0. */
  getDevPagemap(pfn: number): number {
    if (this.noting) this.ctx.note('get_dev_pagemap', `pfn 0x${pfn.toString(16)}`, pfn);
    const rec = pgmapArrayLoad(this.ctx.mem, pfn);
    if (rec === 0) return 0;
    const got = this.ctx.rmw(rec + PG_REFCOUNT, TRYGET_LIVE);
    return trygetLive(got) === undefined ? 0 : rec;
  }

  putDevPagemap(rec: number): void {
    if (rec === 0) return;
    if (this.noting) this.ctx.note('put_dev_pagemap', 'drop the pgmap reference');
    this.ctx.rmw(rec + PG_REFCOUNT, DECREMENT);
  }

  /** A reference the caller held on the page since before the walk (a pgmap reference for device pages): dropped now. */
  putPage(rec: number): void {
    if (rec === 0) return;
    if (this.noting) this.ctx.note('put_page', 'drop the page reference the caller held');
    this.ctx.rmw(rec + PG_REFCOUNT, DECREMENT);
  }

  /**
   * page_ext_get() (pageExtFreedAfterRcu: rcu_read_lock(), then NULL for an invalid pointer) or,
   * before it, lookup_page_ext() with no protection: the section's page_ext word, or NULL.
   */
  pageExtGet(pfn: number): number {
    const fenced = this.behaviours.pageExtFreedAfterRcu;
    if (fenced) {
      if (this.noting) this.ctx.note('page_ext_get', 'rcu_read_lock');
      this.ctx.rmw(GLOBALS_ADDR + G_PAGE_EXT_READERS, INCREMENT);
    }
    if (this.noting) this.ctx.note('lookup_page_ext', `pfn 0x${pfn.toString(16)}`, pfn);
    const slot = pageExtSlot(this.ctx.mem, this.g, Math.floor(pfn / this.g.pagesPerSection));
    const ext = slot === NULL ? NULL : this.ctx.mem[slot];
    if (ext === NULL || (fenced && ext & PAGE_EXT_INVALID)) {
      if (fenced) this.pageExtPut();
      return NULL;
    }
    return ext;
  }

  /** test_bit(PAGE_EXT_OWNER, &page_ext->flags) */
  pageExtFlags(ext: number): number {
    if (this.noting) this.ctx.note('test_bit', 'PAGE_EXT_OWNER of page_ext->flags');
    return this.ctx.mem[ext];
  }

  /** page_ext_put(): rcu_read_unlock() (nothing before pageExtFreedAfterRcu). */
  pageExtPut(): void {
    if (!this.behaviours.pageExtFreedAfterRcu) return;
    if (this.noting) this.ctx.note('page_ext_put', 'rcu_read_unlock');
    this.ctx.rmw(GLOBALS_ADDR + G_PAGE_EXT_READERS, DECREMENT);
  }

  isDeviceZone(zone: number): boolean {
    return zone === ZONE_DEVICE;
  }
}
