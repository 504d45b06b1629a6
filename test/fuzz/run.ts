/**
 * The CLI fuzzer: seeded cases (cases.ts) run on a worker thread (worker.ts), each held to the
 * CLI's contract: exit 0, 1 or 2; on exit 2 exactly one line on stderr; never a stack trace or a
 * JavaScript error's text; an end within the time limit (a worker stuck longer is ended and the
 * case reported); a refused kernel step leaves the model as it was.
 *
 *   npm run fuzz -- --runs 5000 [--seed S] [--limit-ms MS (default 120000)]
 *
 * prints one line per failure (seed and index replay it: --seed S --only I) and a summary.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type FuzzCase, fuzzCase } from './cases.js';
import type { CaseOutcome } from './worker.js';

/** Text that only a JavaScript error, never a pfnlab sentence, contains. */
const JS_ERROR =
  /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|AggregateError)\b|Maximum call stack|Cannot read propert|is not a function|is not iterable|is not defined|\[object Object\]|\n\s+at \S/;

export interface FuzzFailure {
  readonly index: number;
  readonly case: FuzzCase;
  readonly problem: string;
}

export interface FuzzResult {
  readonly seed: number;
  readonly runs: number;
  readonly exits: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
}

/** What is wrong with an outcome, or undefined when it keeps the contract. */
export function contractProblem(o: CaseOutcome): string | undefined {
  if (o.threw) return `main() threw: ${o.threw.split('\n')[0]}`;
  if (o.code !== 0 && o.code !== 1 && o.code !== 2) return `exit ${o.code}`;
  if (JS_ERROR.test(o.stderr)) return `JavaScript error text on stderr: ${o.stderr.slice(0, 300)}`;
  if (o.code === 2) {
    const lines = o.stderr.split('\n').filter((l) => l !== '');
    if (lines.length !== 1 || !o.stderr.endsWith('\n'))
      return `exit 2 with ${lines.length} stderr lines: ${o.stderr.slice(0, 300)}`;
  }
  if (o.changed) return o.changed;
  return undefined;
}

const WORKER_BOOT = (() => {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
})();

/** A worker that runs one case at a time; ended when a case outlasts the limit. */
class CaseRunner {
  private worker: Worker | undefined;

  /** The worker, started and loaded (it says 'ready') when there is none. */
  private async live(): Promise<Worker> {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_BOOT, { eval: true });
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    w.removeAllListeners('error');
    this.worker = w;
    return w;
  }

  /** One case in a scratch directory of its own, removed here whether the case ends or is killed. */
  async run(c: FuzzCase, limitMs: number): Promise<CaseOutcome | 'timeout'> {
    const dir = mkdtempSync(join(tmpdir(), 'pfnlab-fuzz-'));
    try {
      return await this.runIn(c, dir, limitMs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async runIn(c: FuzzCase, dir: string, limitMs: number): Promise<CaseOutcome | 'timeout'> {
    const w = await this.live();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        w.removeAllListeners('message');
        w.removeAllListeners('error');
        void w.terminate();
        this.worker = undefined;
        resolve('timeout');
      }, limitMs);
      w.once('message', (o: CaseOutcome) => {
        clearTimeout(timer);
        w.removeAllListeners('error');
        resolve(o);
      });
      w.once('error', (e) => {
        clearTimeout(timer);
        w.removeAllListeners('message');
        this.worker = undefined;
        resolve({ code: undefined, stdoutBytes: 0, stderr: '', threw: `worker died: ${e.message}` });
      });
      w.postMessage({ c, dir });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

export async function runFuzz(opts: {
  seed: number;
  runs: number;
  limitMs: number;
  first?: number;
  onFailure?: (f: FuzzFailure) => void;
}): Promise<FuzzResult> {
  const runner = new CaseRunner();
  const exits: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const first = opts.first ?? 0;
  try {
    for (let index = first; index < first + opts.runs; index++) {
      const c = fuzzCase(opts.seed, index);
      const o = await runner.run(c, opts.limitMs);
      const problem = o === 'timeout' ? `did not end within ${opts.limitMs / 1000} s` : contractProblem(o);
      const key = o === 'timeout' ? 'timeout' : o.threw ? 'threw' : String(o.code);
      exits[key] = (exits[key] ?? 0) + 1;
      if (problem) {
        const f = { index, case: c, problem };
        failures.push(f);
        opts.onFailure?.(f);
      }
    }
  } finally {
    await runner.close();
  }
  return { seed: opts.seed, runs: opts.runs, exits, failures };
}

/** `npm run fuzz -- --runs N --seed S`: failures saved under test-artifacts/fuzz/ for replay. */
async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '300' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      only: { type: 'string' },
      'limit-ms': { type: 'string', default: '120000' },
    },
  });
  const seed = Number(values.seed);
  const runs = values.only !== undefined ? 1 : Number(values.runs);
  const limitMs = Number(values['limit-ms']);
  if (![seed, runs, limitMs].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    console.error('fuzz: --runs, --seed, --only and --limit-ms take non-negative integers');
    return 2;
  }
  const started = Date.now();
  const out = 'test-artifacts/fuzz';
  const result = await runFuzz({
    seed,
    runs,
    limitMs,
    first: values.only !== undefined ? Number(values.only) : 0,
    onFailure(f) {
      mkdirSync(out, { recursive: true });
      const file = join(out, `seed-${seed}-case-${f.index}.json`);
      writeFileSync(file, `${JSON.stringify(f, null, 2)}\n`);
      console.log(`FAIL seed ${seed} case ${f.index} [${f.case.kind}] ${f.problem.slice(0, 200)} (${file})`);
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const exits = Object.entries(result.exits)
    .map(([k, n]) => `${k === 'timeout' || k === 'threw' ? k : `exit ${k}`}: ${n}`)
    .join(', ');
  console.log(
    `fuzz: seed ${seed}, ${result.runs} cases in ${seconds} s (${exits}); ${result.failures.length} broke the contract`,
  );
  return result.failures.length ? 1 : 0;
}

if (import.meta.url === new URL(process.argv[1], 'file:').href) process.exitCode = await cli();
