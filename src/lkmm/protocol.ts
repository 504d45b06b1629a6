/**
 * A lookup design's protocol as litmus tests. A design declares how each access of its write side
 * and of its lookups is marked, as the kernel code it stands for marks it; from that, each
 * operation becomes one test of two threads over two locations:
 *
 * - `flag`: the bit the lookup tests (SECTION_IS_ONLINE, an active or device subsection bit, a live
 *   pgmap reference);
 * - `page`: the struct page's flags word: 0 uninitialized, 1 initialized, 2 poisoned.
 *
 * Publish (online, memremap): the writer initializes the memmap and sets the flag; the reader tests
 * the flag and, if set, reads the page. `exists (1:r0=1 /\ 1:r1=0)` is a reader seeing the flag and
 * an uninitialized struct page. Teardown (offline+remove, memunmap): the writer clears the flag,
 * waits as the design waits, and poisons the memmap; `exists (1:r0=1 /\ 1:r1=2)` is a reader that
 * saw the flag reading a poisoned page.
 */
import type { LitmusOutcome } from './check.js';
import { decideLitmus } from './check.js';
import { parseLitmus } from './parser.js';

/** How a store is marked: a plain C store (`ms->section_mem_map |= ...`), WRITE_ONCE, a release, an atomic bitop. */
export type StoreMarking =
  | 'plain'
  | 'WRITE_ONCE'
  | 'smp_store_release'
  | 'rcu_assign_pointer'
  | 'set_bit'
  | 'clear_bit';
/** How a load is marked: plain, READ_ONCE (test_bit() reads through a volatile pointer), acquire, rcu_dereference. */
export type LoadMarking = 'plain' | 'READ_ONCE' | 'test_bit' | 'smp_load_acquire' | 'rcu_dereference';
/** What a reader holds across lookup and use of the page. */
export type ReaderGuard = 'none' | 'rcu' | 'mem_hotplug_lock';

export interface MarkedAccess<M> {
  readonly marking: M;
  /** The kernel function that makes the access. */
  readonly fn: string;
}

export type ProtocolOp = 'online' | 'memremap' | 'offline+remove' | 'memunmap' | 'remove';

/**
 * One step of a protocol's writer, in its kernel order: `init` (the memmap initialized: plain stores
 * to the struct page), `poison` (invalidated: poisoned or freed), `flag` (the store to the flag),
 * `synchronize_rcu`, and `lock`/`unlock` of mem_hotplug_lock.
 */
export type WriterStep = 'init' | 'poison' | 'flag' | 'null' | 'synchronize_rcu' | 'lock' | 'unlock';

/**
 * A lookup that reaches what the flag guards through a pointer the writer sets to NULL: pfn_valid()
 * tests SECTION_HAS_MEM_MAP, loads ms->usage and tests a bit of its subsection_map while
 * section_deactivate() frees the usage and stores NULL. In the test, `usage` points to `map` (1: the
 * subsection bit), the writer's `poison` step is the free (map = 2) and its `null` step stores the
 * address of `null`, a location holding 3 that stands for address 0: a load through NULL reads 3,
 * so the oops is a value the condition names instead of an undefined access.
 */
export interface PointerHop {
  /** The pointer, in the kernel's words. */
  readonly pointer: string;
  /** The writer's store of NULL to it. */
  readonly store: MarkedAccess<'plain' | 'WRITE_ONCE'>;
  /** The lookup's load of it. */
  readonly load: MarkedAccess<'plain' | 'READ_ONCE'>;
  /** The lookup tests the pointer for NULL before dereferencing it. */
  readonly nullCheck: boolean;
}

export interface ProtocolDeclaration {
  readonly op: ProtocolOp;
  /** The flag, in the kernel's words. */
  readonly flag: string;
  /** The writer's store to the flag (setting it for a publish, clearing it for a teardown). */
  readonly store: MarkedAccess<StoreMarking>;
  /** The lookup's load of the flag. */
  readonly load: MarkedAccess<LoadMarking>;
  /** The writer's steps in the order its kernel takes them. */
  readonly writer: readonly WriterStep[];
  /** The reader's guard when this lookup differs from the design's (get_dev_pagemap()'s reference). */
  readonly reader?: ReaderGuard;
  /** What in the kernel this stands for, where it is not obvious. */
  readonly note?: string;
  /** The lookup goes through a pointer the writer clears (a `remove` of ms->usage). */
  readonly hop?: PointerHop;
  /** The release whose code this declaration follows, where it differs by release. */
  readonly kernel?: string;
  /**
   * Where the flag lives: a mem_section word, the mem_section_usage, the pgmap table. `explore
   * --memory-model lkmm` takes the lookup's loads there as acquire when `load` is one.
   */
  readonly word?: FlagWord;
}

export type FlagWord = 'mem_section' | 'usage' | 'pgmap';

/** Loads that order the loads after them (an acquire; rcu_dereference() through its address dependency). */
export function isOrderingLoad(m: LoadMarking): boolean {
  return m === 'smp_load_acquire' || m === 'rcu_dereference';
}

/** A design's memory-ordering declaration: its readers' guard and one protocol per operation. */
export interface DesignAccesses {
  readonly reader: ReaderGuard;
  readonly protocols: readonly ProtocolDeclaration[];
}

export const PUBLISH_OPS: readonly ProtocolOp[] = ['online', 'memremap'];

export function isPublish(op: ProtocolOp): boolean {
  return PUBLISH_OPS.includes(op);
}

function storeText(m: StoreMarking, value: 0 | 1): string {
  switch (m) {
    case 'plain':
      // herd7's C has no unary ~ (CParser.mly: `~` only in `&~` of __atomic_op): -2 is ~1.
      return value ? '*flag = *flag | 1;' : '*flag = *flag & -2; // &= ~1';
    case 'WRITE_ONCE':
      return `WRITE_ONCE(*flag, ${value});`;
    case 'smp_store_release':
      return `smp_store_release(flag, ${value});`;
    case 'rcu_assign_pointer':
      return `rcu_assign_pointer(*flag, ${value});`;
    case 'set_bit':
    case 'clear_bit':
      // herd7 has no bitops: an unordered atomic RMW is atomic_or()/atomic_andnot(), as linux-kernel.def spells them.
      return value ? 'atomic_or(1, flag);' : 'atomic_andnot(1, flag);';
  }
}

function loadText(m: LoadMarking): string {
  switch (m) {
    case 'plain':
      return 'r0 = *flag;';
    case 'READ_ONCE':
    case 'test_bit':
      return 'r0 = READ_ONCE(*flag);';
    case 'smp_load_acquire':
      return 'r0 = smp_load_acquire(flag);';
    case 'rcu_dereference':
      return 'r0 = rcu_dereference(*flag);';
  }
}

const GUARD: Record<ReaderGuard, [string, string]> = {
  none: ['', ''],
  rcu: ['rcu_read_lock();', 'rcu_read_unlock();'],
  mem_hotplug_lock: ['spin_lock(hotplug);', 'spin_unlock(hotplug);'],
};

export interface GeneratedTest {
  readonly design: string;
  readonly op: ProtocolOp;
  readonly kind: 'publish' | 'teardown';
  readonly name: string;
  readonly text: string;
  readonly declaration: ProtocolDeclaration;
}

function writerLine(step: WriterStep, d: ProtocolDeclaration, publish: boolean): string {
  switch (step) {
    case 'init':
      return '\t*page = 1;';
    case 'poison':
      return d.hop ? '\t*map = 2;' : '\t*page = 2;';
    case 'flag':
      return `\t${storeText(d.store.marking, publish ? 1 : 0)}`;
    case 'null':
      return d.hop?.store.marking === 'WRITE_ONCE' ? '\tWRITE_ONCE(*usage, null);' : '\t*usage = null;';
    case 'synchronize_rcu':
      return '\tsynchronize_rcu();';
    case 'lock':
      return '\tspin_lock(hotplug);';
    case 'unlock':
      return '\tspin_unlock(hotplug);';
  }
}

function writerSummary(d: ProtocolDeclaration): string {
  const words: Record<WriterStep, string> = {
    init: 'memmap initialized',
    poison: d.hop ? `${d.hop.pointer} freed` : 'memmap poisoned',
    flag: `${d.flag} ${isPublish(d.op) ? 'set' : 'cleared'} by ${d.store.fn} (${d.store.marking})`,
    null: `${d.hop?.pointer} = NULL (${d.hop?.store.marking})`,
    synchronize_rcu: 'synchronize_rcu()',
    lock: 'mem_hotplug_begin()',
    unlock: 'mem_hotplug_done()',
  };
  return d.writer.map((w) => words[w]).join(', ');
}

/** The shared locations a test's threads take, as their parameter list. */
function threadParams(d: ProtocolDeclaration, reader: ReaderGuard): string {
  const usesLock = reader === 'mem_hotplug_lock' || d.writer.includes('lock');
  const flagType = d.store.marking === 'set_bit' || d.store.marking === 'clear_bit' ? 'atomic_t' : 'int';
  const data = d.hop ? 'int **usage, int *map, int *null' : 'int *page';
  return `${flagType} *flag, ${data}${usesLock ? ', spinlock_t *hotplug' : ''}`;
}

/** The initial state: each location declared with the type the threads take it as (herd7 checks them alike). */
function initLines(d: ProtocolDeclaration, publish: boolean): string[] {
  const atomic = d.store.marking === 'set_bit' || d.store.marking === 'clear_bit';
  const flag = atomic
    ? `\tatomic_t flag = ATOMIC_INIT(${publish ? 0 : 1});`
    : `\tint flag = ${publish ? 0 : 1};`;
  if (!d.hop) return [flag, `\tint page = ${publish ? 0 : 1};`];
  return [flag, '\tint map = 1;', '\tint null = 3;', '\tint *usage = &map;'];
}

/** After the flag test: read the page, or load the pointer and read through it (NULL-checked where the kernel checks). */
function useLines(d: ProtocolDeclaration): string[] {
  if (!d.hop) return ['\tif (r0)', '\t\tr1 = *page;'];
  const load = d.hop.load.marking === 'READ_ONCE' ? 'READ_ONCE(*usage)' : '*usage';
  const deref = d.hop.nullCheck
    ? ['\t\tif (r1 != null)', '\t\t\tr2 = READ_ONCE(*r1);']
    : ['\t\tr2 = READ_ONCE(*r1);'];
  return ['\tif (r0) {', `\t\tr1 = ${load};`, ...deref, '\t}'];
}

function readerLines(d: ProtocolDeclaration, reader: ReaderGuard): string[] {
  const [enter, leave] = GUARD[reader];
  const regs = d.hop ? ['\tint r0;', '\tint *r1;', '\tint r2;'] : ['\tint r0;', '\tint r1;'];
  return [
    ...regs,
    '',
    ...(enter ? [`\t${enter}`] : []),
    `\t${loadText(d.load.marking)}`,
    ...useLines(d),
    ...(leave ? [`\t${leave}`] : []),
  ];
}

/** The bad outcome: the flag seen with an uninitialized (publish) or poisoned page; through a pointer, freed memory or NULL read. */
function badOutcome(d: ProtocolDeclaration, publish: boolean): string {
  if (d.hop) return '1:r2=2 \\/ 1:r2=3';
  return publish ? '1:r0=1 /\\ 1:r1=0' : '1:r0=1 /\\ 1:r1=2';
}

function headerLines(
  design: string,
  d: ProtocolDeclaration,
  reader: ReaderGuard,
  publish: boolean,
): string[] {
  const lookup = d.hop
    ? `${d.load.fn} reads ${d.flag} (${d.load.marking}), then ${d.hop.pointer} (${d.hop.load.marking}${d.hop.nullCheck ? ', NULL-checked' : ''}) and the bitmap it points to`
    : `${d.load.fn} reads ${d.flag} (${d.load.marking}), then the struct page`;
  const legend = d.hop
    ? ` * map: 1 the usage's subsection_map, 2 freed; null: 3, what a load through NULL reads. The condition is freed usage or NULL dereferenced.`
    : ` * page: 0 uninitialized, 1 initialized, 2 poisoned. The condition is the ${publish ? 'uninitialized' : 'poisoned'} page seen.`;
  return [
    '(*',
    ` * ${design}: ${d.op} (${publish ? 'publish' : 'teardown'})${d.kernel ? ` on Linux ${d.kernel}` : ''}, generated by pfnlab litmus --design.`,
    ` * Writer: ${writerSummary(d)}.`,
    ` * Lookup: ${lookup}${reader === 'none' ? '' : ` under ${reader}`}.`,
    ...(d.note ? [` * ${d.note}`] : []),
    legend,
    ' *)',
  ];
}

/** The litmus test of one protocol of one design, in herd7's C dialect. */
export function protocolTest(
  design: string,
  designReader: ReaderGuard,
  d: ProtocolDeclaration,
): GeneratedTest {
  const publish = isPublish(d.op);
  const reader = d.reader ?? designReader;
  const name = `${design}+${d.op}`.replace(/[^A-Za-z0-9.+-]/g, '-');
  const params = threadParams(d, reader);
  const text = [
    `C ${name}`,
    '',
    ...headerLines(design, d, reader, publish),
    '',
    '{',
    ...initLines(d, publish),
    '}',
    '',
    `P0(${params})`,
    '{',
    ...d.writer.map((w) => writerLine(w, d, publish)),
    '}',
    '',
    `P1(${params})`,
    '{',
    ...readerLines(d, reader),
    '}',
    '',
    `exists (${badOutcome(d, publish)})`,
    '',
  ].join('\n');
  return { design, op: d.op, kind: publish ? 'publish' : 'teardown', name, text, declaration: d };
}

export interface ProtocolVerdict {
  readonly test: GeneratedTest;
  readonly lkmm: LitmusOutcome;
  readonly sc: LitmusOutcome;
}

/** Every protocol of a design, decided under LKMM and under sequential consistency. */
export function designProtocolVerdicts(design: string, accesses: DesignAccesses): ProtocolVerdict[] {
  return accesses.protocols.map((d) => {
    const test = protocolTest(design, accesses.reader, d);
    const parsed = parseLitmus(test.text, `${test.name}.litmus`);
    return { test, lkmm: decideLitmus(parsed, 'lkmm'), sc: decideLitmus(parsed, 'sc') };
  });
}

/** A verdict cell: SAFE/UNSAFE from the exists clause, and a data race where linux-kernel.cat flags one. */
export function verdictCell(o: LitmusOutcome): string {
  const v = o.result === 'Never' ? 'safe' : o.result === 'DEADLOCK' ? 'DEADLOCK' : 'UNSAFE';
  return `${v} (${o.result}${o.dataRace ? ', data race' : ''})`;
}
