/** The text rendering of a verify run: the per-step table, then every disagreement with both values. */

import type { Disagreement } from '../verify/compare.js';
import type { Agreement, VerifyResult } from '../verify/index.js';
import { renderTable } from './table.js';

/** memory128..memory135 with the same difference read as one line: "memory128-135 state". */
export function groupBlocks(ds: readonly Disagreement[]): Disagreement[] {
  const parse = (d: Disagreement) => /^memory(\d+) (.+)$/.exec(d.what);
  const blocks = ds
    .map((d) => ({ d, m: parse(d) }))
    .filter((x): x is { d: Disagreement; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => a.m[2].localeCompare(b.m[2]) || Number(a.m[1]) - Number(b.m[1]));
  const out: Disagreement[] = [];
  let run: { first: number; last: number; field: string; d: Disagreement } | undefined;
  const flush = () => {
    if (!run) return;
    const ids = run.first === run.last ? `${run.first}` : `${run.first}-${run.last}`;
    out.push({ ...run.d, what: `memory${ids} ${run.field}` });
  };
  for (const { d, m } of blocks) {
    const id = Number(m[1]);
    if (
      run &&
      run.field === m[2] &&
      run.d.model === d.model &&
      run.d.kernel === d.kernel &&
      id === run.last + 1
    ) {
      run.last = id;
      continue;
    }
    flush();
    run = { first: id, last: id, field: m[2], d };
  }
  flush();
  return [...out, ...ds.filter((d) => !parse(d))];
}

const mark = (a: Agreement) => (a === null ? '-' : a ? 'yes' : 'NO');

export function renderVerify(r: VerifyResult): string {
  const out: string[] = [];
  out.push(
    `${r.scenario}: kernel ${r.kernel} under QEMU (TCG) vs the model (kernel ${r.modelKernel} rules)`,
    `guest boot: ${r.boot.ranges.map((b) => `${b.start}+${b.size}`).join(', ')}; memory blocks ${r.boot.blockSize / 2 ** 20} MiB`,
    `auto_online_blocks: kernel ${r.autoOnline.kernel ?? '(absent)'}, replayed with ${r.autoOnline.used}`,
    '',
  );
  out.push(
    renderTable(
      ['STEP', 'OPERATION', 'MODEL', 'KERNEL', 'BLOCKS', 'ZONES', 'IOMEM', 'PAGES', 'REFUSAL'],
      r.steps.map((s) => [
        s.index === 0 ? 'boot' : s.index,
        s.summary,
        s.op === 'boot' ? '-' : s.modelErrno ? `-${s.modelErrno}` : 'ok',
        s.op === 'boot'
          ? 'ok'
          : s.verifyError
            ? 'ERROR'
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
        s.agree.pages === null ? '-' : `${mark(s.agree.pages)} ${s.pagesCompared}`,
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
      for (const d of groupBlocks(s.disagreements))
        out.push(`    ${d.area} ${d.what}: model ${d.model}, kernel ${d.kernel}`);
    }
  }
  // The scenario's own `expect`: what it says both sides do.
  const missed = r.steps.filter(
    (s) => s.expect && (s.modelErrno !== s.expect || (s.replayed && s.kernelErrno !== s.expect)),
  );
  if (missed.length) {
    out.push('', 'Expectations not met (the scenario\'s "expect"):');
    for (const s of missed)
      out.push(
        `  step ${s.index} expects -${s.expect}: model ${s.modelErrno ? `-${s.modelErrno}` : 'succeeds'}, kernel ${!s.replayed ? 'not replayed' : s.kernelErrno ? `-${s.kernelErrno}` : 'succeeds'}`,
      );
  }
  if (r.verifyErrors.length) {
    out.push('', "Verify errors (verify's own failures, not the kernel's; nothing compared):");
    for (const e of r.verifyErrors) out.push(`  step ${e.index} ${e.op}: ${e.error}`);
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
    `pfns compared through /proc/kpageflags and /proc/kpagecount: ${r.pagesCompared}${r.pagesInUse ? ` (${r.pagesInUse} free in the model were in use by the guest's own processes)` : ''}${r.pagesSkipped ? `; ${r.pagesSkipped} more beyond --pages-limit not compared` : ''}${r.pagesPastEnd ? `; ${r.pagesPastEnd} past the end of the kernel's /proc/kpageflags (max_pfn: ZONE_DEVICE above the last RAM) not compared` : ''}`,
  );
  out.push(
    '',
    `${r.verdict.text}${r.disagreements ? ` (${r.disagreements} disagreement(s))` : ''} (${(r.wallMs / 1000).toFixed(1)} s)`,
  );
  return out.join('\n');
}
