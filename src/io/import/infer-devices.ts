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
  /** Why it is ZONE_DEVICE memory of this type, for the report. */
  why: string;
}

interface Context {
  readonly facts: MachineFacts;
  readonly g: Geometry;
  readonly report: ReportBuilder;
  /** Namespaces whose dax device is onlined as System RAM (kmem). */
  readonly kmemNamespaces: Set<string>;
}

const KMEM = 'System RAM (kmem)';
const CXL_WINDOW = /^CXL Window \d+$/;

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
      why: `${ns.name} claims all of its space (the pmem driver)`,
    };
  const memmap = memmapBytes(c.g, limit - ns.start);
  return {
    start: ns.start,
    end: limit,
    type: 'devdax',
    id: pgmapIdForNamespace(ns.name, 'devdax'),
    reserve: prefix >= memmap ? prefix - memmap : undefined,
    where: ns.where,
    namespace: ns.name,
    why: `${ns.name} claims only ${formatSize(prefix)} before unclaimed space (dax_pmem claims its info block${prefix >= memmap ? ' and an on-device memmap' : ''})`,
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
      out.push({
        start: child.start,
        end: child.end,
        type: 'devdax',
        id: child.name,
        where: child.where,
        why: `a dax device under ${region.name}`,
      });
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

/** Ranges whose dax devices are MEMORY_DEVICE_GENERIC: soft-reserved memory (dax_hmem) and CXL windows (cxl_dax_region). */
function isGenericParent(name: string): boolean {
  return name === SOFT_RESERVED || CXL_WINDOW.test(name);
}

function hasDax(r: IomemResource): boolean {
  return r.children.some((c) => isDaxName(c.name) || hasDax(c));
}

/**
 * The dax devices under a soft-reserved range or CXL window: each is a pgmap
 * (dev_dax_probe(): MEMORY_DEVICE_GENERIC) unless kmem onlined it as System
 * RAM. Whatever holds no dax device (a bare window, hmem.N, regionN) has no
 * memmap at all.
 */
function genericDevices(c: Context, top: IomemResource): DeviceRange[] {
  const out: DeviceRange[] = [];
  const range = (r: IomemResource) => `${r.name} ${hex(r.start)}-${hex(r.end - 1)}`;
  const visit = (r: IomemResource) => {
    for (const child of r.children) {
      if (isDaxName(child.name)) {
        if (!hasKmem(child))
          out.push({
            start: child.start,
            end: child.end,
            type: 'generic',
            id: child.name,
            where: child.where,
            why: `a dax device under ${top.name} (dev_dax_probe(): MEMORY_DEVICE_GENERIC)`,
          });
      } else if (hasDax(child)) visit(child);
      else if (!child.name.startsWith('System RAM'))
        c.report.skip([
          `${child.where}: ${range(child)} under ${top.name} holds no dax device: no memmap, no ZONE_DEVICE`,
        ]);
    }
  };
  if (top.children.length === 0)
    c.report.skip([
      `${top.where}: ${range(top)} is claimed by no driver (no dax device): no memmap, no ZONE_DEVICE`,
    ]);
  visit(top);
  return out;
}

function hasGenericAncestor(r: IomemResource): boolean {
  for (let p = r.parent; p; p = p.parent) if (isGenericParent(p.name)) return true;
  return false;
}

/** The end of System RAM and persistent memory: request_free_mem_region() places regions above it. */
function memoryEnd(roots: readonly IomemResource[], ram: readonly RamRange[]): number {
  return Math.max(
    0,
    ...ram.map((r) => r.end),
    ...roots.filter((r) => r.name.startsWith(PERSISTENT_MEMORY)).map((r) => r.end),
  );
}

/** Top-level, childless, subsection-aligned regions named like a driver: device-private candidates. */
function driverRegions(c: Context, roots: readonly IomemResource[]): IomemResource[] {
  return roots.filter(
    (r) => r.children.length === 0 && isDriverRegionName(r.name) && r.start % c.g.subsectionSize === 0,
  );
}

function devicePrivateRange(r: IomemResource, why: string, node?: number): DeviceRange {
  return {
    start: r.start,
    end: r.end,
    type: 'device_private',
    id: sanitizeId(r.name),
    node,
    where: r.where,
    why,
  };
}

/** Driver regions above all memory: request_free_mem_region() takes free space from the top down. */
function devicePrivate(c: Context, roots: readonly IomemResource[], ram: readonly RamRange[]): DeviceRange[] {
  const end = memoryEnd(roots, ram);
  return driverRegions(c, roots)
    .filter((r) => r.start >= end)
    .map((r) =>
      devicePrivateRange(
        r,
        'a top-level region above all memory, named like a driver (request_free_mem_region())',
      ),
    );
}

/** Pages from the lowest start to the highest end of the ranges (a ZONE_DEVICE span, when they are a node's pgmaps). */
function hullPages(c: Context, ranges: readonly { start: number; end: number }[]): number {
  if (ranges.length === 0) return 0;
  return (Math.max(...ranges.map((r) => r.end)) - Math.min(...ranges.map((r) => r.start))) / c.g.pageSize;
}

/**
 * The node whose zoneinfo Device span the region completes: the span (which
 * only grows, to the hull of every pgmap mapped on the node) is wider than
 * the node's known device ranges reach, and exactly as wide with the region.
 */
function completedDeviceSpan(
  c: Context,
  r: IomemResource,
  known: readonly DeviceRange[],
  spans: Map<number, number>,
): number | undefined {
  for (const [node, spanned] of spans) {
    const mine = known.filter((d) => (d.node ?? 0) === node);
    if (hullPages(c, mine) < spanned && hullPages(c, [...mine, r]) === spanned) return node;
  }
  return undefined;
}

/**
 * Driver regions below the end of memory: device-private memory, or any
 * driver's MMIO (/proc/iomem names both alike). Taken as device-private only
 * when it completes a Device span zoneinfo shows; else skipped, and said.
 */
function innerDevicePrivate(
  c: Context,
  ram: readonly RamRange[],
  known: readonly DeviceRange[],
  spans: Map<number, number> | undefined,
): DeviceRange[] {
  const roots = c.facts.iomem?.roots ?? [];
  const end = memoryEnd(roots, ram);
  const out: DeviceRange[] = [];
  for (const r of driverRegions(c, roots).filter((x) => x.start < end)) {
    const node = spans && completedDeviceSpan(c, r, [...known, ...out], spans);
    if (node !== undefined) {
      const why = `a top-level region named like a driver that completes node ${node}'s Device span in zoneinfo (${spans!.get(node)} pages): device-private memory`;
      out.push(devicePrivateRange(r, why, node));
      continue;
    }
    c.report.skip([
      `${r.where}: '${r.name}' ${hex(r.start)}-${hex(r.end - 1)} is a top-level region below the end of memory: device-private memory or a driver's MMIO, which /proc/iomem does not tell apart, and ${spans ? "zoneinfo's Device spans do not need it" : 'no zoneinfo shows Device spans'}`,
    ]);
  }
  return out;
}

function fromIomem(c: Context, ram: readonly RamRange[]): DeviceRange[] {
  const roots = c.facts.iomem?.roots ?? [];
  const out: DeviceRange[] = [];
  for (const r of walkIomem(roots)) {
    if (r.name.startsWith(PERSISTENT_MEMORY)) out.push(...persistentMemory(c, r));
    else if (isGenericParent(r.name) && !hasGenericAncestor(r)) out.push(...genericDevices(c, r));
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
    d.why = `${ns.dev} is in ${ns.mode} mode (${ns.where})`;
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

/** The device ranges a dax device is: by name, or where its mappings lie. */
function isDaxDevice(d: DeviceRange, dev: DaxDevice): boolean {
  return d.id === dev.chardev || dev.mappings.some((m) => d.start < m.end && m.start < d.end);
}

/**
 * A disabled dax device is bound to no driver: dev_dax_probe() never ran, so
 * nothing is mapped (no pgmap), whatever the namespace's claim suggests.
 */
function dropDisabled(c: Context, devices: DeviceRange[], dev: DaxDevice): DeviceRange[] {
  const dropped = devices.filter((d) => isDaxDevice(d, dev));
  const claims = dropped.map((d) => d.where).join(', ');
  c.report.infer(
    `${dev.where}: ${dev.chardev} is disabled: no pgmap mapped${claims ? `, so no memremap for ${claims}` : ''}`,
  );
  if (dropped.some((d) => d.id === dev.chardev && isDaxName(d.id) && d.namespace === undefined))
    c.report.mismatch(
      `${dev.where}: ${dev.chardev} is disabled, yet /proc/iomem shows it claimed: captured at different times?`,
    );
  return devices.filter((d) => !dropped.includes(d));
}

/** daxctl gives the dax device's node, and its address when iomem does not show it. */
function applyDaxDevice(c: Context, devices: DeviceRange[], dev: DaxDevice): DeviceRange[] {
  if (dev.mode === 'system-ram') return devices;
  if (!dev.enabled) return dropDisabled(c, devices, dev);
  if (dev.mappings.length === 0) {
    if (!devices.some((d) => d.id === dev.chardev))
      c.report.cannotKnow(
        `${dev.where}: ${dev.chardev} has no mappings (run daxctl list -M) and /proc/iomem does not place it`,
      );
    return devices;
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
      why: `daxctl's mapping of ${dev.chardev}; the namespace's info block before it is not known without /proc/iomem`,
    });
  }
  return devices;
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
  for (const dev of facts.dax.flatMap((x) => x.devices)) devices = applyDaxDevice(c, devices, dev);
  const spans = deviceSpans(facts);
  const placed = devices
    .filter((d) => fitsDeviceZone(c, d, spans))
    .map((d) => placeable(c, d, ram))
    .filter((d): d is DeviceRange => d !== undefined);
  for (const d of innerDevicePrivate(c, ram, placed, spans)) {
    const p = placeable(c, d, ram);
    if (p) placed.push(p);
  }
  placed.sort((a, b) => a.start - b.start);
  uniqueIds(placed);
  for (const d of placed)
    report.infer(`${d.where}: memremap ${d.type} ${d.id} ${hex(d.start)}-${hex(d.end - 1)}: ${d.why}`);
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
