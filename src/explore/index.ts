/**
 * The explorer, one way in: explore a scenario with a design and walkers
 * (every interleaving, or random schedules), replay a schedule, and audit
 * every walker against every design.
 */
import type { Design } from '../designs/design.js';
import type { Scenario } from '../io/scenario.js';
import { InputError } from '../model/errors.js';
import { P_FLAGS } from '../model/layout.js';
import { pageAddress } from '../model/memmap.js';
import { NULL } from '../model/memory.js';
import { PAGE_POISON_PATTERN } from '../model/page-flags.js';
import { parsePfn } from '../units.js';
import { WALKER_NAMES, type WalkerDef, walkerByName } from '../walkers/index.js';
import {
  randomSearch,
  replay,
  type SearchOptions,
  type SearchResult,
  type StepLabel,
  search,
} from './engine.js';
import { type MachineProgram, machineProgram, type WalkerSpec } from './machine-program.js';
import type { ExploreTrace, PageState, TraceStep } from './trace.js';

export type { WalkerSpec } from './machine-program.js';
export type { ExploreTrace } from './trace.js';

export interface ExploreOptions {
  readonly scenario: Scenario;
  readonly design: Design;
  readonly walkers: readonly WalkerSpec[];
  /** Operations done before exploring (default: the scenario's explore.from, else 0). */
  readonly from?: number;
  readonly preemptionBound?: number;
  /** Random schedules instead of every interleaving. */
  readonly random?: { readonly runs: number; readonly seed: number };
  readonly firstViolation?: boolean;
  readonly maxStates?: number;
  readonly progress?: SearchOptions['progress'];
}

/** "kpageflags" or "kpageflags@0x400000,0x400200". */
export function parseWalkerSpec(text: string): WalkerSpec {
  const [name, pfnList] = text.split('@');
  const walker = walkerByName(name.trim());
  if (!walker)
    throw new InputError('--walker', `unknown walker '${name}' (walkers: ${WALKER_NAMES.join(', ')})`, text);
  if (pfnList === undefined) return { walker };
  const pfns = pfnList.split(',').map((p) => {
    const pfn = parsePfn(p);
    if (pfn === undefined) throw new InputError('--walker', `'${p}' in '${text}' is not a pfn`, text);
    return pfn;
  });
  return { walker, pfns };
}

/** A schedule as a replay string: thread ids, runs folded as "id*count". */
export function formatSchedule(schedule: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < schedule.length; ) {
    let j = i;
    while (j < schedule.length && schedule[j] === schedule[i]) j++;
    out.push(j - i > 1 ? `${schedule[i]}*${j - i}` : `${schedule[i]}`);
    i = j;
  }
  return out.join(',');
}

export function parseSchedule(text: string): number[] {
  const out: number[] = [];
  for (const token of text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:\*(\d+))?$/.exec(token);
    if (!m) throw new InputError('--replay', `'${token}' is not a thread id or id*count`, text);
    for (let k = 0; k < Number(m[2] ?? 1); k++) out.push(Number(m[1]));
  }
  return out;
}

function scenarioFrom(s: Scenario, from: number | undefined): number {
  const f = from ?? (s.explore as { from?: number } | undefined)?.from ?? 0;
  if (f > s.steps.length) throw new InputError('--from', `the scenario has only ${s.steps.length} steps`, f);
  return f;
}

function buildProgram(opts: ExploreOptions): MachineProgram {
  return machineProgram({
    scenario: opts.scenario,
    design: opts.design,
    walkers: opts.walkers,
    from: scenarioFrom(opts.scenario, opts.from),
  });
}

/** What pfn's struct page is now, for highlighting. */
function pageState(p: MachineProgram, pfn: number): PageState {
  const m = p.machine;
  const addr = pageAddress(m.mem.words, m.g, pfn);
  if (addr === NULL || !m.mem.isLive(addr)) return 'freed';
  if (m.mem.words[addr + P_FLAGS] !== PAGE_POISON_PATTERN) return 'initialized';
  return ['uninitialized', 'driver-reserved'].includes(m.truthOf(pfn).state) ? 'uninitialized' : 'poisoned';
}

function traceSteps(
  opts: ExploreOptions,
  schedule: readonly number[],
): { steps: TraceStep[]; error?: string } {
  const p = buildProgram(opts);
  const states: { held: TraceStep['held'] }[] = [];
  // Replay, noting the held pages' states after each step.
  const labels: StepLabel[] = [];
  const r = replay(p, schedule, (label) => {
    labels.push(label);
    states.push({
      held: label.held.map((h) => ({ thread: h.thread, pfn: h.pfn, page: pageState(p, h.pfn) })),
    });
  });
  const steps = labels.map((l, i) => ({
    index: i + 1,
    thread: l.thread,
    fn: l.fn,
    detail: l.access ? `${l.detail}: ${l.access}` : l.detail,
    ...(l.pfn !== undefined ? { pfn: l.pfn } : {}),
    ...(states[i].held?.length ? { held: states[i].held } : {}),
  }));
  return { steps, error: r.error };
}

function toTrace(opts: ExploreOptions, r: SearchResult, scenarioRef: string): ExploreTrace {
  const threads = [
    { id: 0, name: 'writer', kind: 'writer' as const },
    ...opts.walkers.map((w, i) => ({ id: i + 1, name: w.walker.name, kind: 'walker' as const })),
  ];
  const steps = r.schedule ? traceSteps(opts, r.schedule).steps : [];
  return {
    format: 'pfnlab-explore-trace',
    version: 1,
    scenario: scenarioRef,
    design: opts.design.name,
    kernel: opts.scenario.geometry.kernel,
    from: scenarioFrom(opts.scenario, opts.from),
    walkers: opts.walkers.map((w) =>
      w.pfns ? `${w.walker.name}@${w.pfns.map((x) => `0x${x.toString(16)}`).join(',')}` : w.walker.name,
    ),
    verdict: r.verdict,
    states: r.states,
    transitions: r.transitions,
    seconds: Math.round(r.seconds * 1000) / 1000,
    threads,
    steps,
    ...(r.violation
      ? {
          violation: {
            kind: r.violation.kind,
            thread: r.violation.thread,
            pfn: r.violation.pfn,
            message: r.violation.message,
          },
        }
      : {}),
    ...(r.schedule ? { replay: formatSchedule(r.schedule) } : {}),
  };
}

/** Explore every interleaving (or random ones) of the scenario's operations with the walkers. */
export function explore(opts: ExploreOptions): ExploreTrace {
  const program = buildProgram(opts);
  const result = opts.random
    ? randomSearch(program, opts.random.runs, opts.random.seed)
    : search(program, {
        preemptionBound: opts.preemptionBound,
        firstViolation: opts.firstViolation,
        maxStates: opts.maxStates,
        progress: opts.progress,
      });
  return toTrace(opts, result, opts.scenario.source.replace(/^builtin:/, ''));
}

/** Run one schedule (a replay string) and report what happened. */
export function replaySchedule(opts: ExploreOptions, replayString: string): ExploreTrace {
  const schedule = parseSchedule(replayString);
  const program = buildProgram(opts);
  const r = replay(program, schedule);
  if (r.error) throw new InputError('--replay', r.error, replayString);
  const result: SearchResult = {
    verdict: r.violation ? 'unsafe' : 'bounded',
    states: schedule.length,
    transitions: schedule.length,
    seconds: 0,
    schedule: r.violation ? schedule.slice(0, r.labels.length) : schedule,
    violation: r.violation,
  };
  return toTrace(opts, result, opts.scenario.source.replace(/^builtin:/, ''));
}

/** The walkers a scenario names (scenario.walkers), or pfn-walker. */
export function scenarioWalkers(s: Scenario): WalkerSpec[] {
  return s.walkers.length ? s.walkers.map(parseWalkerSpec) : [{ walker: walkerByName('pfn-walker')! }];
}

export type { WalkerDef };
