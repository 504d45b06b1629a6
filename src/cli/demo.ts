/**
 * pfnlab demo: the main job. Every built-in scenario runs through every
 * design; the design x wrong-answer table is printed and a self-contained HTML
 * report (the table, and each scenario's map after every step) is written.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compareScenario } from '../compare/index.js';
import { CATEGORIES, DESIGNS } from '../designs/index.js';
import { builtinScenarioNames, loadScenario } from '../io/scenario.js';
import { checkInvariants } from '../model/invariants.js';
import { type ReportScenario, renderDemoReport, sumTotals } from '../report/html.js';
import { layoutMap } from '../report/map-layout.js';
import { renderTable } from '../report/table.js';
import { type CliIo, type Command, parseCommandArgs, printJson, stringOption } from './command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'every built-in scenario through every design: the wrong-answer table and an HTML report',
  help: `usage: pfnlab demo [--out FILE] [--json]

Run every built-in scenario (scenarios/*.json) with every lookup design
(v5.4, active-bitmap, device-bitmap, upstream, hotplug-lock), judge every
design's answers for every pfn after every kernel step, and print the table
design x wrong-answer category. Check the model's invariants after each
scenario. Write a self-contained HTML report with the table and a map of each
scenario's layout after every step.

  --out FILE   where to write the report (default ./pfnlab-report.html)
  --json       print the results as JSON (the report is still written)`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('demo', argv, {
      json: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
    });
    const out = resolve(stringOption(p, 'out') ?? 'pfnlab-report.html');
    const scenarios: ReportScenario[] = [];
    const violations: Record<string, string[]> = {};
    for (const name of builtinScenarioNames()) {
      const scenario = loadScenario(name);
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
    writeFileSync(out, renderDemoReport(scenarios));
    const totals = sumTotals(scenarios.map((s) => s.result));
    const broken = Object.entries(violations).filter(([, v]) => v.length);
    if (p.values.json) {
      printJson(io, {
        report: out,
        totals,
        scenarios: scenarios.map((s) => ({ ...s.result, maps: undefined })),
        invariantViolations: violations,
      });
      return broken.length ? 1 : 0;
    }
    const designs = DESIGNS.map((d) => d.name);
    const used = CATEGORIES.filter((c) => designs.some((d) => totals[d]?.[c]));
    io.out(
      `pfnlab demo: ${scenarios.length} built-in scenarios x ${designs.length} designs, every pfn judged after every kernel step\n\n`,
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
      )}\n\n`,
    );
    io.out(
      broken.length
        ? `INVARIANTS VIOLATED in ${broken.map(([n]) => n).join(', ')}\n`
        : 'Model invariants hold after every scenario.\n',
    );
    io.out(`Report: ${out}\n`);
    return broken.length ? 1 : 0;
  },
};
