/** pfnlab litmus FILE: decide a C litmus test under the Linux-kernel memory model. */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DESIGN_NAMES, DESIGNS, type DesignLitmus, designByName, designLitmus } from '../designs/index.js';
import { InputError } from '../errors.js';
import { writeFileWhole } from '../io/write-file.js';
import { checkLitmus } from '../lkmm/index.js';
import { renderDesignLitmus, renderOutcome } from '../report/litmus.js';
import {
  type CliIo,
  type Command,
  listOption,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption } from './kernel-option.js';

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

/** The designs --design names ('all': every design that declares its accesses). */
function designsNamed(names: readonly string[], kernel: string | undefined): DesignLitmus[] {
  const chosen = names.includes('all') ? DESIGNS.map((d) => d.name) : names;
  return chosen.map((name) => {
    const d = designByName(name);
    if (!d)
      throw new InputError(
        'litmus',
        `unknown design '${name.slice(0, 40)}' (designs: all, ${DESIGN_NAMES.join(', ')})`,
        name,
      );
    const l = designLitmus(d, kernel);
    if (!l) throw new InputError('litmus', `design '${name.slice(0, 40)}' declares no accesses`, name);
    return l;
  });
}

function emitTests(dir: string, designs: readonly DesignLitmus[]): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new InputError('litmus', `--emit ${dir.slice(0, 80)} is not a directory`, dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new InputError(
      'litmus',
      `--emit: cannot create ${dir.slice(0, 80)} (${(e as NodeJS.ErrnoException).code})`,
      dir,
    );
  }
  const written: string[] = [];
  for (const d of designs)
    for (const v of d.verdicts) {
      const path = join(dir, `${v.test.name}.litmus`);
      writeFileWhole(path, v.test.text);
      written.push(path);
    }
  return written;
}

function runDesigns(p: ReturnType<typeof parseCommandArgs>, io: CliIo): number {
  const kernel = kernelOption('litmus', p);
  const designs = designsNamed(listOption(p, 'design'), kernel);
  const emit = stringOption(p, 'emit');
  const written = emit === undefined ? [] : emitTests(emit, designs);
  if (p.values.json) {
    printJson(io, {
      designs: designs.map((d) => ({
        design: d.design,
        kernel: d.kernel,
        reader: d.reader,
        protocols: d.verdicts.map((v) => ({
          op: v.test.op,
          kind: v.test.kind,
          name: v.test.name,
          lkmm: {
            result: v.lkmm.result,
            executions: v.lkmm.executions,
            positive: v.lkmm.positive,
            dataRace: v.lkmm.dataRace,
          },
          sc: { result: v.sc.result, executions: v.sc.executions, positive: v.sc.positive },
          text: v.test.text,
        })),
      })),
      emitted: written,
    });
    return 0;
  }
  io.out(renderDesignLitmus(designs));
  if (written.length) io.out(`wrote ${written.length} litmus tests to ${emit}\n`);
  return 0;
}

export const litmusCommand: Command = {
  name: 'litmus',
  summary: 'decide a C litmus test under the Linux-kernel memory model (Never/Sometimes/Always)',
  help: `usage: pfnlab litmus FILE [--json]
       pfnlab litmus --design D [--kernel X.Y] [--emit DIR] [--json]

Decide a C litmus test in the format of the kernel's tools/memory-model/
(C name, init block, P0..Pn threads, locations/filter, exists/~exists/forall)
under the Linux-kernel memory model as linux-kernel.bell, linux-kernel.cat
and lock.cat define it: every candidate execution (one path per thread, rf,
co) is checked against coherence, atomicity, happens-before, propagation, the
RCU guarantee and plain-access coherence. Prints Never, Sometimes or Always
for the condition (DEADLOCK when no execution is allowed at all, as herd7's
"Never 0 0"), the executions allowed and how many satisfy it, and whether
plain accesses race.

With --design D (repeatable, or 'all'): generate from the design's access
declarations (how its kernel code marks each access: plain, ONCE,
release/acquire, RCU, under which lock) the litmus test of each publish
(online, memremap) and teardown (offline+remove, memunmap) protocol against
its lookups, print each test with its verdict under LKMM and under sequential
consistency, then a table. --kernel X.Y (default: the design's own kernel,
else 6.19) generates them from that release's code: a design's own protocols
are marked alike on every release; the removal of ms->usage against
pfn_valid() follows it (6.8: pfn_valid() under RCU, kfree_rcu(); 6.10:
ms->usage tested for NULL).

  --json       result, executions, positive, dataRace, states
  --emit DIR   write the generated tests as DIR/<design>+<op>.litmus (herd7 accepts them)`,
  run(argv: string[], io: CliIo): number {
    const p = parseCommandArgs('litmus', argv, {
      json: { type: 'boolean' },
      design: { type: 'string', multiple: true },
      emit: { type: 'string' },
      ...KERNEL_OPTION,
    });
    if (p.values.design) {
      if (p.positionals.length) throw new InputError('litmus', 'give a FILE or --design, not both');
      return runDesigns(p, io);
    }
    if (p.values.emit !== undefined || p.values.kernel !== undefined)
      throw new InputError('litmus', '--emit and --kernel go with --design');
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
