/**
 * The writer's side of the explorer's world: its steps by position (planned on first reach, each
 * with its footprint), the bookkeeping snapshot of each position, and each step's outcome by
 * memory (kept once, replayed from then on).
 */
import type { Journal, Memory } from '../model/memory.js';
import type { Program, WriterStep } from './program.js';
import { Footprint, TRUTH } from './walker-steps.js';

/** A writer step's outcome from one memory: not ready (null), or the memory effect of running it. */
interface WriterOutcome {
  readonly h2: number;
  effect: Int32Array | null;
  /** Another memory with the same first hash half. */
  next: WriterOutcome | undefined;
}

/** A writer step's footprint: what it declares, plus the truth (every step may change it). */
function writerFootprint(step: WriterStep): Footprint {
  const f = step.footprint;
  return f ? new Footprint(f.reads, [...f.writes, TRUTH], false) : new Footprint([], [TRUTH], true);
}

export class WriterSteps {
  /** The writer's steps and their footprints, by position (planning happens on first reach). */
  private readonly steps: (WriterStep | undefined | null)[] = [];
  private readonly footprints: Footprint[] = [];
  /** The writer's outcomes by position and memory hash (see run). */
  private readonly outcomes: (Map<number, WriterOutcome> | undefined)[] = [];
  /**
   * The writer's bookkeeping depends only on how far the writer got (walkers change memory words
   * only), so one snapshot per writer position serves every state with that position; it is
   * restored only when something reads it (a writer step, a judgement not made before).
   */
  private readonly books = new Map<number, unknown>();
  private bookPc = 0;

  constructor(
    private readonly program: Program,
    private readonly journal: Journal,
  ) {}

  private get mem(): Memory {
    return this.program.mem;
  }

  /** The writer's step at pc (planned, with the bookkeeping of pc, on first reach). */
  at(pc: number): WriterStep | undefined {
    const s = this.steps[pc];
    if (s !== undefined) return s ?? undefined;
    this.ensureBooks(pc);
    const step = this.program.writerStep(pc);
    this.steps[pc] = step ?? null;
    if (step) this.footprints[pc] = writerFootprint(step);
    return step;
  }

  /** The footprint of the step at pc (planned before: at(pc) returned it). */
  footprint(pc: number): Footprint {
    return this.footprints[pc];
  }

  /** Bring the writer's bookkeeping to position pc (see books). */
  ensureBooks(pc: number): void {
    if (this.bookPc === pc) return;
    this.program.restore(this.books.get(pc));
    this.bookPc = pc;
  }

  /** Keep a snapshot of the bookkeeping at pc, if none is kept yet. */
  keepBooks(pc: number): void {
    if (!this.books.has(pc)) {
      this.ensureBooks(pc);
      this.books.set(pc, this.program.snapshot());
    }
  }

  /**
   * Run the step at pc (not done); true if it ran, false if it is not ready (nothing changed).
   * Its outcome - ready or not, and what it changes - is a function of the writer's position,
   * memory and bookkeeping; the bookkeeping is a function of the position (books), and memory is
   * identified by its 64-bit hash as state keys identify it (the shadow with it: only the writer
   * changes the shadow, as it changes the words). So the first run from a (pc, memory) is kept
   * as a memory effect and replayed from then on, without restoring the bookkeeping or running
   * the kernel code. A trace (labels) always runs the step.
   */
  run(pc: number, labels: boolean): boolean {
    const s = this.at(pc)!;
    const h1 = this.journal.hash1;
    const h2 = this.journal.hash2;
    const known = labels ? undefined : this.memo(pc, h1, h2);
    if (known) {
      if (known.effect === null) return false;
      this.mem.applyEffect(known.effect);
      return true;
    }
    this.ensureBooks(pc);
    const memo: WriterOutcome = { h2, effect: null, next: undefined };
    if (!labels) this.remember(pc, h1, memo);
    if (!s.ready()) return false;
    this.keepBooks(pc);
    const mark = this.journal.length;
    s.run();
    if (!labels) memo.effect = this.mem.effectSince(mark);
    this.bookPc = pc + 1;
    this.keepBooks(pc + 1);
    return true;
  }

  private memo(pc: number, h1: number, h2: number): WriterOutcome | undefined {
    let o = this.outcomes[pc]?.get(h1);
    while (o && o.h2 !== h2) o = o.next;
    return o;
  }

  private remember(pc: number, h1: number, o: WriterOutcome): void {
    let m = this.outcomes[pc];
    if (!m) {
      m = new Map();
      this.outcomes[pc] = m;
    }
    o.next = m.get(h1);
    m.set(h1, o);
  }
}
