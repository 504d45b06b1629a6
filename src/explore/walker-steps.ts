/**
 * A walker's transitions, learned once and then applied without running the walker.
 *
 * A walker is a plain function whose only inputs are the values its accesses return (it is
 * deterministic given what it reads), so what its next transition does is a function of the
 * values it has read so far in this iteration: which word it accesses and how, and - given the
 * value found there - what it notes, holds, expects and whether it finishes. The first time a
 * (iteration, values so far, value found) is met, the walker is re-executed from the start of its
 * iteration with its earlier accesses replayed (stateless model checking's re-execution) and the
 * outcome is kept in a trie of traces; every later time the outcome is applied directly: one
 * word read or written, a few checks. Re-execution, which cost a walker run per transition, now
 * costs one per distinct trace.
 *
 * Walkers of one symmetry group share a trie: equal traces are one node, so a state key can
 * compare walkers of a group by node id (what the string key compared by trace values).
 */
import { MEM_KIND_NAMES, MemKind, type Memory, NULL, SHADOW_FREED } from '../model/memory.js';
import type { WalkerCtx } from '../walkers/kernel.js';
import type { Violation, WalkerProgram } from './program.js';

/** A pseudo address: the truth (written by every writer step, read by expect()). */
export const TRUTH = -1;

/** The words a transition reads and writes, for sleep sets. */
export class Footprint {
  readonly readSet: ReadonlySet<number>;
  readonly writeSet: ReadonlySet<number>;
  constructor(
    readonly reads: readonly number[],
    readonly writes: readonly number[],
    /** May touch anything: dependent with every transition. */
    readonly all: boolean,
    /**
     * A walker transition whose outcome depends on the truth although TRUTH is not among its
     * reads: one that read -1 from a word (a poisoned or uninitialized struct page is named by
     * the truth). Only a kernel step's run footprint (writerRun) looks at it.
     */
    readonly namesByTruth = false,
    /**
     * A kernel step's footprint as one run of it showed (see WriterRunFootprint): the words it
     * wrote and whose shadow it changed, sorted; it writes the truth and reads every word a
     * walker may write.
     */
    readonly writerRun?: Int32Array,
  ) {
    this.readSet = new Set(reads);
    this.writeSet = new Set(writes);
  }
}

/** Is a in the sorted array? */
function sortedHas(sorted: Int32Array, a: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === a) return true;
    if (v < a) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * A kernel step's run (writes: the sorted words it wrote or changed the shadow of, and the truth;
 * reads: every word a walker may write) against another thread's transition w: dependent when w
 * writes anything, reads the truth or is named by it, or reads a word the step wrote.
 */
function writerRunDependent(written: Int32Array, w: Footprint): boolean {
  if (w.writes.length > 0 || w.namesByTruth) return true;
  for (const r of w.reads) if (r === TRUTH || sortedHas(written, r)) return true;
  return false;
}

/** Two transitions are dependent when one writes what the other reads or writes. */
export function dependent(a: Footprint, b: Footprint): boolean {
  if (a.all || b.all) return true;
  if (a.writerRun) return writerRunDependent(a.writerRun, b);
  if (b.writerRun) return writerRunDependent(b.writerRun, a);
  for (const w of a.writes) if (b.readSet.has(w) || b.writeSet.has(w)) return true;
  for (const w of b.writes) if (a.readSet.has(w)) return true;
  return false;
}

/** How a walker's transition touches memory. */
export const READ = 0;
export const WRITE = 1;
export const RMW = 2;
/** The iteration ends without another access. */
export const NONE = 3;
const UNKNOWN = -1;

const YIELD = Symbol('yield');
const BLOCKED = Symbol('blocked');

function mixTrace(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  return h ^ (h >>> 15);
}

/**
 * One (iteration, values read so far) of a symmetry group's walkers. Its id is the order it was
 * met in (one search's); its two hashes name it the same in every search (state keys that threads
 * share): a 64-bit hash of the iteration and values.
 */
class TraceNode {
  readonly children = new Map<number, TraceNode>();
  constructor(
    readonly id: number,
    readonly iteration: number,
    readonly values: readonly number[],
    readonly hash1: number,
    readonly hash2: number,
  ) {}
}

/** A typed array twice as long with the same start. */
function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The traces of one symmetry group. */
export class TraceTrie {
  readonly nodes: TraceNode[] = [];
  /** Each node's two hash halves by id, for state keys (typed arrays: no object to load per walker and state). */
  hash1 = new Int32Array(64);
  hash2 = new Int32Array(64);
  private readonly roots: TraceNode[] = [];

  root(iteration: number): number {
    let r = this.roots[iteration];
    if (!r) {
      r = this.add(iteration, [], mixTrace(0x3c6ef372, iteration), mixTrace(0x510e527f, ~iteration));
      this.roots[iteration] = r;
    }
    return r.id;
  }

  child(id: number, value: number): number {
    const n = this.nodes[id];
    let c = n.children.get(value);
    if (!c) {
      c = this.add(
        n.iteration,
        [...n.values, value],
        mixTrace(n.hash1, value),
        mixTrace(n.hash2, value ^ 0x6a09e667),
      );
      n.children.set(value, c);
    }
    return c.id;
  }

  iteration(id: number): number {
    return this.nodes[id].iteration;
  }

  private add(iteration: number, values: number[], hash1: number, hash2: number): TraceNode {
    const n = new TraceNode(this.nodes.length, iteration, values, hash1, hash2);
    this.nodes.push(n);
    if (n.id >= this.hash1.length) {
      this.hash1 = grown(this.hash1);
      this.hash2 = grown(this.hash2);
    }
    this.hash1[n.id] = hash1;
    this.hash2[n.id] = hash2;
    return n;
  }
}

/** An expect() the walker makes after its access: judged against the truth when the transition runs. */
export interface Expect {
  readonly pfn: number;
  readonly answer: 'online' | 'device';
  readonly what: string;
  /** The judgement by writer position (the truth changes only with the writer): null is "right". */
  readonly verdicts: (string | null | undefined)[];
}

interface Note {
  readonly fn: string;
  readonly detail: string;
  readonly pfn: number | undefined;
}

/** A transition from a node, given the value its access finds (or writes). */
export interface Edge {
  /** An atomic update whose function refused: the walker waits (nothing changes). */
  readonly blocked: boolean;
  /** What an update writes. */
  readonly newValue: number;
  /** The node the walker is at afterwards (the next iteration's root when it finished). */
  readonly next: number;
  readonly finished: boolean;
  readonly expects: readonly Expect[];
  readonly footprint: Footprint;
  /** Pages held afterwards (for traces). */
  readonly held: readonly number[];
  /** What the transition is named after: the note in force at its access. */
  readonly label: Note;
}

/** What a walker does at one trace node: its access (learned on first use) and the edges by value. */
export class WalkerNode {
  kind = UNKNOWN;
  addr = 0;
  writeValue = 0;
  /** The note in force at the access: names a violation it finds. */
  accessNote: Note | undefined;
  readonly edges = new Map<number, Edge>();
  /** The last edge taken, by value: most nodes see one value again and again. */
  lastKey = 0;
  lastEdge: Edge | undefined;
  constructor(
    readonly trace: number,
    /** Pages held when the transition starts (the previous one's). */
    readonly heldAtStart: readonly number[],
  ) {}
}

function pageKind(kind: number): boolean {
  return kind === MemKind.MemmapNode || kind === MemKind.Pages;
}

/** The key an edge is found by: the value read (read, update) or written (write); 0 with no access. */
function edgeKey(node: WalkerNode, words: Int32Array): number {
  return node.kind === WRITE ? node.writeValue : node.kind === NONE ? 0 : words[node.addr];
}

/** One walker of the program: its nodes in its group's trie and how to learn and run them. */
export class WalkerSteps {
  private readonly nodes: (WalkerNode | undefined)[] = [];
  private readonly emptyHeld: readonly number[] = [];

  constructor(
    readonly program: WalkerProgram,
    /** The thread id (1 + the walker's index). */
    readonly thread: number,
    readonly trie: TraceTrie,
    private readonly mem: Memory,
  ) {}

  node(trace: number): WalkerNode {
    let n = this.nodes[trace];
    if (!n) {
      // Only roots are met before an edge created them: they start holding nothing.
      n = new WalkerNode(trace, this.emptyHeld);
      this.nodes[trace] = n;
    }
    return n;
  }

  /** The edge the walker at `trace` takes now, learning it if new. */
  edge(n: WalkerNode): Edge {
    const key = edgeKey(n, this.mem.words);
    if (n.lastEdge !== undefined && n.lastKey === key && n.kind !== UNKNOWN) return n.lastEdge;
    let e = n.kind === UNKNOWN ? undefined : n.edges.get(key);
    if (!e) e = this.learn(n);
    n.lastKey = edgeKey(n, this.mem.words);
    n.lastEdge = e;
    return e;
  }

  /**
   * Run the walker's iteration once with its trace replayed, up to the end of its next
   * transition, without changing memory: what it accesses, what it finds there, and what it does
   * until its following access (or its end). Everything it does depends only on those values.
   */
  private learn(n: WalkerNode): Edge {
    const program = this.program;
    const tn = this.trie.nodes[n.trace];
    const trace = tn.values;
    const words = this.mem.words;
    let pos = 0;
    let real = 0;
    let note: Note = { fn: program.name, detail: '', pfn: undefined };
    let accessNote = note;
    let replaying = true;
    let truth = false;
    let kind = NONE;
    let addr = 0;
    let writeValue = 0;
    let key = 0;
    let newValue = 0;
    const held = [...n.heldAtStart];
    const expects: Expect[] = [];
    /** Gate every access: replay it, perform it (once per transition), or stop here. */
    const gate = (): boolean => {
      if (pos < trace.length) return true;
      if (real > 0) throw YIELD;
      replaying = false;
      accessNote = note;
      return false;
    };
    const proxy = new Proxy(words, {
      get(target, k) {
        const a = typeof k === 'string' ? Number(k) : Number.NaN;
        if (!Number.isInteger(a)) return Reflect.get(target, k);
        if (gate()) return trace[pos++];
        const value = target[a];
        kind = READ;
        addr = a;
        key = value;
        pos++;
        real++;
        return value;
      },
      set(_target, k, value) {
        if (gate()) {
          pos++;
          return true;
        }
        kind = WRITE;
        addr = Number(k);
        writeValue = value as number;
        key = writeValue;
        pos++;
        real++;
        return true;
      },
    });
    const ctx: WalkerCtx = {
      mem: proxy,
      note(fn, detail, pfn) {
        note = { fn, detail, pfn };
      },
      rmw(a, f) {
        if (gate()) return trace[pos++];
        const old = words[a];
        kind = RMW;
        addr = a;
        key = old;
        const next = f(old);
        if (next === undefined) throw BLOCKED;
        newValue = next;
        pos++;
        real++;
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
        truth = true;
        if (!replaying) expects.push({ pfn, answer, what, verdicts: [] });
      },
    };
    let finished = false;
    let blocked = false;
    try {
      program.run(ctx, tn.iteration);
      finished = true;
    } catch (e) {
      if (e === BLOCKED) blocked = true;
      else if (e !== YIELD) throw e;
    }
    if (real === 0 && !finished && !blocked) throw new Error(`${program.name}: yielded without an access`);
    this.setAccess(n, kind, addr, writeValue, accessNote);
    const next = blocked
      ? n.trace
      : finished
        ? this.trie.root(tn.iteration + 1)
        : this.trie.child(n.trace, key);
    const after = finished ? this.emptyHeld : held;
    if (!blocked && !this.nodes[next]) this.nodes[next] = new WalkerNode(next, after);
    const reads = kind === READ || kind === RMW ? [addr] : [];
    const e: Edge = {
      blocked,
      newValue,
      next,
      finished,
      expects,
      footprint: new Footprint(
        truth ? [...reads, TRUTH] : reads,
        kind === WRITE || kind === RMW ? [addr] : [],
        false,
        (kind === READ || kind === RMW) && key === -1,
      ),
      held: after,
      label: real > 0 || blocked ? accessNote : note,
    };
    n.edges.set(key, e);
    return e;
  }

  /** The access a node makes is the same whatever it finds: a walker that says otherwise is not deterministic. */
  private setAccess(n: WalkerNode, kind: number, addr: number, writeValue: number, note: Note): void {
    if (n.kind === UNKNOWN) {
      n.kind = kind;
      n.addr = addr;
      n.writeValue = writeValue;
      n.accessNote = note;
      return;
    }
    if (
      n.kind !== kind ||
      (kind !== NONE && n.addr !== addr) ||
      (kind === WRITE && n.writeValue !== writeValue)
    )
      throw new Error(`${this.program.name}: not deterministic given what it reads (trace node ${n.trace})`);
  }

  /**
   * What reading `value` at the node's address is, by the shadow: a read of freed memory, of a
   * poisoned or uninitialized struct page; undefined when the read is fine.
   */
  checkRead(n: WalkerNode, value: number, truthState: (pfn: number) => string): Violation | undefined {
    const shadow = this.mem.shadow[n.addr];
    const kind = shadow & ~SHADOW_FREED;
    const note = n.accessNote!;
    const pfn = note.pfn ?? -1;
    const name = this.program.name;
    if (n.addr === NULL)
      return {
        kind: 'null-deref',
        thread: this.thread,
        pfn,
        message: `${name} dereferenced NULL in ${note.fn}${pfn >= 0 ? ` (pfn 0x${pfn.toString(16)})` : ''}`,
      };
    if (shadow & SHADOW_FREED) {
      const freedPage = pageKind(kind) || kind === MemKind.Vmemmap;
      return {
        kind: freedPage ? 'freed-deref' : 'use-after-free',
        thread: this.thread,
        pfn,
        message: `${name} read freed ${freedPage ? 'memmap' : 'kernel memory'} in ${note.fn}${pfn >= 0 ? ` (pfn 0x${pfn.toString(16)})` : ''}`,
      };
    }
    if (pageKind(kind) && value === -1) {
      const uninit = pfn >= 0 && ['uninitialized', 'driver-reserved'].includes(truthState(pfn));
      return {
        kind: uninit ? 'uninitialized-deref' : 'poisoned-deref',
        thread: this.thread,
        pfn,
        message: `${name} read the ${uninit ? 'uninitialized' : 'poisoned'} struct page of pfn 0x${pfn.toString(16)} in ${note.fn}`,
      };
    }
    return undefined;
  }

  /** What the access did, for a trace: "read mem_section = 0x7". */
  describe(n: WalkerNode, e: Edge, value: number): string | undefined {
    if (n.kind === NONE || e.blocked) return undefined;
    const verb = n.kind === READ ? 'read' : n.kind === WRITE ? 'write' : 'update';
    const v = n.kind === RMW ? e.newValue : value;
    const shadow = this.mem.shadow[n.addr];
    const kind = MEM_KIND_NAMES[shadow & ~SHADOW_FREED] ?? 'memory';
    const freed = shadow & SHADOW_FREED ? 'freed ' : '';
    return `${verb} ${freed}${kind} = ${v < 0 ? v : `0x${v.toString(16)}`}`;
  }
}
