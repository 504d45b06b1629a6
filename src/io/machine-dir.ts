/**
 * A machine directory: what `pfnlab capture` collects on a Linux machine and
 * `pfnlab export` writes for a model, laid out like a sysroot (so that
 * `lsmem --sysroot DIR` reads it too), and what `pfnlab import DIR` reads.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { parseJsonText } from '../scenario/json-text.js';
import { readInputText } from './read-input.js';

/** Paths inside a machine directory, relative to it. */
export const MACHINE_FILES = {
  /** /sys/devices/system/memory: block_size_bytes and memoryN/ (drivers/base/memory.c). */
  sysfsMemory: 'sys/devices/system/memory',
  /** /sys/devices/system/node: nodeN/memoryM backlinks (drivers/base/node.c). */
  sysfsNode: 'sys/devices/system/node',
  iomem: 'proc/iomem',
  zoneinfo: 'proc/zoneinfo',
  /** /proc/kpageflags, /proc/kpagecount: a little-endian u64 per pfn (fs/proc/page.c). */
  kpageflags: 'proc/kpageflags',
  kpagecount: 'proc/kpagecount',
  /** `lsmem --json -b [-a] -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES` */
  lsmem: 'lsmem.json',
  /** `daxctl list -D -M` (or -R -D -M) */
  daxctl: 'daxctl.json',
  /** `ndctl list -N` */
  ndctl: 'ndctl.json',
  manifest: 'pfnlab-machine.json',
} as const;

/** What the machine said about itself, and what was read or could not be. */
export interface MachineManifest {
  /** Who wrote the directory. */
  readonly pfnlab: 'capture' | 'export';
  readonly version: 1;
  readonly host: {
    /** `uname -m`: x86_64, aarch64, ppc64le... */
    readonly machine?: string;
    /** `uname -r` */
    readonly release?: string;
    /** getconf PAGESIZE */
    readonly pageSize?: number;
  };
  /** The scenario an export came from. */
  readonly scenario?: string;
  readonly read: readonly { readonly file: string; readonly from: string }[];
  readonly failed: readonly { readonly what: string; readonly why: string }[];
}

export function readManifest(dir: string): MachineManifest | undefined {
  const path = join(dir, MACHINE_FILES.manifest);
  if (!existsSync(path)) return undefined;
  const raw = parseJsonText(readInputText(path), path);
  const m = raw as Partial<MachineManifest>;
  if (typeof m !== 'object' || m === null || (m.pfnlab !== 'capture' && m.pfnlab !== 'export'))
    throw new InputError(path, 'not a pfnlab machine manifest (no "pfnlab": "capture" | "export")');
  checkHost(path, m.host);
  return { read: [], failed: [], host: {}, ...m } as MachineManifest;
}

/** The page sizes the importer models (getconf PAGESIZE on x86_64, arm64, ppc64le). */
const MANIFEST_PAGE_SIZES = [4096, 16384, 65536];

/** The manifest's host section: strings where uname prints them, a page size the model has. */
function checkHost(path: string, host: unknown): void {
  if (host === undefined) return;
  if (typeof host !== 'object' || host === null || Array.isArray(host))
    throw new InputError(`${path}: host`, 'must be an object', host);
  const h = host as Record<string, unknown>;
  for (const key of ['machine', 'release'] as const)
    if (h[key] !== undefined && typeof h[key] !== 'string')
      throw new InputError(`${path}: host.${key}`, 'must be a string', h[key]);
  if (h.pageSize !== undefined && !MANIFEST_PAGE_SIZES.includes(h.pageSize as number))
    throw new InputError(
      `${path}: host.pageSize`,
      `must be one of ${MANIFEST_PAGE_SIZES.join(', ')}, got ${JSON.stringify(h.pageSize)}`,
      h.pageSize,
    );
}

/** Does dir look like a machine directory (any of the files above)? */
export function isMachineDir(dir: string): boolean {
  return Object.values(MACHINE_FILES).some((f) => existsSync(join(dir, f)));
}

/** The directories holding MACHINE_FILES, deepest first (removed when a replacement leaves them empty). */
const MACHINE_PARENTS = ['sys/devices/system', 'sys/devices', 'sys', 'proc'];

/** Something is at path, a dangling symlink included (existsSync follows links and says no). */
function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * mkdir -p that ends: Node's recursive mkdirSync spins forever where a parent exists but
 * cannot hold children (/proc/x: mkdir says ENOENT there, EEXIST for /proc). Each missing
 * directory is made once and the first error thrown. Returns the topmost directory it
 * created (to remove again on failure), or undefined when dir existed.
 */
export function makeDirs(dir: string): string | undefined {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!lexists(at)) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (!existsSync(at)) throw new InputError(at, 'is a symbolic link to nothing', at);
  if (!statSync(at).isDirectory()) throw new InputError(at, 'is not a directory', at);
  for (const d of missing) mkdirSync(d);
  return missing[0];
}

function removeIfEmpty(path: string): void {
  if (existsSync(path) && readdirSync(path).length === 0) rmdirSync(path);
}

/** A fresh directory to write out's new files into; its failure names out, not the temporary name. */
function stagingDir(out: string, existed: boolean): string {
  try {
    return existed
      ? mkdtempSync(join(out, '.pfnlab-'))
      : mkdtempSync(join(dirname(resolve(out)), `.${basename(resolve(out))}.pfnlab-`));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw e;
    const hint = code === 'EACCES' || code === 'EPERM' ? ' (run as root?)' : '';
    throw new InputError(out, `mkdir: ${code}${hint}`, out);
  }
}

/**
 * Write a machine directory so that a failure leaves `out` as it was: fill() writes into a
 * fresh staging directory; only when it returns do the new files replace the machine files
 * `out` held (other files there are kept). On an error the staging directory, and any
 * directory made for `out`, are removed.
 */
export function replaceMachineDir<T>(out: string, fill: (staging: string) => T): T {
  const existed = lexists(out);
  const created = existed ? undefined : makeDirs(dirname(resolve(out)));
  let staging: string | undefined;
  try {
    // Inside out when it exists: the renames stay in one directory, and out's parent may be read-only.
    staging = stagingDir(out, existed);
    const result = fill(staging);
    if (!existed) {
      renameSync(staging, out);
      return result;
    }
    for (const f of Object.values(MACHINE_FILES)) rmSync(join(out, f), { recursive: true, force: true });
    for (const d of MACHINE_PARENTS) removeIfEmpty(join(out, d));
    for (const f of Object.values(MACHINE_FILES)) {
      if (!lexists(join(staging, f))) continue;
      makeDirs(dirname(join(out, f)));
      renameSync(join(staging, f), join(out, f));
    }
    rmSync(staging, { recursive: true, force: true });
    return result;
  } catch (e) {
    if (staging) rmSync(staging, { recursive: true, force: true });
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Run fn, turning a file-system error (EACCES, ENOTDIR, ENOSPC...) into one InputError line naming
 * the path: `path` when given (a write's error carries none, a temporary file's names the wrong one).
 */
export function withFileErrors<T>(fn: () => T, path?: string): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err?.code === 'string' && typeof err.syscall === 'string') {
      const hint = err.code === 'EACCES' || err.code === 'EPERM' ? ' (run as root?)' : '';
      throw new InputError(path ?? err.path ?? err.syscall, `${err.syscall}: ${err.code}${hint}`, path);
    }
    throw e;
  }
}
