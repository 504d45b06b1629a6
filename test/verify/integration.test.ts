/**
 * The verify suite for real: boots the kernel under QEMU for every scenario in
 * scenarios/verify/ (a few seconds each under TCG). Fails, saying why, when
 * QEMU, busybox or the kernel are missing: `npm run setup` installs them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findToolchain, SetupError } from '../../src/verify/setup.js';
import { cli } from '../helpers.js';

function missing(): string | undefined {
  try {
    findToolchain();
    return undefined;
  } catch (e) {
    if (e instanceof SetupError) return e.message;
    throw e;
  }
}

describe('verify suite on a real kernel', () => {
  const why = missing();
  it('every scenario in scenarios/verify agrees with the kernel', { timeout: 600_000 }, async () => {
    if (why) assert.fail(`${why} (npm run setup installs what verify needs)`);
    const started = Date.now();
    const r = await cli('verify', 'scenarios/verify', '--json');
    const results = JSON.parse(r.stdout) as {
      scenario: string;
      disagreements: number;
      steps: {
        index: number;
        op: string;
        replayed: boolean;
        modelErrno: string | null;
        kernelErrno: string | null;
        disagreements: unknown[];
      }[];
      notReplayable: { index: number; why: string }[];
    }[];
    const bad = results.flatMap((x) =>
      x.steps
        .filter((s) => s.disagreements.length)
        .map((s) => `${x.scenario} step ${s.index}: ${JSON.stringify(s.disagreements)}`),
    );
    assert.deepEqual(bad, []);
    assert.equal(r.code, 0, r.stderr);
    const byName = new Map(results.map((x) => [x.scenario, x]));
    assert.deepEqual([...byName.keys()].sort(), [
      'verify-devdax-namespace',
      'verify-dimm-hotplug',
      'verify-large-blocks',
      'verify-normal-block-refuses-offline',
      'verify-pmem-shares-a-section-with-boot-ram',
      'verify-virtio-mem-growth',
    ]);
    // The refusal really happened on the kernel, and the model agreed.
    const refuses = byName.get('verify-normal-block-refuses-offline')!;
    const offline = refuses.steps.find((s) => s.index === 5)!;
    assert.equal(offline.kernelErrno, 'EBUSY');
    assert.equal(offline.modelErrno, 'EBUSY');
    assert.match(refuses.notReplayable[0].why, /ACPI eject would offline/);
    // Every step of the other scenarios ran on the kernel.
    for (const name of [
      'verify-dimm-hotplug',
      'verify-virtio-mem-growth',
      'verify-devdax-namespace',
      'verify-pmem-shares-a-section-with-boot-ram',
      'verify-large-blocks',
    ])
      assert.ok(
        byName.get(name)!.steps.every((s) => s.replayed),
        name,
      );
    console.log(
      `verify suite: ${results.length} scenarios in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
