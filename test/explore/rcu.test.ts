import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomSearch, replay, search } from '../../src/explore/engine.js';
import { rcuModel } from '../../src/explore/rcu-model.js';

describe('the RCU algorithm alone (liburcu memb, two flips), explored', () => {
  it('is safe with 2 and 3 readers; 3 readers are proven in fewer than 538,000 states', () => {
    assert.equal(search(rcuModel({ readers: 2 })).verdict, 'safe');
    const three = search(rcuModel({ readers: 3 }));
    assert.equal(three.verdict, 'safe');
    assert.ok(three.states < 538_000, `${three.states} states`);
  });

  it('catches each injected fault with a short counterexample (Spin: 21, 44, 39 steps)', () => {
    const limits = { 'no-sync': 21, 'single-flip': 44, 'check-before-lock': 39 } as const;
    for (const [fault, limit] of Object.entries(limits)) {
      const r = search(rcuModel({ readers: 2, fault: fault as keyof typeof limits }));
      assert.equal(r.verdict, 'unsafe', fault);
      assert.equal(r.violation?.kind, 'use-after-free', fault);
      assert.ok(r.schedule!.length <= limit, `${fault}: ${r.schedule!.length} steps`);
    }
  });

  it('the single-flip bug needs two grace periods: with one update it is safe', () => {
    assert.equal(search(rcuModel({ readers: 2, fault: 'single-flip', updates: 1 })).verdict, 'safe');
  });

  it('finds a shortest counterexample: no schedule of the no-sync bug is shorter', () => {
    const r = search(rcuModel({ readers: 1, fault: 'no-sync' }));
    // reader: lock (3 accesses) and dereference p; writer: publish and free; reader: read the object.
    assert.equal(r.schedule!.length, 7);
  });

  it('reductions (symmetry, sleep sets) keep the verdict and cut the work', () => {
    const full = search(rcuModel({ readers: 3 }), { reduce: { symmetry: false, sleepSets: false } });
    const reduced = search(rcuModel({ readers: 3 }));
    assert.equal(full.verdict, reduced.verdict);
    assert.ok(reduced.states < full.states && reduced.transitions < full.transitions);
    const bug = (reduce: { symmetry?: boolean; sleepSets?: boolean }) =>
      search(rcuModel({ readers: 2, fault: 'single-flip' }), { reduce }).schedule!.length;
    assert.equal(bug({}), bug({ symmetry: false, sleepSets: false }));
  });

  it('a preemption bound of 0 misses the no-sync race; 2 finds it', () => {
    assert.notEqual(
      search(rcuModel({ readers: 2, fault: 'no-sync' }), { preemptionBound: 0 }).verdict,
      'unsafe',
    );
    assert.equal(
      search(rcuModel({ readers: 2, fault: 'no-sync' }), { preemptionBound: 2 }).verdict,
      'unsafe',
    );
  });

  it('random schedules are reproducible from the seed and replay to the same violation', () => {
    const a = randomSearch(rcuModel({ readers: 2, fault: 'no-sync' }), 200, 7);
    const b = randomSearch(rcuModel({ readers: 2, fault: 'no-sync' }), 200, 7);
    assert.equal(a.verdict, 'unsafe');
    assert.deepEqual(a.schedule, b.schedule);
    const r = replay(rcuModel({ readers: 2, fault: 'no-sync' }), a.schedule!);
    assert.equal(r.violation?.kind, 'use-after-free');
    assert.equal(r.labels.length, a.schedule!.length);
  });
});
