/**
 * What import infers where the files leave it open: the page size when
 * memory is offline or the files disagree, hot-added ranges told by zone
 * spans, soft-reserved and CXL ranges, disabled dax devices, kmem's zone.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { EXPORT_FORMATS, exportMachine } from '../../src/io/export/index.js';
import { type ImportSources, importMachine } from '../../src/io/import/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import type { Machine } from '../../src/model/machine.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import { validZones } from '../../src/ops/zone-policy.js';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { scratchDir } from '../helpers.js';

const MACHINES = 'test/fixtures/machines';

/** The import error of `src`: one line. */
function importError(src: ImportSources): InputError {
  try {
    importMachine(src);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    assert.doesNotMatch(e.message, /\n/);
    return e;
  }
  assert.fail('expected an InputError');
}

/** Export a machine with every format, without the manifest (as a copy of the files alone would be). */
function exportWithoutManifest(m: Machine, name: string): string {
  const dir = join(scratchDir('infer'), name);
  exportMachine(m, dir, { formats: EXPORT_FORMATS });
  rmSync(join(dir, 'pfnlab-machine.json'));
  return dir;
}

function blockStates(m: Machine): string[] {
  return [...m.blocks.values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => `${b.id} ${b.state} ${validZones(m, b).join(' ')}`);
}

/** An x86 machine with 16 GiB hot-added and never onlined: present pages count none of it. */
const OFFLINE_DIMM = {
  name: 'offline-dimm',
  arch: 'x86_64',
  boot: [
    { start: '0x1000', size: '0x9e000' },
    { start: '0x100000', size: '0xbff00000' },
    { start: '4G', size: '4G' },
  ],
  steps: [{ op: 'add_memory', start: '16G', size: '16G' }],
};

describe('import: the page size and arch', () => {
  const machine = runScenario(scenarioFromJson(OFFLINE_DIMM, 'offline-dimm')).machine;
  const dir = exportWithoutManifest(machine, 'offline-dimm');

  it('leaves memory the blocks show offline out of the RAM held against present pages', () => {
    const r = importMachine({ dir });
    assert.equal(r.scenario.arch, 'x86_64');
    assert.match(r.report.inferred.join('\n'), /page size 4K: .* \(16G offline left out\)/);
    assert.deepEqual(r.scenario.steps, [{ op: 'add_memory', start: '0x400000000', size: '16G', node: 0 }]);
    assert.deepEqual(blockStates(r.machine), blockStates(machine));
    assert.deepEqual(r.report.mismatches, []);
    // run DIR prints the description: how the arch was chosen is visible there too.
    assert.match(r.converted.description!, /page size 4K: zoneinfo's \d+ present pages/);
  });

  it('refuses a ratio near no page size (offline memory nothing shows), without x86 entries to go by', () => {
    const e = importError({ iomem: `${dir}/proc/iomem`, zoneinfo: `${dir}/proc/zoneinfo` });
    assert.equal(e.where, `${dir}/proc/zoneinfo`);
    assert.match(e.problem, /cannot tell the page size: .* near none of 4K, 16K, 64K .*pass --arch/);
  });

  it('files of two machines never make a 64K arm64: x86 entries win, and the report says the pages do not fit', () => {
    const r = importMachine({
      iomem: `${MACHINES}/x86-laptop/proc/iomem`,
      zoneinfo: `${MACHINES}/arm64-64k/proc/zoneinfo`,
    });
    assert.equal(r.scenario.arch, 'x86_64');
    assert.match(r.report.inferred.join('\n'), /page size 4K: \/proc\/iomem has x86's legacy .*'System ROM'/);
    assert.match(r.report.mismatches[0], /present pages .* make \d+ bytes a page, not 4K/);
    const e = importError({
      iomem: `${MACHINES}/arm64-64k/proc/iomem`,
      zoneinfo: `${MACHINES}/x86-laptop/proc/zoneinfo`,
    });
    assert.match(e.problem, /cannot tell the page size/);
  });

  it('a zoneinfo cut at a zone boundary is refused before it can skew the page size', () => {
    const text = readFileSync(`${MACHINES}/vm-hotplug-dimms/proc/zoneinfo`, 'utf8');
    const cut = join(scratchDir('infer'), 'zoneinfo');
    writeFileSync(cut, text.slice(0, text.indexOf('Node 0, zone  Movable')));
    const e = importError({ iomem: `${MACHINES}/vm-hotplug-dimms/proc/iomem`, zoneinfo: cut });
    assert.match(e.where, /zoneinfo:\d+$/);
    assert.match(e.problem, /zones stop at Normal: .*truncated/);
  });
});

describe('import: hot-added ranges the zone spans give away', () => {
  const cases: [string, number[]][] = [
    ['verify/normal-block-refuses-offline', [3, 4, 5, 6, 7, 8]],
    ['verify/virtio-mem-growth', [3, 4, 5, 6]],
  ];
  for (const [name, afters] of cases) {
    it(`${name}: a DIMM above the end of boot memory is hot-added, whatever its zones (after ${afters.join(', ')})`, () => {
      const scenario = loadScenario(name);
      for (const after of afters) {
        const { machine } = runScenario(scenario, { operations: after });
        const dir = join(scratchDir('infer'), `${name.replace('/', '-')}-${after}`);
        exportMachine(machine, dir, { formats: EXPORT_FORMATS });
        const r = importMachine({ dir });
        const where = `${name} after ${after}`;
        assert.deepEqual(
          (r.scenario.boot as { start: string }[]).map((b) => b.start),
          ['0x1000', '0x100000'],
          where,
        );
        assert.match(
          r.report.inferred.join('\n'),
          /DMA32 span ends at 0x1ffdf000 .*short of the zone's limit/,
        );
        assert.deepEqual(r.report.mismatches, [], where);
        assert.deepEqual(blockStates(r.machine), blockStates(machine), where);
      }
    });
  }
});

const IOMEM_HEAD =
  '00000000-00000fff : Reserved\n00001000-0009efff : System RAM\n00100000-7fffffff : System RAM\n';

function iomemFile(lines: string): string {
  const file = join(scratchDir('infer'), 'iomem');
  writeFileSync(file, IOMEM_HEAD + lines);
  return file;
}

describe('import: soft-reserved memory, CXL windows and dax devices', () => {
  it('only a dax device is ZONE_DEVICE memory; a window or hmem device without one, or a bare range, is skipped and said', () => {
    const iomem = iomemFile(
      [
        '1880000000-207fffffff : Soft Reserved',
        '  1880000000-207fffffff : CXL Window 1',
        '2080000000-20ffffffff : Soft Reserved',
        '2100000000-217fffffff : Soft Reserved',
        '  2100000000-217fffffff : hmem.0',
        '    2100000000-217fffffff : dax0.0',
        '2180000000-21ffffffff : CXL Window 2',
        '  2180000000-21ffffffff : region0',
        '    2180000000-21ffffffff : dax1.0',
        '',
      ].join('\n'),
    );
    const r = importMachine({ iomem });
    assert.deepEqual(
      r.scenario.steps.map((s) => `${s.op} ${s.start} ${s.type} ${s.id}`),
      ['memremap 0x2100000000 generic dax0.0', 'memremap 0x2180000000 generic dax1.0'],
    );
    const skipped = r.report.skipped.join('\n');
    assert.match(
      skipped,
      /:5: CXL Window 1 0x1880000000-0x207fffffff under Soft Reserved holds no dax device/,
    );
    assert.match(skipped, /:6: Soft Reserved 0x2080000000-0x20ffffffff is claimed by no driver/);
    const inferred = r.report.inferred.join('\n');
    assert.match(
      inferred,
      /:9: memremap generic dax0\.0 0x2100000000-0x217fffffff: a dax device under Soft Reserved/,
    );
    assert.match(inferred, /:12: memremap generic dax1\.0 .*under CXL Window 2/);
  });

  it('a disabled devdax device has no pgmap: no memremap, and the report says so', () => {
    const dax = join(scratchDir('infer'), 'dax-disabled.json');
    writeFileSync(dax, '[{"chardev":"dax1.0","size":4225761280,"mode":"devdax","state":"disabled"}]\n');
    const f = `${MACHINES}/pmem-devdax`;
    const r = importMachine({
      lsmem: `${f}/lsmem.json`,
      iomem: `${f}/proc/iomem`,
      zoneinfo: `${f}/proc/zoneinfo`,
      daxctl: [dax],
    });
    assert.deepEqual(
      r.scenario.steps.filter((s) => s.op === 'memremap').map((s) => s.id),
      ['pmem0'],
    );
    assert.equal(r.machine.pgmaps.has('dax1.0'), false);
    assert.match(
      r.report.inferred.join('\n'),
      /dax1\.0 is disabled: no pgmap mapped, so no memremap for .*iomem:19/,
    );
  });

  it("kmem memory onlines to the zone the files show, daxctl's movable, else the kernel's default zone (and says so)", () => {
    const iomem = iomemFile(
      '100000000-13fffffff : Soft Reserved\n  100000000-13fffffff : dax0.0\n    100000000-13fffffff : System RAM (kmem)\n',
    );
    const plain = importMachine({ iomem });
    assert.deepEqual(plain.scenario.steps, [
      { op: 'add_memory', start: '0x100000000', size: '1G', node: 0 },
      { op: 'online', start: '0x100000000', size: '1G' },
    ]);
    assert.match(
      plain.report.unknown.join('\n'),
      /the zone of dax0\.0's kmem memory .*kernel's default zone/,
    );
    const daxctl = join(scratchDir('infer'), 'daxctl.json');
    writeFileSync(daxctl, '[{"chardev":"dax0.0","mode":"system-ram","movable":true,"online_memblocks":8}]\n');
    const movable = importMachine({ iomem, daxctl: [daxctl] });
    assert.deepEqual(movable.scenario.steps[1], {
      op: 'online',
      start: '0x100000000',
      size: '1G',
      zone: 'movable',
    });
    writeFileSync(daxctl, '[{"chardev":"dax0.0","mode":"system-ram","online_memblocks":0}]\n');
    const offline = importMachine({ iomem, daxctl: [daxctl] });
    assert.deepEqual(
      offline.scenario.steps.map((s) => s.op),
      ['add_memory'],
    );
  });
});

/** A scenario run to `after` steps, exported with every format (and the manifest unless told). */
function exported(json: object, after: number, manifest = true): { machine: Machine; dir: string } {
  const scenario = scenarioFromJson(json, 'test');
  const { machine } = runScenario(scenario, { operations: after });
  const dir = join(scratchDir('infer'), `${scenario.name}-${after}`);
  exportMachine(machine, dir, { formats: EXPORT_FORMATS });
  if (!manifest) rmSync(join(dir, 'pfnlab-machine.json'));
  return { machine, dir };
}

function zoneSpans(m: Machine): string[] {
  return [...m.nodes.values()].flatMap((n) =>
    n.zones
      .filter((z) => z.spannedPages > 0)
      .map((z) => `node${n.nid} ${z.name} ${z.zoneStartPfn}+${z.spannedPages} present ${z.presentPages}`),
  );
}

function steps(r: { scenario: { steps: Record<string, unknown>[] } }, op: string): string[] {
  return r.scenario.steps
    .filter((s) => s.op === op)
    .map((s) => [s.start, s.size, s.zone, s.type, s.id].filter((v) => v !== undefined).join(' '));
}

describe('import: blocks the files leave out of a hot-added range', () => {
  it('a kmem range with no blocks in lsmem is added and onlined as zoneinfo shows, and said, not a crash', () => {
    const f = `${MACHINES}/pmem-devdax`;
    const doc = JSON.parse(readFileSync(`${f}/lsmem.json`, 'utf8'));
    doc.memory.pop();
    const lsmem = join(scratchDir('infer'), 'lsmem-lastrow.json');
    writeFileSync(lsmem, JSON.stringify(doc, null, 3));
    const r = importMachine({ lsmem, iomem: `${f}/proc/iomem`, zoneinfo: `${f}/proc/zoneinfo` });
    assert.deepEqual(steps(r, 'add_memory'), ['0x688000000 896M']);
    assert.deepEqual(steps(r, 'online'), ['0x688000000 896M movable']);
    assert.match(
      r.report.mismatches.join('\n'),
      /iomem:23: hot-added System RAM 0x688000000-0x6bfffffff has no memory209-memory215 in .*lsmem-lastrow\.json \(a partial copy\?\)/,
    );
    assert.match(
      r.report.mismatches.join('\n'),
      /memory209-memory215 exist in the model but not on the machine/,
    );
  });
});

describe('import: the page size and arch from lsmem and zoneinfo alone', () => {
  const only = (dir: string) => ({ lsmem: `${dir}/lsmem.json`, zoneinfo: `${dir}/proc/zoneinfo` });

  it('counts the memory lsmem shows: arm64 and ppc64 exports are no longer x86 (or refused)', () => {
    for (const after of [0, 2, 4]) {
      const { machine, dir } = exported(JSON.parse(readFileSync('scenarios/arm64-64k.json', 'utf8')), after);
      const r = importMachine(only(dir));
      assert.equal(r.scenario.arch, 'arm64-64k', `after ${after}`);
      assert.match(r.report.inferred.join('\n'), /page size 64K: .* in online memory blocks/);
      assert.deepEqual(blockStates(r.machine), blockStates(machine), `after ${after}`);
    }
    const ppc = { name: 'ppc', arch: 'ppc64-64k', boot: [{ start: '0', size: '2G' }] };
    assert.equal(importMachine(only(exported(ppc, 0).dir)).scenario.arch, 'ppc64-64k');
  });

  it('memory lsmem shows above 2^46 needs 5-level paging', () => {
    const x5 = {
      name: 'x5',
      arch: 'x86_64-5level',
      overrides: { sectionsPerRoot: 4 },
      boot: [{ start: '0', size: '1G' }],
      steps: [
        { op: 'add_memory', start: '0x1000000000000', size: '256M' },
        { op: 'online', start: '0x1000000000000', size: '256M' },
      ],
    };
    assert.equal(importMachine(only(exported(x5, 2).dir)).scenario.arch, 'x86_64-5level');
  });

  it('whole blocks bound the RAM from above: holes inside them keep the page size, huge blocks do not inflate it', () => {
    const holes = {
      name: 'holes',
      arch: 'x86_64',
      boot: [
        { start: '0', size: '512M' },
        { start: '1G', size: '64M' },
      ],
    };
    assert.equal(importMachine(only(exported(holes, 0).dir)).scenario.arch, 'x86_64');
    const huge = {
      name: 'huge',
      arch: 'x86_64',
      overrides: { sectionSizeBits: 34, memoryBlockSize: '16G' },
      boot: [
        { start: '0', size: '3G' },
        { start: '0x100000000', size: '0x5200000' },
      ],
      steps: [{ op: 'add_memory', start: '32G', size: '16G' }],
    };
    assert.match(importMachine(only(exported(huge, 1).dir)).report.inferred.join('\n'), /page size 4K/);
  });

  it('refusing for want of boot memory under an inferred arch suggests --arch', () => {
    const iomem = join(scratchDir('infer'), 'iomem-kmem');
    writeFileSync(iomem, '100000000-13fffffff : dax0.0\n  100000000-13fffffff : System RAM (kmem)\n');
    const e = importError({ iomem });
    assert.match(
      e.problem,
      /no boot memory: every range looks hot-added \(for x86_64, which was inferred.*pass --arch\)/,
    );
    assert.throws(
      () => importMachine({ iomem }, { arch: 'x86_64' }),
      (err) => err instanceof InputError && err.problem === 'no boot memory: every range looks hot-added',
    );
  });
});

/** arm64-4k, DRAM 1G-4G (ZONE_DMA ends at 4G with it), 1 GiB hot-added at 5G and onlined to the default zone. */
const ARM_GAP = {
  name: 'arm-gap',
  arch: 'arm64-4k',
  boot: [{ start: '1G', size: '3G' }],
  steps: [
    { op: 'add_memory', start: '5G', size: '1G' },
    { op: 'online', start: '5G', size: '1G' },
  ],
};

/** x86_64 whose boot RAM ends at 4G (ZONE_DMA32's limit); 1 GiB hot-added at 8G, default zone. */
const X86_GAP = {
  name: 'x86-gap',
  arch: 'x86_64',
  boot: [
    { start: '0', size: '2G' },
    { start: '0xf0000000', size: '256M' },
  ],
  steps: [
    { op: 'add_memory', start: '8G', size: '1G' },
    { op: 'online', start: '8G', size: '1G' },
  ],
};

/** Three nodes; node 0 gets a DIMM at 4G after node 2 got one at 20G. */
const NUMA = {
  name: 'numa',
  arch: 'x86_64',
  boot: [
    { start: '0', size: '2G', node: 0 },
    { start: '8G', size: '4G', node: 1 },
    { start: '16G', size: '2G', node: 2 },
  ],
  steps: [
    { op: 'add_memory', start: '20G', size: '1G', node: 2 },
    { op: 'online', start: '20G', size: '1G', zone: 'movable' },
    { op: 'add_memory', start: '4G', size: '1G', node: 0 },
    { op: 'online', start: '4G', size: '1G' },
  ],
};

/** Holes, nodes added by hotplug, and every kind of device range. */
const HOLES_NODES = {
  name: 'holes-nodes',
  arch: 'x86_64',
  boot: [
    { start: '0x1000', size: '0x9e000' },
    { start: '0x100000', size: '0x3ff00000' },
    { start: '0x40100000', size: '0x3000' },
    { start: '0x48000000', size: '100M' },
    { start: '4G', size: '1G' },
  ],
  steps: [
    { op: 'add_memory', start: '8G', size: '256M', node: 1 },
    { op: 'add_memory', start: '12G', size: '128M', node: 2 },
    { op: 'online', start: '8G', size: '128M', zone: 'movable' },
    { op: 'online', start: '0x208000000', size: '128M' },
    { op: 'online', start: '12G', size: '128M', zone: 'normal' },
    { op: 'memremap', start: '0x4e800000', size: '2M', type: 'devdax', id: 'd1' },
    { op: 'memremap', start: '0x4ec00000', size: '6M', type: 'fsdax', altmap: { reserve: '2M' }, id: 'd2' },
    { op: 'memremap', start: '0x50000000', size: '2M', type: 'p2pdma', id: 'p1' },
    { op: 'memremap', start: '0x50200000', size: '4M', type: 'device_private', id: 'dp' },
    { op: 'memremap', start: '0x50600000', size: '2M', type: 'generic', id: 'g' },
    { op: 'pin', start: '8G', size: '4K' },
    { op: 'offline', start: '8G', size: '128M', expect: 'EBUSY' },
    { op: 'unpin', start: '8G', size: '4K' },
    { op: 'offline', start: '8G', size: '128M' },
    { op: 'memunmap', id: 'd2' },
    { op: 'memunmap', id: 'p1' },
  ],
};

describe('import: hot-added memory the zone starts give away', () => {
  for (const json of [ARM_GAP, X86_GAP]) {
    it(`${json.name}: ZONE_NORMAL starting above its limit, past a gap with no RAM, is hot-added memory`, () => {
      const { machine, dir } = exported(json, 2);
      const r = importMachine({ dir });
      assert.deepEqual(steps(r, 'add_memory'), [
        `${json.steps[0].start === '5G' ? '0x140000000' : '0x200000000'} 1G`,
      ]);
      assert.match(
        r.report.inferred.join('\n'),
        /taken as hot-added: node 0's Normal span starts at 0x[0-9a-f]+ .*above 0x100000000 where boot would have started it/,
      );
      assert.deepEqual(zoneSpans(r.machine), zoneSpans(machine));
      assert.deepEqual(r.report.mismatches, []);
    });
  }
});

describe('import: boot and hot-added memory told apart per node', () => {
  it('a DIMM hot-added on node 0 leaves the boot memory of nodes 1 and 2 boot memory', () => {
    const { machine, dir } = exported(NUMA, 4);
    const r = importMachine({ dir });
    assert.deepEqual(
      (r.scenario.boot as { start: string; node: number }[]).map((b) => `${b.start} node${b.node}`),
      ['0x0 node0', '0x200000000 node1', '0x400000000 node2'],
    );
    assert.deepEqual(steps(r, 'add_memory'), ['0x100000000 1G', '0x500000000 1G']);
    assert.deepEqual(zoneSpans(r.machine), zoneSpans(machine));
    assert.deepEqual(r.report.mismatches, []);
  });

  it('ZONE_MOVABLE below ZONE_NORMAL on a node is hot-added memory, not boot memory onlined movable', () => {
    const { machine, dir } = exported(HOLES_NODES, 7);
    const r = importMachine({ dir });
    assert.ok(steps(r, 'add_memory').includes('0x200000000 256M'), steps(r, 'add_memory').join(', '));
    assert.deepEqual(steps(r, 'online').slice(0, 2), ['0x200000000 128M movable', '0x208000000 128M normal']);
    const inferred = r.report.inferred.join('\n');
    assert.match(inferred, /memory64 is in ZONE_MOVABLE below ZONE_NORMAL memory of node 1/);
    assert.doesNotMatch(inferred, /boot memory that is in ZONE_MOVABLE/);
    assert.deepEqual(blockStates(r.machine), blockStates(machine));
    assert.deepEqual(r.report.mismatches, []);
  });
});

describe('import: the block size assumed without sysfs or lsmem', () => {
  it('a DIMM onlined movable far above 64G of address leaves the block at the 128M of a 10G machine', () => {
    const dimm = {
      name: 'dimm66',
      arch: 'x86_64',
      boot: [
        { start: '0', size: '2G' },
        { start: '4G', size: '6G' },
      ],
      steps: [
        { op: 'add_memory', start: '66G', size: '1G' },
        { op: 'online', start: '66G', size: '1G', zone: 'movable' },
      ],
    };
    const { machine, dir } = exported(dimm, 2);
    const r = importMachine({ iomem: `${dir}/proc/iomem`, zoneinfo: `${dir}/proc/zoneinfo` });
    assert.equal(r.report.blockSize, 128 * 2 ** 20);
    assert.deepEqual(steps(r, 'add_memory'), ['0x1080000000 1G']);
    assert.deepEqual(zoneSpans(r.machine), zoneSpans(machine));
    assert.deepEqual(r.report.mismatches, []);
  });

  it('follows the end of boot memory: kmem memory far above it does not count', () => {
    const iomem = join(scratchDir('infer'), 'iomem-cxl');
    writeFileSync(
      iomem,
      [
        '00000000-7fffffff : System RAM',
        '100000000-27fffffff : System RAM',
        '1000000000-17ffffffff : CXL Window 0',
        '  1080000000-10bfffffff : region0',
        '    1080000000-10bfffffff : dax0.0',
        '      1080000000-10bfffffff : System RAM (kmem)',
        '',
      ].join('\n'),
    );
    const r = importMachine({ iomem });
    assert.equal(r.report.blockSize, 128 * 2 ** 20);
    assert.match(
      r.report.inferred.join('\n'),
      /memory block size 128M assumed .* boot memory ending at 0x280000000/,
    );
    assert.deepEqual(steps(r, 'add_memory'), ['0x1080000000 1G']);
    assert.deepEqual(steps(r, 'online'), ['0x1080000000 1G']);
    assert.deepEqual(r.report.mismatches, []);
  });
});

describe('import: device-private regions below the end of memory', () => {
  it('one that completes the Device span zoneinfo shows is device-private memory; one it does not need is skipped, and said', () => {
    const mapped = importMachine({ dir: exported(HOLES_NODES, 9).dir });
    assert.ok(steps(mapped, 'memremap').includes('0x50200000 4M device_private dp'));
    assert.match(
      mapped.report.inferred.join('\n'),
      /dp 0x50200000-0x505fffff: .*completes node 0's Device span in zoneinfo \(7680 pages\)/,
    );
    // d2 unmapped, p1 unmapped: dax3.0 and the generic range g alone make the span, dp inside it.
    const inside = importMachine({
      dir: exported(
        { ...HOLES_NODES, steps: [...HOLES_NODES.steps.slice(0, 10), ...HOLES_NODES.steps.slice(14)] },
        12,
      ).dir,
    });
    assert.ok(
      !steps(inside, 'memremap').some((s) => s.includes('device_private')),
      steps(inside, 'memremap').join(', '),
    );
    assert.match(
      inside.report.skipped.join('\n'),
      /iomem:\d+: 'dp' 0x50200000-0x505fffff is a top-level region below the end of memory: device-private memory or a driver's MMIO, .*Device spans do not need it/,
    );
  });
});

describe('import: kernel 5.4 keeps the span of memory once online', () => {
  it('a Movable zone spanning exactly the offline hot-added blocks: onlined movable once, then offlined', () => {
    const arm54 = {
      name: 'arm54',
      arch: 'arm64-4k-5.4',
      boot: [{ start: '1G', size: '1G' }],
      steps: [
        { op: 'add_memory', start: '4G', size: '1G' },
        { op: 'online', start: '4G', size: '1G', zone: 'movable' },
        { op: 'offline', start: '4G', size: '1G' },
      ],
    };
    const { machine, dir } = exported(arm54, 3);
    const r = importMachine({ dir });
    assert.deepEqual(
      r.scenario.steps.map((s) => `${s.op} ${s.start} ${s.zone ?? ''}`.trim()),
      ['add_memory 0x100000000', 'online 0x100000000 movable', 'offline 0x100000000'],
    );
    assert.deepEqual(blockStates(r.machine), blockStates(machine));
    assert.deepEqual(zoneSpans(r.machine), zoneSpans(machine));
    assert.deepEqual(r.report.mismatches, []);
  });
});
