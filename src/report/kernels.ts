/** kernels' text: every behaviour that differs between releases, with its release and commit. */
import { behaviourTable, resolveKernel } from '../kernel/index.js';

/** The table `pfnlab kernels` prints (the README's "Which kernel" section holds the same). */
export function kernelsTable(at?: string): string {
  const k = at === undefined ? undefined : resolveKernel(at);
  const rows = behaviourTable().map((b) => [
    `${b.approx ? '≈' : ''}${b.since}`,
    `${b.name}${b.unmodelled ? ' *' : ''}`,
    ...(k ? [k[b.name] ? 'yes' : 'no'] : []),
    `${b.commit}${b.hash ? ` (${b.hash})` : ''}`,
  ]);
  const head = ['release', 'behaviour', ...(k ? [`in ${k.release}`] : []), 'commit'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const unmodelled = behaviourTable().filter((b) => b.unmodelled).length;
  const note = unmodelled
    ? [
        `* listed, not modelled (${unmodelled}): the model runs as before the change (--json says what is missing)`,
      ]
    : [];
  return [line(head), ...rows.map(line), ...note].join('\n');
}
