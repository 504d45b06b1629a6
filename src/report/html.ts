/**
 * The demo's self-contained HTML report: the design x wrong-answer table,
 * then for each scenario its map after every step and its own table.
 */
import type { CompareResult } from '../compare/index.js';
import { CATEGORIES, CATEGORY_MEANINGS, type Category } from '../compare/judge.js';
import { escapeXml, type LayoutMap, renderLegend } from './map.js';
import { renderMapSvg } from './map-svg.js';

export interface ReportScenario {
  readonly name: string;
  readonly description?: string;
  readonly result: CompareResult;
  /** The map after boot and after each step, with a caption. */
  readonly maps: readonly { readonly caption: string; readonly map: LayoutMap }[];
}

export interface ReportExtra {
  readonly title: string;
  readonly html: string;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left;white-space:nowrap}
td.zero{color:#bbb}td.bad{background:#fde0dd;font-weight:600}
.maps{display:flex;flex-wrap:wrap;gap:1em}.maps figure{margin:0}.maps figcaption{font:12px monospace}
.swatch{display:inline-block;margin-right:1em;font-size:12px}.swatch i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle;border:1px solid #888}
code{background:#f4f4f4;padding:0 3px}
dl.categories{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em;font-size:13px}dl.categories dt{font-family:monospace}dl.categories dd{margin:0}`;

function categoryTable(
  designs: readonly string[],
  totals: Record<string, Partial<Record<Category, number>>>,
): string {
  const cats = CATEGORIES.filter((c) => designs.some((d) => totals[d]?.[c]));
  if (cats.length === 0) return '<p>No design gave a wrong answer.</p>';
  const head = `<tr><th>design</th>${cats.map((c) => `<th title="${escapeXml(CATEGORY_MEANINGS[c])}">${c}</th>`).join('')}</tr>`;
  const body = designs
    .map((d) => {
      const cells = cats.map((c) => {
        const v = totals[d]?.[c] ?? 0;
        return `<td class="${v ? 'bad' : 'zero'}">${v}</td>`;
      });
      return `<tr><td>${escapeXml(d)}</td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table>${head}${body}</table>`;
}

/** What the categories in the table mean. */
function categoryLegend(totals: Record<string, Partial<Record<Category, number>>>): string {
  const cats = CATEGORIES.filter((c) => Object.values(totals).some((t) => t[c]));
  const rows = cats.map((c) => `<dt>${c}</dt><dd>${escapeXml(CATEGORY_MEANINGS[c])}</dd>`);
  return rows.length ? `<dl class="categories">${rows.join('')}</dl>` : '';
}

/** Sum totals over scenarios (pfns of different scenarios are different pfns). */
export function sumTotals(
  results: readonly CompareResult[],
): Record<string, Partial<Record<Category, number>>> {
  const out: Record<string, Partial<Record<Category, number>>> = {};
  for (const r of results) {
    for (const d of r.designs) {
      out[d] ??= {};
      for (const [c, v] of Object.entries(r.totals[d]))
        out[d][c as Category] = (out[d][c as Category] ?? 0) + (v ?? 0);
    }
  }
  return out;
}

export function renderDemoReport(
  scenarios: readonly ReportScenario[],
  extras: readonly ReportExtra[] = [],
): string {
  const designs = scenarios[0]?.result.designs ?? [];
  const totals = sumTotals(scenarios.map((s) => s.result));
  const parts = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pfnlab report</title><style>${STYLE}</style></head><body>`,
    '<h1>pfnlab: pfn lookup designs against the truth</h1>',
    "<p>Every built-in scenario ran with every design's write side woven into the kernel steps. After each kernel step, each design answered <code>pfn_valid()</code>, <code>pfn_to_online_page()</code>, <code>pfn_to_device_page()</code> and <code>is_zone_device_page()</code> for every pfn; the table counts the pfns whose answer the truth contradicted at some point.</p>",
    '<h2>Wrong answers, all scenarios</h2>',
    categoryTable(designs, totals),
    categoryLegend(totals),
    ...extras.flatMap((e) => [`<h2>${escapeXml(e.title)}</h2>`, e.html]),
    `<h2>Legend</h2><p>${renderLegend(scenarios.flatMap((s) => s.maps.map((m) => m.map)))} <span class="swatch">a cell is a section (pfns left to right); a striped cell shows its subsections; under each row, bands for the zone and node spans, memory blocks and pgmaps</span></p>`,
  ];
  for (const s of scenarios) {
    parts.push(`<h2 id="${escapeXml(s.name)}">${escapeXml(s.name)}</h2>`);
    if (s.description) parts.push(`<p>${escapeXml(s.description)}</p>`);
    parts.push(`<p>On Linux ${s.result.kernel}, judged over ${escapeXml(s.result.note)}.</p>`);
    parts.push(categoryTable(s.result.designs, s.result.totals));
    parts.push('<div class="maps">');
    for (const m of s.maps)
      parts.push(`<figure>${renderMapSvg(m.map)}<figcaption>${escapeXml(m.caption)}</figcaption></figure>`);
    parts.push('</div>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
