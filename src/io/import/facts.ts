/**
 * What the parsed files say about the machine, before any inference: the
 * memory blocks (sysfs, else lsmem), merged into one fact per block.
 */
import type { BlockState } from '../../model/blocks.js';
import type { MachineManifest } from '../machine-dir.js';
import type { DaxInfo } from './daxctl.js';
import type { Iomem } from './iomem.js';
import type { LsmemTable } from './lsmem.js';
import type { ReportBuilder } from './report.js';
import type { SysfsMemory, SysfsZoneName } from './sysfs.js';
import { fail } from './text.js';
import type { Zoneinfo } from './zoneinfo.js';

export interface MachineFacts {
  readonly sysfs?: SysfsMemory;
  readonly lsmem?: LsmemTable;
  readonly iomem?: Iomem;
  readonly zoneinfo?: Zoneinfo;
  readonly dax: readonly DaxInfo[];
  readonly manifest?: MachineManifest;
}

export interface BlockFact {
  readonly id: number;
  readonly state: BlockState;
  /** The zone managing an online block ("none": spans zones), when known. */
  readonly zone?: SysfsZoneName;
  readonly node?: number;
  /** file or file:line */
  readonly where: string;
}

function sysfsBlocks(s: NonNullable<MachineFacts['sysfs']>): Map<number, BlockFact> {
  const out = new Map<number, BlockFact>();
  for (const b of s.blocks) {
    out.set(b.id, {
      id: b.id,
      state: b.state,
      zone: b.state !== 'offline' && b.validZones?.length === 1 ? b.validZones[0] : undefined,
      node: b.nodes[0],
      where: b.where,
    });
  }
  return out;
}

function lsmemBlocks(t: LsmemTable, blockSize: number): Map<number, BlockFact> {
  const out = new Map<number, BlockFact>();
  for (const row of t.rows) {
    const first = row.first ?? row.start / blockSize;
    const last = row.last ?? (row.end - blockSize) / blockSize;
    if (!Number.isInteger(first) || !Number.isInteger(last) || row.start !== first * blockSize) {
      fail(
        row.where,
        `RANGE does not start on a memory block boundary (block size 0x${blockSize.toString(16)})`,
      );
    }
    for (let id = first; id <= last; id++) {
      out.set(id, {
        id,
        state: row.state ?? 'online',
        zone: row.state !== 'offline' && row.zones?.length === 1 ? row.zones[0] : undefined,
        node: row.node,
        where: row.where,
      });
    }
  }
  return out;
}

function crossCheck(
  sysfs: Map<number, BlockFact>,
  lsmem: Map<number, BlockFact>,
  report: ReportBuilder,
): void {
  for (const [id, l] of lsmem) {
    const s = sysfs.get(id);
    if (!s) report.mismatch(`memory${id} is in ${l.where} but not in sysfs (captured at different times?)`);
    else if (s.state !== l.state)
      report.mismatch(`memory${id}: sysfs says ${s.state}, ${l.where} says ${l.state}; sysfs wins`);
  }
}

/** One fact per memory block: sysfs when given (lsmem cross-checked), else lsmem. */
export function blockFacts(
  facts: MachineFacts,
  blockSize: number,
  report: ReportBuilder,
): Map<number, BlockFact> | undefined {
  const lsmem = facts.lsmem ? lsmemBlocks(facts.lsmem, blockSize) : undefined;
  if (facts.sysfs) {
    const sysfs = sysfsBlocks(facts.sysfs);
    if (lsmem) crossCheck(sysfs, lsmem, report);
    return sysfs;
  }
  return lsmem;
}
