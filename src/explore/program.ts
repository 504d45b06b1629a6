/**
 * What the explorer explores: a program of one writer (atomic kernel steps)
 * and walkers (plain functions whose every memory access is a scheduling
 * point), and what a step looks like in a trace.
 */
import type { Memory } from '../model/memory.js';
import type { WalkerCtx } from '../walkers/kernel.js';
import type { ViolationKind } from './trace.js';

/** One atomic writer step. */
export interface WriterStep {
  readonly fn: string;
  readonly detail: string;
  readonly pfn?: number;
  /** A blocking step runs only when ready. */
  ready(): boolean;
  run(): void;
  /** Words it reads and writes; absent means it may touch anything (dependent with every walker). */
  readonly footprint?: { readonly reads: readonly number[]; readonly writes: readonly number[] };
}

export interface WalkerProgram {
  readonly name: string;
  readonly iterations: number;
  /** One iteration; deterministic given what it reads. */
  run(ctx: WalkerCtx, iteration: number): void;
  /** Words only this walker writes (its RCU counter), kept out of the shared hash for symmetry. */
  readonly privateWords: readonly number[];
  /** Walkers with the same key are interchangeable. */
  readonly symmetryKey: string;
}

/** sc: every access in program order; lkmm: walkers' loads may be satisfied early (weak-loads.ts). */
export type MemoryModel = 'sc' | 'lkmm';

/** Everything the engine needs to explore: memory, the writer, walkers, and the checks. */
export interface Program {
  readonly mem: Memory;
  /** The writer's step at position pc, or undefined when it is done. May plan lazily. */
  writerStep(pc: number): WriterStep | undefined;
  readonly walkers: readonly WalkerProgram[];
  /** Save and restore whatever the writer's steps change outside memory. */
  snapshot(): unknown;
  restore(s: unknown): void;
  /** Is this answer wrong by the truth now? A sentence if so. */
  judge(pfn: number, answer: 'online' | 'device', what: string): string | undefined;
  /** Truth state of pfn, to tell an uninitialized from a poisoned struct page. */
  truthState(pfn: number): string;
  /** Count only violations of these kinds (pfnlab bugs looks for one bug's); default every kind. */
  readonly onlyViolations?: ReadonlySet<ViolationKind>;
  /** The memory model walkers' loads follow (default sc). */
  readonly memoryModel?: MemoryModel;
  /** Under lkmm: kinds of memory (MemKind) whose loads the design declares acquire or rcu_dereference(). */
  readonly acquireKinds?: ReadonlySet<number>;
}

export interface Violation {
  readonly kind: ViolationKind;
  readonly thread: number;
  readonly pfn: number;
  readonly message: string;
}

export interface StepLabel {
  readonly thread: number;
  readonly fn: string;
  readonly detail: string;
  readonly pfn?: number;
  /** A walker's access: what it read or wrote (e.g. "read mem_section = 0x7"). */
  readonly access?: string;
  readonly held: readonly { thread: number; pfn: number }[];
}
