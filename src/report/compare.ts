/** compare's text: every design's wrong answers by category and by step, and what pfn_to_online_page() costs. */
import type { LookupCost } from '../compare/cost.js';
import type { CompareResult, ContractViolation, LookupAnswers, StepResult } from '../compare/index.js';
import { CATEGORIES } from '../compare/judge.js';
import { hex } from '../units.js';
import { renderTable } from './table.js';

/** A comparison with each design's cost of pfn_to_online_page() (lookupCost()). */
export type CompareWithCost = CompareResult & { readonly cost: Readonly<Record<string, LookupCost>> };

/** One scenario's text, as pfnlab compare prints it. */
export function renderComparison(r: CompareWithCost): string {
  return [
    `${r.scenario} on Linux ${r.kernel}: judged over ${r.note}\n\n`,
    `Wrong answers (pfns, at any point of the scenario):\n${renderTotals(r)}\n\n`,
    `By step:\n${renderSteps(r)}\n\n`,
    `Cost of pfn_to_online_page() (loads per call, averaged over the pfns of present sections;\n  'vmemmap walk' is the MMU's share of pfn_to_page() and is not counted in loads):\n${renderCost(r)}\n\n`,
  ].join('');
}

function renderCost(r: CompareWithCost): string {
  return renderTable(
    ['DESIGN', 'loads', 'what it reads'],
    r.designs.map((d) => {
      const c = r.cost[d];
      const parts = Object.entries(c)
        .filter(([k]) => k !== 'total')
        .map(([k, v]) => `${k} ${v.toFixed(2)}`);
      return [d, c.total.toFixed(2), parts.join(', ')];
    }),
    '  ',
  );
}

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
export function contractWarnings(r: CompareResult): string[] {
  if (!r.contract) return [];
  return Object.entries(r.contract.violations)
    .filter(([, n]) => n > 0)
    .map(([d, n]) => {
      const example = r.contract?.examples.find((v) => v.design === d);
      const eg = example ? ` (e.g. ${describeViolation(example)})` : '';
      return `warning: ${r.scenario}: design '${d}' breaks the one-pfn-per-class contract: ${n} of ${r.contract?.checked[d]} pfns checked answered unlike their class's first pfn${eg}; its counts are not exact\n`;
    });
}
