/**
 * Model view vs guest view, after the same operation. Every difference is a
 * Disagreement naming the file, the field and both values.
 *
 * - blocks: every memoryN on either side: present, state, valid_zones,
 *   phys_index, node.
 * - zones: spanned and present of every zone either side has; start_pfn where
 *   the kernel prints it (populated zones only).
 * - iomem: System RAM as merged ranges (adjacent registrations joined: the
 *   kernel merges virtio-mem's, the model keeps one per add_memory), each with
 *   its name; inside a driver-managed region (virtio-mem) the kernel's
 *   "System RAM (virtio_mem)" counts as the model's "System RAM" (the model
 *   has no driver-managed memory; listed as an approximation). Device memory:
 *   each resource the model registers must be in the guest's tree with the
 *   same range and kind (names without instance numbers: "Persistent Memory",
 *   "namespace", "dax"); what firmware and drivers add beyond the model's
 *   (the NVDIMM region before any namespace is mapped) is not compared.
 */
import { hex } from '../units.js';
import type { IomemView, KernelView } from './view.js';

export type Area = 'blocks' | 'zones' | 'iomem' | 'pages' | 'refusal';

export interface Disagreement {
  readonly area: Area;
  /** What differs: "memory33 valid_zones", "Normal spanned", "System RAM 0x100000000-0x10fffffff". */
  readonly what: string;
  readonly model: string;
  readonly kernel: string;
}

export interface Region {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface CompareOptions {
  /** Ranges where a driver owns the System RAM (virtio-mem devices). */
  readonly driverManaged?: readonly Region[];
}

const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '(none)' : String(v));

export function compareBlocks(model: KernelView, guest: KernelView): Disagreement[] {
  const out: Disagreement[] = [];
  const mb = new Map(model.blocks.map((b) => [b.id, b]));
  const gb = new Map(guest.blocks.map((b) => [b.id, b]));
  const ids = [...new Set([...mb.keys(), ...gb.keys()])].sort((a, b) => a - b);
  for (const id of ids) {
    const m = mb.get(id);
    const g = gb.get(id);
    if (!m || !g) {
      out.push({
        area: 'blocks',
        what: `memory${id}`,
        model: m ? `present (${m.state})` : 'absent',
        kernel: g ? `present (${g.state})` : 'absent',
      });
      continue;
    }
    for (const [field, a, b] of [
      ['state', m.state, g.state],
      ['valid_zones', m.validZones, g.validZones],
      ['phys_index', m.physIndex, g.physIndex],
      ['node', m.node, g.node],
    ] as const) {
      if (a !== b)
        out.push({ area: 'blocks', what: `memory${id} ${field}`, model: show(a), kernel: show(b) });
    }
  }
  return out;
}

export function compareZones(model: KernelView, guest: KernelView): Disagreement[] {
  const out: Disagreement[] = [];
  const key = (z: { node: number; zone: string }) => `${z.node}/${z.zone}`;
  const mz = new Map(model.zones.map((z) => [key(z), z]));
  const gz = new Map(guest.zones.map((z) => [key(z), z]));
  for (const k of [...new Set([...mz.keys(), ...gz.keys()])]) {
    const m = mz.get(k);
    const g = gz.get(k);
    const name = `node ${(m ?? g)!.node} ${(m ?? g)!.zone}`;
    if (!m || !g) {
      const empty = (m ?? g)!.spanned === 0 && (m ?? g)!.present === 0;
      if (!empty)
        out.push({
          area: 'zones',
          what: name,
          model: m ? 'present' : 'absent',
          kernel: g ? 'present' : 'absent',
        });
      continue;
    }
    if (m.spanned !== g.spanned)
      out.push({ area: 'zones', what: `${name} spanned`, model: show(m.spanned), kernel: show(g.spanned) });
    if (m.present !== g.present)
      out.push({ area: 'zones', what: `${name} present`, model: show(m.present), kernel: show(g.present) });
    if (g.startPfn !== null && m.startPfn !== g.startPfn)
      out.push({
        area: 'zones',
        what: `${name} start_pfn`,
        model: show(m.startPfn),
        kernel: show(g.startPfn),
      });
  }
  return out;
}

interface Run {
  start: number;
  end: number;
  name: string;
}

function inside(r: { start: number; end: number }, regions: readonly Region[]): boolean {
  return regions.some((g) => r.start >= g.start && r.end + 1 <= g.end);
}

/**
 * System RAM entries at any depth, in whole pages (the firmware's ranges need
 * not be page aligned; memblock and the model keep only whole pages), names
 * normalized inside driver-managed regions, adjacent runs merged.
 */
export function systemRamRuns(
  iomem: readonly IomemView[],
  driverManaged: readonly Region[] = [],
  pageSize = 4096,
): Run[] {
  const ram = iomem
    .filter((r) => r.name === 'System RAM' || r.name.startsWith('System RAM ('))
    .map((r) => ({
      start: Math.ceil(r.start / pageSize) * pageSize,
      end: Math.floor((r.end + 1) / pageSize) * pageSize - 1,
      name: inside(r, driverManaged) ? 'System RAM' : r.name,
    }))
    .filter((r) => r.end > r.start)
    .sort((a, b) => a.start - b.start);
  const out: Run[] = [];
  for (const r of ram) {
    const last = out[out.length - 1];
    if (last && last.name === r.name && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

const range = (r: { start: number; end: number }) => `${hex(r.start)}-${hex(r.end)}`;

export function compareIomem(
  model: KernelView,
  guest: KernelView,
  opts: CompareOptions = {},
): Disagreement[] {
  const out: Disagreement[] = [];
  const m = systemRamRuns(model.iomem, opts.driverManaged);
  const g = systemRamRuns(guest.iomem, opts.driverManaged);
  const gKeys = new Map(g.map((r) => [range(r), r]));
  const mKeys = new Map(m.map((r) => [range(r), r]));
  for (const r of m) {
    const other = gKeys.get(range(r));
    if (!other)
      out.push({
        area: 'iomem',
        what: `System RAM ${range(r)}`,
        model: r.name,
        kernel: describeOverlap(g, r),
      });
    else if (other.name !== r.name)
      out.push({ area: 'iomem', what: `${range(r)} name`, model: r.name, kernel: other.name });
  }
  for (const r of g) {
    if (!mKeys.has(range(r)))
      out.push({
        area: 'iomem',
        what: `System RAM ${range(r)}`,
        model: describeOverlap(m, r),
        kernel: r.name,
      });
  }
  // Device memory: every resource the model registers must be in the kernel's
  // tree with the same range and kind. Instance numbers (namespace0.0, dax1.0)
  // are the kernel's enumeration of nd regions, not memory-model state.
  for (const r of model.iomem) {
    if (r.name.startsWith('System RAM')) continue;
    const kind = resourceKind(r.name);
    const same = guest.iomem.find(
      (x) => x.start === r.start && x.end === r.end && resourceKind(x.name) === kind,
    );
    if (!same)
      out.push({
        area: 'iomem',
        what: `${kind} ${range(r)}`,
        model: r.name,
        kernel: describeOverlap(guest.iomem, r),
      });
  }
  return out;
}

/** A resource name without its instance: "Persistent Memory (legacy)" -> "Persistent Memory", "namespace1.0" -> "namespace". */
export function resourceKind(name: string): string {
  return name.replace(/ \(.*\)$/, '').replace(/\d+(\.\d+)?$/, '');
}

function describeOverlap(
  runs: readonly { start: number; end: number; name: string }[],
  r: { start: number; end: number },
): string {
  const hits = runs.filter((x) => x.start <= r.end && r.start <= x.end);
  return hits.length ? hits.map((x) => `${x.name} ${range(x)}`).join(', ') : 'absent';
}

export interface ViewComparison {
  readonly blocks: Disagreement[];
  readonly zones: Disagreement[];
  readonly iomem: Disagreement[];
}

export function compareViews(
  model: KernelView,
  guest: KernelView,
  opts: CompareOptions = {},
): ViewComparison {
  return {
    blocks: compareBlocks(model, guest),
    zones: compareZones(model, guest),
    iomem: compareIomem(model, guest, opts),
  };
}

/** Refusals: both succeeded, or both refused with the same errno. */
export function compareRefusal(model: string | null, kernel: string | null): Disagreement[] {
  if (model === kernel) return [];
  return [
    {
      area: 'refusal',
      what: 'outcome',
      model: model ? `-${model}` : 'succeeds',
      kernel: kernel ? `-${kernel}` : 'succeeds',
    },
  ];
}
