/**
 * page_ext per section (mm/page_ext.c, CONFIG_SPARSEMEM): with a page_ext client such as
 * page_owner=on, the memory notifier gives each section of a range going online a page_ext array
 * (online_page_ext(), MEM_GOING_ONLINE) and frees it once the range is offline
 * (offline_page_ext(), MEM_OFFLINE). The model keeps one PageExt word per section standing for
 * the array; readers (lookup_page_ext()) read ms->page_ext and then that word.
 *
 * Before pageExtFreedAfterRcu (6.1) __free_page_ext() frees the array and only then clears
 * ms->page_ext, with readers unprotected: a reader that loaded the pointer reads freed memory.
 * From 6.1 offlining marks every section's pointer invalid, waits in synchronize_rcu() for the
 * readers inside page_ext_get()/page_ext_put() (an RCU read side), then frees.
 */
import { kernelOf } from '../kernel/index.js';
import { G_PAGE_EXT_READERS, GLOBALS_ADDR, PAGE_EXT_INVALID } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import { MemKind, NULL } from '../model/memory.js';
import { hex } from '../units.js';
import { type KernelStep, step } from './step.js';

/** The sections [startPfn, endPfn) touches, as offline_page_ext() rounds them (SECTION_ALIGN_DOWN/UP). */
function sectionNrs(m: Machine, startPfn: number, endPfn: number): number[] {
  const pps = m.g.pagesPerSection;
  const out: number[] = [];
  for (let nr = Math.floor(startPfn / pps); nr * pps < endPfn; nr++) out.push(nr);
  return out;
}

/** online_page_ext() -> init_section_page_ext(): a page_ext for every section that has none. */
export function onlinePageExtSteps(m: Machine, startPfn: number, endPfn: number): KernelStep[] {
  if (!m.pageOwner) return [];
  return [
    step('online_page_ext', { startPfn, endPfn }, `pfn ${hex(startPfn)}-${hex(endPfn - 1)}`, (mm) => {
      for (const nr of sectionNrs(mm, startPfn, endPfn)) {
        if (mm.sections.pageExt(nr) === NULL) mm.sections.setPageExt(nr, mm.mem.alloc(1, MemKind.PageExt));
      }
    }),
  ];
}

/** offline_page_ext(): the release's order of freeing each section's page_ext. */
export function offlinePageExtSteps(m: Machine, startPfn: number, endPfn: number): KernelStep[] {
  if (!m.pageOwner) return [];
  const nrs = sectionNrs(m, startPfn, endPfn);
  const args = { startPfn, endPfn };
  const range = `pfn ${hex(startPfn)}-${hex(endPfn - 1)}`;
  if (!kernelOf(m.g).pageExtFreedAfterRcu)
    return [
      step('__free_page_ext', args, `${range}: free, then ms->page_ext = NULL`, (mm) => freeEach(mm, nrs)),
    ];
  return [
    step('__invalidate_page_ext', args, `${range}: mark ms->page_ext invalid`, (mm) => {
      for (const nr of nrs) {
        const ext = mm.sections.pageExt(nr);
        if (ext !== NULL) mm.sections.setPageExt(nr, ext | PAGE_EXT_INVALID);
      }
    }),
    // synchronize_rcu(): taken when no reader is inside page_ext_get()..page_ext_put(). Real RCU
    // waits only for readers that began before; every state this allows, real RCU allows too.
    step(
      'synchronize_rcu',
      args,
      'wait for page_ext readers',
      () => {},
      (mm) => mm.mem.load(GLOBALS_ADDR + G_PAGE_EXT_READERS) === 0,
    ),
    step('__free_page_ext', args, `${range}: ms->page_ext = NULL, free`, (mm) => freeEach(mm, nrs)),
  ];
}

/** __free_page_ext() for each section: 5.4 frees before clearing the pointer; the order is the bug. */
function freeEach(m: Machine, nrs: readonly number[]): void {
  for (const nr of nrs) {
    const ext = m.sections.pageExt(nr) & ~PAGE_EXT_INVALID;
    if (ext === NULL) continue;
    m.mem.free(ext);
    m.sections.setPageExt(nr, NULL);
  }
}
