/**
 * pfnlab verify: replay a scenario on a real Linux kernel under QEMU and
 * compare, after boot and after every step, the guest's memory blocks,
 * /proc/zoneinfo and /proc/iomem with the model's, and every refusal.
 *
 * The model boots from the guest's own layout (its System RAM at boot, its
 * memory block size), so the comparison is like for like; then each step runs
 * through the model's operations (planOperation/runPlan: refusals are
 * HotplugErrors with the kernel's errno) and, mapped by replay.ts, on the guest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geometryFor } from '../arch/presets.js';
import { HotplugError } from '../errors.js';
import { modelKpageRuns } from '../io/export/kpageflags.js';
import { importMachine } from '../io/import/index.js';
import { makeDirs, withFileErrors } from '../io/machine-dir.js';
import type { Machine } from '../model/machine.js';
import { planOperation, runPlan } from '../ops/index.js';
import { bootScenario } from '../ops/scenario-run.js';
import type { OpSpec } from '../ops/spec.js';
import type { Scenario } from '../scenario/index.js';
import { hex } from '../units.js';
import { parseSnapshot } from './agent.js';
import { compareRefusal, compareViews, type Disagreement, type Region } from './compare.js';
import { qemuConfig, type VerifyMachine, verifyMachine } from './config.js';
import { buildInitramfs, builtinModules, NEEDED_MODULES } from './initramfs.js';
import { chooseRanges, comparePages, kpageRanges, type PageComparison, parseKpage } from './pages.js';
import { Guest, GuestError } from './qemu.js';
import {
  describeAction,
  type GuestAction,
  type GuestOutcome,
  planReplay,
  replayAction,
  VerifyFault,
} from './replay.js';
import type { SelftestStep } from './selftest.js';
import { findToolchain } from './setup.js';
import { type KernelView, modelView, readView, writeGuestDir } from './view.js';

export type { Disagreement } from './compare.js';
export { compareViews } from './compare.js';
export { hotplugBase, verifyMachine } from './config.js';
export { planReplay } from './replay.js';
export { selftestScenario } from './selftest.js';
export { findToolchain, SetupError, setup } from './setup.js';

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

/**
 * The model's online policy: it has no auto-online (memhp_default_online_type)
 * yet, so hot-added memory stays offline until a step onlines it, as with
 * auto_online_blocks=offline.
 */
export const MODEL_AUTO_ONLINE = 'offline';

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
  autoOnline: VerifyResult['autoOnline'],
): string[] {
  const out = [
    `the model runs kernel 6.19's rules (it has 5.4 and 6.19; the guest runs ${release}, whose hotplug paths compared here match 6.19's)`,
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

/** Make the guest's online policy the model's; returns the kernel's own value (null when the file is absent). */
async function alignAutoOnline(guest: Guest): Promise<string | null> {
  const path = '/sys/devices/system/memory/auto_online_blocks';
  const r = await guest.request('read', [path]);
  if (r.rc !== 0) return null;
  const kernel = r.lines[0]?.trim() ?? '';
  if (kernel !== MODEL_AUTO_ONLINE) {
    const w = await guest.request('write', [path, MODEL_AUTO_ONLINE]);
    if (w.rc !== 0)
      throw new GuestError(`cannot set ${path} to ${MODEL_AUTO_ONLINE}: ${w.error.slice(0, 200)}`);
  }
  return kernel;
}

/** Sorted, merged regions. */
function kpageUnion(regions: readonly Region[]): Region[] {
  const out: Region[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push({ ...r });
  }
  return out;
}

/** pfn regions of the sections present on either side: the model's, and the guest's memory blocks. */
function presentRegions(m: Machine, guest: KernelView): Region[] {
  const per = m.g.pagesPerSection;
  const out: Region[] = [];
  for (const nr of m.sections.presentSectionNrs()) out.push({ start: nr * per, end: (nr + 1) * per });
  const perBlock = guest.blockSize / m.g.pageSize;
  for (const b of guest.blocks) out.push({ start: b.id * perBlock, end: (b.id + 1) * perBlock });
  // One region per section, so that chooseRanges() can rank them.
  const split: Region[] = [];
  for (const r of kpageRanges(out))
    for (let a = r.start; a < r.end; a += per) split.push({ start: a, end: Math.min(r.end, a + per) });
  return split;
}

/**
 * Read the guest's kpageflags/kpagecount over the present sections (the
 * step's range first, at most `limit` pfns) and compare them with the model's.
 */
async function comparePagesAfter(
  guest: Guest,
  m: Machine,
  view: KernelView,
  stepRange: Region | undefined,
  bootRam: readonly Region[],
  limit: number,
): Promise<PageComparison & { skipped: number; pastEnd: number }> {
  const { read, skipped } = chooseRanges(presentRegions(m, view), stepRange, bootRam, limit);
  // Pinned pages stand for the kernel's own unmovable allocations, somewhere else in the guest:
  // compared as coarsely as boot RAM.
  const coarse = kpageUnion([...bootRam, ...m.pins.map((p) => ({ start: p.startPfn, end: p.endPfn }))]);
  let compared = 0;
  let inUse = 0;
  let pastEnd = 0;
  const disagreements: Disagreement[] = [];
  for (const r of read) {
    const n = r.end - r.start;
    const resp = await guest.request('kpage', [String(r.start), String(n)], 60_000 + n / 10);
    const runs = parseKpage(resp.lines, r.start);
    const covered = runs.flags.reduce((t, x) => t + x.end - x.start, 0);
    const counted = runs.count.reduce((t, x) => t + x.end - x.start, 0);
    if (resp.rc !== 0 || counted !== covered)
      throw new VerifyFault(
        `the agent read ${covered} pfns of /proc/kpageflags and ${counted} of /proc/kpagecount from ${hex(r.start)}${resp.error ? `: ${resp.error.slice(0, 200)}` : ''}`,
        r.start,
      );
    // The files end at the kernel's max_pfn (rounded up to a section): ZONE_DEVICE
    // ranges above the last System RAM have no entries there.
    pastEnd += n - covered;
    const c = comparePages(modelKpageRuns(m, r.start, r.end), runs, coarse);
    compared += c.compared;
    inUse += c.inUse;
    disagreements.push(...c.disagreements);
  }
  return { compared, inUse, disagreements, skipped, pastEnd };
}

/** Wait until the guest's hotplug work has settled (block count and states stable, nothing going-offline). */
async function settle(guest: Guest): Promise<string | undefined> {
  const r = await guest.request('settle', ['30'], 60_000);
  return r.rc === 0 ? undefined : `hotplug work did not settle: ${r.error.slice(0, 200)}`;
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
  const actions = withInjection(planReplay(s.steps, vm), selftest, noInjector);
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'pfnlab-verify-'));
  progress(`booting ${tools.kernel.release} under QEMU (TCG)`);
  const guest = await Guest.start(
    tools.qemu,
    qemuConfig(vm),
    { vmlinuz: tools.kernel.vmlinuz, initrd: initrd.archive },
    dir,
  );
  try {
    const driverManaged: Region[] = vm.virtioMem.map((d) => ({ start: d.start, end: d.start + d.size }));
    // Each snapshot: the guest's files as a machine directory, the model
    // exported beside it, both read back with the import parsers.
    const snapGuest = async (label: string): Promise<string> => {
      const files = parseSnapshot((await guest.request('snap')).lines);
      const at = join(dir, label);
      writeGuestDir(at, files, tools.kernel.release);
      return at;
    };
    const pageSize = 4096;
    const limit = opts.pagesLimit ?? PAGES_LIMIT;
    let pagesSkipped = 0;
    let pagesPastEnd = 0;
    // Files and struct pages: the blocks, zones and iomem compared through
    // the machine directories, then kpageflags/kpagecount pfn by pfn.
    const snap = async (label: string, m: Machine, g: KernelView, stepRange?: Region) => {
      const mv = modelView(m, join(dir, `${label}.model`));
      const views = compareViews(mv, g, { driverManaged });
      const pages = await comparePagesAfter(guest, m, g, stepRange, bootRam, limit);
      pagesSkipped += pages.skipped;
      pagesPastEnd += pages.pastEnd;
      return { ...views, pages: pages.disagreements, pagesCompared: pages.compared, pagesInUse: pages.inUse };
    };
    // Boot: the model starts from the guest's own layout, imported from its
    // files (boot ranges from /proc/iomem, block size from sysfs). Devices the
    // import may infer are left out: the scenario's steps bring them.
    const autoOnlineKernel = await alignAutoOnline(guest);
    const bootSettle = await settle(guest);
    if (bootSettle) throw new GuestError(`after boot: ${bootSettle}`);
    const bootDir = await snapGuest('step-00-boot');
    const imported = importMachine({ dir: bootDir }, { name: s.name }).converted;
    const bootView = readView(bootDir);
    const ranges = imported.boot;
    // The model picks its own memory block size from the boot layout
    // (probe_memory_block_size() under a hypervisor); a different choice is a
    // disagreement, and the model then runs with the guest's size.
    const own = geometryFor('x86_64', { hypervisor: true });
    const ownBlock = bootScenario({ name: s.name, geometry: own, boot: ranges, steps: [] }).machine.blockSize;
    const geometry = geometryFor('x86_64', { hypervisor: true, memoryBlockSize: bootView.blockSize });
    const { machine: m } = bootScenario({ name: s.name, geometry, boot: ranges, steps: [] });
    const blockSizeDis: Disagreement[] =
      ownBlock === bootView.blockSize
        ? []
        : [
            {
              area: 'blocks',
              what: 'block_size_bytes',
              model: ownBlock.toString(16),
              kernel: bootView.blockSize.toString(16),
            },
          ];
    const results: StepResult[] = [];
    const autoOnline = { kernel: autoOnlineKernel, used: MODEL_AUTO_ONLINE };
    const bootRam: Region[] = ranges.map((r) => ({
      start: Math.ceil(r.start / pageSize),
      end: Math.floor((r.start + r.size) / pageSize),
    }));
    const bootCmp = await snap('step-00-boot', m, bootView);
    const bootDis = [
      ...blockSizeDis,
      ...bootCmp.blocks,
      ...bootCmp.zones,
      ...bootCmp.iomem,
      ...bootCmp.pages,
    ];
    results.push({
      index: 0,
      op: 'boot',
      summary: `boot ${ranges.length} ranges imported from the guest`,
      action: `qemu -m ${vm.memory / 2 ** 20}M,slots=${vm.slots},maxmem=${vm.maxmem / 2 ** 20}M`,
      replayed: true,
      modelErrno: null,
      kernelErrno: null,
      expect: null,
      agree: {
        blocks: agreement(bootDis, 'blocks'),
        zones: agreement(bootDis, 'zones'),
        iomem: agreement(bootDis, 'iomem'),
        pages: agreement(bootDis, 'pages'),
        refusal: null,
      },
      pagesCompared: bootCmp.pagesCompared,
      pagesInUse: bootCmp.pagesInUse,
      disagreements: bootDis,
    });
    const notReplayable: VerifyResult['notReplayable'] = [];
    const verifyErrors: VerifyResult['verifyErrors'] = [];
    const ctx = {
      guest,
      blockSize: bootView.blockSize,
      ndDevices: new Map<string, string>(),
      loaded: new Set<string>(),
    };
    for (let i = 0; i < s.steps.length; i++) {
      const spec = s.steps[i];
      const action: GuestAction = actions[i];
      progress(`step ${i + 1}: ${summary(spec)} -> ${describeAction(action)}`);
      const phase = selftest?.[i] ? `[phase ${selftest[i].phase}] ` : '';
      const base = {
        index: i + 1,
        op: spec.op,
        summary: `${phase}${summary(spec)}`,
        action: describeAction(action),
        expect: spec.expect ?? null,
      };
      if (action.kind === 'not-replayable') {
        notReplayable.push({ index: i + 1, op: spec.op, why: action.why });
        results.push({
          ...base,
          replayed: false,
          modelErrno: null,
          kernelErrno: null,
          note: action.why,
          agree: { blocks: null, zones: null, iomem: null, pages: null, refusal: null },
          pagesCompared: 0,
          disagreements: [],
        });
        continue;
      }
      let modelErrno: string | null = null;
      let note: string | undefined;
      if (action.kind === 'notifier-error') {
        // The model has no memory notifier chain: the injected refusal is its answer, and it stays as it was.
        modelErrno = action.errno;
        note = `model: ${action.event} answers -${action.errno} (injected); nothing changes`;
      } else {
        try {
          runPlan(m, planOperation(m, spec));
        } catch (e) {
          if (!(e instanceof HotplugError)) throw e;
          modelErrno = e.errno;
          note = `model: ${e.message}`;
        }
      }
      let outcome: GuestOutcome;
      try {
        outcome = await replayAction(ctx, action);
      } catch (e) {
        if (!(e instanceof VerifyFault)) throw e;
        outcome = { replayed: false, errno: null, verifyError: e.message };
      }
      const label = `step-${String(i + 1).padStart(2, '0')}-${spec.op}`;
      const stepRange =
        'start' in spec
          ? { start: spec.start / pageSize, end: (spec.start + spec.size) / pageSize }
          : undefined;
      let verifyError = outcome.verifyError ?? (await settle(guest));
      let cmp: Awaited<ReturnType<typeof snap>> | undefined;
      if (!verifyError) {
        try {
          cmp = await snap(label, m, readView(await snapGuest(label)), stepRange);
        } catch (e) {
          if (!(e instanceof VerifyFault)) throw e;
          verifyError = e.message;
        }
      }
      if (verifyError || !cmp) {
        verifyError ??= 'no snapshot';
        verifyErrors.push({ index: i + 1, op: spec.op, error: verifyError });
        progress(`step ${i + 1}: verify error: ${verifyError}`);
        results.push({
          ...base,
          replayed: outcome.replayed,
          modelErrno,
          kernelErrno: null,
          note,
          verifyError,
          agree: { blocks: null, zones: null, iomem: null, pages: null, refusal: null },
          pagesCompared: 0,
          disagreements: [],
        });
        continue;
      }
      if (!outcome.replayed && action.kind !== 'model-only') {
        notReplayable.push({ index: i + 1, op: spec.op, why: outcome.note ?? 'not replayed' });
      }
      const refusal = outcome.replayed ? compareRefusal(modelErrno, outcome.errno) : [];
      const all = [...cmp.blocks, ...cmp.zones, ...cmp.iomem, ...cmp.pages, ...refusal];
      results.push({
        ...base,
        replayed: outcome.replayed,
        modelErrno,
        kernelErrno: outcome.errno,
        note: [note, outcome.note].filter(Boolean).join('; ') || undefined,
        agree: {
          blocks: agreement(all, 'blocks'),
          zones: agreement(all, 'zones'),
          iomem: agreement(all, 'iomem'),
          pages: agreement(all, 'pages'),
          refusal: outcome.replayed ? agreement(all, 'refusal') : null,
        },
        pagesCompared: cmp.pagesCompared,
        pagesInUse: cmp.pagesInUse,
        disagreements: all,
      });
    }
    return {
      scenario: s.name,
      source: s.source,
      kernel: tools.kernel.release,
      modelKernel: geometry.kernel,
      qemu: guest.args,
      machine: vm,
      boot: {
        ranges: ranges.map((r) => ({ start: hex(r.start), size: hex(r.size) })),
        blockSize: bootView.blockSize,
      },
      steps: results,
      notReplayable,
      verifyErrors,
      autoOnline,
      modelRules: `${geometry.kernel} (the model's rules for the guest's ${tools.kernel.release}: it has 5.4 and 6.19)`,
      approximations: approximations(vm, tools.kernel.release, autoOnline),
      disagreements: results.reduce((n, r) => n + r.disagreements.length, 0),
      pagesCompared: results.reduce((n, r) => n + r.pagesCompared, 0),
      pagesSkipped,
      pagesPastEnd,
      pagesInUse: results.reduce((n, r) => n + (r.pagesInUse ?? 0), 0),
      verdict: verdictOf(results),
      wallMs: Date.now() - started,
    };
  } finally {
    await guest.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}
