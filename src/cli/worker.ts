/** pfnlab worker --redis URL: run explore's subtree jobs from a BullMQ queue on Redis. */
import { InputError } from '../errors.js';
import { DEFAULT_LOCK_SECONDS, DEFAULT_STALLED_SECONDS, runWorker } from '../explore/index.js';
import { type CliIo, type Command, intOption, parseCommandArgs, stringOption } from './command.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: "run explore --redis's subtree jobs from a BullMQ queue on Redis",
  help: `usage: pfnlab worker --redis URL [--idle-exit S] [--lock S] [--stalled-check S]

Take the subtree jobs that pfnlab explore --redis URL enqueues (one exhaustive
search split by schedule prefix) from the BullMQ queue on Redis and run them,
one at a time, until stopped (SIGINT, SIGTERM) or idle. Run one per core, on
as many machines as reach the Redis server. A design given by module path must
exist at that path on the worker's machine too.

A job runs on a search thread while the worker renews its lock; a worker
killed mid-job stops renewing, and once the lock expires a stalled check of
any live worker puts the job back in the queue (a job is retried after up to 3
dead workers). Jobs are pure: a job run twice gives the same result.

  --redis URL         redis://[user:password@]host[:port][/db]
  --idle-exit S       stop after S seconds without a job (S >= 1)
  --lock S            a job's lock lasts S seconds, renewed every S/2 (default
                      ${DEFAULT_LOCK_SECONDS}): a killed worker's job waits at most this long
  --stalled-check S   look for jobs whose lock expired every S seconds
                      (default ${DEFAULT_STALLED_SECONDS})`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('worker', argv, {
      redis: { type: 'string' },
      'idle-exit': { type: 'string' },
      lock: { type: 'string' },
      'stalled-check': { type: 'string' },
    });
    if (p.positionals.length)
      throw new InputError('worker', 'takes no positional arguments', p.positionals[0]);
    const url = stringOption(p, 'redis');
    if (!url) throw new InputError('worker', '--redis URL is required');
    const [idle, lockSeconds, stalledSeconds] = ['idle-exit', 'lock', 'stalled-check'].map((name) => {
      const n = intOption('worker', p, name, 10 ** 7);
      if (n === 0) throw new InputError('worker', `--${name} must be at least 1, got '0'`, n);
      return n;
    });
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const log = (line: string) => io.err(`${line}\n`);
    await runWorker(url, { idleExitSeconds: idle, lockSeconds, stalledSeconds, stop, log });
    return 0;
  },
};
