/**
 * System RAM and memory blocks -> boot ranges and hotplug steps.
 *
 * Boot memory: System RAM that /proc/iomem shows (one resource per firmware
 * range, or per register_memory_resource() for hot-added memory), page
 * aligned. A resource is hot-added when it is driver-managed ("System RAM
 * (kmem)", "(virtio_mem)"...), or block aligned and:
 *  - made only of blocks that boot memory never is in the model (offline, or
 *    online in ZONE_MOVABLE);
 *  - above the end of its node's boot memory, shown by a DMA or DMA32 span in
 *    zoneinfo that stops short of the zone's limit;
 *  - on a node whose ZONE_NORMAL starts above where boot would have started
 *    it, with no RAM of the node in between (normalAboveBoot());
 *  - holding a movable block below ZONE_NORMAL memory of its node (boot puts
 *    ZONE_MOVABLE only at the top of a node);
 *  - online, and either a resource of its own right after another on its node
 *    (the firmware map merges adjacent ranges) or above memory of its node
 *    already found hot-added.
 * Without /proc/iomem the ranges are runs of blocks alike (node, boot-like or
 * not) and only the block and zone rules apply. Hot-added ranges become
 * add_memory steps, their online blocks online steps in the zone they are in;
 * boot blocks found offline or movable become offline (and online movable)
 * steps.
 */
import type { Geometry } from '../../arch/geometry.js';
import { kernelOf } from '../../kernel/index.js';
import { formatSize, hex } from '../../units.js';
import { isDaxName } from '../device-names.js';
import type { DaxDevice } from './daxctl.js';
import type { BlockFact, MachineFacts } from './facts.js';
import { walkIomem } from './iomem.js';
import type { ReportBuilder } from './report.js';
import type { SysfsZoneName } from './sysfs.js';
import { fail } from './text.js';
import type { ZoneinfoZone } from './zoneinfo.js';

const KMEM = 'System RAM (kmem)';

export interface RamRange {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Driver-managed (kmem, virtio_mem): always hot-added. */
  readonly driver: boolean;
  readonly where: string;
  /** The dax device kmem onlined it from ("System RAM (kmem)" under daxX.Y). */
  readonly dax?: string;
}

export interface RangeJson {
  readonly start: string;
  readonly size: string;
  readonly node?: number;
}

export type StepJson = Record<string, unknown> & { readonly op: string };

export interface MemoryPlan {
  readonly boot: RangeJson[];
  readonly steps: StepJson[];
  /** Where System RAM is, for placing device ranges. */
  readonly ram: readonly RamRange[];
  /** The end of boot memory (exclusive): max_pfn at boot, as probe_memory_block_size() sees it. */
  readonly bootEnd: number;
}

interface Context {
  readonly facts: MachineFacts;
  readonly g: Geometry;
  readonly blockSize: number;
  readonly blocks: Map<number, BlockFact>;
  readonly report: ReportBuilder;
}

/** A byte range in a scenario: start in hex, size as a K/M/G size where exact. */
export function rangeJson(start: number, end: number, node?: number): RangeJson {
  return node === undefined
    ? { start: hex(start), size: formatSize(end - start) }
    : { start: hex(start), size: formatSize(end - start), node };
}

/** The zone spans zoneinfo shows, per node, populated zones only. */
function populatedZones(facts: MachineFacts): ZoneinfoZone[] {
  return facts.zoneinfo?.zones.filter((z) => z.present > 0 && z.startPfn !== undefined) ?? [];
}

/** The node whose populated zones span pfn (zoneinfo), if any. */
function zoneinfoNode(facts: MachineFacts, pfn: number): number | undefined {
  return populatedZones(facts).find((z) => z.startPfn! <= pfn && pfn < z.startPfn! + z.spanned)?.node;
}

function inMovableSpan(facts: MachineFacts, node: number | undefined, pfn: number): boolean {
  return populatedZones(facts).some(
    (z) =>
      z.zone === 'Movable' &&
      (node === undefined || z.node === node) &&
      z.startPfn! <= pfn &&
      pfn < z.startPfn! + z.spanned,
  );
}

function blockNode(c: Context, id: number): number {
  return c.blocks.get(id)?.node ?? zoneinfoNode(c.facts, (id * c.blockSize) / c.g.pageSize) ?? 0;
}

/** The zone an online block is in: its own fact, else zoneinfo's Movable span. */
function blockZone(c: Context, b: BlockFact): SysfsZoneName | undefined {
  if (b.zone !== undefined) return b.zone;
  return inMovableSpan(c.facts, b.node, (b.id * c.blockSize) / c.g.pageSize) ? 'Movable' : undefined;
}

/** A block boot memory never is in the model: offline, going offline, or movable. */
function hotplugLooking(c: Context, b: BlockFact | undefined): boolean {
  if (!b) return false;
  return b.state !== 'online' || blockZone(c, b) === 'Movable';
}

function blockIdsOf(c: Context, r: { start: number; end: number }): number[] {
  const ids: number[] = [];
  for (let id = Math.floor(r.start / c.blockSize); id * c.blockSize < r.end; id++) ids.push(id);
  return ids;
}

function aligned(c: Context, r: { start: number; end: number }): boolean {
  return r.start % c.blockSize === 0 && r.end % c.blockSize === 0;
}

/** System RAM resources of /proc/iomem, page aligned inward (memblock drops partial pages). */
function iomemRam(c: Context): RamRange[] {
  const out: RamRange[] = [];
  for (const r of walkIomem(c.facts.iomem!.roots)) {
    if (!r.name.startsWith('System RAM')) continue;
    const start = Math.ceil(r.start / c.g.pageSize) * c.g.pageSize;
    const end = Math.floor(r.end / c.g.pageSize) * c.g.pageSize;
    if (start !== r.start || end !== r.end)
      c.report.infer(`${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} trimmed to whole pages`);
    const dax = r.name === KMEM && r.parent && isDaxName(r.parent.name) ? r.parent.name : undefined;
    if (end > start) out.push({ start, end, driver: r.name !== 'System RAM', where: r.where, dax });
  }
  return out;
}

/** Without /proc/iomem: runs of consecutive blocks on one node that are all boot-like or all hotplug-like. */
function blockRam(c: Context): RamRange[] {
  const out: RamRange[] = [];
  const ids = [...c.blocks.keys()].sort((a, b) => a - b);
  const kind = (id: number) => `${blockNode(c, id)} ${hotplugLooking(c, c.blocks.get(id))}`;
  for (const id of ids) {
    const last = out[out.length - 1];
    const start = id * c.blockSize;
    if (last && last.end === start && kind(id) === kind(id - 1)) {
      out[out.length - 1] = { ...last, end: start + c.blockSize };
    } else {
      out.push({ start, end: start + c.blockSize, driver: false, where: c.blocks.get(id)!.where });
    }
  }
  return out;
}

/** daxctl devices in system-ram mode, when no /proc/iomem shows their "System RAM (kmem)". */
function daxKmemRam(c: Context): RamRange[] {
  const out: RamRange[] = [];
  for (const d of c.facts.dax.flatMap((x) => x.devices)) {
    if (d.mode !== 'system-ram') continue;
    for (const m of d.mappings) {
      // dax_kmem_range(): the hotplug range is memory-block aligned inward.
      const start = Math.ceil(m.start / c.blockSize) * c.blockSize;
      const end = Math.floor(m.end / c.blockSize) * c.blockSize;
      if (end > start) out.push({ start, end, driver: true, where: d.where, dax: d.chardev });
    }
  }
  return out;
}

/** daxctl's record of the dax device a kmem range came from. */
function daxDevice(c: Context, r: RamRange): DaxDevice | undefined {
  return r.dax ? c.facts.dax.flatMap((x) => x.devices).find((d) => d.chardev === r.dax) : undefined;
}

/**
 * A block of System RAM no file describes: online (offline when daxctl says
 * kmem onlined none of its device), in ZONE_MOVABLE when a Movable span of
 * zoneinfo holds it, on the node whose zones span it.
 */
function derivedFact(c: Context, id: number, r: RamRange): BlockFact {
  const pfn = (id * c.blockSize) / c.g.pageSize;
  const node = zoneinfoNode(c.facts, pfn);
  return {
    id,
    state: daxDevice(c, r)?.onlineMemblocks === 0 ? 'offline' : 'online',
    zone: inMovableSpan(c.facts, node, pfn) ? 'Movable' : undefined,
    node,
    where: r.where,
  };
}

/** Without block facts: every block System RAM touches, as derivedFact() has it. */
function deriveBlocks(c: Context, ram: readonly RamRange[]): void {
  for (const r of ram) for (const id of blockIdsOf(c, r)) c.blocks.set(id, derivedFact(c, id, r));
  c.report.cannotKnow(
    'memory block states: no sysfs or lsmem was given, so every block with System RAM is taken as online',
  );
}

/**
 * A separate System RAM resource that starts where another on the same node
 * ends was registered separately: the firmware map merges adjacent ranges.
 */
function separatelyRegistered(c: Context, ram: readonly RamRange[], i: number): boolean {
  const prev = ram[i - 1];
  const r = ram[i];
  return (
    prev !== undefined &&
    prev.end === r.start &&
    blockNode(c, Math.floor((r.start - 1) / c.blockSize)) === blockNode(c, Math.floor(r.start / c.blockSize))
  );
}

function allOnline(c: Context, r: RamRange): boolean {
  return blockIdsOf(c, r).every((id) => c.blocks.get(id)?.state === 'online');
}

/** The arch limit of a zone below ZONE_NORMAL (bytes), undefined for the others. */
function zoneLimit(c: Context, zone: string): number | undefined {
  if (zone === 'DMA') return c.g.zoneDmaLimit;
  if (zone === 'DMA32') return c.g.zoneDma32Limit;
  return undefined;
}

/**
 * A zone of r's node, below r, whose span stops short of its limit with no
 * System RAM in between. At boot each zone spans the node's span clipped to
 * the zone's limits (zone_spanned_pages_in_node()), so the node's boot memory
 * ended there, below r. Offlining cannot have shortened it: the zone's top is
 * then a hole, and shrink_zone_span() moves the end only when the offlined
 * range reaches it.
 */
function bootSpanEndsBelow(c: Context, ram: readonly RamRange[], r: RamRange): ZoneinfoZone | undefined {
  const node = blockNode(c, Math.floor(r.start / c.blockSize));
  return populatedZones(c.facts).find((z) => {
    const limit = zoneLimit(c, z.zone);
    if (z.node !== node || limit === undefined || limit > r.start) return false;
    const end = (z.startPfn! + z.spanned) * c.g.pageSize;
    // Without /proc/iomem RAM is whole blocks: the block holding the zone's end reaches past it.
    const top = c.facts.iomem ? end : Math.ceil(end / c.blockSize) * c.blockSize;
    return end < limit && !ram.some((x) => x.end > top && x.start < limit);
  });
}

/** Ranges the zone spans show were not there at boot (see bootSpanEndsBelow()). */
function hotByZoneSpans(c: Context, ram: readonly RamRange[], hot: boolean[]): void {
  ram.forEach((r, i) => {
    if (hot[i] || !aligned(c, r)) return;
    const z = bootSpanEndsBelow(c, ram, r);
    if (!z) return;
    hot[i] = true;
    const end = (z.startPfn! + z.spanned) * c.g.pageSize;
    c.report.infer(
      `${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} taken as hot-added: node ${z.node}'s ${z.zone} span ends at ${hex(end)} (${z.where}), short of the zone's limit ${hex(zoneLimit(c, z.zone)!)}, so its boot memory ended below (zone_spanned_pages_in_node())`,
    );
  });
}

/** The node a RAM range starts on. */
function rangeNode(c: Context, r: { start: number }): number {
  return blockNode(c, Math.floor(r.start / c.blockSize));
}

/** The lowest address ZONE_NORMAL can start at: the top of the zones below it. */
function normalLow(c: Context): number {
  return Math.max(c.g.zoneDmaLimit, c.g.zoneDma32Limit);
}

/**
 * A node's ZONE_NORMAL span that boot did not make, and where boot would have
 * started it. free_area_init() starts it at the node's first pfn clamped to
 * the zone's low limit (zone_spanned_pages_in_node()), memory there or not;
 * shrink_zone_span() moves the start up only past memory offlined (still
 * System RAM) or removed since. So a Normal span starting higher, with no RAM
 * of the node in between, means the node had no boot memory in ZONE_NORMAL.
 */
function normalAboveBoot(
  c: Context,
  pieces: readonly NodePiece[],
  node: number,
): { zone: ZoneinfoZone; bootStart: number } | undefined {
  const zone = populatedZones(c.facts).find((z) => z.node === node && z.zone === 'Normal');
  const mine = pieces.filter((p) => p.node === node);
  if (!zone || mine.length === 0) return undefined;
  const bootStart = Math.max(normalLow(c), Math.min(...mine.map((p) => p.start)));
  const start = zone.startPfn! * c.g.pageSize;
  if (start <= bootStart || mine.some((p) => p.end > bootStart && p.start < start)) return undefined;
  return { zone, bootStart };
}

/** Ranges of a node in a ZONE_NORMAL boot did not make (see normalAboveBoot()). */
function hotByNormalStart(c: Context, ram: readonly RamRange[], hot: boolean[]): void {
  const pieces = ram.flatMap((r) => byNode(c, r));
  for (const node of new Set(pieces.map((p) => p.node))) {
    const found = normalAboveBoot(c, pieces, node);
    if (!found) continue;
    const { zone, bootStart } = found;
    ram.forEach((r, i) => {
      if (hot[i] || !aligned(c, r) || r.start < bootStart || rangeNode(c, r) !== node) return;
      hot[i] = true;
      c.report.infer(
        `${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} taken as hot-added: node ${node}'s Normal span starts at ${hex(zone.startPfn! * c.g.pageSize)} (${zone.where}), above ${hex(bootStart)} where boot would have started it, with no RAM of the node in between (zone_spanned_pages_in_node())`,
      );
    });
  }
}

/** An online block in ZONE_NORMAL: so its fact says, or in a kernel zone above the lower zones. */
function inNormal(c: Context, b: BlockFact): boolean {
  if (b.state !== 'online') return false;
  return (
    b.zone === 'Normal' ||
    (b.zone === undefined && b.id * c.blockSize >= normalLow(c) && blockZone(c, b) === undefined)
  );
}

/** The highest ZONE_NORMAL block of each node. */
function topNormalBlocks(c: Context): Map<number, number> {
  const top = new Map<number, number>();
  for (const b of c.blocks.values()) {
    const node = blockNode(c, b.id);
    if (inNormal(c, b) && b.id > (top.get(node) ?? -1)) top.set(node, b.id);
  }
  return top;
}

/** A block of r onlined movable below a ZONE_NORMAL block of its node, if any. */
function movableBelowNormal(c: Context, r: RamRange, topNormal: Map<number, number>): number | undefined {
  return blockIdsOf(c, r).find((id) => {
    const b = c.blocks.get(id);
    const top = topNormal.get(blockNode(c, id));
    return b?.state === 'online' && blockZone(c, b) === 'Movable' && top !== undefined && id < top;
  });
}

/**
 * At boot ZONE_MOVABLE is empty, or (kernelcore=, movablecore=) the top of
 * each node (find_zone_movable_pfns_for_nodes()): a range with a movable
 * block below ZONE_NORMAL memory of its node was onlined after boot, so
 * hot-added. Only above the lower zones, where hot-added memory goes.
 */
function hotByMovableBelowNormal(c: Context, ram: readonly RamRange[], hot: boolean[]): void {
  const topNormal = topNormalBlocks(c);
  ram.forEach((r, i) => {
    if (hot[i] || !aligned(c, r) || r.start < normalLow(c)) return;
    const id = movableBelowNormal(c, r, topNormal);
    if (id === undefined) return;
    hot[i] = true;
    c.report.infer(
      `${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} taken as hot-added: memory${id} is in ZONE_MOVABLE below ZONE_NORMAL memory of node ${blockNode(c, id)}, and boot puts ZONE_MOVABLE only at the top of a node`,
    );
  });
}

/** Separate resources right after another on the node (see separatelyRegistered()). */
function hotBySeparateResource(c: Context, ram: readonly RamRange[], hot: boolean[]): void {
  ram.forEach((r, i) => {
    if (hot[i] || !aligned(c, r) || !allOnline(c, r) || !separatelyRegistered(c, ram, i)) return;
    hot[i] = true;
    c.report.infer(
      `${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} taken as hot-added and onlined to a kernel zone: a resource of its own right after another (the firmware map would have merged them)`,
    );
  });
}

/** Online ranges above memory of their node already found hot-added (a node's boot memory lies below it). */
function hotAboveHotOnNode(c: Context, ram: readonly RamRange[], hot: boolean[]): void {
  const firstHot = new Map<number, number>();
  ram.forEach((r, i) => {
    const node = rangeNode(c, r);
    if (hot[i] && !r.driver) firstHot.set(node, Math.min(firstHot.get(node) ?? r.start, r.start));
  });
  ram.forEach((r, i) => {
    const first = firstHot.get(rangeNode(c, r));
    if (hot[i] || first === undefined || !aligned(c, r) || r.start < first || !allOnline(c, r)) return;
    hot[i] = true;
    c.report.infer(
      `${r.where}: System RAM ${hex(r.start)}-${hex(r.end - 1)} taken as hot-added and onlined to a kernel zone: it lies above hot-added memory of node ${rangeNode(c, r)} at ${hex(first)}`,
    );
  });
}

/** Is a RAM range hot-added? (See the module comment for the rules.) */
function classify(c: Context, ram: readonly RamRange[], withIomem: boolean): boolean[] {
  const hot = ram.map(
    (r) => r.driver || (aligned(c, r) && blockIdsOf(c, r).every((id) => hotplugLooking(c, c.blocks.get(id)))),
  );
  hotByZoneSpans(c, ram, hot);
  hotByNormalStart(c, ram, hot);
  hotByMovableBelowNormal(c, ram, hot);
  if (!withIomem) return hot;
  hotBySeparateResource(c, ram, hot);
  hotAboveHotOnNode(c, ram, hot);
  return hot;
}

/** A byte range on one node. */
interface NodePiece {
  start: number;
  end: number;
  node: number;
}

/** Split a range at the block boundaries where the node changes. */
function byNode(c: Context, r: { start: number; end: number }): NodePiece[] {
  const out: NodePiece[] = [];
  for (const id of blockIdsOf(c, r)) {
    const start = Math.max(r.start, id * c.blockSize);
    const end = Math.min(r.end, (id + 1) * c.blockSize);
    const node = blockNode(c, id);
    const last = out[out.length - 1];
    if (last && last.node === node && last.end === start) last.end = end;
    else out.push({ start, end, node });
  }
  return out;
}

/** Consecutive ids with the same key, as [first, last] runs. */
function runs<K>(ids: readonly number[], key: (id: number) => K): { first: number; last: number; key: K }[] {
  const out: { first: number; last: number; key: K }[] = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    const k = key(id);
    const last = out[out.length - 1];
    if (last && last.last === id - 1 && last.key === k) last.last = id;
    else out.push({ first: id, last: id, key: k });
  }
  return out;
}

function blockRange(c: Context, first: number, last: number): { start: string; size: string } {
  return rangeJson(first * c.blockSize, (last + 1) * c.blockSize);
}

/**
 * The online step's zone for a hot-added block: the zone it is in (its own
 * fact, else zoneinfo's spans), else daxctl's "movable" for a kmem range,
 * else undefined: the kernel's default zone, as auto_online_blocks=online
 * picks it (zone_for_pfn_range()).
 */
function onlineZone(c: Context, b: BlockFact, r: RamRange): 'normal' | 'movable' | undefined {
  const zone = blockZone(c, b);
  if (zone === 'Movable') return 'movable';
  if (zone === 'none')
    c.report.mismatch(`memory${b.id} is hot-added but spans zones ("none"): onlined normal`);
  if (zone !== undefined) return 'normal';
  // Online and outside every ZONE_MOVABLE span zoneinfo shows: a kernel zone.
  if (c.facts.zoneinfo) return 'normal';
  const movable = daxDevice(c, r)?.movable;
  if (movable !== undefined) return movable ? 'movable' : 'normal';
  c.report.cannotKnow(
    r.dax
      ? `the zone of ${r.dax}'s kmem memory (no valid_zones, lsmem ZONES, zoneinfo or daxctl "movable"): onlined to the kernel's default zone, as auto_online_blocks=online does; daxctl reconfigure-device onlines it movable`
      : `the zone of hot-added online blocks (no valid_zones, lsmem ZONES or zoneinfo): the kernel's default zone`,
  );
  return undefined;
}

/** Where the block facts came from, for the report. */
function blockSource(facts: MachineFacts): string {
  return facts.sysfs?.dir ?? facts.lsmem?.file ?? 'the block facts';
}

/**
 * Blocks of a hot-added range that sysfs (or lsmem) leaves out: add_memory()
 * created them, so the copy is partial; they are taken as derivedFact() has them.
 */
function noteMissingBlocks(c: Context, r: RamRange, missing: readonly number[]): void {
  for (const run of runs(missing, () => 0)) {
    const blocks = `memory${run.first}${run.last > run.first ? `-memory${run.last}` : ''}`;
    c.report.mismatch(
      `${r.where}: hot-added System RAM ${hex(r.start)}-${hex(r.end - 1)} has no ${blocks} in ${blockSource(c.facts)} (a partial copy?): taken as online, in the zone zoneinfo's spans give, else the kernel's default zone`,
    );
  }
}

/** Where a hot-added block ends: offline, or online in a zone (undefined: the kernel's default). */
type BlockTarget = 'offline' | 'normal' | 'movable' | undefined;

function onlineSteps(c: Context, r: RamRange, ids: readonly number[]): StepJson[] {
  const missing = ids.filter((id) => !c.blocks.has(id));
  if (missing.length) noteMissingBlocks(c, r, missing);
  const fact = (id: number) => c.blocks.get(id) ?? derivedFact(c, id, r);
  const target = (id: number): BlockTarget =>
    fact(id).state === 'offline' ? 'offline' : onlineZone(c, fact(id), r);
  const auto = autoOnlineZone(c);
  // Blocks add_memory() left where the machine has them need no step; the rest are offlined
  // first when auto-online brought them up (online_store() refuses an online block).
  const moved = ids.filter((id) => auto === 'offline' || (target(id) !== auto && target(id) !== undefined));
  const offlines =
    auto === 'offline'
      ? []
      : runs(moved, () => 0).map(
          (run): StepJson => ({ op: 'offline', ...blockRange(c, run.first, run.last) }),
        );
  const onlines = runs(
    moved.filter((id) => target(id) !== 'offline'),
    target,
  ).map((run) => {
    const step: StepJson = { op: 'online', ...blockRange(c, run.first, run.last) };
    return run.key ? { ...step, zone: run.key } : step;
  });
  return [...offlines, ...onlines];
}

/**
 * Where add_memory() itself puts new blocks under the machine's auto_online_blocks
 * (add_memory_resource() -> online_memory_block()): 'offline' when it leaves them offline;
 * online_kernel's kernel zone, online_movable's ZONE_MOVABLE, or, for online, the zone
 * zone_for_pfn_range() picks under contig-zones for memory above every zone: the default
 * kernel zone (default_kernel_zone_for_pfn()).
 */
function autoOnlineZone(c: Context): 'offline' | 'normal' | 'movable' {
  const auto = c.facts.sysfs?.autoOnlineBlocks ?? 'offline';
  return auto === 'online_movable' ? 'movable' : auto === 'offline' ? 'offline' : 'normal';
}

/**
 * Before zoneShrinkOnOffline (5.4) a kernel never shrinks a zone at offline time (only removal does,
 * __remove_zone()): a node's ZONE_MOVABLE spanning pages with none present
 * (zoneinfo prints no start_pfn then) is memory onlined movable once and
 * offlined since. When its span is exactly the hull of the node's offline
 * hot-added blocks, those were it: online movable, then offline.
 */
function onceMovableSteps(c: Context, hotIds: readonly number[]): StepJson[] {
  if (kernelOf(c.g).zoneShrinkOnOffline) return [];
  const steps: StepJson[] = [];
  for (const z of c.facts.zoneinfo?.zones ?? []) {
    if (z.zone !== 'Movable' || z.present > 0 || z.spanned === 0) continue;
    const offline = hotIds.filter(
      (id) => c.blocks.get(id)?.state === 'offline' && blockNode(c, id) === z.node,
    );
    if (offline.length === 0) continue;
    const hull = ((Math.max(...offline) - Math.min(...offline) + 1) * c.blockSize) / c.g.pageSize;
    if (hull !== z.spanned) continue;
    const found = runs(offline, () => 0);
    for (const r of found) steps.push({ op: 'online', ...blockRange(c, r.first, r.last), zone: 'movable' });
    for (const r of found) steps.push({ op: 'offline', ...blockRange(c, r.first, r.last) });
    c.report.infer(
      `${z.where}: node ${z.node}'s Movable zone spans ${z.spanned} pages with none present, exactly its offline hot-added blocks: onlined movable once, then offlined (5.4 shrinks no zone at offline)`,
    );
  }
  return steps;
}

/** Boot blocks the model cannot boot into: offline ones, and movable ones (kernelcore=/movablecore=). */
function bootBlockSteps(c: Context, ids: readonly number[]): StepJson[] {
  const kind = (id: number) => {
    const b = c.blocks.get(id);
    if (!b) return 'boot';
    if (b.state === 'offline') return 'offline';
    return blockZone(c, b) === 'Movable' ? 'movable' : 'boot';
  };
  const steps: StepJson[] = [];
  for (const r of runs(ids, kind)) {
    if (r.key === 'boot') continue;
    steps.push({ op: 'offline', ...blockRange(c, r.first, r.last) });
    if (r.key === 'movable') steps.push({ op: 'online', ...blockRange(c, r.first, r.last), zone: 'movable' });
    c.report.infer(
      `memory${r.first}${r.last > r.first ? `-memory${r.last}` : ''}: boot memory that is ${r.key === 'offline' ? 'offline: an offline step' : 'in ZONE_MOVABLE: offlined and onlined movable'}`,
    );
  }
  return steps;
}

/** Which input tells a block fact: sysfs, else an lsmem column, else zoneinfo; named as given. */
function sourceOf(
  facts: MachineFacts,
  column: string,
  names: readonly [string, string, string],
): string | undefined {
  if (facts.sysfs) return names[0];
  if (facts.lsmem?.columns.includes(column)) return names[1];
  return facts.zoneinfo ? names[2] : undefined;
}

/** Where block zones and nodes came from, said once. */
function noteSources(c: Context, derived: boolean): void {
  const zones = sourceOf(c.facts, 'zones', [
    'valid_zones',
    'lsmem ZONES',
    "zoneinfo's ZONE_MOVABLE spans (a block inside one is movable, the rest in kernel zones)",
  ]);
  if (zones && !derived) c.report.infer(`zones of online blocks from ${zones}`);
  else if (!zones) c.report.cannotKnow('the zone of online blocks: no valid_zones, lsmem ZONES or zoneinfo');
  const nodes = sourceOf(c.facts, 'node', ['the memoryN/nodeK links', 'lsmem NODE', "zoneinfo's node spans"]);
  if (nodes) c.report.infer(`nodes from ${nodes}`);
  else c.report.cannotKnow('NUMA nodes: no sysfs node links, lsmem NODE or zoneinfo; node 0 assumed');
}

function noteGoingOffline(c: Context): void {
  for (const b of c.blocks.values()) {
    if (b.state === 'going-offline')
      c.report.mismatch(`memory${b.id} is going-offline (an offline in progress): imported as online`);
  }
}

/** Blocks that no System RAM covers (firmware-reserved memory the kernel keeps a memmap for). */
function noteUncovered(c: Context, ram: readonly RamRange[]): void {
  const covered = new Set(ram.flatMap((r) => blockIdsOf(c, r)));
  const missing = [...c.blocks.keys()].filter((id) => !covered.has(id));
  for (const r of runs(missing, () => 0)) {
    c.report.mismatch(
      `memory${r.first}${r.last > r.first ? `-memory${r.last}` : ''}: no System RAM in /proc/iomem covers ${r.last > r.first ? 'them' : 'it'} (firmware-reserved memory?); not reproduced`,
    );
  }
}

/** Trim block-granular boot ranges to the node spans zoneinfo shows (no iomem: no finer holes known). */
function trimToZoneinfo(c: Context, r: { start: number; end: number; node: number }) {
  const zones = populatedZones(c.facts).filter((z) => z.node === r.node);
  if (zones.length === 0) return r;
  const lo = Math.min(...zones.map((z) => z.startPfn!)) * c.g.pageSize;
  const hi = Math.max(...zones.map((z) => z.startPfn! + z.spanned)) * c.g.pageSize;
  return { ...r, start: Math.max(r.start, lo), end: Math.min(r.end, hi) };
}

/** The file the memory ranges came from, for errors. */
function memorySource(facts: MachineFacts): string {
  return facts.iomem?.file ?? facts.sysfs?.dir ?? facts.lsmem?.file ?? 'import';
}

export function inferMemory(
  facts: MachineFacts,
  g: Geometry,
  blockSize: number,
  blocks: Map<number, BlockFact> | undefined,
  report: ReportBuilder,
  archGuessed = false,
): MemoryPlan {
  const c: Context = { facts, g, blockSize, blocks: blocks ?? new Map(), report };
  const withIomem = facts.iomem !== undefined;
  if (!withIomem && !blocks)
    fail('import', 'nothing describes the memory: give a sysfs tree, lsmem output or /proc/iomem');
  const ram = withIomem ? iomemRam(c) : [...blockRam(c), ...daxKmemRam(c)];
  if (ram.length === 0)
    fail(
      memorySource(facts),
      withIomem ? 'no System RAM at all' : 'no memory blocks at all (and no /proc/iomem to show System RAM)',
    );
  if (!blocks) deriveBlocks(c, ram);
  noteSources(c, !blocks);
  if (!withIomem)
    report.cannotKnow(
      'exact boot ranges and holes: without /proc/iomem boot memory is whole blocks (trimmed to zoneinfo node spans); online blocks in kernel zones are taken as boot memory, offline or movable ones as hot-added',
    );
  noteGoingOffline(c);
  if (withIomem && blocks) noteUncovered(c, ram);
  const hot = classify(c, ram, withIomem);
  const boot: RangeJson[] = [];
  const bootIds = new Set<number>();
  const adds: StepJson[] = [];
  const onlines: StepJson[] = [];
  const hotIds: number[] = [];
  ram.forEach((r, i) => {
    const ids = blockIdsOf(c, r);
    if (!hot[i]) {
      for (const piece of byNode(c, r)) {
        const p = withIomem ? piece : trimToZoneinfo(c, piece);
        if (p.end > p.start) boot.push(rangeJson(p.start, p.end, p.node));
      }
      for (const id of ids) bootIds.add(id);
      return;
    }
    for (const piece of byNode(c, r))
      adds.push({ op: 'add_memory', ...rangeJson(piece.start, piece.end, piece.node) });
    onlines.push(...onlineSteps(c, r, ids));
    hotIds.push(...ids);
  });
  onlines.push(...onceMovableSteps(c, hotIds));
  if (boot.length === 0)
    fail(
      memorySource(facts),
      `no boot memory: every range looks hot-added${archGuessed ? ` (for ${g.arch}, which was inferred, not given: if that is wrong, pass --arch)` : ''}`,
    );
  const hotBytes = ram.filter((_, i) => hot[i]).reduce((s, r) => s + r.end - r.start, 0);
  report.infer(
    `${boot.length} boot range(s); ${adds.length} hot-added range(s)${hotBytes ? ` (${formatSize(hotBytes)})` : ''} as add_memory, ${onlines.filter((s) => s.op === 'online').length} online step(s)`,
  );
  const bootEnd = Math.max(...ram.filter((_, i) => !hot[i]).map((r) => r.end));
  return { boot, steps: [...bootBlockSteps(c, [...bootIds]), ...adds, ...onlines], ram, bootEnd };
}
