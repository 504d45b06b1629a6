// Golden outputs: the text (and exit code) of the lab's main commands, byte for byte. They pin
// what a user sees while code moves between rooms. PFNLAB_UPDATE_GOLDEN=1 rewrites the files
// (only when an output is meant to change; review the diff).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, scratchDir } from '../helpers.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'golden');
const OUT = '<OUT>';

/** name -> argv; '<OUT>' stands for a scratch file (its path is replaced back in the output). */
const GOLDEN: Record<string, string[]> = {
  demo: ['demo', '--out', OUT],
  'compare-pmem': ['compare', 'pmem-shares-a-section-with-boot-ram'],
  'compare-two-5.4': ['compare', 'dimm-hotplug', 'device-private', '--kernel', '5.4'],
  'compare-json': ['compare', 'device-private', '--design', 'v5.4', '--design', 'active-bitmap', '--json'],
  'compare-strict': ['compare', 'pmem-shares-a-section-with-boot-ram', '--design', 'v5.4', '--strict'],
  'explore-safe': ['explore', 'explore/offline', '--design', 'active-bitmap'],
  'explore-unsafe': ['explore', 'explore/offline', '--design', 'active-bitmap/no-sync'],
  'explore-unsafe-json': [
    'explore',
    'explore/memunmap',
    '--design',
    'v5.4',
    '--walker',
    'smaps_pmd_entry@0x40300',
    '--json',
  ],
  'explore-bad': ['explore', 'explore/offline', '--design', 'nope'],
  audit: ['audit'],
  'audit-json': ['audit', '--design', 'v5.4', '--walker', 'smaps_pmd_entry', '--json'],
  'audit-strict': ['audit', '--design', 'v5.4', '--walker', 'smaps_pmd_entry', '--strict'],
  'run-log': ['run', 'dimm-hotplug', '--log'],
  pfn: ['pfn', '0x104400', '--scenario', 'pmem-shares-a-section-with-boot-ram', '--after', '3'],
  designs: ['designs'],
  usercopy: ['usercopy', '--help'],
};

/** Wall-clock figures are the one thing that varies between runs: they read <T>. */
function timeless(text: string): string {
  return text.replace(/\b\d+(\.\d+)? s\b/g, '<T> s').replace(/"seconds": [0-9.e-]+/g, '"seconds": <T>');
}

function render(code: number, stdout: string, stderr: string): string {
  return timeless(`exit ${code}\n--- stdout\n${stdout}--- stderr\n${stderr}`);
}

describe('golden outputs of the main commands', () => {
  for (const [name, argv] of Object.entries(GOLDEN)) {
    it(`pfnlab ${argv.join(' ')}`, async () => {
      const out = join(scratchDir('golden'), 'report.html');
      const r = await cli(...argv.map((a) => (a === OUT ? out : a)));
      const got = render(r.code, r.stdout.split(out).join(OUT), r.stderr.split(out).join(OUT));
      const file = join(DIR, `${name}.txt`);
      if (process.env.PFNLAB_UPDATE_GOLDEN === '1') writeFileSync(file, got);
      assert.equal(got, readFileSync(file, 'utf8'));
    });
  }
});
