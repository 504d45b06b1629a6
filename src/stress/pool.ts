/**
 * A pool of worker threads running jobs (stress walkers, RCU probes). A worker
 * takes ~25 ms to start (more under tsx), so workers are kept and reused from
 * job to job; a worker that dies (an error, or terminate()) leaves the pool,
 * and every exit listener hears its thread id, so that whatever it had
 * registered (an RCU reader slot) can be recovered.
 *
 * Which code a worker runs follows how this module itself was loaded:
 * - from dist/ (the installed CLI, `npx pfnlab stress`): dist/stress/worker.js,
 *   plain JavaScript, nothing else needed;
 * - from src/ under tsx (tests, bench, `node --import tsx`): src/stress/worker.ts,
 *   through a two-line bootstrap that registers tsx inside the worker first.
 *   Node 20 does not apply `--import tsx` from execArgv to a worker's entry
 *   module, so the bootstrap calls tsx's own register() (tsx/esm/api) there.
 */
import { Worker } from 'node:worker_threads';

/** A job: what the worker entry dispatches on (`kind`), with its parameters. */
export interface Job {
  readonly kind: string;
}

/** Runs one job on a worker; emit() sends an event back to the main thread before the result. */
export type JobHandler = (job: Job, emit: (event: unknown) => void) => unknown;

export interface JobHandle<T> {
  /** The thread running the job. */
  readonly threadId: number;
  readonly result: Promise<T>;
  /** Terminate the worker running the job (it leaves the pool; exit listeners run first). */
  terminate(): Promise<void>;
}

type Reply =
  | { readonly id: number; readonly type: 'result'; readonly value: unknown }
  | { readonly id: number; readonly type: 'error'; readonly message: string; readonly stack?: string }
  | { readonly id: number; readonly type: 'event'; readonly value: unknown };

interface Running {
  readonly id: number;
  resolve(value: unknown): void;
  reject(e: Error): void;
  onEvent?(value: unknown): void;
}

interface PooledWorker {
  readonly worker: Worker;
  readonly threadId: number;
  running?: Running;
  exited: Promise<void>;
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');

function spawn(): Worker {
  if (!FROM_SOURCE) return new Worker(new URL('./worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true });
}

export class WorkerPool {
  private readonly workers = new Set<PooledWorker>();
  private readonly exitListeners = new Set<(threadId: number) => void>();
  private nextId = 1;
  private closed = false;

  /** Workers alive now, busy or idle. */
  get size(): number {
    return this.workers.size;
  }

  /** Call fn with the thread id of every worker that exits. Returns the unsubscribe function. */
  onExit(fn: (threadId: number) => void): () => void {
    this.exitListeners.add(fn);
    return () => this.exitListeners.delete(fn);
  }

  private add(): PooledWorker {
    const worker = spawn();
    let exited!: () => void;
    const p: PooledWorker = {
      worker,
      threadId: worker.threadId,
      exited: new Promise<void>((r) => {
        exited = r;
      }),
    };
    worker.on('message', (m: Reply) => {
      const r = p.running;
      if (!r || m.id !== r.id) return;
      if (m.type === 'event') {
        r.onEvent?.(m.value);
        return;
      }
      p.running = undefined;
      worker.unref();
      if (m.type === 'result') r.resolve(m.value);
      else r.reject(Object.assign(new Error(m.message), { stack: m.stack ?? m.message }));
    });
    worker.on('error', (e) => {
      const r = p.running;
      p.running = undefined;
      r?.reject(e);
    });
    worker.on('exit', (code) => {
      this.workers.delete(p);
      for (const fn of this.exitListeners) fn(p.threadId);
      const r = p.running;
      p.running = undefined;
      r?.reject(new Error(`worker ${p.threadId} exited (code ${code}) while running a job`));
      exited();
    });
    worker.unref();
    this.workers.add(p);
    return p;
  }

  /** Start workers until n are alive (they load their code meanwhile). */
  warm(n: number): void {
    while (this.workers.size < n) this.add();
  }

  /** Run a job on an idle worker (started if none is idle). */
  start<T>(job: Job, onEvent?: (value: unknown) => void): JobHandle<T> {
    if (this.closed) throw new Error('the worker pool is closed');
    const p = [...this.workers].find((w) => !w.running) ?? this.add();
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => {
      p.running = { id, resolve: resolve as (v: unknown) => void, reject, onEvent };
    });
    p.worker.ref();
    p.worker.postMessage({ id, job });
    return {
      threadId: p.threadId,
      result,
      terminate: async () => {
        await p.worker.terminate();
        await p.exited;
      },
    };
  }

  /** Run a job and wait for its result. */
  run<T>(job: Job, onEvent?: (value: unknown) => void): Promise<T> {
    return this.start<T>(job, onEvent).result;
  }

  /** Terminate every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.workers].map(async (p) => {
        await p.worker.terminate();
        await p.exited;
      }),
    );
  }
}
