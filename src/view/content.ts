/**
 * What a viewer serves: one scenario, every built-in scenario, or an explorer
 * trace (with its scenario when that loads). Resolved from the command line's
 * argument; scenarios run lazily, on first request.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DESIGNS, type Design, designByName } from '../designs/index.js';
import { isPfnlabError } from '../errors.js';
import type { ExploreTrace } from '../explore/trace.js';
import { readInputText } from '../io/read-input.js';
import { builtinScenarioNames, loadScenario } from '../io/scenario.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';
import { parseJsonText } from '../scenario/json-text.js';
import type { ViewInfo, ViewScenarioRef } from './api.js';
import { ScenarioView, type ScenarioViewOptions } from './state.js';
import { checkTrace, isTraceJson, syncTrace } from './trace.js';

/** The scenario shown first when every built-in one is served. */
const FIRST_BUILTIN = 'pmem-shares-a-section-with-boot-ram';

interface Entry {
  readonly ref: ViewScenarioRef;
  readonly scenario: Scenario;
  view?: ScenarioView;
}

export class ViewContent {
  private readonly entries = new Map<string, Entry>();
  private sync: number[] | undefined | null = null;

  constructor(
    scenarios: readonly Scenario[],
    readonly designs: readonly Design[] = DESIGNS,
    readonly trace?: ExploreTrace,
    readonly traceScenarioError?: string,
    private readonly options: ScenarioViewOptions = {},
  ) {
    for (const s of scenarios) {
      let id = s.name;
      for (let n = 2; this.entries.has(id); n++) id = `${s.name}-${n}`;
      this.entries.set(id, { ref: { id, name: s.name, description: s.description }, scenario: s });
    }
  }

  get current(): string | null {
    if (this.entries.has(FIRST_BUILTIN) && this.entries.size > 1) return FIRST_BUILTIN;
    return this.entries.keys().next().value ?? null;
  }

  /** A scenario's view by id, run on first use; undefined for an unknown id. */
  view(id: string): ScenarioView | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    e.view ??= new ScenarioView(id, e.scenario, this.designs, this.options);
    return e.view;
  }

  info(): ViewInfo {
    const current = this.current;
    if (this.trace && this.sync === null) {
      const v = current === null ? undefined : this.view(current);
      this.sync = v ? syncTrace(this.trace, v.steps) : undefined;
    }
    return {
      scenarios: [...this.entries.values()].map((e) => e.ref),
      current,
      ...(this.trace ? { trace: this.trace } : {}),
      ...(this.traceScenarioError ? { traceScenarioError: this.traceScenarioError } : {}),
      ...(this.sync ? { traceSync: this.sync } : {}),
    };
  }
}

function readJsonFile(path: string): unknown | undefined {
  if (!path.endsWith('.json')) return undefined;
  try {
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return parseJsonText(readInputText(path), path);
}

/** The trace's scenario: as given, or relative to the trace file. */
function traceScenario(trace: ExploreTrace, tracePath: string): Scenario {
  try {
    return loadScenario(trace.scenario);
  } catch (e) {
    const beside = resolve(dirname(tracePath), trace.scenario);
    if (beside !== resolve(trace.scenario)) {
      try {
        return loadScenario(beside);
      } catch {
        // fall through to the first error
      }
    }
    throw e;
  }
}

/**
 * What `pfnlab view [ref]` serves: no ref, every built-in scenario; a JSON
 * file whose format is the explorer's, that trace; anything else goes to
 * loadScenario (a scenario file, a built-in name, a capture directory).
 */
export function viewContentFor(ref: string | undefined, options: ScenarioViewOptions = {}): ViewContent {
  if (ref === undefined)
    return new ViewContent(
      builtinScenarioNames().map((n) => loadScenario(n)),
      DESIGNS,
      undefined,
      undefined,
      options,
    );
  const raw = readJsonFile(ref);
  if (raw === undefined || !isTraceJson(raw))
    return new ViewContent([loadScenario(ref)], DESIGNS, undefined, undefined, options);
  const trace = checkTrace(raw, ref);
  const own = designByName(trace.design);
  // Run the scenario as the explorer did: the trace's design only, its walkers' RCU readers
  // registered, on the kernel it modelled - so that the writer's steps line up.
  const designs = own ? [own] : DESIGNS;
  const traceOptions = { ...options, rcuReaders: trace.threads.filter((t) => t.kind === 'walker').length };
  try {
    const s = traceScenario(trace, ref);
    const scenario = trace.kernel ? scenarioWithKernel(s, trace.kernel) : s;
    return new ViewContent([scenario], designs, trace, undefined, traceOptions);
  } catch (e) {
    if (!isPfnlabError(e)) throw e;
    const why = `scenario '${trace.scenario}' could not be loaded: ${e.message}`;
    return new ViewContent([], designs, trace, why, traceOptions);
  }
}
