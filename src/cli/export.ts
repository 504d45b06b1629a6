/** pfnlab export: what the kernel would show for a scenario's machine, in the kernel's formats. */

import { InputError } from '../errors.js';
import {
  BINARY_EXPORT_FORMATS,
  EXPORT_FORMATS,
  type ExportFormat,
  exportMachine,
} from '../io/export/index.js';
import { withFileErrors } from '../io/machine-dir.js';
import { loadScenario } from '../io/scenario.js';
import { runScenario } from '../ops/scenario-run.js';
import {
  afterOption,
  type CliIo,
  type Command,
  listOption,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

const ALL_FORMATS: readonly string[] = [...EXPORT_FORMATS, ...BINARY_EXPORT_FORMATS];

function formats(requested: string[]): ExportFormat[] {
  if (requested.length === 0) return [...EXPORT_FORMATS];
  const names = requested.flatMap((f) => f.split(',')).filter(Boolean);
  // --format '' (an unset shell variable) names nothing: refused rather than read as every format.
  if (names.length === 0)
    throw new InputError(
      'export',
      `--format '${requested.join(',')}' names no format (${ALL_FORMATS.join(', ')})`,
    );
  for (const n of names) {
    if (!ALL_FORMATS.includes(n))
      throw new InputError('export', `--format ${n.slice(0, 60)}: one of ${ALL_FORMATS.join(', ')}`, n);
  }
  return [...new Set(names)] as ExportFormat[];
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'write what the kernel would show for a scenario (sysfs, lsmem, zoneinfo, iomem)',
  help: `usage: pfnlab export <scenario> --out DIR [--format sysfs|lsmem|zoneinfo|iomem|kpageflags|kpagecount]...
                     [--after N] [--kernel X.Y] [--lsmem-all] [--json]

Run the scenario (or its first N steps) and write, in the kernel's exact
formats, what the machine would show: DIR/sys/devices/system/memory (and
node links), DIR/lsmem.json (lsmem --json -b), DIR/proc/zoneinfo and
DIR/proc/iomem, plus a manifest (uname -m, release, page size).
\`pfnlab import DIR\` reads it back.

  --format F    one or more of sysfs, lsmem, zoneinfo, iomem (repeat or comma-separate; default
                these four), kpageflags, kpagecount: DIR/proc/kpageflags and
                DIR/proc/kpagecount in the kernel's binary format, a little-endian
                u64 per pfn from 0 to the end of the last present section
                (KPF_NOPAGE where pfn_to_online_page() is NULL, KPF_RESERVED,
                KPF_OFFLINE, KPF_BUDDY on free pages; mapcount 0)
  --out DIR     where to write (created if missing)
  --after N     the machine after boot and the first N steps (default: all)
  --kernel X.Y  model mainline release X.Y (5.4 … 6.19, mainline tags; see pfnlab
                kernels): its step order and page states, and its zoneinfo lines
  --lsmem-all   lsmem -a: one row per block instead of merged ranges
  --json        print the files written as JSON`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('export', argv, {
      format: { type: 'string', multiple: true },
      out: { type: 'string' },
      after: { type: 'string' },
      'lsmem-all': { type: 'boolean' },
      json: { type: 'boolean' },
      ...KERNEL_OPTION,
    });
    if (p.positionals.length !== 1) throw new InputError('export', 'expected exactly one <scenario>');
    const kernel = kernelOption('export', p);
    const out = stringOption(p, 'out');
    if (!out) throw new InputError('export', '--out DIR is required');
    const which = formats(listOption(p, 'format'));
    const scenario = onKernel(loadScenario(p.positionals[0]), kernel);
    const after = afterOption('export', p, scenario.steps.length);
    const { machine } = runScenario(scenario, { operations: after });
    const files = withFileErrors(() =>
      exportMachine(machine, out, {
        formats: which,
        lsmemAll: Boolean(p.values['lsmem-all']),
        scenario: scenario.name,
      }),
    );
    if (p.values.json) {
      printJson(io, { scenario: scenario.name, dir: out, formats: which, files });
    } else {
      const blocks = files.filter((f) => f.endsWith('/state')).length;
      io.out(
        `exported ${scenario.name} (${which.join(', ')}) to ${out}: ${files.length} files${blocks ? `, ${blocks} memory blocks` : ''}\n`,
      );
    }
    return 0;
  },
};
