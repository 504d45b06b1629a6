/**
 * hotplug-lock: readers take mem_hotplug_lock for read (get_online_mems())
 * around lookup and use, as kmemleak and soft_offline_page() do, instead of
 * RCU. Lookups answer as upstream's; no operation can run while a reader is
 * inside, so no answer can go stale - at the price of a shared reader count
 * that every lookup writes. The cost baseline. The read side is WalkerKernel's
 * getOnlineMems()/putOnlineMems(); the write side is mem_hotplug_begin/done.
 */

import { MEMREMAP_PGMAP, MEMUNMAP_PGMAP, OFFLINE_PLAIN, ONLINE_PLAIN } from './accesses.js';
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
  accesses: {
    reader: 'mem_hotplug_lock',
    protocols: [
      { ...ONLINE_PLAIN, writer: ['lock', 'init', 'flag', 'unlock'] },
      {
        ...MEMREMAP_PGMAP,
        note: 'pagemap_range() publishes the pgmap and calls memmap_init_zone_device() after mem_hotplug_done(): the lock does not cover them.',
      },
      { ...OFFLINE_PLAIN, writer: ['lock', 'flag', 'poison', 'unlock'] },
      {
        ...MEMUNMAP_PGMAP,
        reader: 'mem_hotplug_lock',
        writer: ['flag', 'lock', 'poison', 'unlock'],
        note: 'percpu_ref_kill() before the lock; pageunmap_range() poisons under mem_hotplug_begin().',
      },
    ],
  },
  lookup: (ctx) => upstream.lookup(ctx),
  writeSide: () => ({ name: 'hotplug-lock' }),
};
