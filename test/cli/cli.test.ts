import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/main.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

/** A pfn of the pmem namespace once it is mapped: device memory in a section shared with boot RAM. */
const PMEM_PFN = ['pfn', '0x104400', '--scenario', 'pmem-shares-a-section-with-boot-ram', '--after', '3'];

describe('pfnlab CLI', () => {
  it('--help on every command', async () => {
    const top = await cli('--help');
    assert.equal(top.code, 0);
    assert.match((await cli('--version')).stdout, /^pfnlab \d+\.\d+\.\d+\n$/);
    const names = COMMANDS.map((c) => c.name);
    for (const expected of [
      'demo',
      'run',
      'pfn',
      'compare',
      'explore',
      'audit',
      'stress',
      'import',
      'view',
      'verify',
    ])
      assert.ok(names.includes(expected), expected);
    // help on a command that does not exist is bad usage, not the general usage with exit 0.
    assert.match((await expectUsageError('help', 'nope')).stderr, /^pfnlab: help: unknown command 'nope'/);
    for (const name of names) {
      assert.match(top.stdout, new RegExp(`\\b${name}\\b`));
      const r = await cli(name, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`usage: pfnlab ${name}`));
    }
  });

  it('a step the kernel refuses names the scenario file, in run, export and explore alike', async () => {
    const dir = scratchDir('refused');
    const file = join(dir, 'refused.json');
    const steps = [{ op: 'offline', start: '8G', size: '128M' }];
    writeFileSync(file, JSON.stringify({ name: 'refused', boot: [{ start: 0, size: '2G' }], steps }));
    // It said '$.steps[0]: offline: ...' with no file: which of a directory of scenarios?
    const line = new RegExp(`^pfnlab: ${file}: \\$\\.steps\\[0\\]: offline: memory64 does not exist`);
    assert.match((await expectUsageError('run', file)).stderr, line);
    assert.match((await expectUsageError('export', file, '--out', join(dir, 'out'))).stderr, line);
    assert.equal(existsSync(join(dir, 'out')), false);
    const boot = join(dir, 'boot.json');
    writeFileSync(boot, JSON.stringify({ name: 'boot', boot: [{ start: '0x1001', size: '2G' }], steps: [] }));
    assert.match(
      (await expectUsageError('run', boot)).stderr,
      /boot\.json: boot: boot range .* is not page aligned/,
    );
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
    const r = await cli(...PMEM_PFN, '--json');
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

  it("pfn shows every design's answers beside the truth", async () => {
    const r = await cli(...PMEM_PFN, '--json');
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc.designs), [
      'v5.4',
      'active-bitmap',
      'device-bitmap',
      'upstream',
      'hotplug-lock',
    ]);
    assert.deepEqual(doc.designs['v5.4'], {
      pfn_valid: true,
      pfn_to_online_page: true,
      pfn_to_device_page: null,
      is_zone_device_page: true,
      wrong: ['device-as-online'],
    });
    assert.equal(doc.designs['active-bitmap'].pfn_to_device_page, true);
    const text = await cli(...PMEM_PFN);
    assert.match(text.stdout, /v5\.4 .*WRONG: device-as-online/);
  });

  it('compare counts wrong answers; --strict exits 1 when there are any', async () => {
    const r = await cli('compare', 'device-private', '--json');
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.results[0].totals['device-bitmap']['uninitialized-returned'], 66048);
    assert.ok(doc.results[0].cost['active-bitmap'].total > 0);
    assert.equal((await cli('compare', 'device-private', '--strict')).code, 1);
    assert.equal((await cli('compare', 'device-private', '--strict', '--design', 'upstream')).code, 0);
  });

  it('usercopy: the RFC changes the verdict of a copy across ZONE_DEVICE pages', async () => {
    const r = await cli(
      'usercopy',
      '0xffff888104400000',
      '8192',
      '--scenario',
      'pmem-shares-a-section-with-boot-ram',
      '--after',
      '3',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.verdicts['as-is'].allowed, true);
    assert.deepEqual(doc.verdicts.rfc, { allowed: false, abort: 'spans multiple pages', pfn: 0x104400 });
    assert.equal(doc.verdicts['rfc-zone-device'].allowed, true);
    assert.equal(doc.rfcChangesVerdict, true);
    const ram = await cli('usercopy', '0x40000000', '8192', '--scenario', 'dimm-hotplug', '--json');
    assert.equal(JSON.parse(ram.stdout).verdicts['as-is'].abort, 'spans multiple pages');
  });

  it('usercopy: no struct page, no check; a poisoned or unmapped struct page read is called out', async () => {
    const pmem = ['--scenario', 'pmem-shares-a-section-with-boot-ram', '--json'];
    const absent = JSON.parse((await cli('usercopy', '0x3000000000', '8192', ...pmem)).stdout);
    assert.equal(absent.checked, false);
    assert.match(absent.why, /virt_addr_valid\(\) is false/);
    assert.equal(absent.rfcChangesVerdict, false);
    const unmapped = await cli(
      'usercopy',
      '0x1fffff000',
      '8192',
      '--scenario',
      'dimm-hotplug',
      '--after',
      '1',
    );
    assert.match(unmapped.stdout, /pfn 0x200000 has no memmap: reading its struct page faults/);
    const poisoned = JSON.parse(
      (await cli('usercopy', '0x104400000', '8192', ...pmem, '--after', '6')).stdout,
    );
    assert.match(poisoned.hazards[0], /poisoned/);
    await expectUsageError('usercopy', '0xffffffff81000000', '8192', ...pmem);
    const arm64 = JSON.parse(
      (await cli('usercopy', '0xffff000040000000', '8192', '--scenario', 'arm64-64k', '--json')).stdout,
    );
    assert.equal(arm64.addr, '0x40000000', "arm64's linear map starts at 0xffff000000000000");
    await expectUsageError('usercopy', '0x1000', '8192', ...pmem, '--after', '99');
  });

  it('designs lists every design with its write rules', async () => {
    const r = await cli('designs', '--json');
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.some((d: { name: string }) => d.name === 'active-bitmap/no-sync'));
    assert.ok(doc.every((d: { writeRules: string[] }) => d.writeRules.length > 0));
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
      ['pfn', '12', '--scenario', 'dimm-hotplug', '--design', 'nope'],
      ['compare'],
      ['compare', 'dimm-hotplug', '--design', './missing.js'],
      ['usercopy', '0x1000', '0', '--scenario', 'dimm-hotplug'],
      ['usercopy', 'zz', '10', '--scenario', 'dimm-hotplug'],
      ['usercopy', '0x1000', '10'],
      ['demo', '--out', '/nonexistent-dir/report.html'],
      ['demo', '--out', '.'],
      ['demo', 'extra'],
      ['designs', 'extra'],
    ];
    for (const argv of cases) await expectUsageError(...argv);
  });

  it('pfn names the pgmap a device page points at, and the flag a 5.4 kernel never sets', async () => {
    const doc = JSON.parse((await cli(...PMEM_PFN, '--json')).stdout);
    assert.equal(doc.page.pgmapId, 'pmem0');
    assert.equal(doc.sectionFlagsNote, undefined);
    const dir = scratchDir('pfnlab-54-');
    const scenario = JSON.parse(readFileSync('scenarios/pmem-shares-a-section-with-boot-ram.json', 'utf8'));
    writeFileSync(join(dir, 'pmem54.json'), JSON.stringify({ ...scenario, kernel: '5.4' }));
    const on54 = JSON.parse(
      (await cli('pfn', '0x104400', '--scenario', join(dir, 'pmem54.json'), '--after', '3', '--json')).stdout,
    );
    assert.match(on54.sectionFlags, /D/);
    assert.match(on54.sectionFlagsNote, /upstream design's write side/);
  });

  it('run refuses walkers the scenario names that do not exist', async () => {
    const dir = scratchDir('pfnlab-walkers-');
    const file = join(dir, 'w.json');
    writeFileSync(file, JSON.stringify({ name: 'w', boot: [{ start: 0, size: '1G' }], walkers: ['nosuch'] }));
    const r = await expectUsageError('run', file);
    assert.match(r.stderr, /\$\.walkers\[0\]: unknown walker 'nosuch'/);
  });

  it('negative numbers and repeated options are named, not misread as short options', async () => {
    const after = await expectUsageError('pfn', '12', '--scenario', 'dimm-hotplug', '--after', '-1');
    assert.match(after.stderr, /--after must be a non-negative integer, got '-1'/);
    const pfn = await expectUsageError('pfn', '-1', '--scenario', 'dimm-hotplug');
    assert.match(pfn.stderr, /'-1' is not a pfn/);
    const twice = await expectUsageError(
      'pfn',
      '12',
      '--scenario',
      'dimm-hotplug',
      '--scenario',
      'large-blocks',
    );
    assert.match(twice.stderr, /--scenario given more than once/);
    const shortTwice = await expectUsageError(
      'pfn',
      '12',
      '-s',
      'dimm-hotplug',
      '--scenario',
      'large-blocks',
    );
    assert.match(shortTwice.stderr, /--scenario given more than once/);
    const shortNegative = await expectUsageError('view', 'dimm-hotplug', '-p', '-5');
    assert.match(shortNegative.stderr, /--port must be a non-negative integer, got '-5'/);
  });

  it('a design module that is not a design, or throws, is one line naming it', async () => {
    const dir = scratchDir('pfnlab-design-');
    const modules: Record<string, string> = {
      'number.mjs': 'export default 42;',
      'no-functions.mjs': 'export default { name: "x", lookup: 5, writeSide: 7 };',
      'bad-protection.mjs':
        'export default { name: "x", protection: "bogus", lookup() { return {}; }, writeSide() { return { name: "x" }; } };',
      'empty-lookup.mjs':
        'export default { name: "x", lookup() { return {}; }, writeSide() { return { name: "x" }; } };',
      'hook-returns-number.mjs': `const no = () => -1;
export default { name: "hooky", writeSide: () => ({ name: "hooky", before: () => 5 }),
  lookup: () => ({ pfnValid: () => true, pfnToOnlinePage: no, isZoneDevicePage: () => false, pageZone: no }) };`,
      'valid-undefined.mjs': `const no = () => -1;
export default { name: "vague", writeSide: () => ({ name: "vague" }),
  lookup: () => ({ pfnValid() {}, pfnToOnlinePage: no, isZoneDevicePage: () => false, pageZone: no }) };`,
      'throws.mjs': `const no = () => -1;
export default { name: "thrower", writeSide: () => ({ name: "thrower" }),
  lookup: () => ({ pfnValid() { throw new Error("boom"); }, pfnToOnlinePage: no, isZoneDevicePage: () => false, pageZone: no }) };`,
    };
    const expected: Record<string, RegExp> = {
      'number.mjs': /not a design module: the module exports number/,
      'no-functions.mjs': /lookup and writeSide must be functions/,
      'bad-protection.mjs': /protection must be one of/,
      'empty-lookup.mjs': /lookup\(ctx\) must return functions pfnValid/,
      'throws.mjs': /design 'thrower': pfnValid\(0x[0-9a-f]+\) threw: boom/,
      'hook-returns-number.mjs':
        /design 'hooky': writeSide\.before\([a-z_]+\) must return an array of kernel steps/,
      'valid-undefined.mjs':
        /design 'vague': pfnValid\(0x[0-9a-f]+\) must return a boolean, returned undefined/,
    };
    for (const [file, text] of Object.entries(modules)) {
      writeFileSync(join(dir, file), text);
      const r = await expectUsageError('compare', 'dimm-hotplug', '--design', join(dir, file));
      assert.match(r.stderr, expected[file], file);
    }
  });

  it('a reader that leaves early (| head) ends the command quietly, exit 0', async () => {
    const script = `import { main, processIo } from ${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).href)};
process.exitCode = await main(['compare', 'dimm-hotplug'], processIo());`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.stdout.destroy(); // gone before the first write
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
