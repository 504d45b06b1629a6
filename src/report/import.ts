/** import's report as text: what was read, inferred, unknowable, skipped, and still different. */
import type { ImportReport } from '../io/import/report.js';

function section(title: string, lines: readonly string[]): string[] {
  return lines.length ? ['', `${title}:`, ...lines.map((l) => `  - ${l}`)] : [];
}

/** The report as text. */
export function renderImportReport(r: ImportReport): string {
  return [
    `import report: ${r.arch} (kernel ${r.kernel}), memory block size 0x${r.blockSize.toString(16)}`,
    `read: ${r.sources.join(', ') || 'nothing'}`,
    ...section('inferred', r.inferred),
    ...section('could not know', r.unknown),
    ...section('skipped', r.skipped),
    ...section('the imported scenario differs from the machine', r.mismatches),
  ].join('\n');
}
