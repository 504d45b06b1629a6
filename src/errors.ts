/**
 * Errors as values with a code. A refused kernel operation carries the errno
 * the kernel would return, the offending value and a sentence; the CLI prints
 * the sentence and exits 2.
 */

export type Errno =
  | 'EINVAL'
  | 'EBUSY'
  | 'EEXIST'
  | 'ENXIO'
  | 'ENOENT'
  | 'ENOMEM'
  | 'E2BIG'
  | 'ERANGE'
  | 'ENOSPC';

export class PfnlabError extends Error {
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A kernel operation refused; the model is unchanged. */
export class HotplugError extends PfnlabError {
  constructor(
    readonly errno: Errno,
    readonly op: string,
    message: string,
    value: unknown,
  ) {
    super(`${op}: ${message} (-${errno})`, value);
  }
}

/** Malformed input: a scenario, a CLI argument, an import file. `where` names the place (JSON path, file:line, option). */
export class InputError extends PfnlabError {
  constructor(
    readonly where: string,
    readonly problem: string,
    value?: unknown,
  ) {
    super(where ? `${where}: ${problem}` : problem, value);
  }
}

export function isPfnlabError(e: unknown): e is PfnlabError {
  return e instanceof PfnlabError;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\ufffd]/g;

/** Control characters and invalid UTF-8 (U+FFFD) as escapes, so that text stays one printable line. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) =>
    c === '\ufffd' ? '\\ufffd' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** The longest run of an echoed value an error line shows. */
export const ECHO_LIMIT = 80;

/** A value as an error line echoes it: at most ECHO_LIMIT characters, then how long it was. */
export function capEcho(text: string, limit = ECHO_LIMIT): string {
  return text.length > limit
    ? `${text.slice(0, limit)}… (${text.length.toLocaleString('en-US')} characters)`
    : text;
}

/**
 * The one line the CLI prints for an error: every run of more than ECHO_LIMIT characters without
 * a space (a pasted value, however it reached the message) capped, control characters escaped,
 * the whole line cut at LINE_LIMIT, so that any input, however long or binary, is echoed in one
 * short line.
 */
export function errorLine(message: string): string {
  const escaped = escapeControls(message);
  // split, not a regex over runs: V8's backtracking stack overflows on a run of megabytes.
  const capped = escaped
    .split(/(\s+)/)
    .map((part) => capEcho(part))
    .join('');
  return capEcho(capped, LINE_LIMIT);
}

/** The longest error line: far above any sentence pfnlab writes, far below a pasted file. */
const LINE_LIMIT = 1000;
