/**
 * A split search's jobs on worker threads: each thread takes the next job when it is done with
 * one, so a long subtree does not hold the others up.
 */
import { Worker } from 'node:worker_threads';
import type { SearchResult } from './engine.js';
import type { SubtreeJob } from './split.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The worker entry: dist's JavaScript, or the TypeScript source through tsx (as src/stress/pool.ts explains). */
export function spawn(): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./thread-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./thread-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
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
