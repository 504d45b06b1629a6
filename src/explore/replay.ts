/** Run one schedule of the explorer's world step by step, with each step's label. */
import type { Program, StepLabel, Violation } from './program.js';
import { World } from './world.js';

/** Run one schedule from the start; returns every step's label and the first violation. */
export function replay(
  program: Program,
  schedule: readonly number[],
  each?: (label: StepLabel) => void,
): { labels: StepLabel[]; violation?: Violation; error?: string } {
  const world = new World(program);
  world.save(0);
  const labels: StepLabel[] = [];
  let violation: Violation | undefined;
  let error: string | undefined;
  for (const [i, t] of schedule.entries()) {
    error = replayStep(world, t, i);
    if (error) break;
    violation ??= world.violation;
    labels.push(world.lastLabel!);
    each?.(world.lastLabel!);
    if (violation) break;
  }
  world.reset(0);
  return error ? { labels, error } : { labels, violation };
}

/** Run step i (thread t) with its label; a sentence if it cannot run. */
function replayStep(world: World, t: number, i: number): string | undefined {
  if (t < 0 || t >= world.threads || world.done(t)) return `step ${i + 1}: thread ${t} cannot run here`;
  if (!world.step(t, true)) return `step ${i + 1}: thread ${t} is blocked here`;
  return undefined;
}
