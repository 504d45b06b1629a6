/**
 * Capturing a Linux machine into a machine directory (src/io/machine-dir.ts)
 * that `pfnlab import` reads: the sysfs memory tree (block_size_bytes and,
 * per block, phys_index, state, valid_zones, removable, online and the node
 * links), /proc/iomem (only as root: r_show() prints zeros otherwise),
 * /proc/zoneinfo, and the output of lsmem, daxctl and ndctl when they are on
 * PATH, run with LC_ALL=C. Everything that could not be read is recorded in
 * the manifest with the reason.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { machine, release } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { isMachineDir, MACHINE_FILES, type MachineManifest, replaceMachineDir } from './machine-dir.js';

export interface CaptureOptions {
  /** The system root to read (tests point it at a fake sysroot). Default "/". */
  readonly root?: string;
  /** Where to search for lsmem, daxctl and ndctl. Default $PATH. */
  readonly path?: string;
  /** The effective uid (root may read /proc/iomem). Default process.getuid(). */
  readonly uid?: number;
}

export interface CaptureResult {
  readonly dir: string;
  readonly manifest: MachineManifest;
}

/** The per-block attributes import needs (drivers/base/memory.c). */
const BLOCK_FILES = ['phys_index', 'state', 'valid_zones', 'removable', 'online'];
const TOP_FILES = ['block_size_bytes', 'auto_online_blocks'];
const LSMEM_ARGS = ['--json', '-b', '-a', '-o', 'RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES'];

interface Log {
  read: { file: string; from: string }[];
  failed: { what: string; why: string }[];
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EACCES' || err.code === 'EPERM') return `permission denied (${err.code}); run as root`;
  if (err.code === 'ENOENT') return 'does not exist';
  return err.message.split('\n')[0];
}

function write(dir: string, rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

function link(dir: string, rel: string, target: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  symlinkSync(target, join(dir, rel));
}

/** Copy one sysfs attribute; a missing one is normal (older kernels, no CONFIG_MEMORY_HOTREMOVE). */
function copyAttribute(root: string, out: string, rel: string, log: Log): boolean {
  try {
    write(out, rel, readFileSync(join(root, rel), 'utf8'));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.failed.push({ what: `/${rel}`, why: why(e) });
    return false;
  }
}

function nodeNames(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^node\d+$/.test(n));
}

function captureBlock(root: string, out: string, name: string, log: Log): void {
  const rel = `${MACHINE_FILES.sysfsMemory}/${name}`;
  for (const f of BLOCK_FILES) copyAttribute(root, out, `${rel}/${f}`, log);
  for (const node of nodeNames(join(root, rel))) link(out, `${rel}/${node}`, `../../node/${node}`);
}

/** node/nodeN/memoryM backlinks. */
function captureNodeLinks(root: string, out: string, log: Log): void {
  const nodeDir = join(root, MACHINE_FILES.sysfsNode);
  if (!existsSync(nodeDir)) return;
  try {
    for (const node of nodeNames(nodeDir)) {
      for (const m of readdirSync(join(nodeDir, node)).filter((n) => /^memory\d+$/.test(n)))
        link(out, `${MACHINE_FILES.sysfsNode}/${node}/${m}`, `../../memory/${m}`);
    }
  } catch (e) {
    log.failed.push({ what: `/${MACHINE_FILES.sysfsNode}`, why: why(e) });
  }
}

function captureSysfs(root: string, out: string, log: Log): void {
  const dir = join(root, MACHINE_FILES.sysfsMemory);
  if (!existsSync(join(dir, 'block_size_bytes'))) {
    log.failed.push({
      what: `/${MACHINE_FILES.sysfsMemory}`,
      why: 'no block_size_bytes: this kernel has no memory block view (CONFIG_MEMORY_HOTPLUG off, or /sys not mounted)',
    });
    return;
  }
  for (const f of TOP_FILES) copyAttribute(root, out, `${MACHINE_FILES.sysfsMemory}/${f}`, log);
  const blocks = readdirSync(dir).filter((n) => /^memory\d+$/.test(n));
  for (const name of blocks) captureBlock(root, out, name, log);
  captureNodeLinks(root, out, log);
  log.read.push({
    file: MACHINE_FILES.sysfsMemory,
    from: `/${MACHINE_FILES.sysfsMemory} (${blocks.length} blocks)`,
  });
}

/** /proc/iomem: r_show() prints every address as 0 to a reader without CAP_SYS_ADMIN. */
function captureIomem(root: string, out: string, uid: number, log: Log): void {
  const rel = MACHINE_FILES.iomem;
  let text: string;
  try {
    text = readFileSync(join(root, rel), 'utf8');
  } catch (e) {
    log.failed.push({ what: `/${rel}`, why: why(e) });
    return;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 0 && lines.every((l) => /^\s*0+-0+ : /.test(l))) {
    log.failed.push({
      what: `/${rel}`,
      why: `every address reads as 0: /proc/iomem shows addresses only to root (CAP_SYS_ADMIN)${uid === 0 ? '' : `, and this runs as uid ${uid}`}; rerun pfnlab capture with sudo`,
    });
    return;
  }
  write(out, rel, text);
  log.read.push({ file: rel, from: `/${rel}` });
}

function captureZoneinfo(root: string, out: string, log: Log): void {
  if (copyAttribute(root, out, MACHINE_FILES.zoneinfo, log))
    log.read.push({ file: MACHINE_FILES.zoneinfo, from: `/${MACHINE_FILES.zoneinfo}` });
  else if (!log.failed.some((f) => f.what === `/${MACHINE_FILES.zoneinfo}`))
    log.failed.push({ what: `/${MACHINE_FILES.zoneinfo}`, why: 'does not exist (is /proc mounted?)' });
}

/** An executable named `name` on the search path. */
function which(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Run a tool with LC_ALL=C (lsmem's STATE and REMOVABLE are translated otherwise) and keep its stdout. */
function captureTool(tool: string, args: string[], file: string, out: string, path: string, log: Log): void {
  const exe = which(tool, path);
  const command = `LC_ALL=C ${tool} ${args.join(' ')}`;
  if (!exe) {
    log.failed.push({ what: command, why: `${tool} is not on PATH` });
    return;
  }
  const r = spawnSync(exe, args, { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) {
    const detail = r.error ? why(r.error) : `exit ${r.status}: ${(r.stderr ?? '').trim().split('\n')[0]}`;
    log.failed.push({ what: command, why: detail });
    return;
  }
  if (r.stdout.trim() === '') {
    log.read.push({ file: '-', from: `${command} (printed nothing: no devices)` });
    return;
  }
  write(out, file, r.stdout);
  log.read.push({ file, from: command });
}

function pageSize(): number | undefined {
  const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** `out` may be written: new, empty, or a machine directory (an earlier capture or export, replaced whole). */
function checkOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new InputError(out, 'exists and is not a directory');
  if (readdirSync(out).length > 0 && !isMachineDir(out))
    throw new InputError(out, 'exists, is not empty and is not a capture directory; pick a new directory');
}

/** A capture that read nothing is no machine: refused (the directory is left as it was). */
function refuseEmpty(root: string, log: Log): void {
  if (log.read.some((r) => r.file !== '-')) return;
  throw new InputError(
    root,
    `nothing to capture: no ${MACHINE_FILES.sysfsMemory}, ${MACHINE_FILES.iomem} or ${MACHINE_FILES.zoneinfo} could be read, and no lsmem output (${log.failed[0]?.why ?? 'nothing found'})`,
  );
}

/**
 * Capture the machine under `root` into `out`. It is written aside and put in place only once
 * complete, so a capture that fails (nothing readable, a full disk) leaves `out` as it was.
 */
export function captureMachine(out: string, opts: CaptureOptions = {}): CaptureResult {
  const root = opts.root ?? '/';
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InputError(root, 'is not a directory');
  checkOut(out);
  const manifest = replaceMachineDir(out, (staging) => captureInto(staging, root, opts));
  return { dir: out, manifest };
}

function captureInto(out: string, root: string, opts: CaptureOptions): MachineManifest {
  const path = opts.path ?? process.env.PATH ?? '';
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const log: Log = { read: [], failed: [] };
  captureSysfs(root, out, log);
  captureIomem(root, out, uid, log);
  captureZoneinfo(root, out, log);
  const sysroot = root === '/' ? [] : ['--sysroot', root];
  captureTool('lsmem', [...LSMEM_ARGS, ...sysroot], MACHINE_FILES.lsmem, out, path, log);
  if (root === '/') {
    captureTool('daxctl', ['list', '-D', '-M'], MACHINE_FILES.daxctl, out, path, log);
    captureTool('ndctl', ['list', '-N'], MACHINE_FILES.ndctl, out, path, log);
  } else {
    log.failed.push({
      what: 'daxctl list, ndctl list',
      why: 'they read the live /sys only (no --sysroot); skipped with --root',
    });
  }
  refuseEmpty(root, log);
  const manifest: MachineManifest = {
    pfnlab: 'capture',
    version: 1,
    host: root === '/' ? { machine: machine(), release: release(), pageSize: pageSize() } : {},
    read: log.read,
    failed: log.failed,
  };
  write(out, MACHINE_FILES.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
