/**
 * Deciding a litmus test: combine one path per thread, choose rf (which write each read reads) and
 * co (the order of the writes to each location), keep the candidates LKMM allows, and evaluate the
 * final-state clauses on them.
 */
import { InputError } from '../errors.js';
import type { LitmusTest, Prop, StateRef } from './ast.js';
import { refName } from './ast.js';
import { locationAt, type ThreadTrace } from './events.js';
import { type ExecutionEvent, judge, type StaticRelations, staticRelations, type Verdict } from './model.js';
import { Relation } from './relation.js';
import { initialValue, type Locations, locationsOf, threadTraces } from './semantics.js';

export type LitmusResult = 'Never' | 'Sometimes' | 'Always' | 'DEADLOCK';

export interface LitmusOutcome {
  readonly test: string;
  /** Never/Sometimes/Always for the exists clause; DEADLOCK when no execution is allowed at all. */
  readonly result: LitmusResult;
  /** Whether the final condition's claim holds: exists needs a positive execution, ~exists none, forall all. */
  readonly ok: boolean;
  readonly quantifier: LitmusTest['quantifier'];
  /** Executions LKMM allows that pass the filter. */
  readonly executions: number;
  /** Of those, how many satisfy the condition. */
  readonly positive: number;
  /** Some allowed execution has a data race (linux-kernel.cat's data-race flag). */
  readonly dataRace: boolean;
  /** Candidate executions examined (before the axioms). */
  readonly candidates: number;
  /** The distinct final states, each `ref=value` for the condition's and locations' references. */
  readonly states: readonly string[];
  /** One allowed execution satisfying the condition, a line per thread and per location's co, or undefined. */
  readonly witness?: readonly string[];
}

const KIND_WORDS: Partial<Record<string, string>> = { plain: 'plain', init: 'init' };

/** An allowed execution in words: each thread's events in program order with the write each read reads, then co. */
function describeExecution(
  c: Candidate,
  rfOf: Int32Array,
  orders: readonly number[][],
  locs: Locations,
): string[] {
  const who = (w: number): string => {
    const e = c.events[w];
    if (e.thread < 0) return 'init';
    return `P${e.thread}#${w - c.offsets[e.thread] + 1}`;
  };
  const event = (i: number): string => {
    const e = c.events[i];
    const mark = KIND_WORDS[e.annotation] ?? e.annotation;
    const loc = e.loc >= 0 ? locs.names[e.loc] : '';
    if (e.kind === 'F') return e.fence ?? 'fence';
    if (e.kind === 'sync-srcu') return `synchronize_srcu(${loc})`;
    const value = formatValue(e.value, locs);
    return e.kind === 'R' ? `R[${mark}] ${loc}=${value} from ${who(rfOf[i])}` : `W[${mark}] ${loc}=${value}`;
  };
  const lines = c.traces.map((t, p) => {
    const ids = t.events.map((_, k) => c.offsets[p] + k);
    return `P${p}: ${ids.map((i) => `#${i - c.offsets[p] + 1} ${event(i)}`).join('; ') || '(no events)'}`;
  });
  for (const order of orders)
    if (order.length > 2)
      lines.push(
        `co ${locs.names[c.events[order[0]].loc]}: ${order.map((w) => `${who(w)}(${formatValue(c.events[w].value, locs)})`).join(' -> ')}`,
      );
  return lines;
}

interface Candidate {
  readonly events: ExecutionEvent[];
  readonly traces: readonly ThreadTrace[];
  /** Index of each thread's first event. */
  readonly offsets: readonly number[];
}

function combine(locs: Locations, traces: readonly ThreadTrace[]): Candidate {
  const events: ExecutionEvent[] = locs.init.map((value, loc) => ({
    kind: 'W',
    loc,
    value,
    annotation: 'init',
    rmwInstruction: false,
    thread: -1,
  }));
  const offsets: number[] = [];
  traces.forEach((t, thread) => {
    offsets.push(events.length);
    for (const e of t.events) events.push({ ...e, thread });
  });
  return { events, traces, offsets };
}

function edgesOf(c: Candidate): { addr: Relation; data: Relation; ctrl: Relation; rmw: Relation } {
  const n = c.events.length;
  const rel = (pick: (t: ThreadTrace) => readonly (readonly [number, number])[]): Relation => {
    const r = new Relation(n);
    c.traces.forEach((t, i) => {
      for (const [a, b] of pick(t)) r.add(c.offsets[i] + a, c.offsets[i] + b);
    });
    return r;
  };
  return {
    addr: rel((t) => t.addr),
    data: rel((t) => t.data),
    ctrl: rel((t) => t.ctrl),
    rmw: rel((t) => t.rmw),
  };
}

/** The writes each read may read from: same location and value, not later in its own thread. */
function rfChoices(events: readonly ExecutionEvent[]): { reads: number[]; writes: number[][] } {
  const reads: number[] = [];
  const writes: number[][] = [];
  events.forEach((r, i) => {
    if (r.kind !== 'R') return;
    reads.push(i);
    writes.push(
      events
        .map((_, j) => j)
        .filter((j) => {
          const w = events[j];
          return (
            w.kind === 'W' && w.loc === r.loc && w.value === r.value && !(w.thread === r.thread && j > i)
          );
        }),
    );
  });
  return { reads, writes };
}

/** Beyond these a test is no small litmus test: refused with a line rather than searched for hours. */
const MAX_CO_ORDERS = 100_000;
const MAX_CANDIDATES = 5_000_000;

/** Every order of each location's writes that keeps each thread's own writes in program order, the initial write first. */
function coOrders(events: readonly ExecutionEvent[], loc: number): number[][] {
  const writes = events
    .map((_, i) => i)
    .filter((i) => events[i].kind === 'W' && events[i].loc === loc && events[i].thread >= 0);
  const out: number[][] = [];
  const init = events.findIndex((e) => e.annotation === 'init' && e.loc === loc);
  const order: number[] = [init];
  const used = new Set<number>();
  const place = (): void => {
    if (order.length === writes.length + 1) {
      out.push(order.slice());
      if (out.length > MAX_CO_ORDERS)
        throw new InputError(
          'litmus',
          `more than ${MAX_CO_ORDERS} orders of the ${writes.length} writes to one location`,
        );
      return;
    }
    for (const w of writes) {
      if (used.has(w)) continue;
      // A thread's own earlier write to this location must already be placed.
      if (writes.some((v) => v < w && !used.has(v) && events[v].thread === events[w].thread)) continue;
      used.add(w);
      order.push(w);
      place();
      order.pop();
      used.delete(w);
    }
  };
  place();
  return out;
}

/** lock.cat's co for locks: an LKW right after the write its LKR read, a UL right after its LKW. */
function locksRespected(s: StaticRelations, rfOf: Int32Array, orders: readonly number[][]): boolean {
  for (const order of orders) {
    for (let k = 1; k < order.length; k++) {
      const e = order[k];
      const a = s.events[e].annotation;
      if (a === 'UL' && !s.critical.has(order[k - 1], e)) return false;
      if (a === 'LKW') {
        const lkr = e - 1; // spin_lock() emits LKR then LKW
        if (rfOf[lkr] !== order[k - 1]) return false;
      }
    }
  }
  return true;
}

function evalProp(
  p: Prop,
  lookup: (ref: StateRef) => number,
  value: (v: Prop & { kind: 'eq' }) => number,
): boolean {
  switch (p.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'eq':
      return (lookup(p.ref) === value(p)) !== p.negated;
    case 'not':
      return !evalProp(p.arg, lookup, value);
    case 'and':
      return evalProp(p.left, lookup, value) && evalProp(p.right, lookup, value);
    case 'or':
      return evalProp(p.left, lookup, value) || evalProp(p.right, lookup, value);
  }
}

function refsOf(p: Prop | undefined, out: StateRef[]): StateRef[] {
  if (!p) return out;
  if (p.kind === 'eq') out.push(p.ref);
  else if (p.kind === 'not') refsOf(p.arg, out);
  else if (p.kind === 'and' || p.kind === 'or') {
    refsOf(p.left, out);
    refsOf(p.right, out);
  }
  return out;
}

/** Every reference in the clauses names a thread's declared register or a shared location. */
function checkRefs(test: LitmusTest, locs: Locations, refs: readonly StateRef[]): void {
  for (const r of refs) {
    if (r.thread === undefined) {
      if (!locs.index.has(r.name))
        throw new InputError(
          test.name,
          `'${r.name.slice(0, 40)}' in the final condition is no shared location`,
        );
    } else if (r.thread >= test.threads.length)
      throw new InputError(test.name, `'${refName(r).slice(0, 40)}': there is no thread P${r.thread}`);
  }
}

function formatValue(v: number, locs: Locations): string {
  const loc = locationAt(v);
  return loc >= 0 ? locs.names[loc] : String(v);
}

/** The memory model a test is decided under: LKMM, or sequential consistency for comparison. */
export type MemoryModel = 'lkmm' | 'sc';

/**
 * Sequential consistency: one interleaving of whole accesses explains the execution (po, rf, co
 * and fr acyclic). RCU's grace-period guarantee and lock semantics are not about ordering
 * alone, so SC keeps them: an SC execution must also be one LKMM allows (LKMM allows every SC
 * execution of marked accesses; what it adds is the rcu axiom's constraint).
 */
function judgeSc(s: StaticRelations, rf: Relation, co: Relation): Verdict {
  const fr = rf.inverse().seq(co);
  if (!s.po.union(rf, co, fr).acyclic()) return { violates: 'sc', dataRace: false };
  const lkmm = judge(s, rf, co);
  return { violates: lkmm.violates, dataRace: false };
}

/** Decides a parsed litmus test under LKMM (or, for comparison, sequential consistency). */
export function decideLitmus(test: LitmusTest, model: MemoryModel = 'lkmm'): LitmusOutcome {
  const locs = locationsOf(test);
  const refs = refsOf(test.condition, refsOf(test.filter, [...test.locations]));
  checkRefs(test, locs, refs);
  const shownRefs = [
    ...new Map([...test.locations, ...refsOf(test.condition, [])].map((r) => [refName(r), r])).values(),
  ];
  const perThread = threadTraces(test, locs);
  const valueOfProp = (p: Prop & { kind: 'eq' }): number => initialValue(p.value, locs.index, test.name);
  let executions = 0;
  let positive = 0;
  let candidates = 0;
  let dataRace = false;
  let witness: string[] | undefined;
  const states = new Set<string>();
  let combinations = 0;
  for (const traces of cartesian(perThread)) {
    if (++combinations > MAX_CANDIDATES)
      throw new InputError(
        test.name,
        `more than ${MAX_CANDIDATES} combinations of thread paths: too large to decide`,
      );
    const c = combine(locs, traces);
    const s = staticRelations(c.events, edgesOf(c));
    const { reads, writes } = rfChoices(c.events);
    const coPerLoc = locs.names.map((_, loc) => coOrders(c.events, loc));
    const registers = (ref: StateRef): number => {
      const t = traces[ref.thread!];
      const v = t?.registers.get(ref.name);
      if (v === undefined)
        throw new InputError(test.name, `'${refName(ref).slice(0, 40)}' is no register of P${ref.thread}`);
      return v;
    };
    for (const rfPick of cartesian(writes)) {
      if (++combinations > MAX_CANDIDATES)
        throw new InputError(test.name, `more than ${MAX_CANDIDATES} rf choices: too large to decide`);
      const rfOf = new Int32Array(c.events.length).fill(-1);
      const rf = new Relation(c.events.length);
      reads.forEach((r, k) => {
        rfOf[r] = rfPick[k];
        rf.add(rfPick[k], r);
      });
      for (const orders of cartesian(coPerLoc)) {
        if (!locksRespected(s, rfOf, orders)) continue;
        if (++candidates > MAX_CANDIDATES)
          throw new InputError(
            test.name,
            `more than ${MAX_CANDIDATES} candidate executions: too large to decide`,
          );
        const co = new Relation(c.events.length);
        for (const order of orders)
          for (let a = 0; a < order.length; a++)
            for (let b = a + 1; b < order.length; b++) co.add(order[a], order[b]);
        const verdict = model === 'sc' ? judgeSc(s, rf, co) : judge(s, rf, co);
        if (verdict.violates) continue;
        const final = (ref: StateRef): number => {
          if (ref.thread !== undefined) return registers(ref);
          const order = orders[locs.index.get(ref.name)!];
          return c.events[order[order.length - 1]].value;
        };
        if (test.filter && !evalProp(test.filter, final, valueOfProp)) continue;
        executions++;
        if (verdict.dataRace) dataRace = true;
        if (evalProp(test.condition, final, valueOfProp)) {
          positive++;
          witness ??= describeExecution(c, rfOf, orders, locs);
        }
        states.add(shownRefs.map((r) => `${refName(r)}=${formatValue(final(r), locs)}`).join('; '));
      }
    }
  }
  const result: LitmusResult =
    executions === 0
      ? 'DEADLOCK'
      : positive === 0
        ? 'Never'
        : positive === executions
          ? 'Always'
          : 'Sometimes';
  const ok =
    test.quantifier === 'exists'
      ? positive > 0
      : test.quantifier === 'forall'
        ? positive === executions
        : positive === 0;
  return {
    test: test.name,
    result,
    ok,
    quantifier: test.quantifier,
    executions,
    positive,
    dataRace,
    candidates,
    states: [...states].sort(),
    witness,
  };
}

/** Every combination taking one element from each list. */
function* cartesian<T>(lists: readonly (readonly T[])[]): Generator<T[]> {
  if (lists.some((l) => l.length === 0)) return;
  const idx = new Array(lists.length).fill(0);
  for (;;) {
    yield lists.map((l, i) => l[idx[i]]);
    let k = lists.length - 1;
    while (k >= 0 && ++idx[k] === lists[k].length) idx[k--] = 0;
    if (k < 0) return;
  }
}
