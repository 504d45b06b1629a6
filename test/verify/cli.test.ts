import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findKernel, kernelPackages } from '../../src/verify/setup.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

describe('pfnlab verify CLI', () => {
  it('--help', async () => {
    const r = await cli('verify', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /usage: pfnlab verify <scenario>/);
    assert.match(r.stdout, /--setup/);
    assert.match((await cli('--help')).stdout, /\bverify\b/);
  });

  it('bad usage and bad input: one line on stderr, exit 2', async () => {
    const empty = scratchDir('empty');
    const cases: string[][] = [
      ['verify'],
      ['verify', 'no-such-scenario'],
      ['verify', 'scenarios/verify/dimm-hotplug.json', '--bogus'],
      ['verify', '--dry-run', 'scenarios/verify/dimm-hotplug.json'],
      ['verify', '--setup', 'scenarios/verify/dimm-hotplug.json'],
      ['verify', empty],
      ['verify', 'scenarios/verify/dimm-hotplug.json', '--kernel', join(empty, 'vmlinuz')],
      // A series not in the cache names the fix.
      ['verify', 'scenarios/verify/dimm-hotplug.json', '--kernel', '6.12', '--cache', empty],
      ['verify', 'scenarios/verify/dimm-hotplug.json', '--pages-limit', 'lots'],
      // No kernel in an empty cache: a missing tool names the fix.
      ['verify', 'scenarios/verify/dimm-hotplug.json', '--cache', empty],
    ];
    for (const argv of cases) await expectUsageError(...argv);
    // A --keep that cannot be made fails at once, before any kernel is looked for (mkdir -p of
    // /proc/x spins forever in Node).
    const keep = await expectUsageError(
      'verify',
      'scenarios/verify/dimm-hotplug.json',
      '--keep',
      '/proc/pfnlab-x',
    );
    assert.match(keep.stderr, /\/proc\/pfnlab-x: mkdir: ENOENT/);
    const missing = await expectUsageError('verify', 'scenarios/verify/dimm-hotplug.json', '--cache', empty);
    assert.match(missing.stderr, /pfnlab verify --setup/);
  });

  it('picks the newest cached kernel of a series; package names order by their numbers', () => {
    const cache = scratchDir('cache');
    for (const r of [
      '6.1.0-9-cloud-amd64',
      '6.1.0-57-cloud-amd64',
      '6.12.90+deb12.1-cloud-amd64',
      '6.12.118+deb12-cloud-amd64',
    ]) {
      mkdirSync(join(cache, 'kernel', r, 'boot'), { recursive: true });
      writeFileSync(join(cache, 'kernel', r, 'boot', `vmlinuz-${r}`), '');
    }
    assert.equal(findKernel({ kernel: '6.1', cache }).release, '6.1.0-57-cloud-amd64');
    assert.equal(findKernel({ kernel: '6.12', cache }).release, '6.12.118+deb12-cloud-amd64');
    assert.equal(findKernel({ cache }).release, '6.12.118+deb12-cloud-amd64');
    const search = [
      'linux-image-6.1.0-56-cloud-amd64 - Linux 6.1 for x86-64 cloud (signed)',
      'linux-image-6.1.0-57-cloud-amd64 - Linux 6.1 for x86-64 cloud (signed)',
      'linux-image-6.1.0-57-cloud-amd64-dbg - Debug symbols',
      'linux-image-6.12.95+deb12-cloud-amd64 - Linux 6.12 for x86-64 cloud (signed)',
      'linux-image-6.12.118+deb12-cloud-amd64 - Linux 6.12 for x86-64 cloud (signed)',
    ].join('\n');
    assert.deepEqual(kernelPackages(search, '6.1'), [
      'linux-image-6.1.0-57-cloud-amd64',
      'linux-image-6.1.0-56-cloud-amd64',
    ]);
    assert.equal(kernelPackages(search, '6.12')[0], 'linux-image-6.12.118+deb12-cloud-amd64');
  });

  it('--setup --dry-run says what it would do, changing nothing', async () => {
    const empty = scratchDir('empty');
    const r = await cli('verify', '--setup', '--dry-run', '--cache', empty);
    assert.equal(r.code, 0, r.stderr);
    // Both series, fetched through a private apt configuration under the cache (never installed).
    assert.match(
      r.stdout,
      /todo kernel 6\.1: apt-get download the newest linux-image-6\.1\.\*-cloud-amd64 \(private apt lists in /,
    );
    assert.match(
      r.stdout,
      /todo kernel 6\.12: apt-get download the newest linux-image-6\.12\.\*-cloud-amd64/,
    );
  });
});
