/**
 * The viewer's JSON API, as types shared by the server (state.ts, server.ts)
 * and the page (page/). Types only: nothing here runs.
 *
 *   GET /api/info                                      ViewInfo
 *   GET /api/scenario?s=ID                             ScenarioSummary
 *   GET /api/map?s=ID&step=K[&section=N[&subsection=I]] PackedMap (sections, subsections of N, pages of N.I;
 *                                                      report/map-pack.ts: cells as runs)
 *   GET /api/pfn?s=ID&step=K&pfn=P                     PfnInspect
 *   GET /api/watch?s=ID&step=K&pfn=P&dir=1|-1          WatchAnswer (the next step changing what pfn is or answers)
 */
import type { PfnAnswers } from '../compare/index.js';
import type { ExploreTrace } from '../explore/trace.js';
import type { LayoutReport, PfnReport } from '../report/layout.js';
import type { CellClass } from '../report/map.js';

export interface ViewScenarioRef {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
}

export interface ViewInfo {
  readonly scenarios: readonly ViewScenarioRef[];
  /** The scenario shown first. */
  readonly current: string | null;
  readonly trace?: ExploreTrace;
  /** Why the trace's scenario could not be loaded (the player works without its map). */
  readonly traceScenarioError?: string;
  /**
   * Per trace player position (0: before the first step; t: after trace step
   * t, so steps.length + 1 entries): the scenario's slider position showing the
   * machine then, when the writer's steps were found in the scenario.
   */
  readonly traceSync?: readonly number[];
}

/** One position of the slider: the machine after this kernel step. */
export interface ViewStep {
  readonly k: number;
  /** The operation: 0 is boot, scenario step i is i. */
  readonly op: number;
  readonly fn: string;
  readonly detail: string;
  readonly note?: string;
  /** Set on the one position a refused operation gets: the machine is unchanged. */
  readonly refused?: string;
}

export interface ViewOperation {
  readonly index: number;
  readonly op: string;
  readonly summary: string;
  /** Its slider positions, first..last. */
  readonly first: number;
  readonly last: number;
  readonly refused?: string;
}

export interface ScenarioSummary {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly source: string;
  readonly arch: string;
  readonly kernel: string;
  /** As `pfnlab run --json` reports it, with PAGES_PER_SUBSECTION and the first pfn beyond MAX_PHYSMEM_BITS. */
  readonly geometry: LayoutReport['geometry'] & {
    readonly pagesPerSubsection: number;
    readonly maxPfn: number;
  };
  readonly designs: readonly {
    readonly name: string;
    readonly summary: string;
    readonly protection: string;
  }[];
  readonly steps: readonly ViewStep[];
  readonly operations: readonly ViewOperation[];
  /** Where the slider starts: the end of boot. */
  readonly initial: number;
}

export interface PfnInspect {
  readonly step: number;
  readonly report: PfnReport;
  readonly cls: CellClass;
  /** An operation is moving the pfn between states: either answer is right. */
  readonly settling: boolean;
  readonly node: number | null;
  readonly block: {
    readonly id: number;
    readonly state: string;
    readonly zone: string | null;
    readonly node: number;
  } | null;
  /** The zone spans holding the pfn (they may overlap). */
  readonly zones: readonly {
    readonly node: number;
    readonly zone: string;
    readonly start: number;
    readonly end: number;
  }[];
  readonly pgmap: {
    readonly id: string;
    readonly type: string;
    readonly state: string;
    readonly start: number;
    readonly end: number;
    /** Where in the pgmap the pfn is. */
    readonly part: 'altmap reserve' | 'altmap memmap' | 'device pages';
  } | null;
  readonly designs: Readonly<Record<string, PfnAnswers>>;
}

/** A watchpoint's answer: the nearest position changing the pfn's truth or a design's answer. */
export interface WatchAnswer {
  /** null: no position that way changes it. */
  readonly step: number | null;
  readonly fn?: string;
  /** The lines that differ there ("truth offline", "v5.4: valid true online page ..."), and what they were. */
  readonly changes: readonly string[];
  readonly before: readonly string[];
}
