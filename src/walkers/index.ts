/** The pfn walkers, one way in. */

import { checkPageSpanWalker } from './check-page-span.js';
import { compaction } from './compaction.js';
import { DEVICE_PAGE_USERS } from './device-page-users.js';
import { kpagecount, kpageflags } from './kpageflags.js';
import { kvmIsReservedPfn } from './kvm.js';
import { memoryFailure, softOfflinePage } from './memory-failure.js';
import { pageIdle } from './page-idle.js';
import { pageOwner } from './page-owner.js';
import { pfnWalker } from './pfn-walker.js';
import { smapsPmdEntry } from './smaps.js';
import type { WalkerDef } from './walker.js';

export { WalkerKernel } from './kernel.js';
export type { WalkerDef, WalkerTargets } from './walker.js';

/** The kernel's readers of arbitrary pfns (fs/proc/page.c, mm/compaction.c, mm/memory-failure.c, ...) and pfn-walker. */
export const PFN_WALKERS: readonly WalkerDef[] = [
  pfnWalker,
  kpageflags,
  kpagecount,
  pageIdle,
  compaction,
  memoryFailure,
  softOfflinePage,
  smapsPmdEntry,
  kvmIsReservedPfn,
  checkPageSpanWalker,
];

export const WALKERS: readonly WalkerDef[] = [
  ...PFN_WALKERS,
  ...DEVICE_PAGE_USERS.filter((w) => !PFN_WALKERS.includes(w)),
];

/** Readers of what only some machines have (page_ext: page_owner=on); named in scenarios, not audited. */
export const PAGE_EXT_WALKERS: readonly WalkerDef[] = [pageOwner];

export const WALKER_NAMES: readonly string[] = [...WALKERS, ...PAGE_EXT_WALKERS].map((w) => w.name);

export function walkerByName(name: string): WalkerDef | undefined {
  return WALKERS.find((w) => w.name === name) ?? PAGE_EXT_WALKERS.find((w) => w.name === name);
}
