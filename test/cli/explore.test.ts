import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

/** The arguments of the `replay: pfnlab ...` line explore printed (no word there needs quoting). */
function replayArgs(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith('replay: pfnlab '));
  assert.ok(line, `no replay line in ${stdout}`);
  return line.slice('replay: pfnlab '.length).split(' ');
}

/** A copy of the built-in explore/offline scenario with some fields changed, as a file. */
function offlineWith(dir: string, name: string, fields: Record<string, unknown>): string {
  const path = join(dir, name);
  const scenario = {
    name: 'explore-offline',
    arch: 'x86_64',
    boot: [{ start: '0', size: '512M' }],
    steps: [
      { op: 'add_memory', start: '1G', size: '256M' },
      { op: 'online', start: '1G', size: '256M', zone: 'movable' },
      { op: 'offline', start: '1G', size: '256M' },
      { op: 'remove', start: '1G', size: '256M' },
    ],
    explore: { from: 2 },
    walkers: ['pfn-walker@0x48000'],
    ...fields,
  };
  writeFileSync(path, JSON.stringify(scenario));
  return path;
}

describe('pfnlab explore and audit', () => {
  it('explore proves active-bitmap safe (exit 0) and breaks a fault variant (exit 1) with a replayable trace', async () => {
    const safe = await cli('explore', 'explore/offline', '--design', 'active-bitmap');
    assert.equal(safe.code, 0, safe.stderr);
    assert.match(safe.stdout, /verdict: SAFE - every interleaving explored \(\d+ states/);
    const bad = await cli('explore', 'explore/offline', '--design', 'active-bitmap/no-sync', '--json');
    assert.equal(bad.code, 1);
    const t = JSON.parse(bad.stdout);
    assert.equal(t.format, 'pfnlab-explore-trace');
    assert.equal(t.verdict, 'unsafe');
    assert.equal(t.violation.kind, 'poisoned-deref');
    assert.deepEqual(
      t.threads.map((x: { name: string }) => x.name),
      ['writer', 'pfn-walker'],
    );
    const again = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--replay',
      t.replay,
      '--json',
    );
    assert.equal(again.code, 1);
    assert.deepEqual(JSON.parse(again.stdout).violation, t.violation);
    const text = await cli('explore', 'explore/offline', '--design', 'active-bitmap/no-sync');
    assert.match(text.stdout, /page_init_poison/);
    assert.match(
      text.stdout,
      /replay: pfnlab explore explore\/offline --design active-bitmap\/no-sync --kernel 6\.19 --from 2 --walker pfn-walker@0x48000 --replay /,
    );
  });

  it('explore takes walkers with pfns, a bound and random schedules', async () => {
    const r = await cli(
      'explore',
      'explore/memunmap',
      '--design',
      'v5.4',
      '--walker',
      'smaps_pmd_entry@0x40300',
      '--json',
    );
    assert.equal(JSON.parse(r.stdout).verdict, 'unsafe');
    const rnd = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--random',
      '300',
      '--seed',
      '3',
      '--json',
    );
    assert.equal(JSON.parse(rnd.stdout).verdict, 'unsafe');
    const bounded = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--bound',
      '0',
      '--json',
    );
    assert.notEqual(JSON.parse(bounded.stdout).verdict, 'unsafe');
  });

  it('audit prints walkers x designs and says how much of the thread it reproduces', async () => {
    const r = await cli(
      'audit',
      '--design',
      'v5.4',
      '--walker',
      'smaps_pmd_entry',
      '--walker',
      'release_pages',
    );
    assert.equal(r.code, 0);
    assert.match(r.stdout, /smaps_pmd_entry\s+explore\/memunmap\s+UNSAFE \d+/);
    assert.match(r.stdout, /release_pages\s+safe/);
    assert.match(r.stdout, /reproduces 2 of the 2 verdicts/);
  });

  it('bad input: one line, exit 2', async () => {
    for (const argv of [
      ['explore', 'explore/offline'],
      ['explore', 'explore/offline', '--design', 'nope'],
      ['explore', 'explore/offline', '--design', 'upstream', '--walker', 'nope'],
      ['explore', 'explore/offline', '--design', 'upstream', '--walker', 'kpageflags@zz'],
      ['explore', 'explore/offline', '--design', 'upstream', '--replay', '0,x'],
      ['explore', 'explore/offline', '--design', 'upstream', '--replay', '1*999'],
      ['explore', 'explore/offline', '--design', 'upstream', '--from', '9'],
      ['explore', 'explore/offline', '--design', 'upstream', '--kernel', '4.19'],
      ['explore', 'explore/offline', '--design', 'upstream', '--random', '0'],
      ['explore', 'explore/offline', '--design', 'upstream', '--max-states', '0'],
      ['explore', 'explore/offline', '--design', 'upstream', '--random', '5', '--bound', '1'],
      ['explore', 'explore/offline', '--design', 'upstream', '--seed', '5'],
      ['explore', 'explore/offline', '--design', 'upstream', '--replay', '0', '--first'],
      ['explore', 'explore/offline', '--design', 'upstream', '--replay', ','],
      ['explore', 'explore/offline', '--design', 'upstream', '--walker', 'kpageflags@0x1@0x2'],
      ['audit', '--walker', 'nope'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, argv.join(' '));
    }
  });

  it('numbers past what the search can use are refused by value, not crashed on or silently changed', async () => {
    const base = ['explore', 'explore/offline', '--design', 'upstream'];
    for (const [args, message] of [
      // Expanded before running, this schedule alone would exhaust memory (a V8 fatal error).
      [
        ['--replay', '0*99999999999'],
        /^pfnlab: --replay: '0\*99999999999' makes the schedule longer than 1,000,000 steps\n$/,
      ],
      [['--replay', '1,0*999999,1*2'], /'1\*2' makes the schedule longer/],
      // Past 2^53 a number is no longer the one typed: it printed 'within 1e+23 preemptions'.
      [['--bound', '99999999999999999999'], /--bound must be below 2\^53, got '99999999999999999999'/],
      // mulberry32 keeps 32 bits: seed 2^32 was seed 0 under another name.
      [['--random', '2', '--seed', '4294967296'], /--seed must be at most 4,294,967,295, got '4294967296'/],
    ] as const) {
      const r = await expectUsageError(...base, ...args);
      assert.match(r.stderr, message, args.join(' '));
    }
    const ok = await cli(...base, '--random', '1', '--seed', '4294967295', '--json');
    assert.equal(JSON.parse(ok.stdout).search.seed, 4294967295);
  });

  it('the printed replay line carries every option that shapes the run and reproduces its counterexample', async () => {
    for (const options of [
      ['--design', 'active-bitmap', '--kernel', '5.4'],
      ['--design', 'v5.4', '--from', '1'],
      ['--design', 'v5.4', '--walker', 'kpageflags'],
    ]) {
      const what = options.join(' ');
      const first = await cli('explore', 'explore/offline', ...options, '--json');
      assert.equal(first.code, 1, what);
      const t = JSON.parse(first.stdout);
      const text = await cli('explore', 'explore/offline', ...options);
      const again = await cli(...replayArgs(text.stdout), '--json');
      assert.equal(again.code, 1, `${what}: ${again.stderr}`);
      const r = JSON.parse(again.stdout);
      assert.deepEqual(r.violation, t.violation, what);
      assert.equal(r.steps.length, t.steps.length, what);
      assert.equal(r.kernel, t.kernel, what);
      assert.equal(r.from, t.from, what);
      const shown = await cli(...replayArgs(text.stdout));
      assert.match(shown.stdout, new RegExp(`reaches a violation at step ${t.steps.length}\\n`), what);
    }
  });

  it('explore runs a design on the kernel audit judges it on, and audit names that kernel and the command', async () => {
    const a = await cli('audit', '--design', 'v5.4', '--walker', 'pfn-walker', '--json');
    const result = JSON.parse(a.stdout);
    assert.equal(result.kernels['v5.4'], '5.4');
    const c = result.rows[0].cells['v5.4'];
    assert.equal(c.verdict, 'unsafe');
    assert.equal(c.kernel, '5.4');
    assert.match(c.command, /^pfnlab explore explore\/offline --design v5\.4 --kernel 5\.4 /);
    const byCommand = await cli(...c.command.split(' ').slice(1), '--json');
    assert.equal(JSON.parse(byCommand.stdout).steps.length, c.steps);
    // The pointer the audit gives (no --kernel) reproduces the cell too.
    const plain = JSON.parse((await cli('explore', 'explore/offline', '--design', 'v5.4', '--json')).stdout);
    assert.equal(plain.kernel, '5.4');
    assert.equal(plain.steps.length, c.steps);
    const text = await cli('audit', '--design', 'v5.4', '--design', 'upstream', '--walker', 'kpageflags');
    assert.match(text.stdout, /v5\.4 \(5\.4\)\s+upstream \(6\.19\)/);
    assert.match(text.stdout, /kpageflags\s+explore\/offline\s+UNSAFE \d+/);
  });

  it('explore says what each search mode found: first, random, bounded, replay', async () => {
    const first = await cli('explore', 'explore/offline', '--design', 'v5.4', '--first');
    assert.match(
      first.stdout,
      /verdict: UNSAFE - the first counterexample found \(not necessarily a shortest\), \d+ steps/,
    );
    const random = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--random',
      '50',
      '--seed',
      '3',
    );
    assert.equal(random.code, 1);
    assert.match(
      random.stdout,
      /verdict: UNSAFE - the shortest counterexample in 50 random schedules from seed 3, \d+ steps \(\d+ transitions/,
    );
    assert.doesNotMatch(random.stdout, /states/);
    const none = await cli('explore', 'explore/offline', '--design', 'active-bitmap', '--random', '5');
    assert.equal(none.code, 0);
    assert.match(
      none.stdout,
      /verdict: no violation in 5 random schedules from seed 1 \(\d+ transitions, [\d.]+ s\); not a proof/,
    );
    const bound = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap/no-sync',
      '--bound',
      '0',
    );
    assert.match(bound.stdout, /verdict: no violation within 0 preemptions \(\d+ states/);
    const capped = await cli('explore', 'explore/offline', '--design', 'v5.4', '--max-states', '50');
    assert.match(capped.stdout, /verdict: no violation in the first 50 states \(/);
    const replay = await cli(
      'explore',
      'explore/offline',
      '--design',
      'active-bitmap',
      '--replay',
      '0*3,1*3',
    );
    assert.equal(replay.code, 0);
    assert.match(
      replay.stdout,
      /verdict: no violation in the replayed schedule \(6 steps\); other schedules were not run/,
    );
    assert.doesNotMatch(replay.stdout, /bound/);
    assert.match(replay.stdout, /6\. pfn-walker/);
  });

  it('errors in the scenario file name the file and field, not a flag the user did not pass', async () => {
    const dir = scratchDir('explore');
    const from = await expectUsageError(
      'explore',
      offlineWith(dir, 'from.json', { explore: { from: 9 } }),
      '--design',
      'v5.4',
    );
    assert.match(from.stderr, /from\.json: \$\.explore\.from: the scenario has only 4 steps/);
    const pfn = await expectUsageError(
      'explore',
      offlineWith(dir, 'pfn.json', { walkers: ['kpageflags@0x99999999999'] }),
      '--design',
      'v5.4',
    );
    assert.match(
      pfn.stderr,
      /pfn\.json: \$\.walkers\[0\]: unknown pfn 0x99999999999: beyond MAX_PHYSMEM_BITS \(46\)/,
    );
    const name = await expectUsageError(
      'explore',
      offlineWith(dir, 'name.json', { walkers: ['pfn-walker', 'nope'] }),
      '--design',
      'v5.4',
    );
    assert.match(name.stderr, /name\.json: \$\.walkers\[1\]: unknown walker 'nope'/);
    // A step the writer reaches during the search and the kernel refuses is named as pfnlab run names it.
    const refused = await expectUsageError(
      'explore',
      offlineWith(dir, 'refused.json', {
        steps: [
          { op: 'add_memory', start: '1G', size: '256M' },
          { op: 'online', start: '1G', size: '256M', zone: 'movable' },
          { op: 'remove', start: '1G', size: '256M' },
        ],
      }),
      '--design',
      'v5.4',
    );
    assert.match(
      refused.stderr,
      /^pfnlab: \S+refused\.json: \$\.steps\[2\]: remove: memory8 is online; offline it first \(-EBUSY\)$/m,
    );
    // A walker with nothing of its kind to walk proved nothing: it printed 'SAFE - every interleaving explored'.
    const nothing = await expectUsageError(
      'explore',
      'explore/offline',
      '--design',
      'v5.4',
      '--walker',
      'smaps_pmd_entry',
    );
    assert.match(
      nothing.stderr,
      /^pfnlab: explore: smaps_pmd_entry has no pfn to walk in explore-offline: it walks ZONE_DEVICE pages, and no step maps any \(memremap\); give pfns \(--walker smaps_pmd_entry@PFN\)$/m,
    );
    const bootOnly = await expectUsageError(
      'explore',
      offlineWith(dir, 'boot-only.json', { steps: [], explore: { from: 0 }, walkers: undefined }),
      '--design',
      'v5.4',
    );
    assert.match(
      bootOnly.stderr,
      /pfn-walker has no pfn to walk in explore-offline: it walks memory a step hot-plugs or maps, and no step does/,
    );
    const flag = await expectUsageError('explore', 'explore/offline', '--design', 'v5.4', '--from', '9');
    assert.match(flag.stderr, /^pfnlab: --from: /);
  });

  it('a design from a module file is explored like a built-in one (its walker pauses pass through)', async () => {
    const r = await cli(
      'explore',
      'explore/offline',
      '--design',
      'examples/designs/section-online.js',
      '--json',
    );
    assert.equal(r.code, 1, r.stderr);
    assert.match(JSON.parse(r.stdout).violation.message, /pfn_to_online_page\(\) returned it/);
  });

  it('a walker pfn beyond MAX_PHYSMEM_BITS is refused as pfnlab pfn refuses it', async () => {
    const r = await expectUsageError(
      'explore',
      'explore/offline',
      '--design',
      'v5.4',
      '--walker',
      'pfn-walker@0x99999999999',
    );
    assert.match(r.stderr, /--walker: unknown pfn 0x99999999999: beyond MAX_PHYSMEM_BITS \(46\) of x86_64/);
    const pfn = await expectUsageError('pfn', '0x99999999999', '--scenario', 'explore/offline');
    assert.match(pfn.stderr, /beyond MAX_PHYSMEM_BITS \(46\) of x86_64/);
  });

  it('audit --strict exits 1 on an UNSAFE cell of a design meant to be safe; stray arguments are refused', async () => {
    const args = ['audit', '--design', 'v5.4', '--walker', 'smaps_pmd_entry'];
    assert.equal((await cli(...args)).code, 0);
    assert.equal((await cli(...args, '--strict')).code, 1);
    assert.equal((await cli(...args, '--strict', '--json')).code, 1);
    const safe = await cli('audit', '--design', 'active-bitmap', '--walker', 'pfn-walker', '--strict');
    assert.equal(safe.code, 0);
    const faults = await cli(
      'audit',
      '--design',
      'active-bitmap',
      '--faults',
      '--walker',
      'pfn-walker',
      '--strict',
    );
    assert.match(faults.stdout, /active-bitmap\/no-sync \(6\.19\)/);
    assert.match(faults.stdout, /UNSAFE/);
    assert.equal(faults.code, 0, 'fault-injected designs are meant to be unsafe');
    await expectUsageError('audit', 'v5.4');
    await expectUsageError('audit', '--walker', 'kpageflags@0x40000');
  });
});
