import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExploreTrace } from '../../src/explore/trace.js';
import { traceStates } from '../../src/view/page/trace-state.js';

/** A writer that waits for a grace period under mem_hotplug_lock while a reader is inside its section. */
function trace(): ExploreTrace {
  const step = (index: number, thread: number, fn: string, detail = '') => ({ index, thread, fn, detail });
  return {
    format: 'pfnlab-explore-trace',
    version: 1,
    scenario: 's',
    design: 'd',
    walkers: ['w'],
    verdict: 'safe',
    states: 1,
    transitions: 1,
    seconds: 0,
    threads: [
      { id: 0, name: 'writer', kind: 'writer' },
      { id: 1, name: 'w', kind: 'walker' },
    ],
    steps: [
      step(1, 1, 'rcu_read_lock', 'reader 0 enters'),
      step(2, 0, 'mem_hotplug_begin'),
      step(3, 0, 'synchronize_rcu', 'offline: flip the grace-period phase (1/2)'),
      step(4, 1, 'rcu_read_lock', 'reader 0 nests'),
      step(5, 1, 'rcu_read_unlock'),
      step(6, 1, 'rcu_read_unlock'),
      step(7, 0, 'synchronize_rcu', 'offline: wait for reader 0 (1/2)'),
      step(8, 0, 'synchronize_rcu', 'offline: grace period complete'),
      step(9, 0, 'mem_hotplug_done'),
    ],
  };
}

describe("the trace player's state after each step", () => {
  it('follows the grace-period phase, each reader (nesting, phase entered) and mem_hotplug_lock', () => {
    const st = traceStates(trace());
    assert.equal(st.length, 10);
    assert.deepEqual(st[0].readersByPhase, [0, 0]);
    assert.equal(st[1].readers[0].nesting, 1);
    assert.equal(st[1].readers[0].phase, 0);
    assert.equal(st[2].hotplugLock, 'writer');
    assert.equal(st[3].phase, 1);
    assert.equal(st[3].inGracePeriod, true);
    assert.match(st[3].gp, /phase flipped to 1 \(1\/2\)/);
    // The reader entered in phase 0 and is counted there, nested or not, until its outermost unlock.
    assert.deepEqual(st[4].readersByPhase, [1, 0]);
    assert.equal(st[4].readers[0].nesting, 2);
    assert.equal(st[5].readers[0].nesting, 1);
    assert.equal(st[6].readers[0].phase, null);
    assert.deepEqual(st[6].readersByPhase, [0, 0]);
    assert.match(st[7].gp, /waited for reader 0/);
    assert.equal(st[8].inGracePeriod, false);
    assert.equal(st[8].hotplugLock, 'writer');
    assert.equal(st[9].hotplugLock, null);
  });
});
