/** pfnlab compare's text output: blocked kernel steps, scenarios validated before judging. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareScenario, validateScenario } from '../../src/compare/index.js';
import { DESIGNS } from '../../src/designs/index.js';
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
      const head = `${s.index === 0 ? 'boot' : `step ${s.index}`}: ${s.summary} (${s.kernelSteps} kernel steps judged`;
      const tail = blocked ? `, except where readers were blocked: hotplug-lock in ${blocked})` : ')';
      assert.ok(r.stdout.includes(`  ${head}${tail}\n`), `${head}${tail}`);
    }
    assert.ok(json.steps.some((s) => s.designs['hotplug-lock'].blockedSteps > 0));
    assert.match(r.stdout, /judged over every pfn/);
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
    assert.match(r.stderr, /\$\.steps\[1\]: online/);
    assert.throws(() => validateScenario(loadScenario(bad), DESIGNS), ScenarioStepError);
  });

  it('refuses --samples 0', async () => {
    await expectUsageError('compare', 'dimm-hotplug', '--samples', '0');
  });
});
