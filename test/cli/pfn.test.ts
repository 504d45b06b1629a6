import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli, expectUsageError } from '../helpers.js';

describe('pfnlab pfn: odd pfns', () => {
  it('a pfn too large for a number is beyond MAX_PHYSMEM_BITS, not "not a pfn"', async () => {
    const big = await expectUsageError('pfn', '0x400000000000000000', '--scenario', 'dimm-hotplug');
    assert.equal(
      big.stderr,
      'pfnlab: pfn: unknown pfn 0x400000000000000000: beyond MAX_PHYSMEM_BITS (46) of x86_64\n',
    );
    const decimal = await expectUsageError('pfn', '99999999999999999999', '--scenario', 'arm64-64k');
    assert.match(
      decimal.stderr,
      /unknown pfn 99999999999999999999: beyond MAX_PHYSMEM_BITS \(48\) of arm64-64k/,
    );
    const junk = await expectUsageError('pfn', '0x1g', '--scenario', 'dimm-hotplug');
    assert.match(junk.stderr, /'0x1g' is not a pfn \(decimal or 0x-hex\)/);
  });

  it("--help spells out the section flag letters the output uses ('[PMOE]')", async () => {
    const help = (await cli('pfn', '--help')).stdout;
    for (const letter of ['P marked present', 'M has memmap', 'O online', 'E early', 'D ZONE_DEVICE taint'])
      assert.ok(help.replace(/\s+/g, ' ').includes(letter), letter);
  });
});
