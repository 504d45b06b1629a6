/**
 * Relations over the events of one candidate execution as bit matrices (row i: the events i is
 * related to, 32 per Uint32Array word), and event sets as bit vectors. Every operation returns a
 * new value; nothing is shared.
 */

export type EventSet = Uint32Array;

export class Relation {
  /** Words per row. */
  readonly w: number;
  readonly bits: Uint32Array;
  constructor(
    readonly n: number,
    bits?: Uint32Array,
  ) {
    this.w = (n + 31) >>> 5;
    this.bits = bits ?? new Uint32Array(this.w * n);
  }

  has(i: number, j: number): boolean {
    return (this.bits[i * this.w + (j >>> 5)] & (1 << (j & 31))) !== 0;
  }
  add(i: number, j: number): void {
    this.bits[i * this.w + (j >>> 5)] |= 1 << (j & 31);
  }
  copy(): Relation {
    return new Relation(this.n, this.bits.slice());
  }
  isEmpty(): boolean {
    for (let k = 0; k < this.bits.length; k++) if (this.bits[k]) return false;
    return true;
  }
  /** The pairs, for messages and tests. */
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) for (let j = 0; j < this.n; j++) if (this.has(i, j)) out.push([i, j]);
    return out;
  }

  union(...others: Relation[]): Relation {
    const out = this.bits.slice();
    for (const o of others) for (let k = 0; k < out.length; k++) out[k] |= o.bits[k];
    return new Relation(this.n, out);
  }
  inter(o: Relation): Relation {
    const out = this.bits.slice();
    for (let k = 0; k < out.length; k++) out[k] &= o.bits[k];
    return new Relation(this.n, out);
  }
  minus(o: Relation): Relation {
    const out = this.bits.slice();
    for (let k = 0; k < out.length; k++) out[k] &= ~o.bits[k];
    return new Relation(this.n, out);
  }
  inverse(): Relation {
    const out = new Relation(this.n);
    for (let i = 0; i < this.n; i++) forEachBit(this.bits, i * this.w, this.w, (j) => out.add(j, i));
    return out;
  }
  /** this ; o */
  seq(o: Relation): Relation {
    const { n, w } = this;
    const out = new Uint32Array(w * n);
    for (let i = 0; i < n; i++) {
      const row = i * w;
      forEachBit(this.bits, row, w, (j) => {
        const src = j * w;
        for (let k = 0; k < w; k++) out[row + k] |= o.bits[src + k];
      });
    }
    return new Relation(n, out);
  }
  /** [dom] ; this ; [ran] */
  restrict(dom: EventSet | null, ran: EventSet | null): Relation {
    const { n, w } = this;
    const out = this.bits.slice();
    for (let i = 0; i < n; i++) {
      const row = i * w;
      if (dom && !setHas(dom, i)) {
        out.fill(0, row, row + w);
        continue;
      }
      if (ran) for (let k = 0; k < w; k++) out[row + k] &= ran[k];
    }
    return new Relation(n, out);
  }
  /** this+ (Warshall's closure). */
  plus(): Relation {
    const { n, w } = this;
    const out = this.bits.slice();
    for (let k = 0; k < n; k++) {
      const kw = k >>> 5;
      const kb = 1 << (k & 31);
      const krow = k * w;
      for (let i = 0; i < n; i++) {
        if (out[i * w + kw] & kb) {
          const row = i * w;
          for (let x = 0; x < w; x++) out[row + x] |= out[krow + x];
        }
      }
    }
    return new Relation(n, out);
  }
  /** this* */
  star(): Relation {
    return this.plus().opt();
  }
  /** this? */
  opt(): Relation {
    const out = this.copy();
    for (let i = 0; i < this.n; i++) out.add(i, i);
    return out;
  }
  irreflexive(): boolean {
    for (let i = 0; i < this.n; i++) if (this.has(i, i)) return false;
    return true;
  }
  acyclic(): boolean {
    return this.plus().irreflexive();
  }
  /** Pairs whose endpoints both satisfy `same` (e.g. same thread, same location). */
  static where(n: number, test: (i: number, j: number) => boolean): Relation {
    const r = new Relation(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (test(i, j)) r.add(i, j);
    return r;
  }
  static identity(n: number, on?: EventSet): Relation {
    const r = new Relation(n);
    for (let i = 0; i < n; i++) if (!on || setHas(on, i)) r.add(i, i);
    return r;
  }
  /** dom × ran */
  static product(n: number, dom: EventSet, ran: EventSet): Relation {
    const r = new Relation(n);
    for (let i = 0; i < n; i++) if (setHas(dom, i)) r.bits.set(ran, i * r.w);
    return r;
  }
}

function forEachBit(bits: Uint32Array, start: number, w: number, f: (j: number) => void): void {
  for (let k = 0; k < w; k++) {
    let word = bits[start + k];
    while (word) {
      const low = word & -word;
      f((k << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
}

export function setOf(n: number, member: (i: number) => boolean): EventSet {
  const s = new Uint32Array((n + 31) >>> 5);
  for (let i = 0; i < n; i++) if (member(i)) s[i >>> 5] |= 1 << (i & 31);
  return s;
}
export function setHas(s: EventSet, i: number): boolean {
  return (s[i >>> 5] & (1 << (i & 31))) !== 0;
}
export function setUnion(...sets: EventSet[]): EventSet {
  const out = sets[0].slice();
  for (const s of sets.slice(1)) for (let k = 0; k < out.length; k++) out[k] |= s[k];
  return out;
}
export function setMinus(a: EventSet, b: EventSet): EventSet {
  const out = a.slice();
  for (let k = 0; k < out.length; k++) out[k] &= ~b[k];
  return out;
}
export function setInter(a: EventSet, b: EventSet): EventSet {
  const out = a.slice();
  for (let k = 0; k < out.length; k++) out[k] &= b[k];
  return out;
}
/** The complement within n events. */
export function setNot(a: EventSet, n: number): EventSet {
  return setOf(n, (i) => !setHas(a, i));
}
/** domain(r) */
export function domain(r: Relation): EventSet {
  return setOf(r.n, (i) => {
    for (let k = 0; k < r.w; k++) if (r.bits[i * r.w + k]) return true;
    return false;
  });
}
/** range(r) */
export function range(r: Relation): EventSet {
  const s = new Uint32Array(r.w);
  for (let i = 0; i < r.n; i++) for (let k = 0; k < r.w; k++) s[k] |= r.bits[i * r.w + k];
  return s;
}
