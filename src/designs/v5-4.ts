/**
 * v5.4: the kernel as the thread found it. pfn_valid() tests the section and
 * the subsection map (early sections count as valid throughout);
 * pfn_to_online_page() tests only the section's ONLINE bit; ZONE_DEVICE-ness
 * is read from page->flags; nothing protects the memmap while it is used.
 */
import { pfnToOnlinePage54, pfnValid54 } from '../model/lookup.js';
import { ZONE_DEVICE } from '../model/page-flags.js';
import { OFFLINE_PLAIN, ONLINE_PLAIN } from './accesses.js';
import { pageZone } from './common.js';
import type { Design } from './design.js';

export const v54: Design = {
  name: 'v5.4',
  kernel: '5.4',
  summary: 'per-section ONLINE bit, pfn_valid() with the subsection map, no memmap lifetime protection',
  usageBitmaps: [],
  protection: 'none',
  writeRules: [
    'Nothing beyond the core: SECTION_IS_ONLINE is set by online_mem_sections() and cleared by offline_mem_sections().',
  ],
  accesses: {
    reader: 'none',
    protocols: [
      ONLINE_PLAIN,
      {
        op: 'memremap',
        flag: 'the subsection_map bit',
        store: { marking: 'plain', fn: 'section_activate()' },
        load: { marking: 'test_bit', fn: 'pfn_valid()' },
        writer: ['flag', 'init'],
        note: 'Device pages are found with pfn_valid() and is_zone_device_page(); memmap_init_zone_device() runs after arch_add_memory().',
      },
      OFFLINE_PLAIN,
      {
        op: 'memunmap',
        flag: 'the subsection_map bit',
        store: { marking: 'plain', fn: 'section_deactivate()' },
        load: { marking: 'test_bit', fn: 'pfn_valid()' },
        writer: ['flag', 'poison'],
      },
    ],
  },
  lookup({ mem, g }) {
    return {
      pfnValid: (pfn) => pfnValid54(mem, g, pfn),
      pfnToOnlinePage: (pfn) => pfnToOnlinePage54(mem, g, pfn),
      isZoneDevicePage: (pfn) => pageZone(mem, g, pfn) === ZONE_DEVICE,
      pageZone: (pfn) => pageZone(mem, g, pfn),
    };
  },
  writeSide: () => ({ name: 'v5.4' }),
};
