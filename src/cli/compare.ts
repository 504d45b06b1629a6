/** pfnlab compare <scenario...>: every design's wrong answers, by category and by step. */

import { type LookupCost, lookupCost } from '../compare/cost.js';
import { compareScenario, validateScenario } from '../compare/index.js';
import { categoryLegend } from '../compare/judge.js';
import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { contractWarnings, renderComparison } from '../report/compare.js';
import { type CliIo, type Command, intOption, parseCommandArgs, printJson } from './command.js';
import { DESIGN_OPTION, designsFromOption } from './designs-option.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: "every design's wrong answers against the truth, per scenario step",
  help: `usage: pfnlab compare <scenario...> [--design D ...] [--kernel X.Y] [--json] [--strict]

Run each scenario with every design's write side woven into the kernel steps.
After every kernel step each design answers pfn_valid(), pfn_to_online_page(),
pfn_to_device_page() and is_zone_device_page() for every pfn; answers the truth
contradicts are counted by category:

${categoryLegend()}

A step's count is the number of distinct pfns that got that wrong answer at
some point while the step ran. Counts cover every pfn exactly: pfns that no
design and not the truth can tell apart form one class, judged once, and a
machine whose sections are mostly alike has few classes however large it is.
Only a fragmented layout (more than 40000 classes in a kernel step) is
sampled: a fixed number of classes per kernel step, one from each of as many
strata in address order, each counted whole, and besides them every class of
what the running operation has changed (the sections its kernel steps wrote
to, its pgmaps, pfns whose truth changed), judged exactly: the output says so,
and counts are then lower bounds, exact for the operation's own range. Pages an
operation is moving between states (isolated, not yet handed out) are not
judged. A hotplug-lock reader waits while an operation holds
mem_hotplug_lock: each step's line says in how many of its kernel steps a
design's readers were blocked, and so not judged. Every scenario is run once
first, unjudged, so that an invalid one fails at once.

A class is judged by one pfn. So designs from modules are judged one pfn per
class: a design must answer alike for pfns it cannot tell apart by the
kernel's metadata (its section record, usage bitmaps at subsection
granularity, struct page, pgmap ranges). The built-in designs read nothing
else. For a design from a module compare checks this after every kernel step
on two more pfns of each of up to 8 classes; a pfn answered unlike its
class's first pfn is a warning on stderr, is counted in the JSON ("contract")
and fails --strict.

  --design D   a design name or a module path (repeatable); default: v5.4,
               active-bitmap, device-bitmap, upstream, hotplug-lock
  --kernel X.Y model mainline release X.Y (5.4 … 6.19, mainline tags; see
               pfnlab kernels) for every design (default: the scenario's
               kernel, else 6.19); explore and audit judge each design on its own
  --json       the full result, with example pfns and per-lookup costs
  --strict     exit 1 if any design gives any wrong answer (or breaks the contract)
  --samples N  classes sampled per kernel step when sampling, besides the
               operation's own (default 40000)`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('compare', argv, {
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      samples: { type: 'string' },
      ...DESIGN_OPTION,
      ...KERNEL_OPTION,
    });
    if (p.positionals.length === 0) throw new InputError('compare', 'expected at least one <scenario>');
    const designs = await designsFromOption(p);
    const samples = intOption('compare', p, 'samples');
    if (samples === 0) throw new InputError('compare', '--samples must be at least 1', samples);
    const kernel = kernelOption('compare', p);
    const scenarios = p.positionals.map((ref) => onKernel(loadScenario(ref), kernel));
    for (const s of scenarios) validateScenario(s, designs);
    const results = scenarios.map((s) => {
      let cost: Record<string, LookupCost> = {};
      const result = compareScenario(s, {
        designs,
        samples,
        onDone(machine, bound, classes) {
          cost = Object.fromEntries(bound.map((b) => [b.design.name, lookupCost(machine, b, classes)]));
        },
      });
      return { ...result, cost };
    });
    const anyWrong = results.some((r) => r.designs.some((d) => Object.keys(r.totals[d]).length > 0));
    const warnings = results.flatMap(contractWarnings);
    for (const w of warnings) io.err(w);
    if (p.values.json) {
      printJson(io, { results });
    } else {
      for (const r of results) io.out(renderComparison(r));
    }
    return p.values.strict && (anyWrong || warnings.length > 0) ? 1 : 0;
  },
};
