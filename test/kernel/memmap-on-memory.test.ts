/** memmap_on_memory (5.13; per block 6.8): a hot-added block hosting its own memmap in its first pages. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KernelVersion } from '../../src/arch/geometry.js';
import { HotplugError, InputError } from '../../src/errors.js';
import { exportMachine } from '../../src/io/export/index.js';
import { releasesAround } from '../../src/kernel/index.js';
import { PG_offline, PG_reserved, ZONE_MOVABLE } from '../../src/model/page-flags.js';
import { planOperation } from '../../src/ops/index.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { GiB, machineOn, scratchDir } from '../helpers.js';

const M = 2 ** 20;
const BOOT = [{ start: 0, size: 4 * GiB }];
const AT = 8 * GiB;
const FIRST = AT / 4096;
/** 128 MiB blocks: 32768 pages, whose memmap (64 bytes each) is 2 MiB = 512 pages. */
const VMEMMAP = 512;
const add = (size = 128 * M): OpSpec => ({ op: 'add_memory', start: AT, size, memmapOnMemory: true });
const online = (size = 128 * M): OpSpec => ({ op: 'online', start: AT, size, zone: 'movable' });
const offline = (size = 128 * M): OpSpec => ({ op: 'offline', start: AT, size });

describe('memmap_on_memory', () => {
  it('add_memory puts the block memmap in its first pages: own truth state, the rest uninitialized', () => {
    const m = machineOn('6.19', BOOT, [add()]);
    assert.equal(m.blocks.get(64)!.vmemmapPages, VMEMMAP);
    assert.deepEqual(m.truthOf(FIRST), { state: 'vmemmap' });
    assert.deepEqual(m.truthOf(FIRST + VMEMMAP - 1), { state: 'vmemmap' });
    assert.equal(m.truthOf(FIRST + VMEMMAP).state, 'uninitialized');
  });

  it('online: the vmemmap pages join the zone, present but never given to the buddy', () => {
    const m = machineOn('6.19', BOOT, [add(), online()]);
    const zone = m.node(0).zones[ZONE_MOVABLE];
    assert.deepEqual(m.truthOf(FIRST), { state: 'vmemmap', zone: 'Movable', nid: 0 });
    assert.equal(m.truthOf(FIRST + VMEMMAP).state, 'online');
    assert.equal(zone.presentPages, 32768, 'present counts the vmemmap pages');
    assert.equal(zone.zoneStartPfn, FIRST, 'the span starts at the vmemmap pages');
    // 6.19: initialized, PageOffline cleared, refcount 1 - not a free buddy page (refcount 0).
    const page = m.memmap.read(FIRST)!;
    assert.equal(page.flags & (PG_reserved | PG_offline), 0);
    assert.equal(page.refcount, 1);
    assert.equal(m.memmap.read(FIRST + VMEMMAP)!.refcount, 0);
  });

  it('online_pages() gets only the rest of the block (the vmemmap pages are outside its accounting)', () => {
    const m = machineOn('6.19', BOOT, [add()]);
    const steps = planOperation(m, online()).steps;
    const move = steps.find((s) => s.fn === 'move_pfn_range_to_zone')!;
    assert.equal((move.args as { startPfn: number }).startPfn, FIRST + VMEMMAP);
    assert.ok(steps.some((s) => s.fn === 'mhp_init_memmap_on_memory'));
  });

  it('offline: the vmemmap pages leave the zone and keep their own state; remove frees them', () => {
    const m = machineOn('6.19', BOOT, [add(), online(), offline()]);
    assert.deepEqual(m.truthOf(FIRST), { state: 'vmemmap' });
    assert.equal(m.truthOf(FIRST + VMEMMAP).state, 'offline');
    assert.equal(m.node(0).zones[ZONE_MOVABLE].presentPages, 0);
    assert.equal(m.node(0).zones[ZONE_MOVABLE].spannedPages, 0);
    const gone = machineOn('6.19', BOOT, [
      add(),
      online(),
      offline(),
      { op: 'remove', start: AT, size: 128 * M },
    ]);
    assert.notEqual(gone.truthOf(FIRST).state, 'vmemmap');
    assert.equal(gone.blocks.get(64), undefined);
  });

  it('before 6.11 the vmemmap pages stay PG_reserved (memmap_init_range(MEMINIT_HOTPLUG))', () => {
    const { before, after } = releasesAround('hotplugMemmapPageOffline');
    const flags = (k: KernelVersion) => machineOn(k, BOOT, [add(), online()]).memmap.read(FIRST)!.flags;
    assert.equal(flags(before) & PG_reserved, PG_reserved);
    assert.equal(flags(after) & PG_reserved, 0);
  });

  it('5.13-6.7: a request of several blocks falls back to a memmap from other memory; 6.8 splits it per block', () => {
    const { before, after } = releasesAround('memmapOnMemoryPerBlock');
    const old = machineOn(before, BOOT, [add(256 * M)]);
    assert.equal(old.blocks.get(64)!.vmemmapPages, undefined);
    assert.equal(old.truthOf(FIRST).state, 'uninitialized');
    const plan = planOperation(machineOn(before, BOOT), add(256 * M)).steps;
    assert.match(
      plan.find((s) => s.fn === 'mhp_supports_memmap_on_memory')!.detail,
      /false: the request is 256M?i?B?, not one memory block/,
    );
    const per = machineOn(after, BOOT, [add(256 * M)]);
    for (const id of [64, 65]) assert.equal(per.blocks.get(id)!.vmemmapPages, VMEMMAP);
    assert.equal(per.truthOf(FIRST + 32768).state, 'vmemmap', "the second block's own first pages");
  });

  it('removal: before 6.8 only the one block alone (-EINVAL); from 6.8 all blocks of the range or none', () => {
    const { before, after } = releasesAround('memmapOnMemoryPerBlock');
    const two = (k: KernelVersion) =>
      machineOn(k, BOOT, [add(), { op: 'add_memory', start: AT + 128 * M, size: 128 * M }]);
    const remove: OpSpec = { op: 'remove', start: AT, size: 256 * M };
    for (const k of [before, after])
      assert.throws(
        () => planOperation(two(k), remove),
        (e) => e instanceof HotplugError && e.errno === 'EINVAL',
        k,
      );
    assert.doesNotThrow(() =>
      planOperation(machineOn(after, BOOT, [add(256 * M)]), { op: 'remove', start: AT, size: 256 * M }),
    );
  });

  it('a scenario asking for it before 5.13 is refused in one line naming the step', () => {
    const { before } = releasesAround('memmapOnMemory');
    assert.throws(
      () =>
        scenarioFromJson(
          {
            name: 't',
            kernel: before,
            boot: [{ start: '0', size: '4G' }],
            steps: [{ op: 'add_memory', start: '8G', size: '128M', memmapOnMemory: true }],
          },
          'test',
        ),
      (e) => e instanceof InputError && /\$\.steps\[0\]\.memmapOnMemory.*5\.13 or later/.test(e.message),
    );
  });

  it('export: zoneinfo counts the vmemmap pages present but not managed', () => {
    const m = machineOn('6.19', BOOT, [add(), online()]);
    const dir = join(scratchDir('mom-export'), 'm');
    exportMachine(m, dir, { formats: ['zoneinfo'] });
    const text = readFileSync(join(dir, 'proc/zoneinfo'), 'utf8');
    const movable = text.slice(text.indexOf('zone  Movable'));
    assert.match(movable, /present +32768/);
    assert.match(movable, new RegExp(`managed +${32768 - VMEMMAP}`));
  });
});
