/**
 * What verify compares, on both sides: the memory blocks (state, valid_zones,
 * phys_index, node), the zones (start_pfn, spanned, present) and /proc/iomem.
 *
 * viewFromModel() reads a Machine the way the kernel's files would show it;
 * viewFromGuest() reads the guest's files. Both are the minimal internal
 * interface verify needs; the parsers here are deliberately tiny, covering only
 * the lines verify compares. When the import/export modules (src/io/import,
 * src/io/export) are on main, these two functions are where they plug in.
 */
import type { Machine } from '../model/machine.js';
import { ZONE_NAMES } from '../model/page-flags.js';
import { populatedZone } from '../model/zones.js';
import { validZones } from '../ops/zone-policy.js';

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

export function physIndex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

export function viewFromModel(m: Machine): KernelView {
  const blocks = [...m.blocks.values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({
      id: b.id,
      state: b.state,
      validZones: validZones(m, b).join(' '),
      physIndex: physIndex(b.id),
      node: b.nid,
    }));
  const zones: ZoneView[] = [];
  for (const node of [...m.nodes.values()].sort((a, b) => a.nid - b.nid)) {
    for (const z of node.zones) {
      zones.push({
        node: node.nid,
        zone: ZONE_NAMES[z.id],
        spanned: z.spannedPages,
        present: z.presentPages,
        startPfn: populatedZone(z) ? z.zoneStartPfn : null,
      });
    }
  }
  const iomem = [...m.resources]
    .sort((a, b) => a.start - b.start)
    .map((r) => ({ start: r.start, end: r.end - 1, name: r.name, depth: 0 }));
  return { blockSize: m.blockSize, blocks, zones, iomem };
}

/** /proc/iomem lines: "  start-end : name", two spaces of indent per level. */
export function parseIomemLines(text: string): IomemView[] {
  const out: IomemView[] = [];
  for (const line of text.split('\n')) {
    const m = /^( *)([0-9a-f]+)-([0-9a-f]+) : (.*)$/.exec(line);
    if (!m) continue;
    out.push({
      start: Number.parseInt(m[2], 16),
      end: Number.parseInt(m[3], 16),
      name: m[4],
      depth: m[1].length / 2,
    });
  }
  return out;
}

/** The per-zone counters verify compares, from /proc/zoneinfo. */
export function parseZoneinfoCounters(text: string): ZoneView[] {
  const out: ZoneView[] = [];
  let cur:
    | { node: number; zone: string; spanned: number; present: number; startPfn: number | null }
    | undefined;
  for (const line of text.split('\n')) {
    const head = /^Node (\d+), zone\s+(\S+)/.exec(line);
    if (head) {
      if (cur) out.push(cur);
      cur = { node: Number(head[1]), zone: head[2], spanned: 0, present: 0, startPfn: null };
      continue;
    }
    if (!cur) continue;
    const kv = /^\s+(spanned|present|start_pfn:)\s+(\d+)\s*$/.exec(line);
    if (!kv) continue;
    if (kv[1] === 'spanned') cur.spanned = Number(kv[2]);
    else if (kv[1] === 'present') cur.present = Number(kv[2]);
    else cur.startPfn = Number(kv[2]);
  }
  if (cur) out.push(cur);
  return out;
}

const MEMORY = '/sys/devices/system/memory';

/** A guest snapshot (path -> content) as a view. */
export function viewFromGuest(
  files: ReadonlyMap<string, string>,
  links: ReadonlyMap<string, string>,
): KernelView {
  const blockSize = Number.parseInt(files.get(`${MEMORY}/block_size_bytes`) ?? '0', 16);
  const ids = new Set<number>();
  for (const path of files.keys()) {
    const m = /^\/sys\/devices\/system\/memory\/memory(\d+)\//.exec(path);
    if (m) ids.add(Number(m[1]));
  }
  const blocks = [...ids]
    .sort((a, b) => a - b)
    .map((id) => {
      const dir = `${MEMORY}/memory${id}`;
      const link = [...links.keys()].find((l) => l.startsWith(`${dir}/node`));
      return {
        id,
        state: files.get(`${dir}/state`) ?? '',
        validZones: files.get(`${dir}/valid_zones`) ?? '',
        physIndex: files.get(`${dir}/phys_index`) ?? '',
        node: link ? Number(link.slice(`${dir}/node`.length)) : null,
      };
    });
  return {
    blockSize,
    blocks,
    zones: parseZoneinfoCounters(files.get('/proc/zoneinfo') ?? ''),
    iomem: parseIomemLines(files.get('/proc/iomem') ?? ''),
  };
}

/** The boot memory a guest's /proc/iomem shows: top-level System RAM, page-aligned inward (as memblock keeps it). */
export function bootRangesFromIomem(
  iomem: readonly IomemView[],
  pageSize: number,
): { start: number; size: number }[] {
  const out: { start: number; size: number }[] = [];
  for (const r of iomem) {
    if (r.depth !== 0 || r.name !== 'System RAM') continue;
    const start = Math.ceil(r.start / pageSize) * pageSize;
    const end = Math.floor((r.end + 1) / pageSize) * pageSize;
    if (end > start) out.push({ start, size: end - start });
  }
  return out;
}
