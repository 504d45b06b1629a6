/** pfnlab explore <scenario> --design D: prove or break a design against pfn walkers, by every interleaving. */
import { designByName, loadDesign } from '../designs/index.js';
import { explore, parseWalkerSpec, replaySchedule, scenarioWalkers } from '../explore/index.js';
import { loadScenario, scenarioWithKernel } from '../io/scenario.js';
import { InputError } from '../model/errors.js';
import { renderTrace } from '../report/trace.js';
import {
  type CliIo,
  type Command,
  intOption,
  listOption,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';

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

Prints SAFE with the number of states proven, or a shortest counterexample as
numbered steps naming kernel functions and pfns, with a replay string; exit 1.

  --design D        a design name or module path (see pfnlab designs)
  --walker W        a walker (see pfnlab audit --help for the list), optionally
                    with pfns: kpageflags@0x48000; repeatable; default: the
                    scenario's "walkers", else pfn-walker
  --from N          run the first N steps to completion first (default: the
                    scenario's explore.from, else 0)
  --kernel V        model 5.4 or 6.19 behaviour (default: the scenario's)
  --bound N         at most N preemptions (context switches away from a thread
                    that could go on); without it the search is exhaustive
  --random N        N random schedules instead (seeded by --seed, default 1)
  --seed S
  --first           stop at the first violation instead of a shortest one
  --max-states N    give up after N states (verdict: bounded)
  --replay STRING   run one schedule (thread ids, runs as id*count) and show it
  --full            show every step (by default consecutive accesses fold)
  --json            the trace (format pfnlab-explore-trace, which pfnlab view plays)`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('explore', argv, {
      design: { type: 'string', short: 'd' },
      walker: { type: 'string', multiple: true, short: 'w' },
      from: { type: 'string' },
      kernel: { type: 'string' },
      bound: { type: 'string' },
      random: { type: 'string' },
      seed: { type: 'string' },
      first: { type: 'boolean' },
      'max-states': { type: 'string' },
      replay: { type: 'string' },
      full: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length !== 1) throw new InputError('explore', 'expected exactly one <scenario>');
    const designName = stringOption(p, 'design');
    if (!designName) throw new InputError('explore', '--design D is required (see pfnlab designs)');
    const design = designByName(designName) ?? (await loadDesign(designName));
    const kernel = stringOption(p, 'kernel');
    if (kernel !== undefined && kernel !== '5.4' && kernel !== '6.19')
      throw new InputError('explore', `--kernel must be 5.4 or 6.19, got '${kernel}'`);
    let scenario = loadScenario(p.positionals[0]);
    if (kernel) scenario = scenarioWithKernel(scenario, kernel);
    const walkerArgs = listOption(p, 'walker');
    const walkers = walkerArgs.length ? walkerArgs.map(parseWalkerSpec) : scenarioWalkers(scenario);
    const opts = {
      scenario,
      design,
      walkers,
      from: intOption('explore', p, 'from'),
      preemptionBound: intOption('explore', p, 'bound'),
      firstViolation: Boolean(p.values.first),
      maxStates: intOption('explore', p, 'max-states'),
      random:
        p.values.random !== undefined
          ? { runs: intOption('explore', p, 'random')!, seed: intOption('explore', p, 'seed') ?? 1 }
          : undefined,
      progress:
        io.errIsTty && !p.values.json
          ? (x: { states: number; transitions: number; depth: number; seconds: number }) =>
              io.err(
                `\r  ${x.states} states, ${Math.round(x.states / x.seconds)} states/s, depth ${x.depth}   `,
              )
          : undefined,
    };
    const replay = stringOption(p, 'replay');
    const trace = replay ? replaySchedule(opts, replay) : explore(opts);
    if (opts.progress) io.err('\r\x1b[K');
    if (p.values.json) printJson(io, trace);
    else io.out(`${renderTrace(trace, Boolean(p.values.full))}\n`);
    return trace.verdict === 'unsafe' ? 1 : 0;
  },
};
