/**
 * pfnlab demo: the main job. Every built-in scenario runs through every
 * design; the design x wrong-answer table is printed and a self-contained HTML
 * report (the table, and each scenario's map after every step) is written.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { compareScenario } from '../compare/index.js';
import { CATEGORIES, categoryLegend } from '../compare/judge.js';
import type { Design } from '../designs/design.js';
import { DESIGNS, designLitmus, FAULT_DESIGNS } from '../designs/index.js';
import { InputError } from '../errors.js';
import { AUDIT_SCENARIOS } from '../explore/audit.js';
import { explore, scenarioWalkers } from '../explore/index.js';
import { builtinScenarioNames, loadScenario } from '../io/scenario.js';
import { writeFileWhole } from '../io/write-file.js';
import { checkInvariants } from '../model/invariants.js';
import { type ReportScenario, renderDemoReport, sumTotals } from '../report/html.js';
import { DESIGN_LITMUS_HEADINGS, designLitmusHtml, designLitmusRows } from '../report/litmus.js';
import { escapeXml } from '../report/map.js';
import { layoutMap } from '../report/map-layout.js';
import { renderTable } from '../report/table.js';
import { scenarioWithKernel } from '../scenario/index.js';
import {
  type CliIo,
  type Command,
  noPositionals,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

interface RaceVerdict {
  readonly design: string;
  readonly ram: string;
  readonly device: string;
}

/** pfn-walker explored with every design, fault variants included, on the audit's two scenarios. */
function raceVerdicts(): RaceVerdict[] {
  const verdict = (scenario: string, design: Design): string => {
    const s0 = loadScenario(scenario);
    const s = scenarioWithKernel(s0, design.kernel ?? s0.geometry.kernel);
    const t = explore({ scenario: s, design, walkers: scenarioWalkers(s) });
    return t.verdict === 'safe'
      ? `safe (${t.states} states)`
      : `UNSAFE: ${t.violation?.kind} in ${t.steps.length} steps`;
  };
  return [...DESIGNS, ...FAULT_DESIGNS].map((d) => ({
    design: d.name,
    ram: verdict(AUDIT_SCENARIOS.ram, d),
    device: verdict(AUDIT_SCENARIOS.device, d),
  }));
}

function racesHtml(races: readonly RaceVerdict[]): string {
  const cell = (v: string) => `<td class="${v.startsWith('UNSAFE') ? 'bad' : 'zero'}">${escapeXml(v)}</td>`;
  const rows = races
    .map((r) => `<tr><td>${escapeXml(r.design)}</td>${cell(r.ram)}${cell(r.device)}</tr>`)
    .join('');
  return `<p>pfn-walker (the design's own reader protocol) against hot-removal of System RAM and against memunmap_pages(), every interleaving explored.</p><table><tr><th>design</th><th>offline + remove</th><th>memunmap</th></tr>${rows}</table>`;
}

/** The kernels the scenarios were judged on: "6.19", or "5.4 and 6.19". */
function kernelsOf(scenarios: readonly ReportScenario[]): string {
  return [...new Set(scenarios.map((s) => s.result.kernel))].sort().join(' and ');
}

/** Where the report goes, refused before the run when it cannot be written there. */
function reportPath(given: string): string {
  if (given === '') throw new InputError('demo', '--out needs a file name', given);
  const out = resolve(given);
  if (existsSync(out) && statSync(out).isDirectory())
    throw new InputError('demo', `--out ${given} is a directory; name the report file`, given);
  const dir = dirname(out);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError('demo', `--out ${given}: ${dir} is not a directory`, given);
  return out;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'every built-in scenario through every design: the wrong-answer table and an HTML report',
  help: `usage: pfnlab demo [--out FILE] [--kernel X.Y] [--json]

Run every built-in scenario (scenarios/*.json) with every lookup design
(v5.4, active-bitmap, device-bitmap, upstream, hotplug-lock), judge every
design's answers for every pfn after every kernel step, and print the table
design x wrong-answer category. Check the model's invariants after each
scenario. Write a self-contained HTML report with the table and a map of each
scenario's layout after every step.

  --out FILE   where to write the report (default ./pfnlab-report.html)
  --kernel X.Y judge the designs on mainline release X.Y (5.4 … 6.19, mainline
               tags; see pfnlab kernels) (default: each scenario's
               kernel, 6.19 for the built-ins); the race verdicts run each design
               on its own kernel, as audit does
  --json       print the results as JSON (the report is still written)`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('demo', argv, {
      json: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      ...KERNEL_OPTION,
    });
    noPositionals('demo', p);
    const out = reportPath(stringOption(p, 'out') ?? 'pfnlab-report.html');
    const kernel = kernelOption('demo', p);
    const scenarios: ReportScenario[] = [];
    const violations: Record<string, string[]> = {};
    for (const name of builtinScenarioNames()) {
      const scenario = onKernel(loadScenario(name), kernel);
      const maps: ReportScenario['maps'][number][] = [];
      const result = compareScenario(scenario, {
        designs: DESIGNS,
        onOperation(m, op) {
          maps.push({
            caption: op.index === 0 ? 'after boot' : `after step ${op.index}: ${op.summary}`,
            map: layoutMap(m),
          });
          if (op.index === scenario.steps.length) violations[name] = checkInvariants(m);
        },
      });
      scenarios.push({ name, description: scenario.description, result, maps });
    }
    const races = raceVerdicts();
    const lkmm = DESIGNS.flatMap((d) => designLitmus(d) ?? []);
    const html = renderDemoReport(scenarios, [
      { title: 'Race verdicts (pfnlab explore, every interleaving)', html: racesHtml(races) },
      { title: 'Publish and teardown under LKMM (pfnlab litmus --design)', html: designLitmusHtml(lkmm) },
    ]);
    writeFileWhole(out, html);
    const totals = sumTotals(scenarios.map((s) => s.result));
    const broken = Object.entries(violations).filter(([, v]) => v.length);
    if (p.values.json) {
      printJson(io, {
        report: out,
        totals,
        races,
        lkmm: lkmm.map((d) => ({
          design: d.design,
          protocols: d.verdicts.map((v) => ({
            op: v.test.op,
            lkmm: v.lkmm.result,
            dataRace: v.lkmm.dataRace,
            sc: v.sc.result,
          })),
        })),
        scenarios: scenarios.map((s) => ({ ...s.result, maps: undefined })),
        invariantViolations: violations,
      });
      return broken.length ? 1 : 0;
    }
    const designs = DESIGNS.map((d) => d.name);
    const used = CATEGORIES.filter((c) => designs.some((d) => totals[d]?.[c]));
    io.out(
      `pfnlab demo: ${scenarios.length} built-in scenarios x ${designs.length} designs on Linux ${kernelsOf(scenarios)}, every pfn judged after every kernel step\n\n`,
    );
    for (const s of scenarios) {
      const wrong = designs
        .map((d) => `${d} ${Object.values(s.result.totals[d]).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)}`)
        .join(', ');
      io.out(`  ${s.name}: ${s.result.steps.length - 1} steps; wrong answers (pfn x category): ${wrong}\n`);
    }
    io.out(`\nWrong answers (pfns, summed over scenarios):\n`);
    io.out(
      `${renderTable(
        ['DESIGN', ...used],
        designs.map((d) => [d, ...used.map((c) => totals[d]?.[c] ?? 0)]),
        '  ',
      )}\n${categoryLegend(used, '    ')}\n\n`,
    );
    io.out(
      `Race verdicts: pfn-walker under every interleaving with hot-removal (${AUDIT_SCENARIOS.ram}) and memunmap (${AUDIT_SCENARIOS.device}):\n`,
    );
    io.out(
      `${renderTable(
        ['DESIGN', 'RAM OFFLINE+REMOVE', 'MEMUNMAP'],
        races.map((r) => [r.design, r.ram, r.device]),
        '  ',
      )}\n`,
    );
    io.out('  (pfnlab audit runs every walker; pfnlab explore shows a counterexample step by step)\n\n');
    io.out('Publish and teardown under LKMM and under SC (pfnlab litmus --design D prints each test):\n');
    io.out(`${renderTable(DESIGN_LITMUS_HEADINGS, designLitmusRows(lkmm), '  ')}\n\n`);
    io.out(
      broken.length
        ? `INVARIANTS VIOLATED in ${broken.map(([n]) => n).join(', ')}\n`
        : 'Model invariants hold after every scenario.\n',
    );
    io.out(`Report: ${out}\n`);
    return broken.length ? 1 : 0;
  },
};
