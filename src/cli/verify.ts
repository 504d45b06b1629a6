/** pfnlab verify <scenario>... [--kernel 6.1|6.12|VMLINUZ] [--json] [--keep DIR] [--strict]; pfnlab verify --setup */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { isMachineDir } from '../io/machine-dir.js';
import { loadScenario } from '../io/scenario.js';
import { renderVerify } from '../report/verify.js';
import { runVerify, selftestScenario, setup, type VerifyResult } from '../verify/index.js';
import { type CliIo, type Command, intOption, parseCommandArgs, printJson, stringOption } from './command.js';

/**
 * Scenario arguments: files, built-in names, capture or export directories
 * (loadScenario() imports them, as run and pfn do), or directories of *.json
 * (scenarios/verify).
 */
function scenarioRefs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (existsSync(a) && statSync(a).isDirectory() && !isMachineDir(a)) {
      const files = readdirSync(a)
        .filter((f) => f.endsWith('.json'))
        .sort();
      if (!files.length) throw new InputError(a, 'directory has no *.json scenarios');
      out.push(...files.map((f) => join(a, f)));
    } else {
      out.push(a);
    }
  }
  return out;
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'replay a scenario on a real Linux kernel under QEMU and compare it with the model',
  help: `usage: pfnlab verify <scenario>... [--kernel 6.1|6.12|VMLINUZ] [--modules DIR] [--json] [--keep DIR] [--strict]
       pfnlab verify --selftest [--ratio N] [--kernel ...] [--json] [--keep DIR] [--strict]
       pfnlab verify --setup [--dry-run]

Boot a Linux kernel under QEMU (TCG) with a busybox initramfs pfnlab builds,
replay the scenario's steps on it (pc-dimm hot-add and ACPI unplug through
QMP, memoryN/state writes, virtio-mem resizes, NVDIMM namespaces switched to
devdax or fsdax), and after boot and after every step compare the guest's
memory blocks (state, valid_zones, phys_index), /proc/zoneinfo (start_pfn,
spanned, present) and /proc/iomem with the model's, every refusal's errno,
and the struct pages of every present section pfn by pfn (/proc/kpageflags
and /proc/kpagecount, per class: nopage, offline, reserved, free, allocated,
mapped; inside boot RAM, whose kernel allocations the model does not have,
only nopage and offline).
The model boots from the guest's own /proc/iomem. Steps that cannot be
replayed are listed. A scenario's optional "verify" section sizes the QEMU
machine (memory, slots, maxmem, nvdimms, virtioMem); see scenarios/verify/.

<scenario> is a scenario file, a built-in name, a directory written by
\`pfnlab capture\` or \`pfnlab export\` (imported first), or a directory of
scenarios.

  --kernel K        the kernel to boot: a series (6.1, 6.12: the newest one
                    --setup fetched into ~/.cache/pfnlab/kernel) or a vmlinuz
                    path (its modules are found beside it); default: the
                    newest kernel in the cache. The model then follows the
                    mainline release of the guest's series (uname -r
                    6.12.48+deb13-amd64: 6.12's rules, see pfnlab kernels)
  --modules DIR     that kernel's /lib/modules/<release> directory
  --cache DIR       the cache directory (default ~/.cache/pfnlab, or $PFNLAB_CACHE)
  --keep DIR        keep each run's snapshots (a sysfs/proc tree per step,
                    the model's view, the console log, the QEMU command line)
  --json            print the whole result as JSON
  --strict          a step that could not be replayed fails the run (exit 1)
  --pages-limit N   pfns whose /proc/kpageflags and /proc/kpagecount are read
                    and compared per snapshot, at most (default 1048576: 4 GiB;
                    the step's range first, then memory outside boot RAM; 0
                    compares no struct pages)
  --selftest        replay the kernel's memory-hotplug selftest
                    (tools/testing/selftests/memory-hotplug/mem-on-off-test.sh:
                    online all, offline --ratio % of the online blocks, online
                    all, online and offline failing under the memory notifier
                    error-injection module, clean up) on a 1 GiB DIMM's blocks,
                    in the model and in the guest, comparing every block, zone
                    and struct page after each step; without the module in the
                    kernel, the injected steps are listed as not replayed
  --ratio N         with --selftest: the percentage of online blocks phase 2
                    offlines (the test's -r; default 10, at least one block)
  --setup           fetch (never install) the newest Debian 6.1 and 6.12
                    cloud kernels into the cache (a private apt configuration
                    under it: its own sources list with bookworm-backports and
                    its own lists, then apt-get download and dpkg -x), and say
                    which apt packages the host lacks (qemu-system-x86,
                    busybox-static, cpio, xz-utils, zstd)
  --dry-run         with --setup: only say what would be done

The last line says what was compared: "agree on every step", or "agree on N
of M steps" with the steps not replayed and verify's own errors (a wait that
timed out, an agent shell error, a missing sysfs file: never counted as the
kernel refusing).

Exit status: 0 the model and the kernel agree on every step that was replayed,
1 a disagreement, a verify error, or (--strict) a step not replayed, 2 bad
input or a missing tool (run 'pfnlab verify --setup').`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('verify', argv, {
      kernel: { type: 'string' },
      modules: { type: 'string' },
      cache: { type: 'string' },
      keep: { type: 'string' },
      json: { type: 'boolean' },
      strict: { type: 'boolean' },
      'pages-limit': { type: 'string' },
      selftest: { type: 'boolean' },
      ratio: { type: 'string' },
      setup: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    });
    const cache = stringOption(p, 'cache');
    if (p.values.setup) {
      if (p.positionals.length) throw new InputError('verify', '--setup takes no scenario');
      const steps = setup({ cache, dryRun: Boolean(p.values['dry-run']), log: (l) => io.err(`${l}\n`) });
      if (p.values.json) printJson(io, steps);
      else for (const s of steps) io.out(`${s.done ? 'ok  ' : 'todo'} ${s.what}: ${s.command}\n`);
      return 0;
    }
    if (p.values['dry-run']) throw new InputError('verify', '--dry-run goes with --setup');
    const ratio = intOption('verify', p, 'ratio', 100);
    if (ratio !== undefined && !p.values.selftest)
      throw new InputError('verify', '--ratio goes with --selftest');
    const selftest = p.values.selftest ? selftestScenario(ratio ?? 10) : undefined;
    if (selftest && p.positionals.length) throw new InputError('verify', '--selftest takes no scenario');
    if (!selftest && !p.positionals.length)
      throw new InputError('verify', 'expected a <scenario> (or --selftest, or --setup)');
    const scenarios = selftest
      ? [selftest.scenario]
      : scenarioRefs(p.positionals).map((ref) => loadScenario(ref));
    const keep = stringOption(p, 'keep');
    const pagesLimit = intOption('verify', p, 'pages-limit', 2 ** 32);
    const results: VerifyResult[] = [];
    for (const s of scenarios) {
      const r = await runVerify(
        s,
        {
          kernel: stringOption(p, 'kernel'),
          modules: stringOption(p, 'modules'),
          cache,
          pagesLimit,
          keep: keep && (scenarios.length > 1 ? join(keep, s.name) : keep),
          onProgress: io.errIsTty ? (l) => io.err(`${l}\n`) : undefined,
        },
        selftest?.steps,
      );
      results.push(r);
      if (!p.values.json) io.out(`${results.length > 1 ? '\n' : ''}${renderVerify(r)}\n`);
    }
    if (p.values.json) printJson(io, results.length === 1 ? results[0] : results);
    const failed = (r: VerifyResult) =>
      r.disagreements > 0 ||
      r.verdict.verifyErrors > 0 ||
      (Boolean(p.values.strict) && r.verdict.notReplayed > 0);
    return results.some(failed) ? 1 : 0;
  },
};
