/** pfnlab audit: every pfn walker against every design, as the seed thread's audit did by hand. */
import { DESIGNS, FAULT_DESIGNS, loadDesign } from '../designs/index.js';
import { AUDIT_SCENARIOS, audit } from '../explore/audit.js';
import { parseWalkerSpec } from '../explore/index.js';
import { renderTable } from '../report/table.js';
import { WALKERS } from '../walkers/index.js';
import { type CliIo, type Command, listOption, parseCommandArgs, printJson } from './command.js';

export const auditCommand: Command = {
  name: 'audit',
  summary: "every pfn walker against every design: safe, or unsafe with the counterexample's length",
  help: `usage: pfnlab audit [--design D ...] [--walker W ...] [--faults] [--json]

For every walker (the kernel's readers of arbitrary pfns, and the
is_zone_device_page() users Dan Williams audited in the seed thread) and
every design, explore every interleaving of the walker with hot-removal of
System RAM (scenarios/${AUDIT_SCENARIOS.ram}.json) and with memunmap_pages() of
fsdax and device-private memory (scenarios/${AUDIT_SCENARIOS.device}.json), on a model
of the kernel the design is for. A cell is "safe" (every interleaving proven)
or "UNSAFE n" (a shortest counterexample has n steps: pfnlab explore shows it).
The THREAD column is Dan Williams' verdict; the last line says how many of
them the v5.4 column reproduces.

Walkers: ${WALKERS.map((w) => w.name).join(', ')}.

  --design D   only these designs (repeatable)
  --walker W   only these walkers (repeatable)
  --faults     add the fault-injected active-bitmap variants
  --json       rows with every cell's verdict, length, scenario and violation`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('audit', argv, {
      design: { type: 'string', multiple: true, short: 'd' },
      walker: { type: 'string', multiple: true, short: 'w' },
      faults: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const named = listOption(p, 'design');
    const designs = named.length
      ? await Promise.all(named.map(loadDesign))
      : [...DESIGNS, ...(p.values.faults ? FAULT_DESIGNS : [])];
    const walkerNames = listOption(p, 'walker');
    const walkers = walkerNames.length ? walkerNames.map((w) => parseWalkerSpec(w).walker) : WALKERS;
    const result = audit(designs, walkers);
    if (p.values.json) {
      printJson(io, result);
      return 0;
    }
    const rows = result.rows.map((r) => [
      r.walker,
      ...result.designs.map((d) => {
        const c = r.cells[d];
        return c.verdict === 'safe' ? 'safe' : c.verdict === 'unsafe' ? `UNSAFE ${c.steps}` : 'bounded';
      }),
      r.threadVerdict ? r.threadVerdict.replace(/^[^:]+: /, '') : '',
    ]);
    io.out(`${renderTable(['WALKER', ...result.designs, 'THREAD (Dan Williams, on 5.4)'], rows, '  ')}\n\n`);
    const t = result.thread;
    if (t.named) {
      io.out(
        `The v5.4 column reproduces ${t.reproduced} of the ${t.named} verdicts the thread gives${t.differ.length ? ` (differs: ${t.differ.join(', ')})` : ''}.\n`,
      );
    }
    io.out(`${result.rows.length * result.designs.length} explorations in ${result.seconds.toFixed(1)} s.\n`);
    return 0;
  },
};
