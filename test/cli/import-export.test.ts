import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, scratchDir } from '../helpers.js';

const LAPTOP = 'test/fixtures/machines/x86-laptop';

async function fails(...argv: string[]): Promise<string> {
  const r = await cli(...argv);
  assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, `${argv.join(' ')} printed ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  return r.stderr;
}

describe('pfnlab import, export, capture', () => {
  it('import: the scenario on stdout and the report on stderr; -o writes it; --json has both', async () => {
    const plain = await cli('import', LAPTOP);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(JSON.parse(plain.stdout).arch, 'x86_64');
    assert.match(plain.stderr, /^import report: x86_64/);
    const out = join(scratchDir('cli'), 'laptop.json');
    const written = await cli('import', LAPTOP, '-o', out, '--name', 'laptop');
    assert.match(written.stdout, /wrote .*laptop\.json\nimport report/);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).name, 'laptop');
    const run = await cli('run', out, '--json');
    assert.equal(JSON.parse(run.stdout).layout.blocks.length, 3);
    const json = JSON.parse((await cli('import', '--lsmem', `${LAPTOP}/lsmem.json`, '--json')).stdout);
    assert.deepEqual(Object.keys(json), ['scenario', 'report']);
    assert.match(json.report.unknown.join('\n'), /without \/proc\/iomem/);
  });

  it('export writes the formats asked for; run and pfn take the directory as a scenario', async () => {
    const dir = join(scratchDir('cli'), 'pmem');
    const r = await cli(
      'export',
      'pmem-shares-a-section-with-boot-ram',
      '--after',
      '3',
      '--out',
      dir,
      '--format',
      'sysfs,iomem',
      '--format',
      'zoneinfo',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exported pmem-shares-a-section-with-boot-ram \(sysfs, iomem, zoneinfo\)/);
    assert.equal(existsSync(join(dir, 'lsmem.json')), false);
    const pfn = await cli('pfn', '0x104400', '--scenario', dir, '--json');
    assert.equal(pfn.code, 0, pfn.stderr);
    assert.deepEqual(JSON.parse(pfn.stdout).truth, { state: 'device', zone: 'Device', pgmap: 'pmem0' });
    const run = await cli('run', dir);
    assert.match(run.stdout, /memremap fsdax pmem0/);
    const json = JSON.parse((await cli('export', 'dimm-hotplug', '--out', join(dir, 'x'), '--json')).stdout);
    assert.deepEqual(json.formats, ['sysfs', 'lsmem', 'zoneinfo', 'iomem']);
  });

  it('capture --root a sysroot, then import it', async () => {
    const root = join(scratchDir('cli'), 'root');
    await cli('export', 'dimm-hotplug', '--after', '2', '--out', root, '--format', 'sysfs,iomem,zoneinfo');
    const cap = join(scratchDir('cli'), 'cap');
    const r = await cli('capture', cap, '--root', root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /read {3}\/sys\/devices\/system\/memory \(64 blocks\)/);
    assert.match(r.stdout, /MISSED daxctl list, ndctl list: they read the live \/sys only/);
    const imported = JSON.parse((await cli('import', cap, '--json')).stdout).scenario;
    assert.deepEqual(imported.steps, [
      { op: 'add_memory', start: '0x400000000', size: '1G', node: 0 },
      { op: 'online', start: '0x400000000', size: '1G', zone: 'movable' },
    ]);
  });

  it('bad usage and bad input: one line on stderr, exit 2', async () => {
    const tmp = scratchDir('cli-bad');
    writeFileSync(join(tmp, 'note.txt'), 'hello\n');
    assert.match(await fails('import'), /give --sysfs, --lsmem or --iomem/);
    assert.match(await fails('import', join(tmp, 'nowhere')), /no such directory/);
    assert.match(await fails('import', tmp), /not a capture or export directory/);
    assert.match(
      await fails('import', '--lsmem', 'test/fixtures/malformed/lsmem-de.txt'),
      /lsmem-de\.txt:2: .*LC_ALL=C/,
    );
    assert.match(await fails('import', '--iomem', 'test/fixtures/malformed/iomem-nonroot'), /run|root/);
    assert.match(await fails('import', LAPTOP, '--arch', 'vax'), /unknown arch 'vax'/);
    assert.match(await fails('import', LAPTOP, '--arch', 'arm64-64k'), /memoryBlockSize/);
    assert.match(await fails('export', 'dimm-hotplug'), /--out DIR is required/);
    assert.match(await fails('export', 'dimm-hotplug', '--out', tmp, '--format', 'dmesg'), /--format dmesg/);
    assert.match(await fails('export', 'dimm-hotplug', '--out', tmp, '--after', '99'), /only 7 steps/);
    assert.match(await fails('capture'), /exactly one DIR/);
    assert.match(await fails('capture', tmp), /not a capture directory/);
    assert.match(await fails('run', 'test/fixtures/malformed'), /not a capture or export directory/);
    assert.match(
      await fails('export', 'dimm-hotplug', '--out', join(tmp, 'note.txt', 'x')),
      /note\.txt: is not a directory\n$/,
    );
    assert.match(await fails('import', LAPTOP, '-o', join(tmp, 'note.txt', 'x.json')), /ENOTDIR/);
    assert.match(await fails('import', '--sysfs', join(tmp, 'note.txt')), /not a sysfs memory tree/);
    assert.match(
      await fails('export', 'dimm-hotplug', '--out', join(tmp, 'note.txt')),
      /note\.txt: exists and is not a directory\n$/,
    );
    // An empty --format (an unset variable) was read as every format.
    assert.match(
      await fails('export', 'dimm-hotplug', '--out', tmp, '--format', ''),
      /--format '' names no format/,
    );
    // A file where a directory goes: which options take single files.
    assert.match(await fails('import', join(tmp, 'note.txt')), /is a file, .*--lsmem, --iomem, --zoneinfo/);
    // Where a parent exists but cannot hold children, export and capture spun forever in mkdirSync.
    if (existsSync('/proc/self')) {
      assert.match(
        await fails('export', 'dimm-hotplug', '--out', '/proc/pfnlab-x/y'),
        /^pfnlab: \/proc\/pfnlab-x: .*ENOENT/,
      );
      assert.match(await fails('capture', '/proc/pfnlab-x'), /ENOENT/);
    }
  });

  it('bad files: one printable line naming the file (JSON, binary, raw lsmem, no memory, an empty sysroot)', async () => {
    const tmp = scratchDir('cli-files');
    const file = (name: string, content: string | Buffer) => {
      writeFileSync(join(tmp, name), content);
      return join(tmp, name);
    };
    assert.match(
      await fails('run', file('garbage.json', 'garbage here %%%\n')),
      /garbage\.json:1:1: not valid JSON \(expected a value, found 'g'\)\n$/,
    );
    const binary = await fails(
      'run',
      file('binary.json', Buffer.from([0x7b, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0x0a])),
    );
    assert.match(binary, /binary\.json: not valid JSON \(binary data, not text\)\n$/);
    assert.match(
      await fails('import', '--iomem', file('iomem.bin', Buffer.from([0, 1, 2, 0xff, 10]))),
      /iomem\.bin: binary data: not \/proc\/iomem text\n$/,
    );
    const raw = file(
      'raw.txt',
      'RANGE SIZE STATE REMOVABLE BLOCK\n0x0000000000000000-0x0000000007ffffff 128M online yes 0\n',
    );
    assert.match(
      await fails('import', '--lsmem', raw),
      /raw\.txt:1: lsmem -r \(raw\) output is not supported/,
    );
    assert.match(
      await fails('import', '--lsmem', file('none.json', '{"memory": []}\n')),
      /none\.json: no memory blocks at all/,
    );
    const cap = join(tmp, 'cap5');
    assert.match(await fails('capture', cap, '--root', tmp), /nothing to capture/);
    assert.equal(existsSync(cap), false);
  });

  it('a capture missing the blocks of its kmem memory imports with a note, no stack trace; an lsmem table short of its totals is refused', async () => {
    const f = 'test/fixtures/machines/pmem-devdax';
    const doc = JSON.parse(readFileSync(`${f}/lsmem.json`, 'utf8'));
    doc.memory.pop();
    const lsmem = join(scratchDir('cli'), 'lsmem-lastrow.json');
    writeFileSync(lsmem, JSON.stringify(doc));
    const r = await cli(
      'import',
      '--lsmem',
      lsmem,
      '--iomem',
      `${f}/proc/iomem`,
      '--zoneinfo',
      `${f}/proc/zoneinfo`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /TypeError|\n\s+at /);
    assert.match(r.stderr, /has no memory209-memory215 in .*\(a partial copy\?\)/);
    const cut = join(scratchDir('cli'), 'lsmem-cut.txt');
    const table = readFileSync('test/fixtures/machines/old-kernel-4.19/lsmem.txt', 'utf8').split('\n');
    writeFileSync(cut, [...table.slice(0, 2), ...table.slice(3)].join('\n'));
    assert.match(
      await fails('import', '--lsmem', cut),
      /lsmem-cut\.txt:5: the rows add up to 128M, but the summary says 2G/,
    );
  });

  it('verify takes a capture directory as run does; run shows how import chose the arch', async () => {
    const dir = join(scratchDir('cli'), 'cap');
    await cli('export', 'dimm-hotplug', '--after', '2', '--out', dir);
    const r = await fails('verify', dir, '--kernel', join(dir, 'no-vmlinuz'));
    assert.match(r, /--kernel .*no-vmlinuz: no such file/);
    rmSync(join(dir, 'pfnlab-machine.json'));
    const run = await cli('run', dir);
    assert.match(run.stdout.split('\n')[0], /page size 4K: zoneinfo's \d+ present pages .*arch x86_64/);
  });
});
