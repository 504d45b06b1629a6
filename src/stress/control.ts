/**
 * The stress run's control block: a small SharedArrayBuffer beside model
 * memory through which the main thread and the walkers coordinate without
 * messages. Int32 words: the stop flag, the violation count (so the writer can
 * stop at the first), how many walkers have started, and the writer's position (cycle, operation, step, and
 * a sequence number of steps), which a walker records with each violation it
 * finds. Float64 words: the run's start time and each worker's lookup count.
 */

export const C_STOP = 0;
export const C_VIOLATIONS = 1;
export const C_CYCLE = 2;
export const C_OP = 3;
export const C_STEP = 4;
export const C_SEQ = 5;
export const C_STARTED = 6;
const INT_WORDS = 16;

const F_START = 0;
const F_LOOKUPS = 1;

export class Control {
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly workers: number,
  ) {
    this.i32 = new Int32Array(buffer, 0, INT_WORDS);
    this.f64 = new Float64Array(buffer, INT_WORDS * 4, 1 + workers);
  }

  static create(workers: number): Control {
    return new Control(new SharedArrayBuffer(INT_WORDS * 4 + 8 * (1 + workers)), workers);
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

  /** A worker's lookups so far (written by that worker only; read approximately by the main thread). */
  setLookups(worker: number, n: number): void {
    this.f64[F_LOOKUPS + worker] = n;
  }

  workerLookups(worker: number): number {
    return this.f64[F_LOOKUPS + worker];
  }

  lookups(): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += this.f64[F_LOOKUPS + w];
    return n;
  }
}

/** Wall-clock now, in ms since the epoch, comparable across threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
