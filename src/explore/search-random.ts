/** Random schedules with a seed: the explorer's bug hunt when the exhaustive search is too big. */
import { rng } from '../random.js';
import type { Program, Violation } from './program.js';
import { type Counterexample, deadlock, type SearchResult, shorter, unfinished } from './search-result.js';
import { World } from './world.js';

/** Random schedules with a seed: each run picks uniformly among enabled threads until done or a violation. */
export function randomSearch(program: Program, runs: number, seed: number): SearchResult {
  const world = new World(program);
  world.save(0);
  const random = rng(seed);
  const started = performance.now();
  let transitions = 0;
  let best: Counterexample | undefined;
  for (let r = 0; r < runs; r++) {
    world.load(0);
    const run = randomRun(world, random);
    transitions += run.schedule.length;
    if (run.violation) best = shorter(best, run.schedule, run.violation);
  }
  world.reset(0);
  return {
    verdict: best ? 'unsafe' : 'bounded',
    states: runs,
    transitions,
    seconds: (performance.now() - started) / 1000,
    schedule: best?.schedule,
    violation: best?.violation,
  };
}

/**
 * One random schedule from the world's state: uniformly among enabled threads until every thread
 * is done, one makes a violation, or none can move (a deadlock). The schedule ends at its violation.
 */
export function randomRun(world: World, random: () => number): { schedule: number[]; violation?: Violation } {
  const schedule: number[] = [];
  for (;;) {
    const candidates = unfinished(world);
    if (candidates.length === 0) return { schedule };
    const t = randomStep(world, candidates, random);
    if (t < 0) return { schedule, violation: deadlock(world, candidates) };
    schedule.push(t);
    const violation: Violation | undefined = world.violation;
    if (violation) return { schedule, violation };
  }
}

/** Run the first enabled thread of the candidates in a random order: its id, or -1 if none is enabled. */
function randomStep(world: World, candidates: number[], random: () => number): number {
  for (const t of candidates.sort(() => random() - 0.5)) if (world.step(t)) return t;
  return -1;
}
