import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelVersion } from '../../src/arch/geometry.js';
import { InputError } from '../../src/errors.js';
import type { HotplugSettings } from '../../src/model/hotplug-settings.js';
import { checkInvariants } from '../../src/model/invariants.js';
import { ZONE_MOVABLE, ZONE_NORMAL } from '../../src/model/page-flags.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { scenarioFromJson, scenarioWithKernel } from '../../src/scenario/index.js';
import { GiB, x86 } from '../helpers.js';

function run(hotplug: Partial<HotplugSettings>, steps: OpSpec[], kernel: KernelVersion = '6.12') {
  const h: HotplugSettings = {
    autoOnlineBlocks: 'offline',
    onlinePolicy: 'contig-zones',
    autoMovableRatio: 301,
    ...hotplug,
  };
  const m = runScenario(
    { name: 't', geometry: x86({ kernel }), boot: [{ start: 0, size: 4 * GiB, node: 0 }], steps, hotplug: h },
    { memory: { capacityWords: 2 ** 22 } },
  ).machine;
  assert.deepEqual(checkInvariants(m), []);
  return m;
}

const add = (at: number, size = GiB): OpSpec => ({ op: 'add_memory', start: at * GiB, size });

describe('auto_online_blocks and online_policy', () => {
  it('offline (the default) leaves hot-added blocks offline', () => {
    const m = run({}, [add(8)]);
    assert.equal(m.blocks.get(64)!.state, 'offline');
  });

  it('online: add_memory onlines every new block into the default zone (a 6.12 guest with the Debian config)', () => {
    const m = run({ autoOnlineBlocks: 'online' }, [add(8)]);
    for (let id = 64; id < 72; id++) {
      assert.equal(m.blocks.get(id)!.state, 'online');
      assert.equal(m.blocks.get(id)!.zone, ZONE_NORMAL);
    }
  });

  it('online_movable and online_kernel pick their zone', () => {
    assert.equal(run({ autoOnlineBlocks: 'online_movable' }, [add(8)]).blocks.get(64)!.zone, ZONE_MOVABLE);
    assert.equal(run({ autoOnlineBlocks: 'online_kernel' }, [add(8)]).blocks.get(64)!.zone, ZONE_NORMAL);
  });

  it('auto-movable: ZONE_MOVABLE while MOVABLE stays within auto_movable_ratio of early kernel memory, then a kernel zone', () => {
    // 4 GiB of boot memory allows 301% = 12.04 GiB MOVABLE: 12 GiB goes movable, the 13th GiB to Normal.
    const m = run({ autoOnlineBlocks: 'online', onlinePolicy: 'auto-movable' }, [add(8, 12 * GiB), add(20)]);
    assert.equal(m.blocks.get(64)!.zone, ZONE_MOVABLE);
    assert.equal(m.blocks.get(64 + 12 * 8 - 1)!.zone, ZONE_MOVABLE);
    assert.equal(m.blocks.get(160)!.zone, ZONE_NORMAL);
    // With a ratio of 0 nothing goes movable.
    assert.equal(
      run({ autoOnlineBlocks: 'online', onlinePolicy: 'auto-movable', autoMovableRatio: 0 }, [
        add(8),
      ]).blocks.get(64)!.zone,
      ZONE_NORMAL,
    );
  });

  it('a scenario says it in "hotplug"; a release without the setting refuses it in one line', () => {
    const json = (kernel: string, hotplug: object) => ({
      name: 'h',
      kernel,
      boot: [{ start: '0', size: '4G' }],
      steps: [{ op: 'add_memory', start: '8G', size: '1G' }],
      hotplug,
    });
    const s = scenarioFromJson(json('6.12', { autoOnlineBlocks: 'online' }), 'h.json');
    assert.equal(s.hotplug?.autoOnlineBlocks, 'online');
    assert.throws(
      () => scenarioFromJson(json('5.14', { onlinePolicy: 'auto-movable' }), 'h.json'),
      (e: unknown) => e instanceof InputError && /auto-movable needs 5\.15/.test(e.message),
    );
    assert.throws(
      () => scenarioFromJson(json('5.6', { autoOnlineBlocks: 'online_movable' }), 'h.json'),
      (e: unknown) => e instanceof InputError && /needs 5\.7/.test(e.message),
    );
    const movable = scenarioFromJson(json('6.12', { onlinePolicy: 'auto-movable' }), 'h.json');
    assert.throws(() => scenarioWithKernel(movable, '5.10'), InputError);
  });
});
