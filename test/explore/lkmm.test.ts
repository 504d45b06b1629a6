/**
 * explore --memory-model lkmm: walkers' loads satisfied early where LKMM allows. It must find the
 * publish race SC cannot see, as a counterexample that replays, and still prove what LKMM proves:
 * its verdicts agree with `pfnlab litmus --design`'s LKMM column for every design's online
 * (publish) and offline+remove (teardown), and a release/acquire pair on the active bit is safe.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeBitmapDesign } from '../../src/designs/active-bitmap.js';
import type { Design } from '../../src/designs/design.js';
import { DESIGNS, designByName, designLitmus } from '../../src/designs/index.js';
import { explore, scenarioWalkers } from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { cli } from '../helpers.js';

const online = loadScenario('explore/online');
const offline = loadScenario('explore/offline');

function run(design: Design, scenario = online, memoryModel: 'sc' | 'lkmm' = 'lkmm') {
  return explore({ scenario, design, walkers: scenarioWalkers(scenario), memoryModel });
}

/** active-bitmap with smp_store_release() setting the active bit and smp_load_acquire() in pfn_active(). */
const releaseAcquire: Design = {
  ...activeBitmapDesign,
  accesses: {
    ...activeBitmapDesign.accesses!,
    protocols: activeBitmapDesign.accesses!.protocols.map((p) =>
      p.op === 'online' || p.op === 'memremap'
        ? {
            ...p,
            word: 'usage' as const,
            store: { ...p.store, marking: 'smp_store_release' as const },
            load: { ...p.load, marking: 'smp_load_acquire' as const },
          }
        : p,
    ),
  },
};

describe('explore --memory-model lkmm', () => {
  it("finds 6.19's publish race (plain SECTION_IS_ONLINE, plain struct page read) that SC proves absent", () => {
    const upstream = designByName('upstream')!;
    assert.equal(run(upstream, online, 'sc').verdict, 'safe');
    const t = run(upstream);
    assert.equal(t.verdict, 'unsafe');
    assert.equal(t.memoryModel, 'lkmm');
    assert.equal(t.violation?.kind, 'uninitialized-deref');
    assert.match(t.violation!.message, /a load satisfied early/);
    // Readable: the writer initializes the memmap and sets the bit, then the walker sees the bit
    // and reads the struct page as it was before (the step says so).
    const fns = t.steps.map((s) => s.fn);
    assert.ok(fns.indexOf('move_pfn_range_to_zone') < fns.indexOf('online_mem_sections'));
    assert.ok(t.steps.some((s) => /read struct page = -1, satisfied early/.test(s.detail)));
    assert.match(t.command!, /--memory-model lkmm/);
  });
  it('the counterexample replays from its command line', async () => {
    const t = run(designByName('upstream')!);
    const argv = t.command!.split(' ').slice(2);
    const r = await cli('explore', ...argv, '--replay', t.replay!, '--json');
    assert.equal(r.code, 1, r.stderr);
    const replayed = JSON.parse(r.stdout);
    assert.deepEqual(replayed.violation, t.violation);
    assert.deepEqual(replayed.steps, t.steps);
  });
  it("agrees with litmus --design's LKMM verdicts on every design's online and offline+remove", () => {
    for (const d of DESIGNS) {
      const litmus = designLitmus(d)!.verdicts;
      for (const [op, scenario] of [
        ['online', online],
        ['offline+remove', offline],
      ] as const) {
        const lkmm = litmus.find((v) => v.test.op === op)!.lkmm.result;
        assert.equal(run(d, scenario).verdict, lkmm === 'Never' ? 'safe' : 'unsafe', `${d.name} ${op}`);
      }
    }
  });
  it('proves a release/acquire pair on the active bit safe, where the plain set_bit()/test_bit() is not', () => {
    assert.equal(run(activeBitmapDesign).verdict, 'unsafe');
    assert.equal(run(releaseAcquire).verdict, 'safe');
  });
  it('refuses an unknown memory model, and lkmm beside --redis, with one line', async () => {
    const bad = await cli('explore', 'explore/online', '--design', 'upstream', '--memory-model', 'tso');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--memory-model must be sc or lkmm, got 'tso'/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const redis = await cli(
      'explore',
      'explore/online',
      '--design',
      'upstream',
      '--memory-model',
      'lkmm',
      '--redis',
      'redis://127.0.0.1:1',
    );
    assert.equal(redis.code, 2);
    assert.match(redis.stderr, /lkmm runs on one thread/);
  });
});
