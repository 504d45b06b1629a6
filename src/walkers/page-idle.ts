/**
 * /sys/kernel/mm/page_idle/bitmap (mm/page_idle.c). 5.4: pfn_valid() then
 * pfn_to_page(), PageLRU() and get_page_unless_zero(): it reads memmaps that
 * may be uninitialized or ZONE_DEVICE. Since pageIdleOnlinePagesOnly (5.8): pfn_to_online_page().
 */
import type { WalkerDef } from './walker.js';

export const pageIdle: WalkerDef = {
  name: 'page_idle',
  models: 'page_idle_get_page()',
  protection: { '5.4': 'none (pfn_valid only)', '6.19': 'none (pfn_to_online_page)' },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    if (k.behaviours.pageIdleOnlinePagesOnly) {
      const page = k.pfnToOnlinePage(pfn);
      if (page >= 0) {
        k.pageFlags(page, 'folio_test_lru()');
        k.pageCount(page);
      }
    } else if (k.pfnValid(pfn)) {
      k.pageFlags(pfn, 'PageLRU()');
      k.pageCount(pfn);
    }
    k.exit();
  },
};
