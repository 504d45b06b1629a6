/**
 * The machine: kernel memory (sections, usage, memmap, pgmap table) in model
 * memory, the writer-side bookkeeping the kernel keeps in ordinary structures
 * (nodes and zones, memory blocks, pgmaps, iomem), and the truth beside them.
 *
 * Operations (src/ops) change a Machine one kernel step at a time.
 */
import type { Geometry } from '../arch/geometry.js';
import { locatePfn, type PfnLocation } from '../arch/pfn.js';
import { cloneBlock, type MemoryBlock } from './blocks.js';
import { DEFAULT_HOTPLUG_SETTINGS, type HotplugSettings } from './hotplug-settings.js';
import {
  G_HOTPLUG_LOCK,
  G_PGMAP_TABLE,
  G_ROOTS,
  GLOBALS_ADDR,
  GLOBALS_WORDS,
  PGMAP_SLOTS,
  PGMAP_WORDS,
} from './layout.js';
import { Memmap } from './memmap.js';
import { MemKind, Memory, type MemoryOptions } from './memory.js';
import { clonePgmap, type Pgmap, PgmapTable } from './pgmap.js';
import type { Resource } from './resources.js';
import { SectionTable } from './sections.js';
import { type Truth, TruthMap } from './truth.js';
import { clonePgdat, newPgdat, type Pgdat } from './zones.js';

/** A pinned range: pages a scenario holds references on, so migration fails. */
export interface PinnedRange {
  readonly startPfn: number;
  readonly endPfn: number;
}

/**
 * Deferred frees (kfree_rcu, call_rcu). Without RCU readers in the picture the
 * machine frees at once; the explorer and the stress runner install their own.
 */
export interface Reclaimer {
  deferFree(mem: Memory, addr: number): void;
}

export const IMMEDIATE_RECLAIM: Reclaimer = {
  deferFree(mem, addr) {
    mem.free(addr);
  },
};

/** The machine's state outside model memory. */
export interface Bookkeeping {
  readonly truth: TruthMap;
  readonly nodes: ReadonlyMap<number, Pgdat>;
  readonly blocks: ReadonlyMap<number, MemoryBlock>;
  readonly pgmaps: ReadonlyMap<string, Pgmap>;
  readonly resources: readonly Resource[];
  readonly pins: readonly PinnedRange[];
  readonly blockSize: number;
  readonly sectionsPerBlock: number;
  readonly booted: boolean;
  readonly nextPgmapNum: number;
  readonly generation: number;
  readonly reclaimer: Reclaimer;
}

/**
 * The blocks as a snapshot had them. The explorer restores once per state it backtracks to, and
 * a machine of 60 TiB has 30,000 blocks of which an operation changes a few: the live objects
 * are kept and only those that differ are updated (a copy of every block each time took 177 s
 * for 10,000 states). The map is rebuilt when its ids or their order differ.
 */
function restoreBlocks(
  live: Map<number, MemoryBlock>,
  saved: ReadonlyMap<number, MemoryBlock>,
): Map<number, MemoryBlock> {
  if (live.size !== saved.size) return cloneBlocks(saved);
  const current = live.entries();
  for (const [id, s] of saved) {
    const [liveId, b] = current.next().value!;
    if (liveId !== id) return cloneBlocks(saved);
    if (b.startSectionNr !== s.startSectionNr || b.early !== s.early) live.set(id, cloneBlock(s));
    else if (b.state !== s.state || b.nid !== s.nid || b.zone !== s.zone) {
      b.state = s.state;
      b.nid = s.nid;
      b.zone = s.zone;
    }
  }
  return live;
}

function cloneBlocks(saved: ReadonlyMap<number, MemoryBlock>): Map<number, MemoryBlock> {
  return new Map([...saved].map(([id, x]) => [id, cloneBlock(x)]));
}

export interface MachineOptions {
  readonly memory?: MemoryOptions;
  /** How hot-added memory is onlined (default: the kernel's, left offline). */
  readonly hotplug?: HotplugSettings;
  /** page_owner=on: onlining allocates each section's page_ext, offlining frees it. */
  readonly pageOwner?: boolean;
}

export class Machine {
  readonly mem: Memory;
  readonly sections: SectionTable;
  readonly memmap: Memmap;
  readonly pgmapTable: PgmapTable;
  truth = new TruthMap();
  nodes = new Map<number, Pgdat>();
  blocks = new Map<number, MemoryBlock>();
  pgmaps = new Map<string, Pgmap>();
  resources: Resource[] = [];
  pins: PinnedRange[] = [];
  /** memory_block_size_bytes(), fixed at boot. */
  blockSize = 0;
  sectionsPerBlock = 0;
  booted = false;
  nextPgmapNum = 1;
  reclaimer: Reclaimer = IMMEDIATE_RECLAIM;
  /** auto_online_blocks, online_policy and auto_movable_ratio: fixed for the machine's life. */
  readonly hotplug: HotplugSettings;
  /** page_owner=on (page_ext in use): fixed for the machine's life. */
  readonly pageOwner: boolean;

  constructor(
    readonly g: Geometry,
    options: MachineOptions = {},
    cloneOf?: Machine,
  ) {
    if (cloneOf) {
      this.mem = cloneOf.mem.clone(options.memory);
    } else {
      this.mem = new Memory(options.memory);
      const globals = this.mem.alloc(GLOBALS_WORDS, MemKind.Globals);
      if (globals !== GLOBALS_ADDR) throw new Error('globals block not at its fixed address');
      // The root pointer array is allocated at boot (memblocks_present()).
      this.mem.store(GLOBALS_ADDR + G_ROOTS, this.mem.alloc(g.nrSectionRoots, MemKind.RootTable));
      this.mem.store(
        GLOBALS_ADDR + G_PGMAP_TABLE,
        this.mem.alloc(PGMAP_SLOTS * PGMAP_WORDS, MemKind.PgmapTable),
      );
      this.mem.store(GLOBALS_ADDR + G_HOTPLUG_LOCK, 0);
    }
    this.hotplug = options.hotplug ?? cloneOf?.hotplug ?? DEFAULT_HOTPLUG_SETTINGS;
    this.pageOwner = options.pageOwner ?? cloneOf?.pageOwner ?? false;
    this.sections = new SectionTable(this.mem, g);
    this.memmap = new Memmap(this.mem, g);
    this.pgmapTable = new PgmapTable(this.mem);
    if (cloneOf) this.restoreBookkeeping(cloneOf.snapshotBookkeeping());
  }

  /** A deep copy of everything but memory: what the kernel keeps in ordinary structures, and the truth. */
  snapshotBookkeeping(): Bookkeeping {
    return {
      truth: this.truth.clone(),
      nodes: new Map([...this.nodes].map(([nid, p]) => [nid, clonePgdat(p)])),
      blocks: new Map([...this.blocks].map(([id, b]) => [id, cloneBlock(b)])),
      pgmaps: new Map([...this.pgmaps].map(([id, p]) => [id, clonePgmap(p)])),
      resources: this.resources.map((r) => ({ ...r })),
      pins: this.pins.slice(),
      blockSize: this.blockSize,
      sectionsPerBlock: this.sectionsPerBlock,
      booted: this.booted,
      nextPgmapNum: this.nextPgmapNum,
      generation: this.memmap.generation,
      reclaimer: this.reclaimer,
    };
  }

  /** Put bookkeeping back as a snapshot had it (the snapshot stays usable). */
  restoreBookkeeping(b: Bookkeeping): void {
    this.truth = b.truth.clone();
    this.nodes = new Map([...b.nodes].map(([nid, p]) => [nid, clonePgdat(p)]));
    this.blocks = restoreBlocks(this.blocks, b.blocks);
    this.pgmaps = new Map([...b.pgmaps].map(([id, p]) => [id, clonePgmap(p)]));
    this.resources = b.resources.map((r) => ({ ...r }));
    this.pins = b.pins.slice();
    this.blockSize = b.blockSize;
    this.sectionsPerBlock = b.sectionsPerBlock;
    this.booted = b.booted;
    this.nextPgmapNum = b.nextPgmapNum;
    this.memmap.generation = b.generation;
    this.reclaimer = b.reclaimer;
  }

  /** A deep copy: memory words, bookkeeping and truth. */
  clone(options: MachineOptions = {}): Machine {
    return new Machine(this.g, options, this);
  }

  /** NODE_DATA(nid), created on first use (hotadd_init_pgdat for new nodes). */
  node(nid: number): Pgdat {
    let p = this.nodes.get(nid);
    if (!p) {
      p = newPgdat(nid);
      this.nodes.set(nid, p);
    }
    return p;
  }

  pagesPerBlock(): number {
    return this.sectionsPerBlock * this.g.pagesPerSection;
  }

  blockIdOfPfn(pfn: number): number {
    return Math.floor(pfn / this.pagesPerBlock());
  }

  locate(pfn: number): PfnLocation {
    return locatePfn(this.g, pfn, this.sectionsPerBlock || 1);
  }

  truthOf(pfn: number): Truth {
    return this.truth.get(pfn);
  }

  /** A pgmap by its numeric id (as struct pages store it). */
  pgmapByNum(num: number): Pgmap | undefined {
    for (const p of this.pgmaps.values()) if (p.num === num) return p;
    return undefined;
  }

  isPinned(startPfn: number, endPfn: number): boolean {
    return this.pins.some((p) => p.startPfn < endPfn && startPfn < p.endPfn);
  }
}

/**
 * The machine as a lookup design sees it: everything its kernel keeps (memory words, sections,
 * memmap, zones, blocks, pgmaps), never the truth. Designs' write sides and the steps they add
 * are typed with it, so a design that reads `truth` or `truthOf()` does not compile.
 */
export type KernelView = Omit<
  Machine,
  'truth' | 'truthOf' | 'snapshotBookkeeping' | 'restoreBookkeeping' | 'clone'
>;
