/** The renderings of litmus verdicts: one test's outcome as text, the designs' protocol table as text rows and HTML. */
import type { DesignLitmus } from '../designs/index.js';
import { type LitmusOutcome, verdictCell } from '../lkmm/index.js';
import { escapeXml } from './map.js';
import { renderTable } from './table.js';

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
  if (o.witness)
    lines.push(
      '  witness (an allowed execution satisfying the condition; #n: event n of the thread):',
      ...o.witness.map((w) => `    ${w}`),
    );
  return `${lines.join('\n')}\n`;
}

/** One row per protocol: design, operation, LKMM verdict, SC verdict. */
export function designLitmusRows(designs: readonly DesignLitmus[]): string[][] {
  return designs.flatMap((d) =>
    d.verdicts.map((v) => [
      d.design,
      `${v.test.op} (${v.test.kind})`,
      verdictCell(v.lkmm),
      verdictCell(v.sc),
    ]),
  );
}

export const DESIGN_LITMUS_HEADINGS = ['DESIGN', 'PROTOCOL', 'LKMM', 'SC'];

/** litmus --design's text: each design's tests with their LKMM and SC verdicts, then the table. */
export function renderDesignLitmus(designs: readonly DesignLitmus[]): string {
  const out: string[] = [];
  for (const d of designs) {
    out.push(
      `${d.design} on Linux ${d.kernel} (readers: ${d.reader === 'none' ? 'no protection' : d.reader})\n\n`,
    );
    for (const v of d.verdicts)
      out.push(
        `${v.test.text}\n=> LKMM: ${verdictCell(v.lkmm)}, ${v.lkmm.positive} of ${v.lkmm.executions} executions; SC: ${verdictCell(v.sc)}\n\n`,
      );
  }
  out.push(`${renderTable(DESIGN_LITMUS_HEADINGS, designLitmusRows(designs), '  ')}\n`);
  out.push(
    'UNSAFE: the reader can see the flag and an uninitialized (publish) or poisoned (teardown) struct page, or (remove) a freed or NULL ms->usage.\n',
  );
  return out.join('');
}

/** The same table for the demo's HTML report. */
export function designLitmusHtml(designs: readonly DesignLitmus[]): string {
  const cell = (v: string): string =>
    `<td class="${v.startsWith('UNSAFE') ? 'bad' : 'zero'}">${escapeXml(v)}</td>`;
  const rows = designLitmusRows(designs)
    .map(
      ([d, op, lkmm, sc]) =>
        `<tr><td>${escapeXml(d)}</td><td>${escapeXml(op)}</td>${cell(lkmm)}${cell(sc)}</tr>`,
    )
    .join('');
  return `<p>Each design's publish (flag set after the memmap is initialized) and teardown (flag cleared, then the memmap poisoned) as a litmus test from the design's access declarations, decided under the Linux-kernel memory model and under sequential consistency. UNSAFE: a reader can see the flag and an uninitialized or poisoned struct page.</p><table><tr><th>design</th><th>protocol</th><th>LKMM</th><th>SC</th></tr>${rows}</table>`;
}
