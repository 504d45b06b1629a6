/**
 * What a trace's threads hold after each of its steps: the RCU grace period's
 * phase and what synchronize_rcu() is doing, each reader's read-side nesting
 * and the phase it entered in (liburcu's memb flavour: a reader's outermost
 * rcu_read_lock() snapshots the grace-period phase), who holds
 * mem_hotplug_lock, and the struct pages walkers hold.
 *
 * A trace made since 2026-12-06 carries that state at every step, read from
 * the explorer's memory (TraceStep.state); an older one has it worked out here
 * from its steps' kernel function names, as before.
 */
import type {
  ExploreTrace,
  PageState,
  TraceState as RecordedState,
  TraceRcuState,
  TraceStep,
} from '../../explore/trace.js';

export interface ReaderState {
  readonly thread: number;
  readonly name: string;
  /** rcu_read_lock() nesting: 0 outside a read-side critical section. */
  readonly nesting: number;
  /** The grace-period phase its outermost rcu_read_lock() saw (null outside). */
  readonly phase: 0 | 1 | null;
  /** In a section older than the current phase: the grace period waits for it (recorded traces). */
  readonly old?: boolean;
  /** Holds mem_hotplug_lock for read (recorded traces). */
  readonly hotplugRead?: boolean;
  readonly holds: readonly { pfn: number; page: PageState }[];
}

/** The grace-period phase bit and the readers in a section by the phase they entered in, as recorded. */
export interface TraceState extends Pick<TraceRcuState, 'phase' | 'readersByPhase'> {
  /** What synchronize_rcu() is doing: 'idle', 'flipped (1/2)', 'waiting for reader 0 (2/2)'. */
  readonly gp: string;
  readonly inGracePeriod: boolean;
  readonly readers: readonly ReaderState[];
  /** Who holds mem_hotplug_lock for writing: the writer between mem_hotplug_begin and _done. */
  readonly hotplugLock: string | null;
  /** Who holds it for read, and whether a writer is blocking new readers (recorded traces). */
  readonly hotplugReaders?: readonly string[];
  readonly hotplugBlocking?: boolean;
  /** Read from the explorer's memory, or worked out from step names (an older trace). */
  readonly source: 'recorded' | 'derived';
}

/** The state at every position: index 0 before the first step, t after step t. */
export function traceStates(trace: ExploreTrace): TraceState[] {
  const initial = trace.initialState;
  if (initial && trace.steps.every((s) => s.state))
    return [recorded(trace, initial, undefined), ...trace.steps.map((s) => recorded(trace, s.state!, s))];
  return derivedStates(trace);
}

/** A recorded state as the player shows it. */
function recorded(trace: ExploreTrace, st: RecordedState, step: TraceStep | undefined): TraceState {
  const name = (id: number) => trace.threads.find((t) => t.id === id)?.name ?? `thread ${id}`;
  const rcu = st.rcu;
  const readers = st.walkers.map((w) => {
    const r = rcu?.readers.find((x) => x.thread === w.thread);
    return {
      thread: w.thread,
      name: name(w.thread),
      nesting: r?.nesting ?? 0,
      phase: r?.phase ?? null,
      old: r?.old ?? false,
      hotplugRead: w.hotplugRead,
      holds: (step?.held ?? [])
        .filter((h) => h.thread === w.thread)
        .map((h) => ({ pfn: h.pfn, page: h.page })),
    };
  });
  const waitedFor = readers.filter((r) => r.old).map((r) => r.name);
  const done = rcu ? `${rcu.gracePeriods} completed` : 'no RCU readers registered';
  const gp = !rcu?.flips
    ? `idle (${done})`
    : `flip ${rcu.flips} made; ${waitedFor.length ? `waiting for ${waitedFor.join(', ')}` : 'no reader in an older section'} (${done})`;
  return {
    phase: rcu?.phase ?? 0,
    gp,
    inGracePeriod: (rcu?.flips ?? 0) > 0,
    readersByPhase: rcu ? [rcu.readersByPhase[0], rcu.readersByPhase[1]] : [0, 0],
    readers,
    hotplugLock: st.hotplugLock.writer === null ? null : name(st.hotplugLock.writer),
    hotplugReaders: st.hotplugLock.readers.map(name),
    hotplugBlocking: st.hotplugLock.blocking,
    source: 'recorded',
  };
}

/** An older trace's states, worked out from its steps' kernel function names. */
function derivedStates(trace: ExploreTrace): TraceState[] {
  const walkers = trace.threads.filter((t) => t.kind === 'walker');
  const nesting = new Map<number, number>(walkers.map((w) => [w.id, 0]));
  const entered = new Map<number, 0 | 1 | null>(walkers.map((w) => [w.id, null]));
  let phase: 0 | 1 = 0;
  let gp = 'idle';
  let inGracePeriod = false;
  let hotplugLock: string | null = null;
  const snapshot = (held: ExploreTrace['steps'][number]['held']): TraceState => {
    const readers = walkers.map((w) => ({
      thread: w.id,
      name: w.name,
      nesting: nesting.get(w.id) ?? 0,
      phase: entered.get(w.id) ?? null,
      holds: (held ?? []).filter((h) => h.thread === w.id).map((h) => ({ pfn: h.pfn, page: h.page })),
    }));
    const byPhase: [number, number] = [0, 0];
    for (const r of readers) if (r.nesting > 0 && r.phase !== null) byPhase[r.phase]++;
    return { phase, gp, inGracePeriod, readersByPhase: byPhase, readers, hotplugLock, source: 'derived' };
  };
  const out = [snapshot([])];
  for (const s of trace.steps) {
    const thread = trace.threads.find((t) => t.id === s.thread);
    if (s.fn === 'rcu_read_lock') {
      const n = nesting.get(s.thread) ?? 0;
      if (n === 0) entered.set(s.thread, phase);
      nesting.set(s.thread, n + 1);
    } else if (s.fn === 'rcu_read_unlock') {
      const n = Math.max(0, (nesting.get(s.thread) ?? 0) - 1);
      nesting.set(s.thread, n);
      if (n === 0) entered.set(s.thread, null);
    } else if (s.fn === 'synchronize_rcu') {
      const round = /\((\d+\/\d+)\)/.exec(s.detail)?.[1] ?? '';
      if (/flip/.test(s.detail)) {
        phase = phase === 0 ? 1 : 0;
        inGracePeriod = true;
        gp = `phase flipped to ${phase}${round ? ` (${round})` : ''}`;
      } else if (/wait for reader (\d+)/.test(s.detail)) {
        inGracePeriod = true;
        gp = `waited for reader ${/wait for reader (\d+)/.exec(s.detail)![1]}${round ? ` (${round})` : ''}`;
      } else if (/complete/.test(s.detail)) {
        inGracePeriod = false;
        gp = 'grace period complete';
      }
    } else if (s.fn === 'mem_hotplug_begin') hotplugLock = thread?.name ?? `thread ${s.thread}`;
    else if (s.fn === 'mem_hotplug_done') hotplugLock = null;
    out.push(snapshot(s.held));
  }
  return out;
}
