import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWithDesigns } from '../../src/compare/index.js';
import { DESIGNS } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import {
  BAND_COLOURS,
  CELL_COLOURS,
  legendItems,
  mapScene,
  renderMapSvg,
  stripWidths,
} from '../../src/report/map.js';
import { layoutMap, sectionMap, subsectionMap } from '../../src/report/map-layout.js';
import { machine } from '../helpers.js';

const pmem = loadScenario('pmem-shares-a-section-with-boot-ram');
/** After boot, add_memory, online and memremap. */
const afterMemremap = runWithDesigns(pmem, DESIGNS, 3).machine;

describe('the map (shared by the demo report and the viewer)', () => {
  it('has a cell per section with state, short absent runs filled, long ones left to the renderer', () => {
    const map = layoutMap(afterMemremap);
    assert.equal(map.level, 'sections');
    const nrs = map.cells.map((c) => c.nr);
    // 2 GiB boot RAM = sections 0-15, the 64 MiB at 4 GiB = section 32, the 1 GiB DIMM at 8 GiB = 64-71.
    assert.deepEqual(nrs, [
      ...Array.from({ length: 16 }, (_, i) => i),
      32,
      ...Array.from({ length: 8 }, (_, i) => 64 + i),
    ]);
    const s32 = map.cells.find((c) => c.nr === 32)!;
    assert.equal(s32.cls, 'mixed');
    assert.equal(s32.flags, 'PMOED');
    assert.equal(s32.parts!.length, 64);
    assert.equal(s32.parts![0], 'online-Normal');
    assert.equal(s32.parts![32], 'driver-reserved', 'the altmap reserve starts the pmem');
    assert.equal(s32.parts![40], 'device');
    assert.equal(map.cells.find((c) => c.nr === 64)!.cls, 'online-Movable');
  });

  it('draws one rect per cell, in its colour, and collapses runs of 4+ absent sections', () => {
    const map = layoutMap(afterMemremap);
    const svg = renderMapSvg(map);
    const cells = [...svg.matchAll(/<rect [^>]*data-nr="(\d+)"[^>]*/g)];
    assert.equal(cells.length, map.cells.length);
    for (const c of map.cells) {
      const rect = cells.find((m) => m[1] === String(c.nr))![0];
      assert.match(rect, new RegExp(`data-cls="${c.cls}"`));
      assert.match(rect, new RegExp(`fill="${c.cls === 'mixed' ? 'transparent' : CELL_COLOURS[c.cls]}"`));
    }
    const gaps = [...svg.matchAll(/data-gap="(\d+)" data-count="(\d+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.deepEqual(gaps, [
      [16, 16],
      [33, 31],
    ]);
  });

  it('draws the bands: zones, node, memory blocks, the pgmap with its altmap reserve', () => {
    const map = sectionMap(afterMemremap, 32);
    const band = (name: string) => map.bands.find((b) => b.name === name)!.ranges;
    assert.deepEqual(
      band('zone').map((r) => [r.label, r.start, r.end]),
      [
        ['Normal', 0x100000, 0x104000],
        ['Device', 0x104000, 0x108000],
      ],
    );
    const pg = band('pgmap');
    assert.deepEqual(
      pg.map((r) => [r.fill, r.start, r.end]),
      [
        [BAND_COLOURS.altmapReserve, 0x104000, 0x104200],
        [BAND_COLOURS.altmapMemmap, 0x104200, pg[1].end],
        [CELL_COLOURS.device, pg[1].end, 0x108000],
      ],
    );
    assert.equal(band('block').length, 1);
    assert.match(band('block')[0].title, /^memory32: online/);
    const svg = renderMapSvg(map);
    for (const lane of ['zone', 'node', 'block', 'pgmap']) assert.match(svg, new RegExp(`>${lane}</text>`));
    const legend = legendItems([map]).map((i) => i.label);
    assert.ok(legend.includes('altmap reserve') && legend.includes('memory block online'), legend.join());
  });

  it('zooms to the subsections of a section and the pages of a subsection', () => {
    const subs = sectionMap(afterMemremap, 32);
    assert.equal(subs.level, 'subsections');
    assert.equal(subs.cells.length, 64);
    assert.equal(subs.cells[0].nr, 32 * 64);
    assert.equal(subs.cells[0].flags, 'S');
    assert.equal(subs.cells[32].cls, 'driver-reserved');
    const pages = subsectionMap(afterMemremap, 32, 33);
    assert.equal(pages.level, 'pages');
    assert.equal(pages.cells.length, 512);
    assert.equal(pages.cells[0].nr, 0x104200);
    // The rest of the altmap holds pmem0's own memmap (driver-reserved), then the device pages begin.
    const classes = new Set(pages.cells.map((c) => c.cls));
    assert.deepEqual([...classes].sort(), ['device', 'driver-reserved']);
  });

  it('outlines a highlighted pfn and scales without moving hit regions', () => {
    const map = layoutMap(afterMemremap);
    const scene = mapScene(map, { highlight: [{ pfn: 0x104400, colour: '#e00000' }], scale: 2 });
    const outline = scene.items.find((i) => i.kind === 'rect' && i.data?.highlight !== undefined);
    assert.ok(outline && outline.kind === 'rect' && outline.stroke === '#e00000');
    assert.equal(outline.data?.highlight, 32);
    const cell = scene.cells.find((c) => c.cell.nr === 32)!;
    assert.equal(cell.start, 32 * 32768);
    assert.match(renderMapSvg(map, { scale: 2 }), new RegExp(`width="${scene.width * 2}"`));
  });

  it('stays small for a large sparse layout', () => {
    const m = machine([
      { start: 0, size: 2 ** 30 },
      { start: 2 ** 44, size: 2 ** 30 },
    ]);
    const map = layoutMap(m);
    assert.equal(map.cells.length, 16);
    const svg = renderMapSvg(map);
    assert.equal([...svg.matchAll(/data-gap=/g)].length, 1);
    assert.ok(svg.length < 20_000, `${svg.length} bytes`);
  });

  it('draws a small part of a mixed cell wide enough to see, the strip still filling the cell', () => {
    // 8 MiB of devdax in a 512 MiB arm64-64k section: one part of 64.
    const w = stripWidths([1, 63], 14, 2);
    assert.equal(w[0], 2);
    assert.ok(Math.abs(w[0] + w[1] - 14) < 1e-9);
    assert.deepEqual(stripWidths([32, 32], 14, 2), [7, 7], 'proportional when every run is wide enough');
    const many = stripWidths([1, 1, 1, 61], 4, 2);
    assert.ok(
      many.every((x) => x >= 1 - 1e-9),
      'the floor shrinks when the runs cannot all get it',
    );
    assert.ok(Math.abs(many.reduce((a, b) => a + b) - 4) < 1e-9);
  });
});
