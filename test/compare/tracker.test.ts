/**
 * The class tracker against a full scan on random operation sequences: after
 * every kernel step (designs' write sides woven in) its classes are exactly
 * those of pfnClasses().
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { geometryFor } from '../../src/arch/presets.js';
import { pfnClasses } from '../../src/compare/classes.js';
import { ClassTracker } from '../../src/compare/tracker.js';
import { bindDesigns, DESIGNS, FAULT_DESIGNS } from '../../src/designs/index.js';
import { HotplugError } from '../../src/model/errors.js';
import type { Machine } from '../../src/model/machine.js';
import { PGMAP_TYPES } from '../../src/model/pgmap.js';
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

function check(ops: OpSpec[]): number {
  let sides: readonly WriteSide[] = [];
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
        sides = bindDesigns(mm, [...DESIGNS, ...FAULT_DESIGNS]).map((b) => b.writeSide);
        return sides;
      },
    },
  );
  const tracker = new ClassTracker(m);
  const same = (mm: Machine, what: string) => assert.deepEqual(tracker.classes(), pfnClasses(mm), what);
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
