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
import { buildInitramfs } from './initramfs.js';
import { Guest } from './qemu.js';
import { describeAction, type GuestAction, planReplay, replayAction } from './replay.js';
import { findToolchain } from './setup.js';
import { modelView, readView, writeGuestDir } from './view.js';

export type { Disagreement } from './compare.js';
export { compareViews } from './compare.js';
export { hotplugBase, verifyMachine } from './config.js';
export { planReplay } from './replay.js';
export { findToolchain, SetupError, setup } from './setup.js';

export interface VerifyOptions {
  readonly kernel?: string;
  readonly modules?: string;
  readonly cache?: string;
  /** Keep the run directory (snapshots per step, console log, QEMU command line) here. */
  readonly keep?: string;
  readonly onProgress?: (line: string) => void;
}

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
  readonly agree: { blocks: Agreement; zones: Agreement; iomem: Agreement; refusal: Agreement };
  readonly disagreements: readonly Disagreement[];
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
  readonly approximations: string[];
  readonly disagreements: number;
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

function approximations(vm: VerifyMachine, release: string): string[] {
  const out = [`the model follows kernel 6.19 where 6.19 and 5.4 differ; the guest runs ${release}`];
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

function agreement(all: readonly Disagreement[], area: Disagreement['area']): Agreement {
  return !all.some((d) => d.area === area);
}

/** Boot the guest, replay the scenario, compare after every step. */
export async function runVerify(s: Scenario, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const vm = verifyMachine(s);
  const actions = planReplay(s.steps, vm);
  // --keep is made first and one directory at a time: a bad path is one line before QEMU boots
  // (and /proc/x cannot spin mkdir -p).
  if (opts.keep) withFileErrors(() => makeDirs(opts.keep as string), opts.keep);
  const tools = findToolchain({ kernel: opts.kernel, modules: opts.modules, cache: opts.cache });
  const initrd = buildInitramfs({ busybox: tools.busybox, modulesDir: tools.kernel.modules });
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
    const snap = async (label: string, m: Machine) => {
      const g = readView(await snapGuest(label));
      const mv = modelView(m, join(dir, `${label}.model`));
      return compareViews(mv, g, { driverManaged });
    };
    // Boot: the model starts from the guest's own layout, imported from its
    // files (boot ranges from /proc/iomem, block size from sysfs). Devices the
    // import may infer are left out: the scenario's steps bring them.
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
    const bootCmp = compareViews(modelView(m, join(dir, 'step-00-boot.model')), bootView, { driverManaged });
    const bootDis = [...blockSizeDis, ...bootCmp.blocks, ...bootCmp.zones, ...bootCmp.iomem];
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
        refusal: null,
      },
      disagreements: bootDis,
    });
    const notReplayable: VerifyResult['notReplayable'] = [];
    const ctx = { guest, blockSize: bootView.blockSize, ndDevices: new Map<string, string>() };
    for (let i = 0; i < s.steps.length; i++) {
      const spec = s.steps[i];
      const action: GuestAction = actions[i];
      progress(`step ${i + 1}: ${summary(spec)} -> ${describeAction(action)}`);
      const base = {
        index: i + 1,
        op: spec.op,
        summary: summary(spec),
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
          agree: { blocks: null, zones: null, iomem: null, refusal: null },
          disagreements: [],
        });
        continue;
      }
      let modelErrno: string | null = null;
      let note: string | undefined;
      try {
        runPlan(m, planOperation(m, spec));
      } catch (e) {
        if (!(e instanceof HotplugError)) throw e;
        modelErrno = e.errno;
        note = `model: ${e.message}`;
      }
      const outcome = await replayAction(ctx, action);
      if (!outcome.replayed && action.kind !== 'model-only') {
        notReplayable.push({ index: i + 1, op: spec.op, why: outcome.note ?? 'not replayed' });
      }
      const cmp = await snap(`step-${String(i + 1).padStart(2, '0')}-${spec.op}`, m);
      const refusal = outcome.replayed ? compareRefusal(modelErrno, outcome.errno) : [];
      const all = [...cmp.blocks, ...cmp.zones, ...cmp.iomem, ...refusal];
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
          refusal: outcome.replayed ? agreement(all, 'refusal') : null,
        },
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
      approximations: approximations(vm, tools.kernel.release),
      disagreements: results.reduce((n, r) => n + r.disagreements.length, 0),
      wallMs: Date.now() - started,
    };
  } finally {
    await guest.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}
