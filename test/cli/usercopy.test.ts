import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli } from '../helpers.js';

describe('pfnlab usercopy: the address as given', () => {
  it('a direct-map address is shown beside the physical address it stands for', async () => {
    const args = ['8192', '--scenario', 'pmem-shares-a-section-with-boot-ram', '--after', '3'];
    const text = await cli('usercopy', '0xffff888104300000', ...args);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^check_page_span\(0xffff888104300000 = phys 0x104300000, 8192\)/);
    const json = JSON.parse((await cli('usercopy', '0xFFFF888104300000', ...args, '--json')).stdout);
    assert.equal(json.addr, '0x104300000');
    assert.equal(json.virtual, '0xffff888104300000');
    const phys = JSON.parse((await cli('usercopy', '0x104300000', ...args, '--json')).stdout);
    assert.equal(phys.virtual, null);
    assert.match(
      (await cli('usercopy', '0x104300000', ...args)).stdout,
      /^check_page_span\(0x104300000, 8192\)/,
    );
  });
});
