/**
 * The kernel's own memory-hotplug selftest, replayed:
 * tools/testing/selftests/memory-hotplug/mem-on-off-test.sh runs five phases
 * on the hot-pluggable memory blocks:
 *
 *   1. online every offline block;
 *   2. offline a ratio (default 10%) of the online blocks;
 *   3. online every offline block again;
 *   4. with the memory notifier error-injection module
 *      (memory-notifier-error-inject: MEM_GOING_ONLINE / MEM_GOING_OFFLINE
 *      answer -ENOMEM), expect onlining and offlining to fail;
 *   5. clean up (the injection cleared and the module removed).
 *
 * Verify replays the same phases as a scenario, in the model and in the
 * guest, on the blocks of a 1 GiB DIMM hot-added first (the real test also
 * tries boot blocks, whose kernel allocations the model does not have), and
 * compares after every step what the test does not look at: every block's
 * state, the zones, /proc/iomem and the struct pages.
 *
 * Phase 2 offlines the most recently onlined blocks: in a 512 MiB guest
 * (all boot RAM in DMA32) the first block onlined is the kernel's only
 * ZONE_NORMAL and takes its unmovable allocations at once, so offlining it
 * fails with -EBUSY (the test, going in directory order, counts such a
 * failure and moves on; the model cannot know those allocations). Phase 4
 * runs one offline with MEM_GOING_OFFLINE failing, then one online with
 * MEM_GOING_ONLINE failing (the test's phase 4 finds no offline block after
 * phase 3: it onlines only blocks that are offline); the model has no
 * notifier chain, so those steps expect the injected -ENOMEM and leave the
 * model unchanged. Phase 5 onlines what is left offline, as the test's
 * cleanup does; the module stays loaded (nothing compared depends on it).
 */

import { InputError } from '../errors.js';
import { type Scenario, scenarioFromJson } from '../scenario/index.js';

const GiB = 2 ** 30;
const BLOCK = 128 * 2 ** 20;
/** The DIMM's address: the start of QEMU's device-memory region for a 512 MiB guest. */
const DIMM = 4 * GiB;
const DIMM_SIZE = GiB;

/** The memory notifier event the injection makes fail (debugfs notifier-error-inject/memory/actions/EVENT/error). */
export type NotifierEvent = 'MEM_GOING_ONLINE' | 'MEM_GOING_OFFLINE';

/** A scenario step's place in the selftest, and the failure injected into it. */
export interface SelftestStep {
  readonly phase: number;
  readonly inject?: { readonly event: NotifierEvent; readonly errno: 'ENOMEM' };
}

export interface Selftest {
  readonly scenario: Scenario;
  /** One per scenario step. */
  readonly steps: readonly SelftestStep[];
}

/** The phases of mem-on-off-test.sh as a scenario; `ratio` is its -r (percent of online blocks to offline). */
export function selftestScenario(ratio = 10): Selftest {
  if (!Number.isInteger(ratio) || ratio < 0 || ratio > 100)
    throw new InputError('verify', `--ratio must be a whole percentage 0..100, got ${ratio}`, ratio);
  const blocks = DIMM_SIZE / BLOCK;
  const at = (i: number) => DIMM + i * BLOCK;
  const json: { op: string; start: number; size: number; expect?: string; comment?: string }[] = [];
  const steps: SelftestStep[] = [];
  const add = (phase: number, step: (typeof json)[number], inject?: SelftestStep['inject']) => {
    json.push(step);
    steps.push(inject ? { phase, inject } : { phase });
  };
  add(0, {
    op: 'add_memory',
    start: DIMM,
    size: DIMM_SIZE,
    comment: 'the hot-pluggable memory the phases use',
  });
  // Phase 1: online every offline block, one by one.
  for (let i = 0; i < blocks; i++) add(1, { op: 'online', start: at(i), size: BLOCK });
  // Phase 2: offline ratio% of the online blocks (the test's integer arithmetic, at least one), last first.
  const target = Math.min(blocks, Math.max(1, Math.floor((blocks * ratio) / 100)));
  const chosen = Array.from({ length: target }, (_, k) => blocks - 1 - k);
  for (const i of chosen) add(2, { op: 'offline', start: at(i), size: BLOCK });
  // Phase 3: online them again.
  for (const i of chosen) add(3, { op: 'online', start: at(i), size: BLOCK });
  // Phase 4: injected failures, on the last block.
  const last = at(blocks - 1);
  const enomem = (event: NotifierEvent) => ({ event, errno: 'ENOMEM' as const });
  add(4, { op: 'offline', start: last, size: BLOCK, expect: 'ENOMEM' }, enomem('MEM_GOING_OFFLINE'));
  add(4, {
    op: 'offline',
    start: last,
    size: BLOCK,
    comment: 'no injection: a block for the failing online',
  });
  add(4, { op: 'online', start: last, size: BLOCK, expect: 'ENOMEM' }, enomem('MEM_GOING_ONLINE'));
  // Phase 5: clean up: online what is offline.
  add(5, { op: 'online', start: last, size: BLOCK });
  const scenario = scenarioFromJson(
    {
      name: 'verify-selftest',
      description: `mem-on-off-test.sh's five phases (ratio ${ratio}%) on a 1 GiB DIMM's blocks`,
      arch: 'x86_64',
      overrides: { hypervisor: true },
      boot: [
        { start: '0x1000', size: '0x9e000' },
        { start: '0x100000', size: '0x1fedf000' },
      ],
      verify: { memory: '512M', slots: 1, maxmem: '2G' },
      steps: json,
    },
    'selftest',
  );
  return { scenario, steps };
}
