/**
 * The C litmus format of tools/memory-model/ (herd7's C dialect): lexer and recursive-descent
 * parser. Every mistake is a LitmusSyntaxError naming line:column.
 */
import { InputError } from '../errors.js';
import type { Expr, InitValue, LitmusTest, Pos, Prop, Quantifier, StateRef, Stmt, Thread } from './ast.js';

export class LitmusSyntaxError extends InputError {
  constructor(file: string, at: Pos, problem: string, value?: unknown) {
    super(`${file}:${at.line}:${at.column}`, problem, value);
  }
}

type TokenKind = 'ident' | 'num' | 'punct' | 'eof';
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: Pos;
}

const PUNCT = [
  '/\\',
  '\\/',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<<',
  '>>',
  '->',
  ...'{}()[];,:=+-*/%&|^!~<>?.'.split(''),
];

/** A token text echoed in a message, capped in length. */
function shown(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Splits the text into tokens; `(* ... *)` (when `(*` is followed by a space), `/* */ ` and `; //` are comments. */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): Pos => ({ line, column: i - lineStart + 1 });
  const skipTo = (end: string, at: Pos): void => {
    const j = text.indexOf(end, i);
    if (j < 0) throw new LitmusSyntaxError(file, at, `comment never closed (no '${end}')`);
    for (; i < j + end.length; i++) {
      if (text[i] !== '\n') continue;
      line++;
      lineStart = i + 1;
    }
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    const at = pos();
    if (text.startsWith('(*', i) && /[\s*]/.test(text[i + 2] ?? ' ')) {
      i += 2;
      skipTo('*)', at);
      continue;
    }
    if (text.startsWith('/*', i)) {
      i += 2;
      skipTo('*/', at);
      continue;
    }
    if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (tokens.length === 1 && tokens[0].text === 'C') {
      // The test's name runs to the next blank: it may hold '+', '.', '-' and start with a digit (2+2W).
      const name = /^\S+/.exec(text.slice(i, i + 200))![0];
      tokens.push({ kind: 'ident', text: name, at });
      i += name.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 200));
    if (word) {
      tokens.push({ kind: 'ident', text: word[0], at });
      i += word[0].length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*/.exec(text.slice(i, i + 40));
    if (num) {
      tokens.push({ kind: 'num', text: num[1], at });
      i += num[0].length;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (!p) throw new LitmusSyntaxError(file, at, `unexpected character '${shown(c)}'`, c);
    tokens.push({ kind: 'punct', text: p, at });
    i += p.length;
  }
  tokens.push({ kind: 'eof', text: 'end of file', at: pos() });
  return tokens;
}

/** Type words a declaration may start with (herd7 understands only ints and pointers; the rest is spelling). */
const TYPE_WORDS = new Set([
  'int',
  'long',
  'short',
  'char',
  'unsigned',
  'signed',
  'bool',
  'void',
  'const',
  'volatile',
  'struct',
  'atomic_t',
  'atomic_long_t',
  'atomic64_t',
  'spinlock_t',
  'intptr_t',
  'uintptr_t',
  'size_t',
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
]);

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Nesting deeper than this is no litmus test (and would overflow the stack). */
const MAX_DEPTH = 200;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  get peek(): Token {
    return this.tokens[this.i];
  }
  ahead(n: number): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)];
  }
  next(): Token {
    const t = this.tokens[this.i];
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  is(text: string): boolean {
    return this.peek.kind !== 'eof' && this.peek.text === text;
  }
  accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }
  fail(problem: string, at: Pos = this.peek.at): never {
    throw new LitmusSyntaxError(this.file, at, problem, this.peek.text);
  }
  expect(text: string, what = `'${text}'`): Token {
    if (!this.is(text)) this.fail(`expected ${what}, found '${shown(this.peek.text)}'`);
    return this.next();
  }
  ident(what: string): Token {
    if (this.peek.kind !== 'ident') this.fail(`expected ${what}, found '${shown(this.peek.text)}'`);
    return this.next();
  }

  test(): LitmusTest {
    if (!this.is('C')) this.fail(`expected 'C <name>' on the first line (only C litmus tests are decided)`);
    this.next();
    const name = this.ident('the test name').text;
    const init = new Map<string, InitValue>();
    const registerInit = new Map<string, InitValue>();
    if (this.is('{')) this.initBlock(init, registerInit);
    const threads: Thread[] = [];
    while (this.peek.kind === 'ident' && /^P[0-9]+$/.test(this.peek.text))
      threads.push(this.thread(threads.length));
    if (threads.length === 0) this.fail('expected a thread P0(...) { ... }');
    let locations: StateRef[] = [];
    let filter: Prop | undefined;
    for (;;) {
      if (this.accept('locations')) locations = this.locationList();
      else if (this.accept('filter')) filter = this.prop();
      else break;
    }
    const quantifier = this.quantifier();
    const condition = this.prop();
    if (this.peek.kind !== 'eof')
      this.fail(`unexpected '${shown(this.peek.text)}' after the final condition`);
    return { name, init, registerInit, threads, locations, filter, quantifier, condition };
  }

  quantifier(): Quantifier {
    if (this.accept('exists')) return 'exists';
    if (this.accept('forall')) return 'forall';
    if (this.is('~') && this.ahead(1).text === 'exists') {
      this.next();
      this.next();
      return 'not-exists';
    }
    return this.fail(`expected 'exists', '~exists' or 'forall', found '${shown(this.peek.text)}'`);
  }

  initBlock(init: Map<string, InitValue>, registerInit: Map<string, InitValue>): void {
    this.expect('{');
    while (!this.accept('}')) {
      if (this.accept(';')) continue;
      const at = this.peek.at;
      let thread: number | undefined;
      if (this.peek.kind === 'num' && this.ahead(1).text === ':') {
        thread = Number(this.next().text);
        this.next();
      }
      const words: string[] = [];
      while (this.peek.kind === 'ident' || this.is('*')) {
        const t = this.next();
        if (t.kind === 'ident') words.push(t.text);
      }
      if (words.length === 0)
        this.fail(`expected a declaration such as 'int x = 1;', found '${shown(this.peek.text)}'`);
      const name = words[words.length - 1];
      const value = this.accept('=') ? this.initValue() : { int: 0 };
      if (!this.is('}')) this.expect(';');
      const target = thread === undefined ? init : registerInit;
      const key = thread === undefined ? name : `${thread}:${name}`;
      if (target.has(key)) this.fail(`'${shown(key)}' is initialized twice`, at);
      target.set(key, value);
    }
  }

  initValue(): InitValue {
    if (this.accept('&')) return { addressOf: this.ident('a location name').text };
    if (this.accept('-')) return { int: -this.number() };
    if (this.peek.kind === 'num') return { int: this.number() };
    const name = this.ident('a value');
    if (name.text === 'ATOMIC_INIT' || name.text === 'ATOMIC_LONG_INIT') {
      this.expect('(');
      const neg = this.accept('-');
      const v = this.number();
      this.expect(')');
      return { int: neg ? -v : v };
    }
    if (name.text === 'NULL') return { int: 0 };
    return { addressOf: name.text };
  }

  number(): number {
    const t = this.next();
    if (t.kind !== 'num') this.fail(`expected a number, found '${shown(t.text)}'`, t.at);
    const v = Number(t.text);
    if (!Number.isSafeInteger(v)) this.fail(`number ${shown(t.text)} is too large`, t.at);
    return v;
  }

  thread(index: number): Thread {
    const head = this.next();
    if (head.text !== `P${index}`)
      this.fail(`threads must be P0, P1, ... in order: expected P${index}`, head.at);
    this.expect('(');
    const params: string[] = [];
    while (!this.accept(')')) {
      let last: string | undefined;
      while (this.peek.kind === 'ident' || this.is('*')) {
        const t = this.next();
        if (t.kind === 'ident') last = t.text;
      }
      if (!last) this.fail(`expected a parameter such as 'int *x', found '${shown(this.peek.text)}'`);
      params.push(last);
      if (!this.is(')')) this.expect(',', "',' or ')'");
    }
    return { index, params, body: this.block() };
  }

  block(): Stmt[] {
    this.expect('{');
    const body: Stmt[] = [];
    while (!this.accept('}')) {
      if (this.peek.kind === 'eof') this.fail("expected '}' before the end of the file");
      body.push(...this.statement());
    }
    return body;
  }

  statement(): Stmt[] {
    return this.nested(() => this.statementAt());
  }

  statementAt(): Stmt[] {
    if (this.accept(';')) return [];
    if (this.is('{')) return this.block();
    if (this.accept('if')) {
      this.expect('(');
      const test = this.expr();
      this.expect(')');
      const then = this.statement();
      const otherwise = this.accept('else') ? this.statement() : [];
      return [{ kind: 'if', test, then, else: otherwise }];
    }
    if (['while', 'for', 'do', 'switch', 'goto'].includes(this.peek.text) && this.peek.kind === 'ident')
      this.fail(`'${this.peek.text}' is not supported by the litmus C dialect (unroll it or use 'if')`);
    if (this.peek.kind === 'ident' && TYPE_WORDS.has(this.peek.text) && this.ahead(1).kind !== 'punct')
      return this.declaration();
    if (this.peek.kind === 'ident' && TYPE_WORDS.has(this.peek.text) && this.ahead(1).text === '*')
      return this.declaration();
    const at = this.peek.at;
    const e = this.expr();
    if (this.accept('=')) {
      if (e.kind !== 'name' && e.kind !== 'deref')
        this.fail('only a register or *pointer can be assigned', at);
      const value = this.expr();
      this.expect(';');
      return [{ kind: 'assign', target: e, value, at }];
    }
    this.expect(';');
    return [{ kind: 'expr', expr: e }];
  }

  declaration(): Stmt[] {
    while (this.peek.kind === 'ident' && TYPE_WORDS.has(this.peek.text)) {
      if (this.next().text === 'struct') this.ident('a struct name');
    }
    const out: Stmt[] = [];
    do {
      while (this.accept('*'));
      const name = this.ident('a variable name');
      const init = this.accept('=') ? this.expr() : undefined;
      out.push({ kind: 'decl', name: name.text, init, at: name.at });
    } while (this.accept(','));
    this.expect(';');
    return out;
  }

  /** Runs f one nesting level deeper, refusing absurd depth with a line instead of a stack overflow. */
  nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  expr(): Expr {
    return this.nested(() => this.conditional());
  }

  conditional(): Expr {
    const test = this.binary(0);
    if (!this.accept('?')) return test;
    const then = this.expr();
    this.expect(':');
    return { kind: 'cond', test, then, else: this.expr() };
  }

  binary(level: number): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const op = BINARY_LEVELS[level].find((o) => this.is(o));
      if (!op || this.peek.kind !== 'punct') return left;
      this.next();
      left = { kind: 'binary', op, left, right: this.binary(level + 1) };
    }
  }

  unary(): Expr {
    return this.nested(() => this.unaryAt());
  }

  unaryAt(): Expr {
    const at = this.peek.at;
    if (this.accept('*')) return { kind: 'deref', ptr: this.unary(), at };
    if (this.accept('&')) return { kind: 'addr', name: this.ident('a location name').text, at };
    for (const op of ['!', '~', '-']) if (this.accept(op)) return { kind: 'unary', op, arg: this.unary() };
    if (this.is('(') && TYPE_WORDS.has(this.ahead(1).text)) {
      this.next();
      while (!this.accept(')')) {
        if (this.peek.kind === 'eof') this.fail("expected ')' closing a cast");
        this.next();
      }
      return this.unary();
    }
    return this.primary();
  }

  primary(): Expr {
    const t = this.peek;
    if (t.kind === 'num') return { kind: 'num', value: this.number() };
    if (this.accept('(')) {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (t.kind !== 'ident') this.fail(`expected an expression, found '${shown(t.text)}'`);
    this.next();
    if (!this.accept('(')) return { kind: 'name', name: t.text, at: t.at };
    const args: Expr[] = [];
    while (!this.accept(')')) {
      args.push(this.expr());
      if (!this.is(')')) this.expect(',', "',' or ')'");
    }
    return { kind: 'call', name: t.text, args, at: t.at };
  }

  locationList(): StateRef[] {
    this.expect('[');
    const refs: StateRef[] = [];
    while (!this.accept(']')) {
      if (this.accept(';')) continue;
      refs.push(this.stateRef());
    }
    return refs;
  }

  stateRef(): StateRef {
    if (this.peek.kind === 'num' && this.ahead(1).text === ':') {
      const thread = Number(this.next().text);
      this.next();
      return { thread, name: this.ident('a register name').text };
    }
    this.accept('*');
    return { name: this.ident('a location or N:register').text };
  }

  prop(): Prop {
    return this.nested(() => this.disjunction());
  }

  disjunction(): Prop {
    let left = this.conj();
    while (this.accept('\\/')) left = { kind: 'or', left, right: this.conj() };
    return left;
  }

  conj(): Prop {
    let left = this.atom();
    while (this.accept('/\\')) left = { kind: 'and', left, right: this.atom() };
    return left;
  }

  atom(): Prop {
    if (this.accept('~')) return { kind: 'not', arg: this.nested(() => this.atom()) };
    if (this.accept('(')) {
      const p = this.prop();
      this.expect(')');
      return p;
    }
    if (this.accept('true')) return { kind: 'true' };
    if (this.accept('false')) return { kind: 'false' };
    const ref = this.stateRef();
    const negated = this.accept('!=');
    if (!negated && !this.accept('==')) this.expect('=', "'=' or '!='");
    return { kind: 'eq', ref, value: this.initValue(), negated };
  }
}

/** Parses a litmus test; `file` names it in error messages. */
export function parseLitmus(text: string, file = 'litmus'): LitmusTest {
  return new Parser(tokenize(text, file), file).test();
}
