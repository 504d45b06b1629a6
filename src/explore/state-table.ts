/**
 * The visited states of a search: an open-addressing hash table over typed arrays, keyed by a
 * 96-bit fingerprint of the state key, with what the search needs of each visit (the sleep set it
 * was explored with, its preemptions and depth).
 *
 * Soundness of the fingerprint: the key is [writer pc, the 64-bit Zobrist hash of memory, each
 * walker's trace node (a 64-bit hash of its iteration and the values it read) and private words]. The string keys of the 2026-12-06 engine held the pc and
 * walker parts exactly and memory as the same 64-bit hash (trace nodes now are 64-bit hashes too,
 * so that threads' searches name a state alike: a collision needs two traces of one walker alike in
 * 64 bits); here words 1 and 2 of the fingerprint
 * are the memory hash mixed with the rest and word 3 hashes the rest alone. Two states that differ
 * only in memory collide exactly when the memory hash did before (probability 2^-64 per pair);
 * states that differ elsewhere need a 96-bit collision. A collision would merge two states and
 * could hide one; at a billion states the chance of any is below 10^-10 beyond what it was.
 */

const STRIDE = 6;
const F1 = 0;
const F2 = 1;
const F3 = 2;
const SLEEP = 3;
const PREEMPTIONS = 4;
/** Depth + 1: 0 marks an empty slot (in the slot itself: a probe touches one place in memory, not two). */
const DEPTH = 5;
/** The table doubles twice when it grows: each state is moved about a third as often as by doubling. */
const GROWTH = 4;

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  return h ^ (h >>> 13);
}

const FP = new Int32Array(3);

/** The 96-bit fingerprint of a state key into out[0..2] (see the file's comment). */
export function fingerprint(key: Int32Array, length: number, out: Int32Array): void {
  let r1 = mix(0x243f6a88, key[0]);
  let r2 = mix(0x13198a2e, key[0]);
  let r3 = mix(0x03707344, key[0]);
  for (let i = 3; i < length; i++) {
    const x = key[i];
    r1 = mix(r1, x);
    r2 = mix(r2, x ^ 0x5bd1e995);
    r3 = mix(r3, x + 0x7f4a7c15);
  }
  out[0] = key[1] ^ r1;
  out[1] = key[2] ^ r2;
  out[2] = r3;
}

/** Where a fingerprint's probe starts in a table of mask + 1 slots. */
export function home(f1: number, f3: number, mask: number): number {
  return (f1 ^ Math.imul(f3, 0x27d4eb2f)) & mask;
}

export class StateTable {
  private slots: Int32Array;
  private mask: number;
  size = 0;
  /** The fingerprint of the last find(). */
  private f1 = 0;
  private f2 = 0;
  private f3 = 0;

  constructor(initialCapacity = 1 << 18) {
    let cap = 1;
    while (cap < initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap * STRIDE);
    this.mask = cap - 1;
  }

  /** The slot holding this key's visit, or -1 (insert() then adds it). */
  find(key: Int32Array, length: number): number {
    fingerprint(key, length, FP);
    const f1 = FP[0];
    const f2 = FP[1];
    const f3 = FP[2];
    this.f1 = f1;
    this.f2 = f2;
    this.f3 = f3;
    const slots = this.slots;
    let i = home(f1, f3, this.mask);
    for (let at = i * STRIDE; slots[at + DEPTH] !== 0; at = i * STRIDE) {
      if (slots[at + F1] === f1 && slots[at + F2] === f2 && slots[at + F3] === f3) return i;
      i = (i + 1) & this.mask;
    }
    return -1;
  }

  /** Add the key of the last find() (which returned -1); returns its slot. */
  insert(sleep: number, preemptions: number, depth: number): number {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const i = this.place(this.f1, this.f2, this.f3);
    const at = i * STRIDE;
    this.slots[at + SLEEP] = sleep;
    this.slots[at + PREEMPTIONS] = preemptions;
    this.slots[at + DEPTH] = depth + 1;
    this.size++;
    return i;
  }

  sleep(slot: number): number {
    return this.slots[slot * STRIDE + SLEEP];
  }

  preemptions(slot: number): number {
    return this.slots[slot * STRIDE + PREEMPTIONS];
  }

  depth(slot: number): number {
    return this.slots[slot * STRIDE + DEPTH] - 1;
  }

  set(slot: number, sleep: number, preemptions: number, depth: number): void {
    const at = slot * STRIDE;
    this.slots[at + SLEEP] = sleep;
    this.slots[at + PREEMPTIONS] = preemptions;
    this.slots[at + DEPTH] = depth + 1;
  }

  setSleep(slot: number, sleep: number): void {
    this.slots[slot * STRIDE + SLEEP] = sleep;
  }

  /** Bytes held (for reports). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** An empty slot for the fingerprint, which it now holds (its depth is set by the caller). */
  private place(f1: number, f2: number, f3: number): number {
    const slots = this.slots;
    let i = home(f1, f3, this.mask);
    while (slots[i * STRIDE + DEPTH] !== 0) i = (i + 1) & this.mask;
    const at = i * STRIDE;
    slots[at + F1] = f1;
    slots[at + F2] = f2;
    slots[at + F3] = f3;
    return i;
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * GROWTH;
    this.slots = new Int32Array(cap * STRIDE);
    this.mask = cap - 1;
    for (let from = 0; from < old.length; from += STRIDE) {
      if (old[from + DEPTH] === 0) continue;
      const at = this.place(old[from + F1], old[from + F2], old[from + F3]) * STRIDE;
      this.slots[at + SLEEP] = old[from + SLEEP];
      this.slots[at + PREEMPTIONS] = old[from + PREEMPTIONS];
      this.slots[at + DEPTH] = old[from + DEPTH];
    }
  }
}
