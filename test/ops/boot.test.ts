import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { geometryFor } from '../../src/arch/presets.js';
import { checkInvariants } from '../../src/model/invariants.js';
import {
  SECTION_HAS_MEM_MAP,
  SECTION_IS_EARLY,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
} from '../../src/model/layout.js';
import { pfnToOnlinePage54, pfnToOnlinePage619, pfnValid619 } from '../../src/model/lookup.js';
import { PG_reserved, pageZonenum, ZONE_DMA, ZONE_DMA32, ZONE_NORMAL } from '../../src/model/page-flags.js';
import { GiB, MiB, machine, x86 } from '../helpers.js';

const PMOE = SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP | SECTION_IS_ONLINE | SECTION_IS_EARLY;

describe('boot (memblocks_present, sparse_init, memmap_init, memory_dev_init)', () => {
  const m = machine([
    { start: 0, size: 2 * GiB },
    { start: 4 * GiB, size: 64 * MiB },
  ]);

  it('boot sections are present, have a memmap, are ONLINE and EARLY', () => {
    for (const nr of [0, 15, 32])
      assert.equal(m.sections.flags(m.sections.section(nr)), PMOE, `section ${nr}`);
    assert.equal(m.sections.section(16) === 0 || m.sections.flags(m.sections.section(16)) === 0, true);
  });

  it('subsection_map covers only the memblock ranges; the boot memmap covers the whole section', () => {
    const ms = m.sections.section(32);
    const usage = m.sections.usage(ms);
    assert.deepEqual(
      m.sections.bitmapIndices(usage, 0),
      Array.from({ length: 32 }, (_, i) => i),
    );
    for (let i = 0; i < 64; i++) assert.ok(m.memmap.isMapped(ms, i));
  });

  it('holes in an early section are initialized Reserved (6.19 init_unavailable_range) and are truth "hole"', () => {
    const pfn = (4 * GiB + 64 * MiB) / 4096;
    const page = m.memmap.read(pfn)!;
    assert.ok(page.flags & PG_reserved);
    assert.equal(m.truthOf(pfn).state, 'hole');
    // pfn_valid() is true (early section) but 6.19 pfn_to_online_page() says NULL (subsection not valid);
    // 5.4 returned the page.
    assert.equal(pfnValid619(m.mem.words, m.g, pfn), true);
    assert.equal(pfnToOnlinePage619(m.mem.words, m.g, pfn), -1);
    assert.equal(pfnToOnlinePage54(m.mem.words, m.g, pfn), pfn);
  });

  it('5.4 zeroes hole struct pages instead (zero_resv_unavail)', () => {
    const m54 = machine(
      [
        { start: 0, size: 2 * GiB },
        { start: 4 * GiB, size: 64 * MiB },
      ],
      [],
      x86({ kernel: '5.4' }),
    );
    assert.deepEqual(m54.memmap.read((4 * GiB + 64 * MiB) / 4096), { flags: 0, refcount: 0, pgmap: 0 });
  });

  it('zones follow the x86 limits: DMA below 16 MiB, DMA32 below 4 GiB, Normal above', () => {
    const zones = m.node(0).zones;
    assert.deepEqual(
      [zones[ZONE_DMA].zoneStartPfn, zones[ZONE_DMA].spannedPages, zones[ZONE_DMA].presentPages],
      [0, 4096, 4096],
    );
    assert.equal(zones[ZONE_DMA32].zoneStartPfn, 4096);
    assert.equal(zones[ZONE_DMA32].presentPages, (2 * GiB) / 4096 - 4096);
    assert.equal(zones[ZONE_NORMAL].zoneStartPfn, (4 * GiB) / 4096);
    assert.equal(zones[ZONE_NORMAL].presentPages, 16384);
    assert.equal(pageZonenum(m.memmap.read(0)!.flags), ZONE_DMA);
    assert.equal(pageZonenum(m.memmap.read(4096)!.flags), ZONE_DMA32);
  });

  it('creates one online memory block per present block; a block spanning zones has no zone', () => {
    assert.equal(m.blockSize, 128 * MiB);
    assert.equal(m.blocks.size, 17);
    assert.equal(m.blocks.get(0)!.zone, null);
    assert.equal(m.blocks.get(1)!.zone, ZONE_DMA32);
    assert.equal(m.blocks.get(32)!.zone, ZONE_NORMAL);
    assert.ok([...m.blocks.values()].every((b) => b.state === 'online' && b.early));
  });

  it('satisfies the invariants', () => {
    assert.deepEqual(checkInvariants(m), []);
  });

  it('boots 2 GiB blocks at 64 GiB and beyond on bare metal', () => {
    const big = machine([
      { start: 0, size: 2 * GiB },
      { start: 4 * GiB, size: 126 * GiB },
    ]);
    assert.equal(big.blockSize, 2 * GiB);
    assert.equal(big.sectionsPerBlock, 16);
    assert.deepEqual(checkInvariants(big), []);
  });

  it('boots every preset', () => {
    for (const name of ['arm64-4k', 'arm64-16k', 'arm64-64k', 'arm64-4k-5.4', 'ppc64-64k']) {
      const g = geometryFor(name);
      const b = machine([{ start: GiB, size: 3 * GiB }], [], g);
      assert.deepEqual(checkInvariants(b), [], name);
      assert.equal(b.blockSize, name === 'ppc64-64k' ? 256 * MiB : g.sectionSize, name);
    }
  });

  it('refuses overlapping or unaligned boot ranges', () => {
    assert.throws(
      () =>
        machine([
          { start: 0, size: GiB },
          { start: 512 * MiB, size: GiB },
        ]),
      /overlap/,
    );
    assert.throws(() => machine([{ start: 100, size: GiB }]), /page aligned/);
  });
});
