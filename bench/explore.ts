/**
 * bench/explore: what the explorer costs. The RCU algorithm alone with 2, 3
 * and 4 readers (states, transitions, seconds), beside the same search with
 * symmetry and sleep-set reduction off (the reference, same run); the injected
 * faults' shortest counterexamples; and every design x walker of the audit.
 * Targets: the 3-reader proof in fewer than 538,000 states and under 2 s;
 * counterexamples of at most 21 (no-sync), 44 (single-flip) and 39
 * (check-before-lock) steps, Spin's figures for the same model.
 *
 *   node --import tsx bench/explore.ts [--quick]
 */
import { DESIGNS, FAULT_DESIGNS } from '../src/designs/index.js';
import { audit } from '../src/explore/audit.js';
import { search } from '../src/explore/engine.js';
import { type RcuFault, rcuModel } from '../src/explore/rcu-model.js';
import { benchArgs } from './args.js';

const quick = benchArgs('explore', { quick: { type: 'boolean' } }).quick === true;
const pad = (s: string | number, n: number) => String(s).padStart(n);

console.log(
  'RCU alone (liburcu memb, two flips): every interleaving of N readers with a writer doing 2 updates',
);
console.log('readers   states  transitions  seconds   unreduced states  x fewer  unreduced s');
let three: { states: number; seconds: number } | undefined;
for (const readers of quick ? [2, 3] : [2, 3, 4]) {
  const r = search(rcuModel({ readers }));
  const ref =
    readers <= 3
      ? search(rcuModel({ readers }), { reduce: { symmetry: false, sleepSets: false } })
      : undefined;
  if (readers === 3) three = r;
  console.log(
    `${pad(readers, 7)} ${pad(r.states, 8)} ${pad(r.transitions, 12)} ${pad(r.seconds.toFixed(2), 8)}   ${pad(ref ? ref.states : '-', 16)} ${pad(ref ? (ref.states / r.states).toFixed(1) : '-', 8)} ${pad(ref ? ref.seconds.toFixed(2) : '-', 12)}   ${r.verdict}`,
  );
}
if (three) {
  const ok = three.states < 538_000 && three.seconds < 2;
  console.log(
    `3 readers: ${three.states} states in ${three.seconds.toFixed(2)} s (target < 538000 states and < 2 s: ${ok ? 'met' : 'MISSED'})`,
  );
}

console.log('\nInjected faults (2 readers): shortest counterexample, states, seconds');
const limits: Record<Exclude<RcuFault, 'none'>, number> = {
  'no-sync': 21,
  'single-flip': 44,
  'check-before-lock': 39,
};
for (const [fault, limit] of Object.entries(limits)) {
  const r = search(rcuModel({ readers: 2, fault: fault as RcuFault }));
  const len = r.schedule?.length ?? 0;
  console.log(
    `  ${fault.padEnd(18)} ${pad(len, 3)} steps (target <= ${limit}: ${r.verdict === 'unsafe' && len <= limit ? 'met' : 'MISSED'})  ${pad(r.states, 6)} states  ${r.seconds.toFixed(3)} s`,
  );
}

if (!quick) {
  console.log('\nEvery design x walker (pfnlab audit): states and verdicts');
  const result = audit([...DESIGNS, ...FAULT_DESIGNS]);
  // Fault variants share their design's name up to the '/', so the header puts the variant on a
  // second line (cut to one width, the three active-bitmap variants all read 'active-bitmap/').
  const [base, variant] = [0, 1].map((part) =>
    result.designs.map((d) => (d.split('/')[part] ?? '').slice(0, 17).padStart(18)).join(''),
  );
  console.log(`walker`.padEnd(24) + base);
  if (variant.trim()) console.log(''.padEnd(24) + variant);
  for (const row of result.rows) {
    const cells = result.designs.map((d) => {
      const c = row.cells[d];
      return `${c.verdict === 'safe' ? 'ok' : c.verdict === 'unsafe' ? `X${c.steps}` : '?'}/${c.states}`.padStart(
        18,
      );
    });
    console.log(row.walker.padEnd(24) + cells.join(''));
  }
  console.log(
    `(ok = proven safe, Xn = unsafe with an n-step counterexample; /states)  ${result.rows.length * result.designs.length} explorations in ${result.seconds.toFixed(1)} s`,
  );
}
