/**
 * A machine directory: what `pfnlab capture` collects on a Linux machine and
 * `pfnlab export` writes for a model, laid out like a sysroot (so that
 * `lsmem --sysroot DIR` reads it too), and what `pfnlab import DIR` reads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { parseJsonText } from './json-text.js';

/** Paths inside a machine directory, relative to it. */
export const MACHINE_FILES = {
  /** /sys/devices/system/memory: block_size_bytes and memoryN/ (drivers/base/memory.c). */
  sysfsMemory: 'sys/devices/system/memory',
  /** /sys/devices/system/node: nodeN/memoryM backlinks (drivers/base/node.c). */
  sysfsNode: 'sys/devices/system/node',
  iomem: 'proc/iomem',
  zoneinfo: 'proc/zoneinfo',
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
  const raw = parseJsonText(readFileSync(path, 'utf8'), path);
  const m = raw as Partial<MachineManifest>;
  if (typeof m !== 'object' || m === null || (m.pfnlab !== 'capture' && m.pfnlab !== 'export'))
    throw new InputError(path, 'not a pfnlab machine manifest (no "pfnlab": "capture" | "export")');
  return { read: [], failed: [], host: {}, ...m } as MachineManifest;
}

/** Does dir look like a machine directory (any of the files above)? */
export function isMachineDir(dir: string): boolean {
  return Object.values(MACHINE_FILES).some((f) => existsSync(join(dir, f)));
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
