/**
 * Program semantics: every path through each thread, as herd7 builds them from linux-kernel.def.
 * A read may return any value some write of the test can store at its location (a fixpoint over
 * the threads); which write it reads from is chosen later, when threads are combined.
 */
import { InputError } from '../errors.js';
import type { Expr, InitValue, LitmusTest, Stmt, Thread } from './ast.js';
import {
  type Annotation,
  addressOf,
  type FenceKind,
  type LitmusEvent,
  locationAt,
  type ThreadTrace,
} from './events.js';

/** The shared locations of a test, by name, in a fixed order. */
export interface Locations {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly init: readonly number[];
}

export function locationsOf(test: LitmusTest): Locations {
  const names: string[] = [];
  const index = new Map<string, number>();
  const add = (name: string): void => {
    if (!index.has(name)) index.set(name, names.push(name) - 1);
  };
  for (const name of test.init.keys()) add(name);
  for (const t of test.threads) for (const p of t.params) add(p);
  for (const v of test.init.values()) if ('addressOf' in v) add(v.addressOf);
  const init = names.map((n) => initialValue(test.init.get(n) ?? { int: 0 }, index, test.name));
  return { names, index, init };
}

export function initialValue(v: InitValue, index: ReadonlyMap<string, number>, where: string): number {
  if ('int' in v) return v.int;
  const loc = index.get(v.addressOf);
  if (loc === undefined) throw new InputError(where, `'${v.addressOf.slice(0, 40)}' is no shared location`);
  return addressOf(loc);
}

/** A path that cannot happen (a non-pointer dereferenced): dropped, as herd7 drops it. */
class ImpossiblePath extends Error {}

interface Tainted {
  readonly v: number;
  /** Reads (trace indices) the value depends on. */
  readonly deps: readonly number[];
}

const SUFFIX: Record<string, Annotation> = {
  '': 'MB',
  _relaxed: 'ONCE',
  _acquire: 'ACQUIRE',
  _release: 'RELEASE',
};

const FENCES: Record<string, FenceKind> = {
  smp_mb: 'MB',
  smp_rmb: 'rmb',
  smp_wmb: 'wmb',
  barrier: 'barrier',
  smp_mb__before_atomic: 'before-atomic',
  smp_mb__after_atomic: 'after-atomic',
  smp_mb__after_spinlock: 'after-spinlock',
  smp_mb__after_unlock_lock: 'after-unlock-lock',
  smp_mb__after_srcu_read_unlock: 'after-srcu-read-unlock',
  rcu_read_lock: 'rcu-lock',
  rcu_read_unlock: 'rcu-unlock',
  synchronize_rcu: 'sync-rcu',
  synchronize_rcu_expedited: 'sync-rcu',
};

/** Loads whose argument is the location itself (`READ_ONCE(*x)`), and those given its address. */
const LOADS: Record<string, { annotation: Annotation; lvalue: boolean }> = {
  READ_ONCE: { annotation: 'ONCE', lvalue: true },
  rcu_dereference: { annotation: 'ONCE', lvalue: true },
  smp_load_acquire: { annotation: 'ACQUIRE', lvalue: false },
  atomic_read: { annotation: 'ONCE', lvalue: false },
  atomic_read_acquire: { annotation: 'ACQUIRE', lvalue: false },
};
const STORES: Record<string, { annotation: Annotation; lvalue: boolean }> = {
  WRITE_ONCE: { annotation: 'ONCE', lvalue: true },
  rcu_assign_pointer: { annotation: 'RELEASE', lvalue: true },
  smp_store_release: { annotation: 'RELEASE', lvalue: false },
  atomic_set: { annotation: 'ONCE', lvalue: false },
  atomic_set_release: { annotation: 'RELEASE', lvalue: false },
};

type ArithOp = (a: number, b: number) => number;
const OPS: Record<string, ArithOp> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  and: (a, b) => a & b,
  or: (a, b) => a | b,
  xor: (a, b) => a ^ b,
  andnot: (a, b) => a & ~b,
  inc: (a) => a + 1,
  dec: (a) => a - 1,
};

/** Chooses among alternatives, replaying a prefix of earlier choices (depth-first over all paths). */
class Chooser {
  pos = 0;
  readonly counts: number[] = [];
  constructor(readonly choices: number[]) {}
  choose(n: number): number {
    if (this.pos === this.choices.length) this.choices.push(0);
    this.counts[this.pos] = n;
    return this.choices[this.pos++];
  }
  /** The next choice vector, or undefined when all are done. */
  advance(): number[] | undefined {
    const c = this.choices.slice(0, this.pos);
    while (c.length && c[c.length - 1] + 1 >= this.counts[c.length - 1]) c.pop();
    if (!c.length) return undefined;
    c[c.length - 1]++;
    return c;
  }
}

/** Runs one thread along one path. */
class ThreadRun {
  readonly events: LitmusEvent[] = [];
  readonly rmw: [number, number][] = [];
  readonly addr: [number, number][] = [];
  readonly data: [number, number][] = [];
  readonly ctrl: [number, number][] = [];
  readonly registers = new Map<string, Tainted>();
  private readonly control: (readonly number[])[] = [];

  constructor(
    private readonly thread: Thread,
    private readonly test: LitmusTest,
    private readonly locs: Locations,
    private readonly values: readonly (readonly number[])[],
    private readonly chooser: Chooser,
  ) {
    for (const [key, v] of test.registerInit) {
      const [t, name] = key.split(':');
      if (Number(t) === thread.index)
        this.registers.set(name, { v: initialValue(v, locs.index, test.name), deps: [] });
    }
  }

  fail(problem: string): never {
    throw new InputError(`${this.test.name}: P${this.thread.index}`, problem);
  }

  emit(e: LitmusEvent, addr: readonly number[], data: readonly number[] = []): number {
    const id = this.events.push(e) - 1;
    for (const d of addr) this.addr.push([d, id]);
    for (const d of data) this.data.push([d, id]);
    for (const deps of this.control) for (const d of deps) this.ctrl.push([d, id]);
    return id;
  }

  read(loc: number, annotation: Annotation, addr: readonly number[], rmw = false, value?: number): number {
    const vs = this.values[loc];
    const v = value ?? vs[this.chooser.choose(vs.length)];
    return this.emit({ kind: 'R', loc, value: v, annotation, rmwInstruction: rmw }, addr);
  }

  write(loc: number, value: Tainted, annotation: Annotation, addr: readonly number[], rmw = false): number {
    return this.emit({ kind: 'W', loc, value: value.v, annotation, rmwInstruction: rmw }, addr, value.deps);
  }

  fence(kind: FenceKind): void {
    this.emit(
      {
        kind: 'F',
        loc: -1,
        value: 0,
        annotation: kind === 'MB' ? 'MB' : 'plain',
        fence: kind,
        rmwInstruction: false,
      },
      [],
    );
  }

  run(body: readonly Stmt[]): void {
    for (const s of body) this.statement(s);
  }

  statement(s: Stmt): void {
    switch (s.kind) {
      case 'decl':
        this.registers.set(s.name, s.init ? this.eval(s.init) : { v: 0, deps: [] });
        return;
      case 'assign': {
        if (s.target.kind === 'name') {
          if (this.thread.params.includes(s.target.name) && !this.registers.has(s.target.name))
            this.fail(
              `'${s.target.name.slice(0, 40)}' is a shared location: assign through *${s.target.name.slice(0, 40)}`,
            );
          this.registers.set(s.target.name, this.eval(s.value));
          return;
        }
        if (s.target.kind !== 'deref') return;
        const p = this.pointer(s.target.ptr);
        this.write(p.loc, this.eval(s.value), 'plain', p.deps);
        return;
      }
      case 'expr':
        this.eval(s.expr);
        return;
      case 'if': {
        const t = this.eval(s.test);
        this.control.push(t.deps);
        this.run(t.v !== 0 ? s.then : s.else);
        this.control.pop();
      }
    }
  }

  /** The location a pointer expression names. */
  pointer(e: Expr): { loc: number; deps: readonly number[] } {
    const p = this.eval(e);
    const loc = locationAt(p.v);
    if (loc < 0) throw new ImpossiblePath();
    return { loc, deps: p.deps };
  }

  /** The location an lvalue `*p` names (READ_ONCE(*x), WRITE_ONCE(*x, v)). */
  lvalue(e: Expr, fn: string): { loc: number; deps: readonly number[] } {
    if (e.kind !== 'deref') this.fail(`${fn}() takes a location such as *x`);
    return this.pointer(e.ptr);
  }

  eval(e: Expr): Tainted {
    switch (e.kind) {
      case 'num':
        return { v: e.value, deps: [] };
      case 'name': {
        const r = this.registers.get(e.name);
        if (r) return r;
        const loc = this.locs.index.get(e.name);
        if (loc !== undefined) return { v: addressOf(loc), deps: [] };
        return this.fail(`'${e.name.slice(0, 40)}' is neither a register nor a shared location`);
      }
      case 'addr': {
        const loc = this.locs.index.get(e.name);
        if (loc === undefined) return this.fail(`'&${e.name.slice(0, 40)}' names no shared location`);
        return { v: addressOf(loc), deps: [] };
      }
      case 'deref': {
        const p = this.pointer(e.ptr);
        const id = this.read(p.loc, 'plain', p.deps);
        return { v: this.events[id].value, deps: [id] };
      }
      case 'unary': {
        const a = this.eval(e.arg);
        const v = e.op === '!' ? Number(a.v === 0) : e.op === '~' ? ~a.v : -a.v;
        return { v, deps: a.deps };
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right);
      case 'cond': {
        const t = this.eval(e.test);
        const r = this.eval(t.v !== 0 ? e.then : e.else);
        return { v: r.v, deps: [...t.deps, ...r.deps] };
      }
      case 'call':
        return this.call(e.name, e.args);
    }
  }

  binary(op: string, left: Expr, right: Expr): Tainted {
    const a = this.eval(left);
    if ((op === '&&' && a.v === 0) || (op === '||' && a.v !== 0))
      return { v: Number(op === '||'), deps: a.deps };
    const b = this.eval(right);
    const deps = [...a.deps, ...b.deps];
    const v = ((): number => {
      switch (op) {
        case '&&':
        case '||':
          return Number(b.v !== 0);
        case '==':
          return Number(a.v === b.v);
        case '!=':
          return Number(a.v !== b.v);
        case '<':
          return Number(a.v < b.v);
        case '<=':
          return Number(a.v <= b.v);
        case '>':
          return Number(a.v > b.v);
        case '>=':
          return Number(a.v >= b.v);
        case '+':
          return a.v + b.v;
        case '-':
          return a.v - b.v;
        case '*':
          return a.v * b.v;
        case '/':
          return b.v === 0 ? 0 : Math.trunc(a.v / b.v);
        case '%':
          return b.v === 0 ? 0 : a.v % b.v;
        case '&':
          return a.v & b.v;
        case '|':
          return a.v | b.v;
        case '^':
          return a.v ^ b.v;
        case '<<':
          return a.v << b.v;
        default:
          return a.v >> b.v;
      }
    })();
    return { v, deps };
  }

  arity(fn: string, args: readonly Expr[], n: number): void {
    if (args.length !== n)
      this.fail(`${fn}() takes ${n} argument${n === 1 ? '' : 's'}, given ${args.length}`);
  }

  call(fn: string, args: readonly Expr[]): Tainted {
    const none: Tainted = { v: 0, deps: [] };
    if (fn in FENCES) {
      this.arity(fn, args, 0);
      this.fence(FENCES[fn]);
      return none;
    }
    if (fn in LOADS) {
      this.arity(fn, args, 1);
      const { annotation, lvalue } = LOADS[fn];
      const p = lvalue ? this.lvalue(args[0], fn) : this.pointer(args[0]);
      const id = this.read(p.loc, annotation, p.deps);
      return { v: this.events[id].value, deps: [id] };
    }
    if (fn in STORES) {
      this.arity(fn, args, 2);
      const { annotation, lvalue } = STORES[fn];
      const p = lvalue ? this.lvalue(args[0], fn) : this.pointer(args[0]);
      this.write(p.loc, this.eval(args[1]), annotation, p.deps);
      return none;
    }
    if (fn === 'smp_store_mb') {
      this.arity(fn, args, 2);
      const p = this.lvalue(args[0], fn);
      this.write(p.loc, this.eval(args[1]), 'ONCE', p.deps);
      this.fence('MB');
      return none;
    }
    return this.lockCall(fn, args) ?? this.srcuCall(fn, args) ?? this.atomicCall(fn, args);
  }

  /** spin_lock() and friends as lock.cat sees them: LKR/LKW pairs, UL, LF, RL/RU. */
  lockCall(fn: string, args: readonly Expr[]): Tainted | undefined {
    if (!['spin_lock', 'spin_unlock', 'spin_trylock', 'spin_is_locked'].includes(fn)) return undefined;
    this.arity(fn, args, 1);
    const p = this.pointer(args[0]);
    const take = (): Tainted => {
      const r = this.read(p.loc, 'LKR', p.deps, false, 0);
      const w = this.write(p.loc, { v: 1, deps: [] }, 'LKW', p.deps);
      this.rmw.push([r, w]);
      return { v: 1, deps: [] };
    };
    if (fn === 'spin_lock') take();
    else if (fn === 'spin_unlock') this.write(p.loc, { v: 0, deps: [] }, 'UL', p.deps);
    else if (fn === 'spin_trylock') {
      if (this.chooser.choose(2) === 0) return { ...take(), deps: [this.events.length - 2] };
      const r = this.read(p.loc, 'LF', p.deps, false, 1);
      return { v: 0, deps: [r] };
    } else {
      const locked = this.chooser.choose(2) === 0;
      const r = this.read(p.loc, locked ? 'RL' : 'RU', p.deps, false, locked ? 1 : 0);
      return { v: locked ? 1 : 0, deps: [r] };
    }
    return { v: 0, deps: [] };
  }

  srcuCall(fn: string, args: readonly Expr[]): Tainted | undefined {
    if (fn === 'srcu_read_lock' || fn === 'srcu_down_read') {
      this.arity(fn, args, 1);
      const p = this.pointer(args[0]);
      const id = this.read(p.loc, 'srcu-lock', p.deps);
      return { v: this.events[id].value, deps: [id] };
    }
    if (fn === 'srcu_read_unlock' || fn === 'srcu_up_read') {
      this.arity(fn, args, 2);
      const p = this.pointer(args[0]);
      this.write(p.loc, this.eval(args[1]), 'srcu-unlock', p.deps);
      return { v: 0, deps: [] };
    }
    if (fn === 'synchronize_srcu' || fn === 'synchronize_srcu_expedited') {
      this.arity(fn, args, 1);
      const p = this.pointer(args[0]);
      this.emit(
        { kind: 'sync-srcu', loc: p.loc, value: 0, annotation: 'plain', rmwInstruction: false },
        p.deps,
      );
      return { v: 0, deps: [] };
    }
    return undefined;
  }

  /** xchg, cmpxchg and the atomic_t operations of linux-kernel.def. */
  atomicCall(fn: string, args: readonly Expr[]): Tainted {
    let m = /^(?:atomic_)?(xchg|cmpxchg)(|_relaxed|_acquire|_release)$/.exec(fn);
    if (m) {
      const cas = m[1] === 'cmpxchg';
      this.arity(fn, args, cas ? 3 : 2);
      const p = this.pointer(args[0]);
      const expected = cas ? this.eval(args[1]) : undefined;
      const value = this.eval(args[cas ? 2 : 1]);
      return this.rmwOp(
        p,
        SUFFIX[m[2]],
        (old) => (!expected || old === expected.v ? value : undefined),
        'old',
      );
    }
    if (fn === 'atomic_add_unless') {
      this.arity(fn, args, 3);
      const p = this.pointer(args[0]);
      const add = this.eval(args[1]);
      const unless = this.eval(args[2]);
      const r = this.rmwOp(
        p,
        'MB',
        (old) => (old !== unless.v ? { v: old + add.v, deps: add.deps } : undefined),
        'old',
      );
      return { v: Number(r.v !== unless.v), deps: r.deps };
    }
    m = /^atomic_(add|sub|and|or|xor|andnot|inc|dec)$/.exec(fn);
    if (m) {
      const unary = m[1] === 'inc' || m[1] === 'dec';
      this.arity(fn, args, unary ? 1 : 2);
      const p = this.pointer(args[unary ? 0 : 1]);
      const operand = unary ? { v: 1, deps: [] } : this.eval(args[0]);
      const op = OPS[m[1]];
      this.rmwOp(p, 'NORETURN', (old) => ({ v: op(old, operand.v), deps: operand.deps }), 'old');
      return { v: 0, deps: [] };
    }
    m =
      /^atomic_(?:(fetch_)(add|sub|and|or|xor|andnot|inc|dec)|(add|sub|inc|dec)_return)(|_relaxed|_acquire|_release)$/.exec(
        fn,
      );
    const t = /^atomic_(sub|dec|inc)_and_test$|^atomic_(add)_negative(|_relaxed|_acquire|_release)$/.exec(fn);
    if (!m && !t)
      return this.fail(`'${fn.slice(0, 40)}' is not a primitive of the Linux-kernel memory model`);
    const name = m ? (m[2] ?? m[3]) : (t![1] ?? t![2]);
    const unary = name === 'inc' || name === 'dec';
    this.arity(fn, args, unary ? 1 : 2);
    const p = this.pointer(args[unary ? 0 : 1]);
    const operand = unary ? { v: 1, deps: [] } : this.eval(args[0]);
    const op = OPS[name];
    const annotation = SUFFIX[m ? m[4] : (t![3] ?? '')];
    const r = this.rmwOp(
      p,
      annotation,
      (old) => ({ v: op(old, operand.v), deps: operand.deps }),
      m?.[1] ? 'old' : 'new',
    );
    if (m) return r;
    return { v: Number(t![1] ? r.v === 0 : r.v < 0), deps: r.deps };
  }

  /** One read-modify-write: a read, and a write when `update` gives a value (a failed cmpxchg writes nothing). */
  rmwOp(
    p: { loc: number; deps: readonly number[] },
    annotation: Annotation,
    update: (old: number) => Tainted | undefined,
    returns: 'old' | 'new',
  ): Tainted {
    const r = this.read(p.loc, annotation, p.deps, true);
    const old = this.events[r].value;
    const next = update(old);
    if (!next) return { v: old, deps: [r] };
    const w = this.write(p.loc, next, annotation, p.deps, true);
    this.rmw.push([r, w]);
    return returns === 'old' ? { v: old, deps: [r] } : { v: next.v, deps: [r, ...next.deps] };
  }
}

function tracesOf(
  thread: Thread,
  test: LitmusTest,
  locs: Locations,
  values: readonly (readonly number[])[],
): ThreadTrace[] {
  const out: ThreadTrace[] = [];
  let choices: number[] | undefined = [];
  while (choices) {
    const chooser: Chooser = new Chooser(choices);
    const run = new ThreadRun(thread, test, locs, values, chooser);
    try {
      run.run(thread.body);
      const registers = new Map([...run.registers].map(([k, v]) => [k, v.v]));
      out.push({
        events: run.events,
        rmw: run.rmw,
        addr: run.addr,
        data: run.data,
        ctrl: run.ctrl,
        registers,
      });
    } catch (e) {
      if (!(e instanceof ImpossiblePath)) throw e;
    }
    choices = chooser.advance();
    if (out.length > 100_000) throw new InputError(test.name, 'more than 100000 paths through one thread');
  }
  return out;
}

/**
 * Every path of every thread. The values a read may return grow to a fixpoint: a round runs all
 * threads on the values known so far and adds what their writes store. A value an execution can
 * really read is justified by a chain of distinct writes, so rounds stop after as many rounds as a
 * run of the test has writes, even where an increment would feed on itself forever.
 */
export function threadTraces(test: LitmusTest, locs: Locations): ThreadTrace[][] {
  const values = locs.init.map((v) => new Set([v]));
  let rounds = 1;
  for (let round = 0; ; round++) {
    const arrays = values.map((s) => [...s].sort((a, b) => a - b));
    const traces = test.threads.map((t) => tracesOf(t, test, locs, arrays));
    if (round === 0)
      for (const per of traces)
        rounds += Math.max(0, ...per.map((tr) => tr.events.filter((e) => e.kind === 'W').length));
    let grew = false;
    for (const per of traces)
      for (const tr of per)
        for (const e of tr.events)
          if (e.kind === 'W' && !values[e.loc].has(e.value)) {
            values[e.loc].add(e.value);
            grew = true;
          }
    if (!grew || round >= rounds) return traces;
  }
}
