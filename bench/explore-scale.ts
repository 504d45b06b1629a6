/**
 * bench/explore-scale: the explorer at scale, against the engine of 2026-12-06 (frozen in
 * bench/reference/, measured in the same run).
 *
 *  1. Same answers: every audit cell (each walker x each design, fault variants included) and the
 *     RCU models, explored by both engines: verdict, states, transitions and counterexample must
 *     be identical.
 *  2. The two-walker case of issue 19: add, online movable, offline and remove 384 MiB (three
 *     blocks) against active-bitmap with pfn-walker@0xd0000 and kpageflags@0xc8000, from boot.
 *     Target: >= 10x the reference's states per second (CPU time, and wall time beside it), with
 *     the same state count and verdict.
 *  3. Threads: the two-walker case split into subtree jobs (sharing their visited states) on 1
 *     and on 2 worker threads: wall seconds and the speed-up (same states and verdict).
 *  4. The three-walker case: the same with compaction@0xc0000, on one thread and on 2 worker
 *     threads sharing their visited states. Target: a verdict in < 2 minutes (the reference gave
 *     none in 10).
 *
 *   node --import tsx bench/explore-scale.ts [--quick] [--max-seconds S]
 *
 * --quick skips the audit-wide comparison and the three-walker case.
 */
import type { KernelVersion } from '../src/arch/geometry.js';
import type { Design } from '../src/designs/design.js';
import { DESIGNS, designByName, FAULT_DESIGNS } from '../src/designs/index.js';
import { AUDIT_SCENARIOS } from '../src/explore/audit.js';
import { type SearchResult, search } from '../src/explore/engine.js';
import {
  exploreSplit,
  modelKernel,
  parseWalkerSpec,
  scenarioWalkers,
  type WalkerSpec,
} from '../src/explore/index.js';
import { machineProgram } from '../src/explore/machine-program.js';
import { rcuModel } from '../src/explore/rcu-model.js';
import { loadScenario } from '../src/io/scenario.js';
import { type Scenario, scenarioFromJson, scenarioWithKernel } from '../src/scenario/index.js';
import { WALKERS } from '../src/walkers/index.js';
import { benchArgs, positiveInteger } from './args.js';
import { search as referenceSearch } from './reference/explore-engine-2026-12-06.js';

const args = benchArgs('explore-scale', { quick: { type: 'boolean' }, 'max-seconds': { type: 'string' } });
const quick = args.quick === true;
const maxSeconds = args['max-seconds']
  ? positiveInteger('explore-scale', '--max-seconds', args['max-seconds'], 3600)
  : 600;

/** Issue 19's machine: 512 MiB of boot memory; three 128 MiB blocks hot-added at 3 GiB, then removed. */
export const REMOVE_THREE_BLOCKS = scenarioFromJson(
  {
    name: 'remove-three-blocks',
    arch: 'x86_64',
    boot: [{ start: '0', size: '512M' }],
    steps: [
      { op: 'add_memory', start: '3G', size: '384M' },
      { op: 'online', start: '3G', size: '384M', zone: 'movable' },
      { op: 'offline', start: '3G', size: '384M' },
      { op: 'remove', start: '3G', size: '384M' },
    ],
  },
  'bench:remove-three-blocks',
);

type Engine = (p: Parameters<typeof search>[0]) => SearchResult;
const current: Engine = (p) => search(p);
const reference: Engine = (p) => referenceSearch(p as never) as SearchResult;

function program(scenario: Scenario, design: Design, walkers: readonly WalkerSpec[], from?: number) {
  const kernel: KernelVersion = modelKernel(design, scenario);
  const s = scenarioWithKernel(scenario, kernel);
  const f = from ?? (s.explore as { from?: number } | undefined)?.from ?? 0;
  return machineProgram({ scenario: s, design, walkers, from: f });
}

/** An engine's run, timed in CPU seconds too (the machine is shared: wall time swings). */
function timed(engine: Engine, make: () => Parameters<typeof search>[0]) {
  const p = make();
  const cpu0 = process.cpuUsage();
  const r = engine(p);
  const cpu = process.cpuUsage(cpu0);
  return { ...r, cpu: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Transitions are compared apart: with symmetric walkers (the RCU models' readers) the current
 * engine explores a few percent more of them. The reference numbered canonical walkers by
 * `perm.length` of a sparse array, so when a higher thread sorted first the ids skipped (e.g.
 * 0, 3, 1) and two symmetric images of one state compared their sleep sets under different ids:
 * a revisit could take an awake thread for asleep and skip it. The current engine numbers them
 * 1..n; states, verdicts and counterexamples are the same.
 */
let transitionsDiffer = 0;
const same = (a: SearchResult, b: SearchResult) => {
  if (a.transitions !== b.transitions) transitionsDiffer++;
  return sameAnswer(a, b);
};
const sameAnswer = (a: SearchResult, b: SearchResult) =>
  a.verdict === b.verdict &&
  a.states === b.states &&
  (a.schedule ?? []).join(',') === (b.schedule ?? []).join(',') &&
  a.violation?.message === b.violation?.message;

const pad = (s: string | number, n: number) => String(s).padStart(n);

if (!quick) {
  console.log('1. Same answers as the 2026-12-06 engine: every audit cell and the RCU models');
  const ram = loadScenario(AUDIT_SCENARIOS.ram);
  const device = loadScenario(AUDIT_SCENARIOS.device);
  let cells = 0;
  const differ: string[] = [];
  // The frozen engine's world has no NULL-dereference judge (audit finding E6, 5.4's
  // section_deactivate() clearing ms->usage before section_mem_map, came after it): where the
  // current engine stops at a walker's NULL ms->usage, the reference walks on to a later read.
  const nullJudged: string[] = [];
  let refSeconds = 0;
  let curSeconds = 0;
  for (const w of WALKERS) {
    const scenarios =
      w.targets === 'device' || w.targets === 'device-private'
        ? [device]
        : w.targets === 'ram' || w.targets === 'untouched'
          ? [ram]
          : [ram, device];
    for (const d of [...DESIGNS, ...FAULT_DESIGNS]) {
      for (const s of scenarios) {
        const walkers = w.name === 'pfn-walker' ? scenarioWalkers(s) : [{ walker: w }];
        const a = timed(reference, () => program(s, d, walkers));
        const b = timed(current, () => program(s, d, walkers));
        refSeconds += a.cpu;
        curSeconds += b.cpu;
        cells++;
        if (!same(a, b))
          (b.violation?.kind === 'null-deref' ? nullJudged : differ).push(
            `${w.name} x ${d.name} on ${s.name}`,
          );
      }
    }
  }
  for (const readers of [2, 3]) {
    for (const fault of ['none', 'no-sync', 'single-flip', 'check-before-lock'] as const) {
      const a = timed(reference, () => rcuModel({ readers, fault }));
      const b = timed(current, () => rcuModel({ readers, fault }));
      refSeconds += a.cpu;
      curSeconds += b.cpu;
      cells++;
      if (!same(a, b)) differ.push(`rcu ${readers} readers ${fault}`);
    }
  }
  console.log(
    `  ${cells - nullJudged.length} of ${cells} explorations: ${differ.length ? `DIFFER in ${differ.length}: ${differ.join('; ')}` : 'verdicts, states and counterexamples identical'}` +
      `  (CPU: reference ${refSeconds.toFixed(1)} s, current ${curSeconds.toFixed(1)} s, ${(refSeconds / curSeconds).toFixed(1)}x)`,
  );
  if (nullJudged.length)
    console.log(
      `  ${nullJudged.length} stop earlier at a NULL ms->usage (E6), which the frozen engine cannot judge: ${nullJudged.join('; ')}`,
    );
  console.log(
    `  transitions differ in ${transitionsDiffer} (symmetric readers; see the comment at same())` +
      `\n  target: verdicts, states and counterexamples identical (${differ.length === 0 ? 'met' : 'MISSED'})`,
  );
}

const design = designByName('active-bitmap')!;
const two = ['pfn-walker@0xd0000', 'kpageflags@0xc8000'].map((w) => parseWalkerSpec(w));
console.log(
  '\n2. Two walkers (pfn-walker@0xd0000, kpageflags@0xc8000), add/online movable/offline/remove 384 MiB, active-bitmap',
);
console.log(
  'engine                states  transitions  wall s   CPU s   states/s (wall)  states/s (CPU)  verdict',
);
const row = (name: string, r: ReturnType<typeof timed>) =>
  console.log(
    `${name.padEnd(18)} ${pad(r.states, 9)} ${pad(r.transitions, 12)} ${pad(r.seconds.toFixed(2), 7)} ${pad(r.cpu.toFixed(2), 7)} ${pad(Math.round(r.states / r.seconds), 16)} ${pad(Math.round(r.states / r.cpu), 15)}  ${r.verdict}`,
  );
const ref = timed(reference, () => program(REMOVE_THREE_BLOCKS, design, two, 0));
row('2026-12-06 engine', ref);
const cur = timed(current, () => program(REMOVE_THREE_BLOCKS, design, two, 0));
row('current engine', cur);
const cpuRatio = ref.cpu / cur.cpu;
const wallRatio = ref.seconds / cur.seconds;
const sameCount = ref.states === cur.states && ref.verdict === cur.verdict;
console.log(
  `  ${cpuRatio.toFixed(1)}x the states per CPU second (${wallRatio.toFixed(1)}x per wall second); same states and verdict: ${sameCount ? 'yes' : 'NO'}` +
    ` (target >= 10x with the same states and verdict: ${cpuRatio >= 10 && sameCount ? 'met' : 'MISSED'})`,
);

console.log('\n3. Threads: the two-walker case split into 16 subtree jobs sharing their visited states');
const splitRow = async (threads: number) => {
  const opts = { scenario: REMOVE_THREE_BLOCKS, design, walkers: two, from: 0 };
  const cpu0 = process.cpuUsage();
  const t = await exploreSplit(opts, { threads, after: 0, jobs: 16 });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `  ${threads} thread${threads > 1 ? 's' : ' '}  ${pad(t.states, 9)} states  ${pad(t.seconds.toFixed(2), 7)} s wall  ${pad(((cpu.user + cpu.system) / 1e6).toFixed(2), 7)} s CPU  ${t.verdict}`,
  );
  return t;
};
const t1 = await splitRow(1);
const t2 = await splitRow(2);
console.log(
  `  speed-up on 2 threads: ${(t1.seconds / t2.seconds).toFixed(2)}x (wall); same states and verdict: ${t1.states === t2.states && t1.verdict === t2.verdict ? 'yes' : 'NO'}`,
);

if (!quick) {
  const three = [...two, parseWalkerSpec('compaction@0xc0000')];
  console.log(
    '\n4. Three walkers (+ compaction@0xc0000), current engine only (the reference gave no verdict in 10 minutes)',
  );
  const r = timed(
    (p) => search(p, { maxSeconds }),
    () => program(REMOVE_THREE_BLOCKS, design, three, 0),
  );
  row('current engine', r);
  const verdict = r.verdict !== 'bounded';
  console.log(
    `  ${verdict ? `${r.verdict.toUpperCase()} in ${r.seconds.toFixed(1)} s` : `no verdict in ${maxSeconds} s`}${r.schedule ? ` (counterexample: ${r.schedule.length} steps)` : ''}` +
      ` (target: a verdict in < 120 s: ${verdict && r.seconds < 120 ? 'met' : 'MISSED'})`,
  );
  // The same search on 2 worker threads sharing their visited states: the one-thread run above is the reference.
  const opts = { scenario: REMOVE_THREE_BLOCKS, design, walkers: three, from: 0, maxSeconds };
  const cpu0 = process.cpuUsage();
  const t = await exploreSplit(opts, { threads: 2, after: 0, jobs: 32 });
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `  2 threads    ${pad(t.states, 9)} states  ${pad(t.seconds.toFixed(2), 7)} s wall  ${pad(((cpu.user + cpu.system) / 1e6).toFixed(2), 7)} s CPU  ${t.verdict}`,
  );
  const sameThree = t.states === r.states && t.verdict === r.verdict;
  console.log(
    `  speed-up on 2 threads: ${(r.seconds / t.seconds).toFixed(2)}x (wall) against one thread; same states and verdict: ${sameThree ? 'yes' : 'NO'}` +
      ` (target: a verdict in < 120 s: ${t.verdict !== 'bounded' && t.seconds < 120 ? 'met' : 'MISSED'})`,
  );
}
