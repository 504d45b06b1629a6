/**
 * /sys/devices/system/memory (drivers/base/memory.c): block_size_bytes
 * (block_size_bytes_show(), "%lx"), and per memoryN (N decimal, need not start
 * at 0): phys_index (phys_index_show(), "%08lx", the same id in hex), state
 * (state_show(): online, offline, going-offline), valid_zones
 * (valid_zones_show()), removable, and a nodeK link (drivers/base/node.c,
 * do_register_memory_block_under_node(); backlink node/nodeK/memoryN); and
 * auto_online_blocks (auto_online_blocks_show(): what add_memory() does with
 * new blocks, memhp_default_online_type's name).
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BlockState } from '../../model/blocks.js';
import { AUTO_ONLINE_BLOCKS, type AutoOnlineBlocks } from '../../model/hotplug-settings.js';
import { MACHINE_FILES } from '../machine-dir.js';
import { readInputText } from '../read-input.js';
import { fail, kernelLines, parseDecimal, parseHex, Skipped } from './text.js';

/** Zone names as valid_zones_show() prints them (zone->name, plus "none"). */
export const SYSFS_ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'HighMem', 'Movable', 'Device', 'none'] as const;
export type SysfsZoneName = (typeof SYSFS_ZONE_NAMES)[number];

export interface SysfsBlock {
  readonly id: number;
  readonly state: BlockState;
  /** valid_zones: the managing zone of an online block; the default first, then alternatives, when offline. */
  readonly validZones?: readonly SysfsZoneName[];
  /** From memoryN/nodeK (or node/nodeK/memoryN). */
  readonly nodes: readonly number[];
  readonly where: string;
}

export interface SysfsMemory {
  readonly dir: string;
  readonly blockSize: number;
  /** auto_online_blocks, when the tree has it. */
  readonly autoOnlineBlocks?: AutoOnlineBlocks;
  readonly blocks: readonly SysfsBlock[];
  readonly skipped: readonly string[];
}

/** Attributes every kernel may have; read or knowingly ignored. */
const KNOWN_BLOCK_ENTRIES = new Set([
  'phys_index',
  'state',
  'valid_zones',
  'removable',
  'online',
  'phys_device',
  'uevent',
  'power',
  'subsystem',
  'driver',
  'memmap_on_memory',
]);
const KNOWN_TOP_ENTRIES = new Set([
  'block_size_bytes',
  'auto_online_blocks',
  'probe',
  'soft_offline_page',
  'hard_offline_page',
  'crash_hotplug',
  'uevent',
  'power',
  'hotplug',
]);

/** The one line of a sysfs attribute file. */
function attribute(path: string): string {
  const lines = kernelLines(readInputText(path), path);
  if (lines.length !== 1) fail(`${path}:2`, `expected one line, found ${lines.length}`);
  return lines[0].text.trim();
}

/**
 * The memory directory for a path that is the memory directory itself, a
 * /sys directory, or a sysroot (a capture or export directory).
 */
export function findSysfsMemoryDir(dir: string): string | undefined {
  for (const candidate of [dir, join(dir, 'devices/system/memory'), join(dir, MACHINE_FILES.sysfsMemory)]) {
    refuseSymlinkLoop(candidate);
    if (existsSync(join(candidate, 'block_size_bytes'))) return candidate;
  }
  return undefined;
}

/** A path that is there but cannot be followed (a symlink loop) is refused, not taken for absent. */
function refuseSymlinkLoop(path: string): void {
  try {
    statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') fail(path, 'a symlink loop', path);
  }
}

function parseBlockSize(dir: string): number {
  const path = join(dir, 'block_size_bytes');
  const text = attribute(path);
  const size = parseHex(text, `${path}:1`, 'block_size_bytes');
  if (Number.isInteger(Math.log2(size))) return size;
  // block_size_bytes_show() prints "%lx": a power of two read as decimal is a copy rewritten in decimal.
  const decimal = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const hint = Number.isInteger(Math.log2(decimal))
    ? `: the file is hex without 0x ("%lx"), and ${text} looks decimal (hex ${decimal.toString(16)})`
    : '';
  return fail(`${path}:1`, `block size 0x${size.toString(16)} is not a power of two${hint}`, text);
}

/** auto_online_blocks: offline or online (every release), online_kernel or online_movable (5.7 on). */
function parseAutoOnline(dir: string): AutoOnlineBlocks | undefined {
  const path = join(dir, 'auto_online_blocks');
  if (!existsSync(path)) return undefined;
  const s = attribute(path);
  if ((AUTO_ONLINE_BLOCKS as readonly string[]).includes(s)) return s as AutoOnlineBlocks;
  return fail(
    `${path}:1`,
    `auto_online_blocks '${s.slice(0, 40)}' is not ${AUTO_ONLINE_BLOCKS.join(', ')}`,
    s,
  );
}

function parseState(path: string): BlockState {
  const s = attribute(path);
  if (s === 'online' || s === 'offline' || s === 'going-offline') return s;
  return fail(`${path}:1`, `state '${s}' is not online, offline or going-offline`, s);
}

function parseValidZones(path: string): SysfsZoneName[] {
  const tokens = attribute(path).split(/\s+/).filter(Boolean);
  if (tokens.length === 0) fail(`${path}:1`, 'valid_zones is empty');
  for (const t of tokens) {
    if (!(SYSFS_ZONE_NAMES as readonly string[]).includes(t))
      fail(`${path}:1`, `'${t}' is not a zone name (${SYSFS_ZONE_NAMES.join(', ')})`, t);
  }
  return tokens as SysfsZoneName[];
}

/** nodeK entries of a directory: links (as the kernel makes them) or copies. */
function nodeEntries(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => /^node(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** node/nodeK/memoryN backlinks: block id -> nodes. */
function nodeBacklinks(memoryDir: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const nodeDir = join(memoryDir, '..', 'node');
  if (!existsSync(nodeDir)) return out;
  for (const nid of nodeEntries(nodeDir)) {
    for (const name of readdirSync(join(nodeDir, `node${nid}`))) {
      const m = /^memory(\d+)$/.exec(name);
      if (!m) continue;
      const id = Number(m[1]);
      out.set(id, [...(out.get(id) ?? []), nid]);
    }
  }
  return out;
}

function readBlock(
  dir: string,
  name: string,
  backlinks: Map<number, number[]>,
  skipped: Skipped,
): SysfsBlock {
  const id = Number(name.slice('memory'.length));
  const blockDir = join(dir, name);
  const indexPath = join(blockDir, 'phys_index');
  if (!existsSync(indexPath)) fail(blockDir, 'has no phys_index: not a memory block directory');
  const index = parseHex(attribute(indexPath), `${indexPath}:1`, 'phys_index');
  if (index !== id) {
    fail(
      `${indexPath}:1`,
      `phys_index is block ${index} (hex ${index.toString(16)}), but the directory is memory${id}; phys_index is "%08lx" hex of the directory's decimal number`,
    );
  }
  const statePath = join(blockDir, 'state');
  if (!existsSync(statePath)) fail(blockDir, 'has no state file');
  const zonesPath = join(blockDir, 'valid_zones');
  for (const entry of readdirSync(blockDir)) {
    if (!KNOWN_BLOCK_ENTRIES.has(entry) && !/^node\d+$/.test(entry)) skipped.note(entry, `${name}/${entry}`);
  }
  const linked = nodeEntries(blockDir);
  return {
    id,
    state: parseState(statePath),
    validZones: existsSync(zonesPath) ? parseValidZones(zonesPath) : undefined,
    nodes: linked.length ? linked : (backlinks.get(id) ?? []),
    where: blockDir,
  };
}

/** Read a sysfs memory tree (a live /sys or a copy). */
export function readSysfsMemory(path: string): SysfsMemory {
  const dir = findSysfsMemoryDir(path);
  if (!dir) {
    fail(
      path,
      'no block_size_bytes here or under devices/system/memory or sys/devices/system/memory: not a sysfs memory tree (is CONFIG_MEMORY_HOTPLUG off?)',
    );
  }
  const blockSize = parseBlockSize(dir);
  const skipped = new Skipped();
  const backlinks = nodeBacklinks(dir);
  const blocks: SysfsBlock[] = [];
  for (const name of readdirSync(dir)) {
    if (/^memory\d+$/.test(name)) {
      parseDecimal(name.slice(6), join(dir, name), 'block number');
      blocks.push(readBlock(dir, name, backlinks, skipped));
    } else if (!KNOWN_TOP_ENTRIES.has(name) && !lstatSync(join(dir, name)).isSymbolicLink()) {
      skipped.note(name, name);
    }
  }
  blocks.sort((a, b) => a.id - b.id);
  const autoOnlineBlocks = parseAutoOnline(dir);
  return {
    dir,
    blockSize,
    ...(autoOnlineBlocks ? { autoOnlineBlocks } : {}),
    blocks,
    skipped: skipped.list(dir),
  };
}
