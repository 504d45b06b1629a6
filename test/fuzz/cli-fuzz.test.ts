/**
 * The CLI contract under a seeded mutation fuzzer (test/fuzz/run.ts): 300 cases of mutated
 * scenarios, import files and command lines per run. PFNLAB_FUZZ_SEED picks another seed;
 * `npm run fuzz -- --runs N` runs longer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from './run.js';

const SEED = Number(process.env.PFNLAB_FUZZ_SEED ?? 21);
const RUNS = 300;

describe('CLI fuzzer', () => {
  it(`${RUNS} mutated scenarios, import files and command lines keep the CLI contract (seed ${SEED})`, async () => {
    const r = await runFuzz({ seed: SEED, runs: RUNS, limitMs: 120_000 });
    assert.deepEqual(
      r.failures.map(
        (f) =>
          `case ${f.index} [${f.case.kind}: ${f.case.mutation.slice(0, 120)}] ${f.case.argv.join(' ').slice(0, 120)}: ${f.problem}`,
      ),
      [],
    );
    // The cases reach both sides of the contract: accepted inputs and refused ones.
    assert.ok((r.exits['0'] ?? 0) > 0 && (r.exits['2'] ?? 0) > 0, JSON.stringify(r.exits));
  });
});
