/**
 * A split search's jobs on worker threads: each thread takes the next job when it is done with
 * one, so a long subtree does not hold the others up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SearchResult } from './engine.js';
import type { SubtreeJob } from './split.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The worker entry: dist's JavaScript, or - from the TypeScript source (tests, benches) - one
 * esbuild bundle of thread-worker.ts made once per process and shared by every worker. Each worker
 * registering tsx instead (as src/stress/pool.ts does) compiled the explorer's ninety modules
 * again, seconds of CPU per thread that ate the speed-up of a second thread.
 */
export function spawn(): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./thread-worker.js', import.meta.url));
  return new Worker(workerBundle(), { execArgv: bundleExecArgv(process.execArgv) });
}

/**
 * The parent's Node options a bundle's thread inherits: not tsx (the bundle is JavaScript) nor
 * --input-type (refused for a file entry; a parent started with -e has it).
 */
function bundleExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--import' && argv[i + 1] === 'tsx') i++;
    else if (argv[i] !== '--import=tsx' && !argv[i].startsWith('--input-type')) out.push(argv[i]);
  }
  return out;
}

let bundle: string | undefined;

/** The path of thread-worker.ts bundled (a temporary file, removed when the process exits). */
function workerBundle(): string {
  if (bundle) return bundle;
  // esbuild is a development dependency, as tsx is: only a source checkout gets here.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const entry = new URL('./thread-worker.ts', import.meta.url);
  const out = buildSync({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'error',
    // Modules that find the package root from their own URL (src/X/y.ts: two levels down) find it from the entry's.
    define: { 'import.meta.url': JSON.stringify(entry.href) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pfnlab-explore-'));
  bundle = join(dir, 'thread-worker.mjs');
  writeFileSync(bundle, out.outputFiles[0].contents);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return bundle;
}

/** How far a split search got: jobs done of all, and states explored by finished and running jobs. */
export interface SplitProgress {
  readonly done: number;
  readonly jobs: number;
  readonly states: number;
}

type Reply =
  | { readonly type: 'progress'; readonly states: number }
  | { readonly type: 'result'; readonly result: SearchResult }
  | { readonly type: 'error'; readonly message: string };

/** Run the jobs on `threads` worker threads; results in job order. */
export async function runJobsOnThreads(
  jobs: readonly SubtreeJob[],
  threads: number,
  progress?: (p: SplitProgress) => void,
): Promise<SearchResult[]> {
  const results: SearchResult[] = new Array(jobs.length);
  const running = new Map<number, number>();
  let finishedStates = 0;
  let done = 0;
  let next = 0;
  const report = () => {
    let states = finishedStates;
    for (const s of running.values()) states += s;
    progress?.({ done, jobs: jobs.length, states });
  };
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => spawn());
  try {
    await Promise.all(
      workers.map(
        (w, slot) =>
          new Promise<void>((resolve, reject) => {
            let current = -1;
            const take = () => {
              if (next >= jobs.length) {
                resolve();
                return;
              }
              current = next++;
              running.set(slot, 0);
              w.postMessage(jobs[current]);
            };
            w.on('message', (m: Reply) => {
              if (m.type === 'progress') {
                running.set(slot, m.states);
                report();
              } else if (m.type === 'result') {
                results[current] = m.result;
                finishedStates += m.result.states;
                running.delete(slot);
                done++;
                report();
                take();
              } else {
                reject(new Error(m.message));
              }
            });
            w.on('error', reject);
            w.on('exit', (code) => {
              if (current >= 0 && results[current] === undefined && next <= jobs.length)
                reject(new Error(`explore: a worker thread exited (code ${code}) in job ${current}`));
            });
            take();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
