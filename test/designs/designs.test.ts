import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareScenario, designAnswers } from '../../src/compare/index.js';
import { DESIGNS, designByName, loadDesign, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { BOOT, TRANSITIONS } from '../fixtures/transitions.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

type A = [valid: 0 | 1, online: 0 | 1, device: 0 | 1 | null, zoneDevice: 0 | 1];

/** Each design's answers on every §8 row: pfn_valid, pfn_to_online_page, pfn_to_device_page, is_zone_device_page. */
const EXPECTED: Record<string, A[]> = {
  'v5.4': [
    [0, 0, null, 0],
    [1, 1, null, 0], // 5.4 returns boot holes of an online section
    [1, 1, null, 0],
    [1, 0, null, 0],
    [1, 1, null, 0],
    [1, 0, null, 0],
    [1, 0, null, 1],
    [1, 1, null, 1], // 5.4 returns the ZONE_DEVICE page as online
    [0, 0, null, 0],
    [0, 0, null, 0],
  ],
  'active-bitmap': [
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [1, 0, 1, 1],
    [1, 0, 1, 1],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ],
  'device-bitmap': [
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [1, 0, 1, 1],
    [1, 0, 1, 1],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ],
  upstream: [
    [0, 0, null, 0],
    [1, 0, null, 0],
    [1, 1, null, 0],
    [1, 0, null, 0],
    [1, 1, null, 0],
    [1, 0, null, 0],
    [1, 0, null, 1],
    [1, 0, null, 1], // the taint slow path finds the pgmap
    [0, 0, null, 0],
    [0, 0, null, 0],
  ],
};
EXPECTED['hotplug-lock'] = EXPECTED.upstream;

const b = (v: boolean | null): 0 | 1 | null => (v === null ? null : v ? 1 : 0);

describe("every design's answers on the predicates-after-each-transition table", () => {
  TRANSITIONS.forEach((t, i) => {
    it(t.name, () => {
      const scenario = {
        name: t.name,
        geometry: loadScenario('dimm-hotplug').geometry,
        boot: BOOT.map((r) => ({ ...r, node: 0 })),
        steps: t.steps,
      };
      const { machine, bound } = runWithDesigns(scenario, DESIGNS);
      const answers = designAnswers(machine, bound, t.pfn);
      for (const d of DESIGNS) {
        const a = answers[d.name];
        assert.deepEqual(
          [b(a.pfnValid), b(a.pfnToOnlinePage), b(a.pfnToDevicePage), b(a.isZoneDevicePage)],
          EXPECTED[d.name][i],
          d.name,
        );
      }
    });
  });
});

describe('wrong answers on the built-in scenarios', () => {
  const pmem = compareScenario(loadScenario('pmem-shares-a-section-with-boot-ram'), { designs: DESIGNS });

  it('judges every pfn exactly on small layouts', () => assert.equal(pmem.coverage, 'every-pfn'));

  it('v5.4 returns the pmem pages as online, their uninitialized memmap and the altmap pfns', () => {
    const t = pmem.totals['v5.4'];
    assert.equal(t['device-as-online'], 15616); // 64 MiB minus 2 MiB reserve minus 1 MiB of memmap
    assert.equal(t['driver-reserved-returned'], 768);
    assert.equal(t['uninitialized-returned'], 16384);
    assert.equal(t['hole-returned'], 16384);
  });

  it('active-bitmap only misses the device pages that share a subsection with the altmap', () => {
    // Its is_zone_device_page() is pfn_to_device_page() != NULL, so it misjudges the same 256.
    assert.deepEqual(pmem.totals['active-bitmap'], { 'device-missed': 256, 'zone-device-misjudged': 256 });
  });

  it("upstream: uninitialized memmap between __add_pages() and the taint, and the dying pgmap's pages", () => {
    const t = pmem.totals.upstream;
    assert.equal(t['uninitialized-returned'], 16384);
    assert.equal(t['tearing-down-returned'], 16384);
    assert.equal(t['device-as-online'], undefined);
  });

  it('hotplug-lock readers wait out every locked step but not memunmap_pages() before the lock', () => {
    assert.deepEqual(pmem.totals['hotplug-lock'], { 'tearing-down-returned': 16384 });
    const online = pmem.steps.find((s) => s.op === 'online')!;
    assert.ok(online.designs['hotplug-lock'].blockedSteps > 0);
  });

  it('device-bitmap hands out uninitialized and dying device-private pages', () => {
    const r = compareScenario(loadScenario('device-private'), { designs: DESIGNS });
    assert.deepEqual(r.totals['device-bitmap'], {
      'uninitialized-returned': 66048,
      'tearing-down-returned': 66048,
    });
    assert.deepEqual(r.totals['active-bitmap'], {});
  });

  it('samples when the layout is too fragmented, and says so', () => {
    const r = compareScenario(loadScenario('dimm-hotplug'), {
      designs: [designByName('upstream')!],
      classLimit: 10,
      samples: 5,
    });
    assert.equal(r.coverage, 'sampled');
    assert.match(r.note, /lower bounds/);
  });
});

describe('designs from a module file', () => {
  it('loads examples/designs/section-online.js and compares it', async () => {
    const d = await loadDesign('./examples/designs/section-online.js');
    assert.equal(d.name, 'section-online+pgmap');
    const r = compareScenario(loadScenario('pmem-shares-a-section-with-boot-ram'), { designs: [d] });
    assert.equal(r.totals[d.name]['device-as-online'], undefined);
    assert.ok((r.totals[d.name]['driver-reserved-returned'] ?? 0) > 0);
  });

  it('a module with a syntax error (and where), a getter that throws, an added step that throws or a name that breaks the output is one line', async () => {
    const dir = scratchDir('design-modules');
    const lookup = `lookup: ({ mem, g, helpers: h }) => ({ pfnValid: (p) => h.pfnValid619(mem, g, p),
  pfnToOnlinePage: () => h.NO_PAGE, isZoneDevicePage: () => false, pageZone: (p) => h.pageZone(mem, g, p) })`;
    const modules: Record<string, [string, RegExp]> = {
      'getter.mjs': [
        `export default { name: "g", get writeSide() { throw new Error("no write side yet"); }, ${lookup} };`,
        /getter\.mjs: not a design module: reading it threw: no write side yet$/,
      ],
      'step-throws.mjs': [
        `export default { name: "stepper", ${lookup},
  writeSide: (ctx) => ({ name: "stepper", after: (s) => s.fn === "online_mem_sections"
    ? [ctx.helpers.step("set_my_bits", {}, "", () => { throw new Error("bits out of range"); })] : [] }) };`,
        /design 'stepper': step 'set_my_bits' \(added after online_mem_sections\)\.run\(\) threw: bits out of range$/,
      ],
      'syntax.mjs': [
        'export default {\n  name: "s",\n  lookup() { return 1 +; }\n};\n',
        /syntax\.mjs: cannot load design module: line 3, column 24: Unexpected token ';'$/,
      ],
      'other-page.mjs': [
        `export default { name: "neighbour", writeSide: () => ({}), ${lookup.replace('pfnToOnlinePage: () => h.NO_PAGE', 'pfnToOnlinePage: (p) => p + 1')} };`,
        /design 'neighbour': pfnToOnlinePage\((0x[0-9a-f]+)\) must return the pfn itself \(its page\) or NO_PAGE \(-1\), returned (?!\1\b)0x[0-9a-f]+$/,
      ],
      'proto.mjs': [
        `export default { name: "__proto__", writeSide: () => ({}), ${lookup} };`,
        /name may not be '__proto__'/,
      ],
      'newline.mjs': [
        `export default { name: "two\\nlines", writeSide: () => ({}), ${lookup} };`,
        /name must be one printable line, got "two\\nlines"/,
      ],
    };
    for (const [file, [text, expected]] of Object.entries(modules)) {
      writeFileSync(join(dir, file), text);
      for (const command of [
        ['compare', 'dimm-hotplug'],
        ['pfn', '0x400000', '--scenario', 'dimm-hotplug'],
      ]) {
        const r = await expectUsageError(...command, '--design', join(dir, file));
        assert.match(r.stderr.trim(), expected, `${command[0]} ${file}`);
      }
    }
  });

  it('a lookup that never returns is stopped: one line naming the design and the call, exit 2', () => {
    const dir = scratchDir('design-modules');
    const file = join(dir, 'loops.mjs');
    writeFileSync(
      file,
      `const no = () => -1;
export default { name: "spinner", writeSide: () => ({ name: "spinner" }),
  lookup: () => ({ pfnValid(pfn) { while (pfn > 0x100000) {} return false; }, pfnToOnlinePage: no,
    isZoneDevicePage: () => false, pageZone: no }) };`,
    );
    const main = new URL('../../src/cli/main.ts', import.meta.url).href;
    const script = `import { main, processIo } from ${JSON.stringify(main)};
process.exitCode = await main(['pfn', '0x400000', '--scenario', 'dimm-hotplug', '--design', ${JSON.stringify(file)}], processIo());`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, PFNLAB_DESIGN_CALL_LIMIT_MS: '300' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      "pfnlab: design 'spinner': pfnValid(0x400000) has not returned after 0.3 s (an endless loop?); stopped\n",
    );
  });

  it('pfnlab designs lists a module design as compare loads it, with the kernel each is explored on', async () => {
    const r = await cli(
      'designs',
      '--design',
      './examples/designs/section-online.js',
      '--design',
      'v5.4',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).map((d: { name: string; kernel: string | null }) => [d.name, d.kernel]),
      [
        ['section-online+pgmap', null],
        ['v5.4', '5.4'],
      ],
    );
    const all = JSON.parse((await cli('designs', '--json')).stdout);
    assert.deepEqual(
      all.filter((d: { checkBeforeLock: boolean }) => d.checkBeforeLock).map((d: { name: string }) => d.name),
      ['active-bitmap/check-before-lock'],
    );
    assert.match((await cli('designs')).stdout, /readers: rcu-usage; explored on Linux 6\.19\n/);
    await expectUsageError('designs', '--design', './no/such/design.js');
  });

  it('refuses unknown names and broken modules with one line', async () => {
    await assert.rejects(() => loadDesign('nope'), /unknown design 'nope'/);
    await assert.rejects(() => loadDesign('./no/such/design.js'), /cannot load design module/);
    await assert.rejects(() => loadDesign('./package.json'), /not a design module|cannot load/);
  });
});
