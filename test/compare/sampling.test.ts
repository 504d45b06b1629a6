/**
 * Sampling a fragmented layout still judges the operation's own range
 * exactly: a devdax memremap beside thousands of hole classes reports the
 * same counts for its pfns as the exact run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fragmented } from '../../bench/layouts.js';
import { compareScenario } from '../../src/compare/index.js';
import type { Category } from '../../src/compare/judge.js';
import { DESIGNS } from '../../src/designs/index.js';

describe('compare samples a fragmented layout but judges the operation exactly', () => {
  const s = fragmented(600);
  const exact = compareScenario(s, { designs: DESIGNS, classLimit: Number.POSITIVE_INFINITY });
  const sampled = compareScenario(s, { designs: DESIGNS, classLimit: 500, samples: 16 });

  it('samples, and says the operation was judged exactly', () => {
    assert.equal(exact.coverage, 'every-pfn');
    assert.equal(sampled.coverage, 'sampled');
    assert.match(sampled.note, /16 of them were judged/);
    assert.match(sampled.note, /every class of what the operation had changed so far/);
    assert.match(sampled.note, /lower bounds/);
  });

  it("reports the devdax step's and the memunmap's device-bitmap counts as the exact run does", () => {
    const count = (r: typeof exact, step: number, cat: 'uninitialized-returned' | 'tearing-down-returned') =>
      r.steps[step].designs['device-bitmap'].wrong[cat]?.pages ?? 0;
    assert.equal(count(exact, 1, 'uninitialized-returned'), 32768);
    assert.equal(count(sampled, 1, 'uninitialized-returned'), 32768);
    assert.equal(count(exact, 2, 'tearing-down-returned'), 32768);
    assert.equal(count(sampled, 2, 'tearing-down-returned'), 32768);
  });

  it('counts every category of every design exactly in the operation steps, where nothing else changes', () => {
    // Outside the device's range the two steps change nothing, so a sampled count is at most the exact one
    // and, for the categories only the device's pfns fall into, equal to it.
    for (const step of [1, 2]) {
      for (const d of exact.designs) {
        for (const [cat, r] of Object.entries(exact.steps[step].designs[d].wrong)) {
          const got = sampled.steps[step].designs[d].wrong[cat as Category]?.pages ?? 0;
          if (cat === 'hole-returned') assert.ok(got <= r.pages, `${d} ${cat}`);
          else assert.equal(got, r.pages, `step ${step} ${d} ${cat}`);
        }
      }
    }
  });
});
