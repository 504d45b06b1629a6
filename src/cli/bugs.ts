/** pfnlab bugs: the known memmap-lifetime bugs, each run on the last release with it and the first without. */
import { KNOWN_BUGS, runBugs } from '../bugs/index.js';
import { bugsJson, renderBugs } from '../report/bugs.js';
import { type CliIo, type Command, noPositionals, parseCommandArgs, printJson } from './command.js';

export const bugsCommand: Command = {
  name: 'bugs',
  summary: 'reproduce the known memmap-lifetime bugs on the release before and after each fix',
  help: `usage: pfnlab bugs [--json]

Run each known bug's scenario (scenarios/known-bugs/) on the last mainline
release with the bug and on the first without it, and print per run whether
the model reproduces it there: ${KNOWN_BUGS.map((b) => b.id).join(', ')}.
A bug still upstream is also run under the designs that close it. Races are
found by exploring every interleaving of the scenario's walker with the last
step, counting only the bug's kind of violation.

  --json   the rows: bug, fix, and each run's release, design, expected and found

Exit status: 0 every run agrees with the kernel's history, 1 one disagrees.`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('bugs', argv, { json: { type: 'boolean' } });
    noPositionals('bugs', p);
    const rows = runBugs();
    if (p.values.json) printJson(io, bugsJson(rows));
    else io.out(renderBugs(rows));
    return rows.every((r) => r.agrees) ? 0 : 1;
  },
};
