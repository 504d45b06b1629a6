/**
 * What every importer shares: one InputError per problem with `where` =
 * "file:line", lines that must end in a newline (the kernel's seq_file and
 * sysfs_emit() output always do, so a missing one means a truncated copy),
 * 64-bit hex that must fit a JavaScript number, and JSON with line numbers.
 */
import { InputError } from '../../errors.js';
import { looksBinary, parseJsonText, printable } from '../../scenario/json-text.js';

/** One InputError; file contents quoted in `problem` are made printable (one line, no control bytes). */
export function fail(where: string, problem: string, value?: unknown): never {
  throw new InputError(where, printable(problem, 1000), value);
}

export interface Line {
  /** 1-based. */
  readonly no: number;
  readonly text: string;
}

/** The lines of a text the kernel printed (`what`, for errors): non-empty, text, ending in a newline. */
export function kernelLines(text: string, file: string, what = 'text'): Line[] {
  if (text.length === 0) fail(file, 'the file is empty');
  if (looksBinary(text)) fail(file, `binary data: not ${what}`);
  const parts = text.split('\n');
  const last = parts.pop()!;
  if (last !== '')
    fail(`${file}:${parts.length + 1}`, `the last line ends without a newline: the copy is truncated`, last);
  return parts.map((t, i) => ({ no: i + 1, text: t.replace(/\r$/, '') }));
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Hex digits (with or without 0x) as an exact number, or an error when above 2^53. */
export function parseHex(digits: string, where: string, what: string): number {
  const t = digits.trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]+$/i.test(t)) fail(where, `${what} '${digits.trim()}' is not hexadecimal`, digits);
  const big = BigInt(`0x${t}`);
  if (big > MAX_SAFE) fail(where, `${what} 0x${t} is above 2^53, beyond any MAX_PHYSMEM_BITS`, digits);
  return Number(big);
}

/** Hex that may exceed 2^53: undefined then (a resource pfnlab cannot place). */
export function parseHexOrUndefined(digits: string): number | undefined {
  const big = BigInt(`0x${digits}`);
  return big > MAX_SAFE ? undefined : Number(big);
}

/** A decimal count. */
export function parseDecimal(text: string, where: string, what: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) fail(where, `${what} '${t}' is not a decimal number`, text);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail(where, `${what} ${t} is above 2^53`, text);
  return n;
}

/** JSON text, with a syntax error reported as file:line:column. */
export function parseJsonFile(text: string, file: string): unknown {
  return parseJsonText(text, file);
}

/** The line on which each '{' outside strings opens, in document order. */
function objectOpenLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') out.push(line);
  }
  return out;
}

/**
 * The line each object of a parsed JSON document opens on, for naming the line
 * of an element in errors. JSON.parse keeps document order, so a pre-order
 * walk meets the objects in the order their braces appear.
 */
export function jsonObjectLines(doc: unknown, text: string): (o: object) => number {
  const lines = objectOpenLines(text);
  const map = new WeakMap<object, number>();
  let k = 0;
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (!Array.isArray(v)) map.set(v, lines[k++] ?? 1);
    for (const child of Object.values(v)) visit(child);
  };
  visit(doc);
  return (o) => map.get(o) ?? 1;
}

/** A number that may be written as a JSON number or a "0x..." string (ndctl's util_json_object_hex()). */
export function jsonNumber(v: unknown, where: string, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v.trim())) return parseHex(v, where, what);
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return parseDecimal(v, where, what);
  return fail(where, `${what} ${JSON.stringify(v)} is not a byte count or address`, v);
}

/** Keys a parser met and does not use: noted once each, never an error. */
export class Skipped {
  private readonly seen = new Map<string, string>();

  note(key: string, where: string): void {
    if (!this.seen.has(key)) this.seen.set(key, where);
  }

  list(what: string): string[] {
    if (this.seen.size === 0) return [];
    const keys = [...this.seen.entries()].map(([k, w]) => `${k} (${w})`);
    return [`${what}: skipped ${this.seen.size} unknown field(s): ${keys.join(', ')}`];
  }
}
