/**
 * Run the imported scenario and hold it against the files: a step the model
 * refuses is dropped (and reported), then every memory block and every zone
 * the files show is compared with what the model ends up with.
 */
import { HotplugError, InputError } from '../../errors.js';
import type { Machine } from '../../model/machine.js';
import { ZONE_NAMES, type ZoneName } from '../../model/page-flags.js';
import { runScenario, ScenarioStepError } from '../../ops/scenario-run.js';
import { scenarioFromJson } from '../../scenario/index.js';
import { hex } from '../../units.js';
import type { BlockFact, MachineFacts } from './facts.js';
import type { ReportBuilder } from './report.js';
import type { ZoneinfoZone } from './zoneinfo.js';

export type ScenarioJson = Record<string, unknown> & { steps: Record<string, unknown>[] };

function describeStep(s: Record<string, unknown>): string {
  return [s.op, s.start, s.size, s.type, s.id, s.zone].filter((v) => v !== undefined).join(' ');
}

/** Run the scenario, dropping steps the model refuses; returns the final machine. */
export function reproduce(json: ScenarioJson, report: ReportBuilder): Machine {
  for (;;) {
    // No source: the report describes a refused step itself, with no file to name.
    const scenario = { ...scenarioFromJson(json, 'import'), source: undefined };
    try {
      return runScenario(scenario).machine;
    } catch (e) {
      if (e instanceof ScenarioStepError) {
        const [dropped] = json.steps.splice(e.stepIndex, 1);
        report.mismatch(
          `${describeStep(dropped)}: the model refuses it (${e.message.replace(/^\$\.steps\[\d+\]: /, '')}); dropped`,
        );
        continue;
      }
      if (e instanceof HotplugError)
        throw new InputError('import', `the imported machine does not boot in the model: ${e.message}`);
      throw e;
    }
  }
}

function zoneOfBlock(m: Machine, id: number): string {
  const b = m.blocks.get(id)!;
  return b.zone === null ? 'none' : ZONE_NAMES[b.zone];
}

function compareBlocks(m: Machine, blocks: ReadonlyMap<number, BlockFact>, report: ReportBuilder): void {
  for (const f of blocks.values()) {
    const b = m.blocks.get(f.id);
    const want = f.state === 'going-offline' ? 'online' : f.state;
    if (!b)
      report.mismatch(`memory${f.id} (${f.where}) is ${f.state} on the machine but absent in the model`);
    else if (b.state !== want)
      report.mismatch(`memory${f.id} is ${f.state} on the machine, ${b.state} in the model`);
    else if (want === 'online' && f.zone && f.zone !== zoneOfBlock(m, f.id))
      report.mismatch(
        `memory${f.id} is in zone ${f.zone} on the machine, ${zoneOfBlock(m, f.id)} in the model`,
      );
    else if (f.node !== undefined && b.nid !== f.node)
      report.mismatch(`memory${f.id} is on node ${f.node} on the machine, node ${b.nid} in the model`);
  }
  reportModelOnly(
    [...m.blocks.keys()].filter((id) => !blocks.has(id)).sort((a, b) => a - b),
    report,
  );
}

/** Blocks the model has and the files do not, one line per run of consecutive ids. */
function reportModelOnly(ids: readonly number[], report: ReportBuilder): void {
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    report.mismatch(
      i === j
        ? `memory${ids[i]} exists in the model but not on the machine`
        : `memory${ids[i]}-memory${ids[j]} exist in the model but not on the machine`,
    );
    i = j + 1;
  }
}

function compareZone(m: Machine, z: ZoneinfoZone, report: ReportBuilder): void {
  const id = ZONE_NAMES.indexOf(z.zone as ZoneName);
  if (id < 0) {
    report.mismatch(`${z.where}: the model has no zone ${z.zone}`);
    return;
  }
  const mz = m.nodes.get(z.node)?.zones[id];
  const model = {
    spanned: mz?.spannedPages ?? 0,
    present: mz?.presentPages ?? 0,
    start: mz?.zoneStartPfn ?? 0,
  };
  if (z.zone === 'Device' && z.spanned > model.spanned) {
    report.mismatch(
      `Node ${z.node}, zone Device spans ${z.spanned} pages on the machine, ${model.spanned} in the model: ZONE_DEVICE spans never shrink, so pgmaps since removed left pages the device ranges left do not explain, and zoneinfo prints no start_pfn for this unpopulated zone (zoneinfo_show_print())`,
    );
    return;
  }
  const diffs: string[] = [];
  if (z.spanned !== model.spanned) diffs.push(`spanned ${z.spanned} vs ${model.spanned}`);
  if (z.present !== model.present) diffs.push(`present ${z.present} vs ${model.present}`);
  if (z.startPfn !== undefined && z.spanned > 0 && z.startPfn !== model.start)
    diffs.push(`start_pfn ${hex(z.startPfn)} vs ${hex(model.start)}`);
  if (diffs.length) report.mismatch(`Node ${z.node}, zone ${z.zone} (machine vs model): ${diffs.join(', ')}`);
}

/** Compare the model after the imported scenario with the machine the files describe. */
export function compareWithFacts(
  m: Machine,
  facts: MachineFacts,
  blocks: ReadonlyMap<number, BlockFact> | undefined,
  report: ReportBuilder,
): void {
  if (blocks) compareBlocks(m, blocks, report);
  for (const z of facts.zoneinfo?.zones ?? []) compareZone(m, z, report);
}
