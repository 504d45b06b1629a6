/** pfnlab explore <scenario> --design D: prove or break a design against pfn walkers, by every interleaving. */
import { availableParallelism } from 'node:os';
import { designByName, loadDesign } from '../designs/index.js';
import { InputError } from '../errors.js';
import {
  type ExploreOptions,
  exploreSplit,
  exploreSwarm,
  MAX_RANDOM_SEED,
  type MemoryModel,
  parseWalkerSpec,
  replaySchedule,
  runJobsOnRedis,
  runSwarmOnRedis,
  SWARM_MAX_STATES,
  type SwarmSpec,
  scenarioWalkers,
  type WalkerSpec,
} from '../explore/index.js';
import { loadScenario } from '../io/scenario.js';
import { renderExplore } from '../report/explore.js';
import type { Scenario } from '../scenario/index.js';
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
import { KERNEL_OPTION, kernelOption } from './kernel-option.js';

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'every interleaving of a scenario with pfn walkers: a proof, or a shortest counterexample',
  help: `usage: pfnlab explore <scenario> --design D [--walker W[@pfn,...]]... [options] [--json]

Run the scenario's operations (their kernel steps, woven with the design's write
side: its bitmaps and grace periods) concurrently with pfn walkers, under every
interleaving: the writer's kernel steps are atomic, every memory access of a
walker is a scheduling point. Depth-first search with visited-state hashing,
sleep sets and symmetry between identical walkers. Safety: no walker reads a
struct page that is poisoned, uninitialized or freed (or any freed kernel
memory), and none acts on a lookup answer the truth contradicts.

Prints SAFE with the number of states proven (exit 0), or a shortest
counterexample as numbered steps naming kernel functions and pfns, with the
command line that replays it (exit 1). A bounded search (--bound,
--max-states, --random) that finds nothing says so and is no proof (exit 0).

  --design D        a design name or module path (see pfnlab designs)
  --walker W        a walker (see pfnlab audit --help for the list), optionally
                    with pfns: kpageflags@0x48000; repeatable; default: the
                    scenario's "walkers", else pfn-walker
  --from N          run the first N steps to completion first (default: the
                    scenario's explore.from, else 0)
  --kernel X.Y      model mainline release X.Y (5.4 … 6.19, mainline tags; see
                    pfnlab kernels) (default: the kernel the design
                    is judged on, as pfnlab audit runs it; else the scenario's)
  --memory-model M  sc (default): every access in program order; lkmm: a
                    walker's load may also be satisfied early, reading a
                    mem_section, usage or struct page word as it was at the
                    walker's last ordering point (iteration start, its own
                    store or RMW, a load the design declares acquire), as
                    LKMM allows for loads no acquire, dependency or fence
                    orders; one thread; see the README for what it covers
  --bound N         at most N preemptions (context switches away from a thread
                    that could go on): a shortest counterexample within them
  --first           stop at the first violation found instead of a shortest one
  --max-states N    give up after N states (N >= 1; verdict: bounded)
  --max-seconds S   give up after S seconds (S >= 1; verdict: bounded)
  --threads N       split a search that outgrows 1,000,000 states into subtree
                    jobs by schedule prefix, run on N worker threads (default:
                    the machine's cores; 1: never split). The threads share
                    their visited states: same verdict, and a SAFE search
                    counts the same states as one thread
  --redis URL       split the search into subtree jobs run by pfnlab worker
                    processes through BullMQ on Redis (redis://host:port);
                    subtrees do not share visited states: the states are the
                    jobs' work, the verdict and counterexample length a local
                    run's
  --jobs N          with --redis: at least N subtree jobs (default 16)
  --random N        N >= 1 random schedules instead (seeded by --seed S, default
                    1); not with --bound, --first or --max-states
  --swarm N         hunt bugs with N independently seeded searches (member i
                    seeded from --seed S plus i): with --random R each runs R
                    random schedules, else each a depth-first search under a
                    random schedule prefix, bounded by --max-states (default
                    ${SWARM_MAX_STATES.toLocaleString('en-US')}), --max-seconds, --bound; the first
                    counterexample wins (replayable here); with --redis the
                    members run on the workers. Finding nothing is no proof
  --seed S          0..4294967295
  --replay STRING   run one schedule (thread ids, runs as id*count) and show it;
                    with the options of the replay line explore printed
  --full            show every step (by default consecutive accesses fold)
  --json            the trace (format pfnlab-explore-trace, which pfnlab view plays)`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('explore', argv, {
      design: { type: 'string', short: 'd' },
      walker: { type: 'string', multiple: true, short: 'w' },
      from: { type: 'string' },
      ...KERNEL_OPTION,
      'memory-model': { type: 'string' },
      bound: { type: 'string' },
      random: { type: 'string' },
      swarm: { type: 'string' },
      seed: { type: 'string' },
      first: { type: 'boolean' },
      'max-states': { type: 'string' },
      'max-seconds': { type: 'string' },
      threads: { type: 'string' },
      redis: { type: 'string' },
      jobs: { type: 'string' },
      replay: { type: 'string' },
      full: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length !== 1) throw new InputError('explore', 'expected exactly one <scenario>');
    const designRef = stringOption(p, 'design');
    if (!designRef) throw new InputError('explore', '--design D is required (see pfnlab designs)');
    const design = designByName(designRef) ?? (await loadDesign(designRef));
    const kernel = kernelOption('explore', p);
    const scenarioRef = p.positionals[0];
    const scenario = loadScenario(scenarioRef);
    const search = searchOptions(p);
    const opts: ExploreOptions = {
      scenario,
      scenarioRef,
      design,
      designRef,
      kernel,
      walkers: walkerOption(p, scenario),
      from: intOption('explore', p, 'from'),
      memoryModel: memoryModelOption(p),
      ...search.options,
      progress: progressLine(io, p.values.json === true),
    };
    const threads = positiveIntOption(p, 'threads', 1024) ?? availableParallelism();
    const redis = redisOption(p, opts);
    const swarm = search.swarm;
    const trace =
      search.replay !== undefined
        ? replaySchedule(opts, search.replay)
        : swarm
          ? await exploreSwarm(opts, {
              ...swarm,
              ...(redis ? { run: (jobs, progress) => runSwarmOnRedis(redis.url, jobs, progress) } : {}),
            })
          : redis
            ? await exploreSplit(opts, {
                threads: 1,
                after: 0,
                jobs: redis.jobs,
                run: (jobs, progress) => runJobsOnRedis(redis.url, jobs, progress),
              })
            : await exploreSplit(opts, { threads });
    if (io.errIsTty && !p.values.json) io.err('\r\x1b[K');
    if (p.values.json) printJson(io, trace);
    else io.out(`${renderExplore(trace, Boolean(p.values.full))}\n`);
    return trace.verdict === 'unsafe' ? 1 : 0;
  },
};

/** --memory-model sc|lkmm (sc when absent); lkmm searches run on one thread, so not with --redis. */
function memoryModelOption(p: Parsed): MemoryModel {
  const m = stringOption(p, 'memory-model') ?? 'sc';
  if (m !== 'sc' && m !== 'lkmm')
    throw new InputError('explore', `--memory-model must be sc or lkmm, got '${m.slice(0, 40)}'`, m);
  if (m === 'lkmm' && p.values.redis !== undefined)
    throw new InputError('explore', '--memory-model lkmm runs on one thread: it takes no --redis');
  return m;
}

/** --walker specs (pfns checked against the scenario's MAX_PHYSMEM_BITS), else the scenario's walkers. */
function walkerOption(p: Parsed, scenario: Scenario): WalkerSpec[] {
  const specs = listOption(p, 'walker');
  if (!specs.length) return scenarioWalkers(scenario);
  return specs.map((w) => parseWalkerSpec(w, '--walker', scenario.geometry));
}

/** --redis URL [--jobs N]: the exhaustive search's jobs on BullMQ workers; refused beside a search it cannot split. */
function redisOption(p: Parsed, opts: ExploreOptions): { url: string; jobs: number } | undefined {
  const url = stringOption(p, 'redis');
  const jobs = positiveIntOption(p, 'jobs', 100_000);
  if (url === undefined) {
    if (jobs !== undefined) throw new InputError('explore', '--jobs N goes with --redis URL');
    return undefined;
  }
  const swarm = p.values.swarm !== undefined;
  const refused = swarm ? ['jobs', 'threads'] : ['random', 'bound', 'max-states', 'threads', 'replay'];
  const other = refused.find((o) => p.values[o] !== undefined);
  if (other)
    throw new InputError(
      'explore',
      swarm
        ? `--redis --swarm runs the members on the workers: it takes no --${other}`
        : `--redis splits the exhaustive search: it takes no --${other}`,
    );
  if (opts.designRef !== undefined && !designByName(opts.designRef) && !/[/\\]|\.m?js$/.test(opts.designRef))
    throw new InputError(
      'explore',
      '--redis: the design must be a built-in name or a module path',
      opts.designRef,
    );
  return { url, jobs: jobs ?? 16 };
}

/** More members than a queue should hold for one search. */
const MAX_SWARM = 100_000;

/** A count that must be at least 1: zero schedules or states would "find nothing" and prove nothing. */
function positiveIntOption(p: Parsed, name: string, max?: number): number | undefined {
  const n = intOption('explore', p, name, max);
  if (n === 0) throw new InputError('explore', `--${name} must be at least 1, got '0'`, n);
  return n;
}

type SearchChoice = Pick<
  ExploreOptions,
  'preemptionBound' | 'firstViolation' | 'maxStates' | 'maxSeconds' | 'random'
>;

/**
 * The search: exhaustive (maybe bounded), random, a swarm, or one replayed schedule; options of
 * another are refused.
 */
function searchOptions(p: Parsed): { options: SearchChoice; replay?: string; swarm?: SwarmSpec } {
  const exhaustive = ['bound', 'first', 'max-states', 'max-seconds', 'threads'].filter(
    (o) => p.values[o] !== undefined,
  );
  const random = positiveIntOption(p, 'random');
  const members = positiveIntOption(p, 'swarm', MAX_SWARM);
  const seed = intOption('explore', p, 'seed', MAX_RANDOM_SEED);
  const replay = stringOption(p, 'replay');
  const others = [
    ...exhaustive,
    ...(random !== undefined ? ['random'] : []),
    ...(members !== undefined ? ['swarm'] : []),
    ...(seed !== undefined ? ['seed'] : []),
  ];
  if (replay !== undefined && others.length)
    throw new InputError('explore', `--replay runs the one schedule given: it takes no --${others[0]}`);
  if (members !== undefined && p.values.threads !== undefined)
    throw new InputError('explore', '--swarm runs its members one after another here: it takes no --threads');
  if (random !== undefined && exhaustive.length)
    throw new InputError(
      'explore',
      `--${exhaustive[0]} is for ${members !== undefined ? 'a swarm of depth-first searches' : 'the exhaustive search'}, not --random`,
    );
  if (seed !== undefined && random === undefined && members === undefined)
    throw new InputError('explore', '--seed S goes with --random N or --swarm N');
  if (replay !== undefined) return { options: {}, replay };
  const bounds = {
    preemptionBound: intOption('explore', p, 'bound'),
    firstViolation: Boolean(p.values.first),
    maxStates: positiveIntOption(p, 'max-states'),
    maxSeconds: positiveIntOption(p, 'max-seconds', 10 ** 7),
  };
  if (members !== undefined) return { options: bounds, swarm: { members, seed: seed ?? 1, runs: random } };
  if (random !== undefined) return { options: { random: { runs: random, seed: seed ?? 1 } } };
  return { options: bounds };
}

/**
 * A progress line on stderr about once a second (states, depth, states/s, elapsed; a split search
 * its jobs): redrawn in place on a terminal; elsewhere a line every 10 s once a search has run 5 s.
 */
function progressLine(io: CliIo, json: boolean): ExploreOptions['progress'] {
  let printed = 0;
  return (x) => {
    const rate = Math.round(x.states / Math.max(x.seconds, 0.001));
    const where = x.jobs ? `jobs ${x.jobs.done}/${x.jobs.total}` : `depth ${x.depth}`;
    const line = `${x.states} states, ${where}, ${rate} states/s, ${Math.round(x.seconds)} s`;
    if (io.errIsTty && !json) io.err(`\r  ${line}   `);
    else if (x.seconds >= 5 && x.seconds - printed >= 10) {
      printed = x.seconds;
      io.err(`explore: ${line}\n`);
    }
  };
}
