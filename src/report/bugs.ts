/** The known-bugs table: what `pfnlab bugs` prints, and the demo report's section of it. */
import type { BugRow, BugRun } from '../bugs/index.js';
import { escapeXml } from './map.js';

function found(run: BugRun): string {
  return run.probe.reproduced ? 'reproduced' : 'fixed';
}

/** "as expected", or what the kernel's history expected instead. */
function agreement(run: BugRun): string {
  return run.probe.reproduced === run.expected
    ? 'as expected'
    : `DISAGREES (expected ${run.expected ? 'reproduced' : 'fixed'})`;
}

function runWhere(run: BugRun): string {
  return run.design ? `${run.release} ${run.design}` : run.release;
}

/** The known bugs whose runs disagree with the kernel's history (the demo exits 1 when any). */
export function brokenBugs(rows: readonly BugRow[]): string[] {
  return rows.filter((r) => !r.agrees).map((r) => r.bug.id);
}

/** The last line: do all bugs agree with the kernel's history. */
export function bugsSummary(rows: readonly BugRow[]): string {
  const bad = brokenBugs(rows).length;
  return bad
    ? `${bad} of ${rows.length} bugs disagree with the kernel's history`
    : `all ${rows.length} bugs agree with the kernel's history`;
}

/** One line per run: bug, release (and design), reproduced or fixed, and whether that is expected. */
export function renderBugs(rows: readonly BugRow[]): string {
  const lines = rows.flatMap((r) =>
    r.runs.map(
      (run) =>
        `  ${r.bug.id.padEnd(18)} ${runWhere(run).padEnd(20)} ${found(run).padEnd(11)} ${agreement(run)}: ${run.probe.how}`,
    ),
  );
  return `${lines.join('\n')}\n${bugsSummary(rows)}\n`;
}

/** pfnlab bugs --json's rows (and the demo's). */
export function bugsJson(rows: readonly BugRow[]): unknown[] {
  return rows.map((r) => ({
    id: r.bug.id,
    title: r.bug.title,
    scenario: r.bug.scenario,
    fix: r.bug.fix,
    lastWith: r.bug.lastWith,
    firstWithout: r.bug.firstWithout ?? null,
    agrees: r.agrees,
    runs: r.runs.map((x) => ({
      release: x.release,
      design: x.design ?? null,
      expected: x.expected,
      ...x.probe,
    })),
  }));
}

/** The demo report's known-bugs table. */
export function bugsHtml(rows: readonly BugRow[]): string {
  const body = rows
    .flatMap((r) =>
      r.runs.map((run) => {
        const cls = run.probe.reproduced === run.expected ? 'zero' : 'bad';
        return `<tr><td>${escapeXml(r.bug.id)}</td><td>${escapeXml(runWhere(run))}</td><td class="${cls}">${found(run)}, ${escapeXml(agreement(run))}</td><td>${escapeXml(run.probe.how)}</td></tr>`;
      }),
    )
    .join('');
  return `<p>Each known memmap-lifetime bug run on the last release with it and the first without (pfnlab bugs): ${escapeXml(bugsSummary(rows))}.</p><table><tr><th>bug</th><th>release</th><th>found</th><th>how</th></tr>${body}</table>`;
}
