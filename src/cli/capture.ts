/** pfnlab capture: collect this Linux machine's memory layout into a directory `import` reads. */

import { InputError } from '../errors.js';
import { captureMachine } from '../io/capture.js';
import { withFileErrors } from '../io/machine-dir.js';
import { renderCapture } from '../report/capture.js';
import { type CliIo, type Command, parseCommandArgs, printJson, stringOption } from './command.js';

export const captureCommand: Command = {
  name: 'capture',
  summary: "collect this machine's sysfs memory blocks, /proc/iomem, /proc/zoneinfo, lsmem and daxctl output",
  help: `usage: pfnlab capture DIR [--root /] [--json]

Copy into DIR what \`pfnlab import DIR\` reads: /sys/devices/system/memory
(block_size_bytes; per block phys_index, state, valid_zones, removable,
online and node links), /proc/iomem (run as root: others read zeros),
/proc/zoneinfo, and the output of \`lsmem --json -b -a\`, \`daxctl list -D -M\`
and \`ndctl list -N\` when those tools are on PATH (run with LC_ALL=C).
DIR/pfnlab-machine.json records uname, the page size, what was read and what
could not be, and why.

  --root DIR   read DIR/sys and DIR/proc instead of the live system (a copied sysroot)
  --json       print the manifest as JSON`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('capture', argv, { root: { type: 'string' }, json: { type: 'boolean' } });
    if (p.positionals.length !== 1) throw new InputError('capture', 'expected exactly one DIR to write into');
    const { dir, manifest } = withFileErrors(() =>
      captureMachine(p.positionals[0], { root: stringOption(p, 'root') }),
    );
    if (p.values.json) {
      printJson(io, manifest);
      return 0;
    }
    io.out(`${renderCapture(dir, manifest)}\n`);
    return 0;
  },
};
