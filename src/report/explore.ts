/** explore's text: what ran, the verdict (what the search covered and left out), a counterexample and its replay line. */
import type { ExploreTrace } from '../explore/trace.js';
import { renderTraceSteps } from './trace.js';

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** What the search covered: states (a random search names its schedules in the verdict itself). */
function coverage(t: ExploreTrace): string {
  const split = t.search?.jobs
    ? `; ${plural(t.search.jobs, 'subtree job')}${t.search.threads ? ` on ${plural(t.search.threads, 'thread')}` : ''}`
    : '';
  const time = `${plural(t.transitions, 'transition')}, ${t.seconds} s${split}`;
  return t.search?.mode === 'random' ? time : `${plural(t.states, 'state')}, ${time}`;
}

function randomRuns(t: ExploreTrace): string {
  return `${plural(t.search?.runs ?? t.states, 'random schedule')} from seed ${t.search?.seed}`;
}

/** The verdict line of an exhaustive search that found a violation: which counterexample this is. */
function unsafeExhaustive(t: ExploreTrace): string {
  const s = t.search;
  const n = plural(t.steps.length, 'step');
  if (s?.firstViolation) return `the first counterexample found (not necessarily a shortest), ${n}`;
  if (s?.stoppedAtMaxStates)
    return `the shortest counterexample found before stopping at ${s.maxStates} states, ${n}`;
  if (s?.stoppedAtMaxSeconds)
    return `the shortest counterexample found before stopping at ${plural(s.maxSeconds ?? 0, 'second')}, ${n}`;
  if (s?.preemptionBound !== undefined)
    return `a shortest counterexample within ${plural(s.preemptionBound, 'preemption')}, ${n}`;
  return `a shortest counterexample in ${n}`;
}

/** Why a search that found nothing is no proof: what it left out. */
function notProven(t: ExploreTrace): string {
  const s = t.search;
  if (s?.mode === 'random') return `no violation in ${randomRuns(t)}`;
  const limits = [
    ...(s?.preemptionBound !== undefined ? [`within ${plural(s.preemptionBound, 'preemption')}`] : []),
    ...(s?.stoppedAtMaxStates && s.maxStates !== undefined
      ? [`in the first ${plural(s.maxStates, 'state')}`]
      : []),
    ...(s?.stoppedAtMaxSeconds && s.maxSeconds !== undefined
      ? [`in the first ${plural(s.maxSeconds, 'second')}${s.jobs ? ' of each job' : ''}`]
      : []),
  ];
  return `no violation ${limits.join(' and ') || 'within the bound'}`;
}

/** What each member of a swarm ran. */
function swarmMembers(t: ExploreTrace): string {
  const s = t.search!;
  const members = `${plural(s.swarm ?? 0, 'swarm member')} seeded from ${s.seed}`;
  if (s.runs !== undefined) return `${members}, each ${plural(s.runs, 'random schedule')}`;
  const bounds = [
    `at most ${plural(s.maxStates ?? 0, 'state')}`,
    ...(s.maxSeconds !== undefined ? [plural(s.maxSeconds, 'second')] : []),
    ...(s.preemptionBound !== undefined ? [`${plural(s.preemptionBound, 'preemption')}`] : []),
  ];
  return `${members}, each a depth-first search of ${bounds.join(', ')} under a random schedule prefix`;
}

/** A swarm's verdict: the member that won, or what the members' silence covers. */
function swarmVerdict(t: ExploreTrace): string {
  const s = t.search!;
  const work = `${plural(t.states, s.runs !== undefined ? 'random schedule' : 'state')}, ${plural(t.transitions, 'transition')}, ${t.seconds} s; ${s.finished} of ${s.swarm} members finished`;
  if (!t.violation)
    return `verdict: no violation in ${swarmMembers(t)} (${work}); not a proof: a swarm covers only the schedules its members ran`;
  return `verdict: UNSAFE - the counterexample of swarm member ${s.winner}, the first to find one, ${plural(t.steps.length, 'step')}; ${swarmMembers(t)} (${work})`;
}

function verdictLine(t: ExploreTrace): string {
  const s = t.search;
  if (s?.mode === 'swarm') return swarmVerdict(t);
  if (s?.mode === 'replay') {
    return t.violation
      ? `verdict: UNSAFE - the replayed schedule reaches a violation at step ${t.steps.length}`
      : `verdict: no violation in the replayed schedule (${plural(t.steps.length, 'step')}); other schedules were not run`;
  }
  if (t.verdict === 'safe') return `verdict: SAFE - every interleaving explored (${coverage(t)})`;
  if (!t.violation) return `verdict: ${notProven(t)} (${coverage(t)}); not a proof`;
  const which =
    s?.mode === 'random'
      ? `the shortest counterexample in ${randomRuns(t)}, ${plural(t.steps.length, 'step')}`
      : unsafeExhaustive(t);
  return `verdict: UNSAFE - ${which} (${coverage(t)})`;
}

/** The trace as text: what ran, the verdict, the steps, the violation and the line that replays it. */
export function renderExplore(t: ExploreTrace, full = false): string {
  const lines = [
    `${t.scenario} with ${t.design} on kernel ${t.kernel}; walkers: ${t.walkers.join(', ')}${t.memoryModel === 'lkmm' ? "; memory model: LKMM (walkers' loads may be satisfied early)" : ''}`,
    verdictLine(t),
  ];
  // A replay shows its schedule whatever it reached; a search shows a counterexample.
  if (t.steps.length && (t.violation || t.search?.mode === 'replay')) lines.push(renderTraceSteps(t, full));
  if (t.violation) lines.push(`violation: ${t.violation.message}`);
  if (t.violation && t.replay && t.command) lines.push(`replay: ${t.command} --replay ${t.replay}`);
  return lines.join('\n');
}
