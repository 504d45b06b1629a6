/** The kernel-step log: each operation's summary and, with --log, every kernel step it ran. */
import type { OperationLog } from '../ops/scenario-run.js';

export function renderOperationLog(log: readonly OperationLog[], steps: boolean): string {
  const lines: string[] = [];
  for (const op of log) {
    const head = op.index === 0 ? 'boot' : `step ${op.index}`;
    if (op.refused) {
      lines.push(`${head}: ${op.op} refused as expected: ${op.refused.message}`);
      continue;
    }
    lines.push(`${head}: ${op.summary} (${op.steps.length} kernel steps)`);
    if (!steps) continue;
    op.steps.forEach((s, i) => {
      lines.push(`  ${String(i + 1).padStart(3)}. ${s.fn}: ${s.detail}${s.note ? ` -> ${s.note}` : ''}`);
    });
  }
  return lines.join('\n');
}
