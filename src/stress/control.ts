/**
 * The stress run's control block: a small SharedArrayBuffer beside model
 * memory through which the main thread and the walkers coordinate without
 * messages. Int32 words: the stop flag, the violation count (so the writer can
 * stop at the first), how many walkers have started, and the writer's position (cycle, operation, step, and
 * a sequence number of steps), which a walker records with each violation it
 * finds. Float64 words: the run's start time and each worker's progress as of
 * its last batch (lookups, struct page reads, violations by kind), so that a
 * walker terminated inside a batch (blocked on a lock the stopped writer holds)
 * still leaves its counts.
 */
/** What a walker's bad dereference met: counted per worker in the Float64 words. */
export type ViolationKind = 'freed' | 'poisoned' | 'uninitialized';
export const VIOLATION_KINDS: readonly ViolationKind[] = ['freed', 'poisoned', 'uninitialized'];

export const C_STOP = 0;
export const C_VIOLATIONS = 1;
export const C_CYCLE = 2;
export const C_OP = 3;
export const C_STEP = 4;
export const C_SEQ = 5;
export const C_STARTED = 6;
const INT_WORDS = 16;

const F_START = 0;
/** Each worker's progress record: lookups, derefs, then one count per violation kind. */
const F_WORKERS = 1;
const W_LOOKUPS = 0;
const W_DEREFS = 1;
const W_COUNTS = 2;
const W_STRIDE = W_COUNTS + VIOLATION_KINDS.length;

/** A walker's counts as of its last published batch. */
export interface WalkerProgress {
  readonly lookups: number;
  readonly derefs: number;
  readonly counts: Record<ViolationKind, number>;
}

export class Control {
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly workers: number,
  ) {
    this.i32 = new Int32Array(buffer, 0, INT_WORDS);
    this.f64 = new Float64Array(buffer, INT_WORDS * 4, F_WORKERS + W_STRIDE * workers);
  }

  static create(workers: number): Control {
    return new Control(new SharedArrayBuffer(INT_WORDS * 4 + 8 * (F_WORKERS + W_STRIDE * workers)), workers);
  }

  get stopped(): boolean {
    return Atomics.load(this.i32, C_STOP) !== 0;
  }

  stop(): void {
    Atomics.store(this.i32, C_STOP, 1);
  }

  /** A walker is about to start its loop. */
  walkerStarted(): void {
    Atomics.add(this.i32, C_STARTED, 1);
  }

  /** Walkers that have started their loop. */
  get started(): number {
    return Atomics.load(this.i32, C_STARTED);
  }

  get violations(): number {
    return Atomics.load(this.i32, C_VIOLATIONS);
  }

  addViolation(): void {
    Atomics.add(this.i32, C_VIOLATIONS, 1);
  }

  /** The writer is about to run step `step` of operation `op` in cycle `cycle`. */
  publish(cycle: number, op: number, step: number): void {
    Atomics.store(this.i32, C_CYCLE, cycle);
    Atomics.store(this.i32, C_OP, op);
    Atomics.store(this.i32, C_STEP, step);
    Atomics.add(this.i32, C_SEQ, 1);
  }

  /** Where the writer is now. */
  position(): { cycle: number; op: number; step: number; seq: number } {
    return {
      cycle: Atomics.load(this.i32, C_CYCLE),
      op: Atomics.load(this.i32, C_OP),
      step: Atomics.load(this.i32, C_STEP),
      seq: Atomics.load(this.i32, C_SEQ),
    };
  }

  /** Wall-clock start of the run (ms since the epoch; every thread has its own timeOrigin). */
  set startMs(ms: number) {
    this.f64[F_START] = ms;
  }

  get startMs(): number {
    return this.f64[F_START];
  }

  /** Milliseconds since the run started, on any thread. */
  elapsedMs(): number {
    return performance.timeOrigin + performance.now() - this.f64[F_START];
  }

  /** A worker's progress after a batch (written by that worker only; read approximately by the main thread). */
  publishProgress(worker: number, p: WalkerProgress): void {
    const at = F_WORKERS + W_STRIDE * worker;
    this.f64[at + W_LOOKUPS] = p.lookups;
    this.f64[at + W_DEREFS] = p.derefs;
    VIOLATION_KINDS.forEach((k, i) => {
      this.f64[at + W_COUNTS + i] = p.counts[k];
    });
  }

  workerProgress(worker: number): WalkerProgress {
    const at = F_WORKERS + W_STRIDE * worker;
    const counts = Object.fromEntries(VIOLATION_KINDS.map((k, i) => [k, this.f64[at + W_COUNTS + i]]));
    return {
      lookups: this.f64[at + W_LOOKUPS],
      derefs: this.f64[at + W_DEREFS],
      counts: counts as Record<ViolationKind, number>,
    };
  }

  lookups(): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += this.f64[F_WORKERS + W_STRIDE * w + W_LOOKUPS];
    return n;
  }
}

/** Wall-clock now, in ms since the epoch, comparable across threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
