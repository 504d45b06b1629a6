/**
 * The RCU algorithm alone, as an explorer program: N readers each run
 *   rcu_read_lock(); q = rcu_dereference(p); *q; rcu_read_unlock();
 * while the writer publishes new objects and frees each old one after a grace
 * period. Safety: no reader reads an object after it was freed (the shape of
 * RCU+sync+free in the kernel's litmus tests). The injected faults are those
 * of the active-bitmap variants: no-sync, single-flip, check-before-lock.
 */
import { Memory, MemKind } from '../model/memory.js';
import { RCU_SLOT_CTR, rcuAlloc, rcuReadLock, rcuReadUnlock, rcuSlotAddr, synchronizeRcuPlan } from '../rcu/memb.js';
import type { Program, WalkerProgram, WriterStep } from './engine.js';

export type RcuFault = 'none' | 'no-sync' | 'single-flip' | 'check-before-lock';

export interface RcuModelOptions {
  readonly readers: number;
  /** How many times the writer replaces the object (each a grace period); 2 needed for single-flip. */
  readonly updates?: number;
  /** Read-side critical sections per reader. */
  readonly iterations?: number;
  readonly fault?: RcuFault;
}

export function rcuModel(opts: RcuModelOptions): Program {
  const readers = opts.readers;
  const updates = opts.updates ?? 2;
  const fault = opts.fault ?? 'none';
  const mem = new Memory({ capacityWords: 4096 });
  const rcu = rcuAlloc(mem, readers);
  const objects = Array.from({ length: updates + 1 }, () => mem.alloc(1, MemKind.Other));
  for (const o of objects) mem.store(o, 1);
  const p = mem.alloc(1, MemKind.Other);
  mem.store(p, objects[0]);

  const writer: WriterStep[] = [];
  for (let u = 1; u <= updates; u++) {
    const next = objects[u];
    const old = objects[u - 1];
    writer.push({
      fn: 'rcu_assign_pointer',
      detail: `p = object ${u}`,
      ready: () => true,
      run: () => mem.store(p, next),
      footprint: { reads: [], writes: [p] },
    });
    if (fault !== 'no-sync') {
      for (const s of synchronizeRcuPlan(rcu, readers, fault === 'single-flip' ? 1 : 2, `update ${u}`)) {
        writer.push({ fn: s.fn, detail: s.detail, ready: () => s.ready(mem.words), run: () => s.run(mem), footprint: s });
      }
    }
    writer.push({
      fn: 'kfree',
      detail: `object ${u - 1}`,
      ready: () => true,
      run: () => mem.free(old),
      footprint: { reads: [], writes: [old] },
    });
  }

  const walkers: WalkerProgram[] = Array.from({ length: readers }, (_, r) => ({
    name: `reader ${r}`,
    iterations: opts.iterations ?? 1,
    privateWords: [rcuSlotAddr(rcu, r) + RCU_SLOT_CTR],
    symmetryKey: 'reader',
    run(ctx) {
      let q = 0;
      if (fault === 'check-before-lock') {
        ctx.note('rcu_dereference', 'p, before the read lock');
        q = ctx.mem[p];
      }
      ctx.note('rcu_read_lock', `reader ${r}`);
      rcuReadLock(ctx.mem, rcu, r);
      if (fault !== 'check-before-lock') {
        ctx.note('rcu_dereference', 'p');
        q = ctx.mem[p];
      }
      ctx.note('deref', `object at ${q}`);
      void ctx.mem[q];
      ctx.note('rcu_read_unlock', `reader ${r}`);
      rcuReadUnlock(ctx.mem, rcu, r);
    },
  }));

  return {
    mem,
    writerStep: (pc) => writer[pc],
    walkers,
    snapshot: () => undefined,
    restore: () => undefined,
    judge: () => undefined,
    truthState: () => 'online',
  };
}
