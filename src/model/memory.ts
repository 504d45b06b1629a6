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
  15: 'other',
};

/** Header words in front of every allocation: [size in words]. */
const HEADER_WORDS = 1;

export class OutOfModelMemoryError extends Error {
  constructor(readonly requestedWords: number) {
    super(`model memory exhausted allocating ${requestedWords} words; raise the memory capacity`);
    this.name = 'OutOfModelMemoryError';
  }
}

export interface MemoryOptions {
  /** Back the words with a SharedArrayBuffer so worker threads can read them. */
  readonly shared?: boolean;
  /** Capacity in words (default 2^28 words = 1 GiB of address space, committed lazily). */
  readonly capacityWords?: number;
}

const DEFAULT_CAPACITY_WORDS = 2 ** 28;

/** Transferable description of a Memory, for worker threads. */
export interface MemoryHandle {
  readonly words: SharedArrayBuffer;
  readonly shadow: SharedArrayBuffer;
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
  /** Free blocks by size in words; LIFO. */
  private readonly freeLists = new Map<number, number[]>();
  private liveWords = 0;

  constructor(options: MemoryOptions = {}, existing?: { words: Int32Array; shadow: Uint8Array }) {
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
    this.words[addr] = value;
  }

  isLive(addr: number): boolean {
    const s = this.shadow[addr];
    return s !== SHADOW_NEVER_ALLOCATED && s < SHADOW_FREED;
  }

  /** The kind of allocation a word belongs to (live or freed), or 0. */
  kindOf(addr: number): number {
    return this.shadow[addr] & ~SHADOW_FREED;
  }

  /** Allocate n zeroed words (kzalloc) of a kind. Returns the address of the first. */
  alloc(n: number, kind: MemKind = MemKind.Other): number {
    const list = this.freeLists.get(n);
    let addr: number;
    if (list && list.length > 0) {
      addr = list.pop()!;
      this.words.fill(0, addr, addr + n);
    } else {
      const header = this.top;
      addr = header + HEADER_WORDS;
      const end = addr + n;
      if (end > this.words.length) throw new OutOfModelMemoryError(n);
      this.top = end;
      this.words[header] = n;
    }
    this.shadow.fill(kind, addr, addr + n);
    this.liveWords += n + HEADER_WORDS;
    return addr;
  }

  /** Free a block (kfree). Its words stay as they were; the shadow marks them freed. */
  free(addr: number): void {
    const n = this.words[addr - HEADER_WORDS];
    if (!this.isLive(addr)) throw new Error(`double free or bad pointer ${addr}`);
    this.shadow.fill(this.shadow[addr] | SHADOW_FREED, addr, addr + n);
    let list = this.freeLists.get(n);
    if (!list) {
      list = [];
      this.freeLists.set(n, list);
    }
    list.push(addr);
    this.liveWords -= n + HEADER_WORDS;
  }

  sizeOf(addr: number): number {
    return this.words[addr - HEADER_WORDS];
  }

  /** A deep copy sized to what is in use (the explorer snapshots states this way). */
  clone(options: MemoryOptions = {}): Memory {
    const capacity = Math.max(options.capacityWords ?? 0, this.top + 1024);
    const copy = new Memory({ shared: options.shared, capacityWords: capacity });
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
