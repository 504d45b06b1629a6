import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli, expectUsageError } from '../helpers.js';

describe('pfnlab CLI', () => {
  it('--help on every command', async () => {
    const top = await cli('--help');
    assert.equal(top.code, 0);
    for (const name of ['demo', 'run', 'pfn']) {
      assert.match(top.stdout, new RegExp(`\\b${name}\\b`));
      const r = await cli(name, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`usage: pfnlab ${name}`));
    }
  });

  it('run prints the layout; --json has sections, blocks, zones, pgmaps, truth', async () => {
    const text = await cli('run', 'pmem-shares-a-section-with-boot-ram');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Memory blocks:/);
    assert.match(text.stdout, /PMOED/);
    const json = await cli('run', 'pmem-shares-a-section-with-boot-ram', '--json');
    const doc = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(doc.layout).sort(), [
      'arch',
      'blocks',
      'geometry',
      'kernel',
      'pgmaps',
      'sections',
      'truth',
      'zones',
    ]);
    assert.equal(doc.operations.length, 7);
  });

  it('pfn --json has pfn, section, subsection, block and truth {state, zone, pgmap}', async () => {
    const r = await cli(
      'pfn',
      '0x104400',
      '--scenario',
      'pmem-shares-a-section-with-boot-ram',
      '--after',
      '3',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.pfn, 0x104400);
    assert.equal(doc.section, 32);
    assert.equal(doc.subsection, 34);
    assert.equal(doc.block, 32);
    assert.deepEqual(doc.truth, { state: 'device', zone: 'Device', pgmap: 'pmem0' });
    const end = await cli('pfn', '1066000', '--scenario', 'pmem-shares-a-section-with-boot-ram', '--json');
    assert.equal(JSON.parse(end.stdout).truth.state, 'hole');
  });

  it('--after 0 is the machine just after boot', async () => {
    const r = await cli('pfn', '0x400000', '--scenario', 'dimm-hotplug', '--after', '0', '--json');
    assert.equal(JSON.parse(r.stdout).truth.state, 'no-memmap');
    const r1 = await cli('pfn', '0x400000', '--scenario', 'dimm-hotplug', '--after', '1', '--json');
    assert.equal(JSON.parse(r1.stdout).truth.state, 'uninitialized');
  });

  it('bad usage and bad input: one line on stderr, exit 2', async () => {
    const cases: string[][] = [
      ['frobnicate'],
      ['run'],
      ['run', 'no-such-scenario'],
      ['run', 'dimm-hotplug', '--bogus'],
      ['pfn', 'xyz', '--scenario', 'dimm-hotplug'],
      ['pfn', '12'],
      ['pfn', '0x10000000000', '--scenario', 'dimm-hotplug'],
      ['pfn', '12', '--scenario', 'dimm-hotplug', '--after', '99'],
      ['pfn', '12', '--scenario', 'dimm-hotplug', '--after', '-1'],
    ];
    for (const argv of cases) await expectUsageError(...argv);
  });
});
