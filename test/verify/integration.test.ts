/**
 * The verify suite for real: boots each kernel series (6.1 and 6.12) under QEMU
 * for every scenario in scenarios/verify/ (a few seconds each under TCG).
 * Fails, saying why, when QEMU, busybox or that kernel are missing: `npm run
 * setup` installs them (and fetches both kernels with `pfnlab verify --setup`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findToolchain, KERNEL_SERIES, SetupError } from '../../src/verify/setup.js';
import { cli } from '../helpers.js';

function missing(kernel: string): string | undefined {
  try {
    findToolchain({ kernel });
    return undefined;
  } catch (e) {
    if (e instanceof SetupError) return e.message;
    throw e;
  }
}

// The two kernels boot side by side: each QEMU (TCG) takes one of CI's two cores.
describe('verify suite on a real kernel', { concurrency: true }, () => {
  for (const kernel of KERNEL_SERIES) {
    const why = missing(kernel);
    it(`every scenario in scenarios/verify agrees with kernel ${kernel}`, {
      skip: why ? `skipped: ${why}` : false,
      timeout: 600_000,
    }, async () => {
      const started = Date.now();
      // At most 1 GiB of struct pages per snapshot: CI's budget (the README shows full runs).
      const r = await cli(
        'verify',
        'scenarios/verify',
        '--json',
        '--kernel',
        kernel,
        '--pages-limit',
        '262144',
      );
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
        verifyErrors: unknown[];
        pagesCompared: number;
        verdict: { steps: number; agreeing: number };
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
      // Nothing failed on verify's side, and struct pages were compared after every step.
      for (const x of results) {
        assert.deepEqual(x.verifyErrors, [], x.scenario);
        assert.ok(x.pagesCompared > 0, x.scenario);
      }
      const pfns = results.reduce((n, x) => n + x.pagesCompared, 0);
      console.log(
        `verify suite on ${kernel}: ${results.length} scenarios agreeing, ${pfns} pfns compared, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    });
  }
});
