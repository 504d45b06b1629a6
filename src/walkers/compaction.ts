/**
 * Compaction's migrate and free scanners: __pageblock_pfn_to_page()
 * (mm/compaction.c) checks pfn_valid() of the block's first and last pfn,
 * pfn_to_online_page() of the first, and that both pages name the same zone.
 * No lock protects the memmap; this path crashed in the 2023 usage race.
 */
import type { WalkerDef } from './walker.js';

export const compaction: WalkerDef = {
  name: 'compaction',
  models: '__pageblock_pfn_to_page()',
  protection: { '5.4': 'none (zone->lock is not taken here)', '6.19': 'none; pfn_valid() holds RCU for ms->usage only' },
  targets: 'any',
  run(k, pfn) {
    const start = pfn - (pfn % k.g.pageblockNrPages);
    const end = start + k.g.pageblockNrPages;
    k.enter();
    if (k.pfnValid(start) && k.pfnValid(end - 1)) {
      const page = k.pfnToOnlinePage(start);
      if (page >= 0) {
        const zone = k.pageZone(start);
        if (k.pageZone(end - 1) !== zone) k.ctx.note('__pageblock_pfn_to_page', 'zones differ: skip the block');
      }
    }
    k.exit();
  },
};
