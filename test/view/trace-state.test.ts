import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import { explore, replaySchedule, scenarioWalkers } from '../../src/explore/index.js';
import type { ExploreTrace } from '../../src/explore/trace.js';
import { loadScenario } from '../../src/io/scenario.js';
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

describe('the RCU and lock state a trace carries, read from the explorer', () => {
  const offline = loadScenario('explore/offline');
  const singleFlip = () =>
    explore({
      scenario: offline,
      design: designByName('active-bitmap/single-flip')!,
      walkers: scenarioWalkers(offline),
    });

  it('carries the state before and after every step, and the player shows it rather than deriving it', () => {
    const t = singleFlip();
    assert.equal(t.verdict, 'unsafe');
    assert.ok(t.initialState, 'initialState');
    assert.ok(t.steps.every((s) => s.state));
    const st = traceStates(t);
    assert.equal(st.length, t.steps.length + 1);
    assert.ok(st.every((s) => s.source === 'recorded'));
    // Not from step names: the same trace with every step renamed plays the same states.
    const renamed = { ...t, steps: t.steps.map((s) => ({ ...s, fn: 'renamed', detail: '' })) };
    assert.deepEqual(traceStates(renamed), st);
    // The walker's rcu_read_lock() is three accesses (two loads, a store): one section, nesting 1,
    // where counting the steps named rcu_read_lock says 3.
    const locks = t.steps.filter((s) => s.thread === 1 && s.fn === 'rcu_read_lock');
    assert.equal(locks.length, 3);
    const derived = traceStates({
      ...t,
      initialState: undefined,
      steps: t.steps.map(({ state: _, ...s }) => s),
    });
    assert.ok(derived.every((s) => s.source === 'derived'));
    assert.equal(derived[locks[2].index].readers[0].nesting, 3);
    assert.equal(st[locks[2].index].readers[0].nesting, 1);
  });

  it("shows single-flip's race: a reader's stale phase, then a flip that makes it look current", () => {
    const t = singleFlip();
    const store = t.steps.find((s) => s.thread === 1 && /write rcu/.test(s.detail))!;
    const after = store.state!.rcu!;
    // The reader loaded gp before the first grace period's flip and stored that phase after it.
    assert.equal(after.phase, 1);
    assert.deepEqual(after.readers[0], { thread: 1, nesting: 1, phase: 0, old: true });
    assert.deepEqual(after.readersByPhase, [1, 0]);
    // The next grace period's one flip goes back to phase 0: the reader is not waited for.
    const flip = t.steps.find((s) => s.index > store.index && s.state!.rcu!.flips === 1)!;
    assert.equal(flip.fn, 'synchronize_rcu');
    assert.equal(flip.state!.rcu!.phase, 0);
    assert.equal(flip.state!.rcu!.readers[0].old, false);
    const last = t.steps[t.steps.length - 1].state!;
    assert.equal(last.rcu!.gracePeriods, 2);
    assert.equal(last.rcu!.flips, 0);
    assert.deepEqual(last.walkers, [
      { thread: 1, rcuReadLock: 1, hotplugRead: false, pages: [t.violation!.pfn] },
    ]);
    // mem_hotplug_lock: blocked by the writer's first half, held for write after its second.
    const begin = t.steps.find((s) => s.fn === 'mem_hotplug_begin')!;
    assert.deepEqual(begin.state!.hotplugLock, { writer: null, blocking: true, readers: [] });
    assert.equal(t.steps[begin.index].state!.hotplugLock.writer, 0);
    assert.equal(traceStates(t)[t.steps.length].hotplugLock, 'writer');
  });

  it('shows a hotplug-lock walker holding mem_hotplug_lock for read', () => {
    const t = replaySchedule(
      { scenario: offline, design: designByName('hotplug-lock')!, walkers: scenarioWalkers(offline) },
      '1*18',
    );
    const held = t.steps.filter((s) => s.state!.hotplugLock.readers.includes(1));
    assert.ok(held.length > 0, 'some step holds it for read');
    assert.ok(held.every((s) => s.state!.walkers[0].hotplugRead));
    assert.equal(t.initialState!.hotplugLock.readers.length, 0);
  });
});
