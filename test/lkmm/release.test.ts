/**
 * `litmus --design D --kernel X.Y`: the removal of ms->usage against pfn_valid() is generated from
 * the release's code (src/kernel/behaviours.ts), and each change is tested at the release before
 * it and at its first release.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designLitmus } from '../../src/designs/index.js';
import { upstream } from '../../src/designs/upstream.js';
import { releasesAround } from '../../src/kernel/index.js';
import { cli } from '../helpers.js';

function removal(kernel: string) {
  const v = designLitmus(upstream, kernel)!.verdicts.find((x) => x.test.op === 'remove')!;
  const [writer, reader] = v.test.text.split(/^P1\(/m);
  return { v, writer: writer.slice(writer.indexOf('P0(')), reader };
}

describe('litmus --design --kernel: the generated accesses follow the release', () => {
  it('usageFreedWithKfreeRcu (6.8): pfn_valid() under RCU, ms->usage cleared with WRITE_ONCE and freed after a grace period', () => {
    const { before, after } = releasesAround('usageFreedWithKfreeRcu');
    const old = removal(before);
    // 5.4 … 6.7: kfree(), NULL, then the section marked invalid; the reader holds nothing.
    assert.match(old.writer, /\*map = 2;\n\t\*usage = null;\n\t\*flag = \*flag & -2; \/\/ &= ~1/);
    assert.doesNotMatch(old.reader, /rcu_read_lock|READ_ONCE\(\*usage\)/);
    assert.equal(old.v.sc.result, 'Sometimes', 'freed before the section is invalid: wrong under SC already');
    assert.ok(
      old.v.lkmm.states.some((s) => s.includes('1:r2=2')),
      'the freed usage read',
    );
    const now = removal(after);
    assert.match(
      now.writer,
      /\*flag = \*flag & -2; \/\/ &= ~1\n\tWRITE_ONCE\(\*usage, null\);\n\tsynchronize_rcu\(\);\n\t\*map = 2;/,
    );
    assert.match(
      now.reader,
      /rcu_read_lock\(\);[\s\S]*r1 = READ_ONCE\(\*usage\);\n\t\tr2 = READ_ONCE\(\*r1\);[\s\S]*rcu_read_unlock\(\);/,
    );
    // The grace period keeps the usage alive for every reader that saw the section valid ...
    assert.ok(!now.v.lkmm.states.some((s) => s.includes('1:r2=2')));
    // ... but the pointer can be NULL by the time it is loaded: CVE-2024-41055, still Sometimes.
    assert.equal(now.v.lkmm.result, 'Sometimes');
    assert.ok(now.v.lkmm.states.some((s) => s.includes('1:r2=3')));
  });
  it('pfnSectionValidNullCheck (6.10): the loaded ms->usage is tested for NULL, and the removal is Never under LKMM', () => {
    const { before, after } = releasesAround('pfnSectionValidNullCheck');
    const old = removal(before);
    assert.doesNotMatch(old.reader, /!= null/);
    assert.equal(old.v.lkmm.result, 'Sometimes');
    const now = removal(after);
    assert.match(
      now.reader,
      /r1 = READ_ONCE\(\*usage\);\n\t\tif \(r1 != null\)\n\t\t\tr2 = READ_ONCE\(\*r1\);/,
    );
    assert.equal(now.v.lkmm.result, 'Never');
    assert.equal(now.v.sc.result, 'Never');
    // valid_section() still reads section_mem_map plainly while section_deactivate() clears it plainly.
    assert.equal(now.v.lkmm.dataRace, true);
  });
  it('a design that holds mem_hotplug_lock around its lookups is safe on every release: section_deactivate() runs under it', () => {
    for (const kernel of ['5.4', '6.8', '6.19']) {
      const v = designLitmus(
        { ...upstream, accesses: { ...upstream.accesses!, reader: 'mem_hotplug_lock' } },
        kernel,
      )!.verdicts.find((x) => x.test.op === 'remove')!;
      assert.equal(v.lkmm.result, 'Never', kernel);
    }
  });
  it('the CLI prints the release it generated for, and --kernel changes the test text', async () => {
    const at = async (k: string) => {
      const r = await cli('litmus', '--design', 'upstream', '--kernel', k, '--json');
      assert.equal(r.code, 0, r.stderr);
      const d = JSON.parse(r.stdout).designs[0];
      assert.equal(d.kernel, k);
      return d.protocols.find((p: { op: string }) => p.op === 'remove');
    };
    const [k67, k68, k610] = await Promise.all([at('6.7'), at('6.8'), at('6.10')]);
    assert.notEqual(k67.text, k68.text);
    assert.notEqual(k68.text, k610.text);
    assert.deepEqual(
      [k67.lkmm.result, k68.lkmm.result, k610.lkmm.result],
      ['Sometimes', 'Sometimes', 'Never'],
    );
    const bad = await cli('litmus', '--design', 'upstream', '--kernel', '4.19');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kernel must be/);
  });
});
