import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directMapPhys, isKernelAddress, pageOffset } from '../../src/arch/direct-map.js';
import { geometryFor } from '../../src/arch/presets.js';

describe('the direct map: PAGE_OFFSET per architecture and __pa()', () => {
  it('translates a direct-map address to its physical address on each architecture', () => {
    assert.equal(directMapPhys(geometryFor('x86_64'), 0xffff888104300000n), 0x104300000);
    assert.equal(directMapPhys(geometryFor('x86_64-5level'), 0xff11000000001000n), 0x1000);
    assert.equal(directMapPhys(geometryFor('arm64-4k'), 0xffff000040000000n), 0x40000000);
    assert.equal(directMapPhys(geometryFor('ppc64-64k'), 0xc000000000010000n), 0x10000);
  });

  it('is no direct-map address below PAGE_OFFSET or beyond what MAX_PHYSMEM_BITS maps', () => {
    const g = geometryFor('x86_64');
    assert.equal(directMapPhys(g, pageOffset('x86_64') - 1n), undefined);
    assert.equal(directMapPhys(g, pageOffset('x86_64') + 2n ** 46n), undefined, '46 bits on x86-64 4-level');
    assert.equal(directMapPhys(g, pageOffset('x86_64') + 2n ** 46n - 1n), 2 ** 46 - 1);
    // The 5-level PAGE_OFFSET is a kernel address outside the 4-level direct map.
    assert.equal(directMapPhys(g, pageOffset('x86_64-5level')), undefined);
    assert.equal(isKernelAddress(pageOffset('x86_64-5level')), true);
    assert.equal(isKernelAddress(0x104300000n), false);
  });
});
