/**
 * The iomem resource tree, flattened to what the model needs: System RAM
 * ranges (boot and hot-added, one entry per registration as register_memory_resource()
 * makes them) and device ranges (one per pgmap).
 */

export type ResourceKind = 'system-ram' | 'device';

export interface Resource {
  /** First byte. */
  readonly start: number;
  /** One past the last byte. */
  end: number;
  readonly name: string;
  readonly kind: ResourceKind;
  /** The pgmap id, for device resources. */
  readonly owner?: string;
  /** Boot memory (from the firmware map) rather than hot-added. */
  readonly boot: boolean;
}

export function overlaps(a: { start: number; end: number }, start: number, end: number): boolean {
  return a.start < end && start < a.end;
}

/** region_intersects(): 'disjoint', 'intersects' (wholly inside) or 'mixed'. */
export function regionIntersects(
  resources: readonly Resource[],
  start: number,
  end: number,
  kind: ResourceKind,
): 'disjoint' | 'intersects' | 'mixed' {
  let covered = 0;
  let other = false;
  for (const r of resources) {
    if (!overlaps(r, start, end)) continue;
    if (r.kind === kind) covered += Math.min(end, r.end) - Math.max(start, r.start);
    else other = true;
  }
  if (covered === 0) return 'disjoint';
  return covered === end - start && !other ? 'intersects' : 'mixed';
}

/** A run of pfns [start, end). */
export interface PfnRange {
  readonly start: number;
  readonly end: number;
}

/**
 * walk_system_ram_range(): the pfn runs of [startPfn, endPfn) that System RAM resources cover,
 * in order. Offlining and onlining count and change only these pages.
 */
export function systemRamPfnRanges(
  resources: readonly Resource[],
  pageSize: number,
  startPfn: number,
  endPfn: number,
): PfnRange[] {
  const out: PfnRange[] = [];
  const ram = resources.filter((r) => r.kind === 'system-ram').sort((a, b) => a.start - b.start);
  for (const r of ram) {
    const start = Math.max(startPfn, Math.ceil(r.start / pageSize));
    const end = Math.min(endPfn, Math.floor(r.end / pageSize));
    if (start >= end) continue;
    const last = out[out.length - 1];
    if (last && last.end === start) out[out.length - 1] = { start: last.start, end };
    else out.push({ start, end });
  }
  return out;
}

/** The number of pfns the runs hold. */
export function pfnCount(ranges: readonly PfnRange[]): number {
  return ranges.reduce((n, r) => n + r.end - r.start, 0);
}
