/** The text rendering of a verify run: the per-step table, then every disagreement with both values. */
import { renderTable } from '../report/table.js';
import type { Agreement, VerifyResult } from './index.js';

const mark = (a: Agreement) => (a === null ? '-' : a ? 'yes' : 'NO');

export function renderVerify(r: VerifyResult): string {
  const out: string[] = [];
  out.push(
    `${r.scenario}: kernel ${r.kernel} under QEMU (TCG) vs the model (kernel ${r.modelKernel} rules)`,
    `guest boot: ${r.boot.ranges.map((b) => `${b.start}+${b.size}`).join(', ')}; memory blocks ${r.boot.blockSize / 2 ** 20} MiB`,
    '',
  );
  out.push(
    renderTable(
      ['STEP', 'OPERATION', 'MODEL', 'KERNEL', 'BLOCKS', 'ZONES', 'IOMEM', 'REFUSAL'],
      r.steps.map((s) => [
        s.index === 0 ? 'boot' : s.index,
        s.summary,
        s.op === 'boot' ? '-' : s.modelErrno ? `-${s.modelErrno}` : 'ok',
        s.op === 'boot'
          ? 'ok'
          : s.action.startsWith('model only')
            ? '(model)'
            : !s.replayed
              ? 'skipped'
              : s.kernelErrno
                ? `-${s.kernelErrno}`
                : 'ok',
        mark(s.agree.blocks),
        mark(s.agree.zones),
        mark(s.agree.iomem),
        mark(s.agree.refusal),
      ]),
      '  ',
    ),
  );
  const dis = r.steps.filter((s) => s.disagreements.length);
  if (dis.length) {
    out.push('', `Disagreements (${r.disagreements}):`);
    for (const s of dis) {
      out.push(`  ${s.index === 0 ? 'boot' : `step ${s.index}`} ${s.summary}:`);
      for (const d of s.disagreements)
        out.push(`    ${d.area} ${d.what}: model ${d.model}, kernel ${d.kernel}`);
    }
  }
  if (r.notReplayable.length) {
    out.push('', 'Not replayed:');
    for (const n of r.notReplayable) out.push(`  step ${n.index} ${n.op}: ${n.why}`);
  }
  const modelOnly = r.steps.filter((s) => s.action.startsWith('model only'));
  if (modelOnly.length) {
    out.push('', 'Model only:');
    for (const s of modelOnly)
      out.push(`  step ${s.index} ${s.summary}: ${s.action.replace(/^model only \((.*)\)$/, '$1')}`);
  }
  out.push('', 'Approximations:', ...r.approximations.map((a) => `  - ${a}`));
  out.push(
    '',
    r.disagreements
      ? `${r.disagreements} disagreement(s) between the model and the kernel (${(r.wallMs / 1000).toFixed(1)} s)`
      : `model and kernel agree on every step (${(r.wallMs / 1000).toFixed(1)} s)`,
  );
  return out.join('\n');
}
