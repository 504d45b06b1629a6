import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { geometryFor } from '../../src/arch/presets.js';
import { applyOperation } from '../../src/ops/index.js';
import { bootScenario } from '../../src/ops/scenario-run.js';
import { compareRefusal, compareViews, resourceKind, systemRamRuns } from '../../src/verify/compare.js';
import {
  type IomemView,
  type KernelView,
  modelView,
  readView,
  writeGuestDir,
} from '../../src/verify/view.js';
import { scratchDir } from '../helpers.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const tmp = scratchDir('verify');

/** A real guest snapshot (kernel 6.1 under QEMU, -m 512M): a 256 MiB DIMM at 4 GiB, both blocks online movable. */
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/verify/guest-after-online-movable.json', import.meta.url), 'utf8'),
) as { files: Record<string, string>; links: Record<string, string> };
const guestDir = join(tmp, 'guest');
writeGuestDir(
  guestDir,
  { files: new Map(Object.entries(fixture.files)), links: new Map(Object.entries(fixture.links)) },
  '6.1.0-test',
);
const guest = readView(guestDir);

function modelLikeTheGuest() {
  const geometry = geometryFor('x86_64', { hypervisor: true, memoryBlockSize: guest.blockSize });
  const boot = [
    { start: 0x1000, size: 0x9e000, node: 0 },
    { start: 0x100000, size: 0x1fee0000, node: 0 },
  ];
  const { machine } = bootScenario({ name: 't', geometry, boot, steps: [] });
  applyOperation(machine, { op: 'add_memory', start: 4 * GiB, size: 256 * MiB });
  applyOperation(machine, { op: 'online', start: 4 * GiB, size: 128 * MiB, zone: 'movable' });
  applyOperation(machine, { op: 'online', start: 4 * GiB + 128 * MiB, size: 128 * MiB, zone: 'movable' });
  return machine;
}

let exports = 0;
const exported = () => modelView(modelLikeTheGuest(), join(tmp, `model-${exports++}`));

describe('reading the guest (a machine directory, through the import parsers)', () => {
  it('has the blocks, zones and iomem verify compares', () => {
    assert.equal(guest.blockSize, 128 * MiB);
    assert.deepEqual(
      guest.blocks.map((b) => `${b.id}:${b.state}:${b.validZones}:${b.physIndex}:${b.node}`),
      [
        '0:online:none:00000000:0',
        '1:online:DMA32:00000001:0',
        '2:online:DMA32:00000002:0',
        '3:online:DMA32:00000003:0',
        '32:online:Movable:00000020:0',
        '33:online:Movable:00000021:0',
      ],
    );
    const movable = guest.zones.find((z) => z.zone === 'Movable')!;
    assert.deepEqual(movable, {
      node: 0,
      zone: 'Movable',
      spanned: 65536,
      present: 65536,
      startPfn: 1048576,
    });
    assert.equal(guest.zones.find((z) => z.zone === 'Normal')!.startPfn, null);
    const ram = guest.iomem.filter((r) => r.name === 'System RAM').map((r) => [r.start, r.end, r.depth]);
    assert.deepEqual(ram, [
      [0x1000, 0x9fbff, 0],
      [0x100000, 0x1ffdffff, 0],
      [4 * GiB, 4 * GiB + 256 * MiB - 1, 0],
    ]);
    assert.ok(guest.iomem.some((r) => r.name === 'Kernel code' && r.depth === 1));
  });
});

describe('model vs guest', () => {
  it('the model run from the guest layout agrees with the real kernel', () => {
    const c = compareViews(exported(), guest);
    assert.deepEqual([...c.blocks, ...c.zones, ...c.iomem], []);
  });

  it('reports every difference with both values', () => {
    const model = exported();
    const bent: KernelView = {
      ...guest,
      blocks: guest.blocks
        .map((b) => (b.id === 33 ? { ...b, validZones: 'Normal' } : b))
        .filter((b) => b.id !== 2),
      zones: guest.zones.map((z) => (z.zone === 'Movable' ? { ...z, spanned: 1, startPfn: 7 } : z)),
      iomem: guest.iomem.map((r) => (r.start === 4 * GiB ? { ...r, name: 'System RAM (kmem)' } : r)),
    };
    const c = compareViews(model, bent);
    assert.deepEqual(c.blocks, [
      { area: 'blocks', what: 'memory2', model: 'present (online)', kernel: 'absent' },
      { area: 'blocks', what: 'memory33 valid_zones', model: 'Movable', kernel: 'Normal' },
    ]);
    assert.deepEqual(
      c.zones.map((d) => `${d.what}: ${d.model} vs ${d.kernel}`),
      ['node 0 Movable spanned: 65536 vs 1', 'node 0 Movable start_pfn: 1048576 vs 7'],
    );
    assert.deepEqual(c.iomem, [
      {
        area: 'iomem',
        what: '0x100000000-0x10fffffff name',
        model: 'System RAM',
        kernel: 'System RAM (kmem)',
      },
    ]);
  });

  it('merges adjacent System RAM and reads driver-managed names as System RAM', () => {
    const iomem: IomemView[] = [
      { start: 4 * GiB, end: 5 * GiB - 1, name: 'virtio0', depth: 0 },
      { start: 4 * GiB, end: 4 * GiB + 128 * MiB - 1, name: 'System RAM (virtio_mem)', depth: 1 },
      { start: 4 * GiB + 128 * MiB, end: 4 * GiB + 256 * MiB - 1, name: 'System RAM (virtio_mem)', depth: 1 },
      { start: 0x1000, end: 0x9fbff, name: 'System RAM', depth: 0 },
    ];
    assert.deepEqual(systemRamRuns(iomem, [{ start: 4 * GiB, end: 5 * GiB }]), [
      { start: 0x1000, end: 0x9efff, name: 'System RAM' },
      { start: 4 * GiB, end: 4 * GiB + 256 * MiB - 1, name: 'System RAM' },
    ]);
    assert.equal(systemRamRuns(iomem)[1].name, 'System RAM (virtio_mem)');
  });

  it("compares device resources by range and kind, not by the kernel's instance numbers", () => {
    assert.equal(resourceKind('Persistent Memory (legacy)'), 'Persistent Memory');
    assert.equal(resourceKind('namespace1.0'), 'namespace');
    assert.equal(resourceKind('dax0.0'), 'dax');
    const view = (iomem: { start: number; end: number; name: string; depth: number }[]): KernelView => ({
      blockSize: 0,
      blocks: [],
      zones: [],
      iomem,
    });
    const pmem = { start: 4 * GiB, end: 4 * GiB + 256 * MiB - 1, depth: 0 };
    const model = view([
      { ...pmem, name: 'Persistent Memory' },
      { start: 4 * GiB, end: 4 * GiB + 6 * MiB - 1, name: 'namespace1.0', depth: 1 },
    ]);
    const kernel = view([
      { ...pmem, name: 'Persistent Memory' },
      { start: 4 * GiB, end: 4 * GiB + 6 * MiB - 1, name: 'namespace0.0', depth: 1 },
      { start: 4 * GiB + 6 * MiB, end: pmem.end, name: 'dax0.0', depth: 1 },
    ]);
    assert.deepEqual(compareViews(model, kernel).iomem, []);
    const moved = view([{ start: 4 * GiB, end: 4 * GiB + 2 * MiB - 1, name: 'namespace0.0', depth: 1 }]);
    assert.equal(compareViews(model, moved).iomem.length, 2);
  });

  it('compares refusals by errno', () => {
    assert.deepEqual(compareRefusal(null, null), []);
    assert.deepEqual(compareRefusal('EBUSY', 'EBUSY'), []);
    assert.deepEqual(compareRefusal(null, 'EBUSY'), [
      { area: 'refusal', what: 'outcome', model: 'succeeds', kernel: '-EBUSY' },
    ]);
  });
});
