/**
 * `explore --memory-model lkmm`: a walker's loads satisfied out of order, where the Linux-kernel
 * memory model lets them be.
 *
 * Under LKMM a load that no acquire, address dependency or fence orders after an earlier load of
 * the same CPU may be satisfied before it (linux-kernel.cat: ppo holds only acquire, dependencies,
 * fences and the like; a control dependency orders later stores, not later loads). Operationally:
 * since its last ordering point a walker may read a word as it was then instead of as it is now.
 * Each walker keeps a floor: the writer's position (steps done) at its last ordering point; a load
 * may return the word's value at the floor when that differs from its value now. The explorer
 * offers that as a transition of its own (a pseudo-thread per walker, ids after the real ones),
 * so a counterexample's schedule names it and replays like any other.
 *
 * Ordering points (the floor moves to the writer's position now): the start of an iteration, a
 * walker's own store or read-modify-write (value-returning RMWs are full barriers in LKMM; plain
 * stores are taken as one too, which only removes behaviours), and a load the design declares an
 * acquire or rcu_dereference() (`accesses`: the protocol's `word`), which orders what follows it.
 *
 * What this covers, and what it does not (the README says the same): loads of mem_section words,
 * mem_section_usage words and struct pages are relaxed; RCU, lock, pgmap and global words, and
 * words the walker itself wrote, are read as they are (the RCU and lock algorithms the explorer
 * runs are written for ordered accesses). A relaxed load reads the floor's value or the current
 * one, not the values in between; the writer's kernel steps stay atomic and ordered (its stores
 * are not reordered against each other). Address dependencies are not traced: a load through a
 * pointer read in the same iteration is relaxed like any other. Everything else of LKMM (store
 * reordering, cumulativity, the full RCU axiom) is `pfnlab litmus`'s.
 */
import { J_WORD, type Journal, MemKind, type Memory, SHADOW_FREED } from '../model/memory.js';
import type { Violation } from './program.js';
import { Footprint, NONE, READ, TRUTH, type WalkerNode, type WalkerSteps } from './walker-steps.js';

/** Kinds of memory whose loads may be satisfied early. */
const RELAXED = new Set<number>([MemKind.SectionRoot, MemKind.Usage, MemKind.MemmapNode, MemKind.Pages]);

/** A pseudo address only walker i's own transitions touch: its normal and its early load conflict. */
function ownWord(walker: number): number {
  return -2 - walker;
}

export class WeakLoads {
  /** Each walker's floor: the writer's position at its last ordering point. */
  readonly floors: Int32Array;
  /** For each writer position on the current path, the first old value of each word its step changed. */
  private readonly changed: (Map<number, number> | undefined)[] = [];
  /** Footprints with the walker's own word added, by the edge footprint they extend. */
  private readonly own = new Map<Footprint, Footprint>();
  private readonly ordering = new Map<Footprint, Footprint>();

  constructor(
    walkers: number,
    /** Kinds of memory whose loads the design declares acquire (or rcu_dereference()). */
    private readonly acquireKinds: ReadonlySet<number>,
  ) {
    this.floors = new Int32Array(walkers);
  }

  /** The writer's step at pc changed journal entries [from, to): keep each word's value before it. */
  writerRan(pc: number, journal: Journal, from: number): void {
    const e = journal.entries;
    const m = new Map<number, number>();
    for (let i = from; i < e.length; i += 3)
      if (e[i] === J_WORD && !m.has(e[i + 1])) m.set(e[i + 1], e[i + 2]);
    this.changed[pc] = m;
  }

  /** A word's value after `floor` writer steps, `pc` having run (the current path's). */
  private valueAt(floor: number, pc: number, addr: number, words: Int32Array): number {
    for (let k = floor; k < pc; k++) {
      const old = this.changed[k]?.get(addr);
      if (old !== undefined) return old;
    }
    return words[addr];
  }

  /**
   * The value walker `index` may read early at node n (its floor's, differing from now's), or
   * undefined when it may not: not a relaxed load, nothing older to see, or a read of the same word
   * earlier in the iteration (or its own store there) already saw something else (coherence).
   */
  earlyValue(
    w: WalkerSteps,
    index: number,
    trace: number,
    n: WalkerNode,
    pc: number,
    mem: Memory,
  ): number | undefined {
    if (n.kind !== READ || this.floors[index] >= pc) return undefined;
    if (!RELAXED.has(mem.shadow[n.addr] & ~SHADOW_FREED)) return undefined;
    const value = this.valueAt(this.floors[index], pc, n.addr, mem.words);
    if (value === mem.words[n.addr] || !this.coherent(w, trace, n.addr, value)) return undefined;
    return value;
  }

  /**
   * What an early read of `value` is, by the shadow (checkRead). A struct page read early that is
   * poison-pattern now initialized was read before its initialization: uninitialized, whatever the
   * truth says of the page now.
   */
  earlyRead(
    w: WalkerSteps,
    n: WalkerNode,
    value: number,
    truthState: (pfn: number) => string,
    mem: Memory,
    floor: number,
  ): Violation | undefined {
    const v = w.checkRead(n, value, truthState);
    if (!v) return undefined;
    const when = ` (a load satisfied early: the word as after writer step ${floor})`;
    if (v.kind === 'poisoned-deref' && mem.words[n.addr] !== value)
      return {
        ...v,
        kind: 'uninitialized-deref',
        message: `${v.message.replace('the poisoned struct page', 'the uninitialized struct page')}${when}`,
      };
    return { ...v, message: `${v.message}${when}` };
  }

  /** No earlier access of addr in this iteration read (or wrote) anything but `value`. */
  private coherent(w: WalkerSteps, trace: number, addr: number, value: number): boolean {
    const tn = w.trie.nodes[trace];
    let id = w.trie.root(tn.iteration);
    for (const v of tn.values) {
      const a = w.node(id);
      if (a.kind !== NONE && a.addr === addr && (a.kind !== READ || v !== value)) return false;
      id = w.trie.child(id, v);
    }
    return true;
  }

  /** After walker `index`'s step at node n: its floor moves to pc at an ordering point. */
  stepped(
    index: number,
    n: WalkerNode,
    finished: boolean,
    early: boolean,
    shadow: Uint8Array,
    pc: number,
  ): void {
    if (this.isOrdering(n, finished, early, shadow)) this.floors[index] = pc;
  }

  private isOrdering(n: WalkerNode, finished: boolean, early: boolean, shadow: Uint8Array): boolean {
    if (finished || (n.kind !== READ && n.kind !== NONE)) return true;
    // An acquire read early keeps the floor it read at; read now, it orders everything after it.
    return n.kind === READ && !early && this.acquireKinds.has(shadow[n.addr] & ~SHADOW_FREED);
  }

  /**
   * A walker transition's footprint under lkmm: its own word (its normal and early loads conflict),
   * and at an ordering point the truth too, so that it is dependent with every writer step (where
   * the floor lands depends on how many have run).
   */
  footprint(index: number, fp: Footprint, n: WalkerNode, finished: boolean, shadow: Uint8Array): Footprint {
    const ordering = this.isOrdering(n, finished, false, shadow);
    const cache = ordering ? this.ordering : this.own;
    let f = cache.get(fp);
    if (!f) {
      const own = ownWord(index);
      f = new Footprint(
        ordering ? [...fp.reads, own, TRUTH] : [...fp.reads, own],
        [...fp.writes, own],
        fp.all,
      );
      cache.set(fp, f);
    }
    return f;
  }

  save(out: Int32Array, at: number): void {
    out.set(this.floors, at);
  }

  load(from: Int32Array, at: number): void {
    for (let i = 0; i < this.floors.length; i++) this.floors[i] = from[at + i];
  }
}
