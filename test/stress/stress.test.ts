/**
 * pfnlab stress: short runs on pooled workers, bounded by lookups (never by
 * time), give both verdicts: designs without memmap lifetime protection are
 * caught dereferencing freed, poisoned or uninitialized struct pages (the
 * race window widened), protected ones never are.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadScenario } from '../../src/io/scenario.js';
import { deriveCycle, runStress, type StressOptions, WorkerPool } from '../../src/stress/index.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

describe('pfnlab stress', () => {
  let pool: WorkerPool;
  before(() => {
    pool = new WorkerPool();
    pool.warm(2);
  });
  after(() => pool.close());

  const run = (design: string, more: Partial<StressOptions> = {}) =>
    runStress({ scenario: loadScenario('dimm-hotplug'), design, pool, ...more });

  it('derives the writer cycle from the scenario: ranges up in order, then down', () => {
    assert.deepEqual(
      deriveCycle(loadScenario('pmem-shares-a-section-with-boot-ram')).map((c) => c.label),
      [
        'add_memory [mem 0x200000000-0x23fffffff]',
        'online [mem 0x200000000-0x23fffffff]',
        'memremap fsdax pmem0',
        'offline [mem 0x200000000-0x23fffffff]',
        'remove [mem 0x200000000-0x23fffffff]',
        'memunmap pmem0',
      ],
    );
    const online = deriveCycle(loadScenario('dimm-hotplug'))[1].spec;
    assert.deepEqual(online, { op: 'online', start: 16 * 2 ** 30, size: 2 ** 30, zone: 'movable' });
  });

  for (const design of ['v5.4', 'active-bitmap/no-sync']) {
    it(`${design} with a widened window dereferences bad struct pages within a bounded run`, async () => {
      const r = await run(design, { window: 1000, lookups: 10_000_000, stopOnViolation: true, examples: 1 });
      assert.equal(r.verdict, 'violations');
      assert.ok(r.violations.total > 0);
      assert.ok(r.cycles + r.operations > 0);
      const e = r.examples[0];
      assert.ok(e.pfn >= 0x400000 && e.pfn < 0x440000, `pfn ${e.pfn} in the cycled DIMM`);
      assert.equal(e.walker, 'pfn-walker');
      assert.ok(['freed', 'poisoned', 'uninitialized'].includes(e.kind));
      assert.match(e.operation, /^(add_memory|online|offline|remove) /);
    });
  }

  it('active-bitmap (memb and qsbr readers) and hotplug-lock: no bad dereference in a bounded run', async () => {
    for (const [design, more] of [
      ['active-bitmap', { rcu: 'memb', window: 200 }],
      ['active-bitmap', { rcu: 'qsbr', window: 200 }],
      ['hotplug-lock', { window: 200 }],
    ] as const) {
      const r = await run(design, { lookups: 400_000, ...more });
      assert.equal(r.verdict, 'clean', `${design} ${JSON.stringify(r.examples[0])}`);
      assert.equal(r.lookups >= 400_000, true);
      assert.ok(r.derefs > 0, 'walkers did dereference pages');
      assert.ok(r.operations > 0, 'the writer ran');
      if (design === 'active-bitmap') assert.ok(r.gracePeriods > 0, 'offline waited for grace periods');
    }
  });

  it('a grace period that a walker holds up for good is a stall: reported, and the run ends', async () => {
    // QSBR walkers that never announce a quiescent state: the first grace period waits for ever.
    const r = await run('active-bitmap', { rcu: 'qsbr', qsEvery: 2 ** 30, stallMs: 100, seconds: 30 });
    assert.equal(r.verdict, 'stall');
    assert.ok(r.stalls.length > 0);
    assert.equal(r.violations.total, 0);
  });

  it('CLI: --json result, exit 1 on violations', async () => {
    const r = await cli(
      'stress',
      'dimm-hotplug',
      '--design',
      'upstream',
      '--window',
      '1000',
      '--lookups',
      '10000000',
      '--stop-on-violation',
      '--workers',
      '1',
      '--json',
    );
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.design, 'upstream');
    assert.equal(doc.workers, 1);
    assert.ok(doc.violations.total > 0);
    assert.ok(doc.memory.endWords >= doc.memory.bootWords);
    for (const k of ['lookupsPerSecond', 'cycles', 'gracePeriods', 'firstViolationMs'])
      assert.ok(k in doc, k);
  });

  it('CLI: --help; bad usage and input are one line, exit 2', async () => {
    const help = await cli('stress', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: pfnlab stress <scenario> --design D/);
    assert.match((await cli('--help')).stdout, /\bstress\b/);
    await expectUsageError('stress', 'dimm-hotplug');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'nope');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--seconds', '1', '--lookups', '5');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--rcu', 'classic');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--walker', 'nope');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--walker', '__put_page');
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--workers', '0');
    const dir = scratchDir('stress');
    const file = join(dir, 'boot-only.json');
    writeFileSync(file, JSON.stringify({ name: 'boot-only', boot: [{ start: 0, size: '1G' }], steps: [] }));
    const r = await expectUsageError('stress', file, '--design', 'v5.4');
    assert.match(r.stderr, /nothing to cycle/);
  });
});
