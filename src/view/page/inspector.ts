/** The pfn inspector: location, truth, struct page, and every design's answers. */
import { CELL_COLOURS, CELL_LABELS } from '../../report/map.js';
import { formatSizeApprox, hex } from '../../units.js';
import type { PfnInspect, ScenarioSummary } from '../api.js';
import { clear, el, swatch } from './dom.js';
import { BAD_PAGE_STATES, type WalkerReads } from './trace-player.js';

export interface InspectorActions {
  zoomSection(nr: number): void;
  zoomSubsection(nr: number, index: number): void;
}

function answer(v: boolean | null, page: boolean): HTMLElement {
  if (v === null) return el('td', { class: 'na', title: 'the design has no such function' }, '–');
  if (page) return el('td', { class: v ? 'yes' : 'no' }, v ? 'page' : 'NULL');
  return el('td', { class: v ? 'yes' : 'no' }, v ? 'true' : 'false');
}

function row(label: string, ...value: (Node | string)[]): HTMLElement {
  return el('tr', {}, el('th', {}, label), el('td', {}, ...value));
}

/**
 * The row for what a trace's walkers read of this pfn up to the trace position: their racing
 * reads, which the settled answers above them need not match.
 */
function walkerRow(w: WalkerReads): HTMLElement {
  const held = w.held
    ? el(
        'div',
        { class: `held${BAD_PAGE_STATES.includes(w.held) ? ' bad' : ''}` },
        `holds its struct page: ${w.held}`,
      )
    : null;
  return el(
    'tr',
    { class: 'walker-read', 'data-design': w.design },
    el('th', { title: 'what the walker under the trace did, not a settled answer' }, `${w.design} as run`),
    el(
      'td',
      { colspan: 5 },
      ...w.steps.map((x) =>
        el(
          'div',
          {},
          el('span', { class: 'dim' }, `step ${x.index} ${x.thread}: `),
          el('code', {}, x.fn),
          ` ${x.detail}`,
        ),
      ),
      held,
    ),
  );
}

export function renderInspector(
  root: HTMLElement,
  r: PfnInspect,
  s: ScenarioSummary,
  pinned: boolean,
  act: InspectorActions,
  walker?: WalkerReads,
): void {
  clear(root);
  const p = r.report;
  const t = p.truth;
  const truthText = [
    t.state,
    t.zone ? `zone ${t.zone}` : '',
    t.pgmap ? `pgmap ${t.pgmap}` : '',
    r.node !== null ? `node ${r.node}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const block = r.block
    ? `memory${r.block.id}: ${r.block.state}${r.block.zone ? `, zone ${r.block.zone}` : ''}, node ${r.block.node}`
    : `memory${p.block} (no such block)`;
  const zones = r.zones.length
    ? r.zones.map((z) => `node ${z.node} ${z.zone} ${hex(z.start)}-${hex(z.end - 1)}`).join('; ')
    : 'none';
  const pg = r.pgmap
    ? `${r.pgmap.id} (${r.pgmap.type}, ${r.pgmap.state}) ${hex(r.pgmap.start)}-${hex(r.pgmap.end - 1)}: ${r.pgmap.part}`
    : 'none';
  const sub = p.subsection;
  root.append(
    el(
      'h3',
      {},
      `pfn ${hex(p.pfn)} `,
      el('span', { class: 'dim' }, `(${p.pfn}) phys ${p.phys}`),
      pinned ? el('span', { class: 'badge' }, 'pinned') : el('span', { class: 'badge dim' }, 'hover'),
    ),
    el(
      'div',
      { class: 'truth', 'data-state': t.state, 'data-cls': r.cls },
      swatch(CELL_COLOURS[r.cls]),
      el('b', {}, truthText),
      el('span', { class: 'dim' }, ` — ${CELL_LABELS[r.cls]}`),
      r.settling
        ? el(
            'span',
            { class: 'badge', title: 'an operation is moving these pages: either answer is right' },
            'settling',
          )
        : null,
    ),
    el(
      'table',
      { class: 'kv' },
      row(
        'section',
        `${p.section} [${p.sectionFlags}] in root ${p.root}`,
        ' ',
        el(
          'button',
          { type: 'button', 'data-zoom': 'section', title: "zoom into this section's subsections" },
          'zoom ›',
        ),
      ),
      row(
        'subsection',
        `${sub} (${p.subsectionPresent ? 'in' : 'not in'} subsection_map)`,
        ' ',
        el(
          'button',
          { type: 'button', 'data-zoom': 'subsection', title: "zoom into this subsection's pages" },
          'zoom ›',
        ),
      ),
      row('memory block', block),
      row('zone spans', zones),
      row('pgmap', pg),
      row(
        'struct page',
        p.page
          ? `flags ${p.page.flags}, refcount ${p.page.refcount}${p.page.pgmap > 0 ? `, pgmap #${p.page.pgmap}` : ''}`
          : 'not mapped (no memmap)',
      ),
    ),
  );
  const head = el(
    'tr',
    {},
    el('th', {}, 'design'),
    el('th', { title: 'pfn_valid()' }, 'valid'),
    el('th', { title: 'pfn_to_online_page()' }, 'online'),
    el('th', { title: 'pfn_to_device_page()' }, 'device'),
    el('th', { title: 'is_zone_device_page(pfn_to_page(pfn))' }, 'is_zdev'),
    el('th', {}, 'verdict'),
  );
  const rows = Object.entries(r.designs).map(([name, a]) => {
    const d = s.designs.find((x) => x.name === name);
    const verdict = a.blocked
      ? el(
          'td',
          { class: 'wait', title: 'a hotplug-lock reader waits while the writer holds mem_hotplug_lock' },
          'waits',
        )
      : a.wrong.length
        ? el('td', { class: 'wrong' }, a.wrong.join(', '))
        : el('td', { class: 'right' }, 'right');
    return el(
      'tr',
      { 'data-design': name, class: a.wrong.length ? 'wrong' : '' },
      el('th', { title: d ? `${d.summary} (readers: ${d.protection})` : name }, name),
      answer(a.pfnValid, false),
      answer(a.pfnToOnlinePage, true),
      answer(a.pfnToDevicePage, true),
      answer(a.isZoneDevicePage, false),
      verdict,
    );
  });
  const caption = walker
    ? `settled answers: every design asked after kernel step ${r.step + 1}, against the truth (not the racing walker's reads; those are the last row, at trace step ${walker.t})`
    : 'settled answers: every design asked after this kernel step, against the truth';
  root.append(
    el('h4', {}, walker ? 'settled answers, and what the walker read' : 'every design, against the truth'),
    el(
      'table',
      { class: 'answers' },
      el('caption', {}, caption),
      el('thead', {}, head),
      el('tbody', {}, ...rows, walker ? walkerRow(walker) : null),
    ),
    el(
      'p',
      { class: 'dim small' },
      'valid: pfn_valid(); online: pfn_to_online_page(); device: pfn_to_device_page() (– where the design has none); is_zdev: is_zone_device_page(). ',
      `Page ${formatSizeApprox(s.geometry.pageSize)}, section ${formatSizeApprox(s.geometry.sectionSize)}, subsection ${formatSizeApprox(s.geometry.subsectionSize)}`,
    ),
  );
  root.querySelector<HTMLButtonElement>('[data-zoom=section]')!.onclick = () => act.zoomSection(p.section);
  root.querySelector<HTMLButtonElement>('[data-zoom=subsection]')!.onclick = () =>
    act.zoomSubsection(p.section, sub);
}
