/**
 * The worker entry: runs the jobs the pool posts, one at a time, replying
 * with the result (or the error). Loaded as dist/stress/worker.js, or as this
 * file through tsx (see pool.ts).
 */
import { parentPort } from 'node:worker_threads';
import { JOBS } from './jobs.js';

interface Request {
  readonly id: number;
  readonly job: { readonly kind: string };
}

const port = parentPort!;
port.on('message', async ({ id, job }: Request) => {
  try {
    const handler = JOBS[job.kind];
    if (!handler) throw new Error(`unknown job '${job.kind}'`);
    const value = await handler(job, (event) => port.postMessage({ id, type: 'event', value: event }));
    port.postMessage({ id, type: 'result', value });
  } catch (e) {
    const err = e as Error;
    port.postMessage({ id, type: 'error', message: err.message, stack: err.stack });
  }
});
