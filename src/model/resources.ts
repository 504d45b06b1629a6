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
