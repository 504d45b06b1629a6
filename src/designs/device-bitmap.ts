/**
 * device-bitmap: Dan Williams' proposal (linux-mm, October 2019). A second
 * per-subsection bitmap in mem_section_usage says which subsections are
 * ZONE_DEVICE, so device-ness is known from the pfn alone, without touching
 * a struct page. pfn_to_online_page() = ONLINE && subsection valid && not a
 * device subsection; pfn_to_device_page() = pfn_valid && device subsection.
 * It adds no protection: as David answered, the races stay.
 */

import { NO_PAGE, pfnValid619 } from '../model/lookup.js';
import { NULL } from '../model/memory.js';
import { nrToSection, onlineSection, pfnSectionValid, validSection } from '../model/sections.js';
import { OFFLINE_PLAIN, ONLINE_PLAIN } from './accesses.js';
import { bitmapStep, pageZone, testUsageBit } from './common.js';
import type { Design } from './design.js';

export const DEVICE = 'device';

export const deviceBitmap: Design = {
  name: 'device-bitmap',
  kernel: '6.19',
  summary:
    "Dan Williams' ZONE_DEVICE subsection bitmap in mem_section_usage: device-ness from the pfn alone, no lifetime protection",
  usageBitmaps: [DEVICE],
  protection: 'none',
  writeRules: [
    "memremap_pages(): set the range's subsections in the device bitmap when move_pfn_range_to_zone() puts them in ZONE_DEVICE.",
    'section_deactivate(): clear_subsection_map() clears the device bits of the removed subsections too.',
  ],
  accesses: {
    reader: 'none',
    protocols: [
      ONLINE_PLAIN,
      {
        op: 'memremap',
        flag: 'the device subsection bit',
        store: { marking: 'plain', fn: 'set_subsections_device() at move_pfn_range_to_zone()' },
        load: { marking: 'test_bit', fn: 'pfn_to_device_page()' },
        writer: ['flag', 'init'],
        note: 'memmap_init_zone_device() runs after move_pfn_range_to_zone(): wrong under SC already.',
      },
      OFFLINE_PLAIN,
      {
        op: 'memunmap',
        flag: 'the device subsection bit',
        store: { marking: 'plain', fn: 'clear_subsection_map() in section_deactivate()' },
        load: { marking: 'test_bit', fn: 'pfn_to_device_page()' },
        writer: ['poison', 'flag'],
        note: 'remove_pfn_range_from_zone() poisons before section_deactivate() clears the bit: wrong under SC already.',
      },
    ],
  },
  lookup(ctx) {
    const { mem, g } = ctx;
    const slot = ctx.slots[DEVICE];
    const section = (pfn: number): number => {
      const nr = Math.floor(pfn / g.pagesPerSection);
      return nr >= g.nrMemSections ? NULL : nrToSection(mem, g, nr);
    };
    const deviceSubsection = (pfn: number): boolean => {
      const ms = section(pfn);
      return ms !== NULL && validSection(mem, ms) && testUsageBit(mem, g, ms, pfn, slot);
    };
    return {
      pfnValid: (pfn) => pfnValid619(mem, g, pfn),
      pfnToOnlinePage(pfn) {
        const ms = section(pfn);
        if (ms === NULL || !onlineSection(mem, ms) || !pfnSectionValid(mem, g, ms, pfn)) return NO_PAGE;
        return testUsageBit(mem, g, ms, pfn, slot) ? NO_PAGE : pfn;
      },
      pfnToDevicePage: (pfn) => (pfnValid619(mem, g, pfn) && deviceSubsection(pfn) ? pfn : NO_PAGE),
      isZoneDevicePage: deviceSubsection,
      pageZone: (pfn) => pageZone(mem, g, pfn),
    };
  },
  writeSide(ctx) {
    const slot = ctx.slots[DEVICE];
    return {
      name: 'device-bitmap',
      after(s) {
        const { startPfn = 0, endPfn = 0 } = s.args;
        if (s.fn === 'move_pfn_range_to_zone' && s.args.device)
          return [bitmapStep('set_subsections_device', slot, startPfn, endPfn, true)];
        return [];
      },
      before(s) {
        const { startPfn = 0, endPfn = 0 } = s.args;
        if (s.fn === 'clear_subsection_map')
          return [bitmapStep('clear_subsections_device', slot, startPfn, endPfn, false)];
        return [];
      },
    };
  },
};
