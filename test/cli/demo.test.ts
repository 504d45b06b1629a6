import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, scratchDir } from '../helpers.js';

describe('pfnlab demo (the main job)', () => {
  it('prints the design x category table and writes a self-contained HTML report', async () => {
    const out = join(scratchDir('demo'), 'report.html');
    const r = await cli('demo', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /DESIGN\s+device-as-online/);
    assert.match(r.stdout, /Model invariants hold/);
    assert.match(r.stdout, /Known memmap-lifetime bugs/);
    assert.match(r.stdout, /CVE-2023-52489 +6\.7 +reproduced +as expected/);
    assert.match(r.stdout, /all \d+ bugs agree with the kernel's history/);
    assert.match(r.stdout, new RegExp(`Report: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const html = readFileSync(out, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /<script src=|<link /, 'no external assets');
    assert.match(html, /<svg[^>]*class="pfnlab-map"/);
    assert.match(html, /<td>CVE-2024-41055<\/td><td>6\.10<\/td><td class="zero">fixed, as expected<\/td>/);
    assert.match(
      html,
      /<dt>device-as-online<\/dt><dd>pfn_to_online_page\(\) returned a ZONE_DEVICE page<\/dd>/,
      'the categories in the table are explained under it',
    );
    for (const name of [
      'dimm-hotplug',
      'pmem-shares-a-section-with-boot-ram',
      'device-private',
      'large-blocks',
      'arm64-64k',
    ]) {
      assert.match(html, new RegExp(`<h2 id="${name}">`));
    }
  });

  it('refuses an empty --out before running anything', async () => {
    const r = await cli('demo', '--out', '');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'pfnlab: demo: --out needs a file name\n');
  });
});
