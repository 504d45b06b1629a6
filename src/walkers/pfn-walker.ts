/**
 * pfn-walker: a reader that follows the design's own protocol, e.g. for
 * active-bitmap: rcu_read_lock(); pfn_to_online_page() (pfn_active() + the
 * page's zone); use the page; rcu_read_unlock().
 */
import type { WalkerDef } from './walker.js';

export const pfnWalker: WalkerDef = {
  name: 'pfn-walker',
  models: "the design's own reader protocol around pfn_to_online_page()/pfn_to_device_page() and a use of the page",
  protection: { '5.4': "the design's", '6.19': "the design's" },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    if (k.hasDeviceLookup()) {
      const d = k.pfnToDevicePage(pfn);
      if (d >= 0) k.pageFlags(d, 'use the device page');
    }
    const p = k.pfnToOnlinePage(pfn);
    if (p >= 0) {
      k.pageFlags(p, 'use the page');
      k.pageCount(p);
    }
    k.exit();
  },
};
