/**
 * pfnlab's main job as a library function: every built-in scenario through every design (each
 * design's answers for every pfn judged after every kernel step), the model's invariants after
 * each scenario, a map of the layout after every step, and pfn-walker explored under every
 * interleaving with every design, fault variants included; each design's publish and teardown as
 * litmus tests under LKMM; the known bugs before and after their fixes. src/report/demo.ts renders the result.
 */
import type { KernelVersion } from '../arch/geometry.js';
import { runBugs } from '../bugs/index.js';
import { compareScenario } from '../compare/index.js';
import type { Design } from '../designs/design.js';
import { DESIGNS, designLitmus, FAULT_DESIGNS } from '../designs/index.js';
import { AUDIT_SCENARIOS } from '../explore/audit.js';
import { explore, scenarioWalkers } from '../explore/index.js';
import { builtinScenarioNames, loadScenario } from '../io/scenario.js';
import { checkInvariants } from '../model/invariants.js';
import type { DemoResult, RaceVerdict } from '../report/demo.js';
import type { ReportScenario } from '../report/html.js';
import { sumTotals } from '../report/html.js';
import { layoutMap } from '../report/map-layout.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';

export type { DemoResult, RaceVerdict } from '../report/demo.js';

export interface DemoOptions {
  /** Judge the designs on this kernel (default: each scenario's own). Races run each design on its own kernel. */
  readonly kernel?: KernelVersion;
  /** Scenarios by name or path (default: every built-in). */
  readonly scenarios?: readonly string[];
}

/** One scenario compared with every design, with its map after boot and after every step. */
function demoScenario(
  name: string,
  scenario: Scenario,
  invariants: Record<string, string[]>,
): ReportScenario {
  const maps: ReportScenario['maps'][number][] = [];
  const result = compareScenario(scenario, {
    designs: DESIGNS,
    onOperation(m, op) {
      maps.push({
        caption: op.index === 0 ? 'after boot' : `after step ${op.index}: ${op.summary}`,
        map: layoutMap(m),
      });
      if (op.index === scenario.steps.length) invariants[name] = checkInvariants(m);
    },
  });
  return { name, description: scenario.description, result, maps };
}

/** pfn-walker explored with one design on one of the audit's scenarios, on the design's own kernel. */
function raceVerdict(scenario: string, design: Design): string {
  const s0 = loadScenario(scenario);
  const s = scenarioWithKernel(s0, design.kernel ?? s0.geometry.kernel);
  const t = explore({ scenario: s, design, walkers: scenarioWalkers(s) });
  return t.verdict === 'safe'
    ? `safe (${t.states} states)`
    : `UNSAFE: ${t.violation?.kind} in ${t.steps.length} steps`;
}

/** pfn-walker explored with every design, fault variants included, on the audit's two scenarios. */
export function raceVerdicts(designs: readonly Design[] = [...DESIGNS, ...FAULT_DESIGNS]): RaceVerdict[] {
  return designs.map((d) => ({
    design: d.name,
    ram: raceVerdict(AUDIT_SCENARIOS.ram, d),
    device: raceVerdict(AUDIT_SCENARIOS.device, d),
  }));
}

/** The demo: compare every scenario, check the invariants, explore the races. */
export function runDemo(opts: DemoOptions = {}): DemoResult {
  const invariantViolations: Record<string, string[]> = {};
  const scenarios = (opts.scenarios ?? builtinScenarioNames()).map((name) => {
    const s = loadScenario(name);
    return demoScenario(name, opts.kernel ? scenarioWithKernel(s, opts.kernel) : s, invariantViolations);
  });
  return {
    designs: DESIGNS.map((d) => d.name),
    scenarios,
    totals: sumTotals(scenarios.map((s) => s.result)),
    races: raceVerdicts(),
    lkmm: DESIGNS.flatMap((d) => designLitmus(d) ?? []),
    invariantViolations,
    bugs: runBugs(),
  };
}
