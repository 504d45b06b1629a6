/**
 * The demo's renderers: the text pfnlab demo prints, its JSON document and its self-contained
 * HTML report (report/html.ts), all from one DemoResult (src/demo computes it).
 */
import type { BugRow } from '../bugs/index.js';
import type { CompareResult } from '../compare/index.js';
import { CATEGORIES, type Category, categoryLegend } from '../compare/judge.js';
import type { DesignLitmus } from '../designs/index.js';
import { AUDIT_SCENARIOS } from '../explore/audit.js';
import { bugsHtml, bugsJson, renderBugs } from './bugs.js';
import { type ReportScenario, renderDemoReport } from './html.js';
import { DESIGN_LITMUS_HEADINGS, designLitmusHtml, designLitmusRows } from './litmus.js';
import { escapeXml } from './map.js';
import { renderTable } from './table.js';

/** pfn-walker explored with one design against hot-removal of RAM and against memunmap. */
export interface RaceVerdict {
  readonly design: string;
  readonly ram: string;
  readonly device: string;
}

/** What runDemo() found: every scenario's comparison and maps, the race verdicts, the invariants. */
export interface DemoResult {
  /** The designs compared, in table order. */
  readonly designs: readonly string[];
  readonly scenarios: readonly ReportScenario[];
  /** Wrong answers (pfns) per design and category, summed over the scenarios. */
  readonly totals: Record<string, Partial<Record<Category, number>>>;
  readonly races: readonly RaceVerdict[];
  /** Each design's publish and teardown as litmus tests, decided under LKMM and SC. */
  readonly lkmm: readonly DesignLitmus[];
  /** Invariant violations after each scenario's last step, by scenario name (empty: they hold). */
  readonly invariantViolations: Record<string, string[]>;
  /** The known bugs, each run on the release before and after its fix (pfnlab bugs). */
  readonly bugs: readonly BugRow[];
}

/** Scenarios whose invariants broke (exit status 1 when any). */
export function brokenScenarios(r: DemoResult): string[] {
  return Object.entries(r.invariantViolations)
    .filter(([, v]) => v.length)
    .map(([n]) => n);
}

/** The kernels the scenarios were judged on: "6.19", or "5.4 and 6.19". */
function kernelsOf(scenarios: readonly ReportScenario[]): string {
  return [...new Set(scenarios.map((s) => s.result.kernel))].sort().join(' and ');
}

function wrongAnswers(result: CompareResult, design: string): number {
  return Object.values(result.totals[design]).reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0;
}

/** What pfnlab demo prints; `reportPath` is where the HTML report was written. */
export function renderDemoText(r: DemoResult, reportPath: string): string {
  const { designs, scenarios, totals, races } = r;
  const used = CATEGORIES.filter((c) => designs.some((d) => totals[d]?.[c]));
  const broken = brokenScenarios(r);
  const lines: string[] = [
    `pfnlab demo: ${scenarios.length} built-in scenarios x ${designs.length} designs on Linux ${kernelsOf(scenarios)}, every pfn judged after every kernel step\n\n`,
  ];
  for (const s of scenarios) {
    const wrong = designs.map((d) => `${d} ${wrongAnswers(s.result, d)}`).join(', ');
    lines.push(`  ${s.name}: ${s.result.steps.length - 1} steps; wrong answers (pfn x category): ${wrong}\n`);
  }
  lines.push(`\nWrong answers (pfns, summed over scenarios):\n`);
  lines.push(
    `${renderTable(
      ['DESIGN', ...used],
      designs.map((d) => [d, ...used.map((c) => totals[d]?.[c] ?? 0)]),
      '  ',
    )}\n${categoryLegend(used, '    ')}\n\n`,
  );
  lines.push(
    `Race verdicts: pfn-walker under every interleaving with hot-removal (${AUDIT_SCENARIOS.ram}) and memunmap (${AUDIT_SCENARIOS.device}):\n`,
  );
  lines.push(
    `${renderTable(
      ['DESIGN', 'RAM OFFLINE+REMOVE', 'MEMUNMAP'],
      races.map((v) => [v.design, v.ram, v.device]),
      '  ',
    )}\n`,
  );
  lines.push('  (pfnlab audit runs every walker; pfnlab explore shows a counterexample step by step)\n\n');
  lines.push('Publish and teardown under LKMM and under SC (pfnlab litmus --design D prints each test):\n');
  lines.push(`${renderTable(DESIGN_LITMUS_HEADINGS, designLitmusRows(r.lkmm), '  ')}\n\n`);
  lines.push(
    'Known memmap-lifetime bugs, each on the last release with it and the first without (pfnlab bugs):\n',
  );
  lines.push(`${renderBugs(r.bugs)}\n`);
  lines.push(
    broken.length
      ? `INVARIANTS VIOLATED in ${broken.join(', ')}\n`
      : 'Model invariants hold after every scenario.\n',
  );
  lines.push(`Report: ${reportPath}\n`);
  return lines.join('');
}

/** pfnlab demo --json's document (the maps stay in the HTML report). */
export function demoJson(r: DemoResult, reportPath: string): unknown {
  return {
    report: reportPath,
    totals: r.totals,
    races: r.races,
    lkmm: r.lkmm.map((d) => ({
      design: d.design,
      protocols: d.verdicts.map((v) => ({
        op: v.test.op,
        lkmm: v.lkmm.result,
        dataRace: v.lkmm.dataRace,
        sc: v.sc.result,
      })),
    })),
    scenarios: r.scenarios.map((s) => ({ ...s.result, maps: undefined })),
    invariantViolations: r.invariantViolations,
    bugs: bugsJson(r.bugs),
  };
}

function racesHtml(races: readonly RaceVerdict[]): string {
  const cell = (v: string) => `<td class="${v.startsWith('UNSAFE') ? 'bad' : 'zero'}">${escapeXml(v)}</td>`;
  const rows = races
    .map((r) => `<tr><td>${escapeXml(r.design)}</td>${cell(r.ram)}${cell(r.device)}</tr>`)
    .join('');
  return `<p>pfn-walker (the design's own reader protocol) against hot-removal of System RAM and against memunmap_pages(), every interleaving explored.</p><table><tr><th>design</th><th>offline + remove</th><th>memunmap</th></tr>${rows}</table>`;
}

/** The demo's self-contained HTML report: the tables, the race verdicts, every scenario's maps. */
export function renderDemoHtml(r: DemoResult): string {
  return renderDemoReport(r.scenarios, [
    { title: 'Race verdicts (pfnlab explore, every interleaving)', html: racesHtml(r.races) },
    { title: 'Publish and teardown under LKMM (pfnlab litmus --design)', html: designLitmusHtml(r.lkmm) },
    { title: 'Known bugs, before and after their fixes (pfnlab bugs)', html: bugsHtml(r.bugs) },
  ]);
}
