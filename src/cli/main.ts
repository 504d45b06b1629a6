/**
 * The pfnlab command line: one file per command, each thin.
 * Exit codes: 0 success, 1 a violation or wrong answer found, 2 bad usage or input.
 */
import { readFileSync } from 'node:fs';
import { watchModuleCalls } from '../designs/watchdog.js';
import { errorLine, isPfnlabError } from '../errors.js';
import { auditCommand } from './audit.js';
import { bugsCommand } from './bugs.js';
import { captureCommand } from './capture.js';
import type { CliIo, Command } from './command.js';
import { wantsHelp } from './command.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { designsCommand } from './designs.js';
import { exploreCommand } from './explore.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { kernelsCommand } from './kernels.js';
import { litmusCommand } from './litmus.js';
import { pfnCommand } from './pfn.js';
import { runCommand } from './run.js';
import { stressCommand } from './stress.js';
import { usercopyCommand } from './usercopy.js';
import { verifyCommand } from './verify.js';
import { viewCommand } from './view.js';
import { workerCommand } from './worker.js';

export const COMMANDS: readonly Command[] = [
  demoCommand,
  runCommand,
  pfnCommand,
  compareCommand,
  designsCommand,
  kernelsCommand,
  exploreCommand,
  auditCommand,
  bugsCommand,
  usercopyCommand,
  importCommand,
  exportCommand,
  captureCommand,
  verifyCommand,
  viewCommand,
  stressCommand,
  litmusCommand,
  workerCommand,
];

/** The package's version (src/cli and dist/cli both sit two levels below package.json). */
function version(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: pfnlab <command> [options]   (pfnlab <command> --help for details; pfnlab --version)',
    '',
    'pfnlab models Linux SPARSEMEM, memory hotplug and ZONE_DEVICE pfn by pfn.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Bad usage or input: one line on stderr, every echoed value capped (errorLine), exit 2. */
function refuse(io: CliIo, message: string): number {
  io.err(`pfnlab: ${errorLine(message)}\n`);
  return 2;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  watchModuleCalls();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (name === 'help' && rest.length && !topic) {
      return refuse(
        io,
        `help: unknown command '${rest[0]}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
      );
    }
    io.out(`${topic ? topic.help : usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    if (rest.length) {
      return refuse(io, `${name} takes no arguments`);
    }
    io.out(`pfnlab ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    return refuse(io, `unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  }
  if (wantsHelp(rest)) {
    io.out(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isPfnlabError(e)) {
      return refuse(io, e.message);
    }
    throw e;
  }
}

/** The process's own streams. A reader that goes away (`pfnlab compare ... | head`) ends the command quietly. */
export function processIo(): CliIo {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    errIsTty: Boolean(process.stderr.isTTY),
    outIsTty: Boolean(process.stdout.isTTY),
  };
}
