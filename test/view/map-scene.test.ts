/**
 * The map scene as the viewer draws it, on what a first session with the viewer ran into: a 16 TiB
 * boot whose every section changes in one step, row labels past 16 TiB, the subsection_map bits
 * when zoomed into a section, a zone span with no pages of its zone left to explain its colour.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESIGNS, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import {
  BAND_COLOURS,
  CELL_COLOURS,
  contrastRatio,
  type LayoutMap,
  legendItems,
} from '../../src/report/map.js';
import { layoutMap, sectionMap } from '../../src/report/map-layout.js';
import { type MapScene, mapScene, type SceneRect, viewStyle } from '../../src/report/map-scene.js';

/** A sections map of n online sections from section `from`, no bands (x86_64 geometry). */
function sections(n: number, from = 0): LayoutMap {
  return {
    level: 'sections',
    pageSize: 4096,
    pagesPerSection: 32768,
    sectionSize: 2 ** 27,
    subsectionsPerSection: 64,
    pagesPerSubsection: 512,
    unitPages: 32768,
    cells: Array.from({ length: n }, (_, i) => ({
      nr: from + i,
      flags: 'PMOE',
      cls: 'online-Normal' as const,
    })),
    bands: [],
  };
}

/** #abc as #aabbcc. */
function expand(c: string): string {
  return `#${[...c.slice(1)].map((x) => x + x).join('')}`;
}

/** A 16 TiB boot as the viewer gets it: 131072 online sections, its zones, node and (merged) blocks. */
function boot16TiB(): LayoutMap {
  const top = 2 ** 32;
  const band = (start: number, end: number, fill: string, label: string) => ({
    start,
    end,
    fill,
    label,
    title: label,
  });
  const map = sections(131072);
  return {
    ...map,
    bands: [
      {
        name: 'zone',
        ranges: [
          band(0, 4096, CELL_COLOURS['online-DMA'], 'DMA'),
          band(4096, 2 ** 20, CELL_COLOURS['online-DMA32'], 'DMA32'),
          band(2 ** 20, top, CELL_COLOURS['online-Normal'], 'Normal'),
        ],
      },
      { name: 'node', ranges: [band(0, top, BAND_COLOURS.nodes[0], 'node 0')] },
      { name: 'block', ranges: [band(0, top, BAND_COLOURS.blockOnline, '')] },
      { name: 'pgmap', ranges: [] },
    ],
  };
}

/** What the viewer's pointer finds at scene (x, y): the cell and pfn, as MapView.pick does. */
function hit(scene: MapScene, x: number, y: number): { nr: number; pfn: number } | undefined {
  const sc = scene.cells.find((c) => x >= c.x && x < c.x + c.w + 2 && y >= c.y && y < c.y + c.h);
  if (!sc) return undefined;
  const frac = Math.min(Math.max((x - sc.x) / sc.w, 0), 0.999999);
  return { nr: sc.cell.nr, pfn: sc.start + Math.floor(frac * sc.pages) };
}

describe('pfnlab view: the map scene', () => {
  it('outlines every changed section of a 16 TiB boot, each on its own cell', () => {
    // Stepping across boot changes all 131072 sections; outlining them scanned every highlight
    // for every cell (17 billion comparisons, a 26 s step in the browser).
    const map = sections(131072);
    const highlight = map.cells.map((c) => ({ pfn: c.nr * map.unitPages + 5, colour: '#d01c8b' }));
    const scene = mapScene(map, { cell: 4, cellHeight: 10, gap: 1, perRow: 128, band: 4, highlight });
    const outlines = scene.items.filter((i) => i.kind === 'rect' && i.data?.highlight !== undefined);
    assert.equal(outlines.length, 131072);
    assert.equal((outlines[77] as SceneRect).data?.highlight, 77);
  });

  it('widens the row labels rather than run them into the first cell', () => {
    const scene = mapScene(sections(256, 131072), { perRow: 128 });
    const label = scene.items.find((i) => i.kind === 'text' && i.text.startsWith('§131200'));
    assert.ok(label && label.kind === 'text', 'the second row is labelled');
    assert.equal(label.text, '§131200 0x100400000000');
    // 9.5px monospace: about 0.6em a character.
    const labelEnd = label.text.length * 9.5 * 0.6;
    assert.ok(scene.cells[0].x > labelEnd, `first cell at ${scene.cells[0].x}, label to ${labelEnd}`);
    // A short label keeps the usual column, as the demo report draws it.
    assert.equal(mapScene(sections(4)).cells[0].x, 118);
  });

  it("marks the subsections in their section's subsection_map, and says so in the legend", () => {
    // device-private after its second memremap: a pgmap of the single 2 MiB subsection 1 of section 516.
    const m = runWithDesigns(loadScenario('device-private'), DESIGNS, { operations: 2 }).machine;
    const map = sectionMap(m, 516);
    assert.equal(map.cells.map((c) => c.flags).join(''), `-S${'-'.repeat(62)}`);
    const scene = mapScene(map);
    const cell1 = scene.cells[1];
    const marks = scene.items.filter(
      (i): i is SceneRect => i.kind === 'rect' && i.w === 4 && i.h === 4 && i.stroke === '#fff',
    );
    assert.equal(marks.length, 1, 'one mark: subsection 1');
    assert.ok(marks[0].x > cell1.x && marks[0].x + marks[0].w < cell1.x + cell1.w && marks[0].y > cell1.y);
    const legend = legendItems([map]);
    assert.ok(legend.some((i) => i.label === 'in subsection_map (corner mark)' && i.mark === 'top-right'));
    assert.ok(!legendItems([layoutMap(m)]).some((i) => i.label.includes('subsection_map')));
  });

  it('explains a zone band whose colour no cell has (ZONE_DEVICE is never shrunk)', () => {
    // arm64-64k at the end: dax0.0 is unmapped, but the kernel leaves ZONE_DEVICE's span.
    const m = runWithDesigns(loadScenario('arm64-64k'), DESIGNS).machine;
    const map = layoutMap(m);
    assert.ok(!map.cells.some((c) => c.cls === 'device'));
    const zone = map.bands.find((b) => b.name === 'zone')!.ranges;
    assert.ok(zone.some((r) => r.label === 'Device'));
    const labels = legendItems([map]).map((i) => i.label);
    assert.ok(labels.includes('zone span Device'), labels.join());
    // A zone whose pages are drawn needs no second entry.
    assert.ok(!labels.includes('zone span Normal'), labels.join());
  });

  it('folds the alike rows of a 16 TiB boot, every drawn cell still pointing at its own section', () => {
    const map = boot16TiB();
    const style = viewStyle(map);
    const whole = mapScene(map, { ...style, fold: 0 });
    const scene = mapScene(map, style);
    assert.equal(whole.cells.length, 131072);
    assert.ok(whole.items.length > 131072);
    // Row 0 starts the zones (ZONE_NORMAL at section 32), row 1 is drawn for the 1021 rows folded
    // under it, row 1023 ends ZONE_NORMAL and node 0.
    assert.deepEqual(
      scene.folds.map((f) => [f.first, f.last, f.rows]),
      [[256, 130943, 1021]],
    );
    assert.equal(scene.cells.length, 3 * 128);
    assert.ok(scene.items.length < 1000, `${scene.items.length} items`);
    assert.ok(scene.height < whole.height / 100, `${scene.height} tall, ${whole.height} unfolded`);
    const [fold] = scene.folds;
    assert.equal(fold.start, 256 * 32768);
    assert.equal(fold.pages, 1021 * 128 * 32768);
    assert.match(fold.text, /^1021 rows like the one above folded: §256-§130943, 0x800000000-0xffbffffffff /);
    for (const c of scene.cells) {
      const at = hit(scene, c.x + c.w / 2, c.y + c.h / 2);
      assert.equal(at?.nr, c.cell.nr);
      assert.equal(Math.floor(at.pfn / 32768), c.cell.nr);
    }
    // The last row is drawn below the marker; the marker itself is no cell.
    const last = scene.cells.find((c) => c.cell.nr === 131071)!;
    assert.ok(last.y > fold.y + fold.h);
    assert.equal(hit(scene, fold.x + fold.w / 2, fold.y + fold.h / 2), undefined);
  });

  it('draws the pinned pfn of a folded run in its row, so the pin and the pointer find it', () => {
    const map = boot16TiB();
    const pfn = 65000 * 32768 + 123;
    const scene = mapScene(map, { ...viewStyle(map), keep: [pfn] });
    assert.deepEqual(
      scene.folds.map((f) => [f.first, f.last]),
      [
        [256, 64895],
        [65152, 130943],
      ],
    );
    const sc = scene.cells.find((c) => pfn >= c.start && pfn < c.start + c.pages)!;
    assert.equal(sc.cell.nr, 65000);
    assert.equal(hit(scene, sc.x + sc.w / 2, sc.y + 1)?.nr, 65000);
  });

  it('raises every label to the smallest size asked for, with room for it and 4.5:1 on what is under it', () => {
    const pmem = loadScenario('pmem-shares-a-section-with-boot-ram');
    const m = runWithDesigns(pmem, DESIGNS, { operations: 4 }).machine;
    for (const map of [boot16TiB(), layoutMap(m), sectionMap(m, 32)]) {
      for (const font of [6.9, 11, 18]) {
        const scene = mapScene(map, { ...viewStyle(map), font });
        const texts = scene.items.filter((it) => it.kind === 'text');
        assert.ok(texts.length > 3);
        for (const [i, t] of scene.items.entries()) {
          if (t.kind !== 'text') continue;
          assert.ok(t.size >= font, `'${t.text}' at ${t.size} < ${font}`);
          // What it is drawn on: the last filled rect before it under the middle of its first letters.
          const [px, py] = [t.anchor === 'end' ? t.x - 2 : t.x + 2, t.y - t.size * 0.35];
          const under = scene.items
            .slice(0, i)
            .filter(
              (r): r is SceneRect =>
                r.kind === 'rect' &&
                !r.hatch &&
                r.fill.startsWith('#') &&
                px >= r.x &&
                px <= r.x + r.w &&
                py >= r.y &&
                py <= r.y + r.h,
            )
            .pop();
          const bg = under?.fill ?? '#ffffff';
          const ratio = contrastRatio(t.fill ?? '#000000', bg.length === 4 ? expand(bg) : bg);
          assert.ok(ratio >= 4.5, `'${t.text}' ${t.fill} on ${bg}: ${ratio.toFixed(2)}`);
        }
        // Row labels fit their column: about 0.61 of the size a character in a monospace font.
        for (const t of texts.filter((x) => x.x === 0))
          assert.ok(t.text.length * 0.61 * t.size <= scene.width - (scene.cells[0]?.x ?? 0) + 1e-9);
        const firstCellX = Math.min(...scene.cells.map((c) => c.x));
        for (const t of texts.filter((x) => x.x === 0))
          assert.ok(t.text.length * 0.61 * t.size <= firstCellX, `'${t.text}' runs into the cells`);
      }
    }
  });

  it('hatches driver-reserved cells and the altmap reserve band over their colour', () => {
    const pmem = loadScenario('pmem-shares-a-section-with-boot-ram');
    const m = runWithDesigns(pmem, DESIGNS, { operations: 4 }).machine;
    const map = sectionMap(m, 32);
    const scene = mapScene(map, viewStyle(map));
    const rects = scene.items.filter((it): it is SceneRect => it.kind === 'rect');
    const reserved = scene.cells.filter((c) => c.cell.cls === 'driver-reserved');
    assert.ok(reserved.length >= 1);
    for (const c of reserved)
      assert.ok(
        rects.some((r) => r.hatch && r.x === c.x && r.y === c.y && r.w === c.w && r.h === c.h),
        `subsection ${c.cell.nr} hatched`,
      );
    const band = rects.find((r) => r.fill === BAND_COLOURS.altmapReserve && !r.data);
    assert.ok(band, 'the reserve band');
    assert.ok(rects.some((r) => r.hatch && r.x === band.x && r.y === band.y));
    // Nothing else is hatched: each hatching lies on a rect of the reserved colour (a cell, the
    // reserved part of a mixed cell, the band), drawn just before it.
    const hatched = scene.items.flatMap((it, i) =>
      it.kind === 'rect' && it.hatch ? [[it, scene.items[i - 1] as SceneRect] as const] : [],
    );
    assert.ok(hatched.length >= reserved.length + 1);
    for (const [h, under] of hatched) {
      assert.equal(under.kind, 'rect');
      assert.equal(under.fill, CELL_COLOURS['driver-reserved']);
      assert.deepEqual([h.x, h.y, h.w], [under.x, under.y, under.w]);
    }
    assert.ok(legendItems([map]).some((i) => i.label.startsWith('driver-reserved') && i.hatch));
  });
});
