/**
 * RangeSet against a naive set of pfns (fast-check): any sequence of adds -
 * ascending runs, out-of-order ranges, overlapping and touching ones, other
 * sets - read back at any point gives the same pfns, as maximal ranges, with
 * the same size and examples.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RangeSet } from '../../src/compare/range-set.js';

/** The reference: a boolean per pfn below LIMIT. */
const LIMIT = 600;

class NaiveSet {
  readonly has = new Uint8Array(LIMIT);

  add(start: number, end: number): void {
    for (let p = start; p < end; p++) this.has[p] = 1;
  }

  ranges(): [number, number][] {
    const out: [number, number][] = [];
    for (let p = 0; p < LIMIT; p++) {
      if (!this.has[p]) continue;
      if (out.length && out[out.length - 1][1] === p) out[out.length - 1][1] = p + 1;
      else out.push([p, p + 1]);
    }
    return out;
  }
}

type Op =
  | { kind: 'add'; start: number; length: number }
  | { kind: 'run'; start: number; steps: [number, number][] }
  | { kind: 'read' }
  | { kind: 'addSet'; ranges: [number, number][] };

const range = fc.tuple(fc.integer({ min: 0, max: LIMIT - 1 }), fc.integer({ min: -2, max: 40 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  range.map(([start, length]) => ({ kind: 'add' as const, start, length })),
  // An ascending run as compare makes them: gaps (possibly 0: touching) and lengths.
  fc
    .tuple(
      fc.integer({ min: 0, max: LIMIT - 1 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 12 })), { maxLength: 20 }),
    )
    .map(([start, steps]) => ({ kind: 'run' as const, start, steps })),
  fc.constant({ kind: 'read' as const }),
  fc.array(range, { maxLength: 8 }).map((rs) => ({ kind: 'addSet' as const, ranges: rs })),
);

function clampedAdd(set: { add(s: number, e: number): void }, start: number, end: number): void {
  set.add(start, Math.min(end, LIMIT));
}

function check(ops: Op[]): void {
  const ours = new RangeSet();
  const naive = new NaiveSet();
  const same = () => {
    const expected = naive.ranges();
    assert.deepEqual(ours.ranges(), expected);
    assert.equal(
      ours.size,
      expected.reduce((n, [s, e]) => n + e - s, 0),
    );
    assert.deepEqual(
      ours.examples(3),
      expected.slice(0, 3).map(([s]) => s),
    );
  };
  for (const o of ops) {
    if (o.kind === 'read') same();
    else if (o.kind === 'add') {
      clampedAdd(ours, o.start, o.start + o.length);
      clampedAdd(naive, o.start, o.start + o.length);
    } else if (o.kind === 'run') {
      let p = o.start;
      for (const [gap, length] of o.steps) {
        p += gap;
        clampedAdd(ours, p, p + length);
        clampedAdd(naive, p, p + length);
        p += length;
      }
    } else {
      const other = new RangeSet();
      for (const [s, l] of o.ranges) {
        clampedAdd(other, s, s + l);
        clampedAdd(naive, s, s + l);
      }
      ours.addSet(other);
    }
  }
  same();
}

describe('RangeSet (fast-check against a naive set)', () => {
  const runs = Number(process.env.PFNLAB_FC_RUNS ?? 300);
  it(`holds the same pfns as maximal ranges after any adds (${runs} sequences)`, () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), check), {
      numRuns: runs,
      seed: Number(process.env.PFNLAB_FC_SEED ?? Date.now() % 2 ** 31),
    });
  });

  it('keeps ranges that touch as one, in any order', () => {
    const s = new RangeSet();
    s.add(10, 20);
    s.add(0, 10);
    s.add(20, 30);
    s.add(40, 50);
    s.add(30, 35);
    assert.deepEqual(s.ranges(), [
      [0, 35],
      [40, 50],
    ]);
    assert.equal(s.size, 45);
  });

  it('keeps pfns beyond 2^32 exact', () => {
    const s = new RangeSet();
    const big = 2 ** 45;
    s.add(big + 5, big + 9);
    s.add(big, big + 5);
    assert.deepEqual(s.ranges(), [[big, big + 9]]);
  });
});
