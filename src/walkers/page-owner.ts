/**
 * /sys/kernel/debug/page_owner (mm/page_owner.c: read_page_owner()): for each valid pfn, the
 * page's page_ext (lookup_page_ext(), from ms->page_ext) and its PAGE_EXT_OWNER bit. Before
 * pageExtFreedAfterRcu (6.1) nothing keeps the page_ext alive between reading ms->page_ext and
 * reading the entry; from 6.1 page_ext_get()/page_ext_put() hold rcu_read_lock() around both.
 * The model's pages carry no PG_buddy (a machine that allocated nothing), so no pfn is skipped
 * as a free buddy page: every valid pfn is read as an allocated one.
 */
import { NULL } from '../model/memory.js';
import type { WalkerDef } from './walker.js';

export const pageOwner: WalkerDef = {
  name: 'page_owner',
  models: 'read_page_owner()',
  protection: {
    '5.4': 'none (pfn_valid, then lookup_page_ext() with no protection)',
    '6.19': 'page_ext_get(): rcu_read_lock() around lookup_page_ext() and the entry',
  },
  targets: 'ram',
  run(k, pfn) {
    k.enter();
    if (k.pfnValid(pfn)) {
      const ext = k.pageExtGet(pfn);
      if (ext !== NULL) {
        k.pageExtFlags(ext);
        k.pageExtPut();
      }
    }
    k.exit();
  },
};
