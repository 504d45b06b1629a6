import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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

  it('--setup --dry-run says what it would do, changing nothing', async () => {
    const empty = scratchDir('empty');
    const r = await cli('verify', '--setup', '--dry-run', '--cache', empty);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /todo kernel: apt-get download linux-image-cloud-amd64/);
  });
});
