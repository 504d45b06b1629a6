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
import { renderStress } from '../../src/report/stress.js';
import {
  deriveCycle,
  describeExample,
  runStress,
  type StressExample,
  type StressOptions,
  WorkerPool,
} from '../../src/stress/index.js';
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
    // The walkers were running, not blocked: asked to stop, they return every count they made.
    assert.equal(r.terminatedWalkers, 0);
    assert.ok(r.derefs > 0, `${r.derefs} struct page reads against ${r.lookups} lookups`);
    assert.match(
      renderStress(r),
      /STALL: a grace period waited for a walker that announced no quiescent state/,
    );
  });

  it('--seconds holds while a grace period is slow: the wait is given up at the deadline, and said so', async () => {
    // Quiescent states far apart: the first grace period outlasts the run, though no single wait is a stall yet.
    const t0 = performance.now();
    const r = await run('active-bitmap', { rcu: 'qsbr', qsEvery: 2 ** 30, stallMs: 20_000, seconds: 0.5 });
    const wall = (performance.now() - t0) / 1000;
    assert.ok(wall < 3, `the run took ${wall.toFixed(1)} s for --seconds 0.5`);
    assert.equal(r.verdict, 'clean');
    assert.equal(r.stalls.length, 0);
    const d = r.deadlineStop;
    assert.ok(d, 'the writer was stopped inside a wait');
    assert.equal(d.step, 'synchronize_rcu');
    assert.match(d.operation, /^offline /);
    assert.ok(
      d.gracePeriodMs !== undefined && d.gracePeriodMs > 0 && d.gracePeriodMs < 1000,
      `${d.gracePeriodMs}`,
    );
    assert.match(
      renderStress(r),
      /deadline {7}stopped inside synchronize_rcu \(grace period [\d,]+ ms so far\) of offline \[mem /,
    );
  });

  it('a walker still blocked after the run stopped is terminated; its counts survive', async () => {
    // soft_offline_page takes get_online_mems(); the writer stopped inside synchronize_rcu holds
    // mem_hotplug_lock (offline_pages), so the walkers wait for it for good.
    const r = await run('active-bitmap', {
      rcu: 'qsbr',
      walkers: ['soft_offline_page'],
      stallMs: 20_000,
      seconds: 0.5,
    });
    assert.ok(r.deadlineStop, 'stopped at the deadline');
    assert.ok(r.terminatedWalkers > 0, 'blocked walkers terminated');
    assert.ok(
      r.lookups > 0 && r.derefs > 0,
      `${r.lookups} lookups, ${r.derefs} reads from the control block`,
    );
    assert.match(renderStress(r), /terminated {5}\d walkers? still running after the run stopped/);
  });

  it('refuses read-side options the design cannot use, and out-of-range numbers', async () => {
    await assert.rejects(run('v5.4', { rcu: 'qsbr', lookups: 1 }), /--rcu: design v5.4 has no RCU readers/);
    await assert.rejects(run('hotplug-lock', { rcu: 'memb', lookups: 1 }), /--rcu: design hotplug-lock/);
    await assert.rejects(
      run('v5.4', { qsEvery: 4, lookups: 1 }),
      /--qs-every: design v5.4 has no RCU readers/,
    );
    await assert.rejects(run('active-bitmap', { qsEvery: 4, lookups: 1 }), /--qs-every: only QSBR readers/);
    await assert.rejects(
      run('active-bitmap', { rcu: 'memb', qsEvery: 4, lookups: 1 }),
      /--qs-every: only QSBR readers/,
    );
    await assert.rejects(
      run('v5.4', { seed: 2 ** 32, lookups: 1 }),
      /--seed: must be an integer 0\.\.4294967295/,
    );
    await assert.rejects(run('v5.4', { seed: -1, lookups: 1 }), /--seed/);
    const r = await run('v5.4', { seed: 2 ** 32 - 1, lookups: 1000 });
    assert.equal(r.seed, 2 ** 32 - 1);
  });

  it('an example says what the walker read: an unmapped memmap, the poison pattern, or a value', () => {
    const base = {
      kind: 'poisoned',
      pfn: 0x412657,
      walker: 'pfn-walker',
      what: 'page_count()',
      worker: 0,
      atMs: 522.2,
      cycle: 347,
      operation: 'offline [mem 0x400000000-0x43fffffff]',
    };
    const text = (e: object) => describeExample({ ...base, ...e } as unknown as StressExample);
    // It said 'pfn-walker read page_count() (-1)'.
    assert.equal(
      text({ value: -1, unmapped: false }),
      'poisoned struct page of pfn 0x412657: pfn-walker, at "page_count()", read all ones (the poison pattern) on worker 0 at 522.2 ms; the writer was just after offline [mem 0x400000000-0x43fffffff] (cycle 347)',
    );
    assert.match(
      text({ kind: 'freed', value: 0, unmapped: true, step: 'sparse_remove_section' }),
      /read a memmap no longer mapped .*was in sparse_remove_section of offline/,
    );
    assert.match(text({ value: 0x40, unmapped: false }), /read 0x40 on worker 0/);
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
    await expectUsageError('stress', 'dimm-hotplug', '--design', 'v5.4', '--workers', '65');
    // Options that would change nothing are refused rather than ignored.
    const refused: [string[], RegExp][] = [
      [['--design', 'v5.4', '--rcu', 'qsbr'], /--rcu: design v5.4 has no RCU readers/],
      [['--design', 'active-bitmap', '--qs-every', '8'], /--qs-every: only QSBR readers .*--rcu qsbr/],
      [['--design', 'active-bitmap', '--rcu', 'memb', '--qs-every', '8'], /--qs-every: only QSBR readers/],
      [
        ['--design', 'v5.4', '--seed', '99999999999999999999'],
        /--seed must be at most 4,294,967,295, got '99999999999999999999'/,
      ],
      // A pfn list is explore's; stress picks random pfns (it said "unknown walker 'kpageflags@0x1'").
      [
        ['--design', 'v5.4', '--walker', 'kpageflags@0x1'],
        /'kpageflags@0x1': stress walks random pfns .*name the walker only/,
      ],
      [['--design', 'v5.4', '--lookups', '99999999999999999999'], /--lookups must be below 2\^53/],
    ];
    for (const [args, message] of refused)
      assert.match((await expectUsageError('stress', 'dimm-hotplug', ...args)).stderr, message);
    // Negative numbers reach the validators, which name them.
    for (const [option, message] of [
      ['--workers', /--workers must be a non-negative integer, got '-1'/],
      ['--window', /--window must be a non-negative integer, got '-1'/],
      ['--seed', /--seed must be a non-negative integer, got '-1'/],
      ['--lookups', /--lookups must be a non-negative integer, got '-1'/],
      ['--qs-every', /--qs-every must be a non-negative integer, got '-1'/],
      ['--seconds', /--seconds must be a positive number, got '-1'/],
    ] as const) {
      const r = await expectUsageError('stress', 'dimm-hotplug', '--design', 'active-bitmap', option, '-1');
      assert.match(r.stderr, message);
    }
    const dir = scratchDir('stress');
    const file = join(dir, 'boot-only.json');
    writeFileSync(file, JSON.stringify({ name: 'boot-only', boot: [{ start: 0, size: '1G' }], steps: [] }));
    const r = await expectUsageError('stress', file, '--design', 'v5.4');
    assert.match(r.stderr, /nothing to cycle/);
    // '.05' is a number of seconds as much as '0.05' is.
    const short = await cli(
      'stress',
      'dimm-hotplug',
      '--design',
      'hotplug-lock',
      '--workers',
      '1',
      '--seconds',
      '.05',
    );
    assert.equal(short.code, 0, short.stderr);
  });
});
