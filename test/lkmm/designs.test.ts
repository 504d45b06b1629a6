import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { activeBitmapDesign } from '../../src/designs/active-bitmap.js';
import { DESIGNS, designLitmus } from '../../src/designs/index.js';
import { upstream } from '../../src/designs/upstream.js';
import { checkLitmus, designProtocolVerdicts, protocolTest } from '../../src/lkmm/index.js';
import { cli, scratchDir } from '../helpers.js';

const dir = scratchDir('litmus-emit-');
after(() => rmSync(dir, { recursive: true, force: true }));

function verdictOf(design: string, op: string) {
  const d = DESIGNS.find((x) => x.name === design)!;
  const v = designLitmus(d)!.verdicts.find((x) => x.test.op === op)!;
  return { lkmm: v.lkmm, sc: v.sc };
}

describe('designs under LKMM', () => {
  it('every design declares its publish and teardown protocols', () => {
    for (const d of DESIGNS) {
      const ops = d.accesses?.protocols.map((p) => p.op).sort();
      assert.deepEqual(ops, ['memremap', 'memunmap', 'offline+remove', 'online'], d.name);
    }
  });
  it('active-bitmap as proposed: teardown holds under LKMM, publish does not (a control dependency orders no load)', () => {
    assert.equal(verdictOf('active-bitmap', 'offline+remove').lkmm.result, 'Never');
    const publish = verdictOf('active-bitmap', 'online');
    assert.equal(publish.sc.result, 'Never');
    assert.equal(publish.lkmm.result, 'Sometimes');
    assert.equal(publish.lkmm.dataRace, true);
  });
  it('active-bitmap with a release/acquire pair on the active bit publishes safely, without a data race', () => {
    const online = activeBitmapDesign.accesses!.protocols.find((p) => p.op === 'online')!;
    const fixed = protocolTest('active-bitmap-fixed', 'rcu', {
      ...online,
      store: { marking: 'smp_store_release', fn: 'set_subsections_active()' },
      load: { marking: 'smp_load_acquire', fn: 'pfn_active()' },
    });
    const o = checkLitmus(fixed.text);
    assert.equal(o.result, 'Never');
    assert.equal(o.dataRace, false);
  });
  it("6.19's plain SECTION_IS_ONLINE publication is a data race under LKMM, safe under SC", () => {
    const v = verdictOf('upstream', 'online');
    assert.equal(v.sc.result, 'Never');
    assert.equal(v.lkmm.result, 'Sometimes');
    assert.equal(v.lkmm.dataRace, true);
    // WRITE_ONCE/READ_ONCE on the flag alone still orders nothing: the struct page may be stale.
    const once = designProtocolVerdicts('upstream-once', {
      reader: 'none',
      protocols: [
        {
          ...upstream.accesses!.protocols[0],
          store: { marking: 'WRITE_ONCE', fn: 'online_mem_sections()' },
          load: { marking: 'READ_ONCE', fn: 'pfn_to_online_page()' },
        },
      ],
    });
    assert.equal(once[0].lkmm.result, 'Sometimes');
  });
  it('a lock both sides take makes publish and teardown safe under LKMM', () => {
    assert.equal(verdictOf('hotplug-lock', 'online').lkmm.result, 'Never');
    assert.equal(verdictOf('hotplug-lock', 'offline+remove').lkmm.result, 'Never');
  });
  it('--emit writes tests that parse back to the same verdicts; --design refuses unknown names', async () => {
    const r = await cli('litmus', '--design', 'active-bitmap', '--emit', dir);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [
      'active-bitmap+memremap.litmus',
      'active-bitmap+memunmap.litmus',
      'active-bitmap+offline+remove.litmus',
      'active-bitmap+online.litmus',
      'active-bitmap+remove.litmus',
    ]);
    assert.equal(
      checkLitmus(readFileSync(join(dir, 'active-bitmap+online.litmus'), 'utf8')).result,
      'Sometimes',
    );
    assert.match(
      r.stdout,
      /active-bitmap +online \(publish\) +UNSAFE \(Sometimes, data race\) +safe \(Never\)/,
    );
    const bad = await cli('litmus', '--design', 'nope');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown design 'nope'/);
    const json = JSON.parse((await cli('litmus', '--design', 'all', '--json')).stdout);
    assert.equal(json.designs.length, DESIGNS.length);
  });
});
