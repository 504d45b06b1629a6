/** pfnlab compare <scenario...>: every design's wrong answers, by category and by step. */

import { type LookupCost, lookupCost } from '../compare/cost.js';
import {
  type CompareResult,
  type ContractViolation,
  compareScenario,
  type LookupAnswers,
  type StepResult,
  validateScenario,
} from '../compare/index.js';
import { CATEGORIES, categoryLegend } from '../compare/judge.js';
import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { renderTable } from '../report/table.js';
import { hex } from '../units.js';
import { type CliIo, type Command, intOption, parseCommandArgs, printJson } from './command.js';
import { DESIGN_OPTION, designsFromOption } from './designs-option.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

function renderTotals(r: CompareResult): string {
  const used = CATEGORIES.filter((c) => r.designs.some((d) => r.totals[d][c]));
  if (used.length === 0) return '  no wrong answers';
  return renderTable(
    ['DESIGN', ...used],
    r.designs.map((d) => [d, ...used.map((c) => r.totals[d][c] ?? 0)]),
    '  ',
  );
}

/** "(22 kernel steps judged, except where readers were blocked: hotplug-lock in 20)" */
function stepCounts(r: CompareResult, s: StepResult): string {
  const blocked = r.designs
    .filter((d) => s.designs[d].blockedSteps > 0)
    .map((d) => `${d} in ${s.designs[d].blockedSteps}`);
  const judged = `${s.kernelSteps} kernel step${s.kernelSteps === 1 ? '' : 's'} judged`;
  return blocked.length
    ? `(${judged}, except where readers were blocked: ${blocked.join(', ')})`
    : `(${judged})`;
}

function renderSteps(r: CompareResult): string {
  const lines: string[] = [];
  for (const s of r.steps) {
    const entries = r.designs.flatMap((d) => {
      const x = s.designs[d];
      const wrong = Object.entries(x.wrong).map(
        ([c, v]) => `${c} ${v.pages} (e.g. pfn ${v.examples.map((e) => hex(e)).join(', ')})`,
      );
      return wrong.length ? [`    ${d}: ${wrong.join('; ')}`] : [];
    });
    const where = `  ${s.index === 0 ? 'boot' : `step ${s.index}`}: ${s.summary}`;
    // A refused operation runs no kernel step: nothing was asked, so no design was right either.
    if (s.kernelSteps === 0 && entries.length === 0)
      lines.push(`${where} (no kernel step ran: nothing judged)`);
    else
      lines.push(`${where} ${stepCounts(r, s)}`, ...(entries.length ? entries : ['    all designs right']));
  }
  return lines.join('\n');
}

const LOOKUP_NAMES: Record<keyof LookupAnswers, string> = {
  pfnValid: 'pfn_valid()',
  pfnToOnlinePage: 'pfn_to_online_page()',
  pfnToDevicePage: 'pfn_to_device_page()',
  isZoneDevicePage: 'is_zone_device_page()',
};

/** "pfn_to_online_page() a page for pfn 0x50, NULL for pfn 0x1" */
function describeAnswer(key: keyof LookupAnswers, v: boolean | null): string {
  if (key === 'pfnToOnlinePage' || key === 'pfnToDevicePage') return v ? 'a page' : 'NULL';
  return String(v);
}

function describeViolation(v: ContractViolation): string {
  const where = v.step === 0 ? 'after boot' : `in step ${v.step} after ${v.after}`;
  const keys = (Object.keys(LOOKUP_NAMES) as (keyof LookupAnswers)[]).filter(
    (k) => v.answers[k] !== v.representativeAnswers[k],
  );
  const what = keys
    .map(
      (k) =>
        `${LOOKUP_NAMES[k]} ${describeAnswer(k, v.answers[k])} for pfn ${hex(v.pfn)}, ${describeAnswer(k, v.representativeAnswers[k])} for pfn ${hex(v.class.start)}`,
    )
    .join('; ');
  return `${where}, class [${hex(v.class.start)}, ${hex(v.class.end)}): ${what}`;
}

/** One stderr line per module design that answered pfns of one class differently. */
function contractWarnings(r: CompareResult): string[] {
  if (!r.contract) return [];
  return Object.entries(r.contract.violations)
    .filter(([, n]) => n > 0)
    .map(([d, n]) => {
      const example = r.contract?.examples.find((v) => v.design === d);
      const eg = example ? ` (e.g. ${describeViolation(example)})` : '';
      return `warning: ${r.scenario}: design '${d}' breaks the one-pfn-per-class contract: ${n} of ${r.contract?.checked[d]} pfns checked answered unlike their class's first pfn${eg}; its counts are not exact\n`;
    });
}

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
      for (const r of results) {
        io.out(`${r.scenario} on Linux ${r.kernel}: judged over ${r.note}\n\n`);
        io.out(`Wrong answers (pfns, at any point of the scenario):\n${renderTotals(r)}\n\n`);
        io.out(`By step:\n${renderSteps(r)}\n\n`);
        io.out(
          `Cost of pfn_to_online_page() (loads per call, averaged over the pfns of present sections;\n  'vmemmap walk' is the MMU's share of pfn_to_page() and is not counted in loads):\n${renderTable(
            ['DESIGN', 'loads', 'what it reads'],
            r.designs.map((d) => {
              const c = r.cost[d];
              const parts = Object.entries(c)
                .filter(([k]) => k !== 'total')
                .map(([k, v]) => `${k} ${v.toFixed(2)}`);
              return [d, c.total.toFixed(2), parts.join(', ')];
            }),
            '  ',
          )}\n\n`,
        );
      }
    }
    return p.values.strict && (anyWrong || warnings.length > 0) ? 1 : 0;
  },
};
