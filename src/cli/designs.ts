/** pfnlab designs: the lookup designs, how their readers are protected, what they write when. */
import { designAnswers } from '../compare/index.js';
import { DESIGNS, type Design, designByName, FAULT_DESIGNS, runWithDesigns } from '../designs/index.js';
import { loadScenario } from '../io/scenario.js';
import { renderDesigns } from '../report/designs.js';
import { type CliIo, type Command, noPositionals, parseCommandArgs, printJson } from './command.js';
import { DESIGN_OPTION, designsFromOption } from './designs-option.js';

/** The scenario a module design is tried on: hot-add, online, a refused offline, remove. */
const TRIAL_SCENARIO = 'dimm-hotplug';

/**
 * Load a module as compare does, and try it as compare would: its write side woven into a
 * built-in scenario's steps, its lookups asked about the scenario's pfns, every answer checked
 * against the module contract (a lookup returning null is refused here, not first by compare).
 */
function tryModuleDesigns(designs: readonly Design[]): void {
  const modules = designs.filter((d) => designByName(d.name) !== d);
  if (modules.length === 0) return;
  const scenario = loadScenario(TRIAL_SCENARIO);
  const { machine, bound } = runWithDesigns(scenario, modules);
  for (const pfn of scenario.queries) designAnswers(machine, bound, pfn);
}

export const designsCommand: Command = {
  name: 'designs',
  summary: 'list the lookup designs and the rules of their write sides',
  help: `usage: pfnlab designs [--design D ...] [--json]

List every built-in design (and the fault-injected variants of active-bitmap):
what it is, how its readers protect a lookup and the use of its page, the
per-subsection bitmaps it keeps, the kernel explore, audit and stress run it
on (compare, pfn and the demo's table judge every design on one machine: the
scenario's kernel, or --kernel), and what its write side sets and clears in
which kernel step. Your own design: see
examples/designs/ and pass the module path to --design.

  --design D   only these designs (repeatable; a name or a module path): a
               module is loaded and checked as compare would load it, then tried
               on the ${TRIAL_SCENARIO} scenario: its write side on every step, its
               lookups on the scenario's pfns
  --json       an array of {name, summary, protection, usageBitmaps, kernel,
               checkBeforeLock, writeRules}`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('designs', argv, { json: { type: 'boolean' }, ...DESIGN_OPTION });
    noPositionals('designs', p);
    const all = p.values.design ? await designsFromOption(p) : [...DESIGNS, ...FAULT_DESIGNS];
    tryModuleDesigns(all);
    if (p.values.json) {
      printJson(
        io,
        all.map((d) => ({
          name: d.name,
          summary: d.summary,
          protection: d.protection,
          usageBitmaps: d.usageBitmaps,
          kernel: d.kernel ?? null, // null: the scenario's kernel
          checkBeforeLock: d.checkBeforeLock === true,
          writeRules: d.writeRules,
        })),
      );
      return 0;
    }
    io.out(renderDesigns(all));
    return 0;
  },
};
