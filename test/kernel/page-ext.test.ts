/** page_ext per section (page_owner=on): allocated at online, freed at offline in the release's order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelVersion } from '../../src/arch/geometry.js';
import { releasesAround } from '../../src/kernel/index.js';
import type { Machine } from '../../src/model/machine.js';
import { planOperation } from '../../src/ops/index.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import type { OpSpec } from '../../src/ops/spec.js';
import { walkerByName } from '../../src/walkers/index.js';
import { GiB, x86 } from '../helpers.js';

const M = 2 ** 20;
const add: OpSpec = { op: 'add_memory', start: 4 * GiB, size: 256 * M };
const online: OpSpec = { op: 'online', start: 4 * GiB, size: 256 * M, zone: 'movable' };
const offline: OpSpec = { op: 'offline', start: 4 * GiB, size: 256 * M };

function run(kernel: KernelVersion, steps: OpSpec[], pageOwner = true): Machine {
  return runScenario(
    { name: 't', geometry: x86({ kernel }), boot: [{ start: 0, size: 2 * GiB, node: 0 }], steps, pageOwner },
    { memory: { capacityWords: 2 ** 22 } },
  ).machine;
}

/** ms->page_ext of the hot-added sections 32 and 33. */
function pageExts(m: Machine): number[] {
  return [32, 33].map((nr) => m.sections.pageExt(nr));
}

describe('page_ext per section', () => {
  it('online gives each section a page_ext, offline frees it; none without page_owner', () => {
    const on = run('6.19', [add, online]);
    assert.ok(pageExts(on).every((p) => p !== 0));
    assert.deepEqual(pageExts(run('6.19', [add, online, offline])), [0, 0]);
    assert.deepEqual(pageExts(run('6.19', [add, online], false)), [0, 0]);
  });

  it('before 6.1 offline frees at once; from 6.1 it marks invalid and waits in synchronize_rcu() first', () => {
    const { before, after } = releasesAround('pageExtFreedAfterRcu');
    const fns = (k: KernelVersion) =>
      planOperation(run(k, [add, online]), offline)
        .steps.map((s) => s.fn)
        .filter((f) => /page_ext|synchronize_rcu/.test(f));
    assert.deepEqual(fns(before), ['__free_page_ext', '__free_page_ext']);
    assert.deepEqual(fns(after), [
      '__invalidate_page_ext',
      'synchronize_rcu',
      '__free_page_ext',
      '__invalidate_page_ext',
      'synchronize_rcu',
      '__free_page_ext',
    ]);
  });

  it('the page_owner walker is known by name, with the protection it has at each end', () => {
    const w = walkerByName('page_owner');
    assert.ok(w);
    assert.match(w.protection['5.4'], /none/);
    assert.match(w.protection['6.19'], /rcu_read_lock/);
  });
});
