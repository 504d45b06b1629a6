/**
 * Model-based properties over every geometry and both kernels (the generators and checks are in
 * property-harness.ts). PFNLAB_FC_RUNS scales the number of sequences, PFNLAB_FC_SEED fixes the seed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bootLayout, CONFIGS, geometry, intent, rawRange, runCase } from './property-harness.js';

describe('random operation sequences on every geometry and kernel (fast-check)', () => {
  const runs = Number(process.env.PFNLAB_FC_RUNS ?? 100);
  const seed = Number(process.env.PFNLAB_FC_SEED ?? Date.now() % 2 ** 31);
  for (const c of CONFIGS) {
    it(`${c.arch} on ${c.kernel}: invariants, cross-checks and designs after every operation (${runs} sequences)`, () => {
      const g = geometry(c);
      const tally = new Map<string, number>();
      fc.assert(
        fc.property(
          fc.array(rawRange, { minLength: 1, maxLength: 3 }),
          fc.array(intent, { minLength: 1, maxLength: 14 }),
          (raws, intents) => {
            const boot = bootLayout(g, raws);
            fc.pre(boot.length > 0);
            runCase(c, boot, intents, tally);
          },
        ),
        { numRuns: runs, seed },
      );
      for (const o of ['add_memory', 'online', 'offline', 'remove', 'memremap', 'memunmap']) {
        assert.ok((tally.get(o) ?? 0) > 0, `${o} never succeeded`);
        assert.ok((tally.get(`${o} refused`) ?? 0) > 0, `${o} was never refused`);
      }
    });
  }
});
