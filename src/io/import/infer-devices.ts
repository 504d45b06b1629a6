/**
 * ZONE_DEVICE ranges -> memremap steps, from /proc/iomem (see
 * src/io/device-names.ts for the names) refined by `ndctl list -N` (mode, map:
 * mem | dev, numa_node) and `daxctl list -M` (mode, target_node, mappings).
 */

import type { Geometry } from '../../arch/geometry.js';
import { STRUCT_PAGE_SIZE } from '../../arch/geometry.js';
import type { PgmapType } from '../../model/pgmap.js';
import { formatSize, hex } from '../../units.js';
import {
  isDaxName,
  isDriverRegionName,
  isNamespaceName,
  P2PDMA_PARENT,
  PERSISTENT_MEMORY,
  pgmapIdForNamespace,
  SOFT_RESERVED,
  sanitizeId,
} from '../device-names.js';
import type { DaxDevice, NdNamespace } from './daxctl.js';
import type { MachineFacts } from './facts.js';
import type { RamRange, StepJson } from './infer-memory.js';
import { type IomemResource, walkIomem } from './iomem.js';
import type { ReportBuilder } from './report.js';

interface DeviceRange {
  start: number;
  end: number;
  type: PgmapType;
  id: string;
  node?: number;
  /** altmap.reserve in bytes; undefined: no altmap (map=mem). */
  reserve?: number;
  readonly where: string;
  /** The namespaceX.Y that claims it, for matching ndctl. */
  readonly namespace?: string;
}

interface Context {
  readonly facts: MachineFacts;
  readonly g: Geometry;
  readonly report: ReportBuilder;
  /** Namespaces whose dax device is onlined as System RAM (kmem). */
  readonly kmemNamespaces: Set<string>;
}

const KMEM = 'System RAM (kmem)';

function hasKmem(r: IomemResource): boolean {
  return r.children.some((c) => c.name === KMEM);
}

/** Pages of memmap a range needs (what the model's altmap sets aside by default). */
function memmapBytes(g: Geometry, bytes: number): number {
  return Math.ceil(((bytes / g.pageSize) * STRUCT_PAGE_SIZE) / g.pageSize) * g.pageSize;
}

/** Where a namespace's data could end: the next sibling claim, or the region's end. */
function claimLimit(region: IomemResource, child: IomemResource): number {
  const next = region.children.find((c) => c.start >= child.end);
  return next ? next.start : region.end;
}

/**
 * A namespace claim covering only a small prefix of the space after it is
 * devdax (dax_pmem claims the info block and an on-device memmap); one
 * covering its space is fsdax (pmem claims the whole namespace).
 */
function namespaceRange(c: Context, region: IomemResource, ns: IomemResource): DeviceRange {
  const limit = claimLimit(region, ns);
  const prefix = ns.end - ns.start;
  const devdax = ns.end < limit && prefix <= (limit - ns.start) / 8;
  if (!devdax)
    return {
      start: ns.start,
      end: ns.end,
      type: 'fsdax',
      id: pgmapIdForNamespace(ns.name, 'fsdax'),
      where: ns.where,
      namespace: ns.name,
    };
  const memmap = memmapBytes(c.g, limit - ns.start);
  c.report.infer(
    `${ns.where}: ${ns.name} claims only ${formatSize(prefix)} before unclaimed space: devdax (dax_pmem claims its info block${prefix >= memmap ? ' and an on-device memmap' : ''})`,
  );
  return {
    start: ns.start,
    end: limit,
    type: 'devdax',
    id: pgmapIdForNamespace(ns.name, 'devdax'),
    reserve: prefix >= memmap ? prefix - memmap : undefined,
    where: ns.where,
    namespace: ns.name,
  };
}

/** A namespace whose dax device, right after its info block, is System RAM (kmem): no ZONE_DEVICE. */
function kmemNamespace(region: IomemResource, i: number): boolean {
  const next = region.children[i + 1];
  return isNamespaceName(region.children[i].name) && next !== undefined && hasKmem(next);
}

function persistentMemory(c: Context, region: IomemResource): DeviceRange[] {
  const out: DeviceRange[] = [];
  for (const [i, child] of region.children.entries()) {
    if (kmemNamespace(region, i)) {
      c.kmemNamespaces.add(child.name);
      c.report.infer(
        `${child.where}: ${child.name}'s dax device is System RAM (kmem): hot-added memory, no ZONE_DEVICE`,
      );
    } else if (isNamespaceName(child.name) && !hasKmem(child)) out.push(namespaceRange(c, region, child));
    else if (isDaxName(child.name) && !hasKmem(child))
      out.push({ start: child.start, end: child.end, type: 'devdax', id: child.name, where: child.where });
    else if (!hasKmem(child) && !child.children.some(hasKmem))
      c.report.skip([
        `${child.where}: '${child.name}' under ${region.name} is not a namespace or dax device; skipped`,
      ]);
  }
  if (region.children.length === 0)
    c.report.infer(
      `${region.where}: ${region.name} ${hex(region.start)}-${hex(region.end - 1)} is claimed by no driver: no ZONE_DEVICE memory`,
    );
  return out;
}

function softReserved(region: IomemResource): DeviceRange[] {
  return region.children
    .filter((child) => !hasKmem(child))
    .map((child) => ({
      start: child.start,
      end: child.end,
      type: 'generic' as const,
      id: sanitizeId(child.name),
      where: child.where,
    }));
}

/** Top-level, childless regions above all memory named like a driver: request_free_mem_region(). */
function devicePrivate(c: Context, roots: readonly IomemResource[], ram: readonly RamRange[]): DeviceRange[] {
  const memoryEnd = Math.max(
    0,
    ...ram.map((r) => r.end),
    ...roots.filter((r) => r.name.startsWith(PERSISTENT_MEMORY)).map((r) => r.end),
  );
  return roots
    .filter(
      (r) =>
        r.children.length === 0 &&
        isDriverRegionName(r.name) &&
        r.start >= memoryEnd &&
        r.start % c.g.subsectionSize === 0,
    )
    .map((r) => {
      c.report.infer(
        `${r.where}: '${r.name}' is taken as device-private memory: a top-level region above all memory, named like a driver (request_free_mem_region())`,
      );
      return {
        start: r.start,
        end: r.end,
        type: 'device_private' as const,
        id: sanitizeId(r.name),
        where: r.where,
      };
    });
}

function fromIomem(c: Context, ram: readonly RamRange[]): DeviceRange[] {
  const roots = c.facts.iomem?.roots ?? [];
  const out: DeviceRange[] = [];
  for (const r of walkIomem(roots)) {
    if (r.name.startsWith(PERSISTENT_MEMORY)) out.push(...persistentMemory(c, r));
    else if (r.name === SOFT_RESERVED) out.push(...softReserved(r));
    else if (r.name === P2PDMA_PARENT && r.children.length)
      c.report.cannotKnow(
        'p2pdma memory, if any: /proc/iomem does not say which PCI BARs are ZONE_DEVICE (see /sys/bus/pci/devices/*/p2pmem)',
      );
  }
  return [...out, ...devicePrivate(c, roots, ram)];
}

/** ndctl says what the iomem names cannot: the mode, where the memmap lives, the node. */
function applyNamespace(c: Context, devices: DeviceRange[], ns: NdNamespace): DeviceRange[] {
  const d = devices.find((x) => x.namespace === ns.dev);
  if (!d && c.kmemNamespaces.has(ns.dev)) return devices;
  if (!d) {
    c.report.cannotKnow(
      `${ns.where}: ${ns.dev} is in ndctl's list but not in /proc/iomem, and ndctl prints no address`,
    );
    return devices;
  }
  if (ns.mode === 'sector' || ns.mode === 'raw') {
    c.report.infer(`${ns.where}: ${ns.dev} is in ${ns.mode} mode: no struct pages, no ZONE_DEVICE`);
    return devices.filter((x) => x !== d);
  }
  if (ns.mode === 'fsdax' || ns.mode === 'devdax') {
    d.type = ns.mode;
    d.id = ns.mode === 'devdax' && ns.chardev ? ns.chardev : pgmapIdForNamespace(ns.dev, ns.mode);
  }
  if (ns.node !== undefined) d.node = ns.node;
  if (ns.map === 'mem') d.reserve = undefined;
  if (ns.map === 'dev' && d.reserve === undefined) {
    // nd_pfn: the altmap reserves the 8 KiB info block before the memmap.
    d.reserve = Math.max(8192, c.g.pageSize);
    c.report.infer(
      `${ns.where}: ${ns.dev} map "dev": memmap on the device (altmap), reserve ${formatSize(d.reserve)} assumed (the pfn info block)`,
    );
  }
  return devices;
}

/** daxctl gives the dax device's node, and its address when iomem does not show it. */
function applyDaxDevice(c: Context, devices: DeviceRange[], dev: DaxDevice): void {
  if (dev.mode === 'system-ram') return;
  if (!dev.enabled) {
    c.report.infer(`${dev.where}: ${dev.chardev} is disabled: no memory mapped`);
    return;
  }
  if (dev.mappings.length === 0) {
    if (!devices.some((d) => d.id === dev.chardev))
      c.report.cannotKnow(
        `${dev.where}: ${dev.chardev} has no mappings (run daxctl list -M) and /proc/iomem does not place it`,
      );
    return;
  }
  for (const m of dev.mappings) {
    const d = devices.find((x) => x.start < m.end && m.start < x.end);
    if (d) {
      if (dev.targetNode !== undefined) d.node = dev.targetNode;
      d.type = d.type === 'generic' ? 'generic' : 'devdax';
      d.id = dev.chardev;
      continue;
    }
    devices.push({
      start: m.start,
      end: m.end,
      type: 'devdax',
      id: dev.chardev,
      node: dev.targetNode,
      where: dev.where,
    });
    c.report.infer(
      `${dev.where}: ${dev.chardev} placed at its mapping ${hex(m.start)}-${hex(m.end - 1)}; the namespace's info block before it is not known without /proc/iomem`,
    );
  }
}

/** memremap_pages() needs subsection alignment (check_pfn_span()) and no System RAM inside. */
function placeable(c: Context, d: DeviceRange, ram: readonly RamRange[]): DeviceRange | undefined {
  const sub = c.g.subsectionSize;
  const start = Math.ceil(d.start / sub) * sub;
  const end = Math.floor(d.end / sub) * sub;
  if (end <= start) {
    c.report.mismatch(
      `${d.where}: ${d.id} ${hex(d.start)}-${hex(d.end - 1)} holds no whole 2 MiB subsection; not reproduced`,
    );
    return undefined;
  }
  if (start !== d.start || end !== d.end)
    c.report.infer(`${d.where}: ${d.id} trimmed to whole subsections ${hex(start)}-${hex(end - 1)}`);
  if (ram.some((r) => r.start < end && start < r.end)) {
    c.report.mismatch(`${d.where}: ${d.id} overlaps System RAM; not reproduced`);
    return undefined;
  }
  return { ...d, start, end };
}

function memremapStep(d: DeviceRange): StepJson {
  const step: StepJson = {
    op: 'memremap',
    start: hex(d.start),
    size: formatSize(d.end - d.start),
    type: d.type,
    id: d.id,
  };
  if (d.node !== undefined) step.node = d.node;
  if (d.reserve !== undefined) step.altmap = { reserve: formatSize(d.reserve) };
  return step;
}

/** Give every pgmap a distinct id. */
function uniqueIds(devices: DeviceRange[]): void {
  const seen = new Set<string>();
  for (const d of devices) {
    let id = d.id;
    for (let n = 1; seen.has(id); n++) id = `${d.id}-${n}`;
    d.id = id;
    seen.add(id);
  }
}

/** ZONE_DEVICE pages zoneinfo shows per node; undefined without zoneinfo. */
function deviceSpans(facts: MachineFacts): Map<number, number> | undefined {
  if (!facts.zoneinfo) return undefined;
  const out = new Map<number, number>();
  for (const z of facts.zoneinfo.zones) if (z.zone === 'Device') out.set(z.node, z.spanned);
  return out;
}

/** A range zoneinfo's ZONE_DEVICE span (which never shrinks) could not hold is not ZONE_DEVICE memory. */
function fitsDeviceZone(c: Context, d: DeviceRange, spans: Map<number, number> | undefined): boolean {
  if (!spans) return true;
  const spanned = spans.get(d.node ?? 0) ?? 0;
  if ((d.end - d.start) / c.g.pageSize <= spanned) return true;
  c.report.infer(
    `${d.where}: ${d.id} is not ZONE_DEVICE memory: node ${d.node ?? 0}'s Device zone spans ${spanned} pages in zoneinfo, fewer than its ${(d.end - d.start) / c.g.pageSize}`,
  );
  return false;
}

export function inferDevices(
  facts: MachineFacts,
  g: Geometry,
  ram: readonly RamRange[],
  report: ReportBuilder,
): StepJson[] {
  const c: Context = { facts, g, report, kmemNamespaces: new Set() };
  let devices = fromIomem(c, ram);
  for (const ns of facts.dax.flatMap((x) => x.namespaces)) devices = applyNamespace(c, devices, ns);
  for (const dev of facts.dax.flatMap((x) => x.devices)) applyDaxDevice(c, devices, dev);
  const spans = deviceSpans(facts);
  const placed = devices
    .filter((d) => fitsDeviceZone(c, d, spans))
    .map((d) => placeable(c, d, ram))
    .filter((d): d is DeviceRange => d !== undefined);
  placed.sort((a, b) => a.start - b.start);
  uniqueIds(placed);
  if (
    placed.some(
      (d) =>
        d.node === undefined && facts.zoneinfo && new Set(facts.zoneinfo.zones.map((z) => z.node)).size > 1,
    )
  )
    report.cannotKnow(
      'the node of device ranges without ndctl numa_node or daxctl target_node: node 0 assumed',
    );
  if (placed.some((d) => d.type === 'fsdax') && !facts.dax.some((x) => x.namespaces.length))
    report.cannotKnow(
      'whether fsdax namespaces keep their memmap on the device (an altmap): /proc/iomem does not say; ndctl list -N does (map)',
    );
  return placed.map(memremapStep);
}
