/**
 * The classic shapes under LKMM, written for pfnlab (not the kernel's files): each verdict is the
 * one the Linux-kernel memory model gives, with the reason in the test's name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLitmus, LitmusSyntaxError } from '../../src/lkmm/index.js';

/** A litmus test from thread bodies: P<i> takes every shared location as a parameter. */
function litmus(
  name: string,
  threads: string[],
  condition: string,
  init = '',
  params = 'int *a, int *b, int *c',
): string {
  const ps = threads.map((body, i) => `P${i}(${params})\n{\n${body}\n}\n`).join('\n');
  return `C ${name}\n\n{\n${init}\n}\n\n${ps}\n${condition}\n`;
}

function verdict(text: string): string {
  return checkLitmus(text).result;
}

const REGS = 'int r0; int r1;';

describe('lkmm: message passing (MP)', () => {
  const mp = (writer: string, reader: string): string =>
    litmus('MP', [writer, `${REGS}\n${reader}`], 'exists (1:r0=1 /\\ 1:r1=0)');
  it('ONCE accesses only: the reader may see the flag and stale data', () => {
    assert.equal(
      verdict(mp('WRITE_ONCE(*a, 1); WRITE_ONCE(*b, 1);', 'r0 = READ_ONCE(*b); r1 = READ_ONCE(*a);')),
      'Sometimes',
    );
  });
  it('smp_wmb() on one side is not enough', () => {
    assert.equal(
      verdict(
        mp('WRITE_ONCE(*a, 1); smp_wmb(); WRITE_ONCE(*b, 1);', 'r0 = READ_ONCE(*b); r1 = READ_ONCE(*a);'),
      ),
      'Sometimes',
    );
  });
  it('smp_wmb() paired with smp_rmb() forbids it', () => {
    assert.equal(
      verdict(
        mp(
          'WRITE_ONCE(*a, 1); smp_wmb(); WRITE_ONCE(*b, 1);',
          'r0 = READ_ONCE(*b); smp_rmb(); r1 = READ_ONCE(*a);',
        ),
      ),
      'Never',
    );
  });
  it('release paired with acquire forbids it', () => {
    assert.equal(
      verdict(
        mp('WRITE_ONCE(*a, 1); smp_store_release(b, 1);', 'r0 = smp_load_acquire(b); r1 = READ_ONCE(*a);'),
      ),
      'Never',
    );
  });
  it('release without acquire does not', () => {
    assert.equal(
      verdict(mp('WRITE_ONCE(*a, 1); smp_store_release(b, 1);', 'r0 = READ_ONCE(*b); r1 = READ_ONCE(*a);')),
      'Sometimes',
    );
  });
  it('a control dependency orders a later store but not a later load', () => {
    const ctrl = mp(
      'WRITE_ONCE(*a, 1); smp_store_release(b, 1);',
      'r0 = READ_ONCE(*b); if (r0) r1 = READ_ONCE(*a);',
    );
    assert.equal(verdict(ctrl), 'Sometimes');
  });
  it('rcu_assign_pointer() and rcu_dereference() order through the address dependency', () => {
    const text = litmus(
      'MP+assign+deref',
      [
        'WRITE_ONCE(*b, 1); rcu_assign_pointer(*c, b);',
        'int *r0; int r1; rcu_read_lock(); r0 = rcu_dereference(*c); r1 = READ_ONCE(*r0); rcu_read_unlock();',
      ],
      'exists (1:r0=b /\\ 1:r1=0)',
      'int *c = &a;',
      'int *a, int *b, int **c',
    );
    assert.equal(verdict(text), 'Never');
    // The same pointer published with a plain WRITE_ONCE() gives no such ordering.
    assert.equal(verdict(text.replace('rcu_assign_pointer(*c, b)', 'WRITE_ONCE(*c, b)')), 'Sometimes');
  });
});

describe('lkmm: store buffering, load buffering, read and store shapes', () => {
  it('SB: ONCE Sometimes, smp_mb() on both sides Never, on one side Sometimes', () => {
    const sb = (f0: string, f1: string): string =>
      litmus(
        'SB',
        [
          `int r0; WRITE_ONCE(*a, 1); ${f0} r0 = READ_ONCE(*b);`,
          `int r0; WRITE_ONCE(*b, 1); ${f1} r0 = READ_ONCE(*a);`,
        ],
        'exists (0:r0=0 /\\ 1:r0=0)',
      );
    assert.equal(verdict(sb('', '')), 'Sometimes');
    assert.equal(verdict(sb('smp_mb();', 'smp_mb();')), 'Never');
    assert.equal(verdict(sb('smp_mb();', '')), 'Sometimes');
    // release/acquire do not order a store before a later load
    assert.equal(
      verdict(
        litmus(
          'SB+relacq',
          [
            'int r0; smp_store_release(a, 1); r0 = smp_load_acquire(b);',
            'int r0; smp_store_release(b, 1); r0 = smp_load_acquire(a);',
          ],
          'exists (0:r0=0 /\\ 1:r0=0)',
        ),
      ),
      'Sometimes',
    );
  });
  it('LB: ONCE Sometimes; data dependencies, a control dependency with smp_mb(), acquire Never', () => {
    const lb = (t0: string, t1: string): string =>
      litmus('LB', [`int r0; ${t0}`, `int r0; ${t1}`], 'exists (0:r0=1 /\\ 1:r0=1)');
    assert.equal(
      verdict(lb('r0 = READ_ONCE(*a); WRITE_ONCE(*b, 1);', 'r0 = READ_ONCE(*b); WRITE_ONCE(*a, 1);')),
      'Sometimes',
    );
    assert.equal(
      verdict(lb('r0 = READ_ONCE(*a); WRITE_ONCE(*b, r0);', 'r0 = READ_ONCE(*b); WRITE_ONCE(*a, r0);')),
      'Never',
    );
    assert.equal(
      verdict(
        lb(
          'r0 = READ_ONCE(*a); if (r0) WRITE_ONCE(*b, 1);',
          'r0 = READ_ONCE(*b); smp_mb(); WRITE_ONCE(*a, 1);',
        ),
      ),
      'Never',
    );
    assert.equal(
      verdict(
        lb('r0 = smp_load_acquire(a); WRITE_ONCE(*b, 1);', 'r0 = smp_load_acquire(b); WRITE_ONCE(*a, 1);'),
      ),
      'Never',
    );
  });
  it('R: smp_mb() on both sides Never, ONCE Sometimes', () => {
    const r = (f0: string, f1: string): string =>
      litmus(
        'R',
        [
          `WRITE_ONCE(*a, 1); ${f0} WRITE_ONCE(*b, 1);`,
          `int r0; WRITE_ONCE(*b, 2); ${f1} r0 = READ_ONCE(*a);`,
        ],
        'exists (b=2 /\\ 1:r0=0)',
      );
    assert.equal(verdict(r('', '')), 'Sometimes');
    assert.equal(verdict(r('smp_mb();', 'smp_mb();')), 'Never');
    assert.equal(verdict(r('smp_wmb();', 'smp_mb();')), 'Sometimes');
  });
  it('S: smp_wmb() with an acquire Never, ONCE Sometimes', () => {
    const s = (f0: string, load: string): string =>
      litmus(
        'S',
        [`WRITE_ONCE(*a, 2); ${f0} WRITE_ONCE(*b, 1);`, `int r0; r0 = ${load}; WRITE_ONCE(*a, 1);`],
        'exists (a=2 /\\ 1:r0=1)',
      );
    assert.equal(verdict(s('', 'READ_ONCE(*b)')), 'Sometimes');
    assert.equal(verdict(s('smp_wmb();', 'smp_load_acquire(b)')), 'Never');
  });
  it('2+2W: ONCE Sometimes, smp_mb() on both sides Never', () => {
    const w = (f: string): string =>
      litmus(
        '2+2W',
        [`WRITE_ONCE(*a, 1); ${f} WRITE_ONCE(*b, 2);`, `WRITE_ONCE(*b, 1); ${f} WRITE_ONCE(*a, 2);`],
        'exists (a=1 /\\ b=1)',
      );
    assert.equal(verdict(w('')), 'Sometimes');
    assert.equal(verdict(w('smp_mb();')), 'Never');
  });
  it('coherence: a thread never reads a location backwards', () => {
    const text = litmus(
      'CoRR',
      ['WRITE_ONCE(*a, 1);', `${REGS} r0 = READ_ONCE(*a); r1 = READ_ONCE(*a);`],
      'exists (1:r0=1 /\\ 1:r1=0)',
    );
    assert.equal(verdict(text), 'Never');
  });
});

describe('lkmm: cumulativity (WRC, IRIW, ISA2, Z6.0)', () => {
  it('WRC: release is A-cumulative, ONCE is not', () => {
    const wrc = (store: string, fence: string): string =>
      litmus(
        'WRC',
        [
          'WRITE_ONCE(*a, 1);',
          `int r0; r0 = READ_ONCE(*a); ${store};`,
          `${REGS} r0 = READ_ONCE(*b); ${fence} r1 = READ_ONCE(*a);`,
        ],
        'exists (1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0)',
      );
    assert.equal(verdict(wrc('WRITE_ONCE(*b, 1)', '')), 'Sometimes');
    assert.equal(verdict(wrc('smp_store_release(b, 1)', 'smp_rmb();')), 'Never');
    assert.equal(verdict(wrc('WRITE_ONCE(*b, 1)', 'smp_rmb();')), 'Sometimes');
  });
  it('IRIW: readers disagree on the order of independent writes unless both use smp_mb()', () => {
    const iriw = (f: string): string =>
      litmus(
        'IRIW',
        [
          'WRITE_ONCE(*a, 1);',
          `${REGS} r0 = READ_ONCE(*a); ${f} r1 = READ_ONCE(*b);`,
          'WRITE_ONCE(*b, 1);',
          `${REGS} r0 = READ_ONCE(*b); ${f} r1 = READ_ONCE(*a);`,
        ],
        'exists (1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0)',
      );
    assert.equal(verdict(iriw('')), 'Sometimes');
    assert.equal(verdict(iriw('smp_rmb();')), 'Sometimes');
    assert.equal(verdict(iriw('smp_mb();')), 'Never');
  });
  it('ISA2: a release-acquire chain is transitive', () => {
    const isa2 = (rel: boolean): string =>
      litmus(
        'ISA2',
        [
          `WRITE_ONCE(*a, 1); ${rel ? 'smp_store_release(b, 1)' : 'WRITE_ONCE(*b, 1)'};`,
          `int r0; r0 = ${rel ? 'smp_load_acquire(b)' : 'READ_ONCE(*b)'}; ${rel ? 'smp_store_release(c, 1)' : 'WRITE_ONCE(*c, 1)'};`,
          `${REGS} r0 = ${rel ? 'smp_load_acquire(c)' : 'READ_ONCE(*c)'}; r1 = READ_ONCE(*a);`,
        ],
        'exists (1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0)',
      );
    assert.equal(verdict(isa2(false)), 'Sometimes');
    assert.equal(verdict(isa2(true)), 'Never');
  });
  it('Z6.0: a release-acquire chain ending in a store needs a full barrier at both ends', () => {
    const z6 = (f0: string): string =>
      litmus(
        'Z6.0',
        [
          `WRITE_ONCE(*a, 1); ${f0} WRITE_ONCE(*b, 1);`,
          'int r0; r0 = smp_load_acquire(b); smp_store_release(c, 1);',
          'int r1; WRITE_ONCE(*c, 2); smp_mb(); r1 = READ_ONCE(*a);',
        ],
        'exists (1:r0=1 /\\ c=2 /\\ 2:r1=0)',
      );
    assert.equal(verdict(z6('smp_wmb();')), 'Sometimes');
    assert.equal(verdict(z6('smp_mb();')), 'Never');
  });
});

describe('lkmm: RCU', () => {
  const gp = (reader: string, updater: string): string =>
    litmus('RCU', [reader, updater], 'exists (0:r0=1 /\\ 0:r1=0)');
  const READER = `${REGS} rcu_read_lock(); r0 = READ_ONCE(*a); r1 = READ_ONCE(*b); rcu_read_unlock();`;
  it('a grace period separates a whole read-side critical section from the updater', () => {
    assert.equal(verdict(gp(READER, 'WRITE_ONCE(*b, 1); synchronize_rcu(); WRITE_ONCE(*a, 1);')), 'Never');
  });
  it('without synchronize_rcu(), or outside a read-side critical section, it may be seen', () => {
    assert.equal(verdict(gp(READER, 'WRITE_ONCE(*b, 1); WRITE_ONCE(*a, 1);')), 'Sometimes');
    assert.equal(
      verdict(
        gp(
          READER.replace('rcu_read_lock();', '').replace('rcu_read_unlock();', ''),
          'WRITE_ONCE(*b, 1); synchronize_rcu(); WRITE_ONCE(*a, 1);',
        ),
      ),
      'Sometimes',
    );
  });
  it('teardown: clear, synchronize_rcu(), poison: a reader that saw the bit never sees the poison', () => {
    const text = litmus(
      'teardown',
      [
        `${REGS} rcu_read_lock(); r0 = READ_ONCE(*a); if (r0) r1 = READ_ONCE(*b); rcu_read_unlock();`,
        'WRITE_ONCE(*a, 0); synchronize_rcu(); WRITE_ONCE(*b, 2);',
      ],
      'exists (0:r0=1 /\\ 0:r1=2)',
      'int a = 1; int b = 1;',
    );
    assert.equal(verdict(text), 'Never');
  });
  it('SRCU: the grace period of the same srcu_struct', () => {
    const text = litmus(
      'SRCU',
      [
        'int r0; int r1; int i; i = srcu_read_lock(c); r0 = READ_ONCE(*a); r1 = READ_ONCE(*b); srcu_read_unlock(c, i);',
        'WRITE_ONCE(*b, 1); synchronize_srcu(c); WRITE_ONCE(*a, 1);',
      ],
      'exists (0:r0=1 /\\ 0:r1=0)',
      '',
      'int *a, int *b, struct srcu_struct *c',
    );
    assert.equal(verdict(text), 'Never');
  });
});

describe('lkmm: locks and atomics', () => {
  it('a lock makes read-increment-write atomic; without it an update is lost', () => {
    const inc = (lock: boolean): string =>
      litmus(
        'inc',
        [0, 1].map(
          () =>
            `int r0; ${lock ? 'spin_lock(c);' : ''} r0 = READ_ONCE(*a); WRITE_ONCE(*a, r0 + 1); ${lock ? 'spin_unlock(c);' : ''}`,
        ),
        'exists (a=1)',
        '',
        'int *a, spinlock_t *c',
      );
    assert.equal(verdict(inc(false)), 'Sometimes');
    assert.equal(verdict(inc(true)), 'Never');
  });
  it('critical sections of one lock are ordered (MP through a lock)', () => {
    const text = litmus(
      'MP+locks',
      [
        'spin_lock(c); WRITE_ONCE(*a, 1); WRITE_ONCE(*b, 1); spin_unlock(c);',
        `${REGS} spin_lock(c); r0 = READ_ONCE(*b); r1 = READ_ONCE(*a); spin_unlock(c);`,
      ],
      'exists (1:r0=1 /\\ 1:r1=0)',
      '',
      'int *a, int *b, spinlock_t *c',
    );
    assert.equal(verdict(text), 'Never');
  });
  it('spin_trylock() fails only while the other thread holds the lock', () => {
    const text = litmus(
      'trylock',
      [
        'spin_lock(c); WRITE_ONCE(*a, 1); spin_unlock(c);',
        'int r0; int r1; r0 = spin_trylock(c); if (r0) { r1 = READ_ONCE(*a); spin_unlock(c); }',
      ],
      'exists (1:r0=0)',
      '',
      'int *a, spinlock_t *c',
    );
    assert.equal(verdict(text), 'Sometimes');
  });
  it('a thread taking a lock it holds can never run: DEADLOCK', () => {
    const text = litmus(
      'self',
      ['spin_lock(c); spin_lock(c); WRITE_ONCE(*a, 1);'],
      'exists (a=1)',
      '',
      'int *a, spinlock_t *c',
    );
    const o = checkLitmus(text);
    assert.equal(o.result, 'DEADLOCK');
    assert.equal(o.executions, 0);
  });
  it('atomic_inc() never loses an increment; atomic_inc_return() and xchg() give each thread its own value', () => {
    const both = (op: string, cond: string): string =>
      litmus(
        'atomics',
        [`int r0; ${op}`, `int r0; ${op}`],
        cond,
        'atomic_t a = ATOMIC_INIT(5);',
        'atomic_t *a',
      );
    assert.equal(verdict(both('atomic_inc(a);', 'exists (a=7)')), 'Always');
    assert.equal(verdict(both('r0 = atomic_inc_return(a);', 'exists (0:r0=6 /\\ 1:r0=6)')), 'Never');
    assert.equal(verdict(both('r0 = xchg(a, 1);', 'exists (0:r0=5 /\\ 1:r0=5)')), 'Never');
    assert.equal(verdict(both('r0 = cmpxchg(a, 5, 9);', 'exists (0:r0=5 /\\ 1:r0=5)')), 'Never');
    assert.equal(verdict(both('r0 = atomic_fetch_add_relaxed(2, a);', 'exists (a=9)')), 'Always');
  });
  it('a value-returning atomic is a full barrier; a relaxed one or atomic_inc() is not', () => {
    const sb = (op: string): string =>
      litmus(
        'SB+atomic',
        [
          `int r0; int r9; WRITE_ONCE(*a, 1); ${op}; r0 = READ_ONCE(*b);`,
          `int r0; int r9; WRITE_ONCE(*b, 1); ${op}; r0 = READ_ONCE(*a);`,
        ],
        'exists (0:r0=0 /\\ 1:r0=0)',
        '',
        'int *a, int *b, atomic_t *c',
      );
    assert.equal(verdict(sb('r9 = atomic_inc_return(c)')), 'Never');
    assert.equal(verdict(sb('r9 = atomic_inc_return_relaxed(c)')), 'Sometimes');
    assert.equal(verdict(sb('atomic_inc(c)')), 'Sometimes');
    assert.equal(verdict(sb('smp_mb__before_atomic(); atomic_inc(c); smp_mb__after_atomic()')), 'Never');
  });
});

describe('lkmm: plain accesses and data races', () => {
  it('plain data published with release/acquire: no race, never stale', () => {
    const text = litmus(
      'MP+plain',
      ['*a = 1; smp_store_release(b, 1);', `${REGS} r0 = smp_load_acquire(b); if (r0) r1 = *a;`],
      'exists (1:r0=1 /\\ 1:r1=0)',
    );
    const o = checkLitmus(text);
    assert.equal(o.result, 'Never');
    assert.equal(o.dataRace, false);
  });
  it('plain data published with a ONCE flag: a data race', () => {
    const text = litmus(
      'MP+plain+once',
      ['*a = 1; WRITE_ONCE(*b, 1);', `${REGS} r0 = READ_ONCE(*b); if (r0) r1 = *a;`],
      'exists (1:r0=1 /\\ 1:r1=0)',
    );
    assert.equal(checkLitmus(text).dataRace, true);
  });
  it('a plain flag written and read concurrently is a data race; ONCE on both sides is not', () => {
    const flag = (w: string, r: string): boolean =>
      checkLitmus(litmus('flag', [w, `int r0; r0 = ${r};`], 'exists (1:r0=1)')).dataRace;
    assert.equal(flag('*a = 1;', '*a'), true);
    assert.equal(flag('WRITE_ONCE(*a, 1);', '*a'), true);
    assert.equal(flag('WRITE_ONCE(*a, 1);', 'READ_ONCE(*a)'), false);
  });
  it('plain accesses inside one lock do not race', () => {
    const text = litmus(
      'locked',
      ['spin_lock(c); *a = 1; spin_unlock(c);', 'int r0; spin_lock(c); r0 = *a; spin_unlock(c);'],
      'exists (1:r0=1)',
      '',
      'int *a, spinlock_t *c',
    );
    const o = checkLitmus(text);
    assert.equal(o.result, 'Sometimes');
    assert.equal(o.dataRace, false);
  });
});

describe('lkmm: the litmus format', () => {
  it('filter drops executions, locations are reported, ~exists and counts are kept', () => {
    const text = litmus(
      'filtered',
      ['WRITE_ONCE(*a, 1); WRITE_ONCE(*b, 1);', `${REGS} r0 = READ_ONCE(*b); r1 = READ_ONCE(*a);`],
      'locations [a; b]\nfilter (1:r0=1)\n~exists (1:r1=0)',
    );
    const o = checkLitmus(text);
    assert.equal(o.quantifier, 'not-exists');
    assert.equal(o.result, 'Sometimes');
    assert.equal(o.executions, 2);
    assert.equal(o.positive, 1);
    assert.equal(o.ok, false);
    assert.ok(o.states.every((s) => s.startsWith('a=1; b=1; ')));
  });
  it('a Sometimes verdict comes with a witness: each read and the write it reads from', () => {
    const text = litmus(
      'MP',
      ['WRITE_ONCE(*a, 1); WRITE_ONCE(*b, 1);', `${REGS} r0 = READ_ONCE(*b); r1 = READ_ONCE(*a);`],
      'exists (1:r0=1 /\\ 1:r1=0)',
    );
    assert.deepEqual(checkLitmus(text).witness, [
      'P0: #1 W[ONCE] a=1; #2 W[ONCE] b=1',
      'P1: #1 R[ONCE] b=1 from P0#2; #2 R[ONCE] a=0 from init',
    ]);
    assert.equal(checkLitmus(text.replace('exists', '~exists').replace('r1=0', 'r1=7')).witness, undefined);
  });
  it('a syntax error names line and column', () => {
    const text = 'C bad\n{}\nP0(int *a)\n{\n\tWRITE_ONCE(*a 1);\n}\nexists (a=1)\n';
    assert.throws(
      () => checkLitmus(text, 't.litmus'),
      (e: unknown) => {
        assert.ok(e instanceof LitmusSyntaxError);
        assert.match((e as Error).message, /^t\.litmus:5:16: expected ',' or '\)'/);
        return true;
      },
    );
  });
  it('an unknown primitive, a missing thread and an undeclared register are refused by name', () => {
    assert.throws(
      () => checkLitmus(litmus('x', ['smp_frob();'], 'exists (a=0)')),
      /'smp_frob' is not a primitive/,
    );
    assert.throws(() => checkLitmus(litmus('x', ['WRITE_ONCE(*a, 1);'], 'exists (3:r0=0)')), /no thread P3/);
    assert.throws(
      () => checkLitmus(litmus('x', ['WRITE_ONCE(*a, 1);'], 'exists (0:r7=0)')),
      /no register of P0/,
    );
  });
});

describe('lkmm: hostile input', () => {
  it('absurd nesting and too many executions are refused with one line, not a stack overflow or a hang', () => {
    const deep = `C deep\n{}\nP0(int *a) { int r; r = ${'('.repeat(3000)}1${')'.repeat(3000)}; }\nexists (a=0)`;
    assert.throws(() => checkLitmus(deep), /nesting deeper than 200 levels/);
    const writes = Array.from({ length: 11 }, (_, i) => `WRITE_ONCE(*a, ${i + 1});`).join(' ');
    assert.throws(
      () => checkLitmus(litmus('big', [writes, writes], 'exists (a=0)')),
      /more than 100000 orders/,
    );
  });
});
