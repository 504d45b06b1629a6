/**
 * pfnlab demo: the main job. Every built-in scenario runs through every
 * design; the design x wrong-answer table is printed and a self-contained HTML
 * report (the table, and each scenario's map after every step) is written.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { runDemo } from '../demo/index.js';
import { InputError } from '../errors.js';
import { writeFileWhole } from '../io/write-file.js';
import { brokenBugs } from '../report/bugs.js';
import { brokenScenarios, demoJson, renderDemoHtml, renderDemoText } from '../report/demo.js';
import {
  type CliIo,
  type Command,
  noPositionals,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption } from './kernel-option.js';

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
scenario. Run the known memmap-lifetime bugs on the release before and after
each fix (pfnlab bugs; each on its own releases, whatever --kernel says).
Write a self-contained HTML report with the table, the bugs and a map of each
scenario's layout after every step.

  --out FILE   where to write the report (default ./pfnlab-report.html)
  --kernel X.Y judge the designs on mainline release X.Y (5.4 … 6.19, mainline
               tags; see pfnlab kernels) (default: each scenario's
               kernel, 6.19 for the built-ins); the race verdicts run each design
               on its own kernel, as audit does
  --json       print the results as JSON (the report is still written)

Exit status: 0, or 1 when a scenario breaks the model's invariants or a known
bug's runs disagree with the kernel's history.`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('demo', argv, {
      json: { type: 'boolean' },
      out: { type: 'string', short: 'o' },
      ...KERNEL_OPTION,
    });
    noPositionals('demo', p);
    const out = reportPath(stringOption(p, 'out') ?? 'pfnlab-report.html');
    const result = runDemo({ kernel: kernelOption('demo', p) });
    writeFileWhole(out, renderDemoHtml(result));
    if (p.values.json) printJson(io, demoJson(result, out));
    else io.out(renderDemoText(result, out));
    return brokenScenarios(result).length || brokenBugs(result.bugs).length ? 1 : 0;
  },
};
