/**
 * The guest side of the replay: each GuestAction that replay.ts planned,
 * carried out on the guest through QMP and the agent's sysfs writes, one
 * function per action kind, dispatched by REPLAY.
 */
import { hex } from '../units.js';
import type { NvdimmConfig } from './config.js';
import {
  blockCount,
  blockIdsOf,
  boundNamespace,
  MEMORY,
  ND,
  ndRegion,
  onlineBlocks,
  qomSize,
  readLine,
  VerifyFault,
  waitBlocks,
  write,
} from './guest-sysfs.js';
import type { Guest } from './qemu.js';
import { QmpError } from './qmp.js';
import { describeAction, type GuestAction } from './replay.js';

/** What the guest did. */
export interface GuestOutcome {
  readonly replayed: boolean;
  /** The errno the kernel refused with, or null when it did what was asked. */
  readonly errno: string | null;
  readonly note?: string;
  /** Set by the runner when replaying failed on verify's side (VerifyFault). */
  readonly verifyError?: string;
}

export interface ReplayContext {
  readonly guest: Guest;
  readonly blockSize: number;
  /** Devices the nd enable step created, per NVDIMM id (dax0.0, pfn0.0). */
  readonly ndDevices: Map<string, string>;
  /** On-demand modules loaded so far. */
  readonly loaded?: Set<string>;
}

type ActionOf<K extends GuestAction['kind']> = Extract<GuestAction, { kind: K }>;
type Replay<K extends GuestAction['kind']> = (ctx: ReplayContext, a: ActionOf<K>) => Promise<GuestOutcome>;

/** One function per guest action. */
const REPLAY: { readonly [K in GuestAction['kind']]: Replay<K> } = {
  'model-only': notReplayed,
  'not-replayable': notReplayed,
  'notifier-error': replayNotifierError,
  'block-state': replayBlockState,
  'plug-dimm': replayPlugDimm,
  'unplug-dimm': replayUnplugDimm,
  'virtio-mem': replayVirtioMem,
  'nd-enable': replayNdEnable,
  'nd-disable': replayNdDisable,
  'legacy-pmem-enable': replayLegacyPmemEnable,
  'legacy-pmem-disable': replayLegacyPmemDisable,
};

/** Carry out one action on the guest. */
export function replayAction(ctx: ReplayContext, a: GuestAction): Promise<GuestOutcome> {
  const replay = REPLAY[a.kind] as (ctx: ReplayContext, a: GuestAction) => Promise<GuestOutcome>;
  return replay(ctx, a);
}

async function notReplayed(
  _ctx: ReplayContext,
  a: ActionOf<'model-only' | 'not-replayable'>,
): Promise<GuestOutcome> {
  return { replayed: false, errno: null, note: describeAction(a) };
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

/** The inner action with memory-notifier-error-inject failing the event, then the injection cleared. */
async function replayNotifierError(ctx: ReplayContext, a: ActionOf<'notifier-error'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/**
 * memoryN/state, block by block. The model's online/offline of a range is all or nothing; sysfs
 * takes one block at a time. On a refusal, the blocks already done are put back (as
 * offline_and_remove_memory() does), so both sides stay comparable.
 */
async function replayBlockState(ctx: ReplayContext, a: ActionOf<'block-state'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/** A pc-dimm plugged at the step's address (object-add + device_add addr=), then its blocks awaited. */
async function replayPlugDimm(ctx: ReplayContext, a: ActionOf<'plug-dimm'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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
  return awaitHotAdd(g, before + Math.ceil(a.size / ctx.blockSize));
}

/**
 * Wait for a hot-added DIMM's blocks. A refused hot-add leaves no blocks; the kernel says why in
 * its log: check_hotplug_memory_range() ("unaligned hotplug range", -EINVAL), and the ACPI memory
 * driver then fails the device with -EINVAL whatever __add_memory() returned ("add_memory failed").
 */
async function awaitHotAdd(g: Guest, want: number): Promise<GuestOutcome> {
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

/** device_del of the DIMM (ACPI eject): DEVICE_DELETED, or an _OST that refuses it. */
async function replayUnplugDimm(ctx: ReplayContext, a: ActionOf<'unplug-dimm'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/** virtio-mem's requested-size set (qom-set), then its plugged size and blocks awaited. */
async function replayVirtioMem(ctx: ReplayContext, a: ActionOf<'virtio-mem'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/** The NVDIMM's raw namespace switched to devdax (dax seed + dax_pmem) or fsdax (pfn seed + nd_pmem). */
async function replayNdEnable(ctx: ReplayContext, a: ActionOf<'nd-enable'>): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/** The dax/pfn device nd-enable created, unbound from its driver. */
async function replayNdDisable(ctx: ReplayContext, a: ActionOf<'nd-disable'>): Promise<GuestOutcome> {
  const dev = ctx.ndDevices.get(a.nvdimm.id);
  if (!dev) return { replayed: false, errno: null, note: `${a.nvdimm.id} has no enabled dax/pfn device` };
  const errno = await write(ctx.guest, `${ND}/drivers/${ND_MODE[a.mode].driver}/unbind`, dev);
  if (!errno) ctx.ndDevices.delete(a.nvdimm.id);
  return { replayed: true, errno, note: `${dev} unbound` };
}

/** insmod nd_e820, then the legacy (memmap=) namespace awaited until nd_pmem binds it. */
async function replayLegacyPmemEnable(
  ctx: ReplayContext,
  a: ActionOf<'legacy-pmem-enable'>,
): Promise<GuestOutcome> {
  const g = ctx.guest;
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

/** The legacy namespace unbound from nd_pmem. */
async function replayLegacyPmemDisable(
  ctx: ReplayContext,
  a: ActionOf<'legacy-pmem-disable'>,
): Promise<GuestOutcome> {
  const ns = ctx.ndDevices.get(a.pmem.id);
  if (!ns) return { replayed: false, errno: null, note: `${a.pmem.id} is not bound` };
  const errno = await write(ctx.guest, `${ND}/drivers/nd_pmem/unbind`, ns);
  if (!errno) ctx.ndDevices.delete(a.pmem.id);
  return { replayed: true, errno, note: `${ns} unbound` };
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
