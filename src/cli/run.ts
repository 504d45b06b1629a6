/** pfnlab run <scenario> [--json] [--log]: the final layout after every step of a scenario. */

import { InputError } from '../errors.js';
import { scenarioWalkers } from '../explore/index.js';
import { loadScenario } from '../io/scenario.js';
import { runScenario } from '../ops/scenario-run.js';
import { layoutReport, pfnReport, renderLayout, renderPfn } from '../report/layout.js';
import { renderOperationLog } from '../report/log.js';
import { type CliIo, type Command, parseCommandArgs, printJson } from './command.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a scenario and print the final layout',
  help: `usage: pfnlab run <scenario> [--kernel X.Y] [--json] [--log]

Boot the scenario's machine, run every step (each as its kernel steps), and
print the final layout: sections (P present, M memmap, O online, E early,
D ZONE_DEVICE taint), memory blocks, zones, pgmaps and the truth summed by
state; then any pfns listed under "queries".

<scenario> is a scenario file, the name of a built-in scenario, or a directory
written by \`pfnlab capture\` or \`pfnlab export\` (imported first).

  --kernel X.Y  model mainline release X.Y (5.4 … 6.19, mainline tags, not
              distribution trees; see pfnlab kernels) (default: the scenario's
              kernel, else 6.19)
  --json      print the layout (and the operation log) as JSON
  --log       also print every kernel step each operation took`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('run', argv, {
      json: { type: 'boolean' },
      log: { type: 'boolean' },
      ...KERNEL_OPTION,
    });
    if (p.positionals.length !== 1) throw new InputError('run', 'expected exactly one <scenario>');
    const scenario = onKernel(loadScenario(p.positionals[0]), kernelOption('run', p));
    scenarioWalkers(scenario); // the walkers it names exist, with pfns the machine can address
    const { machine, log } = runScenario(scenario);
    const layout = layoutReport(machine);
    const queries = scenario.queries.map((pfn) => pfnReport(machine, pfn));
    if (p.values.json) {
      printJson(io, { scenario: scenario.name, source: scenario.source, operations: log, layout, queries });
      return 0;
    }
    io.out(
      `${scenario.name}${scenario.description ? ` - ${scenario.description}` : ''}\n  ${scenario.geometry.arch}, Linux ${scenario.geometry.kernel}\n\n`,
    );
    io.out(`${renderOperationLog(log, Boolean(p.values.log))}\n\n`);
    io.out(`${renderLayout(layout)}\n`);
    for (const q of queries) io.out(`\n${renderPfn(q)}\n`);
    return 0;
  },
};
