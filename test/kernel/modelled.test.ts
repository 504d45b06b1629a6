/** `pfnlab kernels` says which behaviours the model follows: one it calls modelled is asked for somewhere. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BEHAVIOUR_NAMES, BEHAVIOURS } from '../../src/kernel/index.js';
import { cli } from '../helpers.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return path === join(SRC, 'kernel') ? [] : sources(path);
    return e.name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

describe('behaviours listed but not modelled', () => {
  it('every behaviour not marked unmodelled is asked for outside src/kernel', () => {
    const text = sources(SRC).join('\n');
    const unasked = BEHAVIOUR_NAMES.filter(
      (n) => !('unmodelled' in BEHAVIOURS[n]) && !new RegExp(`\\b${n}\\b`).test(text),
    );
    assert.deepEqual(unasked, [], 'mark these unmodelled in src/kernel/behaviours.ts, or model them');
  });

  it('pfnlab kernels marks each unmodelled behaviour with * and --json says what is missing', async () => {
    const unmodelled = BEHAVIOUR_NAMES.filter((n) => 'unmodelled' in BEHAVIOURS[n]);
    const r = await cli('kernels');
    for (const n of BEHAVIOUR_NAMES)
      assert.equal(
        new RegExp(` ${n} \\* `).test(r.stdout),
        unmodelled.includes(n),
        `${n} is ${unmodelled.includes(n) ? 'not ' : ''}modelled`,
      );
    const j = JSON.parse((await cli('kernels', '--json')).stdout) as { name: string; modelled: boolean }[];
    assert.deepEqual(
      j
        .filter((b) => !b.modelled)
        .map((b) => b.name)
        .sort(),
      [...unmodelled].sort(),
    );
  });
});
