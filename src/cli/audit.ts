/** pfnlab audit: every pfn walker against every design, as the seed thread's audit did by hand. */
import type { Design } from '../designs/design.js';
import { FAULT_DESIGNS } from '../designs/index.js';
import { InputError } from '../errors.js';
import { AUDIT_SCENARIOS, type AuditResult, audit } from '../explore/audit.js';
import { parseWalkerSpec } from '../explore/index.js';
import { renderAudit } from '../report/audit.js';
import { WALKERS, type WalkerDef } from '../walkers/index.js';
import {
  type CliIo,
  type Command,
  listOption,
  noPositionals,
  type Parsed,
  parseCommandArgs,
  printJson,
} from './command.js';
import { DESIGN_OPTION, designsFromOption } from './designs-option.js';
import { KERNEL_OPTION, kernelOption } from './kernel-option.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: "every pfn walker against every design: safe, or unsafe with the counterexample's length",
  help: `usage: pfnlab audit [--design D ...] [--walker W ...] [--kernel X.Y] [--faults] [--strict] [--json]

For every walker (the kernel's readers of arbitrary pfns, and the
is_zone_device_page() users Dan Williams audited in the seed thread) and
every design, explore every interleaving of the walker with hot-removal of
System RAM (scenarios/${AUDIT_SCENARIOS.ram}.json) and with memunmap_pages() of
fsdax and device-private memory (scenarios/${AUDIT_SCENARIOS.device}.json), on a model
of the kernel the design is for (in its column's heading). A cell is "safe"
(every interleaving proven) or "UNSAFE n" (a shortest counterexample has n
steps). pfnlab explore SCENARIO --design D --walker W shows it, on the same
kernel (SCENARIO: the row's; pfn-walker: omit --walker for the scenario's
own); --json gives each cell's exact command. The THREAD column is Dan
Williams' verdict; the last line says how many of them the v5.4 column
reproduces.

Walkers: ${WALKERS.map((w) => w.name).join(', ')}.

  --design D   only these designs (repeatable; a name or a module path)
  --walker W   only these walkers (repeatable; names: each walks its default pfns)
  --kernel X.Y explore every design on mainline release X.Y (5.4 … 6.19,
               mainline tags; see pfnlab kernels) instead of its own
  --faults     add the fault-injected active-bitmap variants
  --strict     exit 1 if any design but a fault-injected one has an UNSAFE cell
               (without it the audit is a report: exit 0)
  --json       the designs with their kernels, and rows with every cell's
               verdict, kernel, length, scenario, violation and explore command`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('audit', argv, {
      ...DESIGN_OPTION,
      walker: { type: 'string', multiple: true, short: 'w' },
      faults: { type: 'boolean' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
      ...KERNEL_OPTION,
    });
    noPositionals('audit', p);
    const kernel = kernelOption('audit', p);
    const designs = await auditDesigns(p);
    const result = audit(designs, auditWalkers(p), undefined, kernel);
    if (p.values.json) printJson(io, result);
    else io.out(renderAudit(result));
    return p.values.strict && unsafeCells(result, designs) > 0 ? 1 : 0;
  },
};

/** The designs named (default: every design), and with --faults the fault-injected variants too. */
async function auditDesigns(p: Parsed): Promise<Design[]> {
  const designs = await designsFromOption(p);
  const faults = p.values.faults ? FAULT_DESIGNS.filter((f) => !designs.some((d) => d.name === f.name)) : [];
  return [...designs, ...faults];
}

/** Walkers by name, each once; the audit picks their pfns from its scenarios. */
function auditWalkers(p: Parsed): readonly WalkerDef[] {
  const names = listOption(p, 'walker');
  if (!names.length) return WALKERS;
  const walkers = names.map((w) => {
    if (w.includes('@'))
      throw new InputError('--walker', `'${w}': audit walks each walker's own pfns; name the walker only`, w);
    return parseWalkerSpec(w).walker;
  });
  return [...new Set(walkers)];
}

/** UNSAFE cells of the designs that are meant to be safe (not the fault-injected ones). */
function unsafeCells(r: AuditResult, designs: readonly Design[]): number {
  const judged = designs.filter((d) => !FAULT_DESIGNS.includes(d)).map((d) => d.name);
  return r.rows.reduce((n, row) => n + judged.filter((d) => row.cells[d].verdict === 'unsafe').length, 0);
}
