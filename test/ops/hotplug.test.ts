import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotplugError } from '../../src/errors.js';
import { checkInvariants } from '../../src/model/invariants.js';
import {
  G_HOTPLUG_LOCK,
  GLOBALS_ADDR,
  HOTPLUG_LOCK_WRITER,
  SECTION_HAS_MEM_MAP,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
} from '../../src/model/layout.js';
import { pfnToOnlinePage54, pfnToOnlinePage619, pfnValid619 } from '../../src/model/lookup.js';
import type { Machine } from '../../src/model/machine.js';
import {
  PG_offline,
  PG_reserved,
  pagePoisoned,
  pageZonenum,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from '../../src/model/page-flags.js';
import { applyOperation, planOperation } from '../../src/ops/index.js';
import { memHotplugBegin, memHotplugDone } from '../../src/ops/sparse.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { validZones } from '../../src/ops/zone-policy.js';
import { DECREMENT, READ_LOCK } from '../../src/walkers/kernel.js';
import { ADD_DIMM, BOOT_LOW_HIGH, DIMM, DIMM_PFN, fingerprint, GiB, MiB, machine, x86 } from '../helpers.js';

const BOOT = BOOT_LOW_HIGH;
const add = ADD_DIMM;

function refuses(m: Machine, spec: OpSpec, errno: string, pattern?: RegExp): void {
  const before = fingerprint(m);
  assert.throws(
    () => planOperation(m, spec),
    (e: unknown) => e instanceof HotplugError && e.errno === errno && (!pattern || pattern.test(e.message)),
    `${spec.op} should fail with ${errno}`,
  );
  assert.equal(fingerprint(m), before, 'a refused operation changes nothing');
}

describe('add_memory (add_memory_resource -> __add_pages -> sparse_add_section)', () => {
  const m = machine(BOOT, [add]);

  it('sections become PRESENT and HAS_MEM_MAP, not ONLINE, not EARLY; subsection_map full', () => {
    for (let nr = 128; nr < 136; nr++) {
      const ms = m.sections.section(nr);
      assert.equal(m.sections.flags(ms), SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP);
      assert.equal(m.sections.bitmapIndices(m.sections.usage(ms), 0).length, 64);
    }
  });

  it('the memmap is poisoned while pfn_valid() is already true (the window David wanted closed)', () => {
    assert.ok(pagePoisoned(m.memmap.read(DIMM_PFN)!.flags));
    assert.equal(pfnValid619(m.mem.words, m.g, DIMM_PFN), true);
    assert.equal(pfnToOnlinePage619(m.mem.words, m.g, DIMM_PFN), -1);
    assert.equal(m.truthOf(DIMM_PFN).state, 'uninitialized');
  });

  it('blocks appear offline with valid_zones "Normal Movable"', () => {
    const b = m.blocks.get(128)!;
    assert.equal(b.state, 'offline');
    assert.deepEqual(validZones(m, b), ['Normal', 'Movable']);
    assert.equal(m.blocks.size, 16 + 32 + 8);
  });

  it('refuses unaligned, overlapping and out-of-range requests without changing anything', () => {
    refuses(
      m,
      { op: 'add_memory', start: DIMM + 2 * GiB + 64 * MiB, size: 128 * MiB },
      'EINVAL',
      /not aligned/,
    );
    refuses(m, { op: 'add_memory', start: 32 * GiB, size: 100 * MiB }, 'EINVAL', /multiple/);
    refuses(m, { op: 'add_memory', start: DIMM, size: 128 * MiB }, 'EEXIST');
    refuses(m, { op: 'add_memory', start: 4 * GiB, size: 128 * MiB }, 'EEXIST', /System RAM/);
    refuses(m, { op: 'add_memory', start: 2 ** 46, size: 128 * MiB }, 'E2BIG');
  });

  it('satisfies the invariants', () => assert.deepEqual(checkInvariants(m), []));
});

describe('online (memory_block_online -> online_pages)', () => {
  it('online_movable: ZONE_MOVABLE grows, pages go to the buddy, sections become ONLINE', () => {
    const m = machine(BOOT, [add, { op: 'online', start: DIMM, size: GiB, zone: 'movable' }]);
    const movable = m.node(0).zones[ZONE_MOVABLE];
    assert.deepEqual(
      [movable.zoneStartPfn, movable.spannedPages, movable.presentPages],
      [DIMM_PFN, GiB / 4096, GiB / 4096],
    );
    const page = m.memmap.read(DIMM_PFN)!;
    assert.equal(pageZonenum(page.flags), ZONE_MOVABLE);
    assert.equal(page.flags & (PG_offline | PG_reserved), 0);
    assert.equal(page.refcount, 0);
    assert.ok(m.sections.flags(m.sections.section(128)) & SECTION_IS_ONLINE);
    assert.equal(pfnToOnlinePage619(m.mem.words, m.g, DIMM_PFN), DIMM_PFN);
    assert.equal(m.truthOf(DIMM_PFN).zone, 'Movable');
    assert.deepEqual(validZones(m, m.blocks.get(128)!), ['Movable']);
    assert.deepEqual(checkInvariants(m), []);
  });

  it('the default zone is a kernel zone; online_kernel is ZONE_NORMAL; an adjoining block does not inherit Movable', () => {
    const m = machine(BOOT, [add, { op: 'online', start: DIMM, size: 128 * MiB }]);
    assert.equal(m.blocks.get(128)!.zone, ZONE_NORMAL);
    const m2 = machine(BOOT, [
      add,
      { op: 'online', start: DIMM, size: 128 * MiB, zone: 'movable' },
      { op: 'online', start: DIMM + 128 * MiB, size: 128 * MiB },
    ]);
    // default_zone_for_pfn(): the block only adjoins ZONE_MOVABLE's span, so neither zone intersects
    // it and the kernel zone wins.
    assert.equal(m2.blocks.get(129)!.zone, ZONE_NORMAL);
    assert.deepEqual(checkInvariants(m2), []);
  });

  it('between move_pfn_range_to_zone and generic_online_page the pages are PageOffline (6.x) or Reserved (5.4)', () => {
    for (const kernel of ['6.19', '5.4'] as const) {
      const m = machine(BOOT, [add], x86({ kernel }));
      const plan = planOperation(m, { op: 'online', start: DIMM, size: 128 * MiB });
      for (const s of plan.steps) {
        s.run(m);
        if (s.fn === 'move_pfn_range_to_zone') break;
      }
      const flags = m.memmap.read(DIMM_PFN)!.flags;
      assert.ok(flags & (kernel === '5.4' ? PG_reserved : PG_offline), kernel);
      assert.equal(m.truthOf(DIMM_PFN).state, 'offline');
    }
  });

  it('refuses onlining what is not offline or not present', () => {
    const m = machine(BOOT, [add, { op: 'online', start: DIMM, size: GiB }]);
    refuses(m, { op: 'online', start: DIMM, size: 128 * MiB }, 'EINVAL', /not offline/);
    refuses(m, { op: 'online', start: 32 * GiB, size: 128 * MiB }, 'EINVAL', /does not exist/);
    refuses(m, { op: 'online', start: DIMM + MiB, size: 128 * MiB }, 'EINVAL', /aligned/);
  });
});

describe('offline (memory_block_offline -> offline_pages)', () => {
  const online: OpSpec[] = [add, { op: 'online', start: DIMM, size: GiB, zone: 'movable' }];

  it('6.19: ONLINE cleared, memmap poisoned, zone span shrinks from the start', () => {
    const m = machine(BOOT, [...online, { op: 'offline', start: DIMM, size: 128 * MiB }]);
    assert.equal(m.sections.flags(m.sections.section(128)) & SECTION_IS_ONLINE, 0);
    assert.ok(pagePoisoned(m.memmap.read(DIMM_PFN)!.flags));
    const movable = m.node(0).zones[ZONE_MOVABLE];
    assert.equal(movable.zoneStartPfn, DIMM_PFN + 32768);
    assert.equal(movable.presentPages, 7 * 32768);
    assert.equal(m.truthOf(DIMM_PFN).state, 'offline');
    assert.equal(m.blocks.get(128)!.state, 'offline');
    assert.deepEqual(checkInvariants(m), []);
  });

  it('5.4: pages stay initialized and become PG_reserved; the zone keeps its span until removal', () => {
    const m = machine(
      BOOT,
      [...online, { op: 'offline', start: DIMM, size: 128 * MiB }],
      x86({ kernel: '5.4' }),
    );
    const page = m.memmap.read(DIMM_PFN)!;
    assert.ok(!pagePoisoned(page.flags) && page.flags & PG_reserved);
    assert.equal(m.node(0).zones[ZONE_MOVABLE].zoneStartPfn, DIMM_PFN);
    assert.equal(pfnToOnlinePage54(m.mem.words, m.g, DIMM_PFN), -1);
    assert.deepEqual(checkInvariants(m), []);
  });

  it('offlining the middle of a zone leaves the span alone; the last block empties the zone', () => {
    const m = machine(BOOT, [...online, { op: 'offline', start: DIMM + 256 * MiB, size: 128 * MiB }]);
    const z = m.node(0).zones[ZONE_MOVABLE];
    assert.deepEqual([z.zoneStartPfn, z.spannedPages], [DIMM_PFN, 262144]);
    const all = machine(BOOT, [...online, { op: 'offline', start: DIMM, size: GiB }]);
    assert.equal(all.node(0).zones[ZONE_MOVABLE].spannedPages, 0);
  });

  it('refuses: not online, pinned page (-EBUSY), memory holes, several zones', () => {
    const m = machine(BOOT, [...online, { op: 'pin', start: DIMM + 5 * 4096, size: 4096 }]);
    refuses(m, { op: 'offline', start: DIMM, size: 128 * MiB }, 'EBUSY', /pinned/);
    const m2 = machine(BOOT, [add]);
    refuses(m2, { op: 'offline', start: DIMM, size: 128 * MiB }, 'EINVAL', /not online/);
    const holes = machine([
      { start: 0, size: 2 * GiB },
      { start: 4 * GiB, size: 64 * MiB },
    ]);
    refuses(holes, { op: 'offline', start: 4 * GiB, size: 128 * MiB }, 'EINVAL', /holes/);
    refuses(holes, { op: 'offline', start: 0, size: 128 * MiB }, 'EINVAL', /several zones/);
  });
});

describe('remove (try_remove_memory -> __remove_pages -> section_deactivate)', () => {
  const steps: OpSpec[] = [
    add,
    { op: 'online', start: DIMM, size: GiB },
    { op: 'offline', start: DIMM, size: GiB },
  ];

  it('6.19: sections emptied, usage freed after a grace period, memmap freed, truth "freed"', () => {
    const m = machine(BOOT, steps);
    const ms = m.sections.section(128);
    const usage = m.sections.usage(ms);
    const deferred: number[] = [];
    m.reclaimer = { deferFree: (_mem, addr) => deferred.push(addr) };
    applyOperation(m, { op: 'remove', start: DIMM, size: GiB });
    assert.equal(m.sections.flags(ms), 0);
    assert.equal(m.sections.usage(ms), 0);
    assert.ok(deferred.includes(usage), 'kfree_rcu(usage)');
    assert.ok(m.mem.isLive(usage), 'usage still readable until the grace period ends');
    assert.equal(m.memmap.read(DIMM_PFN), undefined);
    assert.equal(m.truthOf(DIMM_PFN).state, 'freed');
    assert.equal(pfnValid619(m.mem.words, m.g, DIMM_PFN), false);
    assert.equal(m.blocks.has(128), false);
    assert.deepEqual(checkInvariants(m), []);
  });

  it('6.19 clears SECTION_HAS_MEM_MAP before freeing usage; 5.4 clears every flag at once after kfree', () => {
    const order = (kernel: '5.4' | '6.19') => {
      const m = machine(BOOT, steps, x86({ kernel }));
      const plan = planOperation(m, { op: 'remove', start: DIMM, size: 128 * MiB });
      return plan.steps
        .filter((s) => s.args.sectionNr === 128)
        .map((s) => `${s.fn}:${s.detail.split(': ')[1] ?? ''}`);
    };
    assert.deepEqual(order('6.19'), [
      'clear_subsection_map:',
      'section_deactivate:clear SECTION_HAS_MEM_MAP',
      'kfree_rcu:',
      'depopulate_section_memmap:',
      'section_deactivate:section_mem_map = 0',
    ]);
    assert.deepEqual(order('5.4'), [
      '__remove_zone:',
      'clear_subsection_map:',
      'kfree:',
      'section_deactivate:section_mem_map = 0',
      'depopulate_section_memmap:',
    ]);
  });

  it('5.4: __remove_zone shrinks the zone and node the stale struct pages name', () => {
    const m = machine(BOOT, [...steps, { op: 'remove', start: DIMM, size: GiB }], x86({ kernel: '5.4' }));
    const movable = m.node(0).zones[ZONE_MOVABLE];
    assert.deepEqual([movable.zoneStartPfn, movable.spannedPages], [0, 0]);
    assert.equal(m.node(0).nodeSpannedPages, (8 * GiB) / 4096);
    assert.deepEqual([...m.nodes.keys()], [0]);
    assert.deepEqual(checkInvariants(m), []);
  });

  it('5.4 shrink_zone_span: removing the middle of a zone with no online pfn left empties it', () => {
    const movable: OpSpec[] = [
      add,
      { op: 'online', start: DIMM, size: GiB, zone: 'movable' },
      { op: 'offline', start: DIMM, size: GiB },
      { op: 'remove', start: DIMM + 256 * MiB, size: 128 * MiB },
    ];
    const z54 = machine(BOOT, movable, x86({ kernel: '5.4' })).node(0).zones[ZONE_MOVABLE];
    // The whole-zone scan finds only offline sections outside the removed one.
    assert.deepEqual([z54.zoneStartPfn, z54.spannedPages], [0, 0]);
    // With an online block left, the middle removal is only a hole.
    const kept = machine(
      BOOT,
      [
        add,
        { op: 'online', start: DIMM, size: GiB, zone: 'movable' },
        { op: 'offline', start: DIMM + 256 * MiB, size: 128 * MiB },
        { op: 'remove', start: DIMM + 256 * MiB, size: 128 * MiB },
      ],
      x86({ kernel: '5.4' }),
    ).node(0).zones[ZONE_MOVABLE];
    assert.deepEqual([kept.zoneStartPfn, kept.spannedPages], [DIMM_PFN, 262144]);
  });

  it('refuses removing online memory (-EBUSY) and ranges that are not System RAM', () => {
    const m = machine(BOOT, [add, { op: 'online', start: DIMM, size: GiB }]);
    refuses(m, { op: 'remove', start: DIMM, size: GiB }, 'EBUSY', /online/);
    refuses(m, { op: 'remove', start: 64 * GiB, size: GiB }, 'EINVAL');
  });

  it('boot memory can be removed once offline: the boot memmap goes with the last subsection', () => {
    const m = machine(BOOT, [
      { op: 'offline', start: 7 * GiB, size: GiB },
      { op: 'remove', start: 7 * GiB, size: GiB },
    ]);
    assert.equal(m.sections.flags(m.sections.section(56)), 0);
    assert.equal(m.truthOf((7 * GiB) / 4096).state, 'freed');
    assert.deepEqual(checkInvariants(m), []);
  });
});

describe('mem_hotplug_lock (percpu_down_write): the writer is preferred', () => {
  it('blocks new readers from mem_hotplug_begin, and holds the lock once the readers inside have left', () => {
    const m = machine([{ start: 0, size: 2 * GiB }]);
    const lock = GLOBALS_ADDR + G_HOTPLUG_LOCK;
    m.mem.store(lock, 2); // two readers inside (get_online_mems)
    const [begin, wait] = memHotplugBegin();
    begin.run(m);
    assert.equal(READ_LOCK(m.mem.load(lock)), undefined, 'a third reader waits');
    assert.equal(wait.ready?.(m), false, 'the writer waits for the two inside');
    m.mem.store(lock, DECREMENT(DECREMENT(m.mem.load(lock))));
    assert.equal(wait.ready?.(m), true);
    wait.run(m);
    assert.equal(m.mem.load(lock), HOTPLUG_LOCK_WRITER);
    assert.equal(READ_LOCK(m.mem.load(lock)), undefined);
    memHotplugDone().run(m);
    assert.equal(READ_LOCK(m.mem.load(lock)), 1);
  });
});
