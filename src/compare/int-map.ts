/**
 * A map from positive int32 keys to int32 values in two Int32Arrays (open
 * addressing, linear probing, doubling at half full). The class tracker keeps
 * one entry per allocation a section reads - a million on a 64 TiB machine -
 * where a Map costs several times the time and memory.
 *
 * Invariant: key 0 marks an empty slot (0 is NULL, never a key); every key
 * sits at or after its hash slot with no empty slot in between.
 */
const MISSING = -1;

export class IntMap {
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.keys = new Int32Array(n);
    this.values = new Int32Array(n);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> 0;
  }

  /** The value of key, or -1. */
  get(key: number): number {
    const keys = this.keys;
    for (let i = this.slot(key) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) return this.values[i];
      if (k === 0) return MISSING;
    }
  }

  set(key: number, value: number): void {
    if (key <= 0) throw new RangeError(`IntMap keys are positive (got ${key})`);
    const keys = this.keys;
    for (let i = this.slot(key) & this.mask; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) {
        this.values[i] = value;
        return;
      }
      if (k === 0) {
        keys[i] = key;
        this.values[i] = value;
        if (++this.count * 2 > keys.length) this.grow();
        return;
      }
    }
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i], values[i]);
  }
}
