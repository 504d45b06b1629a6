/**
 * The map scene as the viewer draws it, on what a first session with the viewer ran into: a 16 TiB
 * boot whose every section changes in one step, row labels past 16 TiB, the subsection_map bits
 * when zoomed into a section, a zone span with no pages of its zone left to explain its colour.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWithDesigns } from '../../src/compare/index.js';
import { DESIGNS } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { type LayoutMap, legendItems, mapScene, type SceneRect } from '../../src/report/map.js';
import { layoutMap, sectionMap } from '../../src/report/map-layout.js';

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
    const m = runWithDesigns(loadScenario('device-private'), DESIGNS, 2).machine;
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
});
