/**
 * The explorer's mutable world: model memory (journaled, so a backtrack undoes it), the writer's
 * position, and each walker's position in its trace trie. A state is a handful of integers, saved
 * and restored by depth in typed arrays, and keyed by integers (no strings, no copies of traces).
 */
import { Journal } from '../model/memory.js';
import type { Program, StepLabel, Violation, WriterStep } from './program.js';
import {
  type Edge,
  Footprint,
  NONE,
  READ,
  RMW,
  TRUTH,
  TraceTrie,
  WalkerSteps,
  WRITE,
} from './walker-steps.js';

/** A walker's canonical order in a state key: its group, then its state (node, private words). */
interface Group {
  readonly key: string;
  readonly members: readonly number[];
}

/** A writer step's outcome from one memory: not ready (null), or the memory effect of running it. */
interface WriterOutcome {
  readonly h2: number;
  effect: Int32Array | null;
  /** Another memory with the same first hash half. */
  next: WriterOutcome | undefined;
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
  private readonly privateWords: readonly (readonly number[])[];
  private readonly privateInitial: readonly (readonly number[])[];
  private readonly groups: readonly Group[];
  private readonly order: Int32Array;
  private readonly iterations: Int32Array;
  /** The writer's steps and their footprints, by position (planning happens on first reach). */
  private readonly writerSteps: (WriterStep | undefined | null)[] = [];
  private readonly writerFootprints: Footprint[] = [];
  /** The writer's outcomes by position and memory hash (see writerStep). */
  private readonly writerOutcomes: (Map<number, WriterOutcome> | undefined)[] = [];
  /**
   * The writer's bookkeeping depends only on how far the writer got (walkers change memory words
   * only), so one snapshot per writer position serves every state with that position; it is
   * restored only when something reads it (a writer step, a judgement not made before).
   */
  private readonly books = new Map<number, unknown>();
  private bookPc = 0;
  /** Saved states by slot: journal length, writer position, then each walker's node. */
  private saved: Int32Array;
  private readonly frame: number;
  /** The truth state of a pfn now (for naming a bad read). */
  private readonly truthState = (pfn: number): string => {
    this.ensureBooks();
    return this.program.truthState(pfn);
  };

  constructor(
    readonly program: Program,
    symmetry = true,
  ) {
    const mem = program.mem;
    this.journal = mem.journal ?? mem.startJournal();
    const tries = new Map<string, TraceTrie>();
    this.walkers = program.walkers.map((w, i) => {
      let trie = tries.get(w.symmetryKey);
      if (!trie) {
        trie = new TraceTrie();
        tries.set(w.symmetryKey, trie);
      }
      return new WalkerSteps(w, i + 1, trie, mem);
    });
    this.traces = Int32Array.from(this.walkers, (w) => w.trie.root(0));
    this.iterations = Int32Array.from(program.walkers, (w) => w.iterations);
    this.privateWords = program.walkers.map((w) => w.privateWords);
    this.privateInitial = program.walkers.map((w) => w.privateWords.map((a) => mem.words[a]));
    const byKey = new Map<string, number[]>();
    program.walkers.forEach((w, i) => {
      const k = symmetry ? w.symmetryKey : `${w.symmetryKey}#${i}`;
      const g = byKey.get(k);
      if (g) g.push(i);
      else byKey.set(k, [i]);
    });
    this.groups = [...byKey.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([key, members]) => ({ key, members }));
    this.order = new Int32Array(program.walkers.length);
    this.keyLength = 3 + program.walkers.reduce((n, w) => n + 2 + w.privateWords.length, 0);
    this.frame = 2 + program.walkers.length;
    this.saved = new Int32Array(this.frame * 64);
  }

  get threads(): number {
    return 1 + this.walkers.length;
  }

  threadNames(ids: readonly number[]): string {
    return ids.map((t) => (t === 0 ? 'the writer' : this.program.walkers[t - 1].name)).join(', ');
  }

  /** The writer's step at pc (planned, with the bookkeeping of pc, on first reach). */
  private writerStepAt(pc: number): WriterStep | undefined {
    const s = this.writerSteps[pc];
    if (s !== undefined) return s ?? undefined;
    this.ensureBooks();
    const step = this.program.writerStep(pc);
    this.writerSteps[pc] = step ?? null;
    if (step) {
      const f = step.footprint;
      this.writerFootprints[pc] = f
        ? new Footprint(f.reads, [...f.writes, TRUTH], false)
        : new Footprint([], [TRUTH], true);
    }
    return step;
  }

  done(thread: number): boolean {
    if (thread === 0) return this.writerStepAt(this.pc) === undefined;
    return this.walkers[thread - 1].trie.iteration(this.traces[thread - 1]) >= this.iterations[thread - 1];
  }

  allDone(): boolean {
    for (let t = 0; t < this.threads; t++) if (!this.done(t)) return false;
    return true;
  }

  /** Bring the writer's bookkeeping to the current position (see books). */
  private ensureBooks(): void {
    if (this.bookPc === this.pc) return;
    this.program.restore(this.books.get(this.pc));
    this.bookPc = this.pc;
  }

  private keepBooks(): void {
    if (!this.books.has(this.pc)) {
      this.ensureBooks();
      this.books.set(this.pc, this.program.snapshot());
    }
  }

  /**
   * The state key into `out`: writer position, the shared memory hash (walkers' private words
   * counted at their initial values), then walkers in canonical order - groups by name, members
   * by node and private words, ties by thread - with their node's 64-bit hash and private words. `perm`
   * receives that order (thread id -> canonical id, 1..n) so sleep sets compare across symmetric
   * states. (The 2026-12-06 engine numbered them by a sparse array's length, which skipped ids
   * when a higher thread sorted first, so symmetric images of a state could compare sleep sets
   * under different ids; same states and verdicts, a few percent fewer transitions, unsoundly.)
   */
  key(out: Int32Array, perm: Int32Array): void {
    let h1 = this.journal.hash1;
    let h2 = this.journal.hash2;
    const words = this.program.mem.words;
    for (let i = 0; i < this.walkers.length; i++) {
      const priv = this.privateWords[i];
      for (let k = 0; k < priv.length; k++) {
        const a = priv[k];
        const init = this.privateInitial[i][k];
        const cur = words[a];
        if (cur !== init) {
          h1 ^= Journal.contribution1(a, init) ^ Journal.contribution1(a, cur);
          h2 ^= Journal.contribution2(a, init) ^ Journal.contribution2(a, cur);
        }
      }
    }
    out[0] = this.pc;
    out[1] = h1;
    out[2] = h2;
    perm[0] = 0;
    let at = 3;
    let canonical = 1;
    const order = this.order;
    for (const g of this.groups) {
      const m = g.members;
      for (let j = 0; j < m.length; j++) order[j] = m[j];
      // Insertion sort: groups are a few walkers.
      for (let j = 1; j < m.length; j++) {
        const x = order[j];
        let k = j - 1;
        while (k >= 0 && this.compareWalkers(order[k], x) > 0) {
          order[k + 1] = order[k];
          k--;
        }
        order[k + 1] = x;
      }
      for (let j = 0; j < m.length; j++) {
        const i = order[j];
        perm[i + 1] = canonical++;
        const tn = this.walkers[i].trie.nodes[this.traces[i]];
        out[at++] = tn.hash1;
        out[at++] = tn.hash2;
        const priv = this.privateWords[i];
        for (let k = 0; k < priv.length; k++) out[at++] = words[priv[k]];
      }
    }
  }

  /** Walkers of a group by node (its hash: the same in every search), then private words, then thread. */
  private compareWalkers(a: number, b: number): number {
    const nodes = this.walkers[a].trie.nodes;
    const ta = nodes[this.traces[a]];
    const tb = nodes[this.traces[b]];
    if (ta !== tb) return ta.hash1 !== tb.hash1 ? ta.hash1 - tb.hash1 : ta.hash2 - tb.hash2;
    const words = this.program.mem.words;
    const pa = this.privateWords[a];
    const pb = this.privateWords[b];
    for (let k = 0; k < pa.length && k < pb.length; k++) {
      const e = words[pa[k]] - words[pb[k]];
      if (e !== 0) return e;
    }
    return a - b;
  }

  /** Run thread's next transition. Returns its footprint, or undefined if it is disabled (nothing changed). */
  step(thread: number, labels = false): Footprint | undefined {
    this.violation = undefined;
    if (thread === 0) return this.writerStep(labels);
    return this.walkerStep(thread - 1, labels);
  }

  /**
   * The writer's step. Its outcome - ready or not, and what it changes - is a function of the
   * writer's position, memory and bookkeeping; the bookkeeping is a function of the position
   * (books), and memory is identified by its 64-bit hash as state keys identify it (the shadow
   * with it: only the writer changes the shadow, as it changes the words). So the first run from
   * a (pc, memory) is kept as a memory effect and replayed from then on, without restoring the
   * bookkeeping or running the kernel code. A trace (labels) always runs the step.
   */
  private writerStep(labels: boolean): Footprint | undefined {
    const s = this.writerStepAt(this.pc);
    if (!s) return undefined;
    const pc = this.pc;
    const h1 = this.journal.hash1;
    const h2 = this.journal.hash2;
    const known = labels ? undefined : this.writerMemo(pc, h1, h2);
    if (known) {
      if (known.effect === null) return undefined;
      this.program.mem.applyEffect(known.effect);
      this.pc++;
      return this.writerFootprints[pc];
    }
    this.ensureBooks();
    const ready = s.ready();
    const memo: WriterOutcome = { h2, effect: null, next: undefined };
    if (!labels) this.rememberWriter(pc, h1, memo);
    if (!ready) return undefined;
    this.keepBooks();
    const mark = this.journal.length;
    s.run();
    if (!labels) memo.effect = this.program.mem.effectSince(mark);
    this.pc++;
    this.bookPc = this.pc;
    this.keepBooks();
    if (labels) this.lastLabel = { thread: 0, fn: s.fn, detail: s.detail, pfn: s.pfn, held: this.heldList() };
    return this.writerFootprints[pc];
  }

  private writerMemo(pc: number, h1: number, h2: number): WriterOutcome | undefined {
    let o = this.writerOutcomes[pc]?.get(h1);
    while (o && o.h2 !== h2) o = o.next;
    return o;
  }

  private rememberWriter(pc: number, h1: number, o: WriterOutcome): void {
    let m = this.writerOutcomes[pc];
    if (!m) {
      m = new Map();
      this.writerOutcomes[pc] = m;
    }
    o.next = m.get(h1);
    m.set(h1, o);
  }

  heldList(): { thread: number; pfn: number }[] {
    const out: { thread: number; pfn: number }[] = [];
    this.walkers.forEach((w, i) => {
      for (const pfn of w.node(this.traces[i]).heldAtStart) out.push({ thread: i + 1, pfn });
    });
    return out;
  }

  private walkerStep(index: number, labels: boolean): Footprint | undefined {
    const w = this.walkers[index];
    const trace = this.traces[index];
    if (w.trie.iteration(trace) >= this.iterations[index]) return undefined;
    const n = w.node(trace);
    const e = w.edge(n);
    if (e.blocked) return undefined;
    const mem = this.program.mem;
    let value = 0;
    if (n.kind === READ) {
      value = mem.words[n.addr];
      this.violation = w.checkRead(n, value, this.truthState);
    } else if (n.kind === WRITE) {
      value = n.writeValue;
      mem.store(n.addr, value);
    } else if (n.kind === RMW) {
      value = mem.words[n.addr];
      mem.store(n.addr, e.newValue);
    }
    if (e.expects.length) this.judge(w, e);
    // pfnlab bugs looks for one bug's kind of violation only.
    if (this.violation && this.program.onlyViolations?.has(this.violation.kind) === false)
      this.violation = undefined;
    this.traces[index] = e.next;
    if (labels) this.labelWalker(w, n.kind === NONE ? undefined : w.describe(n, e, value), e);
    return e.footprint;
  }

  /** The walker's expect()s after its access, each judged by the truth now (once per writer position). */
  private judge(w: WalkerSteps, e: Edge): void {
    for (const x of e.expects) {
      let v = x.verdicts[this.pc];
      if (v === undefined) {
        this.ensureBooks();
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
    this.keepBooks();
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
  }

  /** Back to the state saved in slot, bookkeeping included (a search's end). */
  reset(slot: number): void {
    this.load(slot);
    this.ensureBooks();
  }

  load(slot: number): void {
    const at = slot * this.frame;
    this.program.mem.undoTo(this.saved[at]);
    this.pc = this.saved[at + 1];
    for (let i = 0; i < this.traces.length; i++) this.traces[i] = this.saved[at + 2 + i];
  }
}
