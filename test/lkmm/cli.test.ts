import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, scratchDir } from '../helpers.js';

const dir = scratchDir('litmus-');
after(() => rmSync(dir, { recursive: true, force: true }));

const MP = `C MP+wmb+rmb
(* message passing with both fences *)
{
}

P0(int *data, int *flag)
{
\tWRITE_ONCE(*data, 1);
\tsmp_wmb();
\tWRITE_ONCE(*flag, 1);
}

P1(int *data, int *flag)
{
\tint r0;
\tint r1;

\tr0 = READ_ONCE(*flag);
\tsmp_rmb();
\tr1 = READ_ONCE(*data);
}

exists (1:r0=1 /\\ 1:r1=0)
`;

describe('pfnlab litmus', () => {
  it('prints the verdict, executions and states; --json carries result, executions, positive, dataRace', async () => {
    const file = join(dir, 'mp.litmus');
    writeFileSync(file, MP);
    const text = await cli('litmus', file);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Test MP\+wmb\+rmb Never\n {2}3 executions allowed by LKMM, 0 satisfy/);
    const json = JSON.parse((await cli('litmus', file, '--json')).stdout);
    assert.equal(json.result, 'Never');
    assert.equal(json.executions, 3);
    assert.equal(json.positive, 0);
    assert.equal(json.dataRace, false);
  });
  it('a syntax error is one line naming file:line:column, exit 2', async () => {
    const file = join(dir, 'bad.litmus');
    writeFileSync(file, MP.replace('smp_rmb();', 'smp_rmb() +;'));
    const r = await cli('litmus', file);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^pfnlab: .*bad\.litmus:19:13: expected an expression, found ';'\n$/);
  });
  it('a missing file, a directory or no file at all: exit 2, one line', async () => {
    for (const args of [[join(dir, 'none.litmus')], [dir], []]) {
      const r = await cli('litmus', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    }
  });
});
