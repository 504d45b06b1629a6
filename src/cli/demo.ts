/**
 * pfnlab demo: the main job. Runs every built-in scenario and reports what
 * each machine ends up as.
 */
import { builtinScenarioNames, loadScenario } from '../io/scenario.js';
import { checkInvariants } from '../model/invariants.js';
import { runScenario } from '../ops/scenario-run.js';
import { layoutReport, renderLayout } from '../report/layout.js';
import { type CliIo, type Command, parseCommandArgs, printJson } from './command.js';
import { renderOperationLog } from './log.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the built-in scenarios and report every machine',
  help: `usage: pfnlab demo [--json]

Run every built-in scenario (scenarios/*.json), check the model's invariants
after it, and print each final layout with its truth summary.

  --json   one JSON document with every scenario's operations and layout`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('demo', argv, { json: { type: 'boolean' } });
    const results = builtinScenarioNames().map((name) => {
      const scenario = loadScenario(name);
      const started = performance.now();
      const { machine, log } = runScenario(scenario);
      return {
        name,
        description: scenario.description,
        operations: log,
        layout: layoutReport(machine),
        invariantViolations: checkInvariants(machine),
        milliseconds: Math.round(performance.now() - started),
      };
    });
    if (p.values.json) {
      printJson(io, { scenarios: results });
      return results.some((r) => r.invariantViolations.length) ? 1 : 0;
    }
    for (const r of results) {
      io.out(`=== ${r.name}: ${r.description ?? ''}\n\n`);
      io.out(`${renderOperationLog(r.operations, false)}\n\n${renderLayout(r.layout)}\n`);
      io.out(
        r.invariantViolations.length
          ? `\nINVARIANTS VIOLATED:\n  ${r.invariantViolations.join('\n  ')}\n\n`
          : '\nInvariants hold.\n\n',
      );
    }
    return results.some((r) => r.invariantViolations.length) ? 1 : 0;
  },
};
