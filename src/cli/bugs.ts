/** pfnlab bugs: the known memmap-lifetime bugs, each run on the last release with it and the first without. */
import { type BugRow, KNOWN_BUGS, runBugs } from '../bugs/index.js';
import { type CliIo, type Command, noPositionals, parseCommandArgs, printJson } from './command.js';

/** One line per run: bug, release (and design), reproduced or fixed, and whether that is expected. */
export function renderBugs(rows: readonly BugRow[]): string {
  const lines = rows.flatMap((r) =>
    r.runs.map((run) => {
      const what = run.probe.reproduced ? 'reproduced' : 'fixed';
      const ok =
        run.probe.reproduced === run.expected
          ? 'as expected'
          : `DISAGREES (expected ${run.expected ? 'reproduced' : 'fixed'})`;
      const where = run.design ? `${run.release} ${run.design}` : run.release;
      return `  ${r.bug.id.padEnd(18)} ${where.padEnd(20)} ${what.padEnd(11)} ${ok}: ${run.probe.how}`;
    }),
  );
  const bad = rows.filter((r) => !r.agrees).length;
  return `${lines.join('\n')}\n${bad ? `${bad} of ${rows.length} bugs disagree with the kernel's history` : `all ${rows.length} bugs agree with the kernel's history`}\n`;
}

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
    if (p.values.json)
      printJson(
        io,
        rows.map((r) => ({
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
        })),
      );
    else io.out(renderBugs(rows));
    return rows.every((r) => r.agrees) ? 0 : 1;
  },
};
