/**
 * The syntactic shape of a C litmus test: its constructs with every location, register and
 * constant abstracted away, so that the tests pfnlab writes can be compared with the kernel's own
 * (tools/memory-model/litmus-tests/) construct by construct. Read from the raw text, not through
 * pfnlab's parser, which accepts more than herd7 does (`~x`, for one): a shape is what herd7's C
 * lexer and parser would be given.
 */

/** One test's constructs, by part; each entry is a construct with its names written `x` and its numbers `N`. */
export interface LitmusShape {
  /** Characters other than letters and digits in the test's name. */
  readonly name: readonly string[];
  /** Each declaration of the initial-state block. */
  readonly init: readonly string[];
  /** Each parameter of each thread (`int *x`, `spinlock_t *x`). */
  readonly params: readonly string[];
  /** Each statement of each thread body (an `if (...)` head is one, its arms are others). */
  readonly statements: readonly string[];
  /** The final-state clauses' keywords, connectives and atoms (`T:x=N`, `x=x`). */
  readonly clauses: readonly string[];
}

const TYPE_WORDS = new Set([
  'int',
  'long',
  'char',
  'unsigned',
  'void',
  'struct',
  'atomic_t',
  'spinlock_t',
  'srcu_struct',
  'intptr_t',
  'uintptr_t',
]);
const KEYWORDS = new Set(['if', 'else', 'while']);
const TOKEN = /\s*(\/\\|\\\/|==|!=|<=|>=|&&|\|\||[A-Za-z_][A-Za-z0-9_]*|\d+|\S)/y;

function stripComments(text: string): string {
  return text
    .replace(/\(\*\s[\s\S]*?\*\)/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ');
}

function tokens(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) out.push(m[1]);
  return out;
}

/** A token as the shape writes it: calls, types and keywords kept, other names `x`, numbers `N`. */
function abstractToken(tok: string, next: string | undefined): string {
  if (/^\d+$/.test(tok)) return 'N';
  if (!/^[A-Za-z_]/.test(tok)) return tok;
  if (TYPE_WORDS.has(tok) || KEYWORDS.has(tok) || next === '(') return tok;
  return 'x';
}

function abstractRun(toks: readonly string[]): string {
  return toks.map((t, i) => abstractToken(t, toks[i + 1])).join(' ');
}

/** The index just past the bracket that closes the one at `open`. */
function closing(toks: readonly string[], open: number): number {
  const pair: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const close = pair[toks[open]];
  let depth = 0;
  for (let i = open; i < toks.length; i++) {
    if (toks[i] === toks[open]) depth++;
    else if (toks[i] === close && --depth === 0) return i + 1;
  }
  return toks.length;
}

/** A thread body's statements: split at `;`, braces dropped, an `if (...)`/`else` head its own statement. */
function statementShapes(body: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = (): void => {
    if (run.length) out.push(abstractRun(run));
    run = [];
  };
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (t === '{' || t === '}') flush();
    else if (t === 'if' || t === 'while') {
      flush();
      const end = closing(body, i + 1);
      out.push(abstractRun(body.slice(i, end)));
      i = end - 1;
    } else if (t === 'else') {
      flush();
      out.push('else');
    } else if (t === ';') {
      run.push(t);
      flush();
    } else run.push(t);
  }
  flush();
  return out;
}

/** Splits a comma-separated parameter list. */
function paramShapes(params: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  for (const t of [...params, ',']) {
    if (t !== ',') run.push(t);
    else if (run.length) {
      out.push(abstractRun(run));
      run = [];
    }
  }
  return out;
}

const CLAUSE_WORDS = new Set(['exists', 'forall', 'filter', 'locations', 'true', 'false', 'not']);

/** `T:reg`, `loc`, their `=value` or `!=value`, and the clauses' keywords and connectives as they are. */
function clauseShapes(toks: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    let ref: string | undefined;
    if (/^\d+$/.test(t) && toks[i + 1] === ':') {
      ref = 'T:x';
      i += 2;
    } else if (/^[A-Za-z_]/.test(t) && !CLAUSE_WORDS.has(t)) ref = 'x';
    if (ref === undefined) {
      out.push(/^\d+$/.test(t) ? 'N' : t);
      continue;
    }
    const op = toks[i + 1];
    if (op === '=' || op === '!=') {
      out.push(`${ref}${op}${abstractToken(toks[i + 2], undefined)}`);
      i += 2;
    } else out.push(ref);
  }
  return out;
}

/** The shape of a litmus test's text (`C name`, init block, threads, clauses). */
export function litmusShape(text: string): LitmusShape {
  const lines = stripComments(text).split('\n');
  const header = lines.findIndex((l) => /^\s*C\s/.test(l));
  const name = header < 0 ? '' : lines[header].trim().slice(2).trim();
  const toks = tokens(lines.slice(header + 1).join('\n'));
  const initOpen = toks.indexOf('{');
  const initClose = closing(toks, initOpen);
  const init = toks.slice(initOpen + 1, initClose - 1);
  const initShapes = statementShapes(init);
  const params: string[] = [];
  const statements: string[] = [];
  let i = initClose;
  while (i < toks.length && /^P\d+$/.test(toks[i])) {
    const paramsEnd = closing(toks, i + 1);
    params.push(...paramShapes(toks.slice(i + 2, paramsEnd - 1)));
    const bodyEnd = closing(toks, paramsEnd);
    statements.push(...statementShapes(toks.slice(paramsEnd + 1, bodyEnd - 1)));
    i = bodyEnd;
  }
  return {
    name: [...new Set(name.replace(/[A-Za-z0-9]/g, ''))].sort(),
    init: initShapes,
    params,
    statements,
    clauses: clauseShapes(toks.slice(i)),
  };
}

export type ShapePart = keyof LitmusShape;
export const SHAPE_PARTS: readonly ShapePart[] = ['name', 'init', 'params', 'statements', 'clauses'];

/** Each part's shapes over many tests, each with the first test (by path) that has it. */
export type ShapeCatalogue = Record<ShapePart, Record<string, string>>;

export function shapeCatalogue(
  tests: readonly { readonly path: string; readonly text: string }[],
): ShapeCatalogue {
  const cat = Object.fromEntries(SHAPE_PARTS.map((p) => [p, {}])) as ShapeCatalogue;
  for (const t of [...tests].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const s = litmusShape(t.text);
    for (const p of SHAPE_PARTS) for (const x of s[p]) cat[p][x] ??= t.path;
  }
  for (const p of SHAPE_PARTS)
    cat[p] = Object.fromEntries(Object.entries(cat[p]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return cat;
}
