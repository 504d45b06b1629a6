/**
 * What verify compares, on both sides: the memory blocks (state, valid_zones,
 * phys_index, node), the zones (start_pfn, spanned, present) and /proc/iomem.
 *
 * Both sides go through the same code: the guest's files are written as a
 * machine directory, the model is exported into one (src/io/export: what the
 * kernel would print for it), and both are read back with the import parsers
 * (src/io/import), so the comparison is like for like.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { exportMachine } from '../io/export/index.js';
import { physIndex } from '../io/export/sysfs.js';
import type { MachineFacts } from '../io/import/facts.js';
import { readMachineFacts } from '../io/import/index.js';
import type { IomemResource } from '../io/import/iomem.js';
import { MACHINE_FILES, type MachineManifest } from '../io/machine-dir.js';
import type { Machine } from '../model/machine.js';
import type { GuestFiles } from './agent.js';

export interface BlockView {
  readonly id: number;
  readonly state: string;
  readonly validZones: string;
  /** As sysfs prints it: %08lx. */
  readonly physIndex: string;
  readonly node: number | null;
}

export interface ZoneView {
  readonly node: number;
  readonly zone: string;
  readonly spanned: number;
  readonly present: number;
  /** /proc/zoneinfo prints start_pfn only for populated zones; null where it does not. */
  readonly startPfn: number | null;
}

export interface IomemView {
  readonly start: number;
  /** Inclusive, as /proc/iomem prints it. */
  readonly end: number;
  readonly name: string;
  readonly depth: number;
}

export interface KernelView {
  readonly blockSize: number;
  readonly blocks: readonly BlockView[];
  readonly zones: readonly ZoneView[];
  readonly iomem: readonly IomemView[];
}

function flatten(roots: readonly IomemResource[]): IomemView[] {
  const out: IomemView[] = [];
  const walk = (r: IomemResource) => {
    out.push({ start: r.start, end: r.end - 1, name: r.name, depth: r.depth });
    for (const c of r.children) walk(c);
  };
  for (const r of roots) walk(r);
  return out;
}

/** What the import parsers read from a machine directory, as the fields verify compares. */
export function viewFromFacts(f: MachineFacts): KernelView {
  const blocks = (f.sysfs?.blocks ?? []).map((b) => ({
    id: b.id,
    state: b.state,
    validZones: (b.validZones ?? []).join(' '),
    // The sysfs reader checks phys_index against the directory name: it is the id, in %08lx.
    physIndex: physIndex(b.id),
    node: b.nodes[0] ?? null,
  }));
  const zones = (f.zoneinfo?.zones ?? []).map((z) => ({
    node: z.node,
    zone: z.zone,
    spanned: z.spanned,
    present: z.present,
    startPfn: z.startPfn ?? null,
  }));
  return { blockSize: f.sysfs?.blockSize ?? 0, blocks, zones, iomem: flatten(f.iomem?.roots ?? []) };
}

/** Read a machine directory (a guest snapshot, or a model export) with the import parsers. */
export function readView(dir: string): KernelView {
  return viewFromFacts(readMachineFacts({ dir }));
}

/** The model as the kernel's files would show it: exported into dir, then read back like the guest's. */
export function modelView(m: Machine, dir: string): KernelView {
  exportMachine(m, dir, { formats: ['sysfs', 'zoneinfo', 'iomem'] });
  return readView(dir);
}

/**
 * A guest snapshot as a machine directory (the sysroot layout `pfnlab
 * capture` writes and `pfnlab import DIR` reads: proc/, sys/devices/system/
 * memory with nodeN links and their node/nodeN/memoryM backlinks, and
 * pfnlab-machine.json).
 */
export function writeGuestDir(dir: string, files: GuestFiles, release: string): void {
  for (const [path, content] of files.files) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, `${content}\n`);
  }
  for (const [path, target] of files.links) {
    const link = join(dir, path);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link);
    // node/nodeK/memoryN -> ../../memory/memoryN
    const block = basename(dirname(path));
    const nodeDir = join(dir, MACHINE_FILES.sysfsNode, basename(path));
    mkdirSync(nodeDir, { recursive: true });
    symlinkSync(`../../memory/${block}`, join(nodeDir, block));
  }
  const manifest: MachineManifest = {
    pfnlab: 'capture',
    version: 1,
    host: { machine: 'x86_64', release, pageSize: 4096 },
    read: [...files.files.keys()].map((f) => ({ file: f.replace(/^\//, ''), from: `guest ${f}` })),
    failed: [],
  };
  writeFileSync(join(dir, MACHINE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
}
