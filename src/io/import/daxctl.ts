/**
 * JSON from pmem/ndctl's tools: `daxctl list` devices (daxctl/json.c,
 * util_daxctl_dev_to_json(): chardev, size, target_node, align, mode
 * devdax | system-ram, online_memblocks, total_memblocks, movable, state,
 * and with -M mappings of {page_offset, start, end (inclusive), size}),
 * `daxctl list -R` regions with "devices", and `ndctl list -N` namespaces
 * (ndctl/json.c, util_namespace_to_json(): dev, mode fsdax | devdax | sector
 * | raw, map mem | dev — where the memmap lives, i.e. the altmap — size,
 * numa_node, target_node, chardev, blockdev). The tools print an array, or a
 * bare object for one element with -u; hex fields are numbers, or "0x..."
 * strings with -u or in newer releases.
 */
import { fail, jsonNumber, jsonObjectLines, parseJsonFile, Skipped } from './text.js';

export interface DaxMapping {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export interface DaxDevice {
  readonly chardev: string;
  readonly mode?: string;
  readonly size?: number;
  readonly targetNode?: number;
  readonly movable?: boolean;
  readonly onlineMemblocks?: number;
  readonly totalMemblocks?: number;
  readonly enabled: boolean;
  readonly mappings: readonly DaxMapping[];
  readonly where: string;
}

export interface NdNamespace {
  /** namespaceX.Y */
  readonly dev: string;
  readonly mode?: string;
  /** "mem": memmap in System RAM; "dev": on the device (an altmap). */
  readonly map?: 'mem' | 'dev';
  readonly size?: number;
  readonly node?: number;
  readonly chardev?: string;
  readonly blockdev?: string;
  readonly where: string;
}

export interface DaxInfo {
  readonly file: string;
  readonly devices: readonly DaxDevice[];
  readonly namespaces: readonly NdNamespace[];
  readonly skipped: readonly string[];
}

const DEVICE_KEYS = new Set([
  'chardev',
  'size',
  'target_node',
  'align',
  'mode',
  'online_memblocks',
  'total_memblocks',
  'movable',
  'state',
  'mappings',
  'numa_node',
]);
const NAMESPACE_KEYS = new Set([
  'dev',
  'mode',
  'map',
  'size',
  'uuid',
  'raw_uuid',
  'sector_size',
  'align',
  'blockdev',
  'chardev',
  'state',
  'name',
  'numa_node',
  'target_node',
  'daxregion',
  'badblock_count',
  'badblocks',
]);
const REGION_KEYS = new Set([
  'path',
  'id',
  'size',
  'available_size',
  'align',
  'devices',
  'dev',
  'type',
  'iset_id',
  'mappings',
  'persistence_domain',
  'namespaces',
  'max_available_extent',
  'state',
  'numa_node',
  'target_node',
  'capabilities',
  'align',
]);

type Obj = Record<string, unknown>;

/** A size that may be printed human-readable with -u ("7.87 GiB (8.45 GB)"): only exact values are used. */
function optionalSize(v: unknown, where: string, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && /[a-z]\s*\(/i.test(v)) return undefined;
  return jsonNumber(v, where, what);
}

function optionalInt(v: unknown, where: string, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v < 0 ? undefined : v;
  return fail(where, `${what} ${JSON.stringify(v)} is not an integer`, v);
}

function noteUnknown(o: Obj, known: ReadonlySet<string>, where: string, skipped: Skipped): void {
  for (const k of Object.keys(o)) if (!known.has(k)) skipped.note(k, where);
}

function parseMapping(m: unknown, where: string): DaxMapping {
  if (typeof m !== 'object' || m === null) return fail(where, 'a mapping is not an object');
  const o = m as Obj;
  const start = jsonNumber(o.start, where, 'mapping start');
  const last = jsonNumber(o.end, where, 'mapping end');
  if (last < start) fail(where, `mapping ends (${last}) before it starts (${start})`);
  return { start, end: last + 1 };
}

function parseDevice(o: Obj, where: string, skipped: Skipped): DaxDevice {
  noteUnknown(o, DEVICE_KEYS, where, skipped);
  if (typeof o.chardev !== 'string') fail(where, 'a dax device without "chardev"');
  if (o.mappings !== undefined && !Array.isArray(o.mappings)) fail(where, '"mappings" is not an array');
  return {
    chardev: o.chardev,
    mode: typeof o.mode === 'string' ? o.mode : undefined,
    size: optionalSize(o.size, where, 'size'),
    targetNode: optionalInt(o.target_node, where, 'target_node'),
    movable: typeof o.movable === 'boolean' ? o.movable : undefined,
    onlineMemblocks: optionalInt(o.online_memblocks, where, 'online_memblocks'),
    totalMemblocks: optionalInt(o.total_memblocks, where, 'total_memblocks'),
    enabled: o.state !== 'disabled',
    mappings: ((o.mappings as unknown[]) ?? []).map((m) => parseMapping(m, where)),
    where,
  };
}

function parseNamespace(o: Obj, where: string, skipped: Skipped): NdNamespace {
  noteUnknown(o, NAMESPACE_KEYS, where, skipped);
  const map = o.map;
  if (map !== undefined && map !== 'mem' && map !== 'dev')
    fail(where, `map ${JSON.stringify(map)} is not mem or dev`);
  return {
    dev: o.dev as string,
    mode: typeof o.mode === 'string' ? o.mode : undefined,
    map: map as NdNamespace['map'],
    size: optionalSize(o.size, where, 'size'),
    node: optionalInt(o.target_node ?? o.numa_node, where, 'numa_node'),
    chardev: typeof o.chardev === 'string' ? o.chardev : undefined,
    blockdev: typeof o.blockdev === 'string' ? o.blockdev : undefined,
    where,
  };
}

interface Collected {
  devices: DaxDevice[];
  namespaces: NdNamespace[];
}

/** Walk whatever shape the tool printed: arrays, regions with devices/namespaces, bare objects. */
function collect(v: unknown, where: (o: object) => string, out: Collected, skipped: Skipped): void {
  if (Array.isArray(v)) {
    for (const item of v) collect(item, where, out, skipped);
    return;
  }
  if (typeof v !== 'object' || v === null)
    fail(where({}), `expected a JSON object or array, found ${JSON.stringify(v)}`);
  const o = v as Obj;
  const at = where(o);
  if (typeof o.chardev === 'string' && /^dax\d+\.\d+$/.test(o.chardev) && o.dev === undefined) {
    out.devices.push(parseDevice(o, at, skipped));
  } else if (typeof o.dev === 'string' && o.dev.startsWith('namespace')) {
    out.namespaces.push(parseNamespace(o, at, skipped));
  } else if (Array.isArray(o.devices) || Array.isArray(o.namespaces) || Array.isArray(o.regions)) {
    noteUnknown(o, new Set([...REGION_KEYS, 'regions', 'buses', 'provider']), at, skipped);
    for (const key of ['devices', 'namespaces', 'regions'] as const)
      if (o[key] !== undefined) collect(o[key], where, out, skipped);
  } else if (o.path !== undefined || (typeof o.dev === 'string' && o.dev.startsWith('region'))) {
    noteUnknown(o, REGION_KEYS, at, skipped);
  } else {
    fail(at, 'neither a dax device ("chardev"), an ndctl namespace ("dev": "namespace...") nor a region');
  }
}

/** Parse daxctl or ndctl list output. */
export function parseDaxctl(text: string, file: string): DaxInfo {
  if (text.trim() === '') return { file, devices: [], namespaces: [], skipped: [] };
  const doc = parseJsonFile(text, file);
  const lineOf = jsonObjectLines(doc, text);
  const where = (o: object) => `${file}:${lineOf(o)}`;
  const out: Collected = { devices: [], namespaces: [] };
  const skipped = new Skipped();
  collect(doc, where, out, skipped);
  return { file, ...out, skipped: skipped.list(file) };
}
