/** A table of every design's answers for one pfn. */
import type { PfnAnswers } from '../compare/index.js';
import { renderTable } from './table.js';

function yn(v: boolean | null): string {
  if (v === null) return '-';
  return v ? 'page' : 'NULL';
}

export function renderDesignAnswers(answers: Record<string, PfnAnswers>): string {
  const rows = Object.entries(answers).map(([name, a]) => [
    name,
    a.pfnValid ? 'true' : 'false',
    yn(a.pfnToOnlinePage),
    yn(a.pfnToDevicePage),
    a.isZoneDevicePage ? 'true' : 'false',
    a.blocked ? 'waits for mem_hotplug_lock' : a.wrong.length ? `WRONG: ${a.wrong.join(', ')}` : 'right',
  ]);
  return renderTable(
    ['DESIGN', 'pfn_valid', 'pfn_to_online_page', 'pfn_to_device_page', 'is_zone_device_page', 'VERDICT'],
    rows,
    '  ',
  );
}
