/**
 * /proc/kpageflags and /proc/kpagecount (fs/proc/page.c): pfn_to_online_page()
 * then stable_page_flags() or page_count(); no lock, no RCU, no reference, in
 * 5.4 and in 6.19.
 */
import type { WalkerDef } from './walker.js';

export const kpageflags: WalkerDef = {
  name: 'kpageflags',
  models: 'kpageflags_read() / kpage_read(): pfn_to_online_page() + stable_page_flags()',
  protection: { '5.4': 'none', '6.19': 'none' },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    const page = k.pfnToOnlinePage(pfn);
    if (page >= 0) k.pageFlags(page, 'stable_page_flags()');
    k.exit();
  },
};

export const kpagecount: WalkerDef = {
  name: 'kpagecount',
  models: 'kpagecount_read() / kpage_read(): pfn_to_online_page() + page_count()',
  protection: { '5.4': 'none', '6.19': 'none' },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    const page = k.pfnToOnlinePage(pfn);
    if (page >= 0) k.pageCount(page);
    k.exit();
  },
};
