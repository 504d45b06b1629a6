/**
 * bench/rcu: the real RCU (src/rcu/shared.ts) against mem_hotplug_lock's
 * reader-writer lock (the hotplug-lock design's read side), measured in one
 * run on pooled workers so that every ratio compares numbers from the same
 * machine state. The machine is noisy (2 vCPUs, shared): each configuration
 * runs in several rounds, configurations alternate within a round, and the
 * median is reported.
 *
 * - read side: ns per iteration of {enter; one data load; leave} with 1 and 2
 *   workers, for memb (rcu_read_lock/unlock), qsbr (a quiescent state every
 *   1024 iterations), the reader-writer lock (get/put_online_mems by
 *   compareExchange), and no protection at all; the overhead is the
 *   difference from the bare loop;
 * - synchronize_rcu() latency on the main thread, idle and with 1 and 2
 *   workers reading flat out (memb and qsbr), and the lock's writer side
 *   (mem_hotplug_begin + done) under the same load.
 *
 * Usage: npm run bench:rcu [-- --quick] [-- --json]
 */
import { GLOBALS_ADDR, GLOBALS_WORDS } from '../src/model/layout.js';
import { SharedRcu } from '../src/rcu/shared.js';
import { WorkerPool } from '../src/stress/pool.js';
import {
  newBarrier,
  type ReadLoopJob,
  type ReadLoopResult,
  type ReadMode,
  releaseBarrier,
  sharedWords,
  stopLoops,
} from '../src/stress/probes.js';
import { hotplugWriteLock, hotplugWriteUnlock } from '../src/stress/thread-ctx.js';
import { benchArgs } from './args.js';

const args = benchArgs('rcu', { quick: { type: 'boolean' }, json: { type: 'boolean' } });
const quick = args.quick === true;
const json = args.json === true;
const ROUNDS = quick ? 3 : 5;
const ITERATIONS = quick ? 4_000_000 : 20_000_000;
const SYNCS = quick ? 300 : 1000;
const QS_EVERY = 1024;

const pool = new WorkerPool();
const rcu = SharedRcu.create(4);
const lockWords = sharedWords(GLOBALS_ADDR + GLOBALS_WORDS);
const lock = new Int32Array(lockWords);
const data = sharedWords(1024, 1);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function job(mode: ReadMode, iterations: number, barrier: SharedArrayBuffer): ReadLoopJob {
  return {
    kind: 'read-loop',
    mode,
    rcu: rcu.handle(),
    lock: lockWords,
    data,
    barrier,
    iterations,
    qsEvery: QS_EVERY,
  };
}

/** n workers run the loop together; the mean of their ns per iteration. */
async function readSide(mode: ReadMode, workers: number): Promise<number> {
  const barrier = newBarrier();
  const runs = Array.from({ length: workers }, () =>
    pool.run<ReadLoopResult>(job(mode, ITERATIONS, barrier)),
  );
  await releaseBarrier(barrier, workers);
  const results = await Promise.all(runs);
  return results.reduce((s, r) => s + r.nsPerIteration, 0) / workers;
}

/** Start n workers reading flat out; returns a function that stops them. */
async function busyReaders(mode: ReadMode, workers: number): Promise<() => Promise<void>> {
  const barrier = newBarrier();
  const runs = Array.from({ length: workers }, () => pool.run<ReadLoopResult>(job(mode, 0, barrier)));
  await releaseBarrier(barrier, workers);
  return async () => {
    stopLoops(barrier);
    await Promise.all(runs);
  };
}

/** Latencies in microseconds of n calls of f. */
async function latencies(n: number, f: () => void | Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

interface SyncStats {
  readonly median: number;
  readonly p99: number;
}

async function syncUnder(
  mode: ReadMode | 'idle',
  workers: number,
  writer: 'rcu' | 'rcu-async' | 'rwlock',
): Promise<SyncStats> {
  const stop = mode === 'idle' ? async () => undefined : await busyReaders(mode, workers);
  try {
    const f =
      writer === 'rcu'
        ? () => rcu.synchronize()
        : writer === 'rcu-async'
          ? () => rcu.synchronizeAsync()
          : async () => {
              await hotplugWriteLock(lock);
              hotplugWriteUnlock(lock);
            };
    const xs = await latencies(SYNCS, f);
    return { median: median(xs), p99: quantile(xs, 0.99) };
  } finally {
    await stop();
  }
}

async function main(): Promise<void> {
  pool.warm(2);
  // Warm-up: load the workers' code and let V8 optimize the loops.
  await readSide('none', 2);
  const modes: ReadMode[] = ['none', 'memb', 'qsbr', 'rwlock'];
  const read: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const workers of [1, 2]) {
      // Alternate the order from round to round.
      const order = round % 2 ? [...modes].reverse() : modes;
      for (const mode of order) {
        const key = `${mode}/${workers}`;
        read[key] = [...(read[key] ?? []), await readSide(mode, workers)];
      }
    }
  }
  const ns = (mode: ReadMode, workers: number) => median(read[`${mode}/${workers}`]);
  const overhead = (mode: ReadMode, workers: number) => Math.max(0, ns(mode, workers) - ns('none', workers));

  const syncs: Record<string, SyncStats> = {};
  syncs['synchronize_rcu, idle'] = await syncUnder('idle', 0, 'rcu');
  for (const workers of [1, 2]) {
    syncs[`synchronize_rcu, ${workers} busy memb reader(s)`] = await syncUnder('memb', workers, 'rcu');
    syncs[`synchronize_rcu, ${workers} busy qsbr reader(s)`] = await syncUnder('qsbr', workers, 'rcu');
    syncs[`synchronizeAsync, ${workers} busy memb reader(s)`] = await syncUnder('memb', workers, 'rcu-async');
    syncs[`mem_hotplug_begin+done, ${workers} busy lock reader(s)`] = await syncUnder(
      'rwlock',
      workers,
      'rwlock',
    );
  }
  await pool.close();

  const ratio2memb = overhead('rwlock', 2) / Math.max(overhead('memb', 2), 0.01);
  const ratio2qsbr = overhead('rwlock', 2) / Math.max(overhead('qsbr', 2), 0.01);
  const worstBusySync = Math.max(
    ...Object.entries(syncs)
      .filter(([k]) => k.startsWith('synchronize') && k.includes('busy'))
      .map(([, v]) => v.median),
  );
  const targets = [
    {
      what: 'QSBR read side per lookup (2 workers)',
      value: overhead('qsbr', 2),
      target: '<= 3 ns',
      ok: overhead('qsbr', 2) <= 3,
    },
    {
      what: 'memb read side per lookup (2 workers)',
      value: overhead('memb', 2),
      target: '<= 30 ns',
      ok: overhead('memb', 2) <= 30,
    },
    { what: 'lock / memb read side, 2 workers', value: ratio2memb, target: '>= 10x', ok: ratio2memb >= 10 },
    { what: 'lock / qsbr read side, 2 workers', value: ratio2qsbr, target: '>= 10x', ok: ratio2qsbr >= 10 },
    {
      what: 'synchronize_rcu with busy readers (worst median, us)',
      value: worstBusySync,
      target: '<= 1000 us',
      ok: worstBusySync <= 1000,
    },
  ];
  if (json) {
    console.log(JSON.stringify({ rounds: ROUNDS, iterations: ITERATIONS, read, syncs, targets }, null, 2));
    return;
  }
  console.log(
    `bench/rcu: ${ROUNDS} rounds of ${ITERATIONS.toLocaleString('en-US')} iterations per worker, medians\n`,
  );
  console.log('read side, ns per iteration (enter; one load; leave)   overhead over the bare loop');
  for (const mode of modes) {
    const cells = [1, 2].map((w) => `${ns(mode, w).toFixed(2).padStart(7)}`).join('  ');
    const over =
      mode === 'none' ? '' : [1, 2].map((w) => `${overhead(mode, w).toFixed(2).padStart(7)}`).join('  ');
    console.log(`  ${mode.padEnd(8)} 1 worker / 2 workers: ${cells}     ${over}`);
  }
  console.log(`\nwriter latency, us (${SYNCS} calls each)`);
  for (const [k, v] of Object.entries(syncs))
    console.log(
      `  ${k.padEnd(48)} median ${v.median.toFixed(1).padStart(8)}   p99 ${v.p99.toFixed(1).padStart(8)}`,
    );
  console.log('\ntargets');
  for (const t of targets)
    console.log(
      `  ${t.ok ? 'met   ' : 'MISSED'}  ${t.what.padEnd(52)} ${t.value.toFixed(2).padStart(9)}  (${t.target})`,
    );
}

await main();
