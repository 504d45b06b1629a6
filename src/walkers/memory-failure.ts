/**
 * memory_failure() and soft_offline_page() (mm/memory-failure.c).
 *
 * memory_failure(): pfn_to_online_page(); otherwise, for a valid pfn,
 * get_dev_pagemap() - a live pgmap reference - before touching a ZONE_DEVICE
 * page (memory_failure_dev_pagemap, dax_lock_page). A design with
 * pfn_to_device_page() uses that instead.
 *
 * soft_offline_page(): 5.4 takes a page and tests is_zone_device_page()
 * first, with no reference ("unsafe" in Dan Williams' audit); since
 * softOfflineTakesPfn it takes a pfn: pfn_valid(), pfn_to_online_page() and
 * PageHWPoison(page) with no protection at all, and only get_hwpoison_page()
 * inside get_online_mems() (6.19 mm/memory-failure.c, soft_offline_page()).
 */
import type { WalkerDef } from './walker.js';

export const memoryFailure: WalkerDef = {
  name: 'memory_failure',
  models: 'memory_failure() / memory_failure_dev_pagemap()',
  protection: {
    '5.4': 'a pgmap reference for ZONE_DEVICE; none for online pages',
    '6.19': 'mf_mutex; a pgmap reference for ZONE_DEVICE',
  },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    const page = k.pfnToOnlinePage(pfn);
    if (page >= 0) {
      k.pageFlags(page, 'get_hwpoison_page()');
    } else if (k.hasDeviceLookup()) {
      const d = k.pfnToDevicePage(pfn);
      if (d >= 0) k.pageFlags(d, 'memory_failure_dev_pagemap()');
    } else if (k.pfnValid(pfn)) {
      const pgmap = k.getDevPagemap(pfn);
      if (pgmap) {
        k.pageFlags(pfn, 'dax_lock_page()');
        k.putDevPagemap(pgmap);
      }
    }
    k.exit();
  },
};

export const softOfflinePage: WalkerDef = {
  name: 'soft_offline_page',
  models: 'soft_offline_page()',
  protection: {
    '5.4': 'none for the is_zone_device_page() test; get_online_mems() after it',
    '6.19':
      'none for pfn_valid(), pfn_to_online_page() and PageHWPoison(); get_online_mems() around get_hwpoison_page()',
  },
  threadVerdict: 'soft_offline_page(): unsafe',
  targets: 'any',
  run(k, pfn) {
    // The design's read side covers the unlocked part only: get_online_mems() sleeps, which an
    // RCU reader must not do (and would deadlock against a writer waiting for a grace period
    // under mem_hotplug_lock).
    k.enter();
    const valid = k.pfnValid(pfn);
    if (k.behaviours.softOfflineTakesPfn) {
      // 6.19 mm/memory-failure.c soft_offline_page(): the lookup and the PageHWPoison() test
      // run before get_online_mems(), which covers get_hwpoison_page() alone.
      const page = valid ? k.pfnToOnlinePage(pfn) : -1;
      if (page >= 0) k.pageFlags(page, 'PageHWPoison()');
      k.exit();
      if (page < 0) return;
      k.getOnlineMems();
      k.pageCount(page);
      k.putOnlineMems();
      return;
    }
    const device = valid && k.isZoneDevicePage(pfn);
    k.exit();
    if (!valid || device) return;
    k.getOnlineMems();
    k.pageCount(pfn);
    k.putOnlineMems();
  },
};
