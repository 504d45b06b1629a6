/** usercopy's text: the pages a copy spans, then check_page_span()'s verdict under each variant. */
import type { Machine } from '../model/machine.js';
import { hex } from '../units.js';
import { PAGE_SPAN_VARIANTS, type PageSpanVariant, type UsercopyCheck } from '../walkers/check-page-span.js';
import { renderTable } from './table.js';

/** The check as pfnlab usercopy prints it; where is the address as given (and its __pa()). */
export function renderUsercopy(
  check: UsercopyCheck,
  where: string,
  design: string,
  machine: Machine,
): string {
  const { span, pages, verdict } = check;
  const out: string[] = [
    `check_page_span(${where}, ${span.len}) over pfn ${hex(span.firstPfn)}-${hex(span.lastPfn)} (${pages.length} page${pages.length === 1 ? '' : 's'}), is_zone_device_page() by ${design}\n\n`,
  ];
  const shown = pages.length > 8 ? [...pages.slice(0, 4), ...pages.slice(-4)] : pages;
  out.push(
    `${renderTable(
      ['PFN', 'PG_reserved', 'ZONE_DEVICE', 'HOTPLUGGED', 'TRUTH'],
      shown.map((pg) => [
        hex(pg.pfn),
        !pg.mapped ? 'no memmap' : pg.poisoned ? 'poisoned' : pg.reserved ? 'yes' : 'no',
        pg.zoneDevice ? 'yes' : 'no',
        pg.hotplugged ? 'yes' : 'no',
        machine.truthOf(pg.pfn).state,
      ]),
      '  ',
    )}\n${pages.length > shown.length ? `  ... ${pages.length - shown.length} more pages\n` : ''}\n`,
  );
  if (!verdict.verdicts) {
    out.push(`  not checked: ${verdict.why}\n`);
    return out.join('');
  }
  for (const [v, label] of Object.entries(PAGE_SPAN_VARIANTS)) {
    const r = verdict.verdicts[v as PageSpanVariant];
    out.push(
      `  ${label}:\n    ${r.allowed ? `allowed (${r.why})` : `aborts: "${r.abort}" at pfn ${hex(r.pfn)}`}\n`,
    );
  }
  for (const h of verdict.hazards) out.push(`\n  beware: ${h}\n`);
  out.push(
    `\nThe RFC ${check.rfcChangesVerdict ? 'CHANGES' : 'does not change'} the verdict of this copy.\n`,
  );
  return out.join('');
}
