/**
 * The audit: every walker against every design, each explored exhaustively on
 * the scenarios that exercise what it reads - hot-removed System RAM
 * (explore/offline) and unmapped ZONE_DEVICE memory (explore/memunmap) - with
 * the model following the kernel the design is for. Reproduces Dan Williams'
 * is_zone_device_page() audit from the seed thread for v5.4.
 */
import type { KernelVersion } from '../arch/geometry.js';
import type { Design } from '../designs/design.js';
import { DESIGNS } from '../designs/index.js';
import { loadScenario } from '../io/scenario.js';
import type { Scenario } from '../scenario/index.js';
import { WALKERS, type WalkerDef } from '../walkers/index.js';
import { explore, modelKernel, scenarioWalkers } from './index.js';
import type { ExploreTrace } from './trace.js';

export interface AuditCell {
  readonly verdict: ExploreTrace['verdict'];
  /** The kernel the model followed (the design's, as pfnlab explore defaults to). */
  readonly kernel: KernelVersion;
  /** Counterexample length when unsafe. */
  readonly steps?: number;
  /** The scenario's name, and how pfnlab explore names it. */
  readonly scenario?: string;
  readonly scenarioRef?: string;
  readonly violation?: string;
  /** When unsafe: the pfnlab explore command that finds the same counterexample. */
  readonly command?: string;
  readonly states: number;
}

export interface AuditRow {
  readonly walker: string;
  readonly models: string;
  readonly threadVerdict?: string;
  readonly cells: Record<string, AuditCell>;
}

export interface AuditResult {
  readonly designs: readonly string[];
  /** The kernel each design is explored on. */
  readonly kernels: Readonly<Record<string, KernelVersion>>;
  readonly rows: AuditRow[];
  readonly seconds: number;
  /** For v5.4, how many of the thread's named verdicts the audit reproduces, and which not. */
  readonly thread: { readonly named: number; readonly reproduced: number; readonly differ: string[] };
}

export const AUDIT_SCENARIOS = { ram: 'explore/offline', device: 'explore/memunmap' } as const;

function scenariosFor(w: WalkerDef, ram: Scenario, device: Scenario): Scenario[] {
  switch (w.targets) {
    case 'device':
    case 'device-private':
      return [device];
    case 'ram':
    case 'untouched':
      return [ram];
    default:
      return [ram, device];
  }
}

function cell(w: WalkerDef, d: Design, scenarios: Scenario[], asked?: KernelVersion): AuditCell {
  let states = 0;
  let kernel = modelKernel(d, scenarios[0], asked);
  for (const s of scenarios) {
    const walkers = w.name === 'pfn-walker' ? scenarioWalkers(s) : [{ walker: w }];
    const r = explore({ scenario: s, design: d, walkers, kernel: asked });
    states += r.states;
    kernel = r.kernel ?? kernel;
    if (r.verdict !== 'safe') {
      return {
        verdict: r.verdict,
        kernel,
        steps: r.steps.length,
        scenario: s.name,
        scenarioRef: r.scenario,
        violation: r.violation?.message,
        command: r.command,
        states,
      };
    }
  }
  return { verdict: 'safe', kernel, states };
}

/** Does our v5.4 verdict match the thread's (ignoring its question marks)? */
function agrees(threadVerdict: string, ours: AuditCell): boolean {
  const unsafe = /unsafe/.test(threadVerdict);
  return unsafe === (ours.verdict === 'unsafe');
}

export function audit(
  designs: readonly Design[] = DESIGNS,
  walkers: readonly WalkerDef[] = WALKERS,
  onRow?: (row: AuditRow) => void,
  /** Explore every design on this release instead of its own. */
  kernel?: KernelVersion,
): AuditResult {
  const started = performance.now();
  const ram = loadScenario(AUDIT_SCENARIOS.ram);
  const device = loadScenario(AUDIT_SCENARIOS.device);
  const rows: AuditRow[] = [];
  for (const w of walkers) {
    const cells: Record<string, AuditCell> = {};
    for (const d of designs) cells[d.name] = cell(w, d, scenariosFor(w, ram, device), kernel);
    const row = { walker: w.name, models: w.models, threadVerdict: w.threadVerdict, cells };
    rows.push(row);
    onRow?.(row);
  }
  const named = rows.filter((r) => r.threadVerdict && r.cells['v5.4']);
  const differ = named.filter((r) => !agrees(r.threadVerdict!, r.cells['v5.4'])).map((r) => r.walker);
  return {
    designs: designs.map((d) => d.name),
    kernels: Object.fromEntries(designs.map((d) => [d.name, modelKernel(d, ram, kernel)])),
    rows,
    seconds: (performance.now() - started) / 1000,
    thread: { named: named.length, reproduced: named.length - differ.length, differ },
  };
}
