/**
 * The model's kernel memory: one array of 32-bit words holding everything a pfn
 * walker can read (the mem_section roots and records, usage records with their
 * bitmaps, the memmap, the pgmap table). Words are addressed by index; index 0
 * is NULL and never allocated.
 *
 * The backing store is a fixed-capacity buffer (a SharedArrayBuffer when the
 * memory is to be read by worker threads). Untouched capacity is never
 * committed by the operating system, so a large capacity costs only what the
 * model writes. Growable SharedArrayBuffers were measured 7x slower per read on
 * Node 20, which is why the capacity is fixed.
 *
 * Beside the words sits a KASAN-style shadow: one byte per word saying what
 * the word belongs to and whether it is live. Instrumented readers (the
 * explorer) check it to catch any use-after-free, not only of struct pages,
 * and cost accounting uses the kinds to say what a lookup touched.
 */

import { PfnlabError } from '../errors.js';

export const NULL = 0;

/**
 * What an allocation holds. The shadow byte of a live word is its kind (1-15);
 * a freed word has SHADOW_FREED set on top of its kind; 0 was never allocated.
 */
export enum MemKind {
  Globals = 1,
  RootTable = 2, // the mem_section root pointer array
  SectionRoot = 3, // one root: SECTIONS_PER_ROOT struct mem_section
  Usage = 4, // struct mem_section_usage
  MemmapNode = 5,
  MemmapDir = 6,
  Pages = 7, // per-page struct pages of a split subsection
  PgmapTable = 8,
  Rcu = 9,
  /** Words the MMU reads to translate a vmemmap address: no load in the kernel's pfn_to_page(). */
  Vmemmap = 10,
  /** struct page_ext of a section (page_owner=on). */
  PageExt = 11,
  Other = 15,
}

export const SHADOW_FREED = 0x80;
export const SHADOW_NEVER_ALLOCATED = 0;

export const MEM_KIND_NAMES: Readonly<Record<number, string>> = {
  1: 'globals',
  2: 'root table',
  3: 'mem_section',
  4: 'usage',
  5: 'struct page',
  6: 'memmap directory',
  7: 'struct page',
  8: 'pgmap',
  9: 'rcu',
  10: 'vmemmap walk',
  11: 'page_ext',
  15: 'other',
  0: 'unallocated',
};

/** Header words in front of every allocation: [size in words]. */
const HEADER_WORDS = 1;
/** Words faulted in ahead of the allocator at a time (1 MiB). */
const TOUCH_CHUNK_WORDS = 2 ** 18;

/**
 * The model's memory is full: the scenario's machine needs more kernel metadata (section records,
 * usage records, memmap) than the capacity holds. An input too big for the model, so a PfnlabError:
 * the CLI prints its one line and exits 2.
 */
export class OutOfModelMemoryError extends PfnlabError {
  constructor(
    readonly requestedWords: number,
    readonly capacityWords: number,
    /** What needs the words, when known before any is allocated. */
    demand?: string,
  ) {
    super(
      `model memory exhausted: the machine's kernel metadata (section and usage records, memmap) outgrows the model's ${(capacityWords * 4) / 2 ** 20} MiB (${demand ?? `allocating ${requestedWords} more words`}); give the scenario fewer or smaller memory ranges`,
      requestedWords,
    );
  }
}

export interface MemoryOptions {
  /** Back the words with a SharedArrayBuffer so worker threads can read them. */
  readonly shared?: boolean;
  /** Capacity in words (default 2^28 words = 1 GiB of address space, committed lazily). */
  readonly capacityWords?: number;
  /**
   * Hand freed blocks out again (default). Off, a freed block stays freed for
   * good, so that a reader on another thread that reaches it late always finds
   * its shadow marked freed (the stress runner's choice; memory then grows
   * with every allocation).
   */
  readonly reuseFreed?: boolean;
}

const DEFAULT_CAPACITY_WORDS = 2 ** 28;

/** Transferable description of a Memory, for worker threads. */
export interface MemoryHandle {
  readonly words: SharedArrayBuffer;
  readonly shadow: SharedArrayBuffer;
}

/** A 32-bit mix of (addr, value), for Zobrist hashing of memory contents. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  return h ^ (h >>> 16);
}

/** A journal entry that restores a word (the others restore shadow, the allocator top, the live count). */
export const J_WORD = 0;
const J_SHADOW = 1;
const J_TOP = 2;
const J_LIVE = 3;

/**
 * Every change to a Memory, so that the explorer can go back to an earlier
 * state, and a 64-bit Zobrist hash of the words (two 32-bit halves) kept up
 * to date on every store. Hashes compare states reached from the same start.
 */
export class Journal {
  readonly entries: number[] = [];
  hash1 = 0;
  hash2 = 0;

  get length(): number {
    return this.entries.length;
  }

  /** The hash contribution of one word, to subtract words kept out of a state key. */
  static contribution(addr: number, value: number): [number, number] {
    return [Journal.contribution1(addr, value), Journal.contribution2(addr, value)];
  }

  /** contribution()'s first half, without the pair (the explorer's hot path). */
  static contribution1(addr: number, value: number): number {
    return mix(addr, value);
  }

  static contribution2(addr: number, value: number): number {
    return mix(addr * 31 + 7, value ^ 0x5bd1e995);
  }

  rehash(addr: number, from: number, to: number): void {
    this.hash1 ^= mix(addr, from) ^ mix(addr, to);
    this.hash2 ^= mix(addr * 31 + 7, from ^ 0x5bd1e995) ^ mix(addr * 31 + 7, to ^ 0x5bd1e995);
  }

  record(kind: number, addr: number, old: number): void {
    this.entries.push(kind, addr, old);
  }
}

/**
 * A word store with a size-class allocator. Allocation and freeing happen on
 * the writer (the thread that runs kernel operations); readers only load.
 */
export class Memory {
  readonly words: Int32Array;
  readonly shadow: Uint8Array;
  /** The first word never handed out. */
  private top = 2;
  private touched = 0;
  /** Free blocks by size in words; LIFO. */
  private readonly freeLists = new Map<number, number[]>();
  private liveWords = 0;
  /** While set, every change is journaled and freed blocks are never reused (see Journal). */
  journal: Journal | null = null;
  private readonly reuseFreed: boolean;

  constructor(options: MemoryOptions = {}, existing?: { words: Int32Array; shadow: Uint8Array }) {
    this.reuseFreed = options.reuseFreed ?? true;
    if (existing) {
      this.words = existing.words;
      this.shadow = existing.shadow;
      return;
    }
    const capacity = options.capacityWords ?? DEFAULT_CAPACITY_WORDS;
    const Buffer = options.shared ? SharedArrayBuffer : ArrayBuffer;
    this.words = new Int32Array(new Buffer(capacity * 4));
    this.shadow = new Uint8Array(new Buffer(capacity));
  }

  /** A reader-side view of shared memory, in a worker thread. */
  static attach(handle: MemoryHandle): Memory {
    return new Memory({}, { words: new Int32Array(handle.words), shadow: new Uint8Array(handle.shadow) });
  }

  handle(): MemoryHandle {
    const words = this.words.buffer;
    const shadow = this.shadow.buffer;
    if (!(words instanceof SharedArrayBuffer) || !(shadow instanceof SharedArrayBuffer)) {
      throw new Error('only a shared Memory has a handle');
    }
    return { words, shadow };
  }

  get capacityWords(): number {
    return this.words.length;
  }

  /** Words handed out and not freed, headers included. */
  get usedWords(): number {
    return this.liveWords;
  }

  /** One past the highest word ever allocated. */
  get highWater(): number {
    return this.top;
  }

  load(addr: number): number {
    return this.words[addr];
  }

  store(addr: number, value: number): void {
    const j = this.journal;
    if (j !== null) {
      const old = this.words[addr];
      j.record(J_WORD, addr, old);
      j.rehash(addr, old, value);
    }
    this.words[addr] = value;
  }

  /**
   * An atomic read-modify-write for words that readers on other threads update
   * too (a pgmap's reference count): a compareExchange loop on shared memory,
   * a plain load and store otherwise. Returns the new value.
   */
  update(addr: number, f: (old: number) => number): number {
    if (this.journal === null && this.words.buffer instanceof SharedArrayBuffer) {
      for (;;) {
        const old = Atomics.load(this.words, addr);
        const next = f(old);
        if (Atomics.compareExchange(this.words, addr, old, next) === old) return next;
      }
    }
    const next = f(this.words[addr]);
    this.store(addr, next);
    return next;
  }

  /** Set the shadow of n words to `kind`, or (kind < 0) mark them freed keeping their kinds. */
  private setShadow(addr: number, n: number, kind: number): void {
    const j = this.journal;
    if (j === null && kind >= 0) {
      this.shadow.fill(kind, addr, addr + n);
      return;
    }
    for (let i = addr; i < addr + n; i++) {
      j?.record(J_SHADOW, i, this.shadow[i]);
      this.shadow[i] = kind < 0 ? this.shadow[i] | SHADOW_FREED : kind;
    }
  }

  private setLive(n: number): void {
    this.journal?.record(J_LIVE, 0, this.liveWords);
    this.liveWords = n;
  }

  /** Start journaling every change (and stop reusing freed blocks, so that late readers see them freed). */
  startJournal(): Journal {
    this.journal = new Journal();
    return this.journal;
  }

  /** Undo journaled changes back to an earlier journal length. */
  undoTo(length: number): void {
    const j = this.journal!;
    const e = j.entries;
    while (e.length > length) {
      const old = e.pop()!;
      const addr = e.pop()!;
      const kind = e.pop()!;
      if (kind === J_WORD) {
        j.rehash(addr, this.words[addr], old);
        this.words[addr] = old;
      } else if (kind === J_SHADOW) {
        this.shadow[addr] = old;
      } else if (kind === J_TOP) {
        this.top = old;
      } else {
        this.liveWords = old;
      }
    }
  }

  /**
   * What changed since journal length `mark`, as a replayable effect: each change's kind, where,
   * and the value it left (the last one, for a word changed twice). Replayed by applyEffect() on a
   * memory equal to this one at `mark`, it leaves the same memory (the explorer replays a writer
   * step it has already run from an equal state).
   */
  effectSince(mark: number): Int32Array {
    const e = this.journal!.entries;
    const out = new Int32Array(e.length - mark);
    for (let i = mark; i < e.length; i += 3) {
      const kind = e[i];
      const addr = e[i + 1];
      out[i - mark] = kind;
      out[i - mark + 1] = addr;
      out[i - mark + 2] =
        kind === J_WORD
          ? this.words[addr]
          : kind === J_SHADOW
            ? this.shadow[addr]
            : kind === J_TOP
              ? this.top
              : this.liveWords;
    }
    return out;
  }

  /** The words an effect (see effectSince) stores to or changes the shadow of: sorted, each once. */
  static effectAddresses(effect: Int32Array): Int32Array {
    const out: number[] = [];
    for (let i = 0; i < effect.length; i += 3)
      if (effect[i] === J_WORD || effect[i] === J_SHADOW) out.push(effect[i + 1]);
    const sorted = Int32Array.from(out).sort();
    let n = 0;
    for (let i = 0; i < sorted.length; i++)
      if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i];
    return sorted.slice(0, n);
  }

  /** Replay an effect (see effectSince), journaled. */
  applyEffect(effect: Int32Array): void {
    const j = this.journal!;
    for (let i = 0; i < effect.length; i += 3) {
      const kind = effect[i];
      const addr = effect[i + 1];
      const value = effect[i + 2];
      if (kind === J_WORD) {
        this.store(addr, value);
      } else if (kind === J_SHADOW) {
        j.record(J_SHADOW, addr, this.shadow[addr]);
        this.shadow[addr] = value;
      } else if (kind === J_TOP) {
        j.record(J_TOP, 0, this.top);
        this.top = value;
      } else {
        j.record(J_LIVE, 0, this.liveWords);
        this.liveWords = value;
      }
    }
  }

  isLive(addr: number): boolean {
    const s = this.shadow[addr];
    return s !== SHADOW_NEVER_ALLOCATED && s < SHADOW_FREED;
  }

  /** The kind of allocation a word belongs to (live or freed), or 0. */
  kindOf(addr: number): number {
    return this.shadow[addr] & ~SHADOW_FREED;
  }

  /**
   * Fault in the words ahead of `top` a chunk at a time, in address order, so that the model's
   * pages are physically near-contiguous, as memblock hands out the memmap. Left to first use,
   * they interleave with the JS heap's pages: measured 4% slower pfn lookups (bench/lookup).
   * Only never-allocated words (at or above the old top) are written, and they are zero.
   */
  private touchAhead(from: number, end: number): void {
    const next = Math.min(this.words.length, Math.ceil((end + 1) / TOUCH_CHUNK_WORDS) * TOUCH_CHUNK_WORDS);
    this.words.fill(0, Math.max(this.touched, from), next);
    this.touched = next;
  }

  /** Allocate n zeroed words (kzalloc) of a kind. Returns the address of the first. */
  alloc(n: number, kind: MemKind = MemKind.Other): number {
    const list = this.journal === null && this.reuseFreed ? this.freeLists.get(n) : undefined;
    let addr: number;
    if (list && list.length > 0) {
      addr = list.pop()!;
      this.words.fill(0, addr, addr + n);
    } else {
      const header = this.top;
      addr = header + HEADER_WORDS;
      const end = addr + n;
      if (end > this.words.length) throw new OutOfModelMemoryError(n, this.words.length);
      this.journal?.record(J_TOP, 0, this.top);
      this.top = end;
      if (end > this.touched) this.touchAhead(header, end);
      this.store(header, n);
    }
    this.setShadow(addr, n, kind);
    this.setLive(this.liveWords + n + HEADER_WORDS);
    return addr;
  }

  /** Re-label words of a live allocation (a record mixing kinds, e.g. a header). */
  setKind(addr: number, n: number, kind: MemKind): void {
    this.setShadow(addr, n, kind);
  }

  /** Free a block (kfree). Its words stay as they were; the shadow marks them freed. */
  free(addr: number): void {
    const n = this.words[addr - HEADER_WORDS];
    if (!this.isLive(addr)) throw new Error(`double free or bad pointer ${addr}`);
    this.setShadow(addr, n, -1);
    if (this.journal === null && this.reuseFreed) {
      let list = this.freeLists.get(n);
      if (!list) {
        list = [];
        this.freeLists.set(n, list);
      }
      list.push(addr);
    }
    this.setLive(this.liveWords - n - HEADER_WORDS);
  }

  sizeOf(addr: number): number {
    return this.words[addr - HEADER_WORDS];
  }

  /** A deep copy sized to what is in use (the explorer snapshots states this way). */
  clone(options: MemoryOptions = {}): Memory {
    const capacity = Math.max(options.capacityWords ?? 0, this.top + 1024);
    const copy = new Memory({
      shared: options.shared,
      capacityWords: capacity,
      reuseFreed: options.reuseFreed ?? this.reuseFreed,
    });
    copy.words.set(this.words.subarray(0, this.top));
    copy.shadow.set(this.shadow.subarray(0, this.top));
    copy.top = this.top;
    copy.liveWords = this.liveWords;
    for (const [n, list] of this.freeLists) copy.freeLists.set(n, list.slice());
    return copy;
  }

  /** Restore this memory to a snapshot taken with clone(). */
  restore(from: Memory): void {
    this.words.set(from.words.subarray(0, from.top));
    if (this.top > from.top) this.words.fill(0, from.top, this.top);
    this.shadow.set(from.shadow.subarray(0, from.top));
    if (this.top > from.top) this.shadow.fill(SHADOW_NEVER_ALLOCATED, from.top, this.top);
    this.top = from.top;
    this.liveWords = from.liveWords;
    this.freeLists.clear();
    for (const [n, list] of from.freeLists) this.freeLists.set(n, list.slice());
  }
}
