/**
 * Model-based: thousands of random operation sequences on a small machine.
 * After every operation the invariants hold; every refused operation leaves
 * the machine exactly as it was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { geometryFor } from '../../src/arch/presets.js';
import { HotplugError } from '../../src/errors.js';
import { checkInvariants } from '../../src/model/invariants.js';
import type { Machine } from '../../src/model/machine.js';
import { PGMAP_TYPES } from '../../src/model/pgmap.js';
import { planOperation, runPlan } from '../../src/ops/index.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { fingerprint, MiB, machine } from '../helpers.js';

const BLOCK = 128 * MiB;
const SUB = 2 * MiB;
const BLOCKS = 16; // the address space explored: [0, 2 GiB)

/**
 * An operation as generated: a kind and raw numbers. Half of them are aimed
 * (resolved against the machine to blocks in the state the operation needs),
 * so that online/offline/remove succeed often; the rest hit random places
 * and exercise refusals.
 */
interface Intent {
  readonly kind: 'add_memory' | 'online' | 'offline' | 'remove' | 'memremap' | 'memunmap' | 'pin';
  readonly aimed: boolean;
  readonly pick: number;
  readonly count: number;
  readonly zone: 'normal' | 'movable' | undefined;
  readonly type: (typeof PGMAP_TYPES)[number];
  readonly id: string;
  readonly reserve: number | undefined;
}

const intent: fc.Arbitrary<Intent> = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('add_memory' as const, 'online' as const, 'offline' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('remove' as const, 'memremap' as const, 'memunmap' as const, 'pin' as const),
    },
  ),
  aimed: fc.boolean(),
  pick: fc.nat(),
  count: fc.integer({ min: 1, max: 3 }),
  zone: fc.constantFrom(undefined, 'normal' as const, 'movable' as const),
  type: fc.constantFrom(...PGMAP_TYPES),
  id: fc.constantFrom('a', 'b', 'c'),
  reserve: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
});

/** Blocks in a given state, or (for add_memory) block numbers with no block yet. */
function candidates(m: Machine, kind: Intent['kind']): number[] {
  const out: number[] = [];
  for (let id = 0; id < BLOCKS; id++) {
    const b = m.blocks.get(id);
    const ok =
      (kind === 'add_memory' &&
        !b &&
        m.resources.every((r) => r.end <= id * BLOCK || r.start >= (id + 1) * BLOCK)) ||
      (kind === 'online' && b?.state === 'offline') ||
      ((kind === 'offline' || kind === 'pin') && b?.state === 'online') ||
      (kind === 'remove' && b?.state === 'offline');
    if (ok) out.push(id);
  }
  return out;
}

function resolve(m: Machine, i: Intent): OpSpec {
  const blocks = i.aimed ? candidates(m, i.kind) : [];
  const block = blocks.length ? blocks[i.pick % blocks.length] : 4 + (i.pick % (BLOCKS - 4));
  const count = blocks.length ? 1 : i.count;
  switch (i.kind) {
    case 'add_memory':
    case 'offline':
    case 'remove':
      return { op: i.kind, start: block * BLOCK, size: count * BLOCK };
    case 'online':
      return { op: 'online', start: block * BLOCK, size: count * BLOCK, zone: i.zone };
    case 'pin':
      return { op: 'pin', start: block * BLOCK + (i.pick % 32768) * 4096, size: 4096 };
    case 'memunmap':
      return {
        op: 'memunmap',
        id: i.aimed && m.pgmaps.size ? [...m.pgmaps.keys()][i.pick % m.pgmaps.size] : i.id,
      };
    case 'memremap':
      return {
        op: 'memremap',
        start: (i.pick % ((BLOCKS * BLOCK) / SUB)) * SUB,
        size: (1 + (i.pick % 96)) * SUB,
        type: i.type,
        id: i.id,
        altmap: i.reserve === undefined ? undefined : { reserve: i.reserve * 100 * 4096 },
      };
  }
}

function check(kernel: '5.4' | '6.19', intents: Intent[], tally?: Map<string, number>): void {
  // Boot memory that stops mid-section, then a hole, then 100 MiB more: blocks 0-3 are early.
  const m = machine(
    [
      { start: 0, size: 320 * MiB },
      { start: 384 * MiB, size: 100 * MiB },
    ],
    [],
    geometryFor('x86_64', { kernel }),
  );
  for (const i of intents) {
    const spec = resolve(m, i);
    const before = fingerprint(m);
    let plan: ReturnType<typeof planOperation>;
    try {
      plan = planOperation(m, spec);
    } catch (e) {
      if (!(e instanceof HotplugError)) throw e;
      assert.equal(fingerprint(m), before, `refused ${JSON.stringify(spec)} changed the machine`);
      tally?.set(`${spec.op} refused`, (tally.get(`${spec.op} refused`) ?? 0) + 1);
      continue;
    }
    runPlan(m, plan);
    tally?.set(spec.op, (tally.get(spec.op) ?? 0) + 1);
    const broken = checkInvariants(m);
    assert.deepEqual(broken, [], `after ${JSON.stringify(spec)}`);
  }
}

describe('random operation sequences (fast-check)', () => {
  const runs = Number(process.env.PFNLAB_FC_RUNS ?? 2000);
  for (const kernel of ['6.19', '5.4'] as const) {
    it(`kernel ${kernel}: invariants after every operation, refusals change nothing (${runs} sequences)`, () => {
      const tally = new Map<string, number>();
      fc.assert(
        fc.property(fc.array(intent, { minLength: 1, maxLength: 20 }), (intents) =>
          check(kernel, intents, tally),
        ),
        { numRuns: runs, seed: Number(process.env.PFNLAB_FC_SEED ?? Date.now() % 2 ** 31) },
      );
      // The generator must reach every operation, successful and refused, or the test proves little.
      for (const o of ['add_memory', 'online', 'offline', 'remove', 'memremap', 'memunmap', 'pin']) {
        assert.ok((tally.get(o) ?? 0) > runs / 50, `${o} succeeded only ${tally.get(o) ?? 0} times`);
        assert.ok((tally.get(`${o} refused`) ?? 0) > 0, `${o} was never refused`);
      }
    });
  }
});
