/**
 * The real RCU (src/rcu/shared.ts): the same algorithm as the explorer's, run
 * with Atomics, in this thread and across pooled workers. Every interleaving
 * that matters is forced with flags, never with timing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Memory } from '../../src/model/memory.js';
import {
  RCU_FUTEX,
  RCU_GP,
  RCU_PHASE,
  RCU_SLOT_CTR,
  rcuAlloc,
  rcuReadLock,
  rcuReadUnlock,
  rcuSlotAddr,
  synchronizeRcuPlan,
} from '../../src/rcu/memb.js';
import { SharedRcu, sleepOn } from '../../src/rcu/shared.js';
import { WorkerPool } from '../../src/stress/pool.js';
import {
  F_STEP,
  F_VALUE,
  type GuaranteeJob,
  type GuaranteeResult,
  type HoldJob,
  sharedWords,
} from '../../src/stress/probes.js';

/** Resolve once `f()` holds, looking every 0.1 ms (progress, not timing: nothing is asserted about time). */
async function until(f: () => boolean): Promise<void> {
  const word = new Int32Array(new SharedArrayBuffer(4));
  while (!f()) await sleepOn(word, 0, 0, 0.1);
}

function setStep(flags: Int32Array, step: number): void {
  Atomics.store(flags, F_STEP, step);
  Atomics.notify(flags, F_STEP);
}

/** The writer sleeps on the futex word: its grace period is blocked on a reader. */
function writerAsleep(rcu: SharedRcu): boolean {
  return Atomics.load(rcu.words, rcu.base + RCU_FUTEX) === -1;
}

describe('shared RCU in one thread', () => {
  it('runs the deterministic algorithm: same layout, same counters', () => {
    const rcu = SharedRcu.create(2);
    const mem = new Memory({ capacityWords: 4096 });
    const base = rcuAlloc(mem, 2);
    const reader = rcu.register('memb');
    reader.lock();
    reader.lock();
    rcuReadLock(mem.words, base, reader.slot);
    rcuReadLock(mem.words, base, reader.slot);
    const ctr = (words: Int32Array, b: number) => words[rcuSlotAddr(b, reader.slot) + RCU_SLOT_CTR];
    assert.equal(ctr(rcu.words, rcu.base), ctr(mem.words, base), 'nested lock: gp copied once, then +1');
    reader.unlock();
    rcuReadUnlock(mem.words, base, reader.slot);
    assert.equal(ctr(rcu.words, rcu.base), ctr(mem.words, base));
    reader.unlock();
    assert.equal(ctr(rcu.words, rcu.base), 0);
    reader.unregister();
  });

  it('synchronize with no reader inside flips the phase twice and counts a grace period', () => {
    const rcu = SharedRcu.create(3);
    const r = rcu.register('memb');
    const gp = rcu.words[rcu.base + RCU_GP];
    rcu.synchronize();
    assert.equal(rcu.words[rcu.base + RCU_GP], gp, 'two flips');
    assert.equal(rcu.gracePeriods, 1);
    // The plan run is the explorer's: two flips, a wait per slot, a completion.
    const plan = synchronizeRcuPlan(rcu.base, rcu.slots, 2, 'x');
    assert.deepEqual(
      plan.map((s) => s.kind),
      ['flip', 'wait', 'wait', 'wait', 'flip', 'wait', 'wait', 'wait', 'complete'],
    );
    r.unregister();
  });

  it('a grace period waits for a reader that began before it (async: the event loop runs on)', async () => {
    const rcu = SharedRcu.create(1);
    const reader = rcu.register('memb');
    reader.lock();
    let done = false;
    const gp = rcu.synchronizeAsync({ spins: 10 }).then(() => {
      done = true;
    });
    await until(() => writerAsleep(rcu));
    assert.equal(done, false);
    assert.notEqual(rcu.words[rcu.base + RCU_GP] & RCU_PHASE, 0, 'first flip done, waiting');
    reader.unlock();
    await gp;
    assert.equal(rcu.gracePeriods, 1);
    reader.unregister();
  });

  it('registration: slots claimed once, a generation per registration, recovery only of that registration', () => {
    const rcu = SharedRcu.create(2);
    const a = rcu.register('memb', 7);
    const b = rcu.register('qsbr', 8);
    assert.throws(() => rcu.register('memb', 9), /slots are taken/);
    assert.notEqual(rcu.slotState(b.slot).ctr, 0, 'a QSBR reader starts online');
    a.lock();
    assert.equal(rcu.recover(a.slot, a.gen + 1), false, 'a stale generation is refused');
    assert.deepEqual(rcu.recoverOwner(8), [b.slot]);
    assert.equal(rcu.recover(a.slot, a.gen), true);
    assert.deepEqual(rcu.slotState(a.slot), { owner: 0, gen: a.gen + 1, ctr: 0 });
    const c = rcu.register('memb', 9);
    assert.equal(c.gen, a.gen + 2);
    rcu.synchronize();
    c.unregister();
  });
});

describe('shared RCU across workers', () => {
  let pool: WorkerPool;
  before(() => {
    pool = new WorkerPool();
    pool.warm(1);
  });
  after(() => pool.close());

  /**
   * The guarantee protocol (probes.ts): the reader is inside and has read the
   * object; the writer starts a grace period and lets the reader read again
   * once the grace period sleeps waiting for it, or once it is over and the
   * object poisoned (only possible if the reader is not protected).
   */
  async function guarantee(mode: GuaranteeJob['mode']): Promise<GuaranteeResult> {
    const rcu = SharedRcu.create(2);
    const flags = new Int32Array(sharedWords(2));
    flags[F_VALUE] = 1;
    const job: GuaranteeJob = {
      kind: 'rcu-guarantee',
      rcu: rcu.handle(),
      mode,
      flags: flags.buffer as SharedArrayBuffer,
    };
    const result = pool.run<GuaranteeResult>(job);
    await until(() => Atomics.load(flags, F_STEP) === 1);
    let over = false;
    const gp = rcu.synchronizeAsync({ spins: 10 }).then(() => {
      Atomics.store(flags, F_VALUE, -1); // the writer's post-grace-period poison
      over = true;
    });
    await until(() => over || writerAsleep(rcu));
    setStep(flags, 2);
    await until(() => Atomics.load(flags, F_STEP) === 3);
    await gp;
    setStep(flags, 4);
    return result;
  }

  it('memb: a reader inside a read section across a grace period never sees the post-grace-period poison', async () => {
    const r = await guarantee('memb');
    assert.deepEqual(r, { before: 1, during: 1, after: -1, gracePeriodsInside: 0 });
  });

  it('qsbr: the same, with the reader announcing a quiescent state and going offline to let it end', async () => {
    const r = await guarantee('qsbr');
    assert.deepEqual(r, { before: 1, during: 1, after: -1, gracePeriodsInside: 0 });
  });

  it('the protocol does catch a reader without protection', async () => {
    const r = await guarantee('none');
    assert.equal(r.during, -1);
    assert.equal(r.gracePeriodsInside, 1);
  });

  it("a dead worker's slot is recovered and the grace period it blocked completes", async () => {
    const rcu = SharedRcu.create(2);
    const flags = new Int32Array(sharedWords(2));
    const unsubscribe = pool.onExit((threadId) => rcu.recoverOwner(threadId + 1));
    const job: HoldJob = { kind: 'rcu-hold', rcu: rcu.handle(), flags: flags.buffer as SharedArrayBuffer };
    const h = pool.start(job);
    h.result.catch(() => undefined);
    await until(() => Atomics.load(flags, F_STEP) === 1);
    const slot = flags[F_VALUE];
    const held = rcu.slotState(slot);
    assert.equal(held.owner, h.threadId + 1);
    assert.notEqual(held.ctr, 0, 'inside a read section');
    let done = false;
    const gp = rcu.synchronizeAsync({ spins: 10 }).then(() => {
      done = true;
    });
    await until(() => writerAsleep(rcu));
    assert.equal(done, false, 'blocked by the reader');
    await h.terminate();
    await gp;
    assert.equal(rcu.gracePeriods, 1);
    assert.deepEqual(rcu.slotState(slot), { owner: 0, gen: held.gen + 1, ctr: 0 });
    await assert.rejects(h.result, /exited/);
    unsubscribe();
  });
});
