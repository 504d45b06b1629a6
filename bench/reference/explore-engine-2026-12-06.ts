/**
 * FROZEN: src/explore/engine.ts as it was on 2026-12-06 (commit a3e026a), kept only as the
 * reference that bench/explore-scale.ts measures the current engine against in the same run.
 * Do not edit or import it from src/.
 */
/**
 * The interleaving explorer: every schedule of one writer (kernel steps, each
 * atomic, some blocking) and several walkers (every shared-memory access a
 * scheduling point), searched depth-first with visited-state hashing, sleep
 * sets, symmetry between identical walkers and an optional preemption bound;
 * or sampled at random with a seed.
 *
 * Walkers are plain functions re-executed from the start of their current
 * iteration with their earlier accesses replayed (stateless model checking's
 * re-execution), so the same code that serves the CLI and worker threads is
 * what the explorer interleaves. Memory changes are journaled and undone on
 * backtrack; the writer's bookkeeping is snapshotted around its steps.
 */

import type { ViolationKind } from '../../src/explore/trace.js';
import { Journal, MEM_KIND_NAMES, MemKind, type Memory, SHADOW_FREED } from '../../src/model/memory.js';
import { rng } from '../../src/random.js';

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

/** What a walker sees of the world: memory (every access a scheduling point) and a few verbs. */
export interface WalkerCtx {
  /** Model memory; reads and writes are scheduling points. */
  readonly mem: { [addr: number]: number };
  /** Name the action the next accesses belong to (for traces). */
  note(fn: string, detail: string, pfn?: number): void;
  /** An atomic read-modify-write; returning undefined means "would block here". */
  rmw(addr: number, f: (old: number) => number | undefined): number;
  /**
   * The walker now holds (uses) the struct page of pfn. Holds end with the
   * walker's iteration (its rcu_read_unlock or put); release() ends one sooner.
   */
  hold(pfn: number): void;
  release(pfn: number): void;
  /** The walker acts on a lookup's answer: is it right by the truth now? */
  expect(pfn: number, answer: 'online' | 'device', what: string): void;
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

export interface SearchOptions {
  /** Non-forced context switches allowed (undefined: unbounded). */
  readonly preemptionBound?: number;
  /** Stop at the first violation instead of searching for a shortest one. */
  readonly firstViolation?: boolean;
  /** Give up after this many states (the verdict is then 'bounded'). */
  readonly maxStates?: number;
  /** Switch off a reduction (both on by default), e.g. to measure what it saves. */
  readonly reduce?: { readonly sleepSets?: boolean; readonly symmetry?: boolean };
  /** Called about once a second with progress. */
  readonly progress?: (p: { states: number; transitions: number; depth: number; seconds: number }) => void;
}

export interface SearchResult {
  readonly verdict: 'safe' | 'unsafe' | 'bounded';
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
  /** The counterexample: thread ids in schedule order. */
  readonly schedule?: number[];
  readonly violation?: Violation;
  /** The search gave up at maxStates: a counterexample it found need not be a shortest one. */
  readonly stoppedAtMaxStates?: boolean;
}

const YIELD = Symbol('yield');
const BLOCKED = Symbol('blocked');

interface WalkerState {
  iteration: number;
  trace: number[];
  held: number[];
}

interface Footprint {
  reads: Set<number>;
  writes: Set<number>;
  all: boolean;
}

/** A pseudo address: the truth (written by every writer step, read by expect()). */
const TRUTH = -1;

function dependent(a: Footprint, b: Footprint): boolean {
  if (a.all || b.all) return true;
  for (const w of a.writes) if (b.reads.has(w) || b.writes.has(w)) return true;
  for (const w of b.writes) if (a.reads.has(w)) return true;
  return false;
}

function pageKind(kind: number): boolean {
  return kind === MemKind.MemmapNode || kind === MemKind.Pages;
}

interface SavedState {
  readonly mark: number;
  readonly pc: number;
  readonly walkers: WalkerState[];
}

/** The explorer's mutable world: memory, writer position, walker states. */
export class World {
  pc = 0;
  readonly walkers: WalkerState[];
  readonly journal: Journal;
  private readonly privateInitial: Map<number, number>;
  /** Labels of the last transition (for traces). */
  lastLabel: StepLabel | undefined;
  /**
   * The writer's bookkeeping depends only on how far the writer got (walkers
   * change memory words only), so one snapshot per writer position serves
   * every state with that position.
   */
  private readonly books = new Map<number, unknown>();
  private bookPc = 0;

  constructor(
    readonly program: Program,
    private readonly symmetry = true,
  ) {
    this.journal = program.mem.journal ?? program.mem.startJournal();
    this.walkers = program.walkers.map(() => ({ iteration: 0, trace: [], held: [] }));
    this.privateInitial = new Map();
    for (const w of program.walkers)
      for (const a of w.privateWords) this.privateInitial.set(a, program.mem.words[a]);
  }

  get threads(): number {
    return 1 + this.walkers.length;
  }

  threadNames(ids: readonly number[]): string {
    return ids.map((t) => (t === 0 ? 'the writer' : this.program.walkers[t - 1].name)).join(', ');
  }

  done(thread: number): boolean {
    if (thread === 0) return this.program.writerStep(this.pc) === undefined;
    const w = this.walkers[thread - 1];
    return w.iteration >= this.program.walkers[thread - 1].iterations;
  }

  allDone(): boolean {
    for (let t = 0; t < this.threads; t++) if (!this.done(t)) return false;
    return true;
  }

  /**
   * The state key: writer pc, shared memory hash, walker states sorted within
   * symmetry groups; and the permutation that sorting applied (thread id ->
   * canonical id), so that sleep sets can be compared across symmetric states.
   */
  key(): { key: string; perm: number[] } {
    let h1 = this.journal.hash1;
    let h2 = this.journal.hash2;
    const words = this.program.mem.words;
    const groups = new Map<string, { s: string; thread: number }[]>();
    this.program.walkers.forEach((w, i) => {
      const st = this.walkers[i];
      const priv: number[] = [];
      for (const a of w.privateWords) {
        const init = this.privateInitial.get(a)!;
        const cur = words[a];
        if (cur !== init) {
          const [c1, c2] = Journal.contribution(a, init);
          const [d1, d2] = Journal.contribution(a, cur);
          h1 ^= c1 ^ d1;
          h2 ^= c2 ^ d2;
        }
        priv.push(cur);
      }
      const s = `${st.iteration}:${st.trace.join(',')}:${priv.join(',')}:${st.held.join(',')}`;
      const groupKey = this.symmetry ? w.symmetryKey : `${w.symmetryKey}#${i}`;
      const g = groups.get(groupKey);
      if (g) g.push({ s, thread: i + 1 });
      else groups.set(groupKey, [{ s, thread: i + 1 }]);
    });
    const perm = [0];
    const parts: string[] = [];
    for (const [k, members] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      members.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : a.thread - b.thread));
      for (const m of members) perm[m.thread] = perm.length;
      parts.push(`${k}=${members.map((m) => m.s).join('|')}`);
    }
    return { key: `${this.pc}#${h1 >>> 0}.${h2 >>> 0}#${parts.join(';')}`, perm };
  }

  /** Run thread's next transition. Returns its footprint, or undefined if it is disabled (nothing changed). */
  step(thread: number, onViolation: (v: Violation) => void): Footprint | undefined {
    if (thread === 0) return this.writerStep(onViolation);
    return this.walkerStep(thread, onViolation);
  }

  private writerStep(_onViolation: (v: Violation) => void): Footprint | undefined {
    const s = this.program.writerStep(this.pc);
    if (!s?.ready()) return undefined;
    if (!this.books.has(this.pc)) this.books.set(this.pc, this.program.snapshot());
    s.run();
    this.pc++;
    this.bookPc = this.pc;
    this.lastLabel = { thread: 0, fn: s.fn, detail: s.detail, pfn: s.pfn, held: this.heldList() };
    if (s.footprint) {
      return {
        reads: new Set(s.footprint.reads),
        writes: new Set([...s.footprint.writes, TRUTH]),
        all: false,
      };
    }
    return { reads: new Set(), writes: new Set([TRUTH]), all: true };
  }

  private heldList(): { thread: number; pfn: number }[] {
    const out: { thread: number; pfn: number }[] = [];
    this.walkers.forEach((w, i) => {
      for (const pfn of w.held) out.push({ thread: i + 1, pfn });
    });
    return out;
  }

  private walkerStep(thread: number, onViolation: (v: Violation) => void): Footprint | undefined {
    const index = thread - 1;
    const program = this.program.walkers[index];
    const st = this.walkers[index];
    if (st.iteration >= program.iterations) return undefined;
    const mem = this.program.mem;
    const words = mem.words;
    const trace = st.trace;
    const mark = this.journal.length;
    let pos = 0;
    let real = 0;
    let label = { fn: program.name, detail: '', pfn: undefined as number | undefined };
    // The transition is named after what the walker was doing when it made its access.
    let accessLabel = label;
    let access: string | undefined;
    const describe = (verb: string, addr: number, value: number) => {
      const kind = MEM_KIND_NAMES[mem.shadow[addr] & ~SHADOW_FREED] ?? 'memory';
      const freed = mem.shadow[addr] & SHADOW_FREED ? 'freed ' : '';
      access = `${verb} ${freed}${kind} = ${value < 0 ? value : `0x${value.toString(16)}`}`;
    };
    const fp: Footprint = { reads: new Set(), writes: new Set(), all: false };
    const held = [...st.held];
    let replaying = true;
    const world = this;
    const violate = (kind: Violation['kind'], pfn: number, message: string) => {
      if (!replaying) onViolation({ kind, thread, pfn, message });
    };
    /** Gate every access: replay it, perform it (once per transition), or stop here. */
    const gate = (): 'replay' | 'real' => {
      if (pos < trace.length) return 'replay';
      if (real > 0) throw YIELD;
      replaying = false;
      accessLabel = label;
      return 'real';
    };
    const checkRead = (addr: number, value: number) => {
      const shadow = mem.shadow[addr];
      const kind = shadow & ~SHADOW_FREED;
      const pfn = label.pfn ?? -1;
      if (shadow & SHADOW_FREED) {
        const freedPage = pageKind(kind) || kind === MemKind.Vmemmap;
        violate(
          freedPage ? 'freed-deref' : 'use-after-free',
          pfn,
          `${program.name} read freed ${freedPage ? 'memmap' : 'kernel memory'} in ${label.fn}${pfn >= 0 ? ` (pfn 0x${pfn.toString(16)})` : ''}`,
        );
      } else if (pageKind(kind) && value === -1) {
        const uninit =
          pfn >= 0 && ['uninitialized', 'driver-reserved'].includes(world.program.truthState(pfn));
        violate(
          uninit ? 'uninitialized-deref' : 'poisoned-deref',
          pfn,
          `${program.name} read the ${uninit ? 'uninitialized' : 'poisoned'} struct page of pfn 0x${pfn.toString(16)} in ${label.fn}`,
        );
      }
    };
    const proxy = new Proxy(words, {
      get(target, key) {
        const addr = typeof key === 'string' ? Number(key) : Number.NaN;
        if (!Number.isInteger(addr)) return Reflect.get(target, key);
        if (gate() === 'replay') return trace[pos++];
        const value = target[addr];
        trace.push(value);
        pos++;
        real++;
        fp.reads.add(addr);
        describe('read', addr, value);
        checkRead(addr, value);
        return value;
      },
      set(_target, key, value) {
        const addr = Number(key);
        if (gate() === 'replay') {
          pos++;
          return true;
        }
        describe('write', addr, value as number);
        mem.store(addr, value as number);
        trace.push(value as number);
        pos++;
        real++;
        fp.writes.add(addr);
        return true;
      },
    });
    const ctx: WalkerCtx = {
      mem: proxy,
      note(fn, detail, pfn) {
        label = { fn, detail, pfn };
      },
      rmw(addr, f) {
        if (gate() === 'replay') return trace[pos++];
        const old = words[addr];
        const next = f(old);
        if (next === undefined) throw BLOCKED;
        describe('update', addr, next);
        mem.store(addr, next);
        trace.push(old);
        pos++;
        real++;
        fp.reads.add(addr);
        fp.writes.add(addr);
        return old;
      },
      hold(pfn) {
        // Re-executions replay earlier holds: holding is idempotent.
        if (!held.includes(pfn)) held.push(pfn);
      },
      release(pfn) {
        const i = held.indexOf(pfn);
        if (i >= 0) held.splice(i, 1);
      },
      expect(pfn, answer, what) {
        fp.reads.add(TRUTH);
        if (replaying) return;
        const wrong = world.program.judge(pfn, answer, what);
        if (wrong) violate('wrong-answer', pfn, `${program.name}: ${wrong}`);
      },
    };
    let finished = false;
    try {
      program.run(ctx, st.iteration);
      finished = true;
    } catch (e) {
      if (e === BLOCKED) {
        mem.undoTo(mark);
        trace.length = pos;
        return undefined;
      }
      if (e !== YIELD) throw e;
    }
    if (real === 0 && !finished) throw new Error(`${program.name}: yielded without an access`);
    if (finished) {
      st.iteration++;
      st.trace = [];
      st.held = [];
    } else {
      st.held = held;
    }
    const named = real > 0 ? accessLabel : label;
    this.lastLabel = {
      thread,
      fn: named.fn,
      detail: named.detail,
      pfn: named.pfn,
      access,
      held: this.heldList(),
    };
    return fp;
  }

  /** Everything needed to come back to this state. */
  save(): SavedState {
    if (!this.books.has(this.pc)) this.books.set(this.pc, this.program.snapshot());
    return {
      mark: this.journal.length,
      pc: this.pc,
      walkers: this.walkers.map((w) => ({ iteration: w.iteration, trace: [...w.trace], held: [...w.held] })),
    };
  }

  load(s: SavedState): void {
    this.program.mem.undoTo(s.mark);
    this.pc = s.pc;
    s.walkers.forEach((w, i) => {
      this.walkers[i].iteration = w.iteration;
      this.walkers[i].trace = [...w.trace];
      this.walkers[i].held = [...w.held];
    });
    if (this.bookPc !== s.pc) {
      this.program.restore(this.books.get(s.pc));
      this.bookPc = s.pc;
    }
  }
}

interface Visit {
  sleep: number;
  preemptions: number;
  depth: number;
}

/** Depth-first search with state hashing, sleep sets, a preemption bound, and branch and bound for a shortest violation. */
export function search(program: Program, opts: SearchOptions = {}): SearchResult {
  const world = new World(program, opts.reduce?.symmetry ?? true);
  const sleepSets = opts.reduce?.sleepSets ?? true;
  const visited = new Map<string, Visit>();
  const started = performance.now();
  let states = 0;
  let transitions = 0;
  let best: { schedule: number[]; violation: Violation } | undefined;
  let bounded = false;
  let stopped = false;
  let lastProgress = started;
  const path: number[] = [];

  // Footprints of each thread's pending transition from the current state, for sleep sets.
  const explore = (sleep: Map<number, Footprint>, prev: number, preemptions: number): boolean => {
    if (opts.maxStates !== undefined && states >= opts.maxStates) {
      bounded = true;
      stopped = true;
      return true;
    }
    const depth = path.length;
    if (best && depth + 1 >= best.schedule.length) return false;
    const { key, perm } = world.key();
    let sleepMask = 0;
    for (const t of sleep.keys()) sleepMask |= 1 << perm[t];
    // A state seen before is explored again only for what it could not do then: threads that
    // were asleep then and are awake now (Godefroid's stateful sleep sets), unless it is now
    // reached shallower or with fewer preemptions, which calls for a full exploration.
    const seen = visited.get(key);
    let only = -1;
    if (seen && seen.depth <= depth && seen.preemptions <= preemptions) {
      const newlyAwake = seen.sleep & ~sleepMask;
      if (newlyAwake === 0) return false;
      only = newlyAwake;
      seen.sleep &= sleepMask;
    } else {
      if (!seen) states++;
      visited.set(key, { sleep: sleepMask, preemptions, depth });
    }
    if (opts.progress && states % 1024 === 0) {
      const now = performance.now();
      if (now - lastProgress > 1000) {
        lastProgress = now;
        opts.progress({ states, transitions, depth, seconds: (now - started) / 1000 });
      }
    }
    const saved = world.save();
    const done: Map<number, Footprint> = new Map();
    let anyEnabled = false;
    // Prefer continuing the thread that ran last (fewer preemptions first).
    const order = [...Array(world.threads).keys()].sort((a, b) => (a === prev ? -1 : b === prev ? 1 : a - b));
    const enabled = new Set<number>();
    for (const t of order) {
      if (world.done(t)) continue;
      let violation: Violation | undefined;
      const fp = world.step(t, (v) => {
        violation ??= v;
      });
      if (!fp) continue;
      anyEnabled = true;
      enabled.add(t);
      if (sleep.has(t) || (only >= 0 && (only & (1 << perm[t])) === 0)) {
        world.load(saved);
        continue;
      }
      // Switching away from the thread that ran last while it could still run is a preemption.
      const preempt = prev >= 0 && t !== prev && enabled.has(prev) ? 1 : 0;
      transitions++;
      path.push(t);
      if (violation) {
        if (!best || path.length < best.schedule.length) best = { schedule: [...path], violation };
        path.pop();
        world.load(saved);
        if (opts.firstViolation) return true;
        done.set(t, fp);
        continue;
      }
      const withinBound = opts.preemptionBound === undefined || preemptions + preempt <= opts.preemptionBound;
      if (withinBound) {
        const next = new Map<number, Footprint>();
        if (sleepSets) for (const [u, ufp] of [...sleep, ...done]) if (!dependent(ufp, fp)) next.set(u, ufp);
        if (explore(next, t, preemptions + preempt)) return true;
      } else {
        bounded = true;
      }
      path.pop();
      world.load(saved);
      done.set(t, fp);
    }
    if (!anyEnabled && !world.allDone()) {
      const stuck = [...Array(world.threads).keys()].filter((t) => !world.done(t));
      const v = deadlock(world, stuck);
      if (!best || path.length < best.schedule.length) best = { schedule: [...path], violation: v };
      if (opts.firstViolation) return true;
    }
    return false;
  };

  explore(new Map(), -1, 0);
  const seconds = (performance.now() - started) / 1000;
  return {
    verdict: best ? 'unsafe' : bounded ? 'bounded' : 'safe',
    states,
    transitions,
    seconds,
    schedule: best?.schedule,
    violation: best?.violation,
    ...(stopped ? { stoppedAtMaxStates: true } : {}),
  };
}

/** No thread can move and some have not finished: each waits on another (a lock, a grace period). */
function deadlock(world: World, stuck: readonly number[]): Violation {
  return {
    kind: 'deadlock',
    thread: stuck[0],
    pfn: -1,
    message: `deadlock: ${world.threadNames(stuck)} all wait for one another`,
  };
}

/** Random schedules with a seed: each run picks uniformly among enabled threads until done or a violation. */
export function randomSearch(program: Program, runs: number, seed: number): SearchResult {
  const world = new World(program);
  const initial = world.save();
  const random = rng(seed);
  const started = performance.now();
  let transitions = 0;
  let best: { schedule: number[]; violation: Violation } | undefined;
  for (let r = 0; r < runs; r++) {
    world.load(initial);
    const schedule: number[] = [];
    for (;;) {
      const candidates = [...Array(world.threads).keys()].filter((t) => !world.done(t));
      if (candidates.length === 0) break;
      let progressed = false;
      let violation: Violation | undefined;
      // Try threads in a random order until one is enabled.
      for (const t of candidates.sort(() => random() - 0.5)) {
        const fp = world.step(t, (v) => {
          violation ??= v;
        });
        if (!fp) continue;
        schedule.push(t);
        transitions++;
        progressed = true;
        break;
      }
      if (violation) {
        if (!best || schedule.length < best.schedule.length) best = { schedule: [...schedule], violation };
        break;
      }
      if (!progressed) {
        const v = deadlock(world, candidates);
        if (!best || schedule.length < best.schedule.length) best = { schedule: [...schedule], violation: v };
        break;
      }
    }
  }
  world.load(initial);
  return {
    verdict: best ? 'unsafe' : 'bounded',
    states: runs,
    transitions,
    seconds: (performance.now() - started) / 1000,
    schedule: best?.schedule,
    violation: best?.violation,
  };
}

/** Run one schedule from the start; returns every step's label and the first violation. */
export function replay(
  program: Program,
  schedule: readonly number[],
  each?: (label: StepLabel) => void,
): { labels: StepLabel[]; violation?: Violation; error?: string } {
  const world = new World(program);
  const initial = world.save();
  const labels: StepLabel[] = [];
  let violation: Violation | undefined;
  for (const [i, t] of schedule.entries()) {
    if (t < 0 || t >= world.threads || world.done(t)) {
      world.load(initial);
      return { labels, error: `step ${i + 1}: thread ${t} cannot run here` };
    }
    const fp = world.step(t, (v) => {
      violation ??= v;
    });
    if (!fp) {
      world.load(initial);
      return { labels, error: `step ${i + 1}: thread ${t} is blocked here` };
    }
    labels.push(world.lastLabel!);
    each?.(world.lastLabel!);
    if (violation) break;
  }
  world.load(initial);
  return { labels, violation };
}
