/**
 * The class tracker against a full scan on random operation sequences: after
 * every kernel step (designs' write sides woven in) its classes are exactly
 * those of pfnClasses(), and its changes() cover every pfn where any design's
 * answer, the memmap's mapping or the truth changed in the step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { geometryFor } from '../../src/arch/presets.js';
import { type PfnClass, pfnClasses } from '../../src/compare/classes.js';
import { RangeSet } from '../../src/compare/range-set.js';
import { ClassTracker, truthChanges } from '../../src/compare/tracker.js';
import { type BoundDesign, bindDesigns, DESIGNS, FAULT_DESIGNS, NO_PAGE } from '../../src/designs/index.js';
import { HotplugError } from '../../src/errors.js';
import type { Machine } from '../../src/model/machine.js';
import { pageAddress } from '../../src/model/memmap.js';
import { NULL } from '../../src/model/memory.js';
import { PGMAP_TYPES } from '../../src/model/pgmap.js';
import { TruthMap, type TruthState } from '../../src/model/truth.js';
import { planOperation } from '../../src/ops/index.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import type { OpSpec } from '../../src/ops/spec.js';
import type { WriteSide } from '../../src/ops/step.js';
import { GiB, MiB } from '../helpers.js';

const BLOCK = 128 * MiB;
const SUB = 2 * MiB;
/** Blocks of the explored space: [0, 4 GiB) holds boot RAM with holes; hotplug and devices reach 96 GiB (three roots). */
const BLOCKS = 768;

const op: fc.Arbitrary<OpSpec> = fc.oneof(
  fc.record({
    op: fc.constantFrom('add_memory' as const, 'offline' as const, 'remove' as const),
    start: fc.integer({ min: 0, max: BLOCKS - 1 }).map((b) => b * BLOCK),
    size: fc.integer({ min: 1, max: 4 }).map((n) => n * BLOCK),
  }),
  fc.record({
    op: fc.constant('online' as const),
    start: fc.integer({ min: 0, max: BLOCKS - 1 }).map((b) => b * BLOCK),
    size: fc.integer({ min: 1, max: 4 }).map((n) => n * BLOCK),
    zone: fc.constantFrom(undefined, 'normal' as const, 'movable' as const),
  }),
  fc.record({
    op: fc.constant('memremap' as const),
    start: fc.integer({ min: 0, max: (BLOCKS * BLOCK) / SUB - 1 }).map((s) => s * SUB),
    size: fc.integer({ min: 1, max: 160 }).map((n) => n * SUB),
    type: fc.constantFrom(...PGMAP_TYPES),
    id: fc.constantFrom('a', 'b', 'c'),
    altmap: fc.option(
      fc.integer({ min: 0, max: 3 }).map((n) => ({ reserve: n * 100 * 4096 })),
      { nil: undefined },
    ),
  }),
  fc.record({ op: fc.constant('memunmap' as const), id: fc.constantFrom('a', 'b', 'c') }),
);

/** What a judgment of one pfn reads: the truth, whether the memmap maps it, every design's answers. */
function pfnKey(m: Machine, bound: readonly BoundDesign[], pfn: number): string {
  const parts: unknown[] = [m.truthOf(pfn), pageAddress(m.mem.words, m.g, pfn) !== NULL];
  for (const b of bound) {
    const l = b.lookup;
    const device = l.pfnToDevicePage?.(pfn);
    parts.push(
      l.pfnValid(pfn),
      l.pfnToOnlinePage(pfn) !== NO_PAGE,
      device !== NO_PAGE,
      l.isZoneDevicePage(pfn),
    );
  }
  return JSON.stringify(parts);
}

interface Snapshot {
  readonly classes: readonly PfnClass[];
  readonly keys: readonly string[];
}

function snapshot(m: Machine, bound: readonly BoundDesign[]): Snapshot {
  const classes = pfnClasses(m);
  return { classes, keys: classes.map((c) => pfnKey(m, bound, c.start)) };
}

function keyAt(s: Snapshot, pfn: number): string {
  const k = s.classes.findIndex((c) => c.end > pfn);
  return s.keys[k];
}

/** Every pfn judged differently after the step than before it lies in the tracker's changes(). */
function assertChangesCover(before: Snapshot, after: Snapshot, tracker: ClassTracker, what: string): void {
  const changed = new RangeSet();
  tracker.changes(changed);
  const covered = changed.ranges();
  const points = [...new Set([...before.classes, ...after.classes].map((c) => c.start))].sort(
    (a, b) => a - b,
  );
  for (const p of points) {
    if (keyAt(before, p) === keyAt(after, p)) continue;
    assert.ok(
      covered.some(([s, e]) => s <= p && p < e),
      `${what}: pfn 0x${p.toString(16)} changed, not in changes() ${JSON.stringify(covered)}`,
    );
  }
}

function check(ops: OpSpec[]): number {
  let sides: readonly WriteSide[] = [];
  let bound: BoundDesign[] = [];
  const { machine: m } = runScenario(
    {
      name: 'random',
      geometry: geometryFor('x86_64'),
      boot: [
        { start: 0, size: 320 * MiB, node: 0 },
        { start: 384 * MiB, size: 100 * MiB, node: 0 },
        { start: GiB, size: 3 * GiB - 96 * MiB, node: 0 },
      ],
      steps: [],
    },
    {
      memory: { capacityWords: 2 ** 23 },
      prepare: (mm) => {
        bound = bindDesigns(mm, [...DESIGNS, ...FAULT_DESIGNS]);
        sides = bound.map((b) => b.writeSide);
        return sides;
      },
    },
  );
  const tracker = new ClassTracker(m);
  let before = snapshot(m, bound);
  const same = (mm: Machine, what: string) => {
    assert.deepEqual(tracker.classes(), pfnClasses(mm), what);
    const after = snapshot(mm, bound);
    assertChangesCover(before, after, tracker, what);
    before = after;
  };
  same(m, 'after boot');
  let steps = 0;
  for (const spec of ops) {
    let plan: ReturnType<typeof planOperation>;
    try {
      plan = planOperation(m, spec, sides);
    } catch (e) {
      if (e instanceof HotplugError) continue;
      throw e;
    }
    for (const s of plan.steps) {
      if (s.ready && !s.ready(m)) break;
      s.run(m);
      same(m, `${JSON.stringify(spec)}: after ${s.fn} ${s.detail}`);
      steps++;
    }
  }
  tracker.stop();
  return steps;
}

describe('ClassTracker on random operation sequences (fast-check)', () => {
  const runs = Number(process.env.PFNLAB_FC_RUNS ?? 60);
  it(`equals a full scan after every kernel step (${runs} sequences)`, () => {
    let steps = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        steps += check(ops);
      }),
      { numRuns: runs, seed: Number(process.env.PFNLAB_FC_SEED ?? Date.now() % 2 ** 31) },
    );
    assert.ok(steps > runs * 20, `only ${steps} kernel steps ran`);
  });
});

describe('truthChanges (fast-check against pfn by pfn)', () => {
  interface Write {
    readonly start: number;
    readonly length: number;
    readonly state: TruthState;
    readonly settling: boolean;
  }
  const writes: fc.Arbitrary<Write[]> = fc.array(
    fc.record({
      start: fc.integer({ min: 0, max: 60 }),
      length: fc.integer({ min: 1, max: 12 }),
      state: fc.constantFrom<TruthState>('no-memmap', 'hole', 'online', 'offline', 'device'),
      settling: fc.boolean(),
    }),
    { maxLength: 10 },
  );
  const apply = (t: TruthMap, ws: readonly Write[]) => {
    for (const w of ws)
      t.set(w.start, w.start + w.length, { state: w.state, ...(w.settling ? { settling: true } : {}) });
  };

  it('adds exactly the pfns whose truth differs', () => {
    fc.assert(
      fc.property(writes, writes, (first, second) => {
        const a = new TruthMap();
        apply(a, first);
        const b = a.clone();
        apply(b, second);
        const out = new RangeSet();
        truthChanges(a.intervals(), b.intervals(), out);
        const expected = new RangeSet();
        for (let p = 0; p < 80; p++)
          if (JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p))) expected.add(p, p + 1);
        assert.deepEqual(out.ranges(), expected.ranges());
      }),
      { numRuns: 300 },
    );
  });
});
