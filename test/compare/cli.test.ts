/**
 * pfnlab compare's text output: blocked kernel steps, scenarios validated
 * before judging, the one-pfn-per-class contract of designs from modules.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareScenario, MODULE_CONTRACT, validateScenario } from '../../src/compare/index.js';
import { DESIGNS, designByName, loadDesign } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { ScenarioStepError } from '../../src/ops/scenario-run.js';
import { cli, expectUsageError, scratchDir } from '../helpers.js';

describe('pfnlab compare (text)', () => {
  it("says per step in how many kernel steps a design's readers were blocked, as the JSON has it", async () => {
    const r = await cli('compare', 'pmem-shares-a-section-with-boot-ram');
    assert.equal(r.code, 0, r.stderr);
    const json = compareScenario(loadScenario('pmem-shares-a-section-with-boot-ram'), { designs: DESIGNS });
    for (const s of json.steps) {
      const blocked = s.designs['hotplug-lock'].blockedSteps;
      const head = `${s.index === 0 ? 'boot' : `step ${s.index}`}: ${s.summary} (${s.kernelSteps} kernel step${s.kernelSteps === 1 ? '' : 's'} judged`;
      const tail = blocked ? `, except where readers were blocked: hotplug-lock in ${blocked})` : ')';
      assert.ok(r.stdout.includes(`  ${head}${tail}\n`), `${head}${tail}`);
    }
    assert.ok(json.steps.some((s) => s.designs['hotplug-lock'].blockedSteps > 0));
    assert.match(r.stdout, /judged over every pfn/);
  });

  it('a step that ran no kernel step says nothing was judged, not that every design was right', async () => {
    const r = await cli('compare', 'dimm-hotplug', '--design', 'upstream');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /\n {2}step 4: offline refused as expected \(-EBUSY\) \(no kernel step ran: nothing judged\)\n {2}step 5/,
    );
    assert.match(r.stdout, /\n {2}boot: boot 3 ranges \(1 kernel step judged\)\n/);
  });

  it('checks every scenario before judging any: a failing step is reported as the scenario error', async () => {
    const bad = join(scratchDir('pfnlab-compare-'), 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        name: 'bad',
        arch: 'x86_64',
        boot: [{ start: '0', size: '2G' }],
        steps: [
          { op: 'add_memory', start: '8G', size: '1G' },
          { op: 'online', start: '16G', size: '1G' },
        ],
      }),
    );
    const r = await expectUsageError('compare', 'dimm-hotplug', bad);
    assert.ok(r.stderr.startsWith(`pfnlab: ${bad}: $.steps[1]: online`), 'names the file the step is in');
    const pfn = await expectUsageError('pfn', '0', '--scenario', bad);
    assert.ok(pfn.stderr.startsWith(`pfnlab: ${bad}: $.steps[1]: online`), pfn.stderr);
    assert.throws(() => validateScenario(loadScenario(bad), DESIGNS), ScenarioStepError);
  });

  it("--kernel 5.4 judges on 5.4's steps (pages allocatable before SECTION_IS_ONLINE is set), and says so", async () => {
    const on54 = await cli('compare', 'dimm-hotplug', '--design', 'v5.4', '--kernel', '5.4');
    assert.equal(on54.code, 0, on54.stderr);
    assert.match(on54.stdout, /^dimm-hotplug on Linux 5\.4: judged over/);
    // 5.4's online_pages_range() frees the pages to the buddy allocator before online_mem_sections().
    assert.match(on54.stdout, /step 2: online [^\n]*\n {4}v5\.4: online-missed 262144 /);
    const on619 = await cli('compare', 'dimm-hotplug', '--design', 'v5.4');
    assert.match(on619.stdout, /^dimm-hotplug on Linux 6\.19: /);
    assert.doesNotMatch(
      on619.stdout,
      /online-missed/,
      '6.19 keeps the pages isolated until the section is online',
    );
    for (const command of [
      ['compare', 'dimm-hotplug'],
      ['run', 'dimm-hotplug'],
      ['pfn', '0', '-s', 'dimm-hotplug'],
    ]) {
      // Any mainline release 5.4 … 6.19 is a kernel; a stable or distribution version is not.
      const r = await expectUsageError(...command, '--kernel', '5.10.1');
      assert.match(r.stderr, /--kernel must be a mainline release 5\.4 … 6\.19 .*got '5\.10\.1'/);
    }
  });

  it('refuses --samples 0', async () => {
    await expectUsageError('compare', 'dimm-hotplug', '--samples', '0');
  });
});

/** QA's odd.js: the example design, but NO_PAGE for odd pfns - which no kernel metadata tells apart. */
const ODD_DESIGN = `export default {
  name: 'odd',
  lookup({ mem, g, helpers: h }) {
    const section = (pfn) => {
      const nr = Math.floor(pfn / g.pagesPerSection);
      return nr < g.nrMemSections ? h.nrToSection(mem, g, nr) : 0;
    };
    return {
      pfnValid: (pfn) => h.pfnValid619(mem, g, pfn),
      pfnToOnlinePage(pfn) {
        const ms = section(pfn);
        if (!ms || !h.onlineSection(mem, ms) || !h.pfnSectionValid(mem, g, ms, pfn)) return h.NO_PAGE;
        return (pfn & 1) || h.getDevPagemap(mem, pfn) ? h.NO_PAGE : pfn;
      },
      isZoneDevicePage: (pfn) => h.pageZone(mem, g, pfn) === h.ZONE_DEVICE,
      pageZone: (pfn) => h.pageZone(mem, g, pfn),
    };
  },
  writeSide: () => ({ name: 'odd' }),
};
`;

function oddDesignFile(): string {
  const path = join(scratchDir('pfnlab-compare-odd-'), 'odd.mjs');
  writeFileSync(path, ODD_DESIGN);
  return path;
}

describe('pfnlab compare: the one-pfn-per-class contract of designs from modules', () => {
  it('spot-checks a module design and reports the pfns it answers unlike their class (JSON)', async () => {
    const odd = await loadDesign(oddDesignFile());
    const r = compareScenario(loadScenario('dimm-hotplug'), { designs: [designByName('v5.4')!, odd] });
    assert.ok(r.contract, 'a contract check with a module design');
    assert.deepEqual(Object.keys(r.contract.checked), ['odd'], 'built-in designs stay on the fast path');
    assert.ok(r.contract.violations.odd > 0);
    assert.ok(r.contract.violations.odd <= r.contract.checked.odd);
    assert.ok(r.contract.examples.length > 0);
    for (const v of r.contract.examples) {
      assert.equal(v.design, 'odd');
      assert.ok(v.class.start < v.pfn && v.pfn < v.class.end);
      assert.notDeepEqual(v.answers, v.representativeAnswers);
      assert.equal((v.pfn & 1) !== (v.class.start & 1), true, 'odd differs by parity only');
    }
    assert.equal(r.note.split('\n')[1], MODULE_CONTRACT);
  });

  it('warns on stderr, states the contract in the output and fails --strict', async () => {
    const path = oddDesignFile();
    const r = await cli('compare', 'dimm-hotplug', '--design', path);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^dimm-hotplug on Linux 6\\.19: judged over every pfn.*\n${MODULE_CONTRACT}\n`),
    );
    assert.match(
      r.stderr,
      /^warning: dimm-hotplug: design 'odd' breaks the one-pfn-per-class contract: \d+ of \d+ pfns checked answered unlike their class's first pfn \(e\.g\. after boot, class \[0x[0-9a-f]+, 0x[0-9a-f]+\): pfn_to_online_page\(\) .*\); its counts are not exact\n$/,
    );
    const json = await cli('compare', 'dimm-hotplug', '--design', path, '--json');
    assert.ok(JSON.parse(json.stdout).results[0].contract.violations.odd > 0);
    assert.equal((await cli('compare', 'dimm-hotplug', '--design', path, '--strict')).code, 1);
  });

  it('keeps built-in designs on the fast path: no contract check, no contract line', async () => {
    const r = await cli('compare', 'dimm-hotplug', '--json');
    const result = JSON.parse(r.stdout).results[0];
    assert.equal(result.contract, undefined);
    assert.doesNotMatch(result.note, /modules/);
    assert.equal(r.stderr, '');
  });

  it('a module design that keeps the contract passes its spot checks', async () => {
    const example = await loadDesign('./examples/designs/section-online.js');
    const r = compareScenario(loadScenario('pmem-shares-a-section-with-boot-ram'), { designs: [example] });
    assert.ok(r.contract && r.contract.checked[example.name] > 0);
    assert.equal(r.contract.violations[example.name], 0);
  });

  it('says so in --help', async () => {
    const r = await cli('compare', '--help');
    assert.match(
      r.stdout.replace(/\s+/g, ' '),
      /designs from modules are judged one pfn per class: a design must answer alike for pfns it cannot tell apart by the kernel's metadata/,
    );
  });
});
