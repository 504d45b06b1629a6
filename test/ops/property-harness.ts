/**
 * The harness of model-properties.test.ts (and its regressions): model-based properties over every geometry and both kernels: random boot
 * layouts (page-granular ends, holes, a second node), then random but mostly
 * legal operation sequences aimed where they can succeed - including device
 * ranges in the holes of boot sections, at 2 MiB granularity - and a share of
 * refused ones. After every operation: checkInvariants(), the cross-checks
 * below, and every design's answers for one pfn per class, judged without
 * throwing. A refused operation must leave the machine as it was.
 *
 * PFNLAB_FC_RUNS scales the number of sequences, PFNLAB_FC_SEED fixes the seed, PFNLAB_FC_DEBUG prints refusals.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Geometry } from '../../src/arch/geometry.js';
import { geometryFor } from '../../src/arch/presets.js';
import { pfnClasses } from '../../src/compare/classes.js';
import { answersFor } from '../../src/compare/index.js';
import { type BoundDesign, bindDesigns, DESIGNS, FAULT_DESIGNS } from '../../src/designs/index.js';
import { HotplugError } from '../../src/errors.js';
import { checkInvariants } from '../../src/model/invariants.js';
import {
  SECTION_IS_EARLY,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
  SECTION_TAINT_ZONE_DEVICE,
} from '../../src/model/layout.js';
import type { Machine } from '../../src/model/machine.js';
import { NULL } from '../../src/model/memory.js';
import { pagePoisoned, pageToNid, ZONE_NAMES } from '../../src/model/page-flags.js';
import { PGMAP_TYPES, type PgmapType } from '../../src/model/pgmap.js';
import { planOperation, runPlan } from '../../src/ops/index.js';
import { bootScenario } from '../../src/ops/scenario-run.js';
import type { BootRange, OpSpec } from '../../src/ops/spec.js';
import type { WriteSide } from '../../src/ops/step.js';
import { fingerprint, MiB } from '../helpers.js';

/** A geometry and the kernel it runs. */
export interface Config {
  readonly arch: string;
  readonly kernel: '5.4' | '6.19';
}

export const CONFIGS: readonly Config[] = [
  { arch: 'x86_64', kernel: '6.19' },
  { arch: 'x86_64', kernel: '5.4' },
  { arch: 'arm64-4k', kernel: '6.19' },
  { arch: 'arm64-16k', kernel: '6.19' },
  { arch: 'arm64-64k', kernel: '6.19' },
  { arch: 'arm64-4k-5.4', kernel: '5.4' },
  { arch: 'arm64-16k-5.4', kernel: '5.4' },
  { arch: 'arm64-64k-5.4', kernel: '5.4' },
  { arch: 'ppc64-64k', kernel: '6.19' },
  { arch: 'ppc64-64k', kernel: '5.4' },
];

/** The address space explored, in memory blocks. */
const BLOCKS = 6;
const SUB = 2 * MiB;

export function geometry(c: Config): Geometry {
  return geometryFor(c.arch, { kernel: c.kernel });
}

/** memory_block_size_bytes() for a boot below 64 GiB. */
function blockSizeOf(g: Geometry): number {
  if (g.memoryBlockSize) return g.memoryBlockSize;
  return g.blockSizeRule === 'x86' ? 128 * MiB : g.sectionSize;
}

// ---------------------------------------------------------------------------------------------
// Boot layouts

/** A boot range as generated: a gap and a length in subsections, page-granular trims, a node. */
interface RawRange {
  readonly gap: number;
  readonly len: number;
  readonly trimStart: number;
  readonly trimEnd: number;
  readonly node: number;
}

export const rawRange: fc.Arbitrary<RawRange> = fc.record({
  gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  len: fc.integer({ min: 1, max: 160 }),
  trimStart: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(40) }),
  trimEnd: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(40) }),
  node: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
});

/**
 * Lay the ranges out one after another in units of a 64th of a block (at least a subsection),
 * keep them inside the first half of the explored space, trim their ends by whole pages.
 */
export function bootLayout(g: Geometry, raws: readonly RawRange[]): BootRange[] {
  const block = blockSizeOf(g);
  const unit = Math.max(SUB, block / 64);
  const limit = (BLOCKS / 2) * block;
  const out: BootRange[] = [];
  let at = 0;
  for (const r of raws) {
    let start = at + r.gap * unit;
    let end = start + r.len * unit;
    if (end > limit) end = limit;
    if (start >= end) break;
    start += Math.min(r.trimStart, (end - start) / g.pageSize - 1) * g.pageSize;
    end -= Math.min(r.trimEnd, (end - start) / g.pageSize - 1) * g.pageSize;
    out.push({ start, size: end - start, node: r.node });
    at = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Operations

type Kind = 'add_memory' | 'online' | 'offline' | 'remove' | 'memremap' | 'memunmap' | 'pin' | 'unpin';

export interface Intent {
  readonly kind: Kind;
  readonly aimed: boolean;
  readonly pick: number;
  readonly pick2: number;
  readonly count: number;
  readonly zone: 'normal' | 'movable' | undefined;
  readonly node: number;
  readonly type: PgmapType;
  readonly id: string;
  /**
   * undefined: no altmap; otherwise the reserve in pages and, when set, an explicit free: that
   * many pages beyond what the memmap needs, or (negative) short of it.
   */
  readonly altmap: { readonly reserve: number; readonly free: number | undefined } | undefined;
}

export const intent: fc.Arbitrary<Intent> = fc.record({
  kind: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<Kind>('add_memory', 'online', 'offline', 'memremap') },
    { weight: 2, arbitrary: fc.constantFrom<Kind>('remove', 'memunmap', 'pin', 'unpin') },
  ),
  aimed: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  pick: fc.nat(),
  pick2: fc.nat(),
  count: fc.integer({ min: 1, max: 2 }),
  zone: fc.constantFrom(undefined, 'normal' as const, 'movable' as const),
  node: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  type: fc.constantFrom(...PGMAP_TYPES),
  id: fc.constantFrom('a', 'b', 'c'),
  altmap: fc.option(
    fc.record({
      reserve: fc.oneof(fc.constant(0), fc.nat(64)),
      free: fc.option(
        fc.oneof({ weight: 4, arbitrary: fc.nat(64) }, { weight: 1, arbitrary: fc.constant(-1) }),
        {
          nil: undefined,
          freq: 3,
        },
      ),
    }),
    { nil: undefined },
  ),
});

/** Blocks of the explored space in the state the operation needs (or free, for add_memory). */
function blockCandidates(m: Machine, kind: Kind): number[] {
  const out: number[] = [];
  for (let id = 0; id < BLOCKS; id++) {
    const b = m.blocks.get(id);
    const start = id * m.blockSize;
    const ok =
      (kind === 'add_memory' &&
        !b &&
        m.resources.every((r) => r.end <= start || r.start >= start + m.blockSize)) ||
      (kind === 'online' && b?.state === 'offline') ||
      (kind === 'offline' && b?.state === 'online') ||
      (kind === 'remove' && b?.state === 'offline');
    if (ok) out.push(id);
  }
  return out;
}

/** Runs of whole subsections no resource touches: [start, end) in bytes. */
function freeSubsectionRuns(m: Machine): [number, number][] {
  const out: [number, number][] = [];
  const limit = BLOCKS * m.blockSize;
  let runStart = -1;
  for (let a = 0; a <= limit; a += SUB) {
    const free = a < limit && m.resources.every((r) => r.end <= a || r.start >= a + SUB);
    if (free && runStart < 0) runStart = a;
    if (!free && runStart >= 0) {
      out.push([runStart, a]);
      runStart = -1;
    }
  }
  return out;
}

/** Pieces of truth in the explored space with one of the given states. */
function truthPieces(m: Machine, states: readonly string[]): { start: number; end: number }[] {
  const endPfn = (BLOCKS * m.blockSize) / m.g.pageSize;
  return m.truth.slice(0, endPfn).filter((p) => states.includes(p.truth.state));
}

function resolve(m: Machine, i: Intent): OpSpec {
  const g = m.g;
  const bs = m.blockSize;
  const blocks = i.aimed ? blockCandidates(m, i.kind) : [];
  const block = blocks.length ? blocks[i.pick % blocks.length] : i.pick % BLOCKS;
  const count = blocks.length ? 1 : i.count;
  switch (i.kind) {
    case 'add_memory':
      return { op: 'add_memory', start: block * bs, size: count * bs, node: i.node };
    case 'offline':
    case 'remove':
      return { op: i.kind, start: block * bs, size: count * bs };
    case 'online':
      return { op: 'online', start: block * bs, size: count * bs, zone: i.zone };
    case 'memremap': {
      let start = (i.pick % ((BLOCKS * bs) / SUB)) * SUB;
      let size = (1 + (i.pick2 % 16)) * SUB;
      const runs = i.aimed ? freeSubsectionRuns(m) : [];
      if (runs.length) {
        const [rs, re] = runs[i.pick % runs.length];
        const subs = (re - rs) / SUB;
        const first = i.pick2 % subs;
        // Half the time from the run's start (next to boot RAM or a block), else anywhere in it.
        start = rs + (i.pick2 % 2 ? 0 : first) * SUB;
        size = (1 + (Math.floor(i.pick2 / 7) % ((re - start) / SUB))) * SUB;
      }
      const need = Math.ceil(((size / g.pageSize) * 64) / g.pageSize);
      const altmap = i.altmap && {
        reserve: i.altmap.reserve * g.pageSize,
        free: i.altmap.free === undefined ? undefined : Math.max(0, need + i.altmap.free) * g.pageSize,
      };
      // Aimed: an id not in use yet, when there is one.
      const id = i.aimed ? (['a', 'b', 'c'].find((x) => !m.pgmaps.has(x)) ?? i.id) : i.id;
      return { op: 'memremap', start, size, type: i.type, id, node: i.node, altmap };
    }
    case 'memunmap':
      return {
        op: 'memunmap',
        id: i.aimed && m.pgmaps.size ? [...m.pgmaps.keys()][i.pick % m.pgmaps.size] : i.id,
      };
    case 'pin': {
      const pieces = i.aimed ? truthPieces(m, ['online', 'device']) : [];
      const pfn = pieces.length
        ? pieces[i.pick % pieces.length].start +
          (i.pick2 % (pieces[i.pick % pieces.length].end - pieces[i.pick % pieces.length].start))
        : i.pick % ((BLOCKS * bs) / g.pageSize);
      return { op: 'pin', start: pfn * g.pageSize, size: g.pageSize };
    }
    case 'unpin': {
      const pin = i.aimed && m.pins.length ? m.pins[i.pick % m.pins.length] : undefined;
      const pfn = pin ? pin.startPfn : i.pick % ((BLOCKS * bs) / g.pageSize);
      return {
        op: 'unpin',
        start: pfn * g.pageSize,
        size: (pin ? pin.endPfn - pin.startPfn : 1) * g.pageSize,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cross-checks beyond checkInvariants()

/** Problems a kernel developer would see between truth and the kernel's structures; each a sentence. */
export function crossCheck(m: Machine, bootSections: ReadonlySet<number>): string[] {
  const out: string[] = [];
  const g = m.g;
  // struct pages agree with the truth about the node, and not-yet-initialized memmap is poisoned.
  for (const iv of m.truth.intervals()) {
    const t = iv.truth;
    if (t.state !== 'online' && t.state !== 'device' && t.state !== 'uninitialized') continue;
    for (const run of m.memmap.runs(iv.start, iv.end)) {
      if (!run.page) {
        out.push(`${t.state} pfns ${run.start}-${run.end - 1} have no memmap`);
        continue;
      }
      const poisoned = pagePoisoned(run.page.flags);
      if (t.state === 'uninitialized' && !poisoned)
        out.push(`uninitialized pfns ${run.start}-${run.end - 1} have an unpoisoned memmap`);
      if (t.state !== 'uninitialized' && !poisoned && pageToNid(run.page.flags) !== (t.nid ?? 0))
        out.push(
          `${t.state} pfns ${run.start}-${run.end - 1} say node ${pageToNid(run.page.flags)}, truth ${t.nid}`,
        );
    }
  }
  // Section flags against the truth.
  for (const nr of m.sections.allocatedSectionNrs()) {
    const ms = m.sections.section(nr);
    const flags = m.sections.flags(ms);
    if (!(flags & SECTION_MARKED_PRESENT)) continue;
    const start = nr * g.pagesPerSection;
    const pieces = m.truth.slice(start, start + g.pagesPerSection);
    const has = (s: string) => pieces.some((p) => p.truth.state === s);
    const online = (flags & SECTION_IS_ONLINE) !== 0;
    if (has('online') && !online) out.push(`section ${nr} holds online pfns but is not ONLINE`);
    if (online && !has('online')) out.push(`section ${nr} is ONLINE but holds no online pfn`);
    if (flags & SECTION_IS_EARLY && !bootSections.has(nr))
      out.push(`section ${nr} is EARLY but was not present at boot`);
    const device = has('device') || has('driver-reserved');
    // (No check that 5.4 leaves TAINT clear: the upstream design's write side sets it on any kernel.)
    if (g.kernel !== '5.4' && device && online && !(flags & SECTION_TAINT_ZONE_DEVICE))
      out.push(`section ${nr} is ONLINE and holds device pfns but is not tainted`);
  }
  // Zone and node accounting. (5.4's shrink_zone_span() can end a span short of online pages,
  // see shrunkPastHole54() in invariants.ts, so present may exceed spanned there.)
  for (const node of g.kernel === '5.4' ? [] : m.nodes.values()) {
    if (node.nodePresentPages > node.nodeSpannedPages)
      out.push(`node ${node.nid} present ${node.nodePresentPages} > spanned ${node.nodeSpannedPages}`);
    for (const z of node.zones) {
      if (z.presentPages > z.spannedPages)
        out.push(`node ${node.nid} zone ${z.name} present ${z.presentPages} > spanned ${z.spannedPages}`);
      if (z.presentPages < 0) out.push(`node ${node.nid} zone ${z.name} present ${z.presentPages} < 0`);
    }
  }
  // Memory blocks: each has a present section; an online block with a zone holds only that zone's pages.
  for (const b of m.blocks.values()) {
    let present = false;
    for (let nr = b.startSectionNr; nr < b.startSectionNr + m.sectionsPerBlock; nr++) {
      const ms = m.sections.section(nr);
      if (ms !== NULL && m.sections.flags(ms) & SECTION_MARKED_PRESENT) present = true;
    }
    if (!present) out.push(`memory${b.id} exists but none of its sections is present`);
    const start = b.startSectionNr * g.pagesPerSection;
    for (const p of m.truth.slice(start, start + m.pagesPerBlock())) {
      if (p.truth.state !== 'online') continue;
      if (b.state !== 'online') out.push(`memory${b.id} is ${b.state} but pfn ${p.start} is online`);
      if (b.zone !== null && (p.truth.zone !== ZONE_NAMES[b.zone] || p.truth.nid !== b.nid))
        out.push(
          `memory${b.id} is in node ${b.nid} zone ${ZONE_NAMES[b.zone]} but pfn ${p.start} is online in node ${p.truth.nid} zone ${p.truth.zone}`,
        );
    }
  }
  // Live pgmaps own their range in the truth.
  for (const p of m.pgmaps.values()) {
    for (const piece of m.truth.slice(p.startPfn, p.endPfn)) {
      const s = piece.truth.state;
      if ((s !== 'device' && s !== 'driver-reserved') || piece.truth.pgmap !== p.id)
        out.push(`pgmap ${p.id} pfn ${piece.start} is ${s} of ${piece.truth.pgmap}`);
    }
  }
  return out;
}

/**
 * Every design answers for one pfn of every class, without throwing. On 6.19, upstream (the
 * kernel as it is) gets only what the fact sheet says it gets wrong between operations:
 * the struct page of a hole in a partly populated subsection of an early section.
 */
function judgeDesigns(m: Machine, bound: readonly BoundDesign[]): string[] {
  const out: string[] = [];
  for (const c of pfnClasses(m)) {
    for (const b of bound) {
      const a = answersFor(m, b, c.start);
      if (b.design.name === 'upstream' && m.g.kernel === '6.19') {
        const bad = a.wrong.filter((w) => w !== 'hole-returned');
        if (bad.length)
          out.push(`upstream: pfn ${c.start} (${m.truthOf(c.start).state}) judged ${bad.join(', ')}`);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** One generated case, replayable from a regression test. */
export function runCase(
  c: Config,
  boot: readonly BootRange[],
  specsOrIntents: readonly (OpSpec | Intent)[],
  tally?: Map<string, number>,
): void {
  const g = geometry(c);
  let bound: BoundDesign[] = [];
  const { machine: m } = bootScenario(
    { name: 'property', geometry: g, boot, steps: [] },
    {
      memory: { capacityWords: 2 ** 22 },
      prepare(mm) {
        bound = bindDesigns(mm, [...DESIGNS, ...FAULT_DESIGNS]);
        return bound.map((b) => b.writeSide);
      },
    },
  );
  const sides: WriteSide[] = bound.map((b) => b.writeSide);
  const bootSections = new Set(m.sections.presentSectionNrs());
  const after = (what: string) => {
    const broken = [...checkInvariants(m), ...crossCheck(m, bootSections), ...judgeDesigns(m, bound)];
    assert.deepEqual(broken, [], `${c.arch} ${c.kernel} ${JSON.stringify(boot)} after ${what}`);
  };
  after('boot');
  for (const x of specsOrIntents) {
    const spec = 'op' in x ? x : resolve(m, x);
    const before = fingerprint(m);
    let plan: ReturnType<typeof planOperation>;
    try {
      plan = planOperation(m, spec, sides);
    } catch (e) {
      if (!(e instanceof HotplugError)) throw e;
      assert.equal(fingerprint(m), before, `refused ${JSON.stringify(spec)} changed the machine`);
      tally?.set(`${spec.op} refused`, (tally.get(`${spec.op} refused`) ?? 0) + 1);
      if (process.env.PFNLAB_FC_DEBUG) console.log(spec, e.message);
      continue;
    }
    runPlan(m, plan);
    tally?.set(spec.op, (tally.get(spec.op) ?? 0) + 1);
    if (spec.op === 'memremap') tally?.set(`memremap ${spec.altmap ? 'altmap' : 'plain'}`, 1);
    after(JSON.stringify(spec));
  }
}
