/**
 * pfnlab verify: replay a scenario on a real Linux kernel under QEMU and
 * compare, after boot and after every step, the guest's memory blocks,
 * /proc/zoneinfo and /proc/iomem with the model's, and every refusal.
 *
 * The model boots from the guest's own layout (its System RAM at boot, its
 * memory block size), so the comparison is like for like; then each step runs
 * through the model's operations (planOperation/runPlan: refusals are
 * HotplugErrors with the kernel's errno) and on the guest: replay.ts plans each step as a guest
 * action (pure), replay-guest.ts carries it out, snapshot.ts reads and compares the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Geometry, KernelVersion } from '../arch/geometry.js';
import { geometryFor } from '../arch/presets.js';
import { HotplugError } from '../errors.js';
import { importMachine } from '../io/import/index.js';
import { makeDirs, withFileErrors } from '../io/machine-dir.js';
import type { Machine } from '../model/machine.js';
import { planOperation, runPlan } from '../ops/index.js';
import { bootScenario } from '../ops/scenario-run.js';
import type { BootRange, OpSpec } from '../ops/spec.js';
import type { Scenario } from '../scenario/index.js';
import { hex } from '../units.js';
import { compareRefusal, type Disagreement, type Region } from './compare.js';
import { qemuConfig, type VerifyMachine, verifyMachine } from './config.js';
import { VerifyFault } from './guest-sysfs.js';
import { buildInitramfs, builtinModules, NEEDED_MODULES } from './initramfs.js';
import { Guest, GuestError } from './qemu.js';
import { describeAction, type GuestAction, planReplay } from './replay.js';
import { type GuestOutcome, type ReplayContext, replayAction } from './replay-guest.js';
import type { SelftestStep } from './selftest.js';
import { findToolchain, type Toolchain } from './setup.js';
import {
  alignAutoOnline,
  compareSnapshot,
  MODEL_AUTO_ONLINE,
  type SnapshotComparison,
  type SnapshotScope,
  settle,
  snapGuest,
} from './snapshot.js';
import { type KernelView, readView } from './view.js';

export type { Disagreement } from './compare.js';
export { compareViews } from './compare.js';
export { hotplugBase, verifyMachine } from './config.js';
export { planReplay } from './replay.js';
export { selftestScenario } from './selftest.js';
export { findToolchain, SetupError, setup } from './setup.js';
export { MODEL_AUTO_ONLINE } from './snapshot.js';

export interface VerifyOptions {
  readonly kernel?: string;
  readonly modules?: string;
  readonly cache?: string;
  /** Keep the run directory (snapshots per step, console log, QEMU command line) here. */
  readonly keep?: string;
  /** pfns read through /proc/kpageflags per snapshot at most (default PAGES_LIMIT). */
  readonly pagesLimit?: number;
  readonly onProgress?: (line: string) => void;
}

/** pfns compared per snapshot by default: 4 GiB of 4 KiB pages (a few seconds under TCG). */
export const PAGES_LIMIT = 2 ** 20;

export type Agreement = boolean | null;

export interface StepResult {
  /** 0 is boot; scenario step i is i + 1. */
  readonly index: number;
  readonly op: string;
  readonly summary: string;
  readonly action: string;
  readonly replayed: boolean;
  readonly modelErrno: string | null;
  readonly kernelErrno: string | null;
  readonly expect: string | null;
  readonly note?: string;
  /** Verify's own failure on this step (a wait timing out, an agent shell error, a missing sysfs file): nothing was compared. */
  readonly verifyError?: string;
  readonly agree: {
    blocks: Agreement;
    zones: Agreement;
    iomem: Agreement;
    pages: Agreement;
    refusal: Agreement;
  };
  /** pfns whose kpageflags/kpagecount were compared after this step. */
  readonly pagesCompared: number;
  /** Of those, pfns free in the model that the guest had in use (its own processes, page cache): not a disagreement. */
  readonly pagesInUse?: number;
  readonly disagreements: readonly Disagreement[];
}

/** What was compared, step by step: the verdict line's numbers. */
export interface Verdict {
  /** Boot and every scenario step. */
  readonly steps: number;
  /** Steps carried out on both sides (or model-only) and compared without a verify error. */
  readonly compared: number;
  readonly agreeing: number;
  readonly notReplayed: number;
  readonly verifyErrors: number;
  readonly text: string;
}

export interface VerifyResult {
  readonly scenario: string;
  readonly source: string;
  readonly kernel: string;
  readonly modelKernel: string;
  readonly qemu: string[];
  readonly machine: VerifyMachine;
  readonly boot: { readonly ranges: { start: string; size: string }[]; readonly blockSize: number };
  readonly steps: StepResult[];
  readonly notReplayable: { index: number; op: string; why: string }[];
  readonly verifyErrors: { index: number; op: string; error: string }[];
  /** auto_online_blocks: the kernel's own policy, and the one the replay ran with. */
  readonly autoOnline: { readonly kernel: string | null; readonly used: string };
  /** Which release's rules the model ran on, and why. */
  readonly modelRules: string;
  readonly approximations: string[];
  readonly disagreements: number;
  /** pfns compared through /proc/kpageflags and /proc/kpagecount, summed over the steps. */
  readonly pagesCompared: number;
  /** pfns of present sections left out by --pages-limit, summed over the steps. */
  readonly pagesSkipped: number;
  /** pfns of present sections past the end of the kernel's /proc/kpageflags (its max_pfn), summed over the steps. */
  readonly pagesPastEnd: number;
  /** pfns free in the model that the guest had in use, summed over the steps (see PageComparison.inUse). */
  readonly pagesInUse: number;
  readonly verdict: Verdict;
  readonly wallMs: number;
}

function summary(s: OpSpec): string {
  const r = 'start' in s ? ` ${hex(s.start)}+${hex(s.size)}` : '';
  const extra =
    s.op === 'online'
      ? s.zone
        ? ` ${s.zone}`
        : ''
      : s.op === 'memremap'
        ? ` ${s.type} ${s.id}`
        : s.op === 'memunmap'
          ? ` ${s.id}`
          : '';
  return `${s.op}${r}${extra}`;
}

function approximations(
  vm: VerifyMachine,
  release: string,
  modelKernel: KernelVersion,
  autoOnline: VerifyResult['autoOnline'],
): string[] {
  const out = [
    `the model runs mainline ${modelKernel}'s rules, the series of the guest's ${release} (pfnlab kernels lists them; fixes a distribution backported into its stable tree are not modelled)`,
  ];
  if (autoOnline.kernel !== null && autoOnline.kernel !== autoOnline.used)
    out.push(
      `the guest's auto_online_blocks was '${autoOnline.kernel}'; verify set it to '${autoOnline.used}' before the first step, so hot-added blocks are onlined by the scenario's own steps, as in the model (no auto-online in the model yet)`,
    );
  out.push(
    "struct pages: inside boot RAM only nopage and offline are compared (the kernel's own allocations are not in the model); elsewhere a page free in the model and in use in the guest (its processes and page cache take ZONE_MOVABLE first) is counted as in use, not as a disagreement; /proc/kpageflags has no zone bits",
  );
  if (vm.virtioMem.length)
    out.push(
      'virtio-mem growth is add_memory of whole memory blocks in the model; the kernel plugs device blocks (2 MiB) into memory blocks it adds itself, names them "System RAM (virtio_mem)" under the device\'s resource and merges adjacent ones (compared as System RAM)',
    );
  if (vm.nvdimms.length)
    out.push(
      "memremap's altmap is the scenario's; the kernel's dax/pfn info block decides the reserve and the memmap's size on the device (neither shows in the compared files)",
    );
  return out;
}

/** The modules the scenario's devices cannot do without, each with the $.verify field that needs it. */
function neededModules(vm: VerifyMachine): Map<string, string> {
  const out = new Map<string, string>();
  for (const kind of ['nvdimms', 'virtioMem', 'legacyPmem'] as const) {
    if (!vm[kind].length) continue;
    for (const m of NEEDED_MODULES[kind]) if (!out.has(m)) out.set(m, `needed by $.verify.${kind}`);
  }
  return out;
}

function agreement(all: readonly Disagreement[], area: Disagreement['area']): Agreement {
  return !all.some((d) => d.area === area);
}

/** The verdict: "agree on every step" only when every step was replayed and compared. */
export function verdictOf(steps: readonly StepResult[]): Verdict {
  const errors = steps.filter((s) => s.verifyError);
  const skipped = steps.filter((s) => !s.verifyError && !s.replayed && !s.action.startsWith('model only'));
  const compared = steps.filter((s) => !s.verifyError && !skipped.includes(s));
  const agreeing = compared.filter((s) => s.disagreements.length === 0);
  const stepName = (s: StepResult) => (s.index === 0 ? 'boot' : `step ${s.index}`);
  const parts: string[] = [];
  if (agreeing.length === steps.length) parts.push(`model and kernel agree on every step (${steps.length})`);
  else parts.push(`model and kernel agree on ${agreeing.length} of ${steps.length} steps`);
  const disagreeing = compared.length - agreeing.length;
  if (disagreeing) parts.push(`${disagreeing} disagree`);
  if (skipped.length)
    parts.push(`${skipped.length} not replayed: ${skipped.map((s) => `${stepName(s)} ${s.op}`).join(', ')}`);
  if (errors.length) parts.push(`${errors.length} verify error(s): ${errors.map(stepName).join(', ')}`);
  return {
    steps: steps.length,
    compared: compared.length,
    agreeing: agreeing.length,
    notReplayed: skipped.length,
    verifyErrors: errors.length,
    text: parts.join('; '),
  };
}

/**
 * The selftest's injected failures: the block-state action wrapped in the
 * notifier error injection, or not replayable when the kernel has no
 * memory-notifier-error-inject module.
 */
function withInjection(
  actions: readonly GuestAction[],
  selftest: readonly SelftestStep[] | undefined,
  injector: string | undefined,
): GuestAction[] {
  return actions.map((a, i) => {
    const inject = selftest?.[i]?.inject;
    if (!inject) return a;
    if (injector) return { kind: 'not-replayable', why: injector };
    return { kind: 'notifier-error', event: inject.event, errno: inject.errno, inner: a };
  });
}

/** One run of verify: the guest, where its snapshots go, and what the steps gather. */
interface VerifyRun extends SnapshotScope {
  readonly s: Scenario;
  readonly vm: VerifyMachine;
  readonly release: string;
  readonly progress: (line: string) => void;
  readonly selftest?: readonly SelftestStep[];
  readonly results: StepResult[];
  readonly notReplayable: VerifyResult['notReplayable'];
  readonly verifyErrors: VerifyResult['verifyErrors'];
  pagesSkipped: number;
  pagesPastEnd: number;
}

/** The model booted from the guest's own layout, and what boot found. */
interface BootedModel {
  readonly m: Machine;
  readonly geometry: Geometry;
  readonly ranges: readonly BootRange[];
  readonly blockSize: number;
  readonly autoOnline: VerifyResult['autoOnline'];
  readonly bootRam: readonly Region[];
  /** The guest's files at boot. */
  readonly view: KernelView;
}

/** Boot the guest, replay the scenario, compare after every step. */
export async function runVerify(
  s: Scenario,
  opts: VerifyOptions = {},
  selftest?: readonly SelftestStep[],
): Promise<VerifyResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const vm = verifyMachine(s);
  // --keep is made first and one directory at a time: a bad path is one line before QEMU boots
  // (and /proc/x cannot spin mkdir -p).
  if (opts.keep) withFileErrors(() => makeDirs(opts.keep as string), opts.keep);
  const tools = findToolchain({ kernel: opts.kernel, modules: opts.modules, cache: opts.cache });
  const { initrd, actions } = prepareGuest(s, vm, tools, selftest);
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'pfnlab-verify-'));
  progress(`booting ${tools.kernel.release} under QEMU (TCG)`);
  const guest = await Guest.start(
    tools.qemu,
    qemuConfig(vm),
    { vmlinuz: tools.kernel.vmlinuz, initrd: initrd.archive },
    dir,
  );
  try {
    const boot = await bootModel(s, guest, dir, tools.kernel.release);
    const run: VerifyRun = {
      s,
      vm,
      guest,
      dir,
      release: tools.kernel.release,
      progress,
      selftest,
      limit: opts.pagesLimit ?? PAGES_LIMIT,
      driverManaged: vm.virtioMem.map((d) => ({ start: d.start, end: d.start + d.size })),
      bootRam: boot.bootRam,
      results: [],
      notReplayable: [],
      verifyErrors: [],
      pagesSkipped: 0,
      pagesPastEnd: 0,
    };
    run.results.push(await bootStep(run, boot));
    const ctx: ReplayContext = { guest, blockSize: boot.blockSize, ndDevices: new Map(), loaded: new Set() };
    for (let i = 0; i < s.steps.length; i++)
      run.results.push(await replayStep(run, boot.m, ctx, i, actions[i]));
    return verifyResult(run, boot, guest.args, started);
  } finally {
    await guest.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The initramfs for the guest's kernel and the scenario's steps as guest actions. */
function prepareGuest(
  s: Scenario,
  vm: VerifyMachine,
  tools: Toolchain,
  selftest: readonly SelftestStep[] | undefined,
): { initrd: ReturnType<typeof buildInitramfs>; actions: GuestAction[] } {
  const initrd = buildInitramfs({
    busybox: tools.busybox,
    modulesDir: tools.kernel.modules,
    needed: neededModules(vm),
    release: tools.kernel.release,
  });
  const hasInjector =
    initrd.onDemand.includes('memory_notifier_error_inject') ||
    builtinModules(tools.kernel.modules).has('memory_notifier_error_inject');
  const noInjector = hasInjector
    ? undefined
    : `kernel ${tools.kernel.release} ships no memory-notifier-error-inject module (CONFIG_MEMORY_NOTIFIER_ERROR_INJECT)`;
  return { initrd, actions: withInjection(planReplay(s.steps, vm), selftest, noInjector) };
}

/**
 * Boot: the model starts from the guest's own layout, imported from its files
 * (boot ranges from /proc/iomem, block size from sysfs). Devices the import may
 * infer are left out: the scenario's steps bring them.
 */
async function bootModel(s: Scenario, guest: Guest, runDir: string, release: string): Promise<BootedModel> {
  const autoOnlineKernel = await alignAutoOnline(guest);
  const bootSettle = await settle(guest);
  if (bootSettle) throw new GuestError(`after boot: ${bootSettle}`);
  const dir = await snapGuest(guest, runDir, BOOT_LABEL, release);
  const imported = importMachine({ dir }, { name: s.name }).converted;
  const ranges = imported.boot;
  const view = readView(dir);
  // The model follows the guest's release: the mainline series its uname names (import's rule).
  const kernel = imported.geometry.kernel;
  const geometry = geometryFor('x86_64', { hypervisor: true, memoryBlockSize: view.blockSize, kernel });
  const { machine: m } = bootScenario({ name: s.name, geometry, boot: ranges, steps: [] });
  const bootRam = ranges.map((r) => ({
    start: Math.ceil(r.start / PAGE_SIZE),
    end: Math.floor((r.start + r.size) / PAGE_SIZE),
  }));
  const autoOnline = { kernel: autoOnlineKernel, used: MODEL_AUTO_ONLINE };
  return { m, geometry, ranges, blockSize: view.blockSize, autoOnline, bootRam, view };
}

const BOOT_LABEL = 'step-00-boot';
const PAGE_SIZE = 4096;

/**
 * The model picks its own memory block size from the boot layout
 * (probe_memory_block_size() under a hypervisor); a different choice is a
 * disagreement, and the model then runs with the guest's size.
 */
function blockSizeDisagreement(
  s: Scenario,
  ranges: readonly BootRange[],
  guestBlockSize: number,
  kernel: KernelVersion,
): Disagreement[] {
  const own = geometryFor('x86_64', { hypervisor: true, kernel });
  const ownBlock = bootScenario({ name: s.name, geometry: own, boot: ranges, steps: [] }).machine.blockSize;
  if (ownBlock === guestBlockSize) return [];
  return [
    {
      area: 'blocks',
      what: 'block_size_bytes',
      model: ownBlock.toString(16),
      kernel: guestBlockSize.toString(16),
    },
  ];
}

/** Step 0: the booted model and guest compared. */
async function bootStep(run: VerifyRun, boot: BootedModel): Promise<StepResult> {
  const { vm } = run;
  const blockSizeDis = blockSizeDisagreement(run.s, boot.ranges, boot.blockSize, boot.geometry.kernel);
  const cmp = await compareSnapshot(run, BOOT_LABEL, boot.m, boot.view);
  gatherPages(run, cmp);
  const all = [...blockSizeDis, ...cmp.blocks, ...cmp.zones, ...cmp.iomem, ...cmp.pages];
  return {
    index: 0,
    op: 'boot',
    summary: `boot ${boot.ranges.length} ranges imported from the guest`,
    action: `qemu -m ${vm.memory / 2 ** 20}M,slots=${vm.slots},maxmem=${vm.maxmem / 2 ** 20}M`,
    replayed: true,
    modelErrno: null,
    kernelErrno: null,
    expect: null,
    agree: { ...agreements(all), refusal: null },
    pagesCompared: cmp.pagesCompared,
    pagesInUse: cmp.pagesInUse,
    disagreements: all,
  };
}

function gatherPages(run: VerifyRun, cmp: SnapshotComparison): void {
  run.pagesSkipped += cmp.pagesSkipped;
  run.pagesPastEnd += cmp.pagesPastEnd;
}

/** Agreement on the compared files and pages. */
function agreements(all: readonly Disagreement[]): Omit<StepResult['agree'], 'refusal'> {
  return {
    blocks: agreement(all, 'blocks'),
    zones: agreement(all, 'zones'),
    iomem: agreement(all, 'iomem'),
    pages: agreement(all, 'pages'),
  };
}

const NOTHING_COMPARED = {
  agree: { blocks: null, zones: null, iomem: null, pages: null, refusal: null },
  pagesCompared: 0,
  disagreements: [],
} as const;

/** Scenario step i: run on the model and replayed on the guest, then both compared. */
async function replayStep(
  run: VerifyRun,
  m: Machine,
  ctx: ReplayContext,
  i: number,
  action: GuestAction,
): Promise<StepResult> {
  const spec = run.s.steps[i];
  run.progress(`step ${i + 1}: ${summary(spec)} -> ${describeAction(action)}`);
  const phase = run.selftest?.[i] ? `[phase ${run.selftest[i].phase}] ` : '';
  const base = {
    index: i + 1,
    op: spec.op,
    summary: `${phase}${summary(spec)}`,
    action: describeAction(action),
    expect: spec.expect ?? null,
  };
  if (action.kind === 'not-replayable') {
    run.notReplayable.push({ index: i + 1, op: spec.op, why: action.why });
    return {
      ...base,
      replayed: false,
      modelErrno: null,
      kernelErrno: null,
      note: action.why,
      ...NOTHING_COMPARED,
    };
  }
  const model = runOnModel(m, spec, action);
  const outcome = await replayOnGuest(ctx, action);
  const label = `step-${String(i + 1).padStart(2, '0')}-${spec.op}`;
  const stepRange =
    'start' in spec
      ? { start: spec.start / PAGE_SIZE, end: (spec.start + spec.size) / PAGE_SIZE }
      : undefined;
  const cmp = await compareAfterStep(run, m, label, stepRange, outcome);
  if (typeof cmp === 'string') {
    run.verifyErrors.push({ index: i + 1, op: spec.op, error: cmp });
    run.progress(`step ${i + 1}: verify error: ${cmp}`);
    return {
      ...base,
      replayed: outcome.replayed,
      modelErrno: model.errno,
      kernelErrno: null,
      note: model.note,
      verifyError: cmp,
      ...NOTHING_COMPARED,
    };
  }
  if (!outcome.replayed && action.kind !== 'model-only') {
    run.notReplayable.push({ index: i + 1, op: spec.op, why: outcome.note ?? 'not replayed' });
  }
  return comparedStep(base, model, outcome, cmp);
}

/**
 * After a step: wait until the guest's hotplug work settles, then snapshot and compare both
 * sides. A string is verify's own failure (the replay's, the wait's or the snapshot's).
 */
async function compareAfterStep(
  run: VerifyRun,
  m: Machine,
  label: string,
  stepRange: Region | undefined,
  outcome: GuestOutcome,
): Promise<SnapshotComparison | string> {
  const unsettled = outcome.verifyError ?? (await settle(run.guest));
  if (unsettled) return unsettled;
  try {
    const view = readView(await snapGuest(run.guest, run.dir, label, run.release));
    const cmp = await compareSnapshot(run, label, m, view, stepRange);
    gatherPages(run, cmp);
    return cmp;
  } catch (e) {
    if (!(e instanceof VerifyFault)) throw e;
    return e.message;
  }
}

/** The model's side of a step: its refusal (errno and message), or null when it did the step. */
function runOnModel(m: Machine, spec: OpSpec, action: GuestAction): { errno: string | null; note?: string } {
  if (action.kind === 'notifier-error') {
    // The model has no memory notifier chain: the injected refusal is its answer, and it stays as it was.
    return {
      errno: action.errno,
      note: `model: ${action.event} answers -${action.errno} (injected); nothing changes`,
    };
  }
  try {
    runPlan(m, planOperation(m, spec));
    return { errno: null };
  } catch (e) {
    if (!(e instanceof HotplugError)) throw e;
    return { errno: e.errno, note: `model: ${e.message}` };
  }
}

/** The guest's side of a step; verify's own failure becomes the outcome's verifyError. */
async function replayOnGuest(ctx: ReplayContext, action: GuestAction): Promise<GuestOutcome> {
  try {
    return await replayAction(ctx, action);
  } catch (e) {
    if (!(e instanceof VerifyFault)) throw e;
    return { replayed: false, errno: null, verifyError: e.message };
  }
}

/** A step both sides carried out (or refused) and compared: files, pages and the refusal. */
function comparedStep(
  base: Pick<StepResult, 'index' | 'op' | 'summary' | 'action' | 'expect'>,
  model: { errno: string | null; note?: string },
  outcome: GuestOutcome,
  cmp: SnapshotComparison,
): StepResult {
  const refusal = outcome.replayed ? compareRefusal(model.errno, outcome.errno) : [];
  const all = [...cmp.blocks, ...cmp.zones, ...cmp.iomem, ...cmp.pages, ...refusal];
  return {
    ...base,
    replayed: outcome.replayed,
    modelErrno: model.errno,
    kernelErrno: outcome.errno,
    note: [model.note, outcome.note].filter(Boolean).join('; ') || undefined,
    agree: { ...agreements(all), refusal: outcome.replayed ? agreement(all, 'refusal') : null },
    pagesCompared: cmp.pagesCompared,
    pagesInUse: cmp.pagesInUse,
    disagreements: all,
  };
}

/** The run's result: every step, what was left out, the verdict. */
function verifyResult(run: VerifyRun, boot: BootedModel, qemu: string[], started: number): VerifyResult {
  const { results, release } = run;
  const { geometry } = boot;
  return {
    scenario: run.s.name,
    source: run.s.source,
    kernel: release,
    modelKernel: geometry.kernel,
    qemu,
    machine: run.vm,
    boot: {
      ranges: boot.ranges.map((r) => ({ start: hex(r.start), size: hex(r.size) })),
      blockSize: boot.blockSize,
    },
    steps: results,
    notReplayable: run.notReplayable,
    verifyErrors: run.verifyErrors,
    autoOnline: boot.autoOnline,
    modelRules: `${geometry.kernel} (the mainline series of the guest's ${release})`,
    approximations: approximations(run.vm, release, geometry.kernel, boot.autoOnline),
    disagreements: results.reduce((n, r) => n + r.disagreements.length, 0),
    pagesCompared: results.reduce((n, r) => n + r.pagesCompared, 0),
    pagesSkipped: run.pagesSkipped,
    pagesPastEnd: run.pagesPastEnd,
    pagesInUse: results.reduce((n, r) => n + (r.pagesInUse ?? 0), 0),
    verdict: verdictOf(results),
    wallMs: Date.now() - started,
  };
}
