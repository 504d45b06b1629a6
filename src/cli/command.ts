/**
 * The shape of a CLI command: thin, parse then call the library then print.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../model/errors.js';

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

/** parseArgs() with every mistake turned into one InputError line. */
export function parseCommandArgs(command: string, argv: string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0].replace(/\. To specify a positional argument.*$/, '');
    throw new InputError(command, msg);
  }
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

/** A non-negative integer option, or an InputError naming it. */
export function intOption(command: string, p: Parsed, name: string): number | undefined {
  const v = stringOption(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new InputError(command, `--${name} must be a non-negative integer, got '${v}'`, v);
  return Number(v);
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
