import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { hotplugBase, qemuConfig, verifyMachine } from '../../src/verify/config.js';
import { qemuArgs } from '../../src/verify/qemu.js';
import { describeAction, planReplay } from '../../src/verify/replay.js';
import { ostRefused } from '../../src/verify/replay-guest.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const boot = [{ start: '0x100000', size: '0x1fedf000' }];

function scenario(steps: unknown[], verify?: unknown) {
  return scenarioFromJson({ name: 't', boot, steps, ...(verify ? { verify } : {}) }, 't.json');
}

describe('QEMU machine from a scenario', () => {
  it("places the device-memory region where QEMU's pc machine does", () => {
    assert.equal(hotplugBase(512 * MiB), 4 * GiB);
    assert.equal(hotplugBase(3 * GiB), 4 * GiB);
    // 3.5 GiB and more: 3 GiB below 4 GiB, the rest above, rounded up to 1 GiB.
    assert.equal(hotplugBase(4 * GiB), 5 * GiB);
    assert.equal(hotplugBase(8 * GiB + 512 * MiB), 10 * GiB);
  });

  it('sizes -m, slots and maxmem from the steps when there is no verify section', () => {
    const s = scenario([
      { op: 'add_memory', start: '4G', size: '256M' },
      { op: 'add_memory', start: '6G', size: '128M' },
    ]);
    const vm = verifyMachine(s);
    assert.equal(vm.memory, 512 * MiB);
    assert.equal(vm.slots, 2);
    assert.ok(vm.hotplug.end >= 6 * GiB + 128 * MiB);
    assert.ok(vm.maxmem >= vm.memory + 384 * MiB);
    const bootOnly = verifyMachine(scenario([], { memory: '1G' }));
    assert.ok(bootOnly.maxmem > bootOnly.memory, 'QEMU refuses maxmem equal to -m with slots');
  });

  it('puts NVDIMMs and virtio-mem on the command line', () => {
    const s = scenario([], {
      memory: '512M',
      slots: 2,
      maxmem: '4G',
      nvdimms: [{ id: 'nv0', start: '4G', size: '256M' }],
      virtioMem: [{ id: 'vm0', start: '5G', size: '1G' }],
    });
    const args = qemuArgs(qemuConfig(verifyMachine(s)), {
      vmlinuz: 'K',
      initrd: 'I',
      console: 'C',
      agent: 'A',
      qmp: 'Q',
    });
    const text = args.join(' ');
    assert.match(text, /-machine pc,nvdimm=on -accel tcg/);
    assert.match(text, /-m 512M,slots=2,maxmem=4096M/);
    assert.match(text, /-device nvdimm,id=nv0,memdev=mem-nv0,addr=0x100000000/);
    assert.match(
      text,
      /virtio-mem-pci,id=vm0,memdev=mem-vm0,node=0,requested-size=0,block-size=2097152,memaddr=0x140000000/,
    );
    assert.match(text, /-qmp unix:Q,server=on,wait=off/);
    assert.match(text, /socket,id=agent,path=A,server=on,wait=off -serial chardev:agent/);
  });

  it('refuses a bad verify section with its JSON path', () => {
    assert.throws(() => scenario([], { memory: 'lots' }), /\$\.verify\.memory/);
    assert.throws(() => scenario([], { slots: 0 }), /\$\.verify\.slots/);
  });
});

describe('replay mapping', () => {
  const vm = verifyMachine(
    scenario([], {
      memory: '512M',
      slots: 4,
      maxmem: '4G',
      nvdimms: [{ id: 'nv0', start: '6G', size: '256M' }],
      virtioMem: [{ id: 'vm0', start: '5G', size: '1G' }],
    }),
  );
  const plan = (steps: unknown[]) => planReplay(scenario(steps).steps, vm);

  it('maps every op to a guest action', () => {
    const actions = plan([
      { op: 'add_memory', start: '4G', size: '256M' },
      { op: 'online', start: '4G', size: '128M', zone: 'movable' },
      { op: 'online', start: '0x108000000', size: '128M', zone: 'normal' },
      { op: 'online', start: '0x108000000', size: '128M' },
      { op: 'offline', start: '4G', size: '256M' },
      { op: 'remove', start: '4G', size: '256M' },
      { op: 'add_memory', start: '5G', size: '256M' },
      { op: 'remove', start: '0x148000000', size: '128M' },
      { op: 'memremap', start: '6G', size: '256M', type: 'devdax', id: 'd0' },
      { op: 'memunmap', id: 'd0' },
      { op: 'pin', start: '4G', size: '4K' },
    ]);
    assert.deepEqual(
      actions.map((a) => a.kind),
      [
        'plug-dimm',
        'block-state',
        'block-state',
        'block-state',
        'block-state',
        'unplug-dimm',
        'virtio-mem',
        'virtio-mem',
        'nd-enable',
        'nd-disable',
        'model-only',
      ],
    );
    assert.deepEqual(
      actions.slice(1, 5).map((a) => (a.kind === 'block-state' ? a.value : '')),
      ['online_movable', 'online_kernel', 'online', 'offline'],
    );
    assert.equal(actions[5].kind === 'unplug-dimm' && actions[5].id, 'dimm1');
    assert.equal(actions[6].kind === 'virtio-mem' && actions[6].requested, 256 * MiB);
    assert.equal(actions[7].kind === 'virtio-mem' && actions[7].requested, 128 * MiB);
    assert.match(describeAction(actions[0]), /device_add pc-dimm dimm1 addr=0x100000000 size=0x10000000/);
  });

  it('lists what cannot be replayed, with the reason', () => {
    const actions = plan([
      { op: 'add_memory', start: '16G', size: '1G' },
      { op: 'add_memory', start: '4G', size: '256M' },
      { op: 'remove', start: '4G', size: '128M' },
      { op: 'add_memory', start: '0x148000000', size: '128M' },
      { op: 'memremap', start: '8G', size: '64M', type: 'fsdax', id: 'x' },
      { op: 'memremap', start: '6G', size: '256M', type: 'device_private', id: 'p' },
      { op: 'memunmap', id: 'nope' },
      { op: 'add_memory', start: '4G', size: '128M', node: 1 },
    ]);
    const why = actions.map((a) => (a.kind === 'not-replayable' ? a.why : a.kind));
    assert.match(why[0], /outside QEMU's device-memory region/);
    assert.equal(why[1], 'plug-dimm');
    assert.match(why[2], /not one whole DIMM/);
    assert.match(why[3], /grows from 0x140000000 upward/);
    assert.match(why[4], /no NVDIMM/);
    assert.match(why[5], /device_private memory has no device/);
    assert.match(why[6], /not created by a replayed memremap/);
    assert.match(why[7], /one node/);
  });

  it('legacy pmem: memmap= on the command line, nd_e820 loaded by the memremap step', () => {
    const s = scenario(
      [
        { op: 'memremap', start: '400M', size: '32M', type: 'fsdax', id: 'p' },
        { op: 'memunmap', id: 'p' },
        { op: 'memremap', start: '400M', size: '32M', type: 'devdax', id: 'q' },
      ],
      { memory: '512M', legacyPmem: [{ id: 'pmem0', start: '400M', size: '32M' }] },
    );
    const lvm = verifyMachine(s);
    assert.equal(qemuConfig(lvm).append, 'memmap=0x2000000!0x19000000');
    const kinds = planReplay(s.steps, lvm).map((a) => a.kind);
    assert.deepEqual(kinds, ['legacy-pmem-enable', 'legacy-pmem-disable', 'not-replayable']);
    assert.throws(
      () =>
        verifyMachine(
          scenario([], { memory: '512M', legacyPmem: [{ id: 'x', start: '500M', size: '32M' }] }),
        ),
      /inside the boot RAM/,
    );
  });

  it('reads _OST: 0 and 0x84 (in progress) are not refusals', () => {
    assert.equal(ostRefused({ device: 'dimm1', status: 0x84 }, 'dimm1'), false);
    assert.equal(ostRefused({ device: 'dimm1', status: 0 }, 'dimm1'), false);
    assert.equal(ostRefused({ device: 'dimm1', status: 0x82 }, 'dimm1'), true);
    assert.equal(ostRefused({ device: 'dimm2', status: 1 }, 'dimm1'), false);
  });
});
