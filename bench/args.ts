/**
 * Argument parsing shared by the benches: bad input is refused with one line on stderr and exit
 * status 2, never a stack trace, and never ignored (a mistyped `--quik` used to run the full bench).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Print `bench/<name>: <message>` on stderr and exit with status 2. */
export function refuse(name: string, message: string): never {
  console.error(`bench/${name}: ${message}`);
  process.exit(2);
}

/** parseArgs, strict and without positionals, refusing what it rejects with one line. */
export function benchArgs<const T extends Options>(
  name: string,
  options: T,
  args: string[] = process.argv.slice(2),
): ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false; args: string[] }>
>['values'] {
  try {
    return parseArgs({ options, args, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return refuse(name, `${(e as Error).message} (usage: ${usage(options)})`);
  }
}

function usage(options: Options): string {
  const parts = Object.entries(options).map(([k, o]) => (o.type === 'string' ? `[--${k} N]` : `[--${k}]`));
  return parts.length ? parts.join(' ') : 'no options';
}

/**
 * A positive integer written in decimal, optionally with an exponent (`1e7`); `max` bounds it.
 * Number() alone would take `0x10`, ` 5 ` and `1e400`.
 */
export function positiveInteger(name: string, option: string, text: string, max: number): number {
  const n = /^[0-9]+(e[0-9]+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n > 0 && n <= max))
    refuse(name, `--${option} takes a positive integer up to ${max.toLocaleString('en-US')} (got '${text}')`);
  return n;
}
