/**
 * The detector, on each walker thread: every struct page word a walker reads
 * (WalkerKernel's page_*() dereferences) is checked as it is read.
 *
 * - freed: the word's shadow byte says its block was freed, or no memmap maps
 *   the pfn any more (the model reads poison where the kernel would fault).
 *   Model memory is never reused during a stress run (Memory.reuseFreed off),
 *   so a block freed under a late reader is still marked freed when it reads.
 * - poisoned / uninitialized: the word holds page_init_poison()'s pattern
 *   (-1). Which of the two is told from what the writer was doing to the pfn's
 *   range: bringing it up (add_memory, online, memremap: the memmap is not
 *   initialized yet) or tearing it down.
 *
 * A node split by a representation change (memmap.ts never merges nodes back)
 * stays allocated and keeps its old words, so it never reads as freed; and the
 * race window (WalkerKernel's beforePageRead hook) comes before the address is
 * resolved, so a read goes through the memmap as it is at the read.
 */
import { NULL, SHADOW_FREED } from '../model/memory.js';
import type { Control, ViolationKind } from './control.js';

/** One dereference of a bad struct page, with where the writer was. */
export interface RawViolation {
  readonly kind: ViolationKind;
  readonly pfn: number;
  /** What read it: 'page->flags', 'page_count()', ... */
  readonly what: string;
  readonly walker: string;
  readonly worker: number;
  /** The word read (-1: poison) and whether the pfn had no memmap at all. */
  readonly value: number;
  readonly unmapped: boolean;
  /** Milliseconds since the run started, and the walker's lookup number. */
  readonly atMs: number;
  readonly lookup: number;
  /** The writer's position: cycle, operation index in the cycle, step index in the operation. */
  readonly cycle: number;
  readonly op: number;
  readonly step: number;
}

/** The pfn range of each operation of the writer's cycle, and whether it brings memory up. */
export interface OpRange {
  readonly startPfn: number;
  readonly endPfn: number;
  readonly up: boolean;
}

export class Detector {
  readonly counts: Record<ViolationKind, number> = { freed: 0, poisoned: 0, uninitialized: 0 };
  readonly examples: RawViolation[] = [];
  derefs = 0;
  /** The walker running now and its lookup number, for examples. */
  walker = '';
  lookup = 0;
  firstMs: number | undefined;
  /** The hook for WalkerKernel (one bound function, created once). */
  readonly pageRead: (pfn: number, addr: number, value: number, what: string) => void;

  constructor(
    private readonly shadow: Uint8Array,
    private readonly control: Control,
    private readonly worker: number,
    private readonly ops: readonly OpRange[],
    private readonly examplesPerKind: number,
  ) {
    this.pageRead = (pfn, addr, value, what) => {
      this.derefs++;
      if (addr !== NULL && value !== -1 && (this.shadow[addr] & SHADOW_FREED) === 0) return;
      this.found(pfn, addr, value, what);
    };
  }

  private classify(pfn: number, addr: number, op: number): ViolationKind {
    if (addr === NULL || this.shadow[addr] & SHADOW_FREED) return 'freed';
    // The latest operation of the cycle (up to the current one) that covers the pfn says which way it goes.
    for (let i = 0; i < this.ops.length; i++) {
      const o = this.ops[(op - i + this.ops.length) % this.ops.length];
      if (pfn >= o.startPfn && pfn < o.endPfn) return o.up ? 'uninitialized' : 'poisoned';
    }
    return 'poisoned';
  }

  private found(pfn: number, addr: number, value: number, what: string): void {
    const pos = this.control.position();
    const kind = this.classify(pfn, addr, pos.op);
    this.counts[kind]++;
    this.control.addViolation();
    const atMs = this.control.elapsedMs();
    this.firstMs ??= atMs;
    if (this.examples.filter((e) => e.kind === kind).length >= this.examplesPerKind) return;
    this.examples.push({
      kind,
      pfn,
      what,
      walker: this.walker,
      worker: this.worker,
      value,
      unmapped: addr === NULL,
      atMs,
      lookup: this.lookup,
      cycle: pos.cycle,
      op: pos.op,
      step: pos.step,
    });
  }

  get total(): number {
    return this.counts.freed + this.counts.poisoned + this.counts.uninitialized;
  }
}
