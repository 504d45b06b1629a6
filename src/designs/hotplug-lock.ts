/**
 * hotplug-lock: readers take mem_hotplug_lock for read (get_online_mems())
 * around lookup and use, as kmemleak and soft_offline_page() do, instead of
 * RCU. Lookups answer as upstream's; no operation can run while a reader is
 * inside, so no answer can go stale - at the price of a shared reader count
 * that every lookup writes. The cost baseline.
 */
import { G_HOTPLUG_LOCK, GLOBALS_ADDR } from '../model/layout.js';
import { HOTPLUG_LOCK_WRITER } from '../ops/sparse.js';
import type { WordMemory } from '../rcu/memb.js';
import type { Design } from './design.js';
import { upstream } from './upstream.js';

/** get_online_mems(): may proceed when no writer holds the lock; returns false to mean "would block". */
export function memHotplugTryReadLock(mem: WordMemory): boolean {
  const addr = GLOBALS_ADDR + G_HOTPLUG_LOCK;
  const v = mem[addr];
  if (v & HOTPLUG_LOCK_WRITER) return false;
  mem[addr] = v + 1;
  return true;
}

/** put_online_mems() */
export function memHotplugReadUnlock(mem: WordMemory): void {
  const addr = GLOBALS_ADDR + G_HOTPLUG_LOCK;
  mem[addr] = mem[addr] - 1;
}

export const hotplugLock: Design = {
  name: 'hotplug-lock',
  summary: 'readers hold mem_hotplug_lock (get_online_mems) across lookup and use; answers as upstream',
  usageBitmaps: [],
  protection: 'hotplug-lock',
  writeRules: [
    'Nothing beyond the core: every operation already holds mem_hotplug_lock for write (mem_hotplug_begin/done), which readers now wait out.',
  ],
  lookup: (ctx) => upstream.lookup(ctx),
  writeSide: () => ({ name: 'hotplug-lock' }),
};
