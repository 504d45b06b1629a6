import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import {
  type ExploreOptions,
  explore,
  exploreSplit,
  replaySchedule,
  runJob,
  scenarioWalkers,
} from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { walkerByName } from '../../src/walkers/index.js';

const offline = loadScenario('explore/offline');
const options = (design: string, walker?: string): ExploreOptions => ({
  scenario: offline,
  design: designByName(design)!,
  walkers: walker ? [{ walker: walkerByName(walker)! }] : scenarioWalkers(offline),
});

describe('one exhaustive search split into subtree jobs', () => {
  it('on two threads sharing their visited states: the verdict and, when SAFE, the states of one thread', async () => {
    const opts = options('active-bitmap');
    const one = explore(opts);
    const two = await exploreSplit(opts, { threads: 2, after: 0, jobs: 6 });
    assert.equal(one.verdict, 'safe');
    assert.equal(two.verdict, 'safe');
    assert.equal(two.search?.threads, 2);
    assert.ok((two.search?.jobs ?? 0) >= 1);
    // Without sleep sets a shared search explores every reachable state once; here as many as one thread's.
    assert.equal(two.states, one.states);
  });

  it('finds a shortest counterexample as long as one thread does, and its replay string replays it', async () => {
    const opts = options('active-bitmap/single-flip');
    const one = explore(opts);
    const two = await exploreSplit(opts, { threads: 2, after: 0, jobs: 6 });
    assert.equal(two.verdict, 'unsafe');
    assert.equal(two.steps.length, one.steps.length);
    assert.equal(two.violation?.kind, one.violation?.kind);
    const replayed = replaySchedule(opts, two.replay!);
    assert.equal(replayed.verdict, 'unsafe');
    assert.equal(replayed.steps.length, two.steps.length);
  });

  it('as jobs run elsewhere (each its own visited states, as BullMQ workers): the same verdicts', async () => {
    const run = (jobs: Parameters<typeof runJob>[0][]) => Promise.all(jobs.map((j) => runJob(j)));
    for (const [design, verdict] of [
      ['active-bitmap', 'safe'],
      ['active-bitmap/no-sync', 'unsafe'],
    ] as const) {
      const opts = options(design);
      const one = explore(opts);
      const split = await exploreSplit(opts, { threads: 1, after: 0, jobs: 5, run });
      assert.equal(split.verdict, verdict, design);
      assert.equal(split.steps.length, one.steps.length, design);
      // Subtrees overlap: their work is at least the distinct states.
      assert.ok(split.states >= one.states, design);
    }
  });

  it('a search that ends within the probe is the one-thread search, byte for byte but its timing', async () => {
    const opts = options('active-bitmap/single-flip');
    const { seconds: _a, ...one } = explore(opts);
    const { seconds: _b, ...two } = await exploreSplit(opts, { threads: 2 });
    assert.deepEqual(two, one);
  });
});
