/** stress's text: what the walker threads and the writer did, and the verdict. */
import { describeExample, type StressResult } from '../stress/index.js';

/** What runStress() reports while it runs. */
export interface StressProgress {
  readonly seconds: number;
  readonly lookups: number;
  readonly cycles: number;
  readonly violations: number;
}

/** "1.5 s: 1,234 lookups, 3 cycles, 0 violations": the progress line's text. */
export function renderStressProgress(x: StressProgress): string {
  return `${x.seconds.toFixed(1)} s: ${n(Math.round(x.lookups))} lookups, ${n(x.cycles)} cycles, ${n(x.violations)} violations`;
}

const n = (x: number) => x.toLocaleString('en-US');

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The run as pfnlab stress prints it: counts, stalls, examples, the verdict line. */
export function renderStress(r: StressResult): string {
  const v = r.violations;
  const lines = [
    `stress ${r.scenario}, design ${r.design}${r.rcu ? ` (RCU ${r.rcu})` : ''}: ${r.workers} walker thread${r.workers > 1 ? 's' : ''} (${r.walkers.join(', ')}), window ${r.window}, seed ${r.seed}, ${r.seconds.toFixed(1)} s`,
    `writer cycle: ${r.cycle.join(' -> ')}`,
    '',
    `  lookups        ${n(r.lookups)} (${(r.lookupsPerSecond / 1e6).toFixed(2)} M/s), ${n(r.derefs)} struct page reads`,
    `  writer         ${n(r.cycles)} cycles, ${n(r.operations)} operations, ${n(r.kernelSteps)} kernel steps`,
    `  grace periods  ${n(r.gracePeriods)}${r.gracePeriodMs ? ` (synchronize_rcu median ${(r.gracePeriodMs.median * 1000).toFixed(1)} us, p99 ${(r.gracePeriodMs.p99 * 1000).toFixed(1)} us, max ${r.gracePeriodMs.max.toFixed(2)} ms)` : ''}`,
    `  violations     ${n(v.total)}${v.total ? `: freed ${n(v.freed)}, poisoned ${n(v.poisoned)}, uninitialized ${n(v.uninitialized)}; first after ${r.firstViolationMs?.toFixed(1)} ms` : ''}`,
    `  model memory   +${mib((r.memory.endWords - r.memory.bootWords) * 5)} (${r.cycles > 0 ? `${n(r.memory.bytesPerCycle)} bytes per cycle, ` : ''}freed blocks never reused)${r.memory.exhausted ? ': capacity reached, the writer stopped early' : ''}`,
  ];
  for (const s of r.stalls)
    lines.push(
      `  RCU stall      a grace period waited ${(s.waitedMs / 1000).toFixed(1)} s for reader slot ${s.slot}; the run was ended`,
    );
  if (r.deadlineStop) lines.push(`  deadline       ${deadlineLine(r.deadlineStop)}`);
  if (r.terminatedWalkers)
    lines.push(
      `  terminated     ${r.terminatedWalkers} walker${r.terminatedWalkers > 1 ? 's' : ''} still running after the run stopped: counts as of the last batch, examples lost`,
    );
  if (r.examples.length) lines.push('', 'examples:', ...r.examples.map((e) => `  ${describeExample(e)}`));
  lines.push(
    '',
    r.verdict === 'stall'
      ? `STALL: a grace period waited for a walker that ${r.rcu === 'qsbr' ? 'announced no quiescent state' : 'did not leave its read-side critical section'}`
      : v.total
        ? `VIOLATIONS: ${n(v.total)} dereferences of freed, poisoned or uninitialized struct pages`
        : `clean: no bad dereference in ${n(r.derefs)} struct page reads${r.deadlineStop ? ` (the writer was stopped at the deadline inside ${r.deadlineStop.step})` : ''}`,
  );
  return lines.join('\n');
}

/** Where the deadline stopped the writer: "stopped inside synchronize_rcu (grace period 1,532 ms so far) of offline [...]: ...". */
function deadlineLine(d: NonNullable<StressResult['deadlineStop']>): string {
  const ms = (x: number) => `${n(Math.round(x))} ms`;
  const how =
    d.gracePeriodMs !== undefined
      ? `grace period ${ms(d.gracePeriodMs)} so far`
      : `waiting ${ms(d.waitedMs)}`;
  return `stopped inside ${d.step} (${how}) of ${d.operation}: ${d.detail}`;
}
