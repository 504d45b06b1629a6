/** Explorer traces for the viewer's tests, made from the fixtures. */
import { readFileSync } from 'node:fs';

export const TRACE = 'test/fixtures/traces/no-sync.json';

/**
 * The no-sync fixture without the walker's three opening steps: a trace that
 * begins with a writer step, as the explorer's usually do.
 */
export function writerFirstTrace(): Record<string, unknown> {
  const trace = JSON.parse(readFileSync(TRACE, 'utf8'));
  const steps = trace.steps.slice(3).map((s: { index: number }, i: number) => ({ ...s, index: i + 1 }));
  return { ...trace, steps };
}
