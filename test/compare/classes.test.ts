/**
 * The classes compare judges are exact: merged across alike sections and kept
 * up to date step by step, they give the very same result - every step, every
 * design, every category count and example pfn - as straightforward
 * per-subsection classes.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { geometryFor } from '../../src/arch/presets.js';
import { type PfnClass, pfnClasses } from '../../src/compare/classes.js';
import { compareScenario } from '../../src/compare/index.js';
import { ClassTracker } from '../../src/compare/tracker.js';
import {
  bindDesigns,
  DESIGNS,
  type Design,
  designByName,
  FAULT_DESIGNS,
  loadDesign,
} from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { USAGE_DESIGN_BITMAPS } from '../../src/model/layout.js';
import type { Machine } from '../../src/model/machine.js';
import { NULL } from '../../src/model/memory.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import type { OpSpec } from '../../src/ops/spec.js';
import type { Scenario } from '../../src/scenario/index.js';
import { GiB, MiB } from '../helpers.js';

const TiB = 2 ** 40;

/** Every bitmap reads alike at every subsection of the section, tested bit by bit. */
function usageUniformBitByBit(m: Machine, usage: number): boolean {
  for (let slot = 0; slot <= USAGE_DESIGN_BITMAPS; slot++) {
    const first = m.sections.testSubsection(usage, slot, 0);
    for (let i = 1; i < m.g.subsectionsPerSection; i++)
      if (m.sections.testSubsection(usage, slot, i) !== first) return false;
  }
  return true;
}

/**
 * The straightforward classes: both ends of every allocated section, every
 * subsection boundary inside it (or, with `onlyMixed`, inside those whose
 * bitmaps are not uniform), every memmap run, truth interval and pgmap range.
 */
function referenceClasses(m: Machine, onlyMixed: boolean): PfnClass[] {
  const g = m.g;
  const points = new Set<number>([0, g.maxPfn]);
  for (const nr of m.sections.allocatedSectionNrs()) {
    const start = nr * g.pagesPerSection;
    points.add(start);
    points.add(start + g.pagesPerSection);
    const usage = m.sections.usage(m.sections.section(nr));
    if (!onlyMixed || (usage !== NULL && !usageUniformBitByBit(m, usage)))
      for (let i = 1; i < g.subsectionsPerSection; i++) points.add(start + i * g.pagesPerSubsection);
    for (const run of m.memmap.runs(start, start + g.pagesPerSection)) points.add(run.start);
  }
  for (const iv of m.truth.intervals()) points.add(iv.start).add(iv.end);
  for (const p of m.pgmaps.values()) points.add(p.startPfn).add(p.endPfn);
  const sorted = [...points].filter((p) => p <= g.maxPfn).sort((a, b) => a - b);
  return sorted.slice(1).map((end, i) => ({ start: sorted[i], end }));
}

function scenarioOf(name: string, arch: string, boot: [number, number][], steps: OpSpec[]): Scenario {
  return {
    name,
    geometry: geometryFor(arch),
    boot: boot.map(([start, size]) => ({ start, size, node: 0 })),
    steps,
    walkers: [],
    queries: [],
    source: 'test',
  };
}

/** Boot RAM with holes, hotplug on- and offline, ZONE_DEVICE with altmaps, subsection-granular memremap. */
const MIXED: Scenario[] = [
  scenarioOf(
    'x86-mixed',
    'x86_64',
    [
      [0x1000, 0x9e000],
      [MiB, 2 * GiB - MiB],
      [4 * GiB, 4 * GiB - 64 * MiB],
    ],
    [
      { op: 'add_memory', start: 16 * GiB, size: 2 * GiB },
      { op: 'online', start: 16 * GiB, size: GiB, zone: 'movable' },
      { op: 'online', start: 17 * GiB, size: GiB, zone: 'normal' },
      // pmem with an altmap in the hole at the top of boot RAM, sharing a section with it.
      {
        op: 'memremap',
        start: 8 * GiB - 32 * MiB,
        size: 32 * MiB,
        type: 'fsdax',
        id: 'pmem0',
        altmap: { reserve: 2 * MiB },
      },
      // Subsection-granular device memory: 2 MiB, then 6 MiB, in one otherwise empty section.
      { op: 'memremap', start: 64 * GiB + 2 * MiB, size: 2 * MiB, type: 'device_private', id: 'gpu0' },
      { op: 'memremap', start: 64 * GiB + 8 * MiB, size: 6 * MiB, type: 'devdax', id: 'dax0' },
      {
        op: 'memremap',
        start: 32 * GiB,
        size: 512 * MiB,
        type: 'devdax',
        id: 'dax1',
        altmap: { reserve: 4 * MiB },
      },
      { op: 'offline', start: 16 * GiB, size: 512 * MiB },
      { op: 'remove', start: 16 * GiB, size: 512 * MiB },
      { op: 'memunmap', id: 'gpu0' },
      { op: 'memunmap', id: 'pmem0' },
      { op: 'memunmap', id: 'dax1' },
    ],
  ),
  scenarioOf(
    'arm64-64k-mixed',
    'arm64-64k',
    [[GiB, 3 * GiB]],
    [
      { op: 'add_memory', start: 8 * GiB, size: GiB },
      { op: 'online', start: 8 * GiB, size: 512 * MiB, zone: 'movable' },
      {
        op: 'memremap',
        start: 16 * GiB + 8 * MiB,
        size: 16 * MiB,
        type: 'fsdax',
        id: 'pmem0',
        altmap: { reserve: 2 * MiB },
      },
      { op: 'memremap', start: 16 * GiB + 64 * MiB, size: 4 * MiB, type: 'p2pdma', id: 'bar0' },
      { op: 'offline', start: 8 * GiB, size: 512 * MiB },
      { op: 'memunmap', id: 'pmem0' },
    ],
  ),
];

function builtinScenarios(): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.name.endsWith('.json')) out.push(`${prefix}${e.name.replace(/\.json$/, '')}`);
    }
  };
  walk('scenarios', '');
  return out.sort();
}

/** Every built-in design and the example module: the readers, and write sides filling 5 bitmap slots. */
async function allDesigns(): Promise<Design[]> {
  return [...DESIGNS, ...FAULT_DESIGNS, await loadDesign('./examples/designs/section-online.js')];
}

/** compare's classes (merged, tracked) against the reference on one scenario. */
function assertSameResult(s: Scenario, designs: Design[], onlyMixed: boolean): void {
  const ours = compareScenario(s, { designs });
  const reference = compareScenario(s, {
    designs,
    classLimit: Number.POSITIVE_INFINITY,
    classify: (m) => referenceClasses(m, onlyMixed),
  });
  assert.equal(ours.coverage, 'every-pfn');
  // The contract's spot checks probe pfns of the classes judged, which differ: compare what they found.
  const { contract: ourCheck, ...ourRest } = ours;
  const { contract: referenceCheck, ...referenceRest } = reference;
  assert.deepEqual(ourRest, referenceRest);
  for (const check of [ourCheck, referenceCheck]) {
    assert.ok(check, 'the example module design is spot-checked');
    assert.ok(Object.values(check.checked).every((n) => n > 0));
    assert.deepEqual(check.examples, [], 'the example module design keeps the one-pfn-per-class contract');
  }
}

/** After every kernel step the tracker's classes are the classes of a fresh scan. */
function assertTrackerExact(s: Scenario, designs: Design[]): number {
  let tracker: ClassTracker | undefined;
  let steps = 0;
  const check = (m: Machine) => {
    tracker = tracker ?? new ClassTracker(m);
    assert.deepEqual(tracker.classes(), pfnClasses(m));
    steps++;
  };
  runScenario(s, {
    prepare: (m) => bindDesigns(m, designs).map((b) => b.writeSide),
    onStep: (m, op) => op.index > 0 && check(m),
    onOperation: (m, op) => op.index === 0 && check(m),
  });
  return steps;
}

describe('compare classes are exact', () => {
  for (const name of builtinScenarios()) {
    it(`${name}: same result as per-section classes split at every mixed subsection`, async () => {
      assertSameResult(loadScenario(name), await allDesigns(), true);
    });
  }

  for (const s of MIXED) {
    it(`${s.name}: same result as classes split at every subsection`, async () => {
      assertSameResult(s, await allDesigns(), false);
    });
  }

  for (const s of [...MIXED, ...builtinScenarios().map((name) => loadScenario(name))]) {
    it(`${s.name}: the tracker's classes equal a full scan's after every kernel step`, async () => {
      assert.ok(assertTrackerExact(s, await allDesigns()) > 10);
    });
  }
});

describe('compare on huge machines', () => {
  const huge = scenarioOf(
    'x86-62TiB',
    'x86_64',
    [
      [0, 2 * GiB],
      [4 * GiB, 62 * TiB - 4 * GiB],
    ],
    [
      { op: 'add_memory', start: 62 * TiB, size: 4 * GiB },
      { op: 'online', start: 62 * TiB, size: 4 * GiB },
    ],
  );

  it('judges every pfn of a 62 TiB machine with a hotplug, in a handful of classes', () => {
    let classes = 0;
    const r = compareScenario(huge, {
      designs: DESIGNS,
      onDone: (_m, _b, c) => {
        classes = c.length;
      },
    });
    assert.equal(r.coverage, 'every-pfn');
    assert.ok(classes < 20, `${classes} classes`);
    assert.ok(r.steps[1].kernelSteps > 100);
  });

  it('samples only a fragmented layout, a bounded stratified number of classes, and says so', () => {
    const r = compareScenario(loadScenario('dimm-hotplug'), {
      designs: [designByName('upstream')!],
      classLimit: 10,
      samples: 4,
    });
    assert.equal(r.coverage, 'sampled');
    assert.match(r.note, /more than 10 classes/);
    assert.match(r.note, /4 of them were judged/);
    assert.match(r.note, /lower bounds/);
  });
});
