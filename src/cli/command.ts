/**
 * The shape of a CLI command: thin, parse then call the library then print.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../errors.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal (progress and colour allowed). */
  readonly errIsTty: boolean;
  readonly outIsTty: boolean;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The full --help text. */
  readonly help: string;
  run(argv: string[], io: CliIo): Promise<number> | number;
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

/** A token parseArgs would read as a cluster of short options, though the user meant a number: "-1", "-0x10". */
const NEGATIVE_NUMBER = /^-[0-9.]/;
/** Marks a negative-number positional while parseArgs runs (it never starts an option). */
const POSITIONAL_MARK = '\u0000';

/**
 * Negative numbers reach the validators, which can name the problem: one after a string option
 * becomes its value (`--after -1` is `--after=-1`), any other stays a positional.
 */
function bindNegativeNumbers(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const option = out.length ? stringOptionNamed(out[out.length - 1], options) : undefined;
    if (!NEGATIVE_NUMBER.test(arg)) out.push(arg);
    else if (option) out[out.length - 1] = `--${option}=${arg}`;
    else out.push(POSITIONAL_MARK + arg);
  }
  return out;
}

/** The string option a token names when it still waits for its value: `--after` or `-p`, not `--after=1`. */
function stringOptionNamed(token: string, options: Options): string | undefined {
  const long = /^--([^=]+)$/.exec(token)?.[1];
  if (long) return options[long]?.type === 'string' ? long : undefined;
  const short = /^-([a-zA-Z])$/.exec(token)?.[1];
  if (!short) return undefined;
  return Object.entries(options).find(([, o]) => o.short === short && o.type === 'string')?.[0];
}

/** An option that takes one value, given twice: the user meant one of them, and we cannot tell which. */
function refuseRepeats(command: string, args: readonly string[], options: Options): void {
  const seen = new Set<string>();
  for (const arg of args) {
    const short = /^-([a-zA-Z])$/.exec(arg)?.[1];
    const name = short
      ? Object.entries(options).find(([, o]) => o.short === short)?.[0]
      : arg.startsWith('--')
        ? arg.slice(2).split('=')[0]
        : undefined;
    if (name === undefined) continue;
    const option = options[name];
    if (!option || option.multiple || option.type === 'boolean') continue;
    if (seen.has(name)) throw new InputError(command, `--${name} given more than once`, name);
    seen.add(name);
  }
}

/** parseArgs() with every mistake turned into one InputError line. */
export function parseCommandArgs(command: string, argv: string[], options: Options): Parsed {
  const args = bindNegativeNumbers(argv, options);
  let parsed: Parsed;
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    parsed = { values: values as Parsed['values'], positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new InputError(command, msg);
  }
  refuseRepeats(command, args, options);
  return {
    values: parsed.values,
    positionals: parsed.positionals.map((p) => p.replace(POSITIONAL_MARK, '')),
  };
}

/** A command that takes no positional arguments refuses stray ones rather than ignoring them. */
export function noPositionals(command: string, p: Parsed): void {
  if (p.positionals.length > 0)
    throw new InputError(command, `unexpected argument '${p.positionals[0]}' (see --help)`, p.positionals[0]);
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function stringOption(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

/**
 * A non-negative integer option no larger than max, or an InputError naming it. The default max
 * is the largest exact number: past 2^53 the value is no longer the one typed (1e+20).
 */
export function intOption(
  command: string,
  p: Parsed,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new InputError(command, `--${name} must be a non-negative integer, got '${v}'`, v);
  const n = Number(v);
  if (n > max) {
    const limit = max === Number.MAX_SAFE_INTEGER ? 'below 2^53' : `at most ${max.toLocaleString('en-US')}`;
    throw new InputError(command, `--${name} must be ${limit}, got '${v}'`, v);
  }
  return n;
}

/** --after N: how many of a scenario's steps to run (undefined: all), refused past its end. */
export function afterOption(command: string, p: Parsed, steps: number): number | undefined {
  const after = intOption(command, p, 'after');
  if (after !== undefined && after > steps)
    throw new InputError(command, `--after ${after}: the scenario has only ${steps} steps`, after);
  return after;
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
