/**
 * /proc/iomem for the model, as r_show() (kernel/resource.c) prints it: one
 * line per resource, 2 spaces of indent per depth, lowercase hex padded to 8
 * digits, inclusive ends. System RAM is one resource per firmware range and per
 * hot-added registration (register_memory_resource()); ZONE_DEVICE memory is
 * named as the drivers name it (src/io/device-names.ts). Reserved ranges,
 * firmware tables and PCI windows are not modelled and not printed.
 */
import type { Machine } from '../../model/machine.js';
import type { Pgmap } from '../../model/pgmap.js';
import { altmapOffset } from '../../model/pgmap.js';
import { daxName, namespaceName, P2PDMA_PARENT, PERSISTENT_MEMORY, SOFT_RESERVED } from '../device-names.js';

export interface IomemNode {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly name: string;
  readonly children: readonly IomemNode[];
}

function node(start: number, end: number, name: string, children: IomemNode[] = []): IomemNode {
  return { start, end, name, children };
}

/** A fallback number for names the pgmap id does not suggest: past every number in use. */
function fallbackNumbers(pgmaps: readonly Pgmap[]): () => number {
  const used = pgmaps.flatMap((p) => [...p.id.matchAll(/\d+/g)].map((x) => Number(x[0])));
  let next = Math.max(-1, ...used) + 1;
  return () => next++;
}

/** The iomem resources one pgmap shows as. */
function deviceNodes(m: Machine, p: Pgmap, fallback: () => number): IomemNode {
  const start = p.startPfn * m.g.pageSize;
  const end = p.endPfn * m.g.pageSize;
  switch (p.type) {
    case 'fsdax':
      return node(start, end, PERSISTENT_MEMORY, [node(start, end, namespaceName(p.id, fallback()))]);
    case 'devdax': {
      // dax_pmem_probe() claims the info block and the on-device memmap: [start, start + dataoff).
      const child = p.altmap
        ? node(start, start + altmapOffset(p.altmap) * m.g.pageSize, namespaceName(p.id, fallback()))
        : node(start, end, daxName(p.id, fallback()));
      return node(start, end, PERSISTENT_MEMORY, [child]);
    }
    case 'generic':
      // dax_hmem's device: dev_dax_probe() claims it under the soft-reserved range.
      return node(start, end, SOFT_RESERVED, [node(start, end, daxName(p.id, fallback()))]);
    case 'p2pdma':
      return node(start, end, P2PDMA_PARENT, [node(start, end, p.id)]);
    case 'device_private':
      return node(start, end, p.id);
  }
}

/**
 * System RAM: boot ranges merged where they touch, as the firmware map is
 * (e820__update_table() merges adjacent entries of one type); hot-added
 * memory one resource per registration.
 */
function systemRam(m: Machine): IomemNode[] {
  const out: { start: number; end: number; boot: boolean }[] = [];
  for (const r of m.resources.filter((x) => x.kind === 'system-ram').sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last?.boot && r.boot && last.end === r.start) last.end = r.end;
    else out.push({ start: r.start, end: r.end, boot: r.boot });
  }
  return out.map((r) => node(r.start, r.end, 'System RAM'));
}

/** The resource tree: System RAM and device memory, in address order. */
export function iomemTree(m: Machine): IomemNode[] {
  const ram = systemRam(m);
  const pgmaps = [...m.pgmaps.values()].sort((a, b) => a.startPfn - b.startPfn);
  const fallback = fallbackNumbers(pgmaps);
  const devices = pgmaps.map((p) => deviceNodes(m, p, fallback));
  return [...ram, ...devices].sort((a, b) => a.start - b.start);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** r_show() stops indenting at this depth. */
const MAX_IORES_LEVEL = 5;

/** r_show(): "%*s%0*llx-%0*llx : %s\n" */
function lines(nodes: readonly IomemNode[], depth: number): string[] {
  return nodes.flatMap((n) => [
    `${' '.repeat(Math.min(depth, MAX_IORES_LEVEL) * 2)}${hex8(n.start)}-${hex8(n.end - 1)} : ${n.name}`,
    ...lines(n.children, depth + 1),
  ]);
}

export function iomemText(m: Machine): string {
  return `${lines(iomemTree(m), 0).join('\n')}\n`;
}
