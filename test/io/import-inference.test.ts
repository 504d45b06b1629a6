/**
 * What import infers where the files leave it open: the page size when
 * memory is offline or the files disagree, hot-added ranges told by zone
 * spans, soft-reserved and CXL ranges, disabled dax devices, kmem's zone.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXPORT_FORMATS, exportMachine } from '../../src/io/export/index.js';
import { type ImportSources, importMachine } from '../../src/io/import/index.js';
import { loadScenario, scenarioFromJson } from '../../src/io/scenario.js';
import { InputError } from '../../src/model/errors.js';
import type { Machine } from '../../src/model/machine.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import { validZones } from '../../src/ops/zone-policy.js';
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
  return [...m.blocks.values()].map((b) => `${b.id} ${b.state} ${validZones(m, b).join(' ')}`);
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
