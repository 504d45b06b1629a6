/**
 * Importing a real machine, the one way in: read whichever of the sysfs
 * memory tree, lsmem output, /proc/iomem, /proc/zoneinfo and daxctl/ndctl
 * JSON are given (or found in a capture or export directory), and infer a
 * scenario that reproduces the machine.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { type Scenario, scenarioFromJson } from '../../scenario/index.js';
import { isMachineDir, MACHINE_FILES, readManifest, withFileErrors } from '../machine-dir.js';
import { readInputText } from '../read-input.js';
import { parseDaxctl } from './daxctl.js';
import type { MachineFacts } from './facts.js';
import { type ImportOptions, type ImportResult, inferScenario } from './infer.js';
import { parseIomem } from './iomem.js';
import { parseLsmem } from './lsmem.js';
import { findSysfsMemoryDir, readSysfsMemory } from './sysfs.js';
import { parseZoneinfo } from './zoneinfo.js';

export type { ImportOptions, ImportResult } from './infer.js';
export type { ImportReport } from './report.js';

export interface ImportSources {
  /** A directory written by `pfnlab capture` or `pfnlab export` (or any sysroot-like copy). */
  readonly dir?: string;
  /** /sys/devices/system/memory, a /sys, or a sysroot holding one. */
  readonly sysfs?: string;
  readonly lsmem?: string;
  readonly iomem?: string;
  readonly zoneinfo?: string;
  /** daxctl list and/or ndctl list -N JSON files. */
  readonly daxctl?: readonly string[];
}

/** A file of the machine directory, when it is there. */
function inDir(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  const path = join(dir, file);
  return existsSync(path) ? path : undefined;
}

function checkDir(dir: string): void {
  if (!existsSync(dir)) throw new InputError(dir, 'no such directory');
  if (!statSync(dir).isDirectory())
    throw new InputError(
      dir,
      'is a file, not a capture or export directory; name single files with --lsmem, --iomem, --zoneinfo or --daxctl',
    );
  if (!isMachineDir(dir))
    throw new InputError(
      dir,
      `holds none of ${Object.values(MACHINE_FILES).join(', ')}: not a capture or export directory`,
    );
}

/** Read and parse every given source; a directory supplies what is not given explicitly. */
export function readMachineFacts(src: ImportSources): MachineFacts {
  if (src.dir) checkDir(src.dir);
  const sysfsPath = src.sysfs ?? (src.dir && findSysfsMemoryDir(src.dir) ? src.dir : undefined);
  const lsmem = src.lsmem ?? inDir(src.dir, MACHINE_FILES.lsmem);
  const iomem = src.iomem ?? inDir(src.dir, MACHINE_FILES.iomem);
  const zoneinfo = src.zoneinfo ?? inDir(src.dir, MACHINE_FILES.zoneinfo);
  const dax = src.daxctl ?? [inDir(src.dir, MACHINE_FILES.daxctl), inDir(src.dir, MACHINE_FILES.ndctl)];
  if (!sysfsPath && !lsmem && !iomem)
    throw new InputError(
      'import',
      'nothing describes the memory: give --sysfs, --lsmem or --iomem (or a capture directory)',
    );
  return {
    manifest: src.dir ? readManifest(src.dir) : undefined,
    sysfs: sysfsPath ? readSysfsMemory(sysfsPath) : undefined,
    lsmem: lsmem ? parseLsmem(readInputText(lsmem), lsmem) : undefined,
    iomem: iomem ? parseIomem(readInputText(iomem), iomem) : undefined,
    zoneinfo: zoneinfo ? parseZoneinfo(readInputText(zoneinfo), zoneinfo) : undefined,
    dax: dax.filter((f): f is string => f !== undefined).map((f) => parseDaxctl(readInputText(f), f)),
  };
}

/** Import a machine: the scenario (raw and converted) and the report. */
export function importMachine(
  src: ImportSources,
  options: ImportOptions = {},
): ImportResult & { readonly converted: Scenario } {
  const facts = withFileErrors(() => readMachineFacts(src));
  const name = options.name ?? facts.manifest?.scenario ?? (src.dir ? basename(resolve(src.dir)) : undefined);
  const result = inferScenario(facts, { ...options, name });
  const source = src.dir ? `import:${src.dir}` : 'import';
  return { ...result, converted: scenarioFromJson(result.scenario, source) };
}
