import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runScenario } from '../../src/ops/scenario-run.js';
import { selftestScenario } from '../../src/verify/selftest.js';

describe('verify --selftest: mem-on-off-test.sh as a scenario', () => {
  it('five phases on the DIMM: online all, offline ratio% (last first), online, injected failures, clean up', () => {
    const { scenario, steps } = selftestScenario(25);
    assert.equal(scenario.steps.length, steps.length);
    const phases = steps.map((s) => s.phase);
    assert.deepEqual(phases, [0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5]);
    const injected = steps.flatMap((s, i) => (s.inject ? [[i, s.inject.event, scenario.steps[i].op]] : []));
    assert.deepEqual(injected, [
      [13, 'MEM_GOING_OFFLINE', 'offline'],
      [15, 'MEM_GOING_ONLINE', 'online'],
    ]);
    // The model runs every step but the injected ones (those expect -ENOMEM from the notifier).
    const plain = scenario.steps.filter((_, i) => !steps[i].inject).map((s) => ({ ...s, expect: undefined }));
    const { machine } = runScenario({ ...scenario, steps: plain });
    const dimm = [...machine.blocks.values()].filter((b) => b.id >= 32);
    assert.equal(dimm.length, 8);
    assert.ok(
      dimm.every((b) => b.state === 'online'),
      'the cleanup leaves every DIMM block online',
    );
  });

  it('refuses a ratio outside 0..100', () => {
    assert.throws(() => selftestScenario(101), /--ratio must be a whole percentage 0\.\.100, got 101/);
  });
});
