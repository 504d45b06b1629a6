import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BEHAVIOUR_NAMES } from '../../src/kernel/index.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

describe('pfnlab kernels', () => {
  it('lists every behaviour with its release and commit, oldest first', async () => {
    const r = await cli('kernels');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^release +behaviour +commit$/);
    assert.equal(lines.filter((l) => !l.startsWith('* ')).length, BEHAVIOUR_NAMES.length + 1);
    assert.match(
      r.stdout,
      /\n5\.5 +zoneShrinkOnOffline +mm\/memory_hotplug: shrink zones when offlining memory \(feee6b298916\)\n/,
    );
    assert.match(
      r.stdout,
      /\n6\.8 +usageFreedWithKfreeRcu +mm\/sparsemem: fix race in accessing memory_section->usage/,
    );
  });

  it('--kernel adds what is in force at that release; --json has every field', async () => {
    const r = await cli('kernels', '--kernel', '5.15');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\n5\.12 +sectionTaintZoneDevice +yes /);
    assert.match(r.stdout, /\n6\.8 +usageFreedWithKfreeRcu +no /);
    const j = JSON.parse((await cli('kernels', '--json', '--kernel', '6.11')).stdout);
    const offline = j.find((b: { name: string }) => b.name === 'hotplugMemmapPageOffline');
    assert.equal(offline.inForce, true);
    assert.equal(offline.since, '6.11');
    assert.ok(
      j.every((b: Record<string, unknown>) => typeof b.commit === 'string' && typeof b.what === 'string'),
    );
  });

  it('refuses a release outside 5.4 … 6.19 or a stable version in one line, exit 2', async () => {
    for (const bad of ['5.3', '6.20', '6.12.48']) {
      const r = await expectUsageError('kernels', '--kernel', bad);
      assert.match(r.stderr, /mainline release 5\.4 … 6\.19/);
    }
  });

  it('the README shows the table pfnlab kernels prints', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(readme.includes((await cli('kernels')).stdout), 'README "Which kernel" table is stale');
  });
});

describe('--kernel X.Y on the commands that model a kernel', () => {
  it('run, pfn, export take any mainline release; export writes its release and zoneinfo lines', async () => {
    assert.equal((await cli('run', 'dimm-hotplug', '--kernel', '5.15')).code, 0);
    assert.equal((await cli('pfn', '0', '-s', 'dimm-hotplug', '--kernel', '6.1')).code, 0);
    const dir = scratchDir('kernels-export');
    const r = await cli('export', 'dimm-hotplug', '--kernel', '6.1', '--out', dir, '--format', 'zoneinfo');
    assert.equal(r.code, 0, r.stderr);
    const zoneinfo = readFileSync(join(dir, 'proc/zoneinfo'), 'utf8');
    assert.match(zoneinfo, /promo/, '6.1 has WMARK_PROMO');
    assert.doesNotMatch(zoneinfo, /high_min/, 'high_min came in 6.7');
    assert.equal(JSON.parse(readFileSync(join(dir, 'pfnlab-machine.json'), 'utf8')).host.release, '6.1.0');
  });
});
