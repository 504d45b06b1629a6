/**
 * Parsed facts -> a scenario that reproduces the machine, and the report of
 * how: geometry (infer-geometry), boot memory and hotplug steps
 * (infer-memory), device ranges (infer-devices), then a run of the result
 * held against the files (check).
 */

import { presetParams } from '../../arch/presets.js';
import { InputError } from '../../errors.js';
import type { Machine } from '../../model/machine.js';
import { compareWithFacts, reproduce, type ScenarioJson } from './check.js';
import { blockFacts, type MachineFacts } from './facts.js';
import { inferDevices } from './infer-devices.js';
import { chooseGeometry } from './infer-geometry.js';
import { inferMemory } from './infer-memory.js';
import { type ImportReport, ReportBuilder } from './report.js';

export interface ImportOptions {
  /** An arch preset name; inferred when absent. */
  readonly arch?: string;
  /** The scenario's name. */
  readonly name?: string;
}

export interface ImportResult {
  /** A scenario object valid under schema/scenario.schema.json. */
  readonly scenario: ScenarioJson;
  readonly report: ImportReport;
  /** The model after running the scenario. */
  readonly machine: Machine;
}

function sourcesOf(facts: MachineFacts): string[] {
  return [
    facts.manifest ? 'manifest' : undefined,
    facts.sysfs?.dir,
    facts.lsmem?.file,
    facts.iomem?.file,
    facts.zoneinfo?.file,
    ...facts.dax.map((d) => d.file),
  ].filter((s): s is string => s !== undefined);
}

function skippedOf(facts: MachineFacts): string[] {
  return [
    ...(facts.sysfs?.skipped ?? []),
    ...(facts.lsmem?.skipped ?? []),
    ...(facts.iomem?.skipped ?? []),
    ...(facts.zoneinfo?.skipped ?? []),
    ...facts.dax.flatMap((d) => d.skipped),
  ];
}

/** What no input file can tell, whatever was given. */
function noteLimits(facts: MachineFacts, report: ReportBuilder): void {
  report.cannotKnow(
    'the history: memory removed since boot, pgmaps since unmapped, and whether an offline block was ever online leave no trace in these files',
  );
  report.cannotKnow(
    'page references and pins: the model offlines blocks the real machine may refuse with -EBUSY',
  );
  if (!facts.zoneinfo) report.cannotKnow('zone spans: no /proc/zoneinfo to check the imported zones against');
}

/**
 * The scenario's description: where it came from, how the arch was chosen
 * and how far the model is from the files, so that `pfnlab run DIR` (which
 * prints it) shows what import guessed without the full report.
 */
function describe(report: ReportBuilder): string {
  const how = report.inferred.filter((l) => /^(page size|arch) /.test(l));
  const differs = report.mismatches.length
    ? `; the model differs from the files in ${report.mismatches.length} way(s)`
    : '';
  return `imported from ${report.sources.join(', ')}: ${how.join('; ')}${differs} (pfnlab import gives the report)`;
}

/**
 * Where boot memory ends, for probe_memory_block_size() when no file gives
 * the block size: the memory classified with the arch's smallest block,
 * which every hot-added range is aligned to whatever the real block size
 * is, so that hot-added memory above boot memory does not count. Undefined
 * when a file gives the block size, or the classification fails (the real
 * pass then says why).
 */
function probeBootMemEnd(facts: MachineFacts, options: ImportOptions): number | undefined {
  if (facts.sysfs || facts.lsmem) return undefined;
  const scratch = new ReportBuilder();
  try {
    const small = chooseGeometry(facts, options.arch, scratch, 0);
    const blocks = blockFacts(facts, small.blockSize, scratch);
    return inferMemory(facts, small.geometry, small.blockSize, blocks, scratch).bootEnd;
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  }
}

/** The scenario's hotplug settings: the machine's auto_online_blocks, when it is not the default. */
function hotplugOf(facts: MachineFacts, report: ReportBuilder): { hotplug?: { autoOnlineBlocks: string } } {
  const auto = facts.sysfs?.autoOnlineBlocks;
  if (auto === undefined) return {};
  report.infer(
    `auto_online_blocks ${auto}${auto === 'offline' ? '' : ': add_memory onlines its blocks; blocks the machine has elsewhere are offlined (and onlined) after it'}`,
  );
  return auto === 'offline' ? {} : { hotplug: { autoOnlineBlocks: auto } };
}

export function inferScenario(facts: MachineFacts, options: ImportOptions = {}): ImportResult {
  const report = new ReportBuilder();
  report.sources.push(...sourcesOf(facts));
  report.skip(skippedOf(facts));
  const choice = chooseGeometry(facts, options.arch, report, probeBootMemEnd(facts, options));
  const blocks = blockFacts(facts, choice.blockSize, report);
  const memory = inferMemory(facts, choice.geometry, choice.blockSize, blocks, report, choice.archGuessed);
  const devices = inferDevices(facts, choice.geometry, memory.ram, report);
  const scenario: ScenarioJson = {
    name: options.name ?? facts.manifest?.scenario ?? 'imported',
    description: `imported from ${report.sources.join(', ')}`,
    arch: choice.arch,
    ...(choice.kernel !== presetParams(choice.arch)?.kernel ? { kernel: choice.kernel } : {}),
    overrides: choice.overrides,
    ...hotplugOf(facts, report),
    boot: memory.boot,
    steps: [...memory.steps, ...devices],
  };
  const machine = reproduce(scenario, report);
  compareWithFacts(machine, facts, blocks, report);
  noteLimits(facts, report);
  scenario.description = describe(report);
  return { scenario, report: report.build(choice.arch, choice.kernel, choice.blockSize), machine };
}
