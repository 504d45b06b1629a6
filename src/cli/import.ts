/** pfnlab import: a scenario that reproduces a real machine, from its kernel's files. */

import { InputError } from '../errors.js';
import { importMachine } from '../io/import/index.js';
import { writeFileWhole } from '../io/write-file.js';
import { renderImportReport } from '../report/import.js';
import {
  type CliIo,
  type Command,
  listOption,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'build a scenario from a real machine (sysfs, lsmem, /proc/iomem, /proc/zoneinfo, daxctl)',
  help: `usage: pfnlab import [DIR] [--sysfs DIR] [--lsmem FILE] [--iomem FILE] [--zoneinfo FILE]
                     [--daxctl FILE]... [--arch A] [--name NAME] [-o scenario.json] [--json]

Read a machine's memory layout and write a scenario that reproduces it: boot
ranges, hot-added blocks with their states and zones, device ranges as
memremap steps. DIR is a directory written by \`pfnlab capture\` or
\`pfnlab export\`; the options name single files instead (or override DIR's).
The import report says what was inferred, what the files cannot tell, what
was skipped, and where the scenario, run in the model, differs from the files.

  --sysfs DIR       /sys/devices/system/memory, a /sys, or a sysroot holding one
  --lsmem FILE      LC_ALL=C lsmem --json -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES
                    (the default table and -P pairs are read too)
  --iomem FILE      /proc/iomem, copied as root
  --zoneinfo FILE   /proc/zoneinfo
  --daxctl FILE     daxctl list -D -M and/or ndctl list -N JSON (repeatable)
  --arch A          the arch preset (default: from the capture manifest, else inferred)
  --name NAME       the scenario's name
  -o FILE           write the scenario there and print the report
  --json            print {"scenario": ..., "report": ...}

Without -o or --json the scenario goes to stdout and the report to stderr.`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('import', argv, {
      sysfs: { type: 'string' },
      lsmem: { type: 'string' },
      iomem: { type: 'string' },
      zoneinfo: { type: 'string' },
      daxctl: { type: 'string', multiple: true },
      arch: { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length > 1) throw new InputError('import', 'expected at most one directory');
    const daxctl = listOption(p, 'daxctl');
    const result = importMachine(
      {
        dir: p.positionals[0],
        sysfs: stringOption(p, 'sysfs'),
        lsmem: stringOption(p, 'lsmem'),
        iomem: stringOption(p, 'iomem'),
        zoneinfo: stringOption(p, 'zoneinfo'),
        daxctl: daxctl.length ? daxctl : undefined,
      },
      { arch: stringOption(p, 'arch'), name: stringOption(p, 'name') },
    );
    const output = stringOption(p, 'output');
    const text = `${JSON.stringify(result.scenario, null, 2)}\n`;
    if (output) writeFileWhole(output, text);
    if (p.values.json) {
      printJson(io, { scenario: result.scenario, report: result.report });
    } else if (output) {
      io.out(`wrote ${output}\n${renderImportReport(result.report)}\n`);
    } else {
      io.out(text);
      io.err(`${renderImportReport(result.report)}\n`);
    }
    return 0;
  },
};
