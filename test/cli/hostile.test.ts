/**
 * What a black-box campaign of hostile inputs found (issue 21), each now one clear line on
 * stderr and exit 2: no stack trace, no hang, no silent exit, no garbage accepted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

const BOOT_1G = [{ start: '0', size: '1G' }];

/** A scenario file in dir with the given fields over a small valid one. */
function scenarioFile(dir: string, name: string, fields: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify({ name: 'hostile', arch: 'x86_64', boot: BOOT_1G, steps: [], ...fields }),
  );
  return path;
}

function fifo(dir: string): string {
  const path = join(dir, 'fifo');
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, 'mkfifo');
  return path;
}

describe('hostile inputs: one line, exit 2', () => {
  it('a 4 PiB x86_64-5level boot is refused naming the model limit, not a RangeError', async () => {
    const dir = scratchDir('hostile');
    const path = scenarioFile(dir, '4p.json', {
      arch: 'x86_64-5level',
      boot: [{ start: '0', size: '4P' }],
    });
    for (const argv of [
      ['run', path],
      ['pfn', '0', '--scenario', path],
      ['compare', path],
    ]) {
      const r = await expectUsageError(...argv);
      assert.match(
        r.stderr,
        /outgrows the model's 1024 MiB \(33,554,432 present sections need .* of section and usage records alone; it holds at most 11,\d{3},\d{3}\)/,
      );
      assert.doesNotMatch(r.stderr, /RangeError|Map maximum/);
    }
  });

  it('JSON nested 100,000 deep is refused where it goes too deep (lsmem, daxctl, scenario, manifest)', async () => {
    const dir = scratchDir('hostile');
    const deep = `{"memory": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    writeFileSync(join(dir, 'lsmem.json'), deep);
    writeFileSync(join(dir, 'daxctl.json'), deep);
    writeFileSync(join(dir, 'scenario.json'), deep);
    const lsmem = await expectUsageError('import', '--lsmem', join(dir, 'lsmem.json'));
    assert.match(lsmem.stderr, /lsmem\.json:1:\d+: nested more than 256 levels deep/);
    const dax = await expectUsageError(
      'import',
      '--lsmem',
      'test/fixtures/machines/server-2g-blocks/lsmem.json',
      '--daxctl',
      join(dir, 'daxctl.json'),
    );
    assert.match(dax.stderr, /daxctl\.json:1:\d+: nested more than 256 levels deep/);
    await expectUsageError('run', join(dir, 'scenario.json'));
  });

  it('endless inputs (/dev/zero, a FIFO with no writer) are refused before they are opened', async () => {
    const dir = scratchDir('hostile');
    const pipe = fifo(dir);
    for (const endless of ['/dev/zero', pipe]) {
      for (const argv of [
        ['run', endless],
        ['import', '--iomem', endless],
        ['import', '--lsmem', endless],
        ['import', '--lsmem', 'test/fixtures/machines/server-2g-blocks/lsmem.json', '--zoneinfo', endless],
        ['import', '--lsmem', 'test/fixtures/machines/server-2g-blocks/lsmem.json', '--daxctl', endless],
        ['view', endless],
        ['compare', 'dimm-hotplug', '--design', endless],
      ]) {
        const r = await expectUsageError(...argv);
        assert.match(r.stderr, /not a regular file/, argv.join(' '));
      }
    }
  });

  it('/proc/iomem addresses past 2^64 are refused, not dropped', async () => {
    const dir = scratchDir('hostile');
    writeFileSync(join(dir, 'iomem'), '00000000-ffffffffffffffffffffffff : System RAM\n');
    const r = await expectUsageError('import', '--iomem', join(dir, 'iomem'));
    assert.match(r.stderr, /iomem:1: address 0xffffffffffffffffffffffff is past 2\^64/);
  });

  it('a capture manifest with a page size the model has not is refused', async () => {
    const dir = join(scratchDir('hostile'), 'cap');
    await cli('export', 'dimm-hotplug', '--out', dir);
    const manifest = join(dir, 'pfnlab-machine.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    writeFileSync(manifest, JSON.stringify({ ...m, host: { ...m.host, pageSize: 3 } }));
    const r = await expectUsageError('run', dir);
    assert.match(r.stderr, /host\.pageSize: must be one of 4096, 16384, 65536, got 3/);
  });

  it('__proto__ and constructor keys are unknown fields like any other', async () => {
    const dir = scratchDir('hostile');
    const proto = join(dir, 'proto.json');
    writeFileSync(
      proto,
      `{"name":"x","arch":"x86_64","boot":[{"start":"0","size":"1G"}],"steps":[],"__proto__":{"a":1}}`,
    );
    assert.match((await expectUsageError('run', proto)).stderr, /\$\.__proto__: unknown field/);
    const ctor = scenarioFile(dir, 'ctor.json', { overrides: { constructor: 5 } });
    assert.match((await expectUsageError('run', ctor)).stderr, /\$\.overrides\.constructor: unknown field/);
  });

  it('a scenario is validated once, the same for every command: unknown walkers, explore.from past the end', async () => {
    const dir = scratchDir('hostile');
    const walkers = scenarioFile(dir, 'walkers.json', { walkers: ['nope'] });
    const from = scenarioFile(dir, 'from.json', { explore: { from: 5 } });
    for (const [path, expected] of [
      [walkers, /\$\.walkers\[0\]: unknown walker 'nope'/],
      [from, /\$\.explore\.from: the scenario has only 0 steps/],
    ] as const) {
      for (const argv of [
        ['run', path],
        ['pfn', '0', '--scenario', path],
        ['compare', path],
        ['export', path, '--out', join(dir, 'out')],
        ['usercopy', '0x1000', '8', '--scenario', path],
        ['explore', path, '--design', 'v5.4'],
      ]) {
        const r = await expectUsageError(...argv);
        assert.match(r.stderr, expected, argv.join(' '));
      }
    }
  });

  it('pfns and sizes are exactly what the README documents: no spaces, no B or iB', async () => {
    await expectUsageError('pfn', ' 1', '--scenario', 'dimm-hotplug');
    await expectUsageError('');
    const dir = scratchDir('hostile');
    for (const size of ['1GiB', ' 1G', '1 G', '1GB', '1.5']) {
      const path = scenarioFile(dir, 'size.json', { boot: [{ start: '0', size }] });
      await expectUsageError('run', path);
    }
    for (const size of ['1.5G', '1g', '0x40000000', '1073741824']) {
      const path = scenarioFile(dir, 'size.json', { boot: [{ start: '0', size }] });
      assert.equal((await cli('run', path)).code, 0, size);
    }
  });

  it('an echoed value is capped at 80 characters, saying how long it was', async () => {
    const long = `0x${'1'.repeat(10_000_000)}`;
    const r = await expectUsageError('pfn', long, '--scenario', 'dimm-hotplug');
    assert.ok(r.stderr.length < 400, `${r.stderr.length} characters`);
    assert.match(r.stderr, /0x1{78}… \(10,000,00\d characters\)/);
  });

  it('a design module whose top level never ends, never settles or exits is refused in one line', async () => {
    const dir = scratchDir('hostile');
    const modules: Record<string, [string, RegExp]> = {
      'tla.mjs': ['await new Promise(() => {});\nexport default {};', /top-level await never settles/],
      'exit.mjs': ['process.exit(7);', /exits the process \(code 7\) while loading/],
      'loop.mjs': ['for (;;) {}', /top level has not finished after \d+ s \(an endless loop\?\)/],
    };
    const saved = process.env.PFNLAB_DESIGN_LOAD_LIMIT_MS;
    try {
      for (const [file, [text, expected]] of Object.entries(modules)) {
        // Long enough for a loaded machine to start Node; the loop alone waits for all of it.
        process.env.PFNLAB_DESIGN_LOAD_LIMIT_MS = file === 'loop.mjs' ? '3000' : '60000';
        writeFileSync(join(dir, file), text);
        const r = await expectUsageError('compare', 'dimm-hotplug', '--design', join(dir, file));
        assert.match(r.stderr, expected, file);
      }
    } finally {
      if (saved === undefined) delete process.env.PFNLAB_DESIGN_LOAD_LIMIT_MS;
      else process.env.PFNLAB_DESIGN_LOAD_LIMIT_MS = saved;
    }
  });

  it('designs --design tries a module as compare would: a lookup returning null is refused', async () => {
    const dir = scratchDir('hostile');
    const path = join(dir, 'null-lookup.mjs');
    writeFileSync(
      path,
      `export default { name: "nul", summary: "s", usageBitmaps: [], protection: "none", writeRules: [],
  lookup: () => ({ pfnValid: () => null, pfnToOnlinePage: () => null, isZoneDevicePage: () => null, pageZone: () => null }),
  writeSide: () => ({ name: "nul" }) };`,
    );
    const designs = await expectUsageError('designs', '--design', path);
    const compare = await expectUsageError('compare', 'dimm-hotplug', '--design', path);
    assert.equal(designs.stderr, compare.stderr);
  });

  it('a symlink loop as the sysfs memory directory is refused, not taken for no sysfs', async () => {
    const dir = join(scratchDir('hostile'), 'cap');
    await cli('export', 'dimm-hotplug', '--out', dir);
    const memory = join(dir, 'sys/devices/system/memory');
    rmSync(memory, { recursive: true });
    mkdirSync(join(dir, 'sys/devices/system'), { recursive: true });
    symlinkSync('memory', memory);
    const r = await expectUsageError('import', dir);
    assert.match(r.stderr, /sys\/devices\/system\/memory: a symlink loop/);
  });
});
