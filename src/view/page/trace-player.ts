/**
 * The explorer counterexample player: one lane per thread (the writer, each
 * walker), a row per step, the struct pages walkers hold after each step
 * (red when poisoned, freed or uninitialized under the walker), the violation.
 */
import type { ExploreTrace, PageState, TraceStep } from '../../explore/trace.js';
import { hex } from '../../units.js';
import { $, clear, el } from './dom.js';
import { scrollWithin } from './stepper.js';
import { type TraceState, traceStates } from './trace-state.js';

/** A held page in one of these states is one the walker must not touch. */
export const BAD_PAGE_STATES: readonly PageState[] = ['poisoned', 'freed', 'uninitialized'];

export interface HeldPage {
  readonly thread: number;
  readonly pfn: number;
  readonly page: PageState;
  readonly bad: boolean;
}

/** A walker's reads of one pfn in a trace, for the inspector. */
export interface WalkerReads {
  readonly design: string;
  /** The trace position they are read at. */
  readonly t: number;
  readonly steps: readonly { index: number; thread: string; fn: string; detail: string }[];
  /** The state of the struct page a walker holds for the pfn at t, if one does. */
  readonly held?: PageState;
}

export function heldAt(step: TraceStep | undefined): HeldPage[] {
  return (step?.held ?? []).map((h) => ({ ...h, bad: BAD_PAGE_STATES.includes(h.page) }));
}

/** mem_hotplug_lock as the state table says it: its writer, its readers, a writer waiting. */
function hotplugText(st: TraceState): string {
  if (st.hotplugLock) return `held for write by ${st.hotplugLock}`;
  const readers = st.hotplugReaders ?? [];
  const held = readers.length ? `held for read by ${readers.join(', ')}` : 'free';
  return st.hotplugBlocking ? `${held}; the writer waits, new readers blocked` : held;
}

export class TracePlayer {
  private t = 0;
  private readonly states: TraceState[];
  private readonly slider = $('trace-slider') as HTMLInputElement;

  constructor(
    private readonly trace: ExploreTrace,
    /** Called with the step shown (0: before the first) and the pages held then. */
    private readonly onChange: (t: number, held: HeldPage[]) => void,
    private readonly inspect: (pfn: number) => void,
  ) {
    const tr = trace;
    this.states = traceStates(tr);
    $('trace').hidden = false;
    $('trace-title').textContent = `${tr.design} on ${tr.scenario}: ${tr.verdict}`;
    $('trace-stats').textContent =
      `${tr.states} states, ${tr.transitions} transitions, ${tr.seconds} s; walkers ${tr.walkers.join(', ') || '-'}${tr.replay ? `; replay ${tr.replay}` : ''}`;
    const v = $('trace-violation');
    if (tr.violation) {
      const at = this.violationStep;
      v.hidden = false;
      clear(v);
      const link = el('a', { href: '#', class: 'to-step', 'data-t': at }, `at step ${at}`);
      link.onclick = (e) => {
        e.preventDefault();
        this.set(at);
      };
      v.append(
        el('b', {}, `${tr.violation.kind}`),
        ' ',
        link,
        ` (${this.threadName(tr.violation.thread)}, pfn ${hex(tr.violation.pfn)}): `,
        tr.violation.message,
      );
    } else {
      v.hidden = true;
    }
    this.slider.min = '0';
    this.slider.max = String(tr.steps.length);
    this.slider.addEventListener('input', () => this.set(Number(this.slider.value)));
    $('trace-first').onclick = () => this.set(0);
    $('trace-prev').onclick = () => this.set(this.t - 1);
    $('trace-next').onclick = () => this.set(this.t + 1);
    $('trace-last').onclick = () => this.set(tr.steps.length);
    this.table();
    this.set(0, true);
  }

  private threadName(id: number): string {
    return this.trace.threads.find((t) => t.id === id)?.name ?? `thread ${id}`;
  }

  get position(): number {
    return this.t;
  }

  /** How many steps the trace has (positions 0..length). */
  get length(): number {
    return this.trace.steps.length;
  }

  /**
   * The position showing the violation: after the violating thread's last step on its pfn (the
   * step that did it), or the end of the trace when there is no violation.
   */
  get violationStep(): number {
    const v = this.trace.violation;
    if (!v) return this.trace.steps.length;
    const at =
      [...this.trace.steps].reverse().find((s) => s.thread === v.thread && s.pfn === v.pfn) ??
      [...this.trace.steps].reverse().find((s) => s.thread === v.thread);
    return at?.index ?? this.trace.steps.length;
  }

  /** The next (dir 1) or previous (-1) position where the running thread changes: a preemption. */
  switchFrom(dir: -1 | 1): number {
    const steps = this.trace.steps;
    const thread = (t: number) => steps[t - 1]?.thread;
    let t = this.t + dir;
    while (t > 0 && t < steps.length && thread(t) === thread(t - dir)) t += dir;
    return t;
  }

  /** The next or previous position after a writer step (the steps that change the machine). */
  writerFrom(dir: -1 | 1): number {
    const steps = this.trace.steps;
    const writers = new Set(this.trace.threads.filter((t) => t.kind === 'writer').map((t) => t.id));
    for (let t = this.t + dir; t > 0 && t <= steps.length; t += dir)
      if (writers.has(steps[t - 1].thread)) return t;
    return dir > 0 ? steps.length : 0;
  }

  /**
   * What walkers did with pfn up to the current position (their racing reads, not the settled
   * answers): each of their steps on it, and the state of the struct page they hold now.
   */
  walkerReads(pfn: number): WalkerReads | undefined {
    const walkers = new Set(this.trace.threads.filter((t) => t.kind === 'walker').map((t) => t.id));
    const steps = this.trace.steps
      .slice(0, this.t)
      .filter((s) => walkers.has(s.thread) && s.pfn === pfn)
      .map((s) => ({ index: s.index, thread: this.threadName(s.thread), fn: s.fn, detail: s.detail }));
    if (!steps.length) return undefined;
    const held = heldAt(this.trace.steps[this.t - 1]).find((h) => h.pfn === pfn);
    return { design: this.trace.design, t: this.t, steps, held: held?.page };
  }

  private table(): void {
    const tr = this.trace;
    const head = el(
      'tr',
      {},
      el('th', {}, '#'),
      ...tr.threads.map((t) =>
        el(
          'th',
          { class: t.kind },
          t.name,
          t.name === t.kind ? null : el('span', { class: 'dim' }, ` (${t.kind})`),
        ),
      ),
    );
    const body = tr.steps.map((s) => {
      const held = heldAt(s);
      const cells = tr.threads.map((th) => {
        const mine = held.filter((h) => h.thread === th.id);
        const after = this.states[s.index];
        const reader = after?.readers.find((r) => r.thread === th.id);
        const bars = [
          reader && reader.nesting > 0 ? 'in-rcu' : '',
          th.kind === 'writer' && after?.inGracePeriod ? 'in-gp' : '',
          after?.hotplugLock === th.name || after?.hotplugReaders?.includes(th.name) ? 'in-lock' : '',
        ].filter(Boolean);
        const td = el(
          'td',
          { class: [th.kind, ...bars].join(' ') },
          s.thread === th.id
            ? el(
                'div',
                { class: 'act' },
                el('code', {}, s.fn),
                ' ',
                el('span', {}, s.detail),
                s.pfn !== undefined
                  ? el('a', { href: '#', class: 'pfn', 'data-pfn': s.pfn }, `pfn ${hex(s.pfn)}`)
                  : null,
              )
            : null,
          ...mine.map((h) =>
            el(
              'div',
              {
                class: `held${h.bad ? ' bad' : ''}`,
                'data-pfn': h.pfn,
                'data-page': h.page,
                title: h.bad ? `the walker holds a ${h.page} struct page` : 'a struct page the walker holds',
              },
              `holds struct page ${hex(h.pfn)}: ${h.page}`,
            ),
          ),
        );
        return td;
      });
      const isViolation =
        tr.violation && s === [...tr.steps].reverse().find((x) => x.thread === tr.violation!.thread);
      return el(
        'tr',
        { 'data-t': s.index, class: isViolation ? 'violation' : '' },
        el('td', { class: 'n' }, String(s.index)),
        ...cells,
      );
    });
    const table = $('trace-lanes');
    clear(table);
    table.append(el('thead', {}, head), el('tbody', {}, ...body));
    for (const a of table.querySelectorAll<HTMLElement>('a.pfn')) {
      a.onclick = (e) => {
        e.preventDefault();
        this.inspect(Number(a.dataset.pfn));
      };
    }
    for (const tr of table.querySelectorAll<HTMLElement>('tbody tr'))
      tr.onclick = (e) => {
        if ((e.target as HTMLElement).tagName !== 'A') this.set(Number(tr.dataset.t));
      };
  }

  /** The state after the current step: the grace period, each reader, mem_hotplug_lock. */
  private stateTable(t: number): void {
    const st = this.states[t];
    const table = $('trace-state');
    clear(table);
    if (!st) return;
    const row = (k: string, ...v: (Node | string)[]) => el('tr', {}, el('th', {}, k), el('td', {}, ...v));
    table.append(
      row(
        'grace period',
        `phase ${st.phase}; ${st.gp}${st.inGracePeriod ? ' (synchronize_rcu() in progress)' : ''}`,
      ),
      row('readers by phase', `phase 0: ${st.readersByPhase[0]} · phase 1: ${st.readersByPhase[1]}`),
      ...st.readers.map((r) =>
        row(
          r.name,
          r.nesting > 0
            ? `in a read-side section (nesting ${r.nesting}, entered in phase ${r.phase}${r.old ? '; the grace period waits for it' : ''})`
            : 'outside any read-side section',
          r.hotplugRead ? '; holds mem_hotplug_lock for read' : '',
          ...r.holds.map((h) =>
            el(
              'span',
              { class: `holds${BAD_PAGE_STATES.includes(h.page) ? ' bad' : ''}`, 'data-page': h.page },
              `; holds struct page ${hex(h.pfn)} (${h.page})`,
            ),
          ),
        ),
      ),
      row('mem_hotplug_lock', hotplugText(st)),
      row(
        'state from',
        st.source === 'recorded'
          ? "the explorer's memory at this step"
          : 'the step names (a trace from before 2026-12-06)',
      ),
    );
    table.dataset.source = st.source;
  }

  set(t: number, force = false): void {
    const to = Math.max(0, Math.min(this.trace.steps.length, Math.round(t)));
    if (to === this.t && !force) return;
    this.t = to;
    this.slider.value = String(to);
    const step = this.trace.steps[to - 1];
    $('trace-count').textContent = `${to} / ${this.trace.steps.length}`;
    $('trace-now').textContent = step
      ? `${this.threadName(step.thread)}: ${step.fn} — ${step.detail}`
      : 'before the first step';
    const lanes = $('trace-lanes');
    let current: HTMLElement | undefined;
    for (const row of lanes.querySelectorAll<HTMLElement>('tbody tr')) {
      const n = Number(row.dataset.t);
      row.classList.toggle('current', n === to);
      row.classList.toggle('future', n > to);
      if (n === to) current = row;
    }
    const scroller = lanes.parentElement!;
    if (current) scrollWithin(scroller, current);
    this.stateTable(to);
    const held = heldAt(step);
    $('trace').classList.toggle(
      'bad-now',
      held.some((h) => h.bad),
    );
    this.onChange(to, held);
  }
}
