/** audit's text: a walker per row, a design per column, each cell safe or UNSAFE with its length. */
import type { AuditCell, AuditResult } from '../explore/audit.js';
import { renderTable } from './table.js';

function cellText(c: AuditCell): string {
  return c.verdict === 'safe' ? 'safe' : c.verdict === 'unsafe' ? `UNSAFE ${c.steps}` : 'bounded';
}

/** The scenarios a row's UNSAFE cells were found on, as pfnlab explore names them. */
function rowScenarios(r: AuditResult['rows'][number]): string {
  const refs = Object.values(r.cells).flatMap((c) => (c.scenarioRef ? [c.scenarioRef] : []));
  return [...new Set(refs)].join(', ');
}

/** The audit as pfnlab audit prints it: the table, how to see a counterexample, the thread's verdicts reproduced. */
export function renderAudit(result: AuditResult): string {
  const rows = result.rows.map((r) => [
    r.walker,
    rowScenarios(r),
    ...result.designs.map((d) => cellText(r.cells[d])),
    r.threadVerdict ? r.threadVerdict.replace(/^[^:]+: /, '') : '',
  ]);
  const heads = result.designs.map((d) => `${d} (${result.kernels[d]})`);
  const out = [
    `${renderTable(['WALKER', 'SCENARIO', ...heads, 'THREAD (Dan Williams, on 5.4)'], rows, '  ')}\n`,
    "UNSAFE n: pfnlab explore SCENARIO --design D --walker W (pfn-walker: no --walker, the scenario's own) shows the n steps,",
    "on the kernel in parentheses; --json gives each cell's exact command.",
  ];
  const t = result.thread;
  if (t.named) {
    out.push(
      `The v5.4 column reproduces ${t.reproduced} of the ${t.named} verdicts the thread gives${t.differ.length ? ` (differs: ${t.differ.join(', ')})` : ''}.`,
    );
  }
  const n = result.rows.length * result.designs.length;
  out.push(`${n} exploration${n === 1 ? '' : 's'} in ${result.seconds.toFixed(1)} s.`);
  return `${out.join('\n')}\n`;
}
