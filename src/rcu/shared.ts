/**
 * RCU across worker_threads: memb.ts's algorithm (the same reader functions,
 * the same grace-period plan, the same layout) over a SharedArrayBuffer with
 * Atomics. What this backend adds is what the deterministic one leaves to its
 * scheduler:
 *
 * - registration: a reader claims a slot (its counter on its own 64-byte line)
 *   with a compareExchange of the slot's owner word, and the slot's generation
 *   is bumped, so that a recovery aimed at an earlier registration is refused;
 * - waiting: where a plan step would block, the writer polls the reader's
 *   counter a bounded number of times, then sets the futex word to -1, looks
 *   once more and sleeps on it (Atomics.wait, or Atomics.waitAsync so that the
 *   main thread's event loop keeps running); a reader leaving its outermost
 *   section (or announcing a quiescent state) wakes it only when the futex word
 *   says a writer sleeps (liburcu's protocol); sleeps are bounded, so a lost
 *   wake-up costs one slice, and a wait that lasts is reported as a stall;
 * - recovery: a worker that dies inside a read section would block grace
 *   periods forever; its slot (found by owner, or by slot and generation) is
 *   cleared and freed, and the writer woken.
 *
 * In JS every Atomics operation is sequentially consistent (a store is an
 * xchg on x86), which gives the two orderings the algorithm needs without
 * membarrier: a reader's counter store before its data loads, the writer's
 * phase flip before its loads of reader counters. So the memb read side pays
 * two fences; QSBR mode pays none on the read side and one store per
 * quiescent state.
 */
import { threadId } from 'node:worker_threads';
import { Memory } from '../model/memory.js';
import {
  quiescentStateAt,
  RCU_FUTEX,
  RCU_GP,
  RCU_GP_LOCK,
  RCU_GRACE_PERIODS,
  RCU_NR_READERS,
  RCU_SLOT_ALIVE,
  RCU_SLOT_CTR,
  RCU_SLOT_GEN,
  RCU_SLOT_STRIDE,
  type RcuStep,
  type RcuWords,
  rcuAlloc,
  rcuSlotAddr,
  readerQuiesced,
  readLockAt,
  readUnlockAt,
  synchronizeRcuPlan,
  threadOfflineAt,
  threadOnlineAt,
} from './memb.js';

/** RcuWords through Atomics: sequentially consistent loads and stores. */
export class AtomicWords implements RcuWords {
  constructor(readonly words: Int32Array) {}

  load(addr: number): number {
    return Atomics.load(this.words, addr);
  }

  store(addr: number, value: number): void {
    Atomics.store(this.words, addr, value);
  }
}

/**
 * A reader's view of the words: Atomics, except for its own counter, which
 * only its own thread writes (recovery runs once the thread is dead), so a
 * plain load sees the latest value; that saves a third of a memb read pair.
 */
class ReaderWords implements RcuWords {
  constructor(
    private readonly words: Int32Array,
    private readonly own: number,
  ) {}

  load(addr: number): number {
    return addr === this.own ? this.words[addr] : Atomics.load(this.words, addr);
  }

  store(addr: number, value: number): void {
    Atomics.store(this.words, addr, value);
  }
}

/** memb: rcu_read_lock()/unlock() around every lookup. qsbr: free read side, quiescent states from the reader's loop. */
export type RcuMode = 'memb' | 'qsbr';
export const RCU_MODES: readonly RcuMode[] = ['memb', 'qsbr'];

/** Where an RCU state block lives, to hand to another thread. */
export interface SharedRcuHandle {
  readonly words: SharedArrayBuffer;
  readonly base: number;
}

/** A grace period that has waited long for one reader (the kernel's "RCU CPU stall" warning). */
export interface RcuStall {
  readonly slot: number;
  /** The slot's owner (threadId + 1), 0 if it was released meanwhile. */
  readonly owner: number;
  readonly waitedMs: number;
}

export interface WaitOptions {
  /** Polls of the reader's counter before sleeping (default 2000). */
  readonly spins?: number;
  /** Longest sleep on the futex word before looking again, in ms (default 1). */
  readonly sliceMs?: number;
  /** Report a wait for one reader longer than this, once (default 2000 ms). */
  readonly stallMs?: number;
  readonly onStall?: (stall: RcuStall) => void;
  /** Checked between sleeps: when it says so, the wait gives up with an RcuAborted error. */
  readonly aborted?: () => boolean;
}

/** A wait given up because its `aborted` check said so. */
export class RcuAborted extends Error {
  constructor() {
    super('grace period abandoned');
    this.name = 'RcuAborted';
  }
}

const DEFAULT_SPINS = 2000;
const DEFAULT_SLICE_MS = 1;
const DEFAULT_STALL_MS = 2000;

/**
 * Atomics.waitAsync that keeps the event loop alive while it waits: a pending
 * waitAsync holds no handle, so with nothing else pending Node would exit
 * with the wait unresolved. Resolves when woken, or after `ms`.
 */
export async function sleepOn(words: Int32Array, index: number, value: number, ms: number): Promise<void> {
  const r = Atomics.waitAsync(words, index, value, ms);
  if (!r.async) return;
  const alive = setTimeout(() => undefined, Math.ceil(ms) + 1000);
  try {
    await r.value;
  } finally {
    clearTimeout(alive);
  }
}

/** The owner id this thread registers with: threadId + 1 (the main thread is 1, never 0). */
export function ownerId(): number {
  return threadId + 1;
}

/** One RCU instance in shared memory: registration, grace periods, recovery. Any thread may hold one. */
export class SharedRcu {
  readonly w: AtomicWords;
  /** Reader slots (NR_READERS). */
  readonly slots: number;
  /** synchronize_rcu()'s plan: built once (its steps are closures, which tsx makes dear to create). */
  private readonly plan: readonly RcuStep[];
  private asyncTail: Promise<void> = Promise.resolve();

  constructor(
    readonly words: Int32Array,
    readonly base: number,
  ) {
    if (!(words.buffer instanceof SharedArrayBuffer)) throw new Error('SharedRcu needs a SharedArrayBuffer');
    this.w = new AtomicWords(words);
    this.slots = Atomics.load(words, base + RCU_NR_READERS);
    this.plan = synchronizeRcuPlan(base, this.slots, 2, 'synchronize_rcu');
  }

  /** A standalone RCU instance for up to maxReaders readers, in its own small shared memory. */
  static create(maxReaders: number): SharedRcu {
    const mem = new Memory({ shared: true, capacityWords: RCU_SLOT_STRIDE * (maxReaders + 2) + 16 });
    return new SharedRcu(mem.words, rcuAlloc(mem, maxReaders));
  }

  /** The RCU block of a shared model memory (allocated by rcuInit/rcuAlloc). */
  static inMemory(mem: Memory, base: number): SharedRcu {
    return new SharedRcu(mem.words, base);
  }

  static attach(h: SharedRcuHandle): SharedRcu {
    return new SharedRcu(new Int32Array(h.words), h.base);
  }

  handle(): SharedRcuHandle {
    return { words: this.words.buffer as SharedArrayBuffer, base: this.base };
  }

  /** Grace periods completed since the block was allocated. */
  get gracePeriods(): number {
    return Atomics.load(this.words, this.base + RCU_GRACE_PERIODS);
  }

  slotState(slot: number): { owner: number; gen: number; ctr: number } {
    const at = rcuSlotAddr(this.base, slot);
    return {
      owner: Atomics.load(this.words, at + RCU_SLOT_ALIVE),
      gen: Atomics.load(this.words, at + RCU_SLOT_GEN),
      ctr: Atomics.load(this.words, at + RCU_SLOT_CTR),
    };
  }

  /** rcu_register_thread(): claim a free slot. A QSBR reader starts online. */
  register(mode: RcuMode = 'memb', owner = ownerId()): RcuReader {
    if (owner === 0) throw new Error('owner 0 means a free slot');
    for (let slot = 0; slot < this.slots; slot++) {
      const at = rcuSlotAddr(this.base, slot);
      if (Atomics.compareExchange(this.words, at + RCU_SLOT_ALIVE, 0, owner) !== 0) continue;
      const gen = Atomics.add(this.words, at + RCU_SLOT_GEN, 1) + 1;
      return newReader(this, slot, gen, mode);
    }
    throw new Error(`all ${this.slots} RCU reader slots are taken`);
  }

  /** Clear a slot and free it: its reader is gone, whatever it was doing. */
  private release(slot: number): void {
    const at = rcuSlotAddr(this.base, slot);
    Atomics.store(this.words, at + RCU_SLOT_CTR, 0);
    Atomics.add(this.words, at + RCU_SLOT_GEN, 1);
    Atomics.store(this.words, at + RCU_SLOT_ALIVE, 0);
    this.wakeWriter(true);
  }

  /** rcu_unregister_thread(), for the reader's own thread. */
  unregister(reader: RcuReader): void {
    this.recover(reader.slot, reader.gen);
  }

  /**
   * Recover the slot of a reader that died: only if the slot still holds that
   * registration (slot and generation match), so a late recovery never frees a
   * newer reader's slot. Returns whether it did.
   */
  recover(slot: number, gen: number): boolean {
    const at = rcuSlotAddr(this.base, slot);
    if (Atomics.load(this.words, at + RCU_SLOT_GEN) !== gen) return false;
    if (Atomics.load(this.words, at + RCU_SLOT_ALIVE) === 0) return false;
    this.release(slot);
    return true;
  }

  /** Recover every slot (and the writer mutex) held by `owner`, a thread that exited. Returns the slots. */
  recoverOwner(owner: number): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const at = rcuSlotAddr(this.base, slot);
      if (Atomics.load(this.words, at + RCU_SLOT_ALIVE) !== owner) continue;
      this.release(slot);
      out.push(slot);
    }
    if (Atomics.compareExchange(this.words, this.base + RCU_GP_LOCK, owner, 0) === owner)
      Atomics.notify(this.words, this.base + RCU_GP_LOCK);
    return out;
  }

  /** Wake a writer sleeping on the futex word (all of them when forced). */
  wakeWriter(force = false): void {
    const futex = this.base + RCU_FUTEX;
    if (force || Atomics.load(this.words, futex) === -1) {
      Atomics.store(this.words, futex, 0);
      Atomics.notify(this.words, futex);
    }
  }

  /** synchronize_rcu(), blocking this thread (Atomics.wait) while it waits for readers. */
  synchronize(opts: WaitOptions = {}): void {
    const owner = ownerId();
    this.lockWriter(owner);
    try {
      for (const s of this.plan) this.runStep(s, opts);
    } finally {
      this.unlockWriter(owner);
    }
  }

  /**
   * synchronize_rcu() that keeps the event loop running: waits are
   * Atomics.waitAsync. Calls on one thread are queued one after another.
   */
  synchronizeAsync(opts: WaitOptions = {}): Promise<void> {
    const run = async () => {
      const owner = ownerId();
      await this.lockWriterAsync(owner);
      try {
        for (const s of this.plan) await this.runStepAsync(s, opts);
      } finally {
        this.unlockWriter(owner);
      }
    };
    const p = this.asyncTail.then(run);
    this.asyncTail = p.catch(() => undefined);
    return p;
  }

  /** Run one step of a grace-period plan for real: a wait step waits for its reader, others run on Atomics. */
  runStep(s: RcuStep, opts: WaitOptions = {}): void {
    if (s.kind !== 'wait') s.run(this.w);
    else if (!this.spinForReader(s.slot!, opts)) this.sleepForReader(s.slot!, opts);
  }

  async runStepAsync(s: RcuStep, opts: WaitOptions = {}): Promise<void> {
    if (s.kind !== 'wait') s.run(this.w);
    else if (!this.spinForReader(s.slot!, opts)) await this.sleepForReaderAsync(s.slot!, opts);
  }

  private spinForReader(slot: number, opts: WaitOptions): boolean {
    const spins = opts.spins ?? DEFAULT_SPINS;
    for (let i = 0; i < spins; i++) if (readerQuiesced(this.w, this.base, slot)) return true;
    return false;
  }

  private stallCheck(slot: number, started: number, warned: boolean, opts: WaitOptions): boolean {
    if (opts.aborted?.()) {
      Atomics.store(this.words, this.base + RCU_FUTEX, 0);
      throw new RcuAborted();
    }
    if (warned || !opts.onStall) return warned;
    const waitedMs = performance.now() - started;
    if (waitedMs < (opts.stallMs ?? DEFAULT_STALL_MS)) return false;
    opts.onStall({ slot, owner: this.slotState(slot).owner, waitedMs });
    return true;
  }

  /**
   * liburcu's futex protocol for one reader, written once for both waits: say
   * the writer sleeps (futex -1), look again, then sleep (the generator yields
   * where the caller sleeps on the futex word, blocking or not), and so on.
   */
  private *futexWait(slot: number, opts: WaitOptions): Generator<void, void, void> {
    const futex = this.base + RCU_FUTEX;
    const started = performance.now();
    let warned = false;
    for (;;) {
      Atomics.store(this.words, futex, -1);
      if (readerQuiesced(this.w, this.base, slot)) break;
      yield;
      if (readerQuiesced(this.w, this.base, slot)) break;
      warned = this.stallCheck(slot, started, warned, opts);
    }
    Atomics.store(this.words, futex, 0);
  }

  private sleepForReader(slot: number, opts: WaitOptions): void {
    for (const _ of this.futexWait(slot, opts))
      Atomics.wait(this.words, this.base + RCU_FUTEX, -1, opts.sliceMs ?? DEFAULT_SLICE_MS);
  }

  private async sleepForReaderAsync(slot: number, opts: WaitOptions): Promise<void> {
    for (const _ of this.futexWait(slot, opts))
      await sleepOn(this.words, this.base + RCU_FUTEX, -1, opts.sliceMs ?? DEFAULT_SLICE_MS);
  }

  /** The writer mutex: try to take it; yields the holder each time it is held by another. */
  private *writerLock(owner: number): Generator<number, void, void> {
    for (;;) {
      const held = Atomics.compareExchange(this.words, this.base + RCU_GP_LOCK, 0, owner);
      if (held === 0) return;
      yield held;
    }
  }

  private lockWriter(owner: number): void {
    for (const held of this.writerLock(owner))
      Atomics.wait(this.words, this.base + RCU_GP_LOCK, held, DEFAULT_SLICE_MS);
  }

  private async lockWriterAsync(owner: number): Promise<void> {
    for (const held of this.writerLock(owner))
      await sleepOn(this.words, this.base + RCU_GP_LOCK, held, DEFAULT_SLICE_MS);
  }

  private unlockWriter(owner: number): void {
    const lock = this.base + RCU_GP_LOCK;
    if (Atomics.compareExchange(this.words, lock, owner, 0) === owner) Atomics.notify(this.words, lock);
  }
}

/**
 * A registered reader (one slot). memb: lock()/unlock() around each read-side
 * critical section, nesting allowed. qsbr: lock()/unlock() cost nothing; the
 * reader calls quiescentState() from its loop when it holds no reference, and
 * goes offline() before it blocks. Two classes, so that each read side is
 * straight-line code at its call site.
 */
export interface RcuReader {
  readonly rcu: SharedRcu;
  readonly slot: number;
  readonly gen: number;
  readonly mode: RcuMode;
  readonly qsbr: boolean;
  lock(): void;
  unlock(): void;
  /** QSBR: no reference from before this point is held. A no-op for memb readers. */
  quiescentState(): void;
  /** QSBR: stop being a reader (before blocking); grace periods stop waiting for this slot. */
  offline(): void;
  online(): void;
  unregister(): void;
}

function newReader(rcu: SharedRcu, slot: number, gen: number, mode: RcuMode): RcuReader {
  return mode === 'qsbr' ? new QsbrReader(rcu, slot, gen) : new MembReader(rcu, slot, gen);
}

/** A reader's addresses, computed once (the read side is a handful of loads and stores), and its words. */
function readerWords(rcu: SharedRcu, slot: number): { gp: number; ctr: number; w: ReaderWords } {
  const ctr = rcuSlotAddr(rcu.base, slot) + RCU_SLOT_CTR;
  return { gp: rcu.base + RCU_GP, ctr, w: new ReaderWords(rcu.words, ctr) };
}

class MembReader implements RcuReader {
  readonly mode = 'memb';
  readonly qsbr = false;
  private readonly w: ReaderWords;
  private readonly gp: number;
  private readonly ctr: number;
  private readonly words: Int32Array;
  private readonly futex: number;

  constructor(
    readonly rcu: SharedRcu,
    readonly slot: number,
    readonly gen: number,
  ) {
    ({ gp: this.gp, ctr: this.ctr, w: this.w } = readerWords(rcu, slot));
    this.words = rcu.words;
    this.futex = rcu.base + RCU_FUTEX;
  }

  lock(): void {
    readLockAt(this.w, this.gp, this.ctr);
  }

  unlock(): void {
    // liburcu's wake-up: only when the writer said it sleeps (futex -1), checked after the counter
    // store. A plain load: the store before it is an xchg, and a stale -1 missed costs the writer
    // one sleep slice at most (its sleeps are bounded), never safety.
    if (readUnlockAt(this.w, this.ctr) && this.words[this.futex] === -1) this.rcu.wakeWriter();
  }

  quiescentState(): void {}

  offline(): void {}

  online(): void {}

  unregister(): void {
    this.rcu.unregister(this);
  }
}

class QsbrReader implements RcuReader {
  readonly mode = 'qsbr';
  readonly qsbr = true;
  private readonly w: ReaderWords;
  private readonly gp: number;
  private readonly ctr: number;

  constructor(
    readonly rcu: SharedRcu,
    readonly slot: number,
    readonly gen: number,
  ) {
    ({ gp: this.gp, ctr: this.ctr, w: this.w } = readerWords(rcu, slot));
    threadOnlineAt(this.w, this.gp, this.ctr);
  }

  lock(): void {}

  unlock(): void {}

  quiescentState(): void {
    if (quiescentStateAt(this.w, this.gp, this.ctr)) this.rcu.wakeWriter();
  }

  offline(): void {
    threadOfflineAt(this.w, this.ctr);
    this.rcu.wakeWriter();
  }

  online(): void {
    threadOnlineAt(this.w, this.gp, this.ctr);
  }

  unregister(): void {
    this.rcu.unregister(this);
  }
}
