import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryBlockSizeBytes, x86MemoryBlockSize } from '../../src/arch/block-size.js';
import { GeometryError } from '../../src/arch/geometry.js';
import { locatePfn } from '../../src/arch/pfn.js';
import { geometryFor, PRESET_NAMES } from '../../src/arch/presets.js';
import { GiB, MiB } from '../helpers.js';

describe('architecture presets (asm/sparsemem.h, include/linux/mmzone.h)', () => {
  it('x86_64: 128 MiB sections, 64 subsections of 512 pages, 2^19 sections in 2048 roots', () => {
    const g = geometryFor('x86_64');
    assert.equal(g.pagesPerSection, 32768);
    assert.equal(g.pfnSectionShift, 15);
    assert.equal(g.pagesPerSubsection, 512);
    assert.equal(g.subsectionsPerSection, 64);
    assert.equal(g.nrMemSections, 2 ** 19);
    assert.equal(g.sectionsPerRoot, 256);
    assert.equal(g.nrSectionRoots, 2048);
    assert.equal(g.subsectionMapWords, 2);
  });

  it('x86_64 with 5-level paging: 2^25 sections', () => {
    const g = geometryFor('x86_64-5level');
    assert.equal(g.maxPhysmemBits, 52);
    assert.equal(g.nrMemSections, 2 ** 25);
    assert.equal(g.nrSectionRoots, 131072);
  });

  it('arm64 section sizes changed in v5.12', () => {
    const rows: [string, number, number, number][] = [
      // preset, PAGES_PER_SECTION, PAGES_PER_SUBSECTION, SUBSECTIONS_PER_SECTION
      ['arm64-4k', 32768, 512, 64],
      ['arm64-16k', 8192, 128, 64],
      ['arm64-64k', 8192, 32, 256],
      ['arm64-4k-5.4', 262144, 512, 512],
      ['arm64-16k-5.4', 65536, 128, 512],
      ['arm64-64k-5.4', 16384, 32, 512],
    ];
    for (const [name, pps, ppss, spss] of rows) {
      const g = geometryFor(name);
      assert.deepEqual(
        [g.pagesPerSection, g.pagesPerSubsection, g.subsectionsPerSection],
        [pps, ppss, spss],
        name,
      );
    }
    assert.equal(geometryFor('arm64-64k').sectionsPerRoot, 4096);
    assert.equal(geometryFor('arm64-16k').sectionsPerRoot, 1024);
    assert.equal(geometryFor('arm64-64k').pageblockOrder, 13);
    assert.equal(geometryFor('arm64-4k-5.4').kernel, '5.4');
  });

  it('ppc64 with 64K pages: 16 MiB sections of 256 pages, 8 subsections', () => {
    const g = geometryFor('ppc64-64k');
    assert.equal(g.pagesPerSection, 256);
    assert.equal(g.pagesPerSubsection, 32);
    assert.equal(g.subsectionsPerSection, 8);
    assert.equal(g.maxPhysmemBits, 51);
  });

  it('every preset satisfies MAX_PAGE_ORDER + PAGE_SHIFT <= SECTION_SIZE_BITS', () => {
    for (const name of PRESET_NAMES) {
      const g = geometryFor(name);
      assert.ok(g.maxPageOrder + g.pageShift <= g.sectionSizeBits, name);
    }
  });

  it('overrides are applied and checked', () => {
    assert.equal(geometryFor('x86_64', { sectionSizeBits: 29 }).subsectionsPerSection, 256);
    assert.throws(() => geometryFor('x86_64', { sectionSizeBits: 20 }), GeometryError);
    assert.throws(() => geometryFor('x86_64', { memoryBlockSize: 96 * MiB }), GeometryError);
    assert.throws(() => geometryFor('x86_64', { maxPageOrder: 20 }), /MAX_PAGE_ORDER/);
    assert.throws(
      () => geometryFor('x86_64', { pageblockOrder: 12, maxPageOrder: 10 }),
      /pageblockOrder.*\[0, 10\]/,
    );
    assert.throws(
      () => geometryFor('x86_64', { pageShift: 16, sectionSizeBits: 24, maxPageOrder: 8 }),
      /override pageblockOrder too/,
    );
    assert.throws(() => geometryFor('x86_64', { zoneDmaLimit: 8 * GiB }), /ZONE_DMA comes first/);
    assert.throws(() => geometryFor('x86_64', { zoneDma32Limit: 4 * GiB + 1 }), /page-aligned/);
  });
});

describe('memory_block_size_bytes()', () => {
  it('x86 6.19: 128 MiB below 64 GiB, 2 GiB on bare metal above', () => {
    assert.equal(x86MemoryBlockSize(63 * GiB, false, '6.19'), 128 * MiB);
    assert.equal(x86MemoryBlockSize(64 * GiB, false, '6.19'), 2 * GiB);
    assert.equal(x86MemoryBlockSize(66 * GiB + 128 * MiB, false, '6.19'), 2 * GiB);
  });

  it('x86 6.19 under a hypervisor: the largest block up to 2 GiB aligned to the end of boot memory', () => {
    assert.equal(x86MemoryBlockSize(68 * GiB, true, '6.19'), 2 * GiB);
    assert.equal(x86MemoryBlockSize(65 * GiB, true, '6.19'), GiB);
    assert.equal(x86MemoryBlockSize(66 * GiB + 128 * MiB, true, '6.19'), 128 * MiB);
    assert.equal(x86MemoryBlockSize(66 * GiB + 512 * MiB, true, '6.19'), 512 * MiB);
  });

  it('x86 5.4: always aligned to the end of boot memory', () => {
    assert.equal(x86MemoryBlockSize(65 * GiB, false, '5.4'), GiB);
    assert.equal(x86MemoryBlockSize(64 * GiB, false, '5.4'), 2 * GiB);
  });

  it('other architectures use one section unless set', () => {
    assert.equal(memoryBlockSizeBytes(geometryFor('arm64-64k'), 100 * GiB), 512 * MiB);
    assert.equal(memoryBlockSizeBytes(geometryFor('ppc64-64k'), 100 * GiB), 256 * MiB);
  });
});

describe('pfn arithmetic', () => {
  it('locates a pfn in section, root, subsection and block', () => {
    const g = geometryFor('x86_64');
    const loc = locatePfn(g, 0x104200, 1);
    assert.equal(loc.section, 32);
    assert.equal(loc.subsection, 33);
    assert.equal(loc.root, 0);
    assert.equal(loc.block, 32);
    assert.equal(loc.phys, 0x104200000);
  });

  it('is exact for pfns beyond 2^32', () => {
    const g = geometryFor('x86_64-5level');
    const pfn = 2 ** 39 + 12345;
    const loc = locatePfn(g, pfn, 16);
    assert.equal(loc.section, Math.floor(pfn / 32768));
    assert.equal(loc.root, Math.floor(loc.section / 256));
    assert.equal(loc.subsection, Math.floor((pfn % 32768) / 512));
    assert.equal(loc.block, Math.floor(loc.section / 16));
  });
});
