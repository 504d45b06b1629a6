/** pfnlab litmus FILE: decide a C litmus test under the Linux-kernel memory model. */
import { readFileSync, statSync } from 'node:fs';
import { checkLitmus, type LitmusOutcome } from '../lkmm/index.js';
import { InputError } from '../model/errors.js';
import { type CliIo, type Command, parseCommandArgs, printJson } from './command.js';

/** Litmus tests are a few hundred bytes; anything this large is the wrong file. */
const MAX_BYTES = 1 << 20;

function readLitmusFile(path: string): string {
  const shown = path.length > 80 ? `${path.slice(0, 80)}...` : path;
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new InputError('litmus', `${shown} is a directory, not a litmus test`, path);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      'litmus',
      `cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      path,
    );
  }
  if (size > MAX_BYTES)
    throw new InputError('litmus', `${shown} is ${size} bytes; a litmus test is far smaller`, path);
  const text = readFileSync(path, 'utf8');
  if (text.includes('\u0000')) throw new InputError('litmus', `${shown} is binary, not a litmus test`, path);
  return text;
}

export function renderOutcome(o: LitmusOutcome): string {
  const lines = [
    `Test ${o.test} ${o.result}${o.dataRace ? ' (data race)' : ''}`,
    `  ${o.executions} execution${o.executions === 1 ? '' : 's'} allowed by LKMM, ${o.positive} satisfy the condition (${o.candidates} candidates)`,
    `  condition ${o.quantifier === 'not-exists' ? '~exists' : o.quantifier}: ${o.ok ? 'holds' : 'does not hold'}`,
  ];
  if (o.result === 'DEADLOCK') lines.push('  no execution can take its locks as the test asks: DEADLOCK');
  if (o.dataRace)
    lines.push('  data race: plain accesses race in some allowed execution (linux-kernel.cat data-race)');
  lines.push(`  states (${o.states.length}):`, ...o.states.map((s) => `    ${s}`));
  return `${lines.join('\n')}\n`;
}

export const litmusCommand: Command = {
  name: 'litmus',
  summary: 'decide a C litmus test under the Linux-kernel memory model (Never/Sometimes/Always)',
  help: `usage: pfnlab litmus FILE [--json]

Decide a C litmus test in the format of the kernel's tools/memory-model/
(C name, init block, P0..Pn threads, locations/filter, exists/~exists/forall)
under the Linux-kernel memory model as linux-kernel.bell, linux-kernel.cat
and lock.cat define it: every candidate execution (one path per thread, rf,
co) is checked against coherence, atomicity, happens-before, propagation, the
RCU guarantee and plain-access coherence. Prints Never, Sometimes or Always
for the condition (DEADLOCK when no execution is allowed at all, as herd7's
"Never 0 0"), the executions allowed and how many satisfy it, and whether
plain accesses race.

  --json   result, executions, positive, dataRace, states`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('litmus', argv, { json: { type: 'boolean' } });
    if (p.positionals.length !== 1)
      throw new InputError(
        'litmus',
        p.positionals.length ? 'give one litmus file' : 'usage: pfnlab litmus FILE [--json]',
      );
    const file = p.positionals[0];
    const outcome = checkLitmus(readLitmusFile(file), file);
    if (p.values.json) printJson(io, outcome);
    else io.out(renderOutcome(outcome));
    return 0;
  },
};
