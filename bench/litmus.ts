/**
 * bench/litmus: every litmus test the kernel ships with a documented `Result:`
 * (tools/memory-model/litmus-tests/*.litmus and Documentation/litmus-tests/**),
 * decided by pfnlab's LKMM checker and compared with the documented result (as
 * tools/memory-model/scripts/judgelitmus.sh compares herd7's: DEADLOCK is
 * "no execution", a DATARACE in the Result line expects the data-race flag).
 * Prints each test's time, allowed executions and candidates, and the total
 * against the target of 10 s for all of them, beside a reference measured in
 * the same run: the same tests decided under sequential consistency (the same
 * candidate enumeration; one acyclicity check rejects most candidates before
 * the cat's axioms, which SC keeps for RCU and locks, run on the rest). The kernel's files are read from
 * a kernel tree or a bare git mirror given on the command line, never copied.
 *
 * Usage: npm run bench:litmus -- --kernel DIR [--json]
 *   DIR: a Linux source tree, or a bare git directory (read with git show HEAD:...)
 */
import { existsSync } from 'node:fs';
import { checkLitmus, decideLitmus, parseLitmus } from '../src/lkmm/index.js';
import { benchArgs, refuse } from './args.js';
import { KERNEL_LITMUS_DIRS, kernelLitmusFiles } from './kernel-litmus.js';

const args = benchArgs('litmus', { kernel: { type: 'string' }, json: { type: 'boolean' } });
const TARGET_MS = 10_000;
const root = args.kernel;
if (!root) refuse('litmus', 'give --kernel DIR (a kernel tree or bare git mirror with tools/memory-model)');
if (!existsSync(root)) refuse('litmus', `${root.slice(0, 120)} does not exist`);
const files =
  kernelLitmusFiles(root) ??
  refuse('litmus', `${root.slice(0, 120)} is neither a kernel tree nor a git directory holding one`);
if (!files.length)
  refuse('litmus', `no litmus tests under ${KERNEL_LITMUS_DIRS.join(' or ')} in ${root.slice(0, 120)}`);

interface Row {
  file: string;
  documented: string;
  result: string;
  dataRace: boolean;
  match: boolean;
  executions: number;
  candidates: number;
  ms: number;
}
const rows: Row[] = [];
let total = 0;
let scTotal = 0;
for (const f of files) {
  const text = f.text();
  const doc = /^[( ]\* Result: (\S+)(.*)$/m.exec(text);
  if (!doc) continue;
  const t0 = performance.now();
  let result: string;
  let dataRace = false;
  let executions = 0;
  let candidates = 0;
  try {
    const o = checkLitmus(text, f.path);
    ({ result, dataRace, executions, candidates } = o);
  } catch (e) {
    result = `error: ${(e as Error).message.slice(0, 100)}`;
  }
  const ms = performance.now() - t0;
  total += ms;
  const s0 = performance.now();
  try {
    decideLitmus(parseLitmus(text, f.path), 'sc');
  } catch {
    // the LKMM run reports the error
  }
  scTotal += performance.now() - s0;
  const raceExpected = /DATARACE/.test(doc[2]);
  const match = (doc[1] === result || doc[1] === 'Maybe') && dataRace === raceExpected;
  rows.push({ file: f.path, documented: doc[1], result, dataRace, match, executions, candidates, ms });
}

const matched = rows.filter((r) => r.match).length;
if (args.json)
  console.log(
    JSON.stringify({ tests: rows.length, matched, totalMs: total, targetMs: TARGET_MS, rows }, null, 2),
  );
else {
  const width = Math.max(...rows.map((r) => r.file.length));
  console.log(`${'TEST'.padEnd(width)}  DOCUMENTED  PFNLAB      EXEC  CAND      MS`);
  for (const r of rows)
    console.log(
      `${r.file.padEnd(width)}  ${r.documented.padEnd(10)}  ${(r.result + (r.dataRace ? '+race' : '')).padEnd(10)}  ${String(r.executions).padStart(4)}  ${String(r.candidates).padStart(4)}  ${r.ms.toFixed(1).padStart(6)}${r.match ? '' : '  MISMATCH'}`,
    );
  console.log(`\n${matched} of ${rows.length} tests give their documented result`);
  console.log(
    `reference: the same ${rows.length} under SC in ${(scTotal / 1000).toFixed(2)} s; LKMM costs ${(total / scTotal).toFixed(1)}x SC`,
  );
  console.log(
    `all ${rows.length} in ${(total / 1000).toFixed(2)} s: ${(total / TARGET_MS).toFixed(3)}x of the ${TARGET_MS / 1000} s target (${total <= TARGET_MS ? 'met' : 'MISSED'})`,
  );
}
process.exitCode = matched === rows.length && total <= TARGET_MS ? 0 : 1;
