/**
 * A scenario as the viewer serves it: every slider position (boot's and each
 * operation's kernel steps, one position for a refused operation) and the
 * machine after any of them.
 *
 * The scenario runs once with every design's write side woven in, keeping a
 * clone of the machine after each kernel step while the clones fit a memory
 * budget; past it, every other clone is dropped (and again), and a position
 * without a clone is reached by running the scenario again from boot, which
 * is deterministic. The last few machines asked for are kept.
 *
 * Every position keeps its sections' map, packed, from that first run (a 16 TiB machine's is
 * under 10 KB where its clone is 20 MB): stepping the slider, the map the page asks for, never
 * re-runs the scenario nor lays a map out. Zoomed maps and the inspector at a position without a
 * clone still re-run it.
 */
import { answersFor, type PfnAnswers } from '../compare/index.js';
import { type BoundDesign, bindDesigns, type Design, runWithDesigns } from '../designs/index.js';
import { InputError } from '../errors.js';
import type { Machine } from '../model/machine.js';
import { pgmapFirstPfn } from '../model/pgmap.js';
import { zoneEndPfn } from '../model/zones.js';
import { rcuInit } from '../rcu/memb.js';
import { layoutGeometry, pfnReport } from '../report/layout.js';
import { type LayoutMap, truthClass } from '../report/map.js';
import { layoutMap, sectionMap, subsectionMap } from '../report/map-layout.js';
import { type PackedMap, packMap, unpackMap } from '../report/map-pack.js';
import type { Scenario } from '../scenario/index.js';
import type { PfnInspect, ScenarioSummary, ViewOperation, ViewStep, WatchAnswer } from './api.js';

export interface ScenarioViewOptions {
  /** Bytes of machine clones to keep (default 128 MiB). */
  readonly budgetBytes?: number;
  /** Register this many RCU readers before boot, as the explorer does for its walkers (so grace periods have the same steps). */
  readonly rcuReaders?: number;
}

const DEFAULT_BUDGET = 128 * 2 ** 20;
/** Machines re-run for positions without a clone, kept around the last one asked for. */
const RECENT = 8;

/** Stops a re-run once it reaches the position it was asked for. */
const REACHED = Symbol('reached');

function cloneBytes(m: Machine): number {
  // Words and their shadow bytes, the truth intervals, bookkeeping.
  return (m.mem.highWater + 1024) * 5 + m.truth.intervals().length * 64 + 4096;
}

export interface MapZoom {
  readonly section?: number;
  readonly subsection?: number;
}

export class ScenarioView {
  readonly steps: ViewStep[] = [];
  readonly operations: ViewOperation[] = [];
  /** Clones kept from the first run, by slider position. */
  private readonly kept = new Map<number, Machine>();
  private stride = 1;
  private keptBytes = 0;
  private readonly recent = new Map<number, Machine>();
  private readonly bound = new WeakMap<Machine, BoundDesign[]>();
  private readonly maps = new Map<string, LayoutMap>();
  /** The sections' map of every position, packed. */
  private readonly sectionMaps = new Map<number, PackedMap>();
  /** pfnHistory's answers by pfn. */
  private readonly watched = new Map<number, string[][]>();
  private readonly budget: number;
  private rerunCount = 0;
  private readonly rcuReaders: number;

  constructor(
    readonly id: string,
    readonly scenario: Scenario,
    readonly designs: readonly Design[],
    options: ScenarioViewOptions = {},
  ) {
    this.budget = options.budgetBytes ?? DEFAULT_BUDGET;
    this.rcuReaders = options.rcuReaders ?? 0;
    this.walk((m, k, entry) => {
      this.steps.push(entry);
      this.keep(k, m);
      return false;
    });
    // The final machine is always at hand.
    const last = this.steps.length - 1;
    if (!this.kept.has(last)) this.kept.set(last, this.machineAt(last));
  }

  /**
   * Run the scenario from boot, calling visit with the machine after every
   * slider position (it must not keep it: clone). visit returns true to stop.
   */
  private walk(visit: (m: Machine, k: number, entry: ViewStep) => boolean): void {
    let k = 0;
    let opFirst = 0;
    const record = !this.operations.length;
    try {
      runWithDesigns(this.scenario, this.designs, {
        beforeBind: (m) => {
          if (this.rcuReaders) rcuInit(m, this.rcuReaders);
        },
        onStep: (m, op, _step, rec) => {
          const entry: ViewStep = {
            k,
            op: op.index,
            fn: rec.fn,
            detail: rec.detail,
            ...(rec.note ? { note: rec.note } : {}),
          };
          if (visit(m, k++, entry)) throw REACHED;
        },
        onOperation: (m, op) => {
          if (op.refused) {
            const refused = `-${op.refused.errno}: ${op.refused.message}`;
            const entry: ViewStep = { k, op: op.index, fn: `${op.op} refused`, detail: refused, refused };
            if (visit(m, k++, entry)) throw REACHED;
          }
          if (record) {
            this.operations.push({
              index: op.index,
              op: op.op,
              summary: op.refused ? `${op.op} refused as expected (-${op.refused.errno})` : op.summary,
              first: opFirst,
              last: k - 1,
              ...(op.refused ? { refused: op.refused.message } : {}),
            });
          }
          opFirst = k;
        },
      });
    } catch (e) {
      if (e !== REACHED) throw e;
    }
  }

  /** Keep k's sections' map, and a clone if k is on the stride; thin the clones when over budget. */
  private keep(k: number, m: Machine): void {
    this.sectionMaps.set(k, packMap(layoutMap(m)));
    if (k % this.stride !== 0) return;
    const copy = m.clone();
    this.kept.set(k, copy);
    this.keptBytes += cloneBytes(copy);
    while (this.keptBytes > this.budget && this.stride < 2 ** 30) {
      this.stride *= 2;
      for (const [at, c] of this.kept) {
        if (at % this.stride === 0) continue;
        this.kept.delete(at);
        this.keptBytes -= cloneBytes(c);
      }
    }
  }

  /** How many times the scenario was re-run from boot for a position without a clone. */
  get reruns(): number {
    return this.rerunCount;
  }

  /** How many positions have a clone (for tests and the budget's effect). */
  get keptPositions(): number {
    return this.kept.size;
  }

  private checkStep(k: number): void {
    if (!Number.isInteger(k) || k < 0 || k >= this.steps.length)
      throw new InputError('step', `must be 0..${this.steps.length - 1}, got ${k}`, k);
  }

  /** The machine after slider position k (do not change it). */
  machineAt(k: number): Machine {
    this.checkStep(k);
    const kept = this.kept.get(k) ?? this.recent.get(k);
    if (kept) return kept;
    this.rerunCount++;
    // Re-run from boot, keeping the positions around k too: the next ones asked for are usually neighbours.
    // A machine too big for RECENT clones in half the budget (16 TiB: 20 MB each) keeps only k.
    let found: Machine | undefined;
    const big = this.kept.size > 0 && cloneBytes(this.kept.values().next().value!) * RECENT > this.budget / 2;
    const from = big ? k : k - 2;
    const to = big ? k : k + RECENT - 3;
    this.walk((m, at) => {
      if (at >= from && !this.kept.has(at)) {
        const copy = m.clone();
        this.recent.delete(at);
        this.recent.set(at, copy);
        if (at === k) found = copy;
      }
      return at >= to;
    });
    while (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
    if (!found) throw new Error(`step ${k} not reached on re-run`);
    return found;
  }

  private boundTo(m: Machine): BoundDesign[] {
    let b = this.bound.get(m);
    if (!b) {
      b = bindDesigns(m, this.designs);
      this.bound.set(m, b);
    }
    return b;
  }

  /** The map after position k: the sections, the subsections of one section, or the pages of one subsection. */
  map(k: number, zoom: MapZoom = {}): LayoutMap {
    this.checkStep(k);
    const key = `${k}:${zoom.section ?? ''}:${zoom.subsection ?? ''}`;
    const cached = this.maps.get(key);
    if (cached) return cached;
    const packed = zoom.section === undefined ? this.sectionMaps.get(k) : undefined;
    if (packed) return unpackMap(packed);
    const m = this.machineAt(k);
    const g = m.g;
    let map: LayoutMap;
    if (zoom.section === undefined) map = layoutMap(m);
    else {
      const maxSection = Math.ceil(g.maxPfn / g.pagesPerSection);
      if (!Number.isInteger(zoom.section) || zoom.section < 0 || zoom.section >= maxSection)
        throw new InputError('section', `must be 0..${maxSection - 1}, got ${zoom.section}`, zoom.section);
      if (zoom.subsection === undefined) map = sectionMap(m, zoom.section);
      else {
        if (
          !Number.isInteger(zoom.subsection) ||
          zoom.subsection < 0 ||
          zoom.subsection >= g.subsectionsPerSection
        )
          throw new InputError(
            'subsection',
            `must be 0..${g.subsectionsPerSection - 1}, got ${zoom.subsection}`,
          );
        map = subsectionMap(m, zoom.section, zoom.subsection);
      }
    }
    this.maps.set(key, map);
    if (this.maps.size > 64) this.maps.delete(this.maps.keys().next().value!);
    return map;
  }

  /** The map after position k as the page is sent it: its cells as runs (a 16 TiB step in a few KB). */
  packedMap(k: number, zoom: MapZoom = {}): PackedMap {
    this.checkStep(k);
    const packed = zoom.section === undefined ? this.sectionMaps.get(k) : undefined;
    return packed ?? packMap(this.map(k, zoom));
  }

  /**
   * What a watchpoint on pfn sees at every position: its truth and every design's answers, one
   * line each (a scenario run from boot, kept for the last few pfns asked about).
   */
  private pfnHistory(pfn: number): string[][] {
    const cached = this.watched.get(pfn);
    if (cached) return cached;
    const out: string[][] = [];
    this.walk((m) => {
      const t = m.truthOf(pfn);
      const truth = `truth ${t.state}${t.zone ? ` ${t.zone}` : ''}${t.pgmap ? ` ${t.pgmap}` : ''}${t.settling ? ' (settling)' : ''}`;
      const answers = this.boundTo(m).map((bd) => {
        const a = answersFor(m, bd, pfn);
        const device = a.pfnToDevicePage === null ? '' : ` device ${a.pfnToDevicePage ? 'page' : 'NULL'}`;
        return `${bd.design.name}: valid ${a.pfnValid} online ${a.pfnToOnlinePage ? 'page' : 'NULL'}${device} is_zdev ${a.isZoneDevicePage}${a.blocked ? ' (waits)' : ''}`;
      });
      out.push([truth, ...answers]);
      return false;
    });
    this.watched.set(pfn, out);
    if (this.watched.size > 4) this.watched.delete(this.watched.keys().next().value!);
    return out;
  }

  /**
   * The nearest position after k (dir 1) or before it (-1) where pfn's truth or some design's
   * answer differs from position k's, with what changed; step null when none does.
   */
  watch(k: number, pfn: number, dir: 1 | -1): WatchAnswer {
    this.checkStep(k);
    const m = this.machineAt(k);
    if (!Number.isSafeInteger(pfn) || pfn < 0 || pfn >= m.g.maxPfn)
      throw new InputError('pfn', `must be 0..${m.g.maxPfn - 1} (MAX_PHYSMEM_BITS), got ${pfn}`, pfn);
    const seen = this.pfnHistory(pfn);
    const at = seen[k];
    for (let j = k + dir; j >= 0 && j < seen.length; j += dir) {
      const changed = seen[j].filter((line, i) => line !== at[i]);
      if (changed.length) {
        const was = seen[j].map((line, i) => (line !== at[i] ? at[i] : undefined)).filter(Boolean);
        return { step: j, fn: this.steps[j].fn, changes: changed, before: was as string[] };
      }
    }
    return { step: null, changes: [], before: [] };
  }

  /** Where a pfn is, what it is, and every design's answer, after position k. */
  inspect(k: number, pfn: number): PfnInspect {
    const m = this.machineAt(k);
    if (!Number.isSafeInteger(pfn) || pfn < 0 || pfn >= m.g.maxPfn)
      throw new InputError('pfn', `must be 0..${m.g.maxPfn - 1} (MAX_PHYSMEM_BITS), got ${pfn}`, pfn);
    const truth = m.truthOf(pfn);
    const report = pfnReport(m, pfn);
    const b = m.blocks.get(report.block);
    const zones = [...m.nodes.values()].flatMap((n) =>
      n.zones
        .filter((z) => z.spannedPages > 0 && z.zoneStartPfn <= pfn && pfn < zoneEndPfn(z))
        .map((z) => ({ node: n.nid, zone: z.name, start: z.zoneStartPfn, end: zoneEndPfn(z) })),
    );
    const p = [...m.pgmaps.values()].find((x) => x.startPfn <= pfn && pfn < x.endPfn);
    let pgmap: PfnInspect['pgmap'] = null;
    if (p) {
      const first = pgmapFirstPfn(p);
      const reserveEnd = p.startPfn + (p.altmap?.reserve ?? 0);
      const part = pfn >= first ? 'device pages' : pfn < reserveEnd ? 'altmap reserve' : 'altmap memmap';
      pgmap = { id: p.id, type: p.type, state: p.state, start: p.startPfn, end: p.endPfn, part };
    }
    const designs: Record<string, PfnAnswers> = {};
    for (const bd of this.boundTo(m)) designs[bd.design.name] = answersFor(m, bd, pfn);
    return {
      step: k,
      report,
      cls: truthClass(truth),
      settling: Boolean(truth.settling),
      node: truth.nid ?? null,
      block: b
        ? {
            id: b.id,
            state: b.state,
            zone: b.zone === null ? null : m.node(b.nid).zones[b.zone].name,
            node: b.nid,
          }
        : null,
      zones,
      pgmap,
      designs,
    };
  }

  summary(): ScenarioSummary {
    const s = this.scenario;
    const g = s.geometry;
    const m = this.machineAt(this.steps.length - 1);
    const boot = this.operations.find((o) => o.index === 0);
    return {
      id: this.id,
      name: s.name,
      description: s.description,
      source: s.source,
      arch: g.arch,
      kernel: g.kernel,
      geometry: { ...layoutGeometry(m), pagesPerSubsection: g.pagesPerSubsection, maxPfn: g.maxPfn },
      designs: this.designs.map((d) => ({ name: d.name, summary: d.summary, protection: d.protection })),
      steps: this.steps,
      operations: this.operations,
      initial: boot ? boot.last : 0,
    };
  }
}
