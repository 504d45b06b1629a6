/** pfnlab worker --redis URL: run explore's subtree jobs from a BullMQ queue on Redis. */
import { InputError } from '../errors.js';
import { runWorker } from '../explore/index.js';
import { type CliIo, type Command, intOption, parseCommandArgs, stringOption } from './command.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: "run explore --redis's subtree jobs from a BullMQ queue on Redis",
  help: `usage: pfnlab worker --redis URL [--idle-exit S]

Take the subtree jobs that pfnlab explore --redis URL enqueues (one exhaustive
search split by schedule prefix) from the BullMQ queue on Redis and run them,
one at a time, until stopped (SIGINT, SIGTERM) or idle. Run one per core, on
as many machines as reach the Redis server. A design given by module path must
exist at that path on the worker's machine too.

  --redis URL       redis://[user:password@]host[:port][/db]
  --idle-exit S     stop after S seconds without a job (S >= 1)`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('worker', argv, {
      redis: { type: 'string' },
      'idle-exit': { type: 'string' },
    });
    if (p.positionals.length)
      throw new InputError('worker', 'takes no positional arguments', p.positionals[0]);
    const url = stringOption(p, 'redis');
    if (!url) throw new InputError('worker', '--redis URL is required');
    const idle = intOption('worker', p, 'idle-exit', 10 ** 7);
    if (idle === 0) throw new InputError('worker', "--idle-exit must be at least 1, got '0'", idle);
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await runWorker(url, { idleExitSeconds: idle, stop, log: (line) => io.err(`${line}\n`) });
    return 0;
  },
};
