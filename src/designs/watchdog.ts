/**
 * A module design's code runs on pfnlab's own thread, so a lookup that never returns would hang
 * the command for good. Every call into a module is counted here; when the CLI asks for it, a
 * worker thread watches the count, and when one call lasts longer than the limit it stops the main
 * thread's JavaScript (the inspector's Runtime.terminateExecution: nothing else interrupts a busy
 * thread) and the process exits 2 with one line naming the design and the call. Library users are
 * not watched: stopping their thread is not pfnlab's to decide.
 */
import { isMainThread, Worker } from 'node:worker_threads';

/** [calls in progress, calls begun, the watchdog stopped one] */
const state = new Int32Array(new SharedArrayBuffer(12));
const IN_PROGRESS = 0;
const BEGUN = 1;
const STOPPED = 2;

/** The innermost module call begun: named when the watchdog stops it. */
let current: { design: string; call: string; arg: unknown } | undefined;
let limitMs: number | undefined;
let watching = false;

/** Run f, one call into design's module: counted, and stopped if it outlasts the watch's limit. */
export function moduleCall<R>(design: string, call: string, arg: unknown, f: () => R): R {
  current = { design, call, arg };
  Atomics.add(state, BEGUN, 1);
  Atomics.add(state, IN_PROGRESS, 1);
  try {
    return f();
  } finally {
    Atomics.sub(state, IN_PROGRESS, 1);
  }
}

/**
 * From now on, a module design loaded in this process is watched: one call longer than
 * `limit` ms stops the command (default 10 s; PFNLAB_DESIGN_CALL_LIMIT_MS overrides, for tests).
 */
export function watchModuleCalls(limit = Number(process.env.PFNLAB_DESIGN_CALL_LIMIT_MS) || 10_000): void {
  limitMs = limit;
}

/** Start the watchdog, once, when a module design is loaded and the CLI asked for watching. */
export function startModuleWatchdog(): void {
  if (limitMs === undefined || watching || !isMainThread) return;
  watching = true;
  const limit = limitMs;
  process.on('exit', () => {
    if (!Atomics.load(state, STOPPED)) return;
    const c = current;
    const a = c?.arg as { fn?: unknown } | number | undefined;
    const arg = typeof a === 'number' ? `0x${a.toString(16)}` : typeof a?.fn === 'string' ? a.fn : '';
    process.stderr.write(
      `pfnlab: design '${c?.design}': ${c?.call}(${arg}) has not returned after ${limit / 1000} s (an endless loop?); stopped\n`,
    );
    process.exitCode = 2;
  });
  const worker = new Worker(WATCHDOG, { eval: true, workerData: { state, limit }, execArgv: [] });
  worker.unref();
}

/** The watchdog thread: polls the counts, and on a call stuck past the limit, stops the main thread. */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { state, limit } = workerData;
let seen = -1;
let since = Date.now();
setInterval(() => {
  const begun = Atomics.load(state, ${BEGUN});
  if (Atomics.load(state, ${IN_PROGRESS}) === 0 || begun !== seen) {
    seen = begun;
    since = Date.now();
    return;
  }
  if (Date.now() - since < limit) return;
  if (Atomics.exchange(state, ${STOPPED}, 1)) return;
  // Should the main thread not take the inspector's interrupt, it is killed (no exit code 2 then).
  const kill = () => {
    require('node:fs').writeSync(2, 'pfnlab: a design module call has not returned after ' + limit / 1000 + ' s (an endless loop?); killed\\n');
    process.kill(process.pid, 'SIGKILL');
  };
  setTimeout(kill, 2000);
  try {
    const inspector = require('node:inspector');
    const session = new inspector.Session();
    session.connectToMainThread();
    session.post('Runtime.terminateExecution', () => session.disconnect());
  } catch {
    kill();
  }
}, Math.min(250, limit / 4));
`;
