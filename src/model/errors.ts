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
