// A design of your own for `pfnlab compare --design ./examples/designs/section-online.js`.
//
// A design module exports (default) an object with:
//   name, summary          strings
//   usageBitmaps           names of per-subsection bitmaps it keeps in mem_section_usage
//   protection             'none' | 'rcu' | 'rcu-usage' | 'hotplug-lock'
//   writeRules             sentences describing its write side
//   lookup(ctx)            returns { pfnValid, pfnToOnlinePage, pfnToDevicePage?, isZoneDevicePage, pageZone },
//                          each taking a pfn; pages are returned as the pfn itself, NULL as ctx.helpers.NO_PAGE
//   writeSide(ctx, m)      returns { name, before?(step, m), after?(step, m) }; hooks return extra kernel
//                          steps to run before/after a core step (step.fn names the kernel function,
//                          step.args has startPfn/endPfn/device/...)
// ctx = { mem, g, slots, helpers }: mem.load(addr) reads model memory, g is the geometry,
// slots maps your bitmap names to usage-record slots, helpers holds the kernel's predicates
// (nrToSection, validSection, onlineSection, pfnSectionValid, testUsageBit, pageZone,
// getDevPagemap, pfnValid619, ...) and step builders (bitmapStep, synchronizeRcuSteps, step).
//
// This one is "5.4 plus a subsection check": ONLINE section and a valid subsection, and
// ZONE_DEVICE pfns filtered out by asking get_dev_pagemap() every time (no taint bit).

export default {
  name: 'section-online+pgmap',
  summary: 'ONLINE section, valid subsection, and get_dev_pagemap() on every lookup',
  usageBitmaps: [],
  protection: 'none',
  writeRules: ['Nothing beyond the core.'],
  lookup({ mem, g, helpers: h }) {
    const section = (pfn) => {
      const nr = Math.floor(pfn / g.pagesPerSection);
      return nr < g.nrMemSections ? h.nrToSection(mem, g, nr) : 0;
    };
    return {
      pfnValid: (pfn) => h.pfnValid619(mem, g, pfn),
      pfnToOnlinePage(pfn) {
        const ms = section(pfn);
        if (!ms || !h.onlineSection(mem, ms) || !h.pfnSectionValid(mem, g, ms, pfn)) return h.NO_PAGE;
        return h.getDevPagemap(mem, pfn) ? h.NO_PAGE : pfn;
      },
      pfnToDevicePage: (pfn) => (h.pfnValid619(mem, g, pfn) && h.getDevPagemap(mem, pfn) ? pfn : h.NO_PAGE),
      isZoneDevicePage: (pfn) => h.pageZone(mem, g, pfn) === h.ZONE_DEVICE,
      pageZone: (pfn) => h.pageZone(mem, g, pfn),
    };
  },
  writeSide: () => ({ name: 'section-online+pgmap' }),
};
