import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli } from '../helpers.js';

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
      /replay: pfnlab explore explore\/offline --design active-bitmap\/no-sync --walker pfn-walker@0x48000 --replay /,
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
    assert.match(r.stdout, /smaps_pmd_entry\s+UNSAFE \d+/);
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
      ['audit', '--walker', 'nope'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, argv.join(' '));
    }
  });
});
