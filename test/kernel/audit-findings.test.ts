/**
 * The source audit's findings, each asserted on the model at the releases around the change
 * that matters (the kernel file and function are named in the code each test exercises).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelVersion } from '../../src/arch/geometry.js';
import { pfnValid54 } from '../../src/model/lookup.js';
import type { Machine } from '../../src/model/machine.js';
import { NULL } from '../../src/model/memory.js';
import {
  PG_reserved,
  pageToNid,
  pageZonenum,
  ZONE_DMA32,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from '../../src/model/page-flags.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { checkPageSpan, endPageSkipped, type PageSpanPage } from '../../src/walkers/check-page-span.js';
import { GiB, MiB, machineOn, runUntil } from '../helpers.js';

const BOOT = [
  { start: 0, size: 2 * GiB },
  { start: 4 * GiB, size: 4 * GiB },
];
const DIMM = 16 * GiB;
const DIMM_PFN = DIMM / 4096;

function on(kernel: KernelVersion, steps: OpSpec[], boot = BOOT): Machine {
  return machineOn(kernel, boot, steps);
}

describe('E2: boot holes inside a zone span (5.4 memmap_init_zone())', () => {
  // Boot RAM leaves a 32 MiB hole inside section 0, below max_pfn: DMA32 spans it.
  const boot = [
    { start: 0, size: 64 * MiB },
    { start: 96 * MiB, size: 2 * GiB - 96 * MiB },
  ];
  const hole = (80 * MiB) / 4096;

  it('5.6: initialized like a boot page of the zone (DMA32, node 0, refcount 1, not Reserved)', () => {
    const page = on('5.6', [], boot).memmap.read(hole)!;
    assert.equal(pageZonenum(page.flags), ZONE_DMA32);
    assert.equal(pageToNid(page.flags), 0);
    assert.equal(page.refcount, 1);
    assert.equal(page.flags & PG_reserved, 0);
  });

  it('5.7 (unavailableMemmapReserved): Reserved', () => {
    assert.ok(on('5.7', [], boot).memmap.read(hole)!.flags & PG_reserved);
  });

  it('a hole at or above max_pfn stays zeroed before 5.7', () => {
    const m = on(
      '5.4',
      [],
      [
        { start: 0, size: 2 * GiB },
        { start: 4 * GiB, size: 64 * MiB },
      ],
    );
    assert.deepEqual(m.memmap.read((4 * GiB + 64 * MiB) / 4096), { flags: 0, refcount: 0, pgmap: 0 });
  });
});

describe('E3: 5.4 check_page_span() steps an unaligned pointer past the last page', () => {
  const page = (pfn: number, reserved: boolean, visited = true): PageSpanPage => ({
    pfn,
    mapped: true,
    reserved,
    zoneDevice: false,
    hotplugged: false,
    poisoned: false,
    visited,
  });

  it('the page holding end is skipped when its offset is below the start offset', () => {
    assert.equal(endPageSkipped(0x1800, 0x1000, 4096), true); // 0x1800..0x27ff: end offset 0x7ff < 0x800
    assert.equal(endPageSkipped(0x1000, 0x1800, 4096), false); // aligned start: every page tested
    assert.equal(endPageSkipped(0x1800, 0x100, 4096), false); // one page
  });

  it('the verdict flips: Reserved then non-Reserved is allowed when the loop never reaches the second', () => {
    assert.equal(checkPageSpan([page(1, true), page(2, false)], 'as-is').allowed, false);
    assert.equal(checkPageSpan([page(1, true), page(2, false, false)], 'as-is').allowed, true);
  });
});

describe('E5: 5.4 x86 arch_remove_memory() shrinks the zone of the first page for every section', () => {
  it('a removal over a Normal block then a Movable block shrinks Normal for both; Movable keeps its span', () => {
    const m = on('5.4', [
      { op: 'add_memory', start: DIMM, size: 256 * MiB },
      { op: 'online', start: DIMM, size: 128 * MiB, zone: 'normal' },
      { op: 'online', start: DIMM + 128 * MiB, size: 128 * MiB, zone: 'movable' },
      { op: 'offline', start: DIMM, size: 256 * MiB },
      { op: 'remove', start: DIMM, size: 256 * MiB },
    ]);
    const movable = m.node(0).zones[ZONE_MOVABLE];
    assert.deepEqual([movable.zoneStartPfn, movable.spannedPages], [DIMM_PFN + 32768, 32768]);
    const normal = m.node(0).zones[ZONE_NORMAL];
    assert.equal(normal.zoneStartPfn + normal.spannedPages, (8 * GiB) / 4096);
  });
});

describe('E6: 5.4 section_deactivate() frees ms->usage before clearing section_mem_map', () => {
  const steps: OpSpec[] = [
    { op: 'add_memory', start: DIMM, size: GiB },
    { op: 'online', start: DIMM, size: GiB },
    { op: 'offline', start: DIMM, size: GiB },
  ];

  /** Does pfn_valid() read through NULL in the window after usage = NULL? */
  function nullRead(kernel: KernelVersion, after: string): boolean {
    const m = on(kernel, steps);
    runUntil(m, { op: 'remove', start: DIMM, size: 128 * MiB }, after);
    let read = false;
    const words = m.mem.words;
    const mem = new Proxy(words, {
      get(t, k) {
        if (k === String(NULL)) read = true;
        return Reflect.get(t, k);
      },
    });
    pfnValid54(mem, m.g, DIMM_PFN);
    return read;
  }

  it('5.4: pfn_valid() in the window dereferences the NULL usage (a violation, not "false")', () => {
    assert.equal(nullRead('5.4', 'kfree'), true);
  });

  it('6.10 (pfnSectionValidNullCheck): the NULL usage reads as invalid', () => {
    assert.equal(nullRead('6.10', 'kfree_rcu'), false);
  });
});
