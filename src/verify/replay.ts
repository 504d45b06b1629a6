/**
 * Scenario step -> what the real kernel is asked to do.
 *
 * | step        | guest                                                              |
 * | ----------- | ------------------------------------------------------------------ |
 * | add_memory  | a pc-dimm at the step's address (object-add + device_add addr=), or, inside a virtio-mem device, requested-size grown by the step's size |
 * | online      | memoryN/state <- online / online_kernel / online_movable, block by block |
 * | offline     | memoryN/state <- offline, block by block                           |
 * | remove      | device_del of the DIMM the range is (ACPI eject), or virtio-mem shrunk by the size |
 * | memremap    | the NVDIMM at that range: its raw namespace switched to devdax (dax seed + dax_pmem) or fsdax (pfn seed + nd_pmem), via sysfs |
 * | memunmap    | that dax/pfn device unbound                                        |
 * | pin, unpin  | model only: they stand for the kernel's own unmovable allocations  |
 *
 * What cannot be replayed is planned as `not-replayable` with the reason; the
 * runner skips it on both sides and lists it.
 *
 * This file is the pure plan (steps -> actions, no guest); replay-guest.ts carries
 * the actions out on the guest.
 */
import type { OpSpec } from '../ops/spec.js';
import { hex } from '../units.js';
import type { LegacyPmemConfig, NvdimmConfig, VerifyMachine, VirtioMemConfig } from './config.js';
import type { NotifierEvent } from './selftest.js';

export type GuestAction =
  | { readonly kind: 'plug-dimm'; readonly id: string; readonly start: number; readonly size: number }
  | { readonly kind: 'unplug-dimm'; readonly id: string; readonly start: number; readonly size: number }
  | {
      readonly kind: 'virtio-mem';
      readonly device: VirtioMemConfig;
      readonly requested: number;
      readonly start: number;
      readonly size: number;
    }
  | { readonly kind: 'block-state'; readonly start: number; readonly size: number; readonly value: string }
  | { readonly kind: 'nd-enable'; readonly nvdimm: NvdimmConfig; readonly mode: 'devdax' | 'fsdax' }
  | { readonly kind: 'nd-disable'; readonly nvdimm: NvdimmConfig; readonly mode: 'devdax' | 'fsdax' }
  | { readonly kind: 'legacy-pmem-enable'; readonly pmem: LegacyPmemConfig }
  | { readonly kind: 'legacy-pmem-disable'; readonly pmem: LegacyPmemConfig }
  | {
      readonly kind: 'notifier-error';
      readonly event: NotifierEvent;
      readonly errno: string;
      readonly inner: GuestAction;
    }
  | { readonly kind: 'model-only'; readonly why: string }
  | { readonly kind: 'not-replayable'; readonly why: string };

export function describeAction(a: GuestAction): string {
  const r = (start: number, size: number) => `${hex(start)}+${hex(size)}`;
  switch (a.kind) {
    case 'plug-dimm':
      return `device_add pc-dimm ${a.id} addr=${hex(a.start)} size=${hex(a.size)}`;
    case 'unplug-dimm':
      return `device_del ${a.id}`;
    case 'virtio-mem':
      return `qom-set ${a.device.id} requested-size=${hex(a.requested)}`;
    case 'block-state':
      return `memoryN/state <- ${a.value} for ${r(a.start, a.size)}`;
    case 'nd-enable':
      return `${a.nvdimm.id}: namespace -> ${a.mode}`;
    case 'nd-disable':
      return `${a.nvdimm.id}: ${a.mode} device unbound`;
    case 'legacy-pmem-enable':
      return `insmod nd_e820: ${a.pmem.id} (memmap=) bound to nd_pmem`;
    case 'legacy-pmem-disable':
      return `${a.pmem.id}: namespace unbound from nd_pmem`;
    case 'notifier-error':
      return `${describeAction(a.inner)} with ${a.event} failing (-${a.errno}, memory-notifier-error-inject)`;
    case 'model-only':
      return `model only (${a.why})`;
    case 'not-replayable':
      return `not replayable: ${a.why}`;
  }
}

const ONLINE_VALUE = { normal: 'online_kernel', movable: 'online_movable' } as const;

/** What the plan has replayed so far: the DIMMs plugged, each virtio-mem device's size, the pgmaps. */
interface ReplayPlanState {
  readonly vm: VerifyMachine;
  readonly dimms: { id: string; start: number; size: number }[];
  /** virtio-mem device id -> bytes plugged. */
  readonly plugged: Map<string, number>;
  readonly pgmaps: Map<string, { nvdimm: NvdimmConfig; mode: 'devdax' | 'fsdax' }>;
  readonly legacyMaps: Map<string, LegacyPmemConfig>;
  nextDimm: number;
}

/** Map every step to a guest action, tracking DIMMs, virtio-mem sizes and pgmaps. */
export function planReplay(steps: readonly OpSpec[], vm: VerifyMachine): GuestAction[] {
  const state: ReplayPlanState = {
    vm,
    dimms: [],
    plugged: new Map(vm.virtioMem.map((d) => [d.id, 0])),
    pgmaps: new Map(),
    legacyMaps: new Map(),
    nextDimm: 1,
  };
  return steps.map((s) => planStep(state, s));
}

function planStep(state: ReplayPlanState, s: OpSpec): GuestAction {
  switch (s.op) {
    case 'add_memory':
      return planAddMemory(state, s.start, s.size, s.node ?? 0);
    case 'online':
      return {
        kind: 'block-state',
        start: s.start,
        size: s.size,
        value: s.zone ? ONLINE_VALUE[s.zone] : 'online',
      };
    case 'offline':
      return { kind: 'block-state', start: s.start, size: s.size, value: 'offline' };
    case 'remove':
      return planRemove(state, s.start, s.size);
    case 'memremap':
      return planMemremap(state, s);
    case 'memunmap':
      return planMemunmap(state, s.id);
    case 'pin':
    case 'unpin':
      return { kind: 'model-only', why: "stands for the kernel's own unmovable pages" };
  }
}

function rangeText(start: number, size: number): string {
  return `[${hex(start)}-${hex(start + size - 1)}]`;
}

function virtioMemAt(vm: VerifyMachine, start: number): VirtioMemConfig | undefined {
  return vm.virtioMem.find((d) => start >= d.start && start < d.start + d.size);
}

/** add_memory: virtio-mem grown from its top when the range is inside one, else a pc-dimm. */
function planAddMemory(state: ReplayPlanState, start: number, size: number, node: number): GuestAction {
  const { vm } = state;
  const dev = virtioMemAt(vm, start);
  if (dev) {
    const have = state.plugged.get(dev.id)!;
    if (start !== dev.start + have)
      return {
        kind: 'not-replayable',
        why: `virtio-mem ${dev.id} grows from ${hex(dev.start + have)} upward; ${rangeText(start, size)} is not next`,
      };
    if (have + size > dev.size)
      return { kind: 'not-replayable', why: `virtio-mem ${dev.id} has only ${hex(dev.size)} bytes` };
    state.plugged.set(dev.id, have + size);
    return { kind: 'virtio-mem', device: dev, requested: have + size, start, size };
  }
  if (node !== 0)
    return {
      kind: 'not-replayable',
      why: `the guest has one node; node ${node} is not modelled in QEMU`,
    };
  if (start < vm.hotplug.start || start + size > vm.hotplug.end)
    return {
      kind: 'not-replayable',
      why: `${rangeText(start, size)} lies outside QEMU's device-memory region ${rangeText(vm.hotplug.start, vm.hotplug.end - vm.hotplug.start)}`,
    };
  const id = `dimm${state.nextDimm++}`;
  state.dimms.push({ id, start, size });
  return { kind: 'plug-dimm', id, start, size };
}

/** remove: virtio-mem shrunk from its top, or the whole DIMM an earlier add_memory plugged. */
function planRemove(state: ReplayPlanState, start: number, size: number): GuestAction {
  const dev = virtioMemAt(state.vm, start);
  if (dev) {
    const have = state.plugged.get(dev.id)!;
    if (start + size !== dev.start + have)
      return {
        kind: 'not-replayable',
        why: `virtio-mem ${dev.id} shrinks from its top (${hex(dev.start + have)}) down`,
      };
    state.plugged.set(dev.id, have - size);
    return { kind: 'virtio-mem', device: dev, requested: have - size, start, size };
  }
  const i = state.dimms.findIndex((d) => d.start === start && d.size === size);
  if (i < 0)
    return {
      kind: 'not-replayable',
      why: `${rangeText(start, size)} is not one whole DIMM that an earlier add_memory plugged (device_del removes whole DIMMs)`,
    };
  const [d] = state.dimms.splice(i, 1);
  return { kind: 'unplug-dimm', ...d };
}

/** memremap: a legacy pmem range bound to nd_pmem, or an NVDIMM namespace switched to devdax/fsdax. */
function planMemremap(state: ReplayPlanState, s: Extract<OpSpec, { op: 'memremap' }>): GuestAction {
  const { vm } = state;
  const legacy = vm.legacyPmem.find((d) => d.start === s.start && d.size === s.size);
  if (legacy) {
    if (s.type !== 'fsdax' || s.altmap)
      return {
        kind: 'not-replayable',
        why: `legacy pmem is mapped by nd_pmem as fsdax with its memmap in RAM (no altmap)`,
      };
    state.legacyMaps.set(s.id, legacy);
    return { kind: 'legacy-pmem-enable', pmem: legacy };
  }
  const nv = vm.nvdimms.find((d) => d.start === s.start && d.size === s.size);
  if (!nv)
    return {
      kind: 'not-replayable',
      why: `no NVDIMM in $.verify.nvdimms is exactly ${rangeText(s.start, s.size)}`,
    };
  if (s.type !== 'devdax' && s.type !== 'fsdax')
    return {
      kind: 'not-replayable',
      why: `${s.type} memory has no device QEMU can emulate for this kernel (devdax and fsdax can)`,
    };
  state.pgmaps.set(s.id, { nvdimm: nv, mode: s.type });
  return { kind: 'nd-enable', nvdimm: nv, mode: s.type };
}

/** memunmap: the device the replayed memremap of that pgmap enabled, disabled. */
function planMemunmap(state: ReplayPlanState, id: string): GuestAction {
  const legacy = state.legacyMaps.get(id);
  if (legacy) {
    state.legacyMaps.delete(id);
    return { kind: 'legacy-pmem-disable', pmem: legacy };
  }
  const p = state.pgmaps.get(id);
  if (!p) return { kind: 'not-replayable', why: `pgmap '${id}' was not created by a replayed memremap` };
  state.pgmaps.delete(id);
  return { kind: 'nd-disable', ...p };
}
