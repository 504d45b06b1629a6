// Distributed exploration when a worker dies: a real redis-server on 127.0.0.1 and two `pfnlab
// worker` processes with a short lock; one is SIGKILLed while it holds a job, and BullMQ's
// stalled-job check must hand that job to the other. Also: the progress of running jobs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import {
  type ExploreOptions,
  type ExploreProgress,
  exploreSplit,
  parseWalkerSpec,
  runJob,
  runJobsOnRedis,
} from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { cli } from '../helpers.js';
import { type Child, RedisFleet } from './redis-server.js';

const offline = loadScenario('explore/offline');
const options = (...walkers: string[]): ExploreOptions => ({
  scenario: offline,
  design: designByName('active-bitmap')!,
  walkers: walkers.map((w) => parseWalkerSpec(w, '--walker', offline.geometry)),
});

describe('explore --redis with a worker killed mid-job', () => {
  const fleet = new RedisFleet();
  let victim: Child;
  let survivor: Child;

  before(async () => {
    await fleet.start();
    // A 2 s lock and a stalled check every second: a dead worker's job is back within seconds.
    victim = await fleet.worker('--lock', '2', '--stalled-check', '1');
    survivor = await fleet.worker('--lock', '2', '--stalled-check', '1');
  });

  after(() => fleet.stop());

  it('the job it held is run again by the other worker: the verdict and states of the same split run locally', async () => {
    const walkers = ['--walker', 'pfn-walker', '--walker', 'kpageflags'];
    const run = cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap',
      ...walkers,
      '--redis',
      fleet.url,
      '--json',
    );
    const finished = run.then(() => 'finished');
    // A worker's first job starts its search thread: it holds the job for a while at least.
    const started = victim.waitFor(/job (explore-\w+): started/);
    const line = await Promise.race([started, finished]);
    assert.notEqual(line, 'finished', `the victim took no job: ${victim.output()}`);
    victim.process.kill('SIGKILL');
    const held = line.split(' ')[1].replace(/:$/, '');
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const distributed = JSON.parse(r.stdout);
    assert.equal(victim.process.signalCode, 'SIGKILL');
    assert.doesNotMatch(victim.output(), new RegExp(`job ${held}: safe`));
    assert.match(survivor.output(), new RegExp(`job ${held}: safe`));
    const inline = (jobs: Parameters<typeof runJob>[0][]) => Promise.all(jobs.map((j) => runJob(j)));
    const local = await exploreSplit(options('pfn-walker', 'kpageflags'), {
      threads: 1,
      after: 0,
      jobs: 16,
      run: inline,
    });
    assert.equal(local.verdict, 'safe');
    assert.equal(distributed.verdict, local.verdict);
    assert.equal(distributed.states, local.states);
    assert.equal(distributed.transitions, local.transitions);
    assert.equal(distributed.search.jobs, local.search?.jobs);
  });

  it('the progress counts the states of running jobs, not only of finished ones', async () => {
    const reports: ExploreProgress[] = [];
    const opts: ExploreOptions = {
      ...options('pfn-walker', 'kpageflags', 'compaction'),
      maxSeconds: 3,
      progress: (p) => reports.push(p),
    };
    const t = await exploreSplit(opts, {
      threads: 1,
      after: 0,
      jobs: 2,
      run: (jobs, progress) => runJobsOnRedis(fleet.url, jobs, progress),
    });
    assert.equal(t.verdict, 'bounded');
    const beforeAnyDone = reports.filter((p) => p.jobs?.done === 0).map((p) => p.states);
    assert.ok(beforeAnyDone.length >= 2, JSON.stringify(reports));
    assert.ok(Math.max(...beforeAnyDone) > Math.min(...beforeAnyDone), JSON.stringify(reports));
  });
});
