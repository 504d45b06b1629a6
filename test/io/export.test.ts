import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { geometryFor } from '../../src/arch/presets.js';
import {
  EXPORT_FORMATS,
  exportMachine,
  iomemText,
  lsmemJson,
  zoneinfoText,
} from '../../src/io/export/index.js';
import { importMachine } from '../../src/io/import/index.js';
import { parseZoneinfo } from '../../src/io/import/zoneinfo.js';
import { builtinMachine, GiB, MiB, machine, scratchDir } from '../helpers.js';

const dimm = (after: number) => builtinMachine('dimm-hotplug', after);

function lsmemOnPath(): boolean {
  return spawnSync('lsmem', ['--version'], { encoding: 'utf8' }).status === 0;
}

describe('export: sysfs', () => {
  it('block_size_bytes in hex without 0x, memoryN decimal, phys_index %08lx, valid_zones, node links', () => {
    const dir = scratchDir('sysfs');
    exportMachine(dimm(1), dir, { formats: ['sysfs'] });
    const mem = join(dir, 'sys/devices/system/memory');
    const cat = (p: string) => readFileSync(join(mem, p), 'utf8');
    assert.equal(cat('block_size_bytes'), '8000000\n');
    assert.equal(cat('memory130/phys_index'), '00000082\n');
    assert.equal(cat('memory130/state'), 'offline\n');
    assert.equal(cat('memory130/valid_zones'), 'Normal Movable\n', 'the default first, then the alternative');
    assert.equal(cat('memory0/valid_zones'), 'none\n', 'block 0 spans DMA and DMA32');
    assert.equal(cat('memory40/valid_zones'), 'Normal\n');
    assert.equal(cat('memory40/removable'), '1\n');
    assert.equal(readlinkSync(join(mem, 'memory130/node0')), '../../node/node0');
    assert.equal(
      readlinkSync(join(dir, 'sys/devices/system/node/node0/memory130')),
      '../../memory/memory130',
    );
  });

  it('a second export into the same directory leaves no stale blocks', () => {
    const dir = scratchDir('sysfs-again');
    exportMachine(dimm(2), dir, { formats: ['sysfs'] });
    exportMachine(dimm(7), dir, { formats: ['sysfs'] });
    assert.throws(() => readFileSync(join(dir, 'sys/devices/system/memory/memory130/state')));
  });

  it('an export over an earlier one removes all of it, whatever formats each wrote, so import sees one machine', () => {
    const dir = scratchDir('export-again');
    exportMachine(dimm(2), dir, { formats: EXPORT_FORMATS });
    exportMachine(builtinMachine('arm64-64k'), dir, { formats: ['lsmem'] });
    assert.deepEqual(readdirSync(dir).sort(), ['lsmem.json', 'pfnlab-machine.json']);
    assert.equal(importMachine({ dir }).scenario.arch, 'arm64-64k');
  });

  it('never writes over a capture or into a file', () => {
    const capture = scratchDir('export-capture');
    cpSync('test/fixtures/machines/x86-laptop', capture, { recursive: true });
    assert.throws(
      () => exportMachine(dimm(2), capture, { formats: ['lsmem'] }),
      /machine directory pfnlab export did not write/,
    );
    assert.ok(existsSync(join(capture, 'proc/iomem')));
    const file = join(scratchDir('export-file'), 'f.json');
    writeFileSync(file, '{}\n');
    assert.throws(
      () => exportMachine(dimm(2), file, { formats: ['lsmem'] }),
      /f\.json: exists and is not a directory/,
    );
  });
});

describe('export: lsmem --json -b', () => {
  it('libsmartcols layout: 3-space indent, "},{" between rows, typed cells, lsmem merging', () => {
    const text = lsmemJson(dimm(1));
    assert.ok(
      text.startsWith(
        '{\n   "memory": [\n      {\n         "range": "0x0000000000000000-0x0000000007ffffff",\n',
      ),
    );
    assert.match(text, /\n {6}\},\{\n {9}"range"/);
    const rows = JSON.parse(text).memory;
    assert.deepEqual(
      rows.map((r: Record<string, unknown>) => [r.block, r.state, r.removable, r.node, r.zones]),
      [
        ['0', 'online', true, 0, 'None'],
        ['1-23', 'online', true, 0, 'DMA32'],
        ['32-63', 'online', true, 0, 'Normal'],
        ['128-135', 'offline', false, 0, 'Normal/Movable'],
      ],
    );
    assert.equal(rows[3].size, GiB);
  });

  it('-a lists one row per block', () => {
    const rows = JSON.parse(lsmemJson(dimm(1), true)).memory;
    assert.equal(rows.length, 1 + 23 + 32 + 8);
    assert.equal(rows[1].block, '1');
  });

  it('is byte for byte what util-linux lsmem prints for the exported sysfs tree', {
    skip: !lsmemOnPath(),
  }, () => {
    for (const after of [1, 2, 7]) {
      const m = dimm(after);
      const dir = scratchDir('lsmem-real');
      exportMachine(m, dir, { formats: ['sysfs'] });
      for (const all of [false, true]) {
        const args = ['--sysroot', dir, '--json', '-b', '-o', 'RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES'];
        const real = spawnSync('lsmem', all ? [...args, '-a'] : args, {
          encoding: 'utf8',
          env: { ...process.env, LC_ALL: 'C' },
        });
        assert.equal(real.status, 0, real.stderr);
        assert.equal(lsmemJson(m, all), real.stdout, `after ${after}${all ? ' -a' : ''}`);
      }
    }
  });
});

describe('export: /proc/zoneinfo', () => {
  it('every zone of every node, "Node %d, zone %8s", start_pfn only for populated zones', () => {
    const text = zoneinfoText(dimm(2));
    assert.deepEqual(
      text.split('\n').filter((l) => l.startsWith('Node')),
      [
        'Node 0, zone      DMA',
        'Node 0, zone    DMA32',
        'Node 0, zone   Normal',
        'Node 0, zone  Movable',
        'Node 0, zone   Device',
      ],
    );
    assert.equal(text.match(/per-node stats/g)?.length, 1);
    const zones = parseZoneinfo(text, 'zoneinfo').zones;
    assert.deepEqual(
      zones.map((z) => [z.zone, z.startPfn, z.spanned, z.present]),
      [
        ['DMA', 1, 4095, 3998],
        ['DMA32', 4096, 1044480, 782336],
        ['Normal', 0x100000, 1048576, 1048576],
        ['Movable', 0x400000, 262144, 262144],
        ['Device', undefined, 0, 0],
      ],
    );
    assert.match(text, /promo/);
    assert.match(text, /protection: \(0, \d+, \d+, \d+, \d+\)/);
  });

  it('the Device zone shows spanned but stops after protection (no start_pfn), and 5.4 prints its own field set', () => {
    const pmem = builtinMachine('pmem-shares-a-section-with-boot-ram', 3);
    const device = zoneinfoText(pmem).split('Node 0, zone   Device')[1];
    assert.match(device, /spanned {2}16384\n {8}present {2}0\n/);
    assert.doesNotMatch(device, /start_pfn/);
    const old = machine([{ start: 0, size: 2 * GiB }], [], geometryFor('x86_64', { kernel: '5.4' }));
    const text = zoneinfoText(old);
    assert.doesNotMatch(text, /boost|promo|high_min|reserved_highatomic/);
    assert.match(text, /\n {14}count: 0\n {14}high: {2}/);
  });
});

describe('export: /proc/iomem', () => {
  it('r_show() format; pmem under Persistent Memory, device-private named by its driver', () => {
    const fsdax = builtinMachine('pmem-shares-a-section-with-boot-ram', 3);
    assert.equal(
      iomemText(fsdax),
      [
        '00000000-7fffffff : System RAM',
        '100000000-103ffffff : System RAM',
        '104000000-107ffffff : Persistent Memory',
        '  104000000-107ffffff : namespace0.0',
        '200000000-23fffffff : System RAM',
        '',
      ].join('\n'),
    );
    const gpu = builtinMachine('device-private', 2);
    assert.match(iomemText(gpu), /\n1000000000-100fffffff : gpu0\n1020200000-10203fffff : gpu1\n/);
    const dax = builtinMachine('arm64-64k', 3);
    assert.match(
      iomemText(dax),
      /\n800000000-8007fffff : Persistent Memory\n {2}800000000-8007fffff : dax0\.0\n/,
    );
  });

  it('devdax with an altmap: the namespace claims the info block and memmap; touching boot ranges merge', () => {
    const m = machine(
      [
        { start: 0, size: GiB },
        { start: GiB, size: GiB },
      ],
      [
        {
          op: 'memremap',
          start: 4 * GiB,
          size: 64 * MiB,
          type: 'devdax',
          id: 'dax3.0',
          altmap: { reserve: 2 * MiB },
        },
      ],
    );
    assert.equal(
      iomemText(m),
      '00000000-7fffffff : System RAM\n100000000-103ffffff : Persistent Memory\n  100000000-1002fffff : namespace3.0\n',
    );
  });

  it('writes every format plus a manifest that import reads', () => {
    const dir = scratchDir('manifest');
    const files = exportMachine(dimm(2), dir, { formats: EXPORT_FORMATS, scenario: 'dimm-hotplug' });
    assert.ok(
      files.includes('proc/iomem') && files.includes('proc/zoneinfo') && files.includes('lsmem.json'),
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'pfnlab-machine.json'), 'utf8'));
    assert.deepEqual(manifest.host, { machine: 'x86_64', release: '6.19.0', pageSize: 4096 });
  });
});
