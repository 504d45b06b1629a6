import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotplugError } from '../../src/errors.js';
import { checkInvariants } from '../../src/model/invariants.js';
import { SECTION_IS_ONLINE, SECTION_TAINT_ZONE_DEVICE } from '../../src/model/layout.js';
import { pfnToOnlinePage54, pfnToOnlinePage619, pfnValid619 } from '../../src/model/lookup.js';
import type { Machine } from '../../src/model/machine.js';
import { VMEMMAP_UNUSED_PAGE } from '../../src/model/memmap.js';
import { PG_reserved, pagePoisoned, pageZonenum, ZONE_DEVICE } from '../../src/model/page-flags.js';
import { getDevPagemap } from '../../src/model/pgmap.js';
import { planOperation } from '../../src/ops/index.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { fingerprint, GiB, MiB, machine, x86 } from '../helpers.js';

// The README's scenario example: 64 MiB of boot RAM in section 32, fsdax pmem in the other half of it.
const BOOT = [
  { start: 0, size: 2 * GiB },
  { start: 4 * GiB, size: 64 * MiB },
];
const PMEM = 0x104000000;
const PMEM_PFN = PMEM / 4096;
const pmem0: OpSpec = {
  op: 'memremap',
  start: PMEM,
  size: 64 * MiB,
  type: 'fsdax',
  id: 'pmem0',
  altmap: { reserve: 2 * MiB },
};

function refuses(m: Machine, spec: OpSpec, errno: string): void {
  const before = fingerprint(m);
  assert.throws(
    () => planOperation(m, spec),
    (e: unknown) => e instanceof HotplugError && e.errno === errno,
  );
  assert.equal(fingerprint(m), before);
}

describe('memremap (memremap_pages -> pagemap_range)', () => {
  const m = machine(BOOT, [pmem0]);
  // altmap: reserve 2 MiB = 512 pfns; the memmap of 16384 pages needs 256 pfns.
  const firstDevice = PMEM_PFN + 512 + 256;

  it('driver-reserved pfns keep an uninitialized (poisoned) memmap that pfn_valid() still covers', () => {
    const page = m.memmap.read(PMEM_PFN)!;
    assert.ok(pagePoisoned(page.flags));
    assert.equal(pfnValid619(m.mem.words, m.g, PMEM_PFN), true);
    assert.equal(m.truthOf(PMEM_PFN).state, 'driver-reserved');
  });

  it('the altmap pfns holding the memmap are initialized ZONE_DEVICE Reserved without a pgmap', () => {
    const page = m.memmap.read(PMEM_PFN + 512)!;
    assert.equal(pageZonenum(page.flags), ZONE_DEVICE);
    assert.ok(page.flags & PG_reserved);
    assert.equal(page.pgmap, 0);
    assert.equal(m.truthOf(PMEM_PFN + 600).state, 'driver-reserved');
  });

  it('device pages are ZONE_DEVICE, Reserved, point at their pgmap; refcount 0 for fsdax', () => {
    const page = m.memmap.read(firstDevice)!;
    assert.equal(pageZonenum(page.flags), ZONE_DEVICE);
    assert.ok(page.flags & PG_reserved);
    assert.equal(m.pgmapByNum(page.pgmap)?.id, 'pmem0');
    assert.equal(page.refcount, 0);
    assert.deepEqual(m.truthOf(firstDevice), { state: 'device', zone: 'Device', pgmap: 'pmem0', nid: 0 });
    assert.equal(getDevPagemap(m.mem.words, firstDevice), page.pgmap);
  });

  it('the shared section stays ONLINE from boot RAM, is tainted, and 6.19 hides the device pfns', () => {
    const flags = m.sections.flags(m.sections.section(32));
    assert.ok(flags & SECTION_IS_ONLINE);
    assert.ok(flags & SECTION_TAINT_ZONE_DEVICE);
    assert.equal(pfnToOnlinePage619(m.mem.words, m.g, firstDevice), -1);
    // 5.4's pfn_to_online_page() only looked at the section's ONLINE bit: it returns the device page.
    assert.equal(pfnToOnlinePage54(m.mem.words, m.g, firstDevice), firstDevice);
    // The boot RAM half is still online.
    assert.equal(pfnToOnlinePage619(m.mem.words, m.g, PMEM_PFN - 1), PMEM_PFN - 1);
  });

  it('a section holding only device memory never becomes ONLINE', () => {
    const d = machine(BOOT, [
      { op: 'memremap', start: 16 * GiB, size: 128 * MiB, type: 'devdax', id: 'dax0' },
    ]);
    const flags = d.sections.flags(d.sections.section(128));
    assert.equal(flags & SECTION_IS_ONLINE, 0);
    assert.equal(flags & SECTION_TAINT_ZONE_DEVICE, 0, 'section-aligned: no taint');
    assert.equal(
      d.memmap.read((16 * GiB) / 4096)!.refcount,
      1,
      'MEMORY_DEVICE_GENERIC pages start at refcount 1',
    );
  });

  it('ZONE_DEVICE spans the range; no present pages', () => {
    const zone = m.node(0).zones[ZONE_DEVICE];
    assert.deepEqual([zone.zoneStartPfn, zone.spannedPages, zone.presentPages], [PMEM_PFN, 16384, 0]);
  });

  it('satisfies the invariants', () => assert.deepEqual(checkInvariants(m), []));

  it('refuses System RAM, unaligned ranges, overlaps and duplicate ids without changing anything', () => {
    refuses(m, { op: 'memremap', start: GiB, size: 2 * MiB, type: 'fsdax', id: 'x' }, 'ENXIO');
    refuses(m, { op: 'memremap', start: 8 * GiB + 4096, size: 2 * MiB, type: 'fsdax', id: 'x' }, 'EINVAL');
    refuses(m, { op: 'memremap', start: 8 * GiB, size: MiB, type: 'fsdax', id: 'x' }, 'EINVAL');
    refuses(m, { op: 'memremap', start: PMEM + 62 * MiB, size: 4 * MiB, type: 'fsdax', id: 'x' }, 'ENOMEM');
    refuses(m, { ...pmem0, start: 8 * GiB }, 'EEXIST');
    refuses(
      m,
      { op: 'memremap', start: 8 * GiB, size: 2 * MiB, type: 'fsdax', id: 'x', altmap: { reserve: 4 * MiB } },
      'EINVAL',
    );
  });
});

describe('memunmap (memunmap_pages)', () => {
  it('6.19: poisons, frees the memmap of the hot-added subsections, keeps the ZONE_DEVICE span', () => {
    const m = machine(BOOT, [pmem0, { op: 'memunmap', id: 'pmem0' }]);
    // Section 32 is early: its boot memmap stays; the device half becomes a hole again.
    assert.ok(pagePoisoned(m.memmap.read(PMEM_PFN + 1000)!.flags));
    assert.equal(m.truthOf(PMEM_PFN + 1000).state, 'hole');
    assert.equal(m.pgmaps.size, 0);
    assert.equal(getDevPagemap(m.mem.words, PMEM_PFN + 1000), 0);
    assert.equal(m.node(0).zones[ZONE_DEVICE].spannedPages, 16384, 'ZONE_DEVICE never shrinks');
    assert.deepEqual(checkInvariants(m), []);
  });

  it("5.4: depopulate_section_memmap() frees that part of an early section's boot memmap (x86: 0xFD, PMD kept)", () => {
    const m = machine(BOOT, [pmem0, { op: 'memunmap', id: 'pmem0' }], x86({ kernel: '5.4' }));
    const pfn = PMEM_PFN + 1000;
    assert.deepEqual(
      m.memmap.read(pfn),
      VMEMMAP_UNUSED_PAGE,
      'x86 remove_pmd_table() fills the freed part, still mapped',
    );
    assert.equal(m.truthOf(pfn).state, 'hole');
    // The section stays early and ONLINE: pfn_valid() and 5.4's pfn_to_online_page() still say yes.
    assert.equal(pfnValid619(m.mem.words, m.g, pfn), true);
    assert.equal(pfnToOnlinePage54(m.mem.words, m.g, pfn), pfn);
    assert.ok(m.memmap.read(PMEM_PFN - 1), 'the boot RAM half keeps its memmap');
    assert.deepEqual(checkInvariants(m), []);
    // Enabling the namespace again reuses the (partly freed) boot memmap without a crash.
    const again = machine(BOOT, [pmem0, { op: 'memunmap', id: 'pmem0' }, pmem0], x86({ kernel: '5.4' }));
    assert.equal(again.truthOf(pfn).state, 'device');
    assert.deepEqual(checkInvariants(again), []);
  });

  it('frees the memmap entirely for non-early sections', () => {
    const m = machine(BOOT, [
      { op: 'memremap', start: 16 * GiB + 2 * MiB, size: 4 * MiB, type: 'p2pdma', id: 'bar0' },
      { op: 'memunmap', id: 'bar0' },
    ]);
    assert.equal(m.memmap.read((16 * GiB + 2 * MiB) / 4096), undefined);
    assert.equal(m.truthOf((16 * GiB + 2 * MiB) / 4096).state, 'freed');
    assert.equal(m.sections.flags(m.sections.section(128)), 0);
    assert.deepEqual(checkInvariants(m), []);
  });

  it('the memmap is freed before the pgmap leaves pgmap_array (6.19 order)', () => {
    const m = machine(BOOT, [pmem0]);
    const fns = planOperation(m, { op: 'memunmap', id: 'pmem0' }).steps.map((s) => s.fn);
    assert.ok(fns.indexOf('percpu_ref_kill') < fns.indexOf('page_init_poison'));
    assert.ok(fns.lastIndexOf('clear_subsection_map') < fns.indexOf('pgmap_array_delete'));
  });

  it('refuses an unknown pgmap id (-ENOENT) and pinned device pages (-EBUSY)', () => {
    const m = machine(BOOT, [pmem0]);
    refuses(m, { op: 'memunmap', id: 'nope' }, 'ENOENT');
    const pinned = machine(BOOT, [pmem0, { op: 'pin', start: PMEM + 8 * MiB, size: 4096 }]);
    refuses(pinned, { op: 'memunmap', id: 'pmem0' }, 'EBUSY');
  });
});
