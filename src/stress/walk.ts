/**
 * A stress walker thread: the kernel's pfn walkers (src/walkers, the very code
 * the explorer interleaves) run in a loop on random pfns of the cycled ranges,
 * reading model memory straight from the SharedArrayBuffer. The design's read
 * side is real: an RCU reader slot of the machine's RCU block (memb: lock and
 * unlock around each walk; qsbr: a quiescent state every qsEvery walks), or
 * mem_hotplug_lock through compareExchange. Every struct page read is checked
 * by the detector.
 */
import type { Geometry, KernelVersion } from '../arch/geometry.js';
import { kernelHelpers } from '../designs/helpers.js';
import { loadDesign } from '../designs/index.js';
import { Memory, type MemoryHandle } from '../model/memory.js';
import { rng } from '../random.js';
import { type RcuMode, type RcuReader, SharedRcu } from '../rcu/shared.js';
import { WalkerKernel, walkerByName } from '../walkers/index.js';
import { Control, type ViolationKind } from './control.js';
import { Detector, type OpRange, type RawViolation } from './detector.js';
import type { Job } from './pool.js';
import { spin, threadWalkerCtx } from './thread-ctx.js';

export interface WalkJob extends Job {
  readonly kind: 'stress-walk';
  readonly memory: MemoryHandle;
  readonly control: SharedArrayBuffer;
  readonly workers: number;
  /** This worker's index (0..workers-1). */
  readonly worker: number;
  readonly geometry: Geometry;
  /** A design name or module path (loadDesign). */
  readonly design: string;
  /** The design's usage-bitmap slots, as the main thread bound them. */
  readonly slots: Readonly<Record<string, number>>;
  readonly kernel: KernelVersion;
  readonly walkers: readonly string[];
  /** pfn ranges to pick from, [start, end) each, and the cumulative weight of each (the last is 1). */
  readonly ranges: readonly (readonly [number, number])[];
  readonly weights: readonly number[];
  readonly ops: readonly OpRange[];
  readonly seed: number;
  /** Spin iterations between a lookup and each dereference. */
  readonly window: number;
  /** The machine's RCU block and how this reader uses it (RCU designs). */
  readonly rcu?: { readonly base: number; readonly mode: RcuMode; readonly qsEvery: number };
  /** Lookups to make (0: until stopped). */
  readonly quota: number;
  readonly stopOnViolation: boolean;
  readonly examplesPerKind: number;
}

export interface WalkResult {
  readonly worker: number;
  readonly lookups: number;
  readonly derefs: number;
  readonly counts: Record<ViolationKind, number>;
  readonly examples: readonly RawViolation[];
  readonly firstMs?: number;
  readonly rcuSlot?: number;
}

const BATCH = 128;

export async function walkJob(job: WalkJob): Promise<WalkResult> {
  const mem = Memory.attach(job.memory);
  const words = mem.words;
  const control = new Control(job.control, job.workers);
  const design = await loadDesign(job.design);
  const walkers = job.walkers.map((name) => {
    const w = walkerByName(name);
    if (!w) throw new Error(`unknown walker '${name}'`);
    return w;
  });
  const detector = new Detector(mem.shadow, control, job.worker, job.ops, job.examplesPerKind);
  let reader: RcuReader | undefined;
  if (job.rcu && design.protection === 'rcu')
    reader = SharedRcu.attach({ words: job.memory.words, base: job.rcu.base }).register(job.rcu.mode);
  const k = new WalkerKernel(
    threadWalkerCtx(words),
    design,
    { mem: words, g: job.geometry, slots: job.slots, helpers: kernelHelpers },
    job.geometry,
    job.kernel,
    reader?.slot ?? 0,
    job.rcu?.base ?? 0,
    {
      rcu: reader,
      // The race window: between the lookup that found the page and each read of it.
      beforePageRead: job.window > 0 ? () => spin(job.window) : undefined,
      pageRead: detector.pageRead,
      quiet: true,
    },
  );
  // One stream per worker, from the run's seed.
  const random = rng((job.seed ^ Math.imul(job.worker + 1, 0x9e3779b9)) >>> 0);
  const { ranges, weights } = job;
  const qsEvery = reader?.qsbr ? Math.max(1, job.rcu!.qsEvery) : 0;
  let sinceQs = 0;
  let lookups = 0;
  let w = 0;
  control.walkerStarted();
  try {
    for (;;) {
      const n = job.quota > 0 ? Math.min(BATCH, job.quota - lookups) : BATCH;
      for (let i = 0; i < n; i++) {
        const r = random();
        let j = 0;
        while (weights[j] < r) j++;
        const [start, end] = ranges[j];
        const pfn = start + Math.floor(random() * (end - start));
        const walker = walkers[w];
        w = w + 1 === walkers.length ? 0 : w + 1;
        detector.walker = walker.name;
        detector.lookup = lookups + i;
        walker.run(k, pfn, 0);
        if (qsEvery && ++sinceQs === qsEvery) {
          reader!.quiescentState();
          sinceQs = 0;
        }
      }
      lookups += n;
      control.publishProgress(job.worker, { lookups, derefs: detector.derefs, counts: detector.counts });
      if (job.quota > 0 && lookups >= job.quota) break;
      if (control.stopped) break;
      if (job.stopOnViolation && control.violations > 0) break;
    }
  } finally {
    reader?.unregister();
  }
  return {
    worker: job.worker,
    lookups,
    derefs: detector.derefs,
    counts: detector.counts,
    examples: detector.examples,
    firstMs: detector.firstMs,
    rcuSlot: reader?.slot,
  };
}
