/**
 * bench/view: one step of the viewer's map on a 16 TiB machine, as the server answers
 * /api/map (the sections' map built from the machine, packed as runs, as JSON), beside the same
 * for a 1 GiB machine measured in the same run. Every boot step is asked for once, uncached (a
 * step of 16 TiB's boot changes all 131,072 sections). Positions without a kept clone are
 * re-run from boot by ScenarioView, as the viewer does: that time is reported apart.
 *
 * Target: a 16 TiB step's map in under 300 ms and 200 KB.
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
  readonly ms: number;
  readonly bytes: number;
}

/** Every boot step's map of a machine of `size`, each machine asked for first (so not timed). */
function measure(size: string): StepFigures[] {
  const s = scenarioFromJson({ name: `boot-${size}`, boot: [{ start: '0', size }] }, 'bench');
  const view = new ScenarioView(s.name, s, DESIGNS);
  return view.steps.map((step) => {
    view.machineAt(step.k);
    const t = performance.now();
    const body = JSON.stringify(view.packedMap(step.k));
    return { k: step.k, fn: step.fn, ms: performance.now() - t, bytes: Buffer.byteLength(body) };
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const reference = measure('1G');
const huge = measure('16T');
const worst = huge.reduce((a, b) => (b.ms > a.ms ? b : a));
const biggest = Math.max(...huge.map((x) => x.bytes));
const refMs = median(reference.map((x) => x.ms));
const met = worst.ms < TARGET_MS && biggest < TARGET_BYTES;
if (args.json) {
  console.log(JSON.stringify({ reference, huge, target: { ms: TARGET_MS, bytes: TARGET_BYTES }, met }));
} else {
  for (const x of huge)
    console.log(
      `16 TiB step ${x.k} ${x.fn.padEnd(24)} ${x.ms.toFixed(0).padStart(5)} ms ${String(x.bytes).padStart(7)} bytes (${(x.ms / refMs).toFixed(0)}x the 1 GiB median ${refMs.toFixed(1)} ms)`,
    );
  console.log(
    `worst 16 TiB step: ${worst.ms.toFixed(0)} ms (${worst.fn}), largest ${biggest} bytes; target < ${TARGET_MS} ms and < ${TARGET_BYTES} bytes: ${met ? 'met' : 'MISSED'}`,
  );
}
