/** pfnlab kernels: what changed between 5.4 and 6.19, by release, and what is in force at one. */
import { behaviourTable, KERNEL_RANGE_TEXT, resolveKernel } from '../kernel/index.js';
import { kernelsTable } from '../report/kernels.js';
import { type CliIo, type Command, noPositionals, parseCommandArgs, printJson } from './command.js';
import { KERNEL_OPTION, kernelOption } from './kernel-option.js';

export const kernelsCommand: Command = {
  name: 'kernels',
  summary: 'list what changed between Linux 5.4 and 6.19, by release, as the model follows it',
  help: `usage: pfnlab kernels [--kernel X.Y] [--json]

List every behaviour the model follows differently between Linux 5.4 and 6.19:
the mainline release that introduced it, its name (the one place in src/kernel
the model asks), and the commit that made the change. '≈' marks a release
inferred from merge timing, '*' a behaviour listed but not modelled yet (the
model runs as before it). --kernel, wherever a command takes it, accepts
${KERNEL_RANGE_TEXT}:
the model follows every behaviour listed at or before that release.

  --kernel X.Y   add a column: is each behaviour in force at X.Y
  --json         an array of {name, since, approx, commit, hash, where, what,
                 modelled, unmodelled} (with --kernel, each with inForce)`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('kernels', argv, { json: { type: 'boolean' }, ...KERNEL_OPTION });
    noPositionals('kernels', p);
    const at = kernelOption('kernels', p);
    if (p.values.json) {
      const k = at === undefined ? undefined : resolveKernel(at);
      printJson(
        io,
        behaviourTable().map((b) => ({
          name: b.name,
          since: b.since,
          approx: b.approx === true,
          commit: b.commit,
          hash: b.hash ?? null,
          where: b.where,
          what: b.what,
          modelled: b.unmodelled === undefined,
          unmodelled: b.unmodelled ?? null,
          ...(k ? { inForce: k[b.name] } : {}),
        })),
      );
      return 0;
    }
    io.out(`${kernelsTable(at)}\n`);
    return 0;
  },
};
