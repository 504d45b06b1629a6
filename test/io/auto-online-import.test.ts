/** auto_online_blocks through export and import: the setting comes back, and so do the blocks. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { exportMachine } from '../../src/io/export/index.js';
import { importMachine } from '../../src/io/import/index.js';
import type { AutoOnlineBlocks } from '../../src/model/hotplug-settings.js';
import type { Machine } from '../../src/model/machine.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { GiB, scratchDir, x86 } from '../helpers.js';

const M = 2 ** 20;

function machineWith(autoOnlineBlocks: AutoOnlineBlocks, steps: OpSpec[]): Machine {
  return runScenario(
    {
      name: 'auto',
      geometry: x86({ kernel: '6.12' }),
      boot: [{ start: 0, size: 4 * GiB, node: 0 }],
      steps,
      hotplug: { autoOnlineBlocks, onlinePolicy: 'contig-zones', autoMovableRatio: 301 },
    },
    { memory: { capacityWords: 2 ** 22 } },
  ).machine;
}

function blocks(m: Machine): string[] {
  return [...m.blocks.values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => `memory${b.id} ${b.state} zone=${b.zone}`);
}

function roundTrip(m: Machine, name: string) {
  const dir = join(scratchDir('auto-online'), name);
  exportMachine(m, dir, { formats: ['sysfs', 'iomem', 'zoneinfo'] });
  return { dir, imported: importMachine({ dir }) };
}

const add: OpSpec = { op: 'add_memory', start: 8 * GiB, size: GiB };
const block = (i: number, n = 1) => ({ start: 8 * GiB + i * 128 * M, size: n * 128 * M });

describe('import reads auto_online_blocks back', () => {
  for (const auto of ['online', 'online_movable', 'online_kernel'] as const) {
    it(`${auto}: the imported scenario has it, and its steps give the machine's blocks`, () => {
      // Auto-onlined, then one block offlined and two moved to the other zone by hand.
      const other = auto === 'online_movable' ? 'normal' : 'movable';
      const m = machineWith(auto, [
        add,
        { op: 'offline', ...block(2) },
        { op: 'offline', ...block(5, 2) },
        { op: 'online', ...block(5, 2), zone: other },
      ]);
      const { imported } = roundTrip(m, auto);
      assert.deepEqual(imported.scenario.hotplug, { autoOnlineBlocks: auto });
      assert.equal(imported.converted.hotplug?.autoOnlineBlocks, auto);
      assert.deepEqual(blocks(imported.machine), blocks(m));
      assert.deepEqual(imported.report.mismatches, []);
    });
  }

  it('offline (the default) stays out of the scenario', () => {
    const m = machineWith('offline', [add, { op: 'online', ...block(0, 4) }]);
    const { imported } = roundTrip(m, 'offline');
    assert.equal(imported.scenario.hotplug, undefined);
    assert.deepEqual(blocks(imported.machine), blocks(m));
  });

  it('refuses a value the kernel never prints, naming the file and the value', () => {
    const m = machineWith('offline', [add]);
    const { dir } = roundTrip(m, 'bad');
    const path = join(dir, 'sys/devices/system/memory/auto_online_blocks');
    writeFileSync(path, 'sometimes\n');
    assert.throws(
      () => importMachine({ dir }),
      (e) =>
        e instanceof InputError && /auto_online_blocks 'sometimes' is not offline, online/.test(e.message),
    );
  });
});
