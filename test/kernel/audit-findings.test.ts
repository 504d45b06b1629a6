/**
 * The source audit's findings, each asserted on the model at the releases around the change
 * that matters (the kernel file and function are named in the code each test exercises).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelVersion } from '../../src/arch/geometry.js';
import { geometryFor } from '../../src/arch/presets.js';
import { HotplugError } from '../../src/errors.js';
import { pfnValid54 } from '../../src/model/lookup.js';
import type { Machine } from '../../src/model/machine.js';
import { VMEMMAP_UNUSED_PAGE } from '../../src/model/memmap.js';
import { NULL } from '../../src/model/memory.js';
import {
  PG_reserved,
  pagePoisoned,
  pageToNid,
  pageZonenum,
  ZONE_DMA32,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from '../../src/model/page-flags.js';
import { planOperation } from '../../src/ops/index.js';
import { firstUnmovablePfn } from '../../src/ops/offline-checks.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { validZones } from '../../src/ops/zone-policy.js';
import { checkPageSpan, endPageSkipped, type PageSpanPage } from '../../src/walkers/check-page-span.js';
import { BOOT_LOW_HIGH, DIMM, DIMM_PFN, GiB, MiB, machine, machineOn, runUntil } from '../helpers.js';

const BOOT = BOOT_LOW_HIGH;

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

/** Boot RAM ending 64 MiB into section 32 [4G, 4G+128M): its other half is free for pmem. */
const SHORT = [
  { start: 0, size: 2 * GiB },
  { start: 4 * GiB, size: 64 * MiB },
];

/** The errno an operation is refused with, or 'done'. */
function outcome(m: Machine, spec: OpSpec): string {
  try {
    planOperation(m, spec);
    return 'done';
  } catch (e) {
    assert.ok(e instanceof HotplugError, String(e));
    return e.errno;
  }
}

describe('E4: valid_zones of an online block before 5.18 asks test_pages_in_a_zone()', () => {
  // Boot RAM ends 64 MiB into memory32 [4G, 4G+128M): the block's tail lies past Normal's span.
  const tail: OpSpec = { op: 'offline', start: 4 * GiB, size: 128 * MiB };

  it("5.17: the tail past the zone's span fails the walk: 'none', and offlining is -EINVAL", () => {
    const m = on('5.17', [], SHORT);
    assert.deepEqual(validZones(m, m.blocks.get(32)!), ['none']);
    assert.equal(outcome(m, tail), 'EINVAL');
  });

  it('5.4: the same, and the refusal is the walk itself (no holes check yet)', () => {
    const m = on('5.4', [], SHORT);
    assert.deepEqual(validZones(m, m.blocks.get(32)!), ['none']);
    assert.throws(() => planOperation(m, tail), /test_pages_in_a_zone\(\) failed/);
  });

  it('5.18 (memoryBlockZone): mem->zone from the zones the block intersects: Normal (offline: memory holes)', () => {
    const m = on('5.18', [], SHORT);
    assert.deepEqual(validZones(m, m.blocks.get(32)!), ['Normal']);
    assert.throws(() => planOperation(m, tail), /has memory holes/);
  });

  it('a block wholly inside its zone prints its zone on both sides of the change', () => {
    for (const k of ['5.17', '5.18'] as const)
      assert.deepEqual(validZones(on(k, [], SHORT), on(k, [], SHORT).blocks.get(8)!), ['DMA32']);
  });
});

describe('E8: 5.4 __offline_pages() has no memory-holes check; holes go through isolation', () => {
  // A 64 MiB hole at the start of memory8 [1G, 1G+128M), inside DMA32's span.
  const boot = [
    { start: 0, size: GiB },
    { start: GiB + 64 * MiB, size: GiB - 64 * MiB },
  ];
  const holed: OpSpec = { op: 'offline', start: GiB, size: 128 * MiB };
  const holePfn = GiB / 4096;

  it('5.4: the hole pages (refcount 1, not Reserved) are unmovable in a kernel zone: -EBUSY', () => {
    const m = on('5.4', [], boot);
    assert.equal(outcome(m, holed), 'EBUSY');
    assert.throws(() => planOperation(m, holed), /failure to isolate range \(pfn 0x40000/);
    assert.equal(firstUnmovablePfn(m, ZONE_DMA32, holePfn, holePfn + 32768), holePfn);
  });

  it('5.4: in ZONE_MOVABLE has_unmovable_pages() skips everything not Reserved: the holes pass', () => {
    const m = on('5.4', [], boot);
    assert.equal(firstUnmovablePfn(m, ZONE_MOVABLE, holePfn, holePfn + 32768), -1);
    // 5.7 (unavailableMemmapReserved) makes holes Reserved: unmovable even there.
    assert.equal(firstUnmovablePfn(on('5.7', [], boot), ZONE_MOVABLE, holePfn, holePfn + 32768), holePfn);
  });

  it('5.5 (offlineRefusesHoles): -EINVAL, memory holes', () => {
    assert.equal(outcome(on('5.5', [], boot), holed), 'EINVAL');
    assert.throws(() => planOperation(on('5.5', [], boot), holed), /has memory holes/);
  });

  it('5.4: a block whose tail hole passes the walk (a tested pfn per 4 MiB) and isolation is offlined: RAM only', () => {
    // RAM ends 2 MiB before the end of memory2: the last 4 MiB chunk starts in RAM.
    const tail = [{ start: 0, size: 382 * MiB }];
    const m = on('5.4', [{ op: 'offline', start: 256 * MiB, size: 128 * MiB }], tail);
    assert.equal(m.blocks.get(2)!.state, 'offline');
    assert.equal(m.truthOf((383 * MiB) / 4096).state, 'hole');
    assert.equal(
      outcome(on('5.5', [], tail), { op: 'offline', start: 256 * MiB, size: 128 * MiB }),
      'EINVAL',
    );
    // Online again: only its System RAM goes back to the buddy and counts present.
    const again = on(
      '5.4',
      [
        { op: 'offline', start: 256 * MiB, size: 128 * MiB },
        { op: 'online', start: 256 * MiB, size: 128 * MiB },
      ],
      tail,
    );
    assert.equal(again.truthOf((383 * MiB) / 4096).state, 'hole');
    assert.equal(again.truthOf((381 * MiB) / 4096).state, 'online');
  });
});

describe('E7: x86 remove_pmd_table() keeps a PMD-mapped boot memmap on partial removal and fills it with 0xFD', () => {
  // fsdax pmem in the second half of section 32, whose first half is boot RAM.
  const pmem: OpSpec = { op: 'memremap', start: 0x104000000, size: 64 * MiB, type: 'fsdax', id: 'pmem0' };
  const pfn = 0x104000000 / 4096;

  it('5.7: the freed part reads 0xFD through a valid mapping (a hole, not an unmapped memmap)', () => {
    const m = on('5.7', [pmem, { op: 'memunmap', id: 'pmem0' }], SHORT);
    assert.deepEqual(m.memmap.read(pfn + 100), VMEMMAP_UNUSED_PAGE);
    assert.equal(m.truthOf(pfn + 100).state, 'hole');
  });

  it('5.8 (earlyMemmapNeverPartlyFreed): the boot memmap is not freed at all (poisoned by remove_pfn_range_from_zone())', () => {
    const m = on('5.8', [pmem, { op: 'memunmap', id: 'pmem0' }], SHORT);
    assert.ok(pagePoisoned(m.memmap.read(pfn + 100)!.flags));
  });

  it('another architecture unmaps what it frees (arm64-4k on 5.4)', () => {
    const g = geometryFor('arm64-4k-5.4');
    const start = 5 * g.sectionSize + g.sectionSize / 2;
    const m = machine(
      [{ start: 0, size: 5 * g.sectionSize + g.sectionSize / 2 }],
      [
        { op: 'memremap', start, size: g.sectionSize / 2, type: 'fsdax', id: 'p' },
        { op: 'memunmap', id: 'p' },
      ],
      g,
    );
    assert.equal(m.memmap.read(start / g.pageSize), undefined);
  });
});

describe('E9: 5.4 memunmap_pages() runs percpu_ref_exit() in dev_pagemap_cleanup(), before mem_hotplug_begin()', () => {
  const pmem: OpSpec = { op: 'memremap', start: 16 * GiB, size: 128 * MiB, type: 'devdax', id: 'dax0' };
  const order = (k: KernelVersion) =>
    planOperation(on(k, [pmem]), { op: 'memunmap', id: 'dax0' }).steps.map((s) => s.fn);

  it('5.19: wait_for_completion, percpu_ref_exit, then mem_hotplug_begin ... pgmap_array_delete last', () => {
    const fns = order('5.19');
    assert.equal(fns[fns.indexOf('wait_for_completion') + 1], 'percpu_ref_exit');
    assert.ok(fns.indexOf('percpu_ref_exit') < fns.indexOf('mem_hotplug_begin'));
    assert.equal(fns[fns.length - 1], 'pgmap_array_delete');
  });

  it('6.0 (percpuRefExitAfterUnmap): percpu_ref_exit after pgmap_array_delete', () => {
    const fns = order('6.0');
    assert.deepEqual(fns.slice(-2), ['pgmap_array_delete', 'percpu_ref_exit']);
  });

  it('both end with the pgmap gone and the machine consistent', () => {
    for (const k of ['5.4', '6.19'] as const) {
      const m = on(k, [pmem, { op: 'memunmap', id: 'dax0' }]);
      assert.equal(m.pgmaps.size, 0);
      assert.equal(
        m.resources.some((r) => r.kind === 'device'),
        false,
      );
    }
  });
});

describe('Sub-section ranges get their memmap from base pages, not the altmap (x86 vmemmap_populate())', () => {
  // 64 MiB of pmem in the half of section 32 boot RAM leaves free: sub-section chunks only.
  const sub = (free: number): OpSpec => ({
    op: 'memremap',
    start: 0x104000000,
    size: 64 * MiB,
    type: 'fsdax',
    id: 'p',
    altmap: { reserve: 0, free },
  });
  // 256 MiB + 64 MiB at 16 GiB: two whole sections and one sub-section chunk.
  const mixed: OpSpec = {
    op: 'memremap',
    start: 16 * GiB,
    size: 320 * MiB,
    type: 'fsdax',
    id: 'q',
    altmap: { reserve: 2 * MiB },
  };

  for (const k of ['5.4', '6.19'] as const) {
    it(`${k}: an altmap with no room for the memmap is enough for sub-section chunks`, () => {
      assert.equal(outcome(on(k, [], SHORT), sub(0)), 'done');
    });

    it(`${k}: whole sections take one 2 MiB PMD (512 pfns) each from the altmap, the sub-section part none`, () => {
      const m = on(k, [mixed]);
      assert.equal(m.pgmaps.get('q')!.altmap!.alloc, 1024);
      assert.equal(
        outcome(on(k, []), { ...mixed, id: 'r', altmap: { reserve: 0, free: 1023 * 4096 } }),
        'ENOMEM',
      );
    });
  }
});
