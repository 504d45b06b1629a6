/**
 * The explorer's output format: a verdict and, on a violation, the shortest
 * counterexample as numbered steps. `pfnlab explore --json` prints it and
 * `pfnlab view trace.json` plays it. This file is the contract: fields may be
 * added, not renamed.
 */
import type { KernelRelease } from '../kernel/index.js';

export type ThreadKind = 'writer' | 'walker';

export interface TraceThread {
  readonly id: number;
  /** 'writer' for the operations; the walker's name otherwise ('kpageflags', 'pfn-walker', ...). */
  readonly name: string;
  readonly kind: ThreadKind;
}

/** What happened to a struct page at a step, for highlighting. */
export type PageState = 'initialized' | 'uninitialized' | 'poisoned' | 'freed';

export interface TraceStep {
  /** 1-based, in execution order. */
  readonly index: number;
  readonly thread: number;
  /** The kernel function (writer) or the walker's action (rcu_read_lock, pfn_to_online_page, deref ...). */
  readonly fn: string;
  readonly detail: string;
  /** The pfn the step concerns, if any. */
  readonly pfn?: number;
  /** Pages walkers hold (looked up, not yet done with) after this step, and their memmap state. */
  readonly held?: readonly { readonly thread: number; readonly pfn: number; readonly page: PageState }[];
  /** The RCU and lock state after this step, read from the explorer's memory (traces since 2026-12-06). */
  readonly state?: TraceState;
}

/** A walker's RCU reader state, read from its counter (liburcu memb: a nesting count and the phase its outermost rcu_read_lock() copied). */
export interface TraceRcuReader {
  readonly thread: number;
  /** rcu_read_lock() nesting: 0 outside a read-side critical section. */
  readonly nesting: number;
  /** The grace-period phase its outermost rcu_read_lock() copied; null outside. */
  readonly phase: 0 | 1 | null;
  /** In a critical section begun before gp's current phase: synchronize_rcu() waits for it. */
  readonly old: boolean;
}

export interface TraceRcuState {
  /** gp's phase bit. */
  readonly phase: 0 | 1;
  /** Grace periods completed (synchronize_rcu() returned). */
  readonly gracePeriods: number;
  /** Phase flips of the grace period under way; 0 when none is. */
  readonly flips: number;
  /** Readers in a critical section, by the phase they entered in. */
  readonly readersByPhase: readonly [number, number];
  readonly readers: readonly TraceRcuReader[];
}

/** mem_hotplug_lock, from its word. */
export interface TraceHotplugLock {
  /** The thread holding it for write (the writer, between mem_hotplug_begin and mem_hotplug_done), or null. */
  readonly writer: number | null;
  /** A writer has blocked new readers and waits for those inside (percpu_down_write()'s first half). */
  readonly blocking: boolean;
  /** Threads holding it for read (get_online_mems()). */
  readonly readers: readonly number[];
}

/** What one walker holds after a step. */
export interface TraceWalkerHolds {
  readonly thread: number;
  /** rcu_read_lock() nesting (0: not in a read-side critical section). */
  readonly rcuReadLock: number;
  /** mem_hotplug_lock held for read. */
  readonly hotplugRead: boolean;
  /** Struct pages looked up and not yet done with (as in TraceStep.held). */
  readonly pages: readonly number[];
}

/** The synchronisation state at a point of a trace, read from the explorer's memory, not from step names. */
export interface TraceState {
  /** null when no RCU reader is registered (a design without RCU). */
  readonly rcu: TraceRcuState | null;
  readonly hotplugLock: TraceHotplugLock;
  readonly walkers: readonly TraceWalkerHolds[];
}

export type ViolationKind =
  | 'poisoned-deref' // a walker read a struct page the writer had poisoned
  | 'uninitialized-deref' // ... that was never initialized
  | 'freed-deref' // ... whose memmap was freed (or reused)
  | 'use-after-free' // a walker read other freed kernel memory (ms->usage)
  | 'null-deref' // a walker dereferenced a NULL pointer it had just read (ms->usage)
  | 'wrong-answer' // a walker acted on an answer the truth contradicts
  | 'deadlock'; // no thread can proceed though some are not done

export interface TraceViolation {
  readonly kind: ViolationKind;
  readonly thread: number;
  readonly pfn: number;
  readonly message: string;
}

/** How the schedules were chosen, so that a verdict can say what it covers. */
export interface TraceSearch {
  /** Every interleaving (depth-first), random schedules, a swarm of seeded searches, or one given schedule. */
  readonly mode: 'exhaustive' | 'random' | 'swarm' | 'replay';
  /** exhaustive: at most this many preemptions per schedule. */
  readonly preemptionBound?: number;
  /** exhaustive: stopped at the first violation rather than searching on for a shortest one. */
  readonly firstViolation?: boolean;
  /** exhaustive: give up after this many states ... */
  readonly maxStates?: number;
  /** ... and it did: a counterexample is the shortest found so far, no verdict is a proof. */
  readonly stoppedAtMaxStates?: boolean;
  /** exhaustive: give up after this many seconds ... */
  readonly maxSeconds?: number;
  /** ... and it did (as stoppedAtMaxStates). */
  readonly stoppedAtMaxSeconds?: boolean;
  /** exhaustive: split into this many subtree jobs (by schedule prefix), run by this many threads. */
  readonly jobs?: number;
  readonly threads?: number;
  /** random: how many schedules, from which seed (swarm: per member; the seed is member 0's). */
  readonly runs?: number;
  readonly seed?: number;
  /** swarm: how many members, how many of them finished, and the one whose counterexample this is. */
  readonly swarm?: number;
  readonly finished?: number;
  readonly winner?: number;
}

export interface ExploreTrace {
  readonly format: 'pfnlab-explore-trace';
  readonly version: 1;
  /** A scenario file path or a built-in scenario name, as given to explore. */
  readonly scenario: string;
  readonly design: string;
  /** The kernel whose behaviour the model followed (a scenario's, or --kernel). */
  readonly kernel?: KernelRelease;
  /** Scenario steps run to completion before the exploration. */
  readonly from?: number;
  readonly walkers: readonly string[];
  /** Present when walkers' loads were satisfied early where LKMM allows (explore --memory-model lkmm). */
  readonly memoryModel?: 'lkmm';
  readonly verdict: 'safe' | 'unsafe' | 'bounded';
  /** Distinct states explored; for a random search the schedules run, for a replay its steps. */
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
  readonly threads: readonly TraceThread[];
  /** The counterexample (empty when safe). */
  readonly steps: readonly TraceStep[];
  /** The state before the first step (as TraceStep.state after each). */
  readonly initialState?: TraceState;
  readonly violation?: TraceViolation;
  /** Thread ids in schedule order; `<command> --replay <string>` reproduces the run. */
  readonly replay?: string;
  readonly search?: TraceSearch;
  /**
   * The pfnlab explore command line with every option that shapes the explored program: the
   * scenario and design as given, the kernel, from, and each walker with the pfns it walked.
   * Run as is, it repeats the exhaustive search; with `--replay <replay>`, this run's schedule.
   */
  readonly command?: string;
}
