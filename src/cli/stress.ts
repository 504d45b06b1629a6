/** pfnlab stress <scenario> --design D: real threads against the scenario's operations, every bad dereference counted. */

import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { RCU_MODES, type RcuMode } from '../rcu/shared.js';
import { renderStress, renderStressProgress, type StressProgress } from '../report/stress.js';
import { MAX_SEED, runStress } from '../stress/index.js';
import {
  type CliIo,
  type Command,
  intOption,
  listOption,
  type Parsed,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';

function secondsOption(p: Parsed): number | undefined {
  const v = stringOption(p, 'seconds');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v) || n <= 0)
    throw new InputError('stress', `--seconds must be a positive number, got '${v}'`, v);
  return n;
}

/** A non-negative integer option no larger than max, or an InputError quoting the value as given. */
function boundedInt(p: Parsed, name: string, max: number): number | undefined {
  return intOption('stress', p, name, max);
}

/** Walker threads: 1..64. */
const MAX_WORKERS = 64;
/** Spin iterations of the race window (about 1 ns each): a second per struct page read at most. */
const MAX_WINDOW = 1e9;

export const stressCommand: Command = {
  name: 'stress',
  summary: "real threads: walkers on workers against the scenario's operations, every use-after-free counted",
  help: `usage: pfnlab stress <scenario> --design D [--workers N] [--seconds S | --lookups N]
                     [--seed S] [--window N] [--rcu memb|qsbr] [--qs-every N]
                     [--walker W ...] [--stop-on-violation] [--json]

Boot the scenario's machine in SharedArrayBuffers and cycle its operations on
the main thread forever: every add_memory range goes add_memory -> online ->
offline -> remove, every memremap goes memremap -> memunmap, each planned as
its kernel steps with the design's write side woven in. Meanwhile N worker
threads run the kernel's pfn walkers (the explorer's code) on random pfns of
the cycled ranges (and some of boot memory), reading model memory directly.
The design's read side is real: RCU readers registered in shared memory
(grace periods wait for them), or mem_hotplug_lock taken with
compareExchange. Every struct page a walker reads is checked as it reads it:
freed (model memory is never reused during a run), poisoned, or not yet
initialized. Each is counted, with examples saying which walker read what,
and what the writer was doing.

<scenario> is a scenario file or a built-in name; it needs an add_memory or
memremap step.

  --design D        a design name or module path (required)
  --workers N       walker threads, 1..64 (default 2)
  --seconds S       run this long (default 5); a wait of the writer's still
                    running then (a slow grace period) is given up, and the
                    result says where the writer stopped
  --lookups N       stop after N lookups in all instead
  --seed S          seed for the walkers' random pfns, 0..4294967295
                    (default 1)
  --window N        spin N iterations between a walker's lookup and each
                    struct page read, widening the race window (default 0;
                    1000 makes v5.4, upstream and active-bitmap/no-sync fail
                    within milliseconds on 2 cores)
  --rcu MODE        RCU designs only: memb (rcu_read_lock/unlock around each
                    walk, the default) or qsbr (free read side; each walker
                    announces a quiescent state every --qs-every walks, default
                    16; --qs-every needs --rcu qsbr)
  --walker W        a walker (repeatable; default pfn-walker, the design's own
                    read protocol); walkers needing a caller's page reference
                    cannot run here
  --stop-on-violation  end the run at the first bad dereference
  --json            the whole result as JSON (model memory growth included)

A grace period that waits 2 s for one walker is a stall (a walker blocked
inside its read-side critical section, a deadlock; or a QSBR walker that
announces no quiescent state): the run ends and says so.

Exit status: 0 no violation, 1 a violation or a stall, 2 bad usage or input.`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('stress', argv, {
      design: { type: 'string', short: 'd' },
      workers: { type: 'string' },
      seconds: { type: 'string' },
      lookups: { type: 'string' },
      seed: { type: 'string' },
      window: { type: 'string' },
      rcu: { type: 'string' },
      'qs-every': { type: 'string' },
      walker: { type: 'string', multiple: true },
      'stop-on-violation': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length !== 1) throw new InputError('stress', 'expected exactly one <scenario>');
    const design = stringOption(p, 'design');
    if (!design) throw new InputError('stress', '--design is required (pfnlab designs lists them)');
    const seconds = secondsOption(p);
    const lookups = boundedInt(p, 'lookups', Number.MAX_SAFE_INTEGER);
    if (lookups === 0) throw new InputError('stress', '--lookups must be at least 1');
    if (seconds !== undefined && lookups !== undefined)
      throw new InputError('stress', 'give --seconds or --lookups, not both');
    const rcu = stringOption(p, 'rcu');
    if (rcu !== undefined && !RCU_MODES.includes(rcu as RcuMode))
      throw new InputError('stress', `--rcu must be ${RCU_MODES.join(' or ')}, got '${rcu}'`, rcu);
    const qsEvery = boundedInt(p, 'qs-every', 2 ** 31 - 1);
    if (qsEvery === 0) throw new InputError('stress', '--qs-every must be at least 1');
    const workers = boundedInt(p, 'workers', MAX_WORKERS);
    if (workers === 0) throw new InputError('stress', '--workers must be at least 1');
    const walkers = listOption(p, 'walker').flatMap((w) => w.split(','));
    const scenario = loadScenario(p.positionals[0]);
    const progress =
      io.errIsTty && !p.values.json
        ? (x: StressProgress) => io.err(`\r  ${renderStressProgress(x)}   `)
        : undefined;
    const result = await runStress({
      scenario,
      design,
      workers,
      seconds,
      lookups,
      seed: boundedInt(p, 'seed', MAX_SEED),
      window: boundedInt(p, 'window', MAX_WINDOW),
      rcu: rcu as RcuMode | undefined,
      qsEvery,
      walkers: walkers.length ? walkers : undefined,
      stopOnViolation: Boolean(p.values['stop-on-violation']),
      progress,
    });
    if (progress) io.err('\r\x1b[K');
    if (p.values.json) printJson(io, result);
    else io.out(`${renderStress(result)}\n`);
    return result.verdict === 'clean' ? 0 : 1;
  },
};
