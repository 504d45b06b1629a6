/**
 * Exporting a model as the kernel would show it, the one way out: a machine
 * directory (src/io/machine-dir.ts) with any of the sysfs memory tree, lsmem
 * JSON, /proc/zoneinfo and /proc/iomem, plus a manifest giving what
 * `uname -m`, `uname -r` and getconf PAGESIZE would say.
 */
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Geometry } from '../../arch/geometry.js';
import { InputError } from '../../errors.js';
import type { Machine } from '../../model/machine.js';
import {
  isMachineDir,
  MACHINE_FILES,
  type MachineManifest,
  readManifest,
  replaceMachineDir,
} from '../machine-dir.js';
import { iomemText } from './iomem.js';
import { kpageFiles } from './kpageflags.js';
import { lsmemJson } from './lsmem.js';
import { sysfsEntries, type TreeEntry } from './sysfs.js';
import { zoneinfoText } from './zoneinfo.js';

export { iomemText, iomemTree } from './iomem.js';
export {
  KPF_BUDDY,
  KPF_NOPAGE,
  KPF_OFFLINE,
  KPF_RESERVED,
  type KpageRun,
  kpageFiles,
  modelKpageRuns,
} from './kpageflags.js';
export { lsmemJson } from './lsmem.js';
export { sysfsEntries } from './sysfs.js';
export { zoneinfoText } from './zoneinfo.js';

/** The text formats: what `pfnlab export` writes by default. */
export const EXPORT_FORMATS = ['sysfs', 'lsmem', 'zoneinfo', 'iomem'] as const;
/** Binary formats, written only when named: 8 bytes per pfn up to the last present section. */
export const BINARY_EXPORT_FORMATS = ['kpageflags', 'kpagecount'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number] | (typeof BINARY_EXPORT_FORMATS)[number];

export interface ExportOptions {
  readonly formats: readonly ExportFormat[];
  /** lsmem -a: one row per block. */
  readonly lsmemAll?: boolean;
  /** The scenario's name, recorded in the manifest. */
  readonly scenario?: string;
}

/** uname -m for a preset. */
export function unameMachine(g: Geometry): string {
  if (g.arch.startsWith('arm64')) return 'aarch64';
  if (g.arch.startsWith('ppc64')) return 'ppc64le';
  return 'x86_64';
}

/** The entries of each format, paths relative to the directory. */
export function exportEntries(m: Machine, format: ExportFormat, opts: ExportOptions): TreeEntry[] {
  switch (format) {
    case 'sysfs':
      return sysfsEntries(m);
    case 'lsmem':
      return [{ path: MACHINE_FILES.lsmem, text: lsmemJson(m, opts.lsmemAll) }];
    case 'zoneinfo':
      return [{ path: MACHINE_FILES.zoneinfo, text: zoneinfoText(m) }];
    case 'iomem':
      return [{ path: MACHINE_FILES.iomem, text: iomemText(m) }];
    case 'kpageflags':
      return [{ path: MACHINE_FILES.kpageflags, data: kpageFiles(m).kpageflags }];
    case 'kpagecount':
      return [{ path: MACHINE_FILES.kpagecount, data: kpageFiles(m).kpagecount }];
  }
}

/** Write one entry, creating its directory once (made: directories already created). */
function writeEntry(dir: string, e: TreeEntry, made: Set<string>): void {
  const path = join(dir, e.path);
  const parent = dirname(path);
  if (!made.has(parent)) {
    mkdirSync(parent, { recursive: true });
    made.add(parent);
  }
  if ('link' in e) symlinkSync(e.link, path);
  else writeFileSync(path, 'data' in e ? e.data : e.text);
}

/**
 * The directory to write: new, or any directory but a machine directory
 * pfnlab export did not write (a capture, a copied sysroot: real data). An
 * earlier export there is replaced whole, whatever formats it had, so the
 * directory never shows two machines at once.
 */
function checkDir(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new InputError(dir, 'exists and is not a directory');
  if (!isMachineDir(dir)) return;
  const manifest = readManifest(dir);
  if (manifest?.pfnlab !== 'export')
    throw new InputError(
      dir,
      `holds ${manifest ? 'a capture' : 'a machine directory pfnlab export did not write'}; export into another directory`,
    );
}

/** Write the formats into dir; returns the paths written (relative to dir). */
export function exportMachine(m: Machine, out: string, opts: ExportOptions): string[] {
  checkDir(out);
  // Written aside and put in place whole: a failure (a full disk) leaves out as it was.
  return replaceMachineDir(out, (staging) => writeExport(m, staging, opts));
}

function writeExport(m: Machine, dir: string, opts: ExportOptions): string[] {
  const written: string[] = [];
  const made = new Set<string>();
  for (const format of opts.formats) {
    for (const e of exportEntries(m, format, opts)) {
      writeEntry(dir, e, made);
      written.push(e.path);
    }
  }
  const manifest: MachineManifest = {
    pfnlab: 'export',
    version: 1,
    host: { machine: unameMachine(m.g), release: `${m.g.kernel}.0`, pageSize: m.g.pageSize },
    scenario: opts.scenario,
    read: opts.formats.map((f) => ({
      file: f === 'sysfs' ? MACHINE_FILES.sysfsMemory : MACHINE_FILES[f],
      from: 'model',
    })),
    failed: [],
  };
  writeFileSync(join(dir, MACHINE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return written;
}
