/**
 * Each behaviour of src/kernel asserted at the release before its change and at its first
 * release, on the model where the model shows it (a step, a page, a flag, a constant).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { x86MemoryBlockSize } from '../../src/arch/block-size.js';
import type { KernelVersion } from '../../src/arch/geometry.js';
import type { HotplugError } from '../../src/errors.js';
import {
  BEHAVIOUR_NAMES,
  BEHAVIOURS,
  type BehaviourName,
  isKernelRelease,
  MAINLINE_RELEASES,
  releasesAround,
  resolveKernel,
  UnknownKernelError,
} from '../../src/kernel/index.js';
import { SECTION_TAINT_ZONE_DEVICE } from '../../src/model/layout.js';
import type { Machine } from '../../src/model/machine.js';
import { samePage, VMEMMAP_UNUSED_PAGE } from '../../src/model/memmap.js';
import { PG_offline, PG_reserved, ZONE_MOVABLE } from '../../src/model/page-flags.js';
import { memoryTypeValue } from '../../src/model/pgmap.js';
import { planOperation } from '../../src/ops/index.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { validZones } from '../../src/ops/zone-policy.js';
import { ADD_DIMM, DIMM, DIMM_PFN, GiB, MiB, machineOn, runUntil } from '../helpers.js';

const BOOT = [
  { start: 0, size: 2 * GiB },
  { start: 4 * GiB, size: 64 * MiB },
];
const add = ADD_DIMM;
const PMEM = 0x104000000;
const PMEM_PFN = PMEM / 4096;
const pmem: OpSpec = { op: 'memremap', start: PMEM, size: 64 * MiB, type: 'fsdax', id: 'pmem0' };

function on(kernel: KernelVersion, steps: OpSpec[], boot = BOOT): Machine {
  return machineOn(kernel, boot, steps);
}

/** Run an operation's steps on m up to and including the first step named fn. */
function stepNames(m: Machine, spec: OpSpec): string[] {
  return planOperation(m, spec).steps.map((s) => s.fn);
}

/** The errno offlining the 128 MiB block at `start` refuses with, on a machine booted with `boot`. */
function offlineErrno(k: KernelVersion, boot: { start: number; size: number }[], start: number): string {
  try {
    planOperation(on(k, [], boot), { op: 'offline', start, size: 128 * MiB });
    return 'offlined';
  } catch (e) {
    return (e as HotplugError).errno;
  }
}

/** What each behaviour looks like on the model; before and after must differ as stated. */
const PROBES: Partial<Record<BehaviourName, (k: KernelVersion) => unknown>> = {
  zoneShrinkOnOffline: (k) =>
    on(k, [
      add,
      { op: 'online', start: DIMM, size: GiB, zone: 'movable' },
      { op: 'offline', start: DIMM, size: GiB },
    ]).node(0).zones[ZONE_MOVABLE].spannedPages > 0
      ? 'span kept at offline'
      : 'span shrunk at offline',
  offlinedPagesNotReserved: (k) => {
    const m = on(k, [add, { op: 'online', start: DIMM, size: 128 * MiB }]);
    runUntil(m, { op: 'offline', start: DIMM, size: 128 * MiB }, '__offline_isolated_pages');
    return (m.memmap.read(DIMM_PFN)!.flags & PG_reserved) !== 0 ? 'Reserved' : 'left as is';
  },
  unavailableMemmapReserved: (k) => {
    // Boot RAM covers only the first 64 MiB of section 32: the rest is a hole with a boot memmap.
    const m = on(k, []);
    const hole = (4 * GiB + 100 * MiB) / 4096;
    return (m.memmap.read(hole)!.flags & PG_reserved) !== 0 ? 'Reserved' : 'zeroed';
  },
  earlyMemmapNeverPartlyFreed: (k) =>
    samePage(on(k, [pmem, { op: 'memunmap', id: 'pmem0' }]).memmap.read(PMEM_PFN), VMEMMAP_UNUSED_PAGE)
      ? 'freed (x86: 0xFD through the kept PMD)'
      : 'kept',
  offlineRefusesHoles: (k) =>
    offlineErrno(
      k,
      [
        { start: 0, size: GiB },
        { start: GiB + 64 * MiB, size: GiB - 64 * MiB },
      ],
      GiB,
    ),
  memoryBlockZone: (k) => validZones(on(k, []), on(k, []).blocks.get(32)!).join(' '),
  percpuRefExitAfterUnmap: (k) => {
    const fns = stepNames(on(k, [pmem]), { op: 'memunmap', id: 'pmem0' });
    return fns.indexOf('percpu_ref_exit') < fns.indexOf('mem_hotplug_begin') ? 'exit first' : 'exit last';
  },
  onlineIsolatesPageblocks: (k) =>
    stepNames(on(k, [add]), { op: 'online', start: DIMM, size: 128 * MiB }).includes(
      'undo_isolate_page_range',
    ),
  memunmapPutsRefsInBulk: (k) =>
    stepNames(on(k, [pmem]), { op: 'memunmap', id: 'pmem0' }).includes('percpu_ref_put_many'),
  sectionTaintZoneDevice: (k) => {
    const m = on(k, [pmem]);
    return (m.sections.flags(m.sections.section(32)) & SECTION_TAINT_ZONE_DEVICE) !== 0;
  },
  sectionNidShift6: (k) => {
    // An early nid of 2 stored at shift 3 lands on bit 4: the taint bit 5.12 added.
    const m = on(k, [], [
      { start: 0, size: 2 * GiB, node: 0 },
      { start: 4 * GiB, size: 2 * GiB, node: 2 },
    ] as never);
    return (m.sections.flags(m.sections.section(32)) & SECTION_TAINT_ZONE_DEVICE) !== 0;
  },
  x86BareMetalMaxBlock: (k) => x86MemoryBlockSize(65 * GiB, false, k) / MiB,
  deviceCoherentType: (k) => memoryTypeValue('fsdax', k),
  privatePagesRefAtAlloc: (k) =>
    on(k, [
      { op: 'memremap', start: 20 * GiB, size: 128 * MiB, type: 'device_private', id: 'hmm0' },
    ]).pgmapTable.refs(
      on(k, [
        { op: 'memremap', start: 20 * GiB, size: 128 * MiB, type: 'device_private', id: 'hmm0' },
      ]).pgmaps.get('hmm0')!.slot,
    ),
  usageFreedWithKfreeRcu: (k) => {
    const m = on(k, [
      add,
      { op: 'online', start: DIMM, size: GiB },
      { op: 'offline', start: DIMM, size: GiB },
    ]);
    return planOperation(m, { op: 'remove', start: DIMM, size: 128 * MiB })
      .steps.filter((s) => s.args.sectionNr === 128)
      .map((s) => `${s.fn}:${s.detail.split(': ')[1] ?? ''}`)
      .join(' ');
  },
  hotplugMemmapPageOffline: (k) => {
    const m = on(k, [add]);
    runUntil(m, { op: 'online', start: DIMM, size: 128 * MiB }, 'move_pfn_range_to_zone');
    const flags = m.memmap.read(DIMM_PFN)!.flags;
    return flags & PG_offline ? 'PageOffline' : flags & PG_reserved ? 'Reserved' : 'neither';
  },
  zoneDeviceRefcountZero: (k) => on(k, [pmem]).memmap.read(PMEM_PFN + 1024)!.refcount,
};

describe('src/kernel: releases', () => {
  it('accepts every mainline release 5.4 … 6.19 and nothing else', () => {
    assert.equal(MAINLINE_RELEASES.length, 36);
    for (const r of MAINLINE_RELEASES) assert.equal(resolveKernel(r).release, r);
    for (const bad of ['5.3', '6.20', '5.4.6', '6.1-rc1', '', 'v6.1', '7.0'])
      assert.throws(
        () => resolveKernel(bad),
        (e: unknown) => e instanceof UnknownKernelError && e.value === bad,
      );
  });

  it('each behaviour is off at the release before its change and on from its release to 6.19', () => {
    for (const name of BEHAVIOUR_NAMES) {
      const { before, after } = releasesAround(name);
      assert.notEqual(before, after, name);
      assert.equal(resolveKernel(before)[name], false, `${name} at ${before}`);
      assert.equal(resolveKernel(after)[name], true, `${name} at ${after}`);
      assert.equal(resolveKernel('6.19')[name], true, `${name} at 6.19`);
      assert.equal(resolveKernel('5.4')[name], false, `${name} at 5.4`);
      assert.ok(isKernelRelease(BEHAVIOURS[name].since));
    }
  });

  it("the scenario schema's kernel enum is exactly the mainline releases", () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../schema/scenario.schema.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(schema.properties.kernel.enum, [...MAINLINE_RELEASES]);
  });
});

describe('src/kernel: each behaviour on the model, at the release before and after', () => {
  for (const [name, probe] of Object.entries(PROBES) as [BehaviourName, (k: KernelVersion) => unknown][]) {
    const { before, after } = releasesAround(name);
    it(`${name}: ${before} → ${after}`, () => {
      const b = probe(before);
      const a = probe(after);
      assert.notDeepEqual(b, a, `${name} looks the same at ${before} and ${after}: ${JSON.stringify(a)}`);
    });
  }
});
