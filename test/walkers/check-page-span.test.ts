import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName, runWithDesigns } from '../../src/designs/index.js';
import { InputError } from '../../src/errors.js';
import { loadScenario } from '../../src/io/scenario.js';
import {
  checkPageSpan,
  checkUsercopy,
  copySpan,
  type PageSpanPage,
  pageSpanPages,
  USERCOPY_MAX_PAGES,
} from '../../src/walkers/check-page-span.js';

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

describe("a copy's span (usercopy's checks, in the walker)", () => {
  it('refuses a copy beyond MAX_PHYSMEM_BITS or over USERCOPY_MAX_PAGES pages, naming the value', () => {
    const g = loadScenario('dimm-hotplug').geometry;
    assert.throws(
      () => copySpan(g, 2 ** g.maxPhysmemBits - 4096, 8192),
      (e: unknown) => e instanceof InputError && /beyond MAX_PHYSMEM_BITS/.test(e.message),
    );
    const tooLong = USERCOPY_MAX_PAGES * g.pageSize + 1;
    assert.throws(
      () => copySpan(g, 0, tooLong),
      (e: unknown) => e instanceof InputError && e.value === tooLong,
    );
    assert.deepEqual(copySpan(g, 0x1800, 0x1100), {
      addr: 0x1800,
      len: 0x1100,
      firstPfn: 1,
      lastPfn: 2,
      endSkipped: false,
    });
    // The copy's last byte sits lower in its page than the first: the loop steps over that page.
    assert.equal(copySpan(g, 0x1800, 0x1000).endSkipped, true);
  });

  it('says whether the RFC changes the verdict: not on boot memory, yes once the pmem is ZONE_DEVICE', () => {
    const scenario = loadScenario('pmem-shares-a-section-with-boot-ram');
    const check = (after: number) => {
      const { machine, bound } = runWithDesigns(scenario, [designByName('upstream')!], { operations: after });
      return checkUsercopy(machine, bound[0].lookup, copySpan(scenario.geometry, 0x1042ff000, 8192));
    };
    const before = check(2);
    assert.equal(before.pages.length, 2);
    assert.equal(before.rfcChangesVerdict, false);
    const after = check(3);
    assert.equal(after.rfcChangesVerdict, true);
    assert.deepEqual(after.verdict.verdicts?.rfc, {
      allowed: false,
      abort: 'spans multiple pages',
      pfn: 0x1042ff,
    });
    assert.equal(after.verdict.verdicts?.['as-is'].allowed, true);
  });
});
