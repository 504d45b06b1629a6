/**
 * bench/compare: `pfnlab compare` - every design judged on every pfn after
 * every kernel step - on x86_64 machines of 1, 16 and 64 TiB: boot RAM
 * [0, 2 GiB) and [4 GiB, N - 4 GiB), then add_memory of the last 4 GiB and
 * online it. The reference, measured in the same run, is a 16 GiB machine of
 * the same shape. Each size runs in its own process so that peak RSS is its
 * own.
 *
 * Then fragmented layouts (QA's frag*.json): boot [0, 2 GiB) and N 4 KiB
 * ranges 4 MiB apart from 4 GiB - three classes per range - then a 128 MiB
 * devdax memremap above them and its memunmap. 3,000 and 13,000 ranges are
 * judged exactly (under 40,000 classes), 50,000 (--frag50k, 150,000 classes)
 * sampled. Judging is linear in the classes: "compare / run" stays about
 * flat from 3,000 to 13,000 ranges (it grew with the classes while
 * RangeSet.add scanned linearly: 13,000 ranges took 16.8 s, 5x the run).
 *
 * "run" is the same scenario with the designs' write sides woven in and
 * nothing judged (what `pfnlab compare` runs first to validate it), so
 * "compare / run" is the price of judging. "classes" is how many classes of
 * alike pfns the last kernel step judged. Each layout runs --rounds times
 * (default 3; medians). --mixed adds bench/layouts' mixed 16 TiB machine
 * (about 400,000 kernel steps; minutes a round: `--rounds 1`).
 *
 *   npm run bench:compare [-- --mixed] [-- --frag50k] [-- --rounds N]
 *   node --import tsx bench/compare.ts --child GiB|mixed|frag:N [--rounds N]   # one layout, JSON out
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { geometryFor } from '../src/arch/presets.js';
import { compareScenario } from '../src/compare/index.js';
import { DESIGNS, runWithDesigns } from '../src/designs/index.js';
import type { Scenario } from '../src/scenario/index.js';
import { benchArgs, positiveInteger, refuse } from './args.js';
import { fragmented, mixed16TiB } from './layouts.js';

const GiB = 2 ** 30;

interface Result {
  readonly name: string;
  readonly sections: number;
  readonly runMs: number;
  readonly compareMs: number;
  /** The median over rounds of compare ms / run ms. */
  readonly judgeRatio: number;
  readonly kernelSteps: number;
  readonly classes: number;
  readonly coverage: string;
  readonly maxRssMiB: number;
}

/** Boot [0, 2G) and [4G, N - 4G), then add and online the last 4 GiB. */
function oneHotplug(gib: number): Scenario {
  const top = gib * GiB;
  return {
    name: `${gib} GiB + hotplug`,
    geometry: geometryFor('x86_64'),
    boot: [
      { start: 0, size: 2 * GiB, node: 0 },
      { start: 4 * GiB, size: top - 8 * GiB, node: 0 },
    ],
    steps: [
      { op: 'add_memory', start: top - 4 * GiB, size: 4 * GiB },
      { op: 'online', start: top - 4 * GiB, size: 4 * GiB },
    ],
    walkers: [],
    queries: [],
    source: 'bench',
  };
}

function scenarioFor(which: string): Scenario {
  if (which === 'mixed') return mixed16TiB();
  if (which.startsWith('frag:'))
    return fragmented(positiveInteger('compare', 'child frag:', which.slice(5), 10 ** 6));
  // Above 8 GiB, lest boot [4G, N - 4G) be empty; up to x86_64's 64 TiB.
  const gib = positiveInteger('compare', 'child', which, 64 * 1024);
  if (gib <= 8) refuse('compare', `--child takes GiB above 8, mixed or frag:N (got '${which}')`);
  return oneHotplug(gib);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * `rounds` rounds of the run then the compare: medians, and the median of same-round ratios (one
 * pass of each swung "compare / run" from 0.9 to 2.0 on a loaded 2-vCPU machine). Peak RSS is
 * taken after the first round: later rounds allocate their machines beside the last one's garbage.
 */
function child(which: string, rounds: number): Result {
  const s = scenarioFor(which);
  const runs: number[] = [];
  const compares: number[] = [];
  let classes = 0;
  let first: { r: ReturnType<typeof compareScenario>; maxRssMiB: number } | undefined;
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    runWithDesigns(s, DESIGNS);
    runs.push(performance.now() - t0);
    const t1 = performance.now();
    const r = compareScenario(s, {
      designs: DESIGNS,
      onDone: (_m, _b, c) => {
        classes = c.length;
      },
    });
    compares.push(performance.now() - t1);
    first ??= { r, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  }
  const top = Math.max(
    ...s.boot.map((b) => b.start + b.size),
    ...s.steps.map((x) => ('start' in x ? x.start + x.size : 0)),
  );
  const { r, maxRssMiB } = first!;
  return {
    name: s.name,
    sections: Math.ceil(top / s.geometry.sectionSize),
    runMs: median(runs),
    compareMs: median(compares),
    judgeRatio: median(compares.map((c, i) => c / runs[i])),
    kernelSteps: r.steps.reduce((n, x) => n + x.kernelSteps, 0),
    classes,
    coverage: r.coverage,
    maxRssMiB,
  };
}

function run(which: string, rounds: number): Result {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', which, '--rounds', String(rounds)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out) as Result;
}

function row(label: string, r: Result, ref: Result): string {
  return [
    label.padEnd(22),
    String(r.sections).padStart(8),
    String(r.kernelSteps).padStart(7),
    String(r.classes).padStart(7),
    r.coverage.padEnd(9),
    r.runMs.toFixed(0).padStart(7),
    r.compareMs.toFixed(0).padStart(10),
    r.judgeRatio.toFixed(1).padStart(9),
    (r.compareMs / ref.compareMs).toFixed(1).padStart(7),
    r.maxRssMiB.toFixed(0).padStart(8),
  ].join('  ');
}

const args = benchArgs('compare', {
  mixed: { type: 'boolean' },
  frag50k: { type: 'boolean' },
  rounds: { type: 'string', default: '3' },
  child: { type: 'string' },
});
const rounds = positiveInteger('compare', 'rounds', args.rounds, 100);
if (args.child !== undefined) {
  process.stdout.write(JSON.stringify(child(args.child, rounds)));
} else {
  console.log(
    'bench/compare: pfnlab compare (5 designs, every kernel step) on x86_64: boot [0,2G) + [4G,N-4G), add_memory and online of the last 4 GiB',
  );
  console.log(
    `medians of ${rounds} rounds (the run, then the compare) per layout, each layout in its own process; peak RSS of the first round\n`,
  );
  const reference = run('16', rounds);
  console.log(
    `${'layout'.padEnd(22)}  sections    steps  classes  coverage   run ms  compare ms  / run ms  x ref  RSS MiB`,
  );
  console.log(row('reference: 16 GiB', reference, reference));
  for (const tib of [1, 16, 64]) console.log(row(`${tib} TiB`, run(String(tib * 1024), rounds), reference));
  for (const n of [3000, 13000]) console.log(row(`fragmented ${n}`, run(`frag:${n}`, rounds), reference));
  if (args.frag50k) console.log(row('fragmented 50000', run('frag:50000', rounds), reference));
  if (args.mixed) console.log(row('mixed 16 TiB (layouts)', run('mixed', rounds), reference));
}
