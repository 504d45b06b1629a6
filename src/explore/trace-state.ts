/**
 * The synchronisation state a trace carries at each step, read from the
 * explorer's memory as the schedule is replayed: gp's phase and each walker's
 * RCU counter (liburcu's memb flavour, src/rcu/memb.ts), the mem_hotplug_lock
 * word, and the struct pages the walkers hold. What a word alone cannot say is
 * taken from how the words changed at each step: a walker whose step raised
 * the lock's reader count holds it for read until a step of its lowers it; a
 * writer step that flipped gp's phase is a grace period's flip, one that
 * counted a completed grace period ends it.
 */
import {
  G_HOTPLUG_LOCK,
  GLOBALS_ADDR,
  HOTPLUG_LOCK_BLOCK,
  HOTPLUG_LOCK_READERS,
  HOTPLUG_LOCK_WRITER,
} from '../model/layout.js';
import type { Words } from '../model/sections.js';
import {
  RCU_GP,
  RCU_GRACE_PERIODS,
  RCU_NEST_MASK,
  RCU_NR_READERS,
  RCU_PHASE,
  rcuAddr,
  rcuCtrAddr,
  readerActiveOld,
} from '../rcu/memb.js';
import type { TraceRcuReader, TraceRcuState, TraceState, TraceWalkerHolds } from './trace.js';

/** The writer is thread 0; walker i is thread i + 1 and RCU reader slot i. */
const WRITER = 0;

function phaseOf(word: number): 0 | 1 {
  return word & RCU_PHASE ? 1 : 0;
}

/** Reads TraceState after each step of a replay; feed it every step, in order. */
export class TraceStateReader {
  private flips = 0;
  private gp: number;
  private done: number;
  private lockReaders: number;
  private readonly readLocked: boolean[];

  constructor(
    private readonly mem: Words,
    private readonly walkers: number,
  ) {
    const rcu = rcuAddr(mem);
    this.gp = rcu ? mem[rcu + RCU_GP] : 0;
    this.done = rcu ? mem[rcu + RCU_GRACE_PERIODS] : 0;
    this.lockReaders = this.lockWord() & HOTPLUG_LOCK_READERS;
    this.readLocked = Array.from({ length: walkers }, () => false);
  }

  private lockWord(): number {
    return this.mem[GLOBALS_ADDR + G_HOTPLUG_LOCK];
  }

  /** The state now, after a step of `thread` (undefined: before the first step), holding `pages`. */
  after(thread: number | undefined, pages: readonly { thread: number; pfn: number }[] = []): TraceState {
    if (thread !== undefined) this.observe(thread);
    const rcu = this.rcuState();
    const lock = this.lockWord();
    const walkers: TraceWalkerHolds[] = this.readLocked.map((hotplugRead, i) => ({
      thread: i + 1,
      rcuReadLock: rcu?.readers[i]?.nesting ?? 0,
      hotplugRead,
      pages: pages.filter((h) => h.thread === i + 1).map((h) => h.pfn),
    }));
    return {
      rcu,
      hotplugLock: {
        writer: lock & HOTPLUG_LOCK_WRITER ? WRITER : null,
        blocking: (lock & HOTPLUG_LOCK_BLOCK) !== 0 && (lock & HOTPLUG_LOCK_WRITER) === 0,
        readers: walkers.filter((w) => w.hotplugRead).map((w) => w.thread),
      },
      walkers,
    };
  }

  /** What `thread`'s step changed: a grace-period flip or completion, a read lock taken or dropped. */
  private observe(thread: number): void {
    const rcu = rcuAddr(this.mem);
    if (rcu) {
      const gp = this.mem[rcu + RCU_GP];
      const done = this.mem[rcu + RCU_GRACE_PERIODS];
      if (done !== this.done) this.flips = 0;
      else if (phaseOf(gp) !== phaseOf(this.gp)) this.flips++;
      this.gp = gp;
      this.done = done;
    }
    const readers = this.lockWord() & HOTPLUG_LOCK_READERS;
    if (thread !== WRITER && thread <= this.walkers && readers !== this.lockReaders)
      this.readLocked[thread - 1] = readers > this.lockReaders;
    this.lockReaders = readers;
  }

  private rcuState(): TraceRcuState | null {
    const rcu = rcuAddr(this.mem);
    if (!rcu) return null;
    const gp = this.mem[rcu + RCU_GP];
    const slots = Math.min(this.walkers, this.mem[rcu + RCU_NR_READERS]);
    const readers: TraceRcuReader[] = [];
    const byPhase: [number, number] = [0, 0];
    for (let i = 0; i < slots; i++) {
      const ctr = this.mem[rcuCtrAddr(rcu, i)];
      const nesting = ctr & RCU_NEST_MASK;
      const phase = nesting ? phaseOf(ctr) : null;
      if (phase !== null) byPhase[phase]++;
      readers.push({ thread: i + 1, nesting, phase, old: readerActiveOld(ctr, gp) });
    }
    return {
      phase: phaseOf(gp),
      gracePeriods: this.mem[rcu + RCU_GRACE_PERIODS],
      flips: this.flips,
      readersByPhase: byPhase,
      readers,
    };
  }
}
