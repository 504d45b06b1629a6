/**
 * A state's key: the integers that name an explorer state, with walkers of one symmetry group in
 * a canonical order (the symmetry reduction: states that differ only by a permutation of
 * interchangeable walkers get one key).
 */
import { Journal, type Memory } from '../model/memory.js';
import type { Program } from './program.js';
import type { WalkerSteps } from './walker-steps.js';

/** Walkers with one symmetry key, in thread order. */
interface Group {
  readonly key: string;
  readonly members: readonly number[];
}

/** The symmetry groups of a program's walkers, by key (each walker its own group without symmetry). */
function symmetryGroups(program: Program, symmetry: boolean): Group[] {
  const byKey = new Map<string, number[]>();
  program.walkers.forEach((w, i) => {
    const k = symmetry ? w.symmetryKey : `${w.symmetryKey}#${i}`;
    const g = byKey.get(k);
    if (g) g.push(i);
    else byKey.set(k, [i]);
  });
  return [...byKey.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([key, members]) => ({ key, members }));
}

export class StateKey {
  /** Number of words in a state key. */
  readonly length: number;
  private readonly privateWords: readonly (readonly number[])[];
  private readonly privateInitial: readonly (readonly number[])[];
  private readonly groups: readonly Group[];
  private readonly order: Int32Array;
  private readonly mem: Memory;

  constructor(
    program: Program,
    private readonly walkers: readonly WalkerSteps[],
    symmetry: boolean,
  ) {
    this.mem = program.mem;
    this.privateWords = program.walkers.map((w) => w.privateWords);
    this.privateInitial = program.walkers.map((w) => w.privateWords.map((a) => this.mem.words[a]));
    this.groups = symmetryGroups(program, symmetry);
    this.order = new Int32Array(program.walkers.length);
    this.length = 3 + program.walkers.reduce((n, w) => n + 2 + w.privateWords.length, 0);
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
  write(out: Int32Array, perm: Int32Array, pc: number, traces: Int32Array): void {
    this.writeShared(out, pc);
    perm[0] = 0;
    let at = 3;
    let canonical = 1;
    const words = this.mem.words;
    for (const g of this.groups) {
      this.sortGroup(g.members, traces);
      for (let j = 0; j < g.members.length; j++) {
        const i = this.order[j];
        perm[i + 1] = canonical++;
        const trie = this.walkers[i].trie;
        out[at++] = trie.hash1[traces[i]];
        out[at++] = trie.hash2[traces[i]];
        const priv = this.privateWords[i];
        for (let k = 0; k < priv.length; k++) out[at++] = words[priv[k]];
      }
    }
  }

  /** Words 0-2: the writer's position and the memory hash without the walkers' private words. */
  private writeShared(out: Int32Array, pc: number): void {
    const journal = this.mem.journal!;
    let h1 = journal.hash1;
    let h2 = journal.hash2;
    const words = this.mem.words;
    for (let i = 0; i < this.privateWords.length; i++) {
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
    out[0] = pc;
    out[1] = h1;
    out[2] = h2;
  }

  /** A group's members into this.order, canonically (insertion sort: groups are a few walkers). */
  private sortGroup(m: readonly number[], traces: Int32Array): void {
    const order = this.order;
    for (let j = 0; j < m.length; j++) order[j] = m[j];
    for (let j = 1; j < m.length; j++) {
      const x = order[j];
      let k = j - 1;
      while (k >= 0 && this.compareWalkers(order[k], x, traces) > 0) {
        order[k + 1] = order[k];
        k--;
      }
      order[k + 1] = x;
    }
  }

  /** Walkers of a group by node (its hash: the same in every search), then private words, then thread. */
  private compareWalkers(a: number, b: number, traces: Int32Array): number {
    const trie = this.walkers[a].trie;
    const ta = traces[a];
    const tb = traces[b];
    if (ta !== tb) {
      const d1 = trie.hash1[ta] - trie.hash1[tb];
      return d1 !== 0 ? d1 : trie.hash2[ta] - trie.hash2[tb];
    }
    const words = this.mem.words;
    const pa = this.privateWords[a];
    const pb = this.privateWords[b];
    for (let k = 0; k < pa.length && k < pb.length; k++) {
      const e = words[pa[k]] - words[pb[k]];
      if (e !== 0) return e;
    }
    return a - b;
  }
}
