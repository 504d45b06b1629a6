/**
 * The writer's side of the explorer's world: its steps by position (planned on first reach, each
 * with its footprint), the bookkeeping snapshot of each position, and each step's outcome by
 * memory (kept once, replayed from then on).
 */
import { type Journal, Memory } from '../model/memory.js';
import type { Program, WriterStep } from './program.js';
import { Footprint, TRUTH } from './walker-steps.js';

/** A writer step's outcome from one memory: not ready (null), or the memory effect of running it. */
interface WriterOutcome {
  readonly h2: number;
  effect: Int32Array | null;
  /** The run's footprint (see runFootprint). */
  footprint: Footprint | undefined;
  /** Another memory with the same first hash half. */
  next: WriterOutcome | undefined;
}

/** A writer step's footprint: what it declares, plus the truth (every step may change it); undefined if it declares none. */
function declaredFootprint(step: WriterStep): Footprint | undefined {
  const f = step.footprint;
  return f ? new Footprint(f.reads, [...f.writes, TRUTH], false) : undefined;
}

/**
 * The footprint of one run of a kernel step that declares none, from what the run did: it wrote
 * the words of its effect (their shadow too) and the truth, and it may have read any word a walker
 * writes (its readiness and effect may depend on a lock word, a refcount, an RCU counter).
 *
 * Why this is sound for sleep sets: a sleeping kernel step keeps the footprint of the run that
 * put it to sleep, and the transitions it is declared independent of are walker transitions that
 * write nothing (any walker write is dependent: the step may read it) and read neither the truth
 * nor a word the run wrote. Such transitions leave memory unchanged, so the step runs again from
 * the same memory and bookkeeping (its pc has not moved): same readiness, same effect, same
 * footprint. And the walker's read finds the same value (and shadow) before and after the run,
 * so its next node, its violation and its name are the same in both orders: the two orders reach
 * one state, the condition sleep sets need. A walker read that found -1 is named by the truth
 * (poisoned or uninitialized) and is kept dependent for that reason.
 */
function runFootprint(effect: Int32Array): Footprint {
  return new Footprint([], [TRUTH], false, false, Memory.effectAddresses(effect));
}

export class WriterSteps {
  /** The writer's steps and their footprints, by position (planning happens on first reach). */
  private readonly steps: (WriterStep | undefined | null)[] = [];
  private readonly footprints: (Footprint | undefined)[] = [];
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
    if (step) this.footprints[pc] = declaredFootprint(step);
    return step;
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
   * Run the step at pc (not done): the footprint of its run, or undefined if it is not ready (nothing changed).
   * Its outcome - ready or not, and what it changes - is a function of the writer's position,
   * memory and bookkeeping; the bookkeeping is a function of the position (books), and memory is
   * identified by its 64-bit hash as state keys identify it (the shadow with it: only the writer
   * changes the shadow, as it changes the words). So the first run from a (pc, memory) is kept
   * as a memory effect and replayed from then on, without restoring the bookkeeping or running
   * the kernel code. A trace (labels) always runs the step.
   */
  run(pc: number, labels: boolean): Footprint | undefined {
    const s = this.at(pc)!;
    const h1 = this.journal.hash1;
    const h2 = this.journal.hash2;
    const known = labels ? undefined : this.memo(pc, h1, h2);
    if (known) {
      if (known.effect === null) return undefined;
      this.mem.applyEffect(known.effect);
      return known.footprint;
    }
    this.ensureBooks(pc);
    const memo: WriterOutcome = { h2, effect: null, footprint: undefined, next: undefined };
    if (!labels) this.remember(pc, h1, memo);
    if (!s.ready()) return undefined;
    this.keepBooks(pc);
    const mark = this.journal.length;
    s.run();
    const effect = this.mem.effectSince(mark);
    const footprint = this.footprints[pc] ?? runFootprint(effect);
    if (!labels) {
      memo.effect = effect;
      memo.footprint = footprint;
    }
    this.bookPc = pc + 1;
    this.keepBooks(pc + 1);
    return footprint;
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
