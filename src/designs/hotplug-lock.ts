/**
 * hotplug-lock: readers take mem_hotplug_lock for read (get_online_mems())
 * around lookup and use, as kmemleak and soft_offline_page() do, instead of
 * RCU. Lookups answer as upstream's; no operation can run while a reader is
 * inside, so no answer can go stale - at the price of a shared reader count
 * that every lookup writes. The cost baseline. The read side is WalkerKernel's
 * getOnlineMems()/putOnlineMems(); the write side is mem_hotplug_begin/done.
 */
import type { Design } from './design.js';
import { upstream } from './upstream.js';

export const hotplugLock: Design = {
  name: 'hotplug-lock',
  kernel: '6.19',
  summary: 'readers hold mem_hotplug_lock (get_online_mems) across lookup and use; answers as upstream',
  usageBitmaps: [],
  protection: 'hotplug-lock',
  writeRules: [
    'Nothing beyond the core: every operation already holds mem_hotplug_lock for write (mem_hotplug_begin/done), which readers now wait out.',
  ],
  lookup: (ctx) => upstream.lookup(ctx),
  writeSide: () => ({ name: 'hotplug-lock' }),
};
