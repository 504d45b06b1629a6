// Distributed exploration on a real redis-server (Debian's, installed by npm run setup) with two
// `pfnlab worker` processes: the verdicts and counterexamples of a local run, the states of the
// same split run locally.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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
import { cli } from '../helpers.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).href;
const JOBS = 5;

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** Resolves once the process has printed `text` on stdout or stderr. */
function waitFor(p: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const look = (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(text)) resolve();
    };
    p.stdout?.on('data', look);
    p.stderr?.on('data', look);
    p.once('exit', (code) => reject(new Error(`exited (${code}) before '${text}': ${seen.slice(-400)}`)));
  });
}

describe('explore --redis: subtree jobs on BullMQ workers', () => {
  const children: ChildProcess[] = [];
  let dir = '';
  let url = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pfnlab-redis-'));
    const port = await freePort();
    url = `redis://127.0.0.1:${port}`;
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ];
    const redis = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(redis);
    await waitFor(redis, 'Ready to accept connections');
    const boot = `const m = await import(${JSON.stringify(MAIN)}); process.exitCode = await m.main(process.argv.slice(1), m.processIo());`;
    for (let i = 0; i < 2; i++) {
      const w = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          boot,
          'worker',
          '--redis',
          url,
          '--idle-exit',
          '120',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(w);
      await waitFor(w, 'worker: waiting for jobs');
    }
  });

  after(async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await once(c, 'exit');
        clearTimeout(t);
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

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
