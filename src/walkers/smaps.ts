/**
 * smaps_pmd_entry() (fs/proc/task_mmu.c): the page behind a PMD mapping (a
 * DAX huge page) is tested with is_zone_device_page() with no pgmap
 * reference: "unsafe" in Dan Williams' audit.
 */
import type { WalkerDef } from './walker.js';

export const smapsPmdEntry: WalkerDef = {
  name: 'smaps_pmd_entry',
  models: 'smaps_pmd_entry()',
  protection: { '5.4': "mmap_sem only: nothing keeps the device's memmap", '6.19': "mmap_lock only: nothing keeps the device's memmap" },
  threadVerdict: 'smaps_pmd_entry(): unsafe',
  targets: 'device',
  run(k, pfn) {
    k.enter();
    k.isZoneDevicePage(pfn);
    k.exit();
  },
};
