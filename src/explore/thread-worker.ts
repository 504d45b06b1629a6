/**
 * A worker thread of a split search: runs the subtree jobs it is posted, one at a time, with a
 * progress event about once a second. Loaded as dist/explore/thread-worker.js, or as this file
 * through tsx (see threads.ts).
 */
import { parentPort } from 'node:worker_threads';
import { type ExploreJob, runJob } from './jobs.js';

const port = parentPort!;
port.on('message', async (job: ExploreJob) => {
  try {
    const result = await runJob(job, (states) => port.postMessage({ type: 'progress', states }));
    port.postMessage({ type: 'result', result });
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message });
  }
});
