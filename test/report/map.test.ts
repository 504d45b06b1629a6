import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESIGNS, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { BAND_COLOURS, CELL_COLOURS, type LayoutMap, legendItems } from '../../src/report/map.js';
import { layoutMap, sectionMap, subsectionMap } from '../../src/report/map-layout.js';
import { type MapScene, mapScene, stripWidths } from '../../src/report/map-scene.js';
import { renderMapSvg } from '../../src/report/map-svg.js';
import { machine } from '../helpers.js';

const GiB = 2 ** 30;

/** Every cell of the map is drawn or folded, not both; folded runs are 7+ rows like the row above them. */
function assertFoldsCover(map: LayoutMap, scene: MapScene, perRow: number): void {
  const drawn = new Set(scene.cells.map((c) => c.cell.nr));
  for (const c of map.cells) {
    const folds = scene.folds.filter((f) => c.nr >= f.first && c.nr <= f.last).length;
    assert.equal(Number(drawn.has(c.nr)) + folds, 1, `section ${c.nr} drawn or folded, once`);
  }
  for (const f of scene.folds) {
    assert.ok(f.rows >= 7, `${f.rows} rows folded`);
    assert.equal(f.last - f.first + 1, f.rows * perRow);
    assert.equal(f.start, f.first * map.unitPages);
    const above = scene.cells.filter((c) => c.cell.nr >= f.first - perRow && c.cell.nr < f.first);
    assert.equal(above.length, perRow, 'the row above a fold is drawn');
    const folded = map.cells.find((c) => c.nr === f.first)!;
    assert.ok(above.every((c) => c.cell.cls === folded.cls && c.cell.flags === folded.flags));
    // Whatever is drawn after the fold is below its marker.
    const after = scene.cells.find((c) => c.cell.nr > f.last);
    if (after) assert.ok(after.y >= f.y + f.h, `section ${after.cell.nr} below the marker`);
  }
}

const pmem = loadScenario('pmem-shares-a-section-with-boot-ram');
/** After boot, add_memory, online and memremap. */
const afterMemremap = runWithDesigns(pmem, DESIGNS, { operations: 3 }).machine;

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

  it('folds 8+ alike rows of a large machine into their first row and a marker naming the range', () => {
    // 256 GiB of boot RAM with a hole, 2 GiB of it hot-added (no early flag) at 128 GiB.
    const m = machine(
      [
        { start: 0, size: 128 * GiB },
        { start: 136 * GiB, size: 120 * GiB },
      ],
      [
        { op: 'add_memory', start: 128 * GiB, size: 2 * GiB },
        { op: 'online', start: 128 * GiB, size: 2 * GiB },
      ],
    );
    const map = layoutMap(m);
    const scene = mapScene(map);
    const whole = mapScene(map, { fold: 0 });
    assert.equal(whole.folds.length, 0);
    assert.equal(whole.cells.length, map.cells.length);
    assertFoldsCover(map, scene, 32);
    // Rows 2-31 of boot RAM (rows 0 and 1 start the zones, ZONE_NORMAL at 4 GiB = section 32;
    // row 32 holds the hot-added block, then the hole is a row of its own), and the rows of the
    // second range, aligned to 32-section boundaries, but its first and last (the end of
    // ZONE_NORMAL and node 0).
    assert.deepEqual(
      scene.folds.map((f) => [f.first, f.last]),
      [
        [96, 1023],
        [1120, 2015],
      ],
    );
    assert.ok(scene.height < whole.height / 4, `${scene.height} of ${whole.height}`);
    const drawn = new Set(scene.cells.map((c) => c.cell.nr));
    for (let nr = 1024; nr < 1040; nr++) assert.ok(drawn.has(nr), `hot-added section ${nr} drawn`);
    for (const nr of [0, 31, 32, 63, 2031, 2047]) assert.ok(drawn.has(nr), `section ${nr} drawn`);
    // The marker says how many rows and which sections and addresses, in its title too.
    const svg = renderMapSvg(map);
    assert.ok(
      /<rect [^>]*data-fold="96" data-rows="29" data-count="928"><title>29 rows like the one above folded: §96-§1023, 0x300000000-0x1fffffffff \(116G\)<\/title>/.test(
        svg,
      ),
      'the marker and its title',
    );
    assert.equal([...svg.matchAll(/data-nr=/g)].length, scene.cells.length);
  });

  it('draws a highlighted or kept pfn in its row, the fold split around it', () => {
    const m = machine([{ start: 0, size: 128 * GiB }]);
    const map = layoutMap(m);
    assert.deepEqual(
      mapScene(map).folds.map((f) => [f.first, f.last]),
      [[96, 991]],
    );
    const pfn = 500 * map.unitPages + 7;
    for (const style of [{ highlight: [{ pfn, colour: '#e00000' }] }, { keep: [pfn] }]) {
      const scene = mapScene(map, style);
      assertFoldsCover(map, scene, 32);
      assert.deepEqual(
        scene.folds.map((f) => [f.first, f.last]),
        [
          [96, 479],
          [544, 991],
        ],
      );
      const cell = scene.cells.find((c) => pfn >= c.start && pfn < c.start + c.pages);
      assert.equal(cell?.cell.nr, 500);
    }
  });

  it('keeps small maps as they were: 7 alike rows stay rows, 8 fold', () => {
    assert.equal(renderMapSvg(layoutMap(afterMemremap)), renderMapSvg(layoutMap(afterMemremap), { fold: 0 }));
    // 40 GiB: 10 rows of 32 sections, the first two starting zones (ZONE_NORMAL at 4 GiB), the
    // last ending them: 7 alike rows between.
    const ten = layoutMap(machine([{ start: 0, size: 40 * GiB }]));
    assert.equal(mapScene(ten).folds.length, 0);
    assert.equal(renderMapSvg(ten), renderMapSvg(ten, { fold: 0 }));
    const eleven = layoutMap(machine([{ start: 0, size: 44 * GiB }]));
    assert.deepEqual(
      mapScene(eleven).folds.map((f) => [f.first, f.last, f.rows]),
      [[96, 319, 7]],
    );
  });
});
