/**
 * A split search's subtree jobs on BullMQ over Redis: `pfnlab explore --redis URL` enqueues them
 * and waits, `pfnlab worker --redis URL` runs them. bullmq is loaded by dynamic import here only,
 * so every other command needs no run-time dependency.
 *
 * A job's id is a hash of its spec and prefix: enqueueing one search twice adds nothing new, and a
 * job finished earlier is not run again (a job is a pure function of its spec, see split.ts).
 * A worker killed mid-job leaves its job locked; BullMQ's stalled-job check hands it to another
 * worker once the lock expires.
 */
import { createHash } from 'node:crypto';
import { PfnlabError } from '../errors.js';
import type { SearchResult } from './engine.js';
import { runJob, type SubtreeJob } from './split.js';
import type { SplitProgress } from './threads.js';

/** Redis unreachable or lost, or a job failed on a worker: the search cannot go on. */
export class QueueError extends PfnlabError {}

export const QUEUE_NAME = 'pfnlab-explore';

/** How long to wait for Redis to answer before saying it is unreachable or lost. */
const REDIS_TIMEOUT_MS = 3000;
/** Reconnection attempts (200 ms apart) before a connection gives up. */
const MAX_RECONNECTS = 5;
/**
 * A worker runs a job on its own event loop, so it cannot renew the job's lock while it runs:
 * the lock outlasts a long job (a killed worker's job is taken over when it expires).
 */
const LOCK_MS = 10 * 60 * 1000;
const POLL_MS = 200;

type BullMQ = typeof import('bullmq');

async function bullmq(): Promise<BullMQ> {
  return import('bullmq');
}

/** ioredis options from redis://[user:password@]host[:port][/db], with bounded retries. */
export function redisOptions(url: string, blocking: boolean) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(`--redis: not a URL: '${url}' (expected redis://host:port)`, url);
  }
  if (u.protocol !== 'redis:') throw new QueueError(`--redis: expected redis://host:port, got '${url}'`, url);
  const db = Number(u.pathname.slice(1) || '0');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || '6379'),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    connectTimeout: REDIS_TIMEOUT_MS,
    // A worker's blocking connection must retry forever per request (BullMQ requires null).
    maxRetriesPerRequest: blocking ? null : 1,
    enableOfflineQueue: blocking,
    retryStrategy: (times: number) => (times > MAX_RECONNECTS ? null : 200),
  };
}

/** A promise, or a QueueError once `ms` have passed. */
function withTimeout<T>(p: Promise<T>, ms: number, message: string, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueError(message, url)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Close a queue or worker, or drop its connections when Redis does not answer within `ms`
 * (disconnect() is not awaited: with Redis gone it may never settle).
 */
async function closeQuietly(
  x: { close(): Promise<void>; disconnect(): Promise<void> },
  ms: number,
  lost = false,
) {
  // Redis gone: stop reconnecting at once (a closed client's reconnect errors would reach stderr).
  if (lost) {
    void x.disconnect().catch(() => {});
    return;
  }
  const closing = x.close().catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const closed = await Promise.race([closing.then(() => true), late]);
  clearTimeout(timer);
  if (!closed) void x.disconnect().catch(() => {});
}

function redisError(url: string, what: string, e: unknown): QueueError {
  if (e instanceof QueueError) return e;
  const reason = e instanceof Error ? e.message : String(e);
  return new QueueError(`redis: ${what} ${url} (${reason})`, url);
}

/** The job's id: the same spec and prefix, the same id, on any machine. */
export function jobId(job: SubtreeJob): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([job.spec, job.prefix]))
    .digest('hex');
  return `explore-${hash.slice(0, 32)}`;
}

/** The queue at `url`, once Redis answers; else a QueueError within REDIS_TIMEOUT_MS. */
async function openQueue(url: string) {
  const { Queue } = await bullmq();
  const queue = new Queue(QUEUE_NAME, { connection: redisOptions(url, false) });
  let lastError: unknown;
  const record = (e: unknown) => {
    lastError = e;
  };
  queue.on('error', record);
  try {
    await withTimeout(queue.waitUntilReady(), REDIS_TIMEOUT_MS, `redis: cannot reach ${url}`, url);
    queue.off('error', record);
    return queue;
  } catch (e) {
    await closeQuietly(queue, 1000, true);
    throw redisError(url, 'cannot reach', lastError ?? e);
  }
}

/** Enqueue the jobs on Redis at `url` and wait for their results (in job order). */
export async function runJobsOnRedis(
  url: string,
  jobs: readonly SubtreeJob[],
  progress?: (p: SplitProgress) => void,
): Promise<SearchResult[]> {
  const { Job } = await bullmq();
  const queue = await openQueue(url);
  let lastError: unknown;
  queue.on('error', (e) => {
    lastError = e;
  });
  const unreachable = `redis: cannot reach ${url}`;
  let lost = false;
  try {
    const ids = jobs.map(jobId);
    await withTimeout(
      queue.addBulk(
        jobs.map((job, i) => ({
          name: 'subtree',
          data: { spec: job.spec, index: job.index, prefix: job.prefix },
          opts: { jobId: ids[i], attempts: 3, removeOnComplete: { age: 24 * 3600 }, removeOnFail: true },
        })),
      ),
      REDIS_TIMEOUT_MS,
      unreachable,
      url,
    );
    const results: SearchResult[] = new Array(jobs.length);
    let done = 0;
    let states = 0;
    while (done < jobs.length) {
      for (let i = 0; i < jobs.length; i++) {
        if (results[i]) continue;
        const job = await withTimeout(Job.fromId(queue, ids[i]), REDIS_TIMEOUT_MS, `redis: lost ${url}`, url);
        if (!job) throw new QueueError(`redis: job ${ids[i]} vanished from ${url}`, ids[i]);
        if (job.failedReason && job.attemptsMade >= 3)
          throw new QueueError(`explore: job ${ids[i]} failed on a worker: ${job.failedReason}`, ids[i]);
        if (job.finishedOn && job.returnvalue) {
          results[i] = job.returnvalue as SearchResult;
          states += results[i].states;
          done++;
        }
      }
      progress?.({ done, jobs: jobs.length, states });
      if (done < jobs.length) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return results;
  } catch (e) {
    lost = true;
    throw e instanceof QueueError ? e : redisError(url, 'lost', lastError ?? e);
  } finally {
    await closeQuietly(queue, 1000, lost);
  }
}

export interface WorkerOptions {
  /** Stop after this many seconds without a job (undefined: run until stopped). */
  readonly idleExitSeconds?: number;
  /** One line per job and on start and stop. */
  readonly log?: (line: string) => void;
  /** Resolves when the worker should stop (SIGINT, SIGTERM). */
  readonly stop?: Promise<void>;
}

/** Run explore jobs from the queue at `url` until stopped or idle; the number of jobs run. */
export async function runWorker(url: string, opts: WorkerOptions = {}): Promise<number> {
  const { Worker } = await bullmq();
  // Reached first: a Worker that cannot connect leaves errors behind after it is closed.
  await (await openQueue(url)).close();
  let ran = 0;
  let busy = false;
  let last = Date.now();
  let lastError: unknown;
  let lost = false;
  const worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      busy = true;
      try {
        const result = await runJob(job.data as SubtreeJob);
        ran++;
        opts.log?.(`job ${job.id}: ${result.verdict}, ${result.states} states`);
        return result;
      } finally {
        busy = false;
        last = Date.now();
      }
    },
    { connection: redisOptions(url, true), lockDuration: LOCK_MS, autorun: false },
  );
  worker.on('error', (e) => {
    lastError = e;
  });
  try {
    const client = await withTimeout(worker.waitUntilReady(), REDIS_TIMEOUT_MS, '', url).catch((e) => {
      throw redisError(url, 'cannot reach', lastError ?? e);
    });
    opts.log?.(`worker: waiting for jobs on ${url}`);
    void worker.run();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      // The connection gives up after MAX_RECONNECTS attempts: Redis is lost.
      client.once('end', () => reject(redisError(url, 'lost', lastError ?? 'connection closed')));
      timer = setInterval(() => {
        const idle = opts.idleExitSeconds;
        if (idle !== undefined && !busy && Date.now() - last >= idle * 1000) resolve();
      }, 250);
      opts.stop?.then(() => resolve());
    })
      .catch((e) => {
        lost = true;
        throw e;
      })
      .finally(() => clearInterval(timer));
  } finally {
    await closeQuietly(worker, 2000, lost);
  }
  opts.log?.(`worker: stopped after ${ran} job${ran === 1 ? '' : 's'}`);
  return ran;
}
