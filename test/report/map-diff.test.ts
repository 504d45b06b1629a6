import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESIGNS, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import { mapChanges, OUTLINE_LIMIT } from '../../src/report/map-diff.js';
import { layoutMap, sectionMap } from '../../src/report/map-layout.js';
import { packMap, unpackMap } from '../../src/report/map-pack.js';
import { mapScene } from '../../src/report/map-scene.js';
import { scenarioFromJson } from '../../src/scenario/index.js';

const pmem = loadScenario('pmem-shares-a-section-with-boot-ram');
const after = (n: number) => runWithDesigns(pmem, DESIGNS, { operations: n }).machine;

describe('maps as runs (the viewer sends them so)', () => {
  it('unpacks to the map it packed, mixed cells and all, at every zoom level', () => {
    const m = after(3);
    for (const map of [layoutMap(m), sectionMap(m, 32)]) {
      const packed = packMap(map);
      assert.ok(packed.runs.length < map.cells.length, 'alike neighbours share a run');
      assert.deepEqual(unpackMap(JSON.parse(JSON.stringify(packed))), JSON.parse(JSON.stringify(map)));
    }
    assert.ok(
      layoutMap(m).cells.some((c) => c.parts),
      'the map has a mixed cell (section 32: boot RAM and pmem)',
    );
  });

  it('a 16 TiB machine after boot is a few runs: well under 200 KB', () => {
    const s = scenarioFromJson({ name: 'big16', boot: [{ start: '0', size: '16T' }] }, 'test');
    const map = layoutMap(runScenario(s).machine);
    assert.equal(map.cells.length, 131072);
    const json = JSON.stringify(packMap(map));
    assert.ok(json.length < 200_000, `${json.length} bytes`);
    assert.equal(unpackMap(JSON.parse(json)).cells.length, 131072);
  });
});

describe('what a step changed on the map', () => {
  const steps: { fn: string; map: ReturnType<typeof layoutMap> }[] = [];
  runScenario(pmem, { onStep: (m, _op, _s, rec) => steps.push({ fn: rec.fn, map: layoutMap(m) }) });

  it('names band-only changes: a zone span growing, a memory block going online', () => {
    const lines = steps.slice(1).map((s, i) => ({ fn: s.fn, c: mapChanges(steps[i].map, s.map) }));
    // Every kernel step that changes a band says so in its line, with the band range outlined.
    const bandOnly = lines.filter((l) => l.c.cells.length === 0 && l.c.bands.length > 0);
    assert.ok(bandOnly.length > 0, 'some steps change only bands');
    for (const l of bandOnly) assert.notEqual(l.c.line, '', `${l.fn} says what it changed`);
    const online = lines.find((l) => /memory\d+ offline → online/.test(l.c.line));
    assert.ok(online, lines.map((l) => `${l.fn}: ${l.c.line}`).join('\n'));
    assert.ok(lines.some((l) => /zone \w+ spans [+-]\d+ pfns|zone \w+ added/.test(l.c.line)));
    // The changed band range is outlined in the scene.
    const i = lines.indexOf(online);
    const scene = mapScene(steps[i + 1].map, { bandOutline: online.c.bands });
    assert.ok(scene.items.some((it) => it.kind === 'rect' && it.data?.changed === 'band'));
  });

  it('past the outline limit, says "all N sections changed" and outlines none', () => {
    const s = scenarioFromJson({ name: 'big', boot: [{ start: '0', size: '1T' }] }, 'test');
    const maps: ReturnType<typeof layoutMap>[] = [];
    runScenario(s, { onStep: (m) => maps.push(layoutMap(m)) });
    const all = maps
      .slice(1)
      .map((m, i) => mapChanges(maps[i], m))
      .find((c) => c.cells.length === c.total);
    assert.ok(all, 'a boot step changes every section');
    assert.ok(all.cells.length > OUTLINE_LIMIT);
    assert.match(all.line, new RegExp(`^all ${all.total} sections changed`));
  });
});
