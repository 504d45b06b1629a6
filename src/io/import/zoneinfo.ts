/**
 * /proc/zoneinfo (mm/vmstat.c, zoneinfo_show_print()): a record per zone of
 * every online node, unpopulated ones included, opening with
 * "Node %d, zone %8s". Only spanned, present, managed and (for populated
 * zones) start_pfn matter to the model; every other key is kept in a stats
 * map, since field names change between kernels (boost, promo, cma,
 * high_min, reserved_highatomic...). An unpopulated zone's record stops after
 * "protection:", so its start_pfn is never printed.
 */
import { fail, kernelLines, type Line, parseDecimal, Skipped } from './text.js';

export interface ZoneinfoZone {
  readonly node: number;
  /** zone->name: DMA, DMA32, Normal, HighMem, Movable, Device. */
  readonly zone: string;
  /** file:line of the "Node" line. */
  readonly where: string;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  /** Printed only for populated zones. */
  readonly startPfn?: number;
  readonly pagesFree?: number;
  readonly protection?: readonly number[];
  /** Every key outside the counters, as printed (which ones tells the kernel's age). */
  readonly keys: ReadonlySet<string>;
  readonly stats: ReadonlyMap<string, number>;
}

export interface Zoneinfo {
  readonly file: string;
  readonly zones: readonly ZoneinfoZone[];
  readonly skipped: readonly string[];
}

/** zone_names[] order: records of a node come in this order. */
const ZONE_ORDER = ['DMA', 'DMA32', 'Normal', 'HighMem', 'Movable', 'Device'];

/** The fields whose order the kernel fixes; a copy with them out of order was edited or reordered. */
const ORDERED_FIELDS = ['pages free', 'spanned', 'present', 'managed', 'protection', 'start_pfn'];

/** Keys every kernel from 4.x to 6.x prints outside the counters. */
const KNOWN_KEYS = new Set([
  'per-node stats',
  'pages free',
  'boost',
  'min',
  'low',
  'high',
  'promo',
  'spanned',
  'present',
  'managed',
  'cma',
  'protection',
  'pagesets',
  'cpu',
  'count',
  'batch',
  'high_min',
  'high_max',
  'vm stats threshold',
  'node_unreclaimable',
  'all_unreclaimable',
  'start_pfn',
  'inactive_ratio',
  'reserved_highatomic',
  'free_highatomic',
  'scanned',
]);

const NODE_LINE = /^Node (\d+), zone\s+(\S+)\s*$/;
/** "  pages free     123", "        spanned  4095", "  start_pfn:           1", "      nr_free_pages 12" */
const KEY_VALUE = /^\s+([a-z_][a-z0-9_ -]*?):?\s+(-?\d+)\s*$/;
const PROTECTION = /^\s+protection: \(([-\d, ]*)\)\s*$/;

interface Draft {
  node: number;
  zone: string;
  where: string;
  fields: Map<string, { value: number; where: string }>;
  order: { key: string; where: string }[];
  protection?: number[];
  stats: Map<string, number>;
}

function fieldValue(d: Draft, key: string): number | undefined {
  return d.fields.get(key)?.value;
}

function requireField(d: Draft, key: string, file: string): number {
  const v = fieldValue(d, key);
  if (v === undefined)
    fail(d.where, `Node ${d.node}, zone ${d.zone} has no '${key}' line: the copy of ${file} is truncated`);
  return v;
}

function checkFieldOrder(d: Draft): void {
  let last = -1;
  for (const o of d.order) {
    const i = ORDERED_FIELDS.indexOf(o.key);
    if (i < 0) continue;
    if (i < last)
      fail(
        o.where,
        `'${o.key}' comes after '${ORDERED_FIELDS[last]}': zoneinfo_show_print() never prints them so (reordered?)`,
      );
    last = i;
  }
}

function finish(d: Draft, file: string): ZoneinfoZone {
  checkFieldOrder(d);
  const spanned = requireField(d, 'spanned', file);
  const present = requireField(d, 'present', file);
  const managed = requireField(d, 'managed', file);
  if (d.protection === undefined)
    fail(
      d.where,
      `Node ${d.node}, zone ${d.zone} has no 'protection:' line: the copy of ${file} is truncated`,
    );
  if (present > spanned)
    fail(d.fields.get('present')!.where, `present ${present} exceeds spanned ${spanned}`);
  const startPfn = fieldValue(d, 'start_pfn');
  if (present > 0 && startPfn === undefined)
    fail(d.where, `populated zone Node ${d.node}, zone ${d.zone} has no start_pfn: the copy is truncated`);
  return {
    node: d.node,
    zone: d.zone,
    where: d.where,
    spanned,
    present,
    managed,
    startPfn,
    pagesFree: fieldValue(d, 'pages free'),
    protection: d.protection,
    keys: new Set(d.fields.keys()),
    stats: d.stats,
  };
}

function checkRecordOrder(prev: Draft | undefined, next: Draft): void {
  if (!prev) return;
  const sameNodeBackwards =
    prev.node === next.node && ZONE_ORDER.indexOf(next.zone) <= ZONE_ORDER.indexOf(prev.zone);
  if (next.node < prev.node || sameNodeBackwards) {
    fail(
      next.where,
      `Node ${next.node}, zone ${next.zone} follows Node ${prev.node}, zone ${prev.zone}: zoneinfo lists nodes and zones in order (reordered or duplicated?)`,
    );
  }
}

function readLine(d: Draft, l: Line, where: string, skipped: Skipped): void {
  const prot = PROTECTION.exec(l.text);
  if (prot) {
    d.protection = prot[1].split(',').map((v) => Number(v.trim()));
    d.order.push({ key: 'protection', where });
    return;
  }
  const trimmed = l.text.trim();
  if (trimmed === '' || trimmed === 'per-node stats' || trimmed === 'pagesets') return;
  const kv = KEY_VALUE.exec(l.text);
  if (!kv) fail(where, `'${trimmed}' is not a zoneinfo line (key value, protection: or a Node line)`);
  const key = kv[1].trim();
  const value = Number(kv[2]);
  const indent = l.text.length - l.text.trimStart().length;
  // Counters (node and zone stats) are printed "%-12s %lu" at 6 spaces: open-ended names.
  if (indent === 6 && !KNOWN_KEYS.has(key)) {
    d.stats.set(key, value);
    return;
  }
  if (!KNOWN_KEYS.has(key)) skipped.note(key, where);
  if (ORDERED_FIELDS.includes(key)) {
    if (d.fields.has(key)) fail(where, `a second '${key}' line in Node ${d.node}, zone ${d.zone}`);
    parseDecimal(kv[2], where, key);
    d.order.push({ key, where });
  }
  // The pageset's "high:" must not shadow the watermark "high": keep the first of each key.
  if (!d.fields.has(key)) d.fields.set(key, { value, where });
}

/**
 * zoneinfo_show() walks every zone of every online node, populated or not
 * (walk_zones_in_node() with assert_populated false), and ZONE_MOVABLE always
 * exists: so every node lists the same zones, the last Movable or Device. A
 * copy cut at a record boundary breaks that.
 */
function checkWhole(zones: readonly ZoneinfoZone[], file: string, lastLine: number): void {
  const nodes = [...new Set(zones.map((z) => z.node))];
  const names = (n: number) => zones.filter((z) => z.node === n).map((z) => z.zone);
  const first = names(nodes[0]);
  for (const n of nodes) {
    const own = names(n);
    const last = own[own.length - 1];
    if (last !== 'Movable' && last !== 'Device')
      fail(
        n === nodes[nodes.length - 1] ? `${file}:${lastLine}` : zones.find((z) => z.node === n)!.where,
        `Node ${n}'s zones stop at ${last}: zoneinfo prints every zone of every node, through Movable (and Device); the copy is truncated`,
      );
    if (own.join() !== first.join())
      fail(
        zones.find((z) => z.node === n)!.where,
        `Node ${n} lists zones ${own.join(', ')} but Node ${nodes[0]} lists ${first.join(', ')}: zoneinfo prints every zone of every node (truncated or edited?)`,
      );
  }
}

/** Parse /proc/zoneinfo text. */
export function parseZoneinfo(text: string, file: string): Zoneinfo {
  const lines = kernelLines(text, file, '/proc/zoneinfo text');
  const skipped = new Skipped();
  const drafts: Draft[] = [];
  for (const l of lines) {
    const where = `${file}:${l.no}`;
    const head = NODE_LINE.exec(l.text);
    if (head) {
      const d: Draft = {
        node: Number(head[1]),
        zone: head[2],
        where,
        fields: new Map(),
        order: [],
        stats: new Map(),
      };
      if (!ZONE_ORDER.includes(d.zone))
        fail(where, `'${d.zone}' is not a zone name (${ZONE_ORDER.join(', ')})`);
      checkRecordOrder(drafts[drafts.length - 1], d);
      drafts.push(d);
      continue;
    }
    const d = drafts[drafts.length - 1];
    if (!d) fail(where, `expected 'Node N, zone NAME' first, found '${l.text.trim()}'`);
    readLine(d, l, where, skipped);
  }
  if (drafts.length === 0) fail(file, "no 'Node N, zone NAME' records: not /proc/zoneinfo");
  const zones = drafts.map((d) => finish(d, file));
  checkWhole(zones, file, lines.length);
  return { file, zones, skipped: skipped.list(file) };
}
