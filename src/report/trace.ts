/**
 * An explorer trace as text: numbered steps naming the thread and kernel
 * function, consecutive accesses of one walker in one function folded into a
 * line (unless full), the held struct page flagged when it is not
 * initialized, then the violation and the replay string.
 */
import type { ExploreTrace, TraceStep } from '../explore/trace.js';
import { hex } from '../units.js';

function threadName(t: ExploreTrace, id: number): string {
  return t.threads.find((x) => x.id === id)?.name ?? `thread ${id}`;
}

function heldNote(s: TraceStep): string {
  const bad = (s.held ?? []).filter((h) => h.page !== 'initialized');
  return bad.length ? `   <-- holds pfn ${bad.map((h) => `${hex(h.pfn)} (${h.page})`).join(', ')}` : '';
}

/** Group consecutive steps of one walker in one function on one pfn. */
function groups(steps: readonly TraceStep[]): TraceStep[][] {
  const out: TraceStep[][] = [];
  for (const s of steps) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (prev && prev.thread === s.thread && s.thread !== 0 && prev.fn === s.fn && prev.pfn === s.pfn)
      last.push(s);
    else out.push([s]);
  }
  return out;
}

export function renderTraceSteps(t: ExploreTrace, full: boolean): string {
  const width = Math.max(...t.threads.map((x) => x.name.length));
  const lines: string[] = [];
  for (const g of full ? t.steps.map((s) => [s]) : groups(t.steps)) {
    const first = g[0];
    const last = g[g.length - 1];
    const num = g.length > 1 ? `${first.index}-${last.index}.` : `${first.index}.`;
    let detail = first.detail;
    if (g.length > 1) {
      const accesses = g.map((s) => s.detail.split(': ').slice(1).join(': ')).filter(Boolean);
      detail = `${first.detail.split(': ')[0]}: ${accesses.join('; ')}`;
    }
    lines.push(
      `  ${num.padStart(8)} ${threadName(t, first.thread).padEnd(width)}  ${first.fn}: ${detail}${heldNote(last)}`,
    );
  }
  return lines.join('\n');
}
