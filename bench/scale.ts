/**
 * bench/scale: boot 1, 16 and 64 TiB x86_64 machines and query 10^6 random
 * pfns (location, truth, struct page). Each size runs in its own process so
 * that peak RSS is its own. The reference, measured in the same run, is a
 * 1 GiB machine: the ratios say what the size costs beyond starting up.
 * Target: 64 TiB boots in under 1 s and 256 MiB.
 *
 *   node --import tsx bench/scale.ts            # all sizes
 *   node --import tsx bench/scale.ts --child N  # one size (GiB), JSON out
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { geometryFor } from '../src/arch/presets.js';
import { runScenario } from '../src/ops/scenario-run.js';
import { benchArgs, positiveInteger } from './args.js';

const GiB = 2 ** 30;
const QUERIES = 1_000_000;

interface Result {
  readonly gib: number;
  readonly bootMs: number;
  readonly queryNs: number;
  readonly maxRssMiB: number;
  readonly sections: number;
}

function child(gib: number): Result {
  const geometry = geometryFor(gib > 64 * 1024 ? 'x86_64-5level' : 'x86_64');
  const t0 = performance.now();
  const { machine } = runScenario({
    name: 'scale',
    geometry,
    boot: [{ start: 0, size: gib * GiB, node: 0 }],
    steps: [],
  });
  const bootMs = performance.now() - t0;
  const pages = (gib * GiB) / geometry.pageSize;
  let seed = 12345;
  let sink = 0;
  const t1 = performance.now();
  for (let i = 0; i < QUERIES; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const pfn = Math.floor((seed / 2147483648) * pages);
    const loc = machine.locate(pfn);
    const truth = machine.truthOf(pfn);
    const page = machine.memmap.read(pfn);
    sink += loc.subsection + truth.state.length + (page ? page.flags & 1 : 0);
  }
  const queryNs = ((performance.now() - t1) * 1e6) / QUERIES;
  if (sink < 0) console.log(sink);
  return {
    gib,
    bootMs,
    queryNs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    sections: (gib * GiB) / geometry.sectionSize,
  };
}

function run(gib: number): Result {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(gib)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out) as Result;
}

const args = benchArgs('scale', { child: { type: 'string' } });
if (args.child !== undefined) {
  // Up to 4 PiB, x86_64-5level's MAX_PHYSMEM_BITS.
  process.stdout.write(JSON.stringify(child(positiveInteger('scale', 'child', args.child, 4 * 2 ** 20))));
} else {
  const reference = run(1);
  console.log('bench/scale: boot a machine of N TiB (one boot range), then 10^6 random pfn queries');
  console.log(
    `reference: 1 GiB machine: boot ${reference.bootMs.toFixed(1)} ms, ${reference.queryNs.toFixed(0)} ns/query, peak RSS ${reference.maxRssMiB.toFixed(0)} MiB\n`,
  );
  console.log(
    'size     sections  boot ms  x ref  query ns  x ref  peak RSS MiB  x ref  target (64 TiB: <1000 ms, <256 MiB)',
  );
  for (const tib of [1, 16, 64]) {
    const r = run(tib * 1024);
    const verdict = tib === 64 ? (r.bootMs < 1000 && r.maxRssMiB < 256 ? 'met' : 'MISSED') : '';
    console.log(
      `${`${tib} TiB`.padEnd(8)} ${String(r.sections).padStart(8)}  ${r.bootMs.toFixed(0).padStart(7)}  ${(r.bootMs / reference.bootMs).toFixed(1).padStart(5)}  ${r.queryNs.toFixed(0).padStart(8)}  ${(r.queryNs / reference.queryNs).toFixed(2).padStart(5)}  ${r.maxRssMiB.toFixed(0).padStart(12)}  ${(r.maxRssMiB / reference.maxRssMiB).toFixed(2).padStart(5)}  ${verdict}`,
    );
  }
}
