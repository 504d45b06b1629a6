/**
 * The step slider: every kernel step of boot and of each operation, the
 * operations as a timeline, and the current operation's kernel steps.
 */
import type { ScenarioSummary } from '../api.js';
import { $, append, clear, el } from './dom.js';

/** Scroll a list (position: relative) so that one of its items shows, without moving the page. */
export function scrollWithin(list: HTMLElement, item: HTMLElement): void {
  if (item.offsetTop < list.scrollTop) list.scrollTop = item.offsetTop;
  else if (item.offsetTop + item.offsetHeight > list.scrollTop + list.clientHeight)
    list.scrollTop = item.offsetTop + item.offsetHeight - list.clientHeight;
}

export class Stepper {
  private s: ScenarioSummary | undefined;
  private k = 0;
  private readonly slider = $('slider') as HTMLInputElement;

  constructor(private readonly onChange: (k: number) => void) {
    this.slider.addEventListener('input', () => this.set(Number(this.slider.value)));
    $('step-first').onclick = () => this.set(0);
    $('step-prev').onclick = () => this.set(this.k - 1);
    $('step-next').onclick = () => this.set(this.k + 1);
    $('step-last').onclick = () => this.set(this.max);
    $('op-prev').onclick = () => this.jumpOp(-1);
    $('op-next').onclick = () => this.jumpOp(1);
    window.addEventListener('resize', () => this.drawTicks());
  }

  get max(): number {
    return (this.s?.steps.length ?? 1) - 1;
  }

  get position(): number {
    return this.k;
  }

  load(s: ScenarioSummary, k: number): void {
    this.s = s;
    this.slider.min = '0';
    this.slider.max = String(this.max);
    const ops = $('ops');
    clear(ops);
    for (const o of s.operations) {
      const chip = el(
        'button',
        {
          type: 'button',
          class: `op${o.refused ? ' refused' : ''}`,
          'data-op': o.index,
          title: `${o.summary}\nslider ${o.first}-${o.last}; click: the machine after it`,
        },
        el('span', { class: 'n' }, o.index === 0 ? 'boot' : String(o.index)),
        ` ${o.index === 0 ? '' : o.op}`,
      );
      chip.onclick = () => this.set(o.last);
      ops.append(chip);
    }
    this.k = -1;
    this.set(k);
    this.drawTicks();
  }

  /**
   * Landmarks under the slider: a tick where each operation begins, a red one at a refusal, each
   * under the slider position it marks (the thumb's centre runs from half a thumb in at each end).
   */
  drawTicks(): void {
    const s = this.s;
    const ticks = $('ticks');
    clear(ticks);
    if (!s || this.max <= 0) return;
    const thumb = 8;
    const left = this.slider.offsetLeft - (ticks.offsetLeft || 0);
    const span = this.slider.offsetWidth - 2 * thumb;
    for (const o of s.operations) {
      if (o.index === 0) continue;
      const at = o.refused ? o.last : o.first;
      const tick = el('i', {
        class: o.refused ? 'refused' : '',
        'data-k': at,
        title: `${o.index}: ${o.summary} (kernel step ${at + 1})`,
      });
      tick.style.left = `${left + thumb + (at / this.max) * span - 1}px`;
      ticks.append(tick);
    }
  }

  /** The end of the previous or next operation (here when there is none). */
  opFrom(dir: -1 | 1): number {
    const ends = this.s?.operations.map((o) => o.last) ?? [];
    const next = dir > 0 ? ends.find((e) => e > this.k) : [...ends].reverse().find((e) => e < this.k);
    return next ?? this.k;
  }

  /** Move to the end of the previous or next operation. */
  jumpOp(dir: -1 | 1): void {
    this.set(this.opFrom(dir));
  }

  set(k: number): void {
    const s = this.s;
    if (!s) return;
    const to = Math.max(0, Math.min(this.max, Math.round(k)));
    if (to === this.k) return;
    this.k = to;
    this.slider.value = String(to);
    const step = s.steps[to];
    const op = s.operations.find((o) => o.index === step.op)!;
    // Counted from 1, as the operation's "kernel step i of n" beside it is: position k is kernel step k + 1.
    $('step-count').textContent = `${to + 1} / ${this.max + 1}`;
    $('step-op').textContent =
      `${op.index === 0 ? 'boot' : `step ${op.index} of ${s.operations.length - 1}`}: ${op.summary}`;
    const fn = $('step-fn');
    clear(fn);
    append(
      fn,
      el('code', { class: step.refused ? 'refused' : '' }, step.fn),
      ' ',
      el('span', {}, step.detail),
      step.note ? el('span', { class: 'note' }, ` → ${step.note}`) : null,
      el('span', { class: 'dim' }, `  (kernel step ${to - op.first + 1} of ${op.last - op.first + 1})`),
    );
    for (const chip of $('ops').querySelectorAll<HTMLElement>('.op'))
      chip.classList.toggle('current', Number(chip.dataset.op) === op.index);
    const list = $('kernel-steps');
    if (list.dataset.op !== String(op.index) || list.dataset.scenario !== s.id) {
      clear(list);
      list.dataset.op = String(op.index);
      list.dataset.scenario = s.id;
      for (let i = op.first; i <= op.last; i++) {
        const st = s.steps[i];
        const li = el(
          'li',
          { 'data-k': i },
          el('code', {}, st.fn),
          ' ',
          el('span', { class: 'dim' }, st.detail),
        );
        li.onclick = () => this.set(i);
        list.append(li);
      }
    }
    for (const li of list.querySelectorAll<HTMLElement>('li')) {
      const cur = Number(li.dataset.k) === to;
      li.classList.toggle('current', cur);
      li.classList.toggle('future', Number(li.dataset.k) > to);
      if (cur) scrollWithin(list, li);
    }
    this.onChange(to);
  }
}
