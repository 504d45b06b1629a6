// Distributed exploration on a real redis-server (Debian's, installed by npm run setup) with two
// `pfnlab worker` processes: the verdicts and counterexamples of a local run, the states of the
// same split run locally.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import {
  type ExploreOptions,
  explore,
  exploreSplit,
  exploreSwarm,
  replaySchedule,
  runJob,
  scenarioWalkers,
} from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { cli } from '../helpers.js';
import { freePort, RedisFleet } from './redis-server.js';

const JOBS = 5;

describe('explore --redis: subtree jobs on BullMQ workers', () => {
  const fleet = new RedisFleet();
  let url = '';

  before(async () => {
    await fleet.start();
    url = fleet.url;
    await fleet.worker();
    await fleet.worker();
  });

  after(() => fleet.stop());

  const offline = loadScenario('explore/offline');
  const options = (design: string): ExploreOptions => ({
    scenario: offline,
    design: designByName(design)!,
    walkers: scenarioWalkers(offline),
  });

  for (const [design, verdict] of [
    ['active-bitmap', 'safe'],
    ['active-bitmap/no-sync', 'unsafe'],
  ] as const) {
    it(`${design}: the local verdict and counterexample length, the local split's states`, async () => {
      const r = await cli(
        'explore',
        'explore/offline',
        '--design',
        design,
        '--redis',
        url,
        '--jobs',
        String(JOBS),
        '--json',
      );
      assert.equal(r.code, verdict === 'safe' ? 0 : 1, r.stderr);
      const distributed = JSON.parse(r.stdout);
      const opts = options(design);
      const local = explore(opts);
      const run = (jobs: Parameters<typeof runJob>[0][]) => Promise.all(jobs.map((j) => runJob(j)));
      const split = await exploreSplit(opts, { threads: 1, after: 0, jobs: JOBS, run });
      assert.equal(local.verdict, verdict);
      assert.equal(distributed.verdict, verdict);
      assert.equal(distributed.steps.length, local.steps.length);
      assert.equal(distributed.violation?.kind, local.violation?.kind);
      assert.equal(distributed.states, split.states);
      assert.equal(distributed.transitions, split.transitions);
      assert.equal(distributed.search.jobs, split.search?.jobs);
      if (verdict === 'unsafe') {
        const replayed = replaySchedule(opts, distributed.replay);
        assert.equal(replayed.verdict, 'unsafe');
        assert.equal(replayed.steps.length, local.steps.length);
      }
    });
  }

  it('--swarm on the workers: the first counterexample wins and replays here; silence has the local work', async () => {
    const swarm = ['--swarm', '4', '--max-states', '300', '--redis', url, '--json'];
    const r = await cli('explore', 'explore/offline', '--design', 'active-bitmap/no-sync', ...swarm);
    assert.equal(r.code, 1, r.stderr);
    const unsafe = JSON.parse(r.stdout);
    assert.equal(unsafe.search.mode, 'swarm');
    assert.ok(unsafe.search.winner >= 0 && unsafe.search.winner < 4);
    const replayed = replaySchedule(options('active-bitmap/no-sync'), unsafe.replay);
    assert.equal(replayed.verdict, 'unsafe');
    assert.equal(replayed.steps.length, unsafe.steps.length);
    const s = await cli('explore', 'explore/offline', '--design', 'active-bitmap', ...swarm);
    assert.equal(s.code, 0, s.stderr);
    const silent = JSON.parse(s.stdout);
    const local = await exploreSwarm(
      { ...options('active-bitmap'), maxStates: 300 },
      { members: 4, seed: 1 },
    );
    assert.equal(silent.verdict, 'bounded');
    assert.equal(silent.search.finished, 4);
    assert.equal(silent.states, local.states);
    assert.equal(silent.transitions, local.transitions);
  });

  it('an unreachable Redis: one line on stderr, exit 2', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const r = await cli('explore', 'explore/offline', '--design', 'active-bitmap', '--redis', dead);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^pfnlab: redis: cannot reach redis:\/\/127\.0\.0\.1:\d+ \(.*\)\n$/);
    const w = await cli('worker', '--redis', dead, '--idle-exit', '1');
    assert.equal(w.code, 2);
    assert.match(w.stderr, /^pfnlab: redis: cannot reach redis:\/\/127\.0\.0\.1:\d+/m);
  });
});
