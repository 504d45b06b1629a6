/**
 * The explorer's mutable world: model memory (journaled, so a backtrack undoes it), the writer's
 * position, and each walker's position in its trace trie. A state is a handful of integers, saved
 * and restored by depth in typed arrays, and keyed by integers (state-key.ts: no strings, no copies
 * of traces). The searches that walk it live in search-*.ts.
 */
import type { Journal } from '../model/memory.js';
import type { Program, StepLabel, Violation } from './program.js';
import { StateKey } from './state-key.js';
import {
  type Edge,
  type Footprint,
  NONE,
  READ,
  RMW,
  TraceTrie,
  type WalkerNode,
  WalkerSteps,
  WRITE,
} from './walker-steps.js';
import { WeakLoads } from './weak-loads.js';
import { WriterSteps } from './writer-steps.js';

/** Each walker's steps, walkers of one symmetry key sharing a trace trie. */
function walkerSteps(program: Program): WalkerSteps[] {
  const tries = new Map<string, TraceTrie>();
  return program.walkers.map((w, i) => {
    let trie = tries.get(w.symmetryKey);
    if (!trie) {
      trie = new TraceTrie();
      tries.set(w.symmetryKey, trie);
    }
    return new WalkerSteps(w, i + 1, trie, program.mem);
  });
}

export class World {
  pc = 0;
  /** Each walker's trace node (its iteration and the values it read in it). */
  readonly traces: Int32Array;
  readonly journal: Journal;
  readonly walkers: readonly WalkerSteps[];
  /** The first violation the last step met. */
  violation: Violation | undefined;
  /** The label of the last step (when labels are asked for: traces, replays). */
  lastLabel: StepLabel | undefined;
  /** Number of words in a state key. */
  readonly keyLength: number;
  private readonly stateKey: StateKey;
  private readonly writer: WriterSteps;
  /** Under --memory-model lkmm: the walkers' floors and early loads (weak-loads.ts). */
  private readonly weak: WeakLoads | undefined;
  private readonly iterations: Int32Array;
  /** Saved states by slot: journal length, writer position, then each walker's node. */
  private saved: Int32Array;
  private readonly frame: number;
  /** The truth state of a pfn now (for naming a bad read). */
  private readonly truthState = (pfn: number): string => {
    this.writer.ensureBooks(this.pc);
    return this.program.truthState(pfn);
  };

  constructor(
    readonly program: Program,
    symmetry = true,
  ) {
    const mem = program.mem;
    this.journal = mem.journal ?? mem.startJournal();
    this.walkers = walkerSteps(program);
    this.writer = new WriterSteps(program, this.journal);
    const nw = program.walkers.length;
    this.weak =
      program.memoryModel === 'lkmm' ? new WeakLoads(nw, program.acquireKinds ?? new Set()) : undefined;
    // Floors are per walker: under lkmm walkers are not interchangeable in a key.
    this.stateKey = new StateKey(program, this.walkers, symmetry && !this.weak);
    this.keyLength = this.stateKey.length + (this.weak ? nw : 0);
    this.traces = Int32Array.from(this.walkers, (w) => w.trie.root(0));
    this.iterations = Int32Array.from(program.walkers, (w) => w.iterations);
    this.frame = 2 + nw * (this.weak ? 2 : 1);
    this.saved = new Int32Array(this.frame * 64);
  }

  /** The writer, the walkers, and under lkmm each walker's early-load pseudo-thread after them. */
  get threads(): number {
    return 1 + this.walkers.length * (this.weak ? 2 : 1);
  }

  /** The walker a thread id runs: 1..n its own, n+1..2n its loads satisfied early. */
  private walkerOf(thread: number): number {
    const n = this.walkers.length;
    return thread > n ? thread - 1 - n : thread - 1;
  }

  threadNames(ids: readonly number[]): string {
    const name = (t: number) =>
      t === 0
        ? 'the writer'
        : `${this.program.walkers[this.walkerOf(t)].name}${t > this.walkers.length ? ' (a load satisfied early)' : ''}`;
    return ids.map(name).join(', ');
  }

  done(thread: number): boolean {
    if (thread === 0) return this.writer.at(this.pc) === undefined;
    const i = this.walkerOf(thread);
    return this.walkers[i].trie.iteration(this.traces[i]) >= this.iterations[i];
  }

  allDone(): boolean {
    for (let t = 0; t < this.threads; t++) if (!this.done(t)) return false;
    return true;
  }

  /** The state key into `out` and the canonical order of threads into `perm` (see StateKey.write). */
  key(out: Int32Array, perm: Int32Array): void {
    this.stateKey.write(out, perm, this.pc, this.traces);
    if (!this.weak) return;
    const n = this.walkers.length;
    for (let i = 0; i < n; i++) {
      out[this.stateKey.length + i] = this.weak.floors[i];
      perm[1 + n + i] = n + perm[1 + i];
    }
  }

  /** Run thread's next transition. Returns its footprint, or undefined if it is disabled (nothing changed). */
  step(thread: number, labels = false): Footprint | undefined {
    this.violation = undefined;
    if (thread === 0) return this.writerStep(labels);
    if (thread > this.walkers.length) return this.walkerStep(thread - 1 - this.walkers.length, labels, true);
    return this.walkerStep(thread - 1, labels, false);
  }

  /** The writer's step (see WriterSteps.run), its position advanced when it ran. */
  private writerStep(labels: boolean): Footprint | undefined {
    const pc = this.pc;
    const s = this.writer.at(pc);
    const from = this.journal.length;
    const footprint = s && this.writer.run(pc, labels);
    if (!s || !footprint) return undefined;
    this.weak?.writerRan(pc, this.journal, from);
    this.pc++;
    if (labels) this.lastLabel = { thread: 0, fn: s.fn, detail: s.detail, pfn: s.pfn, held: this.heldList() };
    return footprint;
  }

  heldList(): { thread: number; pfn: number }[] {
    const out: { thread: number; pfn: number }[] = [];
    this.walkers.forEach((w, i) => {
      for (const pfn of w.node(this.traces[i]).heldAtStart) out.push({ thread: i + 1, pfn });
    });
    return out;
  }

  /**
   * A walker's next transition: its access, its expect()s, its move along its trace. `early`: its
   * load satisfied early (lkmm), reading the word as it was at the walker's floor; undefined when
   * that load may not be.
   */
  private walkerStep(index: number, labels: boolean, early: boolean): Footprint | undefined {
    const w = this.walkers[index];
    const trace = this.traces[index];
    if (w.trie.iteration(trace) >= this.iterations[index]) return undefined;
    const n = w.node(trace);
    let e = w.edge(n);
    let value: number;
    if (early) {
      const v = this.weak!.earlyValue(w, index, trace, n, this.pc, this.program.mem);
      if (v === undefined) return undefined;
      e = this.edgeReading(w, n, v);
      value = v;
      this.violation = this.weak!.earlyRead(w, n, v, this.truthState, this.program.mem, this.floorOf(index));
    } else {
      if (e.blocked) return undefined;
      value = this.access(w, n, e);
    }
    if (e.expects.length) this.judge(w, e);
    this.filterViolation();
    this.traces[index] = e.next;
    if (labels) this.labelWalker(w, this.accessText(w, n, e, value, early, index), e);
    if (!this.weak) return e.footprint;
    const fp = this.weak.footprint(index, e.footprint, n, e.finished, this.program.mem.shadow);
    this.weak.stepped(index, n, e.finished, early, this.program.mem.shadow, this.pc);
    return fp;
  }

  private floorOf(index: number): number {
    return this.weak ? this.weak.floors[index] : this.pc;
  }

  /** The edge a read takes when it finds `value` (memory shows it for the lookup, then is put back). */
  private edgeReading(w: WalkerSteps, n: WalkerNode, value: number): Edge {
    const words = this.program.mem.words;
    const now = words[n.addr];
    words[n.addr] = value;
    try {
      return w.edge(n);
    } finally {
      words[n.addr] = now;
    }
  }

  private accessText(
    w: WalkerSteps,
    n: WalkerNode,
    e: Edge,
    value: number,
    early: boolean,
    index: number,
  ): string | undefined {
    if (n.kind === NONE) return undefined;
    const text = w.describe(n, e, value);
    return early ? `${text}, satisfied early: as after writer step ${this.floorOf(index)}` : text;
  }

  /** Perform a walker node's access on memory (a read is checked by the shadow); the value read or written. */
  private access(w: WalkerSteps, n: WalkerNode, e: Edge): number {
    const mem = this.program.mem;
    if (n.kind === READ) {
      const value = mem.words[n.addr];
      this.violation = w.checkRead(n, value, this.truthState);
      return value;
    }
    if (n.kind === WRITE) {
      mem.store(n.addr, n.writeValue);
      return n.writeValue;
    }
    if (n.kind === RMW) {
      const value = mem.words[n.addr];
      mem.store(n.addr, e.newValue);
      return value;
    }
    return 0;
  }

  /** pfnlab bugs looks for one bug's kind of violation only: others are not violations. */
  private filterViolation(): void {
    if (this.violation && this.program.onlyViolations?.has(this.violation.kind) === false)
      this.violation = undefined;
  }

  /** The walker's expect()s after its access, each judged by the truth now (once per writer position). */
  private judge(w: WalkerSteps, e: Edge): void {
    for (const x of e.expects) {
      let v = x.verdicts[this.pc];
      if (v === undefined) {
        this.writer.ensureBooks(this.pc);
        v = this.program.judge(x.pfn, x.answer, x.what) ?? null;
        x.verdicts[this.pc] = v;
      }
      if (v !== null && !this.violation)
        this.violation = {
          kind: 'wrong-answer',
          thread: w.thread,
          pfn: x.pfn,
          message: `${w.program.name}: ${v}`,
        };
    }
  }

  private labelWalker(w: WalkerSteps, access: string | undefined, e: Edge): void {
    this.lastLabel = {
      thread: w.thread,
      fn: e.label.fn,
      detail: e.label.detail,
      pfn: e.label.pfn,
      access,
      held: this.heldList(),
    };
  }

  /** Save the current state in slot (a depth of the search). */
  save(slot: number): void {
    this.writer.keepBooks(this.pc);
    const f = this.frame;
    if ((slot + 1) * f > this.saved.length) {
      const bigger = new Int32Array(this.saved.length * 2 + f);
      bigger.set(this.saved);
      this.saved = bigger;
    }
    const at = slot * f;
    this.saved[at] = this.journal.length;
    this.saved[at + 1] = this.pc;
    this.saved.set(this.traces, at + 2);
    this.weak?.save(this.saved, at + 2 + this.traces.length);
  }

  /** Back to the state saved in slot, bookkeeping included (a search's end). */
  reset(slot: number): void {
    this.load(slot);
    this.writer.ensureBooks(this.pc);
  }

  load(slot: number): void {
    const at = slot * this.frame;
    this.program.mem.undoTo(this.saved[at]);
    this.pc = this.saved[at + 1];
    for (let i = 0; i < this.traces.length; i++) this.traces[i] = this.saved[at + 2 + i];
    this.weak?.load(this.saved, at + 2 + this.traces.length);
  }
}
