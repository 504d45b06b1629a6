import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { checkPageSpan, type PageSpanPage, pageSpanPages } from '../../src/walkers/check-page-span.js';

function pages(scenario: string, after: number, first: number, last: number): PageSpanPage[] {
  const { machine, bound } = runWithDesigns(loadScenario(scenario), [designByName('upstream')!], {
    operations: after,
  });
  return pageSpanPages(machine, bound[0].lookup, first, last);
}

describe("check_page_span()'s pages and verdicts", () => {
  it('a pfn without a memmap is not a hotplugged page (there is no page)', () => {
    const [absent] = pages('dimm-hotplug', 7, 0x3ffffffff, 0x3ffffffff);
    assert.equal(absent.mapped, false);
    assert.equal(absent.hotplugged, false);
    const [dimm] = pages('dimm-hotplug', 2, 0x400000, 0x400000);
    assert.equal(dimm.hotplugged, true, 'hot-added RAM is');
    const [boot] = pages('dimm-hotplug', 2, 0x100, 0x100);
    assert.equal(boot.hotplugged, false, 'boot RAM is not');
  });

  it('ignoring ZONE_DEVICE pages: a copy made only of them is allowed as such, not "besides one"', () => {
    const device = pages('pmem-shares-a-section-with-boot-ram', 3, 0x104300, 0x104301);
    assert.deepEqual(checkPageSpan(device, 'ignore-zone-device'), {
      allowed: true,
      why: 'only ZONE_DEVICE pages',
    });
    const ram: PageSpanPage = { ...device[0], pfn: 0x1042ff, zoneDevice: false, reserved: false };
    assert.deepEqual(checkPageSpan([ram, ...device], 'ignore-zone-device'), {
      allowed: true,
      why: 'only ZONE_DEVICE pages besides one',
    });
  });
});
