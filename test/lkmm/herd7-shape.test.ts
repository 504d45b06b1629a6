/**
 * The tests `pfnlab litmus --design --emit` writes must be ones herd7 accepts. herd7 cannot be
 * installed here, so each emitted file is (1) parsed back by pfnlab's parser and decided to the
 * verdict printed for it, and (2) compared construct by construct with the kernel's own litmus
 * tests: every declaration, thread parameter, statement and clause shape must be one the kernel's
 * 47 tests use (test/fixtures/kernel-litmus-shapes.json, from `npm run shapes:litmus`), or one of
 * the few below that herd7's C grammar (herdtools7 lib/CParser.mly, CLexer.mll) or
 * tools/memory-model/linux-kernel.def has and no kernel test happens to use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkLitmus } from '../../src/lkmm/index.js';
import { litmusShape, SHAPE_PARTS } from '../../src/lkmm/shape.js';
import { cli, scratchDir } from '../helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'kernel-litmus-shapes.json');
const KERNEL = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
  tests: number;
  shapes: Record<string, Record<string, string>>;
};

/** Statement shapes no kernel test uses, each with what in herd7 accepts it. */
const HERD7_ONLY: Record<string, string> = {
  '* x = N ;': 'CParser.mly instruction `STAR location EQ expr SEMI` (a plain store)',
  'x = * x ;': 'CParser.mly instruction `NAME EQ expr SEMI`, expr0 `STAR NAME` (a plain load)',
  '* x = * x | N ;': 'CParser.mly `STAR location EQ expr SEMI`, expr1 `expr PIPE expr`',
  '* x = * x & - N ;':
    "CParser.mly `expr LAND expr`; CLexer.mll lexes `-2` as one CONSTANT (`'-' ? num`). herd7 has no unary ~",
  'WRITE_ONCE ( * x , x ) ;':
    'linux-kernel.def WRITE_ONCE(X,V); the kernel passes a name as V to smp_store_release()',
  'rcu_assign_pointer ( * x , N ) ;': 'linux-kernel.def rcu_assign_pointer(X,V) { __store{RELEASE}(X,V); }',
  'atomic_or ( N , x ) ;': 'linux-kernel.def atomic_or(V,X) { __atomic_op{NORETURN}(X,|,V); }',
  'atomic_andnot ( N , x ) ;': 'linux-kernel.def atomic_andnot(V,X) { __atomic_op{NORETURN}(X,&~,V); }',
  'if ( x != x )': 'CParser.mly expr1 `expr NEQ_OP expr`; symbValue.ml compares two locations',
};

const RELEASES = ['5.4', '6.7', '6.8', '6.10', '6.19'];
const dir = scratchDir('litmus-herd7-');
after(() => rmSync(dir, { recursive: true, force: true }));

async function emitted(): Promise<{ file: string; text: string; result: string }[]> {
  const out: { file: string; text: string; result: string }[] = [];
  for (const k of RELEASES) {
    const at = join(dir, k);
    const r = await cli('litmus', '--design', 'all', '--kernel', k, '--emit', at, '--json');
    assert.equal(r.code, 0, r.stderr);
    const printed = new Map<string, string>();
    for (const d of JSON.parse(r.stdout).designs)
      for (const p of d.protocols) printed.set(`${p.name}.litmus`, p.lkmm.result);
    for (const f of readdirSync(at))
      out.push({ file: `${k}/${f}`, text: readFileSync(join(at, f), 'utf8'), result: printed.get(f)! });
  }
  return out;
}

describe('litmus --emit: files herd7 would accept', async () => {
  const files = await emitted();
  it('every design on every release emits its tests, and each parses back to the verdict printed for it', () => {
    assert.ok(files.length >= RELEASES.length * 5 * 4, `${files.length} files`);
    for (const f of files) assert.equal(checkLitmus(f.text, f.file).result, f.result, f.file);
  });
  it("every construct is one the kernel's own litmus tests use, or one herd7's grammar has (listed with its rule)", () => {
    assert.equal(KERNEL.tests, 47);
    const used = new Set<string>();
    for (const f of files) {
      const shape = litmusShape(f.text);
      for (const part of SHAPE_PARTS)
        for (const s of shape[part]) {
          if (KERNEL.shapes[part][s]) continue;
          assert.ok(
            part === 'statements' && HERD7_ONLY[s],
            `${f.file}: ${part} '${s}' is in no kernel litmus test and not known to herd7's grammar`,
          );
          used.add(s);
        }
    }
    assert.deepEqual([...used].sort(), Object.keys(HERD7_ONLY).sort(), 'an exception no emitted test needs');
  });
  it('the plain clear of a flag is written without ~, which herd7 C has only inside __atomic_op', () => {
    const plain = files.filter((f) => /\*flag = \*flag &/.test(f.text));
    assert.ok(plain.length > 0);
    for (const f of plain)
      assert.doesNotMatch(f.text.replace(/\/\/[^\n]*/g, '').replace(/\(\*[\s\S]*?\*\)/g, ''), /~/, f.file);
  });
  it('the header comment holds no (* or *) of its own: herd7 nests (* *) comments (lexUtils.mll skip_comment)', () => {
    for (const f of files) {
      const open = f.text.indexOf('(*');
      const close = f.text.indexOf('*)', open);
      const inner = f.text.slice(open + 2, close);
      assert.ok(open > 0 && close > open, f.file);
      assert.ok(!inner.includes('(*') && !inner.includes('*)'), f.file);
    }
  });
});
