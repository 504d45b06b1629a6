/**
 * Known memmap-lifetime bugs, reproduced: each names the bug (CVE or commit),
 * the last mainline release with it and the first without, and how the model
 * shows it. runBugs() runs each on both releases and says, per row, whether
 * it reproduced there and whether that is what the kernel's history says.
 */
import { designByName } from '../designs/index.js';
import { explore, parseWalkerSpec } from '../explore/index.js';
import type { ViolationKind } from '../explore/trace.js';
import { loadScenario } from '../io/scenario.js';
import { BEHAVIOURS, type KernelRelease } from '../kernel/index.js';
import { ZONE_MOVABLE } from '../model/page-flags.js';
import { runScenario } from '../ops/scenario-run.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';

/** What one run found: the bug shown (with how), or not. */
export interface BugProbe {
  readonly reproduced: boolean;
  readonly how: string;
}

export interface KnownBug {
  readonly id: string;
  readonly title: string;
  /** The last release with the bug, and the first without it (undefined: still upstream). */
  readonly lastWith: KernelRelease;
  readonly firstWithout?: KernelRelease;
  /** The commit that fixed it, or why there is none. */
  readonly fix: string;
  readonly scenario: string;
  run(s: Scenario): BugProbe;
  /** Designs that close a bug still upstream: run on the newest release, each must not reproduce it. */
  readonly closedBy?: readonly string[];
}

/** The kinds of violation a memmap-lifetime bug in a lookup can show as. */
const LOOKUP_RACE: readonly ViolationKind[] = ['wrong-answer', 'poisoned-deref', 'freed-deref'];

/** Explore the scenario's own walkers under a design, counting only violations of these kinds. */
function raced(design: string, kinds: readonly ViolationKind[]): (s: Scenario) => BugProbe {
  return (s) => {
    const walkers = s.walkers.map((w) => parseWalkerSpec(w, `${s.source}: $.walkers`, s.geometry));
    const kernel = s.geometry.kernel;
    const t = explore({ scenario: s, design: designByName(design)!, kernel, walkers, onlyViolations: kinds });
    return t.verdict === 'unsafe'
      ? { reproduced: true, how: `${t.violation!.kind} in ${t.steps.length} steps: ${t.violation!.message}` }
      : { reproduced: false, how: `no ${kinds.join(' or ')} in ${t.states} states` };
  };
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  {
    id: 'CVE-2023-52489',
    title: 'ms->usage freed under pfn_valid() (compaction vs memunmap_pages() on [Normal][Device][Normal])',
    lastWith: '6.7',
    firstWithout: BEHAVIOURS.usageFreedWithKfreeRcu.since,
    fix: `${BEHAVIOURS.usageFreedWithKfreeRcu.hash} "${BEHAVIOURS.usageFreedWithKfreeRcu.commit}"`,
    scenario: 'known-bugs/usage-race',
    run: raced('upstream', ['use-after-free']),
  },
  {
    id: 'CVE-2024-41055',
    title: 'ms->usage NULL between valid_section() and the usage read in pfn_section_valid()',
    lastWith: '6.9',
    firstWithout: BEHAVIOURS.pfnSectionValidNullCheck.since,
    fix: `${BEHAVIOURS.pfnSectionValidNullCheck.hash} "${BEHAVIOURS.pfnSectionValidNullCheck.commit}"`,
    scenario: 'known-bugs/usage-race',
    run: raced('upstream', ['null-deref']),
  },
  {
    id: 'page-ext-uaf',
    title: 'read_page_owner() reads a page_ext that offline_page_ext() freed (page_owner=on, memory offline)',
    lastWith: '6.0',
    firstWithout: BEHAVIOURS.pageExtFreedAfterRcu.since,
    fix: `"${BEHAVIOURS.pageExtFreedAfterRcu.commit}"`,
    scenario: 'known-bugs/page-ext-uaf',
    run: raced('upstream', ['use-after-free']),
  },
  {
    id: 'wrong-zone-shrink',
    title: "5.4 x86 arch_remove_memory() shrinks the first page's zone for every section removed",
    lastWith: '5.4',
    firstWithout: BEHAVIOURS.zoneShrinkOnOffline.since,
    fix: `${BEHAVIOURS.zoneShrinkOnOffline.hash} "${BEHAVIOURS.zoneShrinkOnOffline.commit}"`,
    scenario: 'known-bugs/wrong-zone-shrink',
    run(s) {
      const m = runScenario(s).machine;
      const movable = m.node(0).zones[ZONE_MOVABLE];
      return movable.spannedPages > 0
        ? {
            reproduced: true,
            how: `ZONE_MOVABLE still spans pfns ${movable.zoneStartPfn}+${movable.spannedPages} of removed memory`,
          }
        : { reproduced: false, how: 'ZONE_MOVABLE is empty after the removal' };
    },
  },
  {
    id: 'dying-pgmap',
    title:
      'pfn_to_online_page() returns a dying ZONE_DEVICE page of a tainted section after percpu_ref_kill()',
    lastWith: '6.19',
    fix: 'none upstream: get_dev_pagemap() fails once the ref is killed, and the slow path then takes the pfn for online memory',
    scenario: 'known-bugs/dying-pgmap',
    run: raced('upstream', LOOKUP_RACE),
    closedBy: ['active-bitmap'],
  },
];

export interface BugRun {
  readonly release: KernelRelease;
  /** The design explored, when not the kernel's own lookups (upstream). */
  readonly design?: string;
  /** What the kernel's history says: the bug is there. */
  readonly expected: boolean;
  readonly probe: BugProbe;
}

export interface BugRow {
  readonly bug: KnownBug;
  readonly runs: readonly BugRun[];
  /** Every run found what the kernel's history says (reproduced before the fix, not after). */
  readonly agrees: boolean;
}

/** Run a known bug on the last release with it and the first without; one still upstream also under the designs that close it. */
export function runBug(bug: KnownBug): BugRow {
  const base = loadScenario(bug.scenario);
  const on = (r: KernelRelease) => scenarioWithKernel(base, r);
  const runs: BugRun[] = [{ release: bug.lastWith, expected: true, probe: bug.run(on(bug.lastWith)) }];
  if (bug.firstWithout)
    runs.push({ release: bug.firstWithout, expected: false, probe: bug.run(on(bug.firstWithout)) });
  for (const design of bug.closedBy ?? [])
    runs.push({
      release: bug.lastWith,
      design,
      expected: false,
      probe: raced(design, LOOKUP_RACE)(on(bug.lastWith)),
    });
  return { bug, runs, agrees: runs.every((r) => r.probe.reproduced === r.expected) };
}

export function runBugs(bugs: readonly KnownBug[] = KNOWN_BUGS): BugRow[] {
  return bugs.map(runBug);
}
