/**
 * upstream: what Linux 6.19 does. pfn_to_online_page() checks ONLINE, then the
 * subsection map, then - in sections tainted by a ZONE_DEVICE collision - asks
 * get_dev_pagemap(); pfn_valid() holds RCU only to keep ms->usage alive
 * (kfree_rcu since 6.8). There is no pfn_to_device_page(); callers use
 * pfn_valid() + get_dev_pagemap().
 */

import { kernelOf } from '../kernel/index.js';
import { SECTION_TAINT_ZONE_DEVICE } from '../model/layout.js';
import { pfnToOnlinePage619, pfnValid619 } from '../model/lookup.js';
import { ZONE_DEVICE } from '../model/page-flags.js';
import { MEMREMAP_PGMAP, MEMUNMAP_PGMAP, OFFLINE_PLAIN, ONLINE_PLAIN } from './accesses.js';
import { designStep, pageZone } from './common.js';
import type { Design } from './design.js';

export const upstream: Design = {
  name: 'upstream',
  kernel: '6.19',
  summary:
    'Linux 6.19: subsection-aware pfn_to_online_page(), ZONE_DEVICE section taint + get_dev_pagemap(), RCU only around ms->usage',
  usageBitmaps: [],
  protection: 'rcu-usage',
  writeRules: [
    'move_pfn_range_to_zone(ZONE_DEVICE) sets SECTION_TAINT_ZONE_DEVICE on a boundary section when the range is not section aligned (never cleared until the section is emptied).',
    'section_deactivate() clears SECTION_HAS_MEM_MAP before freeing ms->usage with kfree_rcu().',
  ],
  accesses: { reader: 'none', protocols: [ONLINE_PLAIN, MEMREMAP_PGMAP, OFFLINE_PLAIN, MEMUNMAP_PGMAP] },
  lookup({ mem, g }) {
    return {
      pfnValid: (pfn) => pfnValid619(mem, g, pfn),
      pfnToOnlinePage: (pfn) => pfnToOnlinePage619(mem, g, pfn),
      isZoneDevicePage: (pfn) => pageZone(mem, g, pfn) === ZONE_DEVICE,
      pageZone: (pfn) => pageZone(mem, g, pfn),
    };
  },
  writeSide(_ctx, m) {
    // From sectionTaintZoneDevice on, the core's move_pfn_range_to_zone() already taints; before, this adds it.
    if (kernelOf(m.g).sectionTaintZoneDevice) return { name: 'upstream' };
    return {
      name: 'upstream',
      after(s) {
        if (s.fn !== 'move_pfn_range_to_zone' || !s.args.device) return [];
        const { startPfn = 0, endPfn = 0 } = s.args;
        return [
          designStep('section_taint_zone_device', s.args, 'taint unaligned boundary sections', (mm) => {
            for (const pfn of [startPfn, endPfn]) {
              if (pfn % mm.g.pagesPerSection === 0) continue;
              mm.sections.setFlags(
                mm.sections.section(Math.floor(pfn / mm.g.pagesPerSection)),
                SECTION_TAINT_ZONE_DEVICE,
              );
            }
          }),
        ];
      },
    };
  },
};
