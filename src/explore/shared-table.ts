/**
 * The visited states of a search shared by worker threads: a fixed-size open-addressing table
 * over SharedArrayBuffers, keyed by the same 96-bit fingerprints as StateTable (see its soundness
 * note), with the shallowest depth each state was reached at. Each slot has a state word (0 empty,
 * 1 being written, 2 ready), claimed with compareExchange, so two threads never both take one
 * state as new; a thread that reaches a state shallower than recorded lowers the depth
 * (compareExchange again) and explores it anew, so every state is explored at its least depth by
 * someone, which keeps the shortest counterexample shortest.
 */
import { fingerprint, home } from './state-table.js';

const STRIDE = 4;
const EMPTY = 0;
const WRITING = 1;
const READY = 2;

/** Transferable to worker threads. */
export interface SharedTableHandle {
  readonly slots: SharedArrayBuffer;
  readonly state: SharedArrayBuffer;
  /** [states inserted, shortest violation length found by any thread (or 2^31-1), table full]. */
  readonly counters: SharedArrayBuffer;
}

/** What visit() found. */
export const NEW = 0;
export const SHALLOWER = 1;
export const SEEN = 2;
export const FULL = 3;

export class SharedStateTable {
  private readonly slots: Int32Array;
  private readonly state: Int32Array;
  readonly counters: Int32Array;
  private readonly mask: number;
  private readonly fp = new Int32Array(3);

  constructor(readonly handle: SharedTableHandle) {
    this.slots = new Int32Array(handle.slots);
    this.state = new Int32Array(handle.state);
    this.counters = new Int32Array(handle.counters);
    this.mask = this.state.length - 1;
  }

  /** A table of 2^bits slots (20 bytes each, committed by the OS as they are touched). */
  static create(bits: number): SharedStateTable {
    const n = 2 ** bits;
    const counters = new SharedArrayBuffer(12);
    new Int32Array(counters)[1] = 0x7fffffff;
    return new SharedStateTable({
      slots: new SharedArrayBuffer(n * STRIDE * 4),
      state: new SharedArrayBuffer(n * 4),
      counters,
    });
  }

  get states(): number {
    return Atomics.load(this.counters, 0);
  }

  /** The shortest violation any thread has found (schedule length), or 2^31-1. */
  get shortest(): number {
    return Atomics.load(this.counters, 1);
  }

  offerShortest(length: number): void {
    for (;;) {
      const cur = Atomics.load(this.counters, 1);
      if (length >= cur || Atomics.compareExchange(this.counters, 1, cur, length) === cur) return;
    }
  }

  get full(): boolean {
    return Atomics.load(this.counters, 2) !== 0;
  }

  /** Record a visit at depth: NEW, SHALLOWER (explore again), SEEN (skip), or FULL (no room left). */
  visit(key: Int32Array, length: number, depth: number): number {
    fingerprint(key, length, this.fp);
    const f1 = this.fp[0];
    const f2 = this.fp[1];
    const f3 = this.fp[2];
    let i = home(f1, f3, this.mask);
    for (let probes = 0; probes <= this.mask; probes++) {
      let st = Atomics.load(this.state, i);
      if (st === EMPTY) {
        if (Atomics.load(this.counters, 0) * 10 > this.mask * 9) {
          Atomics.store(this.counters, 2, 1);
          return FULL;
        }
        st = Atomics.compareExchange(this.state, i, EMPTY, WRITING);
        if (st === EMPTY) {
          const at = i * STRIDE;
          this.slots[at] = f1;
          this.slots[at + 1] = f2;
          this.slots[at + 2] = f3;
          Atomics.store(this.slots, at + 3, depth);
          Atomics.store(this.state, i, READY);
          Atomics.add(this.counters, 0, 1);
          return NEW;
        }
      }
      while (st === WRITING) st = Atomics.load(this.state, i);
      const at = i * STRIDE;
      if (this.slots[at] === f1 && this.slots[at + 1] === f2 && this.slots[at + 2] === f3) {
        for (;;) {
          const d = Atomics.load(this.slots, at + 3);
          if (d <= depth) return SEEN;
          if (Atomics.compareExchange(this.slots, at + 3, d, depth) === d) return SHALLOWER;
        }
      }
      i = (i + 1) & this.mask;
    }
    Atomics.store(this.counters, 2, 1);
    return FULL;
  }
}
