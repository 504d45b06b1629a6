import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ImportSources, importMachine } from '../../src/io/import/index.js';
import { checkInvariants } from '../../src/model/invariants.js';
import type { Machine } from '../../src/model/machine.js';
import { ZONE_NAMES } from '../../src/model/page-flags.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import { validZones } from '../../src/ops/zone-policy.js';
import { scratchDir } from '../helpers.js';

const MACHINES = 'test/fixtures/machines';
const GiB = 2 ** 30;

/** Import, run the scenario afresh, check the invariants. */
function load(src: ImportSources) {
  const r = importMachine(src);
  const { machine } = runScenario(r.converted);
  assert.deepEqual(checkInvariants(machine), []);
  return { ...r, machine };
}

function zone(m: Machine, nid: number, name: string) {
  const z = m.nodes.get(nid)!.zones[ZONE_NAMES.indexOf(name as never)];
  return { start: z.zoneStartPfn, spanned: z.spannedPages, present: z.presentPages };
}

function blockSummary(m: Machine, id: number): string {
  const b = m.blocks.get(id)!;
  return `${b.state} ${validZones(m, b).join(' ')} node${b.nid}`;
}

describe('import corpus', () => {
  it('x86 laptop: DMA/DMA32/Normal, a hole below 4 GiB, block size from lsmem alone', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/x86-laptop` });
    assert.equal(scenario.arch, 'x86_64');
    assert.equal(report.blockSize, 128 * 2 ** 20);
    assert.match(report.inferred.join('\n'), /block size 128M from lsmem alone/);
    assert.deepEqual(
      (scenario.boot as { start: string }[]).map((b) => b.start),
      ['0x1000', '0x100000', '0x40400000', '0x8d3ff000', '0x100000000'],
    );
    assert.deepEqual(scenario.steps, []);
    assert.deepEqual(zone(machine, 0, 'DMA'), { start: 1, spanned: 4095, present: 3998 });
    assert.deepEqual(zone(machine, 0, 'DMA32'), { start: 4096, spanned: 1044480, present: 560587 });
    assert.equal(machine.blocks.size, 18 + 110);
    assert.equal(blockSummary(machine, 0), 'online none node0');
    assert.deepEqual(report.mismatches, [], 'the model reproduces every block and zone');
  });

  it('server with 2 GiB blocks on two nodes', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/server-2g-blocks` });
    assert.equal(report.blockSize, 2 * GiB);
    assert.deepEqual((scenario.boot as unknown[])[3], { start: '0x3080000000', size: '192G', node: 1 });
    assert.deepEqual(zone(machine, 1, 'Normal'), { start: 50855936, spanned: 50331648, present: 50331648 });
    assert.equal(blockSummary(machine, 97), 'online Normal node1');
    assert.equal(blockSummary(machine, 1), 'online DMA32 node0');
    assert.deepEqual(report.mismatches, []);
  });

  it('arm64 with blocks numbered from 8192 and all memory in ZONE_DMA (Apple-like, 16K pages)', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/arm64-blocks-from-8192` });
    assert.equal(scenario.arch, 'arm64-16k');
    assert.deepEqual([Math.min(...machine.blocks.keys()), Math.max(...machine.blocks.keys())], [8192, 8255]);
    assert.equal(machine.blocks.has(0), false);
    assert.equal((scenario.overrides as Record<string, string>).zoneDmaLimit, '0x10200000000');
    assert.equal(blockSummary(machine, 8224), 'online DMA node0');
    // The 2 MiB nomap carve-out is present to the kernel but no System RAM: said, not hidden.
    assert.deepEqual(report.mismatches, ['Node 0, zone DMA (machine vs model): present 524288 vs 524160']);
  });

  it('arm64 64K pages: 512 MiB blocks and a movable DIMM; a pcie@ window is not device memory', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/arm64-64k` });
    assert.equal(scenario.arch, 'arm64-64k');
    assert.equal(report.blockSize, 512 * 2 ** 20);
    assert.deepEqual(scenario.steps, [
      { op: 'add_memory', start: '0x800000000', size: '1G', node: 0 },
      { op: 'online', start: '0x800000000', size: '1G', zone: 'movable' },
    ]);
    assert.deepEqual(zone(machine, 0, 'Movable'), { start: 524288, spanned: 16384, present: 16384 });
    assert.equal(machine.pgmaps.size, 0);
    assert.deepEqual(report.mismatches, []);
  });

  it('pmem: fsdax and devdax with altmaps, and a kmem device as hot-added movable memory on node 1', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/pmem-devdax` });
    assert.deepEqual(scenario.steps, [
      { op: 'add_memory', start: '0x688000000', size: '896M', node: 1 },
      { op: 'online', start: '0x688000000', size: '896M', zone: 'movable' },
      {
        op: 'memremap',
        start: '0x480000000',
        size: '4G',
        type: 'fsdax',
        id: 'pmem0',
        node: 0,
        altmap: { reserve: '8K' },
      },
      {
        op: 'memremap',
        start: '0x580000000',
        size: '4G',
        type: 'devdax',
        id: 'dax1.0',
        node: 0,
        altmap: { reserve: '2M' },
      },
    ]);
    assert.equal(zone(machine, 0, 'Device').spanned, 2097152);
    assert.deepEqual(zone(machine, 1, 'Movable'), { start: 6848512, spanned: 229376, present: 229376 });
    const dax = machine.pgmaps.get('dax1.0')!;
    assert.equal(
      dax.altmap!.reserve + dax.altmap!.free,
      (66 * 2 ** 20) / 4096,
      'the namespace claims info block + memmap',
    );
    assert.equal(machine.truthOf(0x580000).state, 'driver-reserved');
    assert.equal(machine.truthOf(0x584200).state, 'device');
    assert.match(report.inferred.join('\n'), /namespace2\.0's dax device is System RAM \(kmem\)/);
    assert.deepEqual(report.mismatches, []);
  });

  it('VM with hot-added DIMMs: one Normal (a resource of its own), one movable, one offline', () => {
    const { scenario, report, machine } = load({ dir: `${MACHINES}/vm-hotplug-dimms` });
    assert.deepEqual(
      scenario.steps.map((s) => `${s.op} ${s.start} ${s.zone ?? ''}`.trim()),
      [
        'add_memory 0x140000000',
        'add_memory 0x180000000',
        'add_memory 0x1c0000000',
        'online 0x140000000 normal',
        'online 0x180000000 movable',
      ],
    );
    assert.equal(blockSummary(machine, 40), 'online Normal node0');
    assert.equal(blockSummary(machine, 48), 'online Movable node0');
    assert.equal(blockSummary(machine, 56), 'offline Normal Movable node0');
    assert.equal(machine.blocks.get(32)!.early, true);
    assert.equal(machine.blocks.get(40)!.early, false);
    assert.deepEqual(report.mismatches, []);
  });

  it('a 4.19 machine: old zoneinfo field set and lsmem text; 5.4 behaviour', () => {
    const dir = `${MACHINES}/old-kernel-4.19`;
    const { scenario, report, machine } = load({
      lsmem: `${dir}/lsmem.txt`,
      iomem: `${dir}/proc/iomem`,
      zoneinfo: `${dir}/proc/zoneinfo`,
    });
    assert.equal(scenario.kernel, '5.4');
    assert.match(report.inferred.join('\n'), /from the lsmem summary/);
    assert.deepEqual(zone(machine, 0, 'DMA32'), { start: 4096, spanned: 520160, present: 520160 });
    assert.deepEqual(report.mismatches, []);
  });

  it('without /proc/iomem: online kernel blocks are boot memory, offline and movable ones hot-added (and it says so)', () => {
    const dir = `${MACHINES}/vm-hotplug-dimms`;
    const { scenario, report, machine } = load({ sysfs: dir, zoneinfo: `${dir}/proc/zoneinfo` });
    assert.match(report.unknown.join('\n'), /without \/proc\/iomem/);
    // Boot memory is whole blocks, trimmed to the node span zoneinfo shows.
    assert.deepEqual((scenario.boot as unknown[])[0], { start: '0x1000', size: '3145724K', node: 0 });
    assert.equal(blockSummary(machine, 48), 'online Movable node0');
    assert.equal(blockSummary(machine, 56), 'offline Normal Movable node0');
    // The Normal DIMM is taken for boot memory: its block is early here, and nothing else differs.
    assert.equal(machine.blocks.get(40)!.early, true);
  });

  it('lsmem without a BLOCK column: the block size is the largest power of two dividing every row', () => {
    const doc = JSON.parse(readFileSync(`${MACHINES}/server-2g-blocks/lsmem.json`, 'utf8'));
    for (const row of doc.memory) delete row.block;
    const file = join(scratchDir('noblock'), 'lsmem.json');
    writeFileSync(file, JSON.stringify(doc, null, 3));
    const { report, machine } = load({ lsmem: file, zoneinfo: `${MACHINES}/server-2g-blocks/proc/zoneinfo` });
    assert.equal(report.blockSize, 2 * GiB);
    assert.match(report.inferred.join('\n'), /largest power of two dividing every row/);
    assert.equal(machine.blocks.get(97)?.nid, 1);
  });

  it('only /proc/iomem and zoneinfo: blocks are taken as online, zones from the Movable span, and it says so', () => {
    const dir = `${MACHINES}/vm-hotplug-dimms`;
    const { report, machine } = load({ iomem: `${dir}/proc/iomem`, zoneinfo: `${dir}/proc/zoneinfo` });
    assert.match(report.unknown.join('\n'), /every block with System RAM is taken as online/);
    assert.match(report.inferred.join('\n'), /nodes from zoneinfo's node spans/);
    assert.equal(blockSummary(machine, 48), 'online Movable node0');
    // The offline DIMM cannot be told from an online one: zoneinfo's Normal span gives it away.
    assert.equal(machine.blocks.get(56)!.state, 'online');
    assert.match(
      report.mismatches.join('\n'),
      /zone Normal \(machine vs model\): spanned 524288 vs 1048576, present 524288 vs 786432/,
    );
  });
});
