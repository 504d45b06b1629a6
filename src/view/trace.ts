/**
 * Explorer traces in the viewer: recognising one (by its `format` field),
 * checking its shape, and lining its writer steps up with the scenario's
 * kernel steps so the map can follow the player.
 */

import { InputError } from '../errors.js';
import type { ExploreTrace } from '../explore/trace.js';
import { isKernelRelease, KERNEL_RANGE_TEXT } from '../kernel/index.js';
import type { ViewStep } from './api.js';

export const TRACE_FORMAT = 'pfnlab-explore-trace';

export function isTraceJson(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === TRACE_FORMAT;
}

/** A parsed trace JSON checked for what the player reads; an InputError naming the first problem. */
export function checkTrace(raw: unknown, source: string): ExploreTrace {
  const t = raw as Record<string, unknown>;
  const fail = (path: string, problem: string): never => {
    throw new InputError(`${source}: ${path}`, problem);
  };
  if (t.version !== 1)
    fail('$.version', `unsupported trace version ${JSON.stringify(t.version)} (expected 1)`);
  for (const k of ['scenario', 'design', 'verdict'] as const)
    if (typeof t[k] !== 'string') fail(`$.${k}`, 'must be a string');
  if (t.kernel !== undefined && !isKernelRelease(t.kernel))
    fail('$.kernel', `must be ${KERNEL_RANGE_TEXT}, got ${JSON.stringify(t.kernel).slice(0, 40)}`);
  if (!Array.isArray(t.threads)) fail('$.threads', 'must be an array');
  if (!Array.isArray(t.steps)) fail('$.steps', 'must be an array');
  const ids = new Set<number>();
  (t.threads as Record<string, unknown>[]).forEach((th, i) => {
    if (
      typeof th?.id !== 'number' ||
      typeof th.name !== 'string' ||
      (th.kind !== 'writer' && th.kind !== 'walker')
    )
      fail(`$.threads[${i}]`, "needs id (number), name (string) and kind ('writer' or 'walker')");
    ids.add(th.id as number);
  });
  (t.steps as Record<string, unknown>[]).forEach((st, i) => {
    if (typeof st?.thread !== 'number' || typeof st.fn !== 'string')
      fail(`$.steps[${i}]`, 'needs thread (number) and fn (string)');
    if (!ids.has(st.thread as number)) fail(`$.steps[${i}].thread`, `no thread ${st.thread} in $.threads`);
    if (st.held !== undefined && !Array.isArray(st.held)) fail(`$.steps[${i}].held`, 'must be an array');
  });
  return raw as ExploreTrace;
}

/**
 * For each position of the trace player - 0 before the first step, t after
 * trace step t - the slider position whose machine the threads saw then: the
 * writer's steps are found in order among the scenario's kernel steps (same
 * function, same detail preferred); a walker's step leaves the machine as the
 * writer's last step left it; before the writer's first step the machine is
 * the one just before its match. Undefined when some writer step has no match.
 */
export function syncTrace(trace: ExploreTrace, steps: readonly ViewStep[]): number[] | undefined {
  const writers = new Set(trace.threads.filter((t) => t.kind === 'writer').map((t) => t.id));
  const matches = matchWriterSteps(
    trace.steps.filter((s) => writers.has(s.thread)),
    steps,
  );
  if (!matches?.length) return undefined;
  let seen = 0;
  let current = Math.max(0, matches[0] - 1);
  const out = [current];
  for (const s of trace.steps) {
    if (writers.has(s.thread)) current = matches[seen++];
    out.push(current);
  }
  return out;
}

/** The kernel step each writer step ran, in order; undefined when one is not found. */
function matchWriterSteps(
  writerSteps: readonly { fn: string; detail: string }[],
  steps: readonly ViewStep[],
): number[] | undefined {
  const matches: number[] = [];
  let from = 0;
  for (const s of writerSteps) {
    let at = -1;
    for (let k = from; k < steps.length && at < 0; k++)
      if (steps[k].fn === s.fn && steps[k].detail === s.detail) at = k;
    // Only the first writer step may jump anywhere for an exact match; later ones take the next of their name.
    if (at < 0 || (matches.length > 0 && steps.slice(from, at).some((x) => x.fn === s.fn))) {
      at = steps.findIndex((x, k) => k >= from && x.fn === s.fn);
    }
    if (at < 0) return undefined;
    matches.push(at);
    from = at + 1;
  }
  return matches;
}
