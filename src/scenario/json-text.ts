/**
 * JSON files as every reader in pfnlab takes them: a UTF-8 byte order mark
 * is dropped, and a syntax error is one line, "file:line:column: not valid
 * JSON (reason)". Node 20's JSON.parse() quotes the offending text (newlines
 * and control bytes included) instead of placing it, so the place is found
 * by a scan of our own.
 */
import { escapeControls, InputError } from '../errors.js';

const BOM = '\uFEFF';

/** Text safe to print on one line: control characters and invalid UTF-8 as escapes, cut to `max`. */
export function printable(text: string, max = 60): string {
  const safe = escapeControls(text);
  return safe.length > max ? `${safe.slice(0, max)}...` : safe;
}

/** NUL bytes or bytes that are no UTF-8: a binary file, whatever its name says. */
export function looksBinary(text: string): boolean {
  return text.includes('\u0000') || text.includes('\ufffd');
}

class SyntaxStop {
  constructor(
    readonly pos: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/** A JSON syntax checker that says where the text first goes wrong (RFC 8259's grammar). */
class Scanner {
  private i = 0;

  constructor(private readonly text: string) {}

  /** The first error, or undefined when the text is valid JSON. */
  check(): SyntaxStop | undefined {
    try {
      this.value();
      this.space();
      if (this.i < this.text.length) this.stop(`${this.found()} after the JSON value`);
      return undefined;
    } catch (e) {
      if (e instanceof SyntaxStop) return e;
      if (e instanceof RangeError) return new SyntaxStop(this.i, 'nested too deeply');
      throw e;
    }
  }

  private stop(reason: string): never {
    throw new SyntaxStop(this.i, reason);
  }

  private found(): string {
    if (this.i >= this.text.length) return 'the end of the text';
    return `'${printable(this.text[this.i])}'`;
  }

  private expect(what: string): never {
    return this.stop(`expected ${what}, found ${this.found()}`);
  }

  private space(): void {
    while (' \t\n\r'.includes(this.text[this.i] ?? 'x')) this.i++;
  }

  private value(): void {
    this.space();
    const c = this.text[this.i];
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (!this.token(NUMBER) && !this.token(LITERAL)) this.expect('a value');
  }

  private token(re: RegExp): boolean {
    re.lastIndex = this.i;
    const m = re.exec(this.text);
    if (m) this.i += m[0].length;
    return m !== null;
  }

  private object(): void {
    this.i++;
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.expect('a property name in double quotes');
      this.string();
      this.space();
      if (this.text[this.i] !== ':') this.expect("':'");
      this.i++;
      this.value();
      if (this.endOf('}')) return;
    }
  }

  private array(): void {
    this.i++;
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value();
      if (this.endOf(']')) return;
    }
  }

  /** After a member: ',' (more follow) or the closing bracket. */
  private endOf(close: string): boolean {
    this.space();
    const c = this.text[this.i];
    if (c === ',' || c === close) this.i++;
    else this.expect(`',' or '${close}'`);
    return c === close;
  }

  private string(): void {
    this.i++;
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (c === '"') {
        this.i++;
        return;
      }
      if (c < ' ') this.stop('a control character inside a string (an unescaped newline?)');
      if (c === '\\') this.escape();
      else this.i++;
    }
    this.stop('a string that never ends');
  }

  private escape(): void {
    const e = this.text[this.i + 1];
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.i += 6;
    else if (e !== undefined && '"\\/bfnrt'.includes(e)) this.i += 2;
    else this.stop('a bad escape in a string');
  }
}

/** line:column (1-based) of an offset. */
function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return `${line}:${pos - before.lastIndexOf('\n')}`;
}

/** The deepest nesting any pfnlab input has a use for; deeper documents would overflow recursive readers. */
export const MAX_JSON_DEPTH = 256;

/** The offset of the bracket that opens level MAX_JSON_DEPTH + 1, or -1 when the text nests no deeper. */
function tooDeepAt(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === '}' || c === ']') depth--;
  }
  return -1;
}

/**
 * Parse JSON text (a BOM allowed), any syntax error one InputError: "source:line:col: not valid
 * JSON (reason)"; a document nested deeper than MAX_JSON_DEPTH is refused the same way.
 */
export function parseJsonText(text: string, source: string): unknown {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  try {
    const doc = JSON.parse(body);
    const deep = tooDeepAt(body);
    if (deep >= 0)
      throw new InputError(
        `${source}:${lineColumn(body, deep)}`,
        `nested more than ${MAX_JSON_DEPTH} levels deep`,
      );
    return doc;
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (body.trim() === '') throw new InputError(source, 'the file is empty');
    if (looksBinary(body)) throw new InputError(source, 'not valid JSON (binary data, not text)');
    const stop = new Scanner(body).check() ?? new SyntaxStop(0, 'JSON.parse refuses it');
    const cut = stop.pos >= body.trimEnd().length ? ': the copy is truncated?' : '';
    throw new InputError(`${source}:${lineColumn(body, stop.pos)}`, `not valid JSON (${stop.reason}${cut})`);
  }
}
