/**
 * A LayoutMap as the viewer sends it: the cells as runs of consecutive cells
 * of one class and flags, so that a 16 TiB machine's 131,072 sections (most
 * of them alike) are a few runs rather than megabytes of one object each.
 * Pure data in and out, used by the server (pack) and the page (unpack).
 */
import type { CellClass, LayoutMap, SectionCell } from './map.js';

/**
 * One run: [first nr, count, class, flags] for count alike cells, or
 * [nr, 1, 'mixed', flags, parts] for a mixed cell, parts as [class, count] runs.
 */
export type CellRun =
  | readonly [number, number, CellClass, string]
  | readonly [number, 1, 'mixed', string, readonly (readonly [CellClass, number])[]];

export interface PackedMap extends Omit<LayoutMap, 'cells'> {
  readonly format: 'runs';
  /** How many cells the runs stand for. */
  readonly count: number;
  readonly runs: readonly CellRun[];
}

function partRuns(parts: readonly CellClass[]): [CellClass, number][] {
  const out: [CellClass, number][] = [];
  for (const cls of parts) {
    const last = out[out.length - 1];
    if (last && last[0] === cls) last[1]++;
    else out.push([cls, 1]);
  }
  return out;
}

/** The cells of a map as runs (invariant: unpackMap(packMap(m)) deep-equals m). */
export function packMap(map: LayoutMap): PackedMap {
  const { cells, ...rest } = map;
  const runs: CellRun[] = [];
  let open: [number, number, CellClass, string] | undefined;
  for (const c of cells) {
    if (c.parts) {
      open = undefined;
      runs.push([c.nr, 1, 'mixed', c.flags, partRuns(c.parts)]);
      continue;
    }
    if (open && open[0] + open[1] === c.nr && open[2] === c.cls && open[3] === c.flags) open[1]++;
    else {
      open = [c.nr, 1, c.cls, c.flags];
      runs.push(open);
    }
  }
  return { ...rest, format: 'runs', count: cells.length, runs };
}

/** The map a PackedMap stands for. */
export function unpackMap(packed: PackedMap): LayoutMap {
  const { runs, format: _format, count: _count, ...rest } = packed;
  const cells: SectionCell[] = [];
  for (const run of runs) {
    const [nr, n, cls, flags] = run;
    if (run.length === 5) {
      cells.push({ nr, flags, cls, parts: run[4].flatMap(([c, k]) => Array<CellClass>(k).fill(c)) });
      continue;
    }
    for (let i = 0; i < n; i++) cells.push({ nr: nr + i, flags, cls });
  }
  return { ...rest, cells };
}
