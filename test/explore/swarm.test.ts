import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import {
  type ExploreOptions,
  explore,
  exploreSwarm,
  memberSeed,
  replaySchedule,
  runJob,
  type SwarmJob,
  scenarioWalkers,
} from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { cli } from '../helpers.js';

const offline = loadScenario('explore/offline');
const options = (design: string, more: Partial<ExploreOptions> = {}): ExploreOptions => ({
  scenario: offline,
  design: designByName(design)!,
  walkers: scenarioWalkers(offline),
  ...more,
});

/** Each member run alone as a job, as a worker would: the members' own answers. */
async function membersAlone(opts: ExploreOptions, members: number, seed: number, runs?: number) {
  const jobs: SwarmJob[] = [];
  const t = await exploreSwarm(opts, {
    members,
    seed,
    runs,
    run: async (j) => {
      jobs.push(...j);
      const results = await Promise.all(j.map((job) => runJob(job)));
      return { results, order: results.map((_, i) => i) };
    },
  });
  return { trace: t, results: await Promise.all(jobs.map((job) => runJob(job))) };
}

describe('explore --swarm: independently seeded searches, the first counterexample wins', () => {
  it('a swarm of one random member is the random search of its seed', async () => {
    const opts = options('active-bitmap/no-sync');
    const swarm = await exploreSwarm(opts, { members: 1, seed: 9, runs: 30 });
    const random = explore({ ...opts, random: { runs: 30, seed: 9 } });
    assert.equal(swarm.verdict, random.verdict);
    assert.equal(swarm.replay, random.replay);
    assert.equal(swarm.transitions, random.transitions);
    assert.equal(memberSeed(9, 0), 9);
    assert.notEqual(memberSeed(9, 1), memberSeed(9, 2));
  });

  it('here, members run in order and stop at the first that finds a counterexample; its replay string replays it', async () => {
    for (const runs of [undefined, 5]) {
      const opts = options('active-bitmap/no-sync', { maxStates: 400 });
      const t = await exploreSwarm(opts, { members: 6, seed: 3, runs });
      assert.equal(t.verdict, 'unsafe');
      const { results } = await membersAlone(opts, 6, 3, runs);
      const winner = results.findIndex((r) => r.violation);
      assert.equal(t.search?.winner, winner);
      assert.equal(t.search?.finished, winner + 1);
      assert.equal(
        t.replay,
        (await exploreSwarm(opts, { members: 1, seed: memberSeed(3, winner), runs })).replay,
      );
      const replayed = replaySchedule(opts, t.replay!);
      assert.equal(replayed.verdict, 'unsafe');
      assert.equal(replayed.steps.length, t.steps.length);
    }
  });

  it('silence covers the members run, the sum of their work, and says it is no proof', async () => {
    const opts = options('active-bitmap', { maxStates: 300 });
    const { trace, results } = await membersAlone(opts, 4, 1);
    assert.equal(trace.verdict, 'bounded');
    assert.equal(trace.search?.finished, 4);
    assert.equal(
      trace.states,
      results.reduce((n, r) => n + r.states, 0),
    );
    assert.equal(
      trace.transitions,
      results.reduce((n, r) => n + r.transitions, 0),
    );
    // Members search different subtrees: not all alike.
    assert.ok(new Set(results.map((r) => r.transitions)).size > 1);
    const r = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap',
      '--swarm',
      '4',
      '--max-states',
      '300',
    );
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /verdict: no violation in 4 swarm members seeded from 1, each a depth-first search of at most 300 states under a random schedule prefix \(\d+ states, \d+ transitions, [\d.]+ s; 4 of 4 members finished\); not a proof/,
    );
  });

  it('the command line: a counterexample with its replay line (exit 1); bad combinations one line (exit 2)', async () => {
    const r = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--swarm',
      '3',
      '--random',
      '10',
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /verdict: UNSAFE - the counterexample of swarm member \d, the first to find one, \d+ steps; 3 swarm members seeded from 1, each 10 random schedules/,
    );
    assert.match(r.stdout, /\nreplay: pfnlab explore .* --replay [\d,*]+\n?$/);
    const base = ['explore', 'explore/offline', '--design', 'active-bitmap'];
    for (const [args, message] of [
      [['--swarm', '0'], /--swarm must be at least 1/],
      [['--swarm', '2', '--threads', '2'], /--swarm .* takes no --threads/],
      [
        ['--swarm', '2', '--random', '3', '--bound', '1'],
        /--bound is for a swarm of depth-first searches, not --random/,
      ],
      [['--swarm', '2', '--replay', '0'], /--replay runs the one schedule given: it takes no --swarm/],
      [['--swarm', '2', '--redis', 'redis://127.0.0.1:1', '--jobs', '2'], /takes no --jobs/],
    ] as const) {
      const bad = await cli(...base, ...args);
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.stderr, message);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
    }
  });
});
