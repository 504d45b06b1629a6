/**
 * The QEMU machine for a scenario: the `verify` section when it has one,
 * otherwise sized from the scenario (boot RAM from its boot ranges, one slot
 * per DIMM, maxmem covering every address it hot-adds).
 *
 * QEMU's pc machine puts RAM below 4 GiB (up to 3 GiB when -m is 3.5 GiB or
 * more, the rest above 4 GiB) and the device-memory region for DIMMs,
 * NVDIMMs and virtio-mem after it: base = 4 GiB + RAM above 4 GiB, rounded up
 * to 1 GiB; size = maxmem - memory + 1 GiB per slot (aligned DIMMs).
 */

import { InputError } from '../errors.js';
import type { Scenario } from '../scenario/index.js';
import { parseSize } from '../units.js';
import type { ColdDevice, QemuConfig } from './qemu.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface NvdimmConfig {
  readonly id: string;
  readonly start: number;
  readonly size: number;
  /** The dax/pfn device's alignment (default 2 MiB). */
  readonly align: number;
}

export interface VirtioMemConfig {
  readonly id: string;
  readonly start: number;
  readonly size: number;
  readonly blockSize: number;
}

/** Boot RAM the kernel treats as persistent memory (memmap=SIZE!START, nd_e820's "Persistent Memory (legacy)"). */
export interface LegacyPmemConfig {
  readonly id: string;
  readonly start: number;
  readonly size: number;
}

export interface VerifyMachine {
  readonly memory: number;
  readonly slots: number;
  readonly maxmem: number;
  readonly nvdimms: readonly NvdimmConfig[];
  readonly virtioMem: readonly VirtioMemConfig[];
  readonly legacyPmem: readonly LegacyPmemConfig[];
  /** QEMU's device-memory region [start, end). */
  readonly hotplug: { readonly start: number; readonly end: number };
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** Where QEMU's pc machine starts its device-memory region for -m memory. */
export function hotplugBase(memory: number): number {
  const lowmemLimit = 0xe0000000;
  const below4g = memory >= lowmemLimit ? 0xc0000000 : memory;
  return roundUp(4 * GiB + (memory - below4g), GiB);
}

function bytes(source: string, path: string, v: unknown): number {
  const n = parseSize(v);
  if (n === undefined) throw new InputError(`${source}: ${path}`, `${JSON.stringify(v)} is not a size`, v);
  return n;
}

export function verifyMachine(s: Scenario): VerifyMachine {
  const raw = (s.verify ?? {}) as Record<string, unknown>;
  const src = s.source;
  const at = (path: string, v: unknown) => bytes(src, `$.verify.${path}`, v);
  const bootTotal = s.boot.reduce((n, r) => n + r.size, 0);
  const memory =
    raw.memory === undefined ? Math.max(256 * MiB, roundUp(bootTotal, 128 * MiB)) : at('memory', raw.memory);
  if (memory % MiB !== 0)
    throw new InputError(`${src}: $.verify.memory`, 'must be a whole number of MiB', memory);
  const nvdimms = ((raw.nvdimms as Record<string, unknown>[] | undefined) ?? []).map((d, i) => ({
    id: d.id as string,
    start: at(`nvdimms[${i}].start`, d.start),
    size: at(`nvdimms[${i}].size`, d.size),
    align: d.align === undefined ? 2 * MiB : at(`nvdimms[${i}].align`, d.align),
  }));
  const virtioMem = ((raw.virtioMem as Record<string, unknown>[] | undefined) ?? []).map((d, i) => ({
    id: d.id as string,
    start: at(`virtioMem[${i}].start`, d.start),
    size: at(`virtioMem[${i}].size`, d.size),
    blockSize: d.blockSize === undefined ? 2 * MiB : at(`virtioMem[${i}].blockSize`, d.blockSize),
  }));
  const legacyPmem = ((raw.legacyPmem as Record<string, unknown>[] | undefined) ?? []).map((d, i) => ({
    id: d.id as string,
    start: at(`legacyPmem[${i}].start`, d.start),
    size: at(`legacyPmem[${i}].size`, d.size),
  }));
  for (const [i, d] of legacyPmem.entries()) {
    if (d.start + d.size > Math.min(memory, 0xc0000000))
      throw new InputError(
        `${src}: $.verify.legacyPmem[${i}]`,
        'must lie inside the boot RAM below 3 GiB',
        d,
      );
  }
  const base = hotplugBase(memory);
  const dimms = s.steps.filter(
    (st) =>
      st.op === 'add_memory' && !virtioMem.some((v) => st.start >= v.start && st.start < v.start + v.size),
  );
  const slots = (raw.slots as number | undefined) ?? Math.max(1, dimms.length + nvdimms.length);
  let highest = base;
  let total = 0;
  for (const r of [...dimms, ...nvdimms, ...virtioMem] as { start: number; size: number }[]) {
    highest = Math.max(highest, r.start + r.size);
    total += r.size;
  }
  // QEMU refuses maxmem equal to -m while there are slots: a boot-only scenario still gets room for one DIMM.
  const need = Math.max(total, highest - base - slots * GiB) || GiB;
  const maxmem = raw.maxmem === undefined ? roundUp(memory + need, GiB) : at('maxmem', raw.maxmem);
  if (maxmem < memory) throw new InputError(`${src}: $.verify.maxmem`, `maxmem is below memory`, maxmem);
  const ids = new Set<string>();
  for (const d of [...nvdimms, ...virtioMem, ...legacyPmem]) {
    if (ids.has(d.id)) throw new InputError(`${src}: $.verify`, `device id '${d.id}' is used twice`, d.id);
    ids.add(d.id);
  }
  return {
    memory,
    slots,
    maxmem,
    nvdimms,
    virtioMem,
    legacyPmem,
    hotplug: { start: base, end: base + (maxmem - memory) + slots * GiB },
  };
}

/** The QEMU configuration: cold-plugged NVDIMMs and virtio-mem devices. */
export function qemuConfig(v: VerifyMachine): QemuConfig {
  const devices: ColdDevice[] = [];
  for (const d of v.nvdimms) {
    devices.push({
      object: `memory-backend-ram,id=mem-${d.id},size=${d.size}`,
      device: `nvdimm,id=${d.id},memdev=mem-${d.id},addr=0x${d.start.toString(16)}`,
    });
  }
  for (const d of v.virtioMem) {
    devices.push({
      object: `memory-backend-ram,id=mem-${d.id},size=${d.size}`,
      device: `virtio-mem-pci,id=${d.id},memdev=mem-${d.id},node=0,requested-size=0,block-size=${d.blockSize},memaddr=0x${d.start.toString(16)}`,
    });
  }
  return {
    memory: v.memory,
    slots: v.slots,
    maxmem: v.maxmem,
    nvdimm: v.nvdimms.length > 0,
    devices,
    append:
      v.legacyPmem.map((p) => `memmap=0x${p.size.toString(16)}!0x${p.start.toString(16)}`).join(' ') ||
      undefined,
  };
}
