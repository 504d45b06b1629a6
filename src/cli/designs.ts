/** pfnlab designs: the lookup designs, how their readers are protected, what they write when. */
import { DESIGNS, FAULT_DESIGNS } from '../designs/index.js';
import { type CliIo, type Command, noPositionals, parseCommandArgs, printJson } from './command.js';

export const designsCommand: Command = {
  name: 'designs',
  summary: 'list the lookup designs and the rules of their write sides',
  help: `usage: pfnlab designs [--json]

List every built-in design (and the fault-injected variants of active-bitmap):
what it is, how its readers protect a lookup and the use of its page, the
per-subsection bitmaps it keeps, and what its write side sets and clears in
which kernel step. Your own design: see examples/designs/ and pass the module
path to --design.`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('designs', argv, { json: { type: 'boolean' } });
    noPositionals('designs', p);
    const all = [...DESIGNS, ...FAULT_DESIGNS];
    if (p.values.json) {
      printJson(
        io,
        all.map((d) => ({
          name: d.name,
          summary: d.summary,
          protection: d.protection,
          usageBitmaps: d.usageBitmaps,
          writeRules: d.writeRules,
        })),
      );
      return 0;
    }
    for (const d of all) {
      io.out(
        `${d.name}: ${d.summary}\n  readers: ${d.protection}${d.checkBeforeLock ? ' (test before lock: broken)' : ''}`,
      );
      io.out(d.usageBitmaps.length ? `; bitmaps in mem_section_usage: ${d.usageBitmaps.join(', ')}\n` : '\n');
      for (const rule of d.writeRules) io.out(`  - ${rule}\n`);
      io.out('\n');
    }
    return 0;
  },
};
