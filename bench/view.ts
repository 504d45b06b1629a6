/**
 * bench/view: one step of the viewer's map on a 16 TiB machine, as the server answers a first
 * /api/map for it (the machine got or re-run, its sections' map built, packed as runs, as JSON),
 * beside the same for a 1 GiB machine measured in the same run. The scenario is loaded first
 * (the page's /api/scenario, reported apart); then every boot step is asked for once, cold, in
 * the order a person stepping back from the end would (a step of 16 TiB's boot changes all
 * 131,072 sections). A second pass asks again (warm, the page's cache aside).
 *
 * Target: a 16 TiB step's first map in under 300 ms and 200 KB.
 *
 * Usage: npm run bench:view [-- --json]
 */
import { DESIGNS } from '../src/designs/index.js';
import { scenarioFromJson } from '../src/scenario/index.js';
import { ScenarioView } from '../src/view/index.js';
import { benchArgs } from './args.js';

const args = benchArgs('view', { json: { type: 'boolean' } });
const TARGET_MS = 300;
const TARGET_BYTES = 200_000;

interface StepFigures {
  readonly k: number;
  readonly fn: string;
  /** The first request for the step's map. */
  readonly ms: number;
  /** The same request again. */
  readonly warmMs: number;
  readonly bytes: number;
}

interface Measured {
  readonly loadMs: number;
  readonly steps: StepFigures[];
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const out = f();
  return [out, performance.now() - t];
}

/** Every boot step's map of a machine of `size`, each asked for cold, last step first. */
function measure(size: string): Measured {
  const s = scenarioFromJson({ name: `boot-${size}`, boot: [{ start: '0', size }] }, 'bench');
  const [view, loadMs] = timed(() => new ScenarioView(s.name, s, DESIGNS));
  const order = [...view.steps].reverse();
  const first = new Map(
    order.map((step) => {
      const [body, ms] = timed(() => JSON.stringify(view.packedMap(step.k)));
      return [step.k, { ms, bytes: Buffer.byteLength(body) }];
    }),
  );
  const steps = view.steps.map((step) => {
    const [, warmMs] = timed(() => JSON.stringify(view.packedMap(step.k)));
    const f = first.get(step.k)!;
    return { k: step.k, fn: step.fn, ms: f.ms, warmMs, bytes: f.bytes };
  });
  return { loadMs, steps };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const reference = measure('1G');
const huge = measure('16T');
const worst = huge.steps.reduce((a, b) => (b.ms > a.ms ? b : a));
const biggest = Math.max(...huge.steps.map((x) => x.bytes));
const refMs = median(reference.steps.map((x) => x.ms));
const met = worst.ms < TARGET_MS && biggest < TARGET_BYTES;
if (args.json) {
  console.log(JSON.stringify({ reference, huge, target: { ms: TARGET_MS, bytes: TARGET_BYTES }, met }));
} else {
  // Below 0.1 ms both are a kept map's JSON: a ratio of two timer ticks says nothing.
  const ratio = (ms: number) =>
    refMs >= 0.1
      ? `${(ms / refMs).toFixed(1)}x the 1 GiB median ${refMs.toFixed(2)} ms`
      : `1 GiB median ${refMs.toFixed(2)} ms`;
  for (const x of huge.steps)
    console.log(
      `16 TiB step ${x.k} ${x.fn.padEnd(24)} first ${x.ms.toFixed(1).padStart(6)} ms (${ratio(x.ms)}), again ${x.warmMs.toFixed(1).padStart(6)} ms, ${String(x.bytes).padStart(6)} bytes`,
    );
  console.log(
    `scenario load (once, /api/scenario): 16 TiB ${huge.loadMs.toFixed(0)} ms, 1 GiB ${reference.loadMs.toFixed(0)} ms (${(huge.loadMs / reference.loadMs).toFixed(0)}x)`,
  );
  console.log(
    `worst 16 TiB first step: ${worst.ms.toFixed(0)} ms (${worst.fn}), largest ${biggest} bytes; target < ${TARGET_MS} ms and < ${TARGET_BYTES} bytes: ${met ? 'met' : 'MISSED'}`,
  );
}
