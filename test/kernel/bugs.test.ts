import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_BUGS, runBug } from '../../src/bugs/index.js';
import { cli } from '../helpers.js';

describe('known bugs, reproduced before their fix and not after', () => {
  for (const bug of KNOWN_BUGS) {
    it(`${bug.id}: reproduced on ${bug.lastWith}${bug.firstWithout ? `, fixed on ${bug.firstWithout}` : ' (still upstream)'}`, () => {
      const row = runBug(bug);
      for (const run of row.runs)
        assert.equal(
          run.probe.reproduced,
          run.expected,
          `${bug.id} on ${run.release} ${run.design ?? ''}: ${run.probe.how}`,
        );
      assert.ok(row.agrees);
    });
  }

  it('pfnlab bugs prints a row per run and exits 0 when every run agrees', async () => {
    const r = await cli('bugs');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CVE-2023-52489 +6\.7 +reproduced +as expected: use-after-free/);
    assert.match(r.stdout, /CVE-2024-41055 +6\.10 +fixed +as expected/);
    assert.match(r.stdout, /all 5 bugs agree/);
    assert.match(r.stdout, /page-ext-uaf +6\.0 +reproduced +as expected: use-after-free/);
  });
});
