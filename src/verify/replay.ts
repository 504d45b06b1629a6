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
 */
import type { OpSpec } from '../ops/spec.js';
import { hex } from '../units.js';
import { errnoFromMessage } from './agent.js';
import type { LegacyPmemConfig, NvdimmConfig, VerifyMachine, VirtioMemConfig } from './config.js';
import type { Guest } from './qemu.js';
import { QmpError } from './qmp.js';
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

/** Map every step to a guest action, tracking DIMMs, virtio-mem sizes and pgmaps. */
export function planReplay(steps: readonly OpSpec[], vm: VerifyMachine): GuestAction[] {
  const dimms: { id: string; start: number; size: number }[] = [];
  const plugged = new Map<string, number>(vm.virtioMem.map((d) => [d.id, 0]));
  const pgmaps = new Map<string, { nvdimm: NvdimmConfig; mode: 'devdax' | 'fsdax' }>();
  const legacyMaps = new Map<string, LegacyPmemConfig>();
  let nextDimm = 1;
  const vmemAt = (start: number) => vm.virtioMem.find((d) => start >= d.start && start < d.start + d.size);
  const rangeText = (start: number, size: number) => `[${hex(start)}-${hex(start + size - 1)}]`;
  const planStep = (s: OpSpec): GuestAction => {
    switch (s.op) {
      case 'add_memory': {
        const dev = vmemAt(s.start);
        if (dev) {
          const have = plugged.get(dev.id)!;
          if (s.start !== dev.start + have)
            return {
              kind: 'not-replayable',
              why: `virtio-mem ${dev.id} grows from ${hex(dev.start + have)} upward; ${rangeText(s.start, s.size)} is not next`,
            };
          if (have + s.size > dev.size)
            return { kind: 'not-replayable', why: `virtio-mem ${dev.id} has only ${hex(dev.size)} bytes` };
          plugged.set(dev.id, have + s.size);
          return { kind: 'virtio-mem', device: dev, requested: have + s.size, start: s.start, size: s.size };
        }
        if ((s.node ?? 0) !== 0)
          return {
            kind: 'not-replayable',
            why: `the guest has one node; node ${s.node} is not modelled in QEMU`,
          };
        if (s.start < vm.hotplug.start || s.start + s.size > vm.hotplug.end)
          return {
            kind: 'not-replayable',
            why: `${rangeText(s.start, s.size)} lies outside QEMU's device-memory region ${rangeText(vm.hotplug.start, vm.hotplug.end - vm.hotplug.start)}`,
          };
        const id = `dimm${nextDimm++}`;
        dimms.push({ id, start: s.start, size: s.size });
        return { kind: 'plug-dimm', id, start: s.start, size: s.size };
      }
      case 'online':
        return {
          kind: 'block-state',
          start: s.start,
          size: s.size,
          value: s.zone ? ONLINE_VALUE[s.zone] : 'online',
        };
      case 'offline':
        return { kind: 'block-state', start: s.start, size: s.size, value: 'offline' };
      case 'remove': {
        const dev = vmemAt(s.start);
        if (dev) {
          const have = plugged.get(dev.id)!;
          if (s.start + s.size !== dev.start + have)
            return {
              kind: 'not-replayable',
              why: `virtio-mem ${dev.id} shrinks from its top (${hex(dev.start + have)}) down`,
            };
          plugged.set(dev.id, have - s.size);
          return { kind: 'virtio-mem', device: dev, requested: have - s.size, start: s.start, size: s.size };
        }
        const i = dimms.findIndex((d) => d.start === s.start && d.size === s.size);
        if (i < 0)
          return {
            kind: 'not-replayable',
            why: `${rangeText(s.start, s.size)} is not one whole DIMM that an earlier add_memory plugged (device_del removes whole DIMMs)`,
          };
        const [d] = dimms.splice(i, 1);
        return { kind: 'unplug-dimm', ...d };
      }
      case 'memremap': {
        const legacy = vm.legacyPmem.find((d) => d.start === s.start && d.size === s.size);
        if (legacy) {
          if (s.type !== 'fsdax' || s.altmap)
            return {
              kind: 'not-replayable',
              why: `legacy pmem is mapped by nd_pmem as fsdax with its memmap in RAM (no altmap)`,
            };
          legacyMaps.set(s.id, legacy);
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
        pgmaps.set(s.id, { nvdimm: nv, mode: s.type });
        return { kind: 'nd-enable', nvdimm: nv, mode: s.type };
      }
      case 'memunmap': {
        const legacy = legacyMaps.get(s.id);
        if (legacy) {
          legacyMaps.delete(s.id);
          return { kind: 'legacy-pmem-disable', pmem: legacy };
        }
        const p = pgmaps.get(s.id);
        if (!p)
          return { kind: 'not-replayable', why: `pgmap '${s.id}' was not created by a replayed memremap` };
        pgmaps.delete(s.id);
        return { kind: 'nd-disable', ...p };
      }
      case 'pin':
      case 'unpin':
        return { kind: 'model-only', why: "stands for the kernel's own unmovable pages" };
    }
  };
  return steps.map(planStep);
}

/**
 * Verify's own failure on the guest (a wait that timed out, a shell error in
 * the agent, a missing sysfs file): never a kernel refusal. The runner
 * reports it as a verify error of the step.
 */
export class VerifyFault extends Error {
  constructor(
    message: string,
    readonly value?: unknown,
  ) {
    super(message);
    this.name = 'VerifyFault';
  }
}

/** What the guest did. */
export interface GuestOutcome {
  readonly replayed: boolean;
  /** The errno the kernel refused with, or null when it did what was asked. */
  readonly errno: string | null;
  readonly note?: string;
  /** Set by the runner when replaying failed on verify's side (VerifyFault). */
  readonly verifyError?: string;
}

const MEMORY = '/sys/devices/system/memory';
const ND = '/sys/bus/nd';

/**
 * A sysfs write: null when the kernel took it, the errno when it refused.
 * A file that is not there, or a shell error without a kernel errno, is
 * verify's own failure (VerifyFault).
 */
async function write(g: Guest, path: string, value: string): Promise<string | null> {
  const r = await g.request('write', [path, value]);
  if (r.rc === 0) return null;
  if ((await g.request('exists', [path])).rc !== 0)
    throw new VerifyFault(`${path} does not exist in the guest`, path);
  const errno = errnoFromMessage(r.error);
  if (!errno)
    throw new VerifyFault(`the agent's write ${path} <- ${value} failed: ${r.error.slice(0, 200)}`, r.error);
  return errno;
}

/** Wait until the guest shows `want` memory blocks; a timeout is verify's failure. */
async function waitBlocks(g: Guest, want: number, seconds: number): Promise<void> {
  const r = await g.request('wait_blocks', [String(want), String(seconds)], (seconds + 30) * 1000);
  if (r.rc !== 0)
    throw new VerifyFault(
      `the guest shows ${r.lines[0] ?? '?'} memory blocks after ${seconds} s, expected ${want}`,
      want,
    );
}

async function readLine(g: Guest, path: string): Promise<string | undefined> {
  const r = await g.request('read', [path]);
  return r.rc === 0 ? r.lines[0]?.trim() : undefined;
}

async function blockCount(g: Guest): Promise<number> {
  const r = await g.request('ls', [MEMORY]);
  return r.lines.filter((l) => /^memory\d+$/.test(l.trim())).length;
}

function blockIdsOf(start: number, size: number, blockSize: number): number[] {
  const out: number[] = [];
  for (let a = start; a < start + size; a += blockSize) out.push(Math.floor(a / blockSize));
  return out;
}

async function onlineBlocks(g: Guest, ids: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) if ((await readLine(g, `${MEMORY}/memory${id}/state`)) === 'online') out.push(id);
  return out;
}

/** The nd region whose resource starts at the NVDIMM's address (regionN), or undefined. */
async function ndRegion(g: Guest, nv: NvdimmConfig): Promise<string | undefined> {
  const ls = await g.request('ls', [`${ND}/devices`]);
  for (const name of ls.lines.map((l) => l.trim()).filter((l) => /^region\d+$/.test(l))) {
    const res = await readLine(g, `${ND}/devices/${name}/resource`);
    if (res !== undefined && Number.parseInt(res, 16) === nv.start) return name;
  }
  return undefined;
}

/** The namespace nd_pmem has bound whose resource starts at `start`. */
async function boundNamespace(g: Guest, start: number): Promise<string | undefined> {
  const ls = await g.request('ls', [`${ND}/drivers/nd_pmem`]);
  for (const ns of ls.lines.map((l) => l.trim()).filter((l) => /^namespace\d+\.\d+$/.test(l))) {
    const res = await readLine(g, `${ND}/devices/${ns}/resource`);
    if (res !== undefined && Number.parseInt(res, 16) === start) return ns;
  }
  return undefined;
}

/** A uuid for the dax/pfn info block, fixed per NVDIMM so that runs are repeatable. */
function infoBlockUuid(nv: NvdimmConfig): string {
  const h = Buffer.from(nv.id.padEnd(16, '.').slice(0, 16)).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Which device and driver carry each mode: devdax = nd dax seed + dax_pmem, fsdax = pfn seed + nd_pmem. */
const ND_MODE = {
  devdax: { seed: 'dax_seed', driver: 'dax_pmem' },
  fsdax: { seed: 'pfn_seed', driver: 'nd_pmem' },
} as const;

export interface ReplayContext {
  readonly guest: Guest;
  readonly blockSize: number;
  /** Devices the nd enable step created, per NVDIMM id (dax0.0, pfn0.0). */
  readonly ndDevices: Map<string, string>;
  /** On-demand modules loaded so far. */
  readonly loaded?: Set<string>;
}

/** The notifier error-injection modules, dependency first (lib/notifier-error-inject.c, lib/memory-notifier-error-inject.c). */
const INJECTOR = ['notifier_error_inject', 'memory_notifier_error_inject'] as const;

async function loadInjector(ctx: ReplayContext): Promise<void> {
  for (const m of INJECTOR) {
    if (ctx.loaded?.has(m)) continue;
    const r = await ctx.guest.request('insmod', [m]);
    // Built in (no file in the initramfs): the debugfs files are there without insmod.
    if (r.rc !== 0 && !/No such file|not found|can't open/i.test(r.error))
      throw new VerifyFault(`insmod ${m} failed in the guest: ${r.error.slice(0, 200)}`, m);
    ctx.loaded?.add(m);
  }
}

const ERRNO_VALUE: Readonly<Record<string, number>> = { ENOMEM: -12, EBUSY: -16, EINVAL: -22 };

/** Carry out one action on the guest. */
export async function replayAction(ctx: ReplayContext, a: GuestAction): Promise<GuestOutcome> {
  const g = ctx.guest;
  switch (a.kind) {
    case 'model-only':
    case 'not-replayable':
      return { replayed: false, errno: null, note: describeAction(a) };
    case 'notifier-error': {
      await loadInjector(ctx);
      const path = `/sys/kernel/debug/notifier-error-inject/memory/actions/${a.event}/error`;
      const set = await write(g, path, String(ERRNO_VALUE[a.errno]));
      if (set) throw new VerifyFault(`${path} <- ${ERRNO_VALUE[a.errno]} refused (${set})`, path);
      try {
        return await replayAction(ctx, a.inner);
      } finally {
        await write(g, path, '0');
      }
    }
    case 'block-state': {
      // The model's online/offline of a range is all or nothing; sysfs takes
      // one block at a time. On a refusal, put the blocks already done back
      // (as offline_and_remove_memory() does), so both sides stay comparable.
      const done: { id: number; undo: string }[] = [];
      for (const id of blockIdsOf(a.start, a.size, ctx.blockSize)) {
        const zone = await readLine(g, `${MEMORY}/memory${id}/valid_zones`);
        const errno = await write(g, `${MEMORY}/memory${id}/state`, a.value);
        if (errno) {
          for (const d of done.reverse()) await write(g, `${MEMORY}/memory${d.id}/state`, d.undo);
          const undone = done.length ? `; memory${done.map((d) => d.id).join(',')} put back` : '';
          return { replayed: true, errno, note: `memory${id}: ${a.value} refused${undone}` };
        }
        done.push({
          id,
          undo: a.value === 'offline' ? (zone === 'Movable' ? 'online_movable' : 'online_kernel') : 'offline',
        });
      }
      return { replayed: true, errno: null };
    }
    case 'plug-dimm': {
      const before = await blockCount(g);
      try {
        await g.qmp.execute('object-add', {
          'qom-type': 'memory-backend-ram',
          id: `mem-${a.id}`,
          size: a.size,
        });
        await g.qmp.execute('device_add', {
          driver: 'pc-dimm',
          id: a.id,
          memdev: `mem-${a.id}`,
          addr: a.start,
        });
      } catch (e) {
        if (e instanceof QmpError)
          return { replayed: false, errno: null, note: `QEMU refused the DIMM: ${e.desc}` };
        throw e;
      }
      const want = before + Math.ceil(a.size / ctx.blockSize);
      // A refused hot-add leaves no blocks; the kernel says why in its log:
      // check_hotplug_memory_range() ("unaligned hotplug range", -EINVAL), and
      // the ACPI memory driver then fails the device with -EINVAL whatever
      // __add_memory() returned ("add_memory failed").
      const deadline = Date.now() + 20_000;
      let log = '';
      for (;;) {
        const r = await g.request('wait_blocks', [String(want), '1']);
        if (r.rc === 0) return { replayed: true, errno: null };
        log += `${(await g.request('dmesg')).lines.join('\n')}\n`;
        const why = log.split('\n').filter((l) => /unaligned hotplug range|add_memory failed/.test(l));
        if (why.length)
          return {
            replayed: true,
            errno: 'EINVAL',
            note: why.map((l) => l.replace(/^\[[^\]]*\]\s*/, '')).join('; '),
          };
        if (Date.now() > deadline)
          throw new VerifyFault(
            `the guest shows ${r.lines[0]} memory blocks 20 s after device_add, expected ${want}`,
            want,
          );
      }
    }
    case 'unplug-dimm': {
      const ids = blockIdsOf(a.start, a.size, ctx.blockSize);
      const online = await onlineBlocks(g, ids);
      if (online.length)
        return {
          replayed: false,
          errno: null,
          note: `memory${online.join(',')} online: ACPI eject would offline them before remove_memory(), so the kernel's refusal cannot be observed`,
        };
      const before = await blockCount(g);
      const since = g.qmp.events.length;
      await g.qmp.execute('device_del', { id: a.id });
      const ev = await g.qmp.waitEvent(
        (e) =>
          (e.event === 'DEVICE_DELETED' && e.data?.device === a.id) ||
          (e.event === 'ACPI_DEVICE_OST' && ostRefused(e.data?.info as OstInfo | undefined, a.id)),
        20_000,
        since,
      );
      if (!ev) throw new VerifyFault(`no DEVICE_DELETED or refusing _OST for ${a.id} within 20 s`, a.id);
      if (ev.event === 'ACPI_DEVICE_OST') {
        const status = (ev.data?.info as OstInfo | undefined)?.status ?? 0;
        return {
          replayed: true,
          errno: 'EBUSY',
          note: `_OST status ${hex(status)}: the kernel refused the eject`,
        };
      }
      await g.qmp.execute('object-del', { id: `mem-${a.id}` }).catch(() => undefined);
      await waitBlocks(g, before - ids.length, 20);
      return { replayed: true, errno: null };
    }
    case 'virtio-mem': {
      const grow = a.requested > (await qomSize(g, a.device.id));
      if (!grow) {
        const online = await onlineBlocks(g, blockIdsOf(a.start, a.size, ctx.blockSize));
        if (online.length)
          return {
            replayed: false,
            errno: null,
            note: `memory${online.join(',')} online: virtio-mem would offline them itself when unplugging`,
          };
      }
      const before = await blockCount(g);
      await g.qmp.execute('qom-set', { path: a.device.id, property: 'requested-size', value: a.requested });
      const deadline = Date.now() + 20_000;
      while ((await qomSize(g, a.device.id)) !== a.requested) {
        if (Date.now() > deadline)
          throw new VerifyFault(
            `virtio-mem ${a.device.id} did not reach ${hex(a.requested)} within 20 s`,
            a.requested,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
      const delta = Math.ceil(a.size / ctx.blockSize);
      await waitBlocks(g, grow ? before + delta : before - delta, 20);
      return { replayed: true, errno: null, note: `plugged size ${hex(a.requested)}` };
    }
    case 'nd-enable': {
      const region = await ndRegion(g, a.nvdimm);
      if (!region)
        return { replayed: false, errno: null, note: `no nd region at ${hex(a.nvdimm.start)} in the guest` };
      const n = region.slice('region'.length);
      const ns = `namespace${n}.0`;
      const mode = ND_MODE[a.mode];
      const seed = await readLine(g, `${ND}/devices/${region}/${mode.seed}`);
      if (!seed) return { replayed: false, errno: null, note: `${region} has no ${mode.seed}` };
      // Release the raw namespace from nd_pmem (it may not be bound: ignore that).
      await write(g, `${ND}/drivers/nd_pmem/unbind`, ns).catch((e) => {
        if (!(e instanceof VerifyFault)) throw e;
      });
      for (const [attr, value] of [
        ['uuid', infoBlockUuid(a.nvdimm)],
        ['mode', 'pmem'],
        ['align', String(a.nvdimm.align)],
        ['namespace', ns],
      ] as const) {
        const errno = await write(g, `${ND}/devices/${seed}/${attr}`, value);
        if (errno) return { replayed: true, errno, note: `${seed}/${attr} <- ${value} refused` };
      }
      const errno = await write(g, `${ND}/drivers/${mode.driver}/bind`, seed);
      if (errno) return { replayed: true, errno, note: `${mode.driver} bind ${seed} refused` };
      ctx.ndDevices.set(a.nvdimm.id, seed);
      return { replayed: true, errno: null, note: `${ns} -> ${seed} (${a.mode})` };
    }
    case 'legacy-pmem-enable': {
      const r = await g.request('insmod', ['nd_e820']);
      if (r.rc !== 0)
        throw new VerifyFault(`insmod nd_e820 failed in the guest: ${r.error.slice(0, 200)}`, r.error);
      // nd_pmem binds the namespace asynchronously: wait for it.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ns = await boundNamespace(g, a.pmem.start);
        if (ns) {
          ctx.ndDevices.set(a.pmem.id, ns);
          return { replayed: true, errno: null, note: `${ns} bound to nd_pmem` };
        }
        if (Date.now() > deadline)
          throw new VerifyFault(
            `nd_pmem did not bind the legacy namespace at ${hex(a.pmem.start)} within 20 s`,
            a.pmem.start,
          );
        await new Promise((res) => setTimeout(res, 100));
      }
    }
    case 'legacy-pmem-disable': {
      const ns = ctx.ndDevices.get(a.pmem.id);
      if (!ns) return { replayed: false, errno: null, note: `${a.pmem.id} is not bound` };
      const errno = await write(g, `${ND}/drivers/nd_pmem/unbind`, ns);
      if (!errno) ctx.ndDevices.delete(a.pmem.id);
      return { replayed: true, errno, note: `${ns} unbound` };
    }
    case 'nd-disable': {
      const dev = ctx.ndDevices.get(a.nvdimm.id);
      if (!dev) return { replayed: false, errno: null, note: `${a.nvdimm.id} has no enabled dax/pfn device` };
      const errno = await write(g, `${ND}/drivers/${ND_MODE[a.mode].driver}/unbind`, dev);
      if (!errno) ctx.ndDevices.delete(a.nvdimm.id);
      return { replayed: true, errno, note: `${dev} unbound` };
    }
  }
}

interface OstInfo {
  readonly device?: string;
  readonly source?: number;
  readonly status?: number;
}

/**
 * An _OST report that the guest refused an eject: status 0 is success and
 * 0x84 "ejection in progress"; 1 (failure) and 0x80-0x83 (not supported, in
 * use, busy, dependency busy) are refusals.
 */
export function ostRefused(info: OstInfo | undefined, device: string): boolean {
  if (!info || info.device !== device || info.status === undefined) return false;
  return info.status !== 0 && info.status !== 0x84;
}

async function qomSize(g: Guest, id: string): Promise<number> {
  return Number(await g.qmp.execute('qom-get', { path: id, property: 'size' }));
}
