/**
 * A split search's subtree jobs on BullMQ over Redis: `pfnlab explore --redis URL` enqueues them
 * and waits, `pfnlab worker --redis URL` runs them. bullmq is loaded by dynamic import here only,
 * so every other command needs no run-time dependency.
 *
 * A job's id is a hash of its spec and prefix: enqueueing one search twice adds nothing new, and a
 * job finished earlier is not run again (a job is a pure function of its spec, see split.ts).
 * A worker runs its job on a search thread, so its event loop stays free to renew the job's lock
 * (every half lock) and to publish the job's progress (its states, about once a second). A worker
 * killed mid-job stops renewing: once the lock expires, BullMQ's stalled-job check (run by every
 * live worker each stalled interval) puts the job back in the queue for another worker.
 */
import { createHash } from 'node:crypto';
import type { Worker as Thread } from 'node:worker_threads';
import { PfnlabError } from '../errors.js';
import type { SearchResult } from './engine.js';
import { type ExploreJob, isSwarmJob, type SubtreeJob, type SwarmJob } from './job-spec.js';
import { type SplitProgress, spawn } from './threads.js';

/** Redis unreachable or lost, or a job failed on a worker: the search cannot go on. */
export class QueueError extends PfnlabError {}

export const QUEUE_NAME = 'pfnlab-explore';

/** How long to wait for Redis to answer before saying it is unreachable or lost. */
const REDIS_TIMEOUT_MS = 3000;
/** Reconnection attempts (200 ms apart) before a connection gives up. */
const MAX_RECONNECTS = 5;
/** BullMQ's defaults: a job's lock lasts 30 s (renewed every 15 s while its worker lives) ... */
export const DEFAULT_LOCK_SECONDS = 30;
/** ... and every worker looks for jobs whose lock expired every 30 s. */
export const DEFAULT_STALLED_SECONDS = 30;
/** A job whose worker died this many times fails (a job that kills its worker would never end). */
const MAX_STALLED = 3;
const ATTEMPTS = 3;
const POLL_MS = 200;
/** Jobs read from Redis at once while waiting (one round trip each, in parallel). */
const POLL_BATCH = 64;

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

/** The job's id: the same spec and prefix (or swarm member), the same id, on any machine. */
export function jobId(job: ExploreJob): string {
  const what = isSwarmJob(job) ? job.member : job.prefix;
  const hash = createHash('sha256')
    .update(JSON.stringify([job.spec, what]))
    .digest('hex');
  return `explore-${hash.slice(0, 32)}`;
}

/** What goes to Redis: the job without a thread's shared table (a remote job has none). */
function jobData(job: ExploreJob) {
  return isSwarmJob(job)
    ? { spec: job.spec, index: job.index, member: job.member }
    : { spec: job.spec, index: job.index, prefix: job.prefix };
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

/** Enqueue the jobs on Redis at `url` and wait for all their results (in job order). */
export async function runJobsOnRedis(
  url: string,
  jobs: readonly SubtreeJob[],
  progress?: (p: SplitProgress) => void,
): Promise<SearchResult[]> {
  return (await runOnRedis(url, jobs, progress)).results as SearchResult[];
}

/**
 * A swarm's members on Redis at `url`, until the first counterexample: the results of the
 * members that finished (in job order, undefined for the others) and the order they finished in.
 */
export function runSwarmOnRedis(
  url: string,
  jobs: readonly SwarmJob[],
  progress?: (p: SplitProgress) => void,
): Promise<RedisResults> {
  return runOnRedis(url, jobs, progress, (r) => r.violation !== undefined);
}

export interface RedisResults {
  readonly results: (SearchResult | undefined)[];
  /** Job indexes in the order their results were seen. */
  readonly order: number[];
}

/**
 * Enqueue the jobs on Redis at `url` and wait for their results (in job order), reporting the
 * states of finished jobs and of running ones (each worker's last progress). With `until`, stops
 * at the first poll that sees a result it accepts: the jobs not yet taken are withdrawn, the
 * results not yet in are left undefined.
 */
async function runOnRedis(
  url: string,
  jobs: readonly ExploreJob[],
  progress?: (p: SplitProgress) => void,
  until?: (r: SearchResult) => boolean,
): Promise<RedisResults> {
  const { Job } = await bullmq();
  const queue = await openQueue(url);
  let lastError: unknown;
  queue.on('error', (e) => {
    lastError = e;
  });
  const lostLine = `redis: lost ${url}`;
  let lost = false;
  const started = Date.now();
  try {
    const ids = jobs.map(jobId);
    await withTimeout(
      queue.addBulk(
        jobs.map((job, i) => ({
          name: isSwarmJob(job) ? 'swarm-member' : 'subtree',
          data: jobData(job),
          opts: {
            jobId: ids[i],
            attempts: ATTEMPTS,
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 24 * 3600 },
          },
        })),
      ),
      REDIS_TIMEOUT_MS,
      `redis: cannot reach ${url}`,
      url,
    );
    const results: (SearchResult | undefined)[] = new Array(jobs.length);
    const order: number[] = [];
    const running = new Map<number, number>();
    let pending = jobs.map((_, i) => i);
    let finishedStates = 0;
    let stop = false;
    const read = (i: number) => withTimeout(Job.fromId(queue, ids[i]), REDIS_TIMEOUT_MS, lostLine, url);
    while (pending.length && !stop) {
      const still: number[] = [];
      for (let k = 0; k < pending.length; k += POLL_BATCH) {
        const batch = pending.slice(k, k + POLL_BATCH);
        for (const [n, job] of (await Promise.all(batch.map(read))).entries()) {
          const i = batch[n];
          if (!job) throw new QueueError(`redis: job ${ids[i]} vanished from ${url}`, ids[i]);
          if (job.finishedOn && job.returnvalue) {
            const r = job.returnvalue as SearchResult;
            results[i] = r;
            order.push(i);
            finishedStates += r.states;
            running.delete(i);
            if (until?.(r)) stop = true;
          } else if (job.finishedOn && job.failedReason) {
            // Failed in an earlier search (a design missing on a worker, since fixed): once more.
            if (job.finishedOn >= started)
              throw new QueueError(`explore: job ${ids[i]} failed on a worker: ${job.failedReason}`, ids[i]);
            await withTimeout(job.retry('failed'), REDIS_TIMEOUT_MS, lostLine, url);
            still.push(i);
          } else {
            if (typeof job.progress === 'number') running.set(i, job.progress);
            still.push(i);
          }
        }
      }
      pending = still;
      let states = finishedStates;
      for (const s of running.values()) states += s;
      progress?.({ done: jobs.length - pending.length, jobs: jobs.length, states });
      if (pending.length && !stop) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    // Withdraw the jobs no worker took (a job being run cannot be: its result is ignored).
    for (const i of pending) {
      const removed = queue.remove(ids[i]).catch(() => 0);
      await withTimeout(removed, REDIS_TIMEOUT_MS, lostLine, url);
    }
    return { results, order };
  } catch (e) {
    lost = true;
    throw e instanceof QueueError ? e : redisError(url, 'lost', lastError ?? e);
  } finally {
    await closeQuietly(queue, 1000, lost);
  }
}

type Reply =
  | { readonly type: 'progress'; readonly states: number }
  | { readonly type: 'result'; readonly result: SearchResult }
  | { readonly type: 'error'; readonly message: string };

/**
 * A worker's search thread, started at its first job and kept for the next: the search runs off
 * the worker's event loop, which stays free to renew the job's lock and report its progress.
 */
class SearchThread {
  private thread?: Thread;

  run(job: ExploreJob, progress: (states: number) => void): Promise<SearchResult> {
    this.thread ??= spawn();
    const thread = this.thread;
    return new Promise((resolve, reject) => {
      const settle = (e: Error | undefined, result?: SearchResult) => {
        thread.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (e) reject(e);
        else resolve(result!);
      };
      const onMessage = (m: Reply) => {
        if (m.type === 'progress') progress(m.states);
        else if (m.type === 'result') settle(undefined, m.result);
        else settle(new Error(m.message));
      };
      // A thread that failed is not reused: the next job starts a new one.
      const onError = (e: Error) => {
        this.close();
        settle(e);
      };
      const onExit = (code: number) => {
        this.thread = undefined;
        settle(new Error(`the search thread exited (code ${code})`));
      };
      thread.on('message', onMessage).on('error', onError).on('exit', onExit);
      thread.postMessage(job);
    });
  }

  close(): void {
    void this.thread?.terminate();
    this.thread = undefined;
  }
}

export interface WorkerOptions {
  /** Stop after this many seconds without a job (undefined: run until stopped). */
  readonly idleExitSeconds?: number;
  /** One line per job and on start and stop. */
  readonly log?: (line: string) => void;
  /** Resolves when the worker should stop (SIGINT, SIGTERM). */
  readonly stop?: Promise<void>;
  /** A job's lock, renewed every half of it while the worker lives (default DEFAULT_LOCK_SECONDS). */
  readonly lockSeconds?: number;
  /** How often this worker looks for jobs whose lock expired (default DEFAULT_STALLED_SECONDS). */
  readonly stalledSeconds?: number;
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
  const thread = new SearchThread();
  const worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      busy = true;
      opts.log?.(`job ${job.id}: started`);
      try {
        const report = (states: number) => void job.updateProgress(states).catch(() => {});
        const result = await thread.run(job.data as ExploreJob, report);
        ran++;
        opts.log?.(`job ${job.id}: ${result.verdict}, ${result.states} states`);
        return result;
      } finally {
        busy = false;
        last = Date.now();
      }
    },
    {
      connection: redisOptions(url, true),
      lockDuration: (opts.lockSeconds ?? DEFAULT_LOCK_SECONDS) * 1000,
      stalledInterval: (opts.stalledSeconds ?? DEFAULT_STALLED_SECONDS) * 1000,
      maxStalledCount: MAX_STALLED,
      autorun: false,
    },
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
    // The search thread first: a job still running fails this attempt and goes straight back
    // to the queue for another worker (attempts: 3), rather than wait out its lock.
    thread.close();
    await closeQuietly(worker, 2000, lost);
  }
  opts.log?.(`worker: stopped after ${ran} job${ran === 1 ? '' : 's'}`);
  return ran;
}
