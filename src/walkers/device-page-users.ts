/**
 * The other is_zone_device_page() users of Dan Williams' audit in the seed
 * thread: code that holds a struct page it got from elsewhere (a page table,
 * an LRU list, a migration entry) and asks whether it is ZONE_DEVICE. What
 * protects it is whether it holds a page reference (which pins the pgmap: its
 * memunmap_pages() waits for every reference), a pgmap reference from
 * get_dev_pagemap(), or nothing.
 */
import type { WalkerKernel } from './kernel.js';
import type { WalkerDef, WalkerTargets } from './walker.js';

type Guard = 'page-reference' | 'none';

function user(name: string, guard: Guard, verdict: string, targets: WalkerTargets = 'device'): WalkerDef {
  const protection = guard === 'page-reference' ? 'the caller holds a page reference (and so a pgmap reference)' : 'none';
  return {
    name,
    models: `${name}()`,
    protection: { '5.4': protection, '6.19': protection },
    threadVerdict: verdict,
    targets,
    holdsReference: guard === 'page-reference',
    run(k: WalkerKernel, pfn: number, heldRef: number) {
      k.enter();
      if (k.isZoneDevicePage(pfn)) k.pagePgmap(pfn);
      k.exit();
      if (guard === 'page-reference') k.putPage(heldRef);
    },
  };
}

/** add_to_kill(): the memory_failure() path for device pages, under get_dev_pagemap() and dax_lock_page(). */
export const addToKill: WalkerDef = {
  name: 'add_to_kill',
  models: 'memory_failure_dev_pagemap() -> add_to_kill()',
  protection: { '5.4': 'get_dev_pagemap() + dax_lock_page()', '6.19': 'get_dev_pagemap() + dax_lock_folio()' },
  threadVerdict: 'add_to_kill(): safe, protected by get_dev_pagemap() and dax_lock_page()',
  targets: 'device',
  run(k, pfn) {
    const pgmap = k.getDevPagemap(pfn);
    if (!pgmap) return;
    k.isZoneDevicePage(pfn);
    k.pageFlags(pfn, 'dax_lock_page()');
    k.putDevPagemap(pgmap);
  },
};

export const DEVICE_PAGE_USERS: readonly WalkerDef[] = [
  user('put_devmap_managed_page', 'page-reference', 'put_devmap_managed_page(): safe, page reference is held'),
  user('is_device_private_page', 'page-reference', 'is_device_private_page(): safe? gpu driver manages private page lifetime', 'device-private'),
  user('is_pci_p2pdma_page', 'page-reference', 'is_pci_p2pdma_page(): safe, page reference is held'),
  user('uncharge_page', 'none', 'uncharge_page(): unsafe? HMM', 'device-private'),
  addToKill,
  user('remove_migration_pte', 'none', 'remove_migration_pte(): unsafe? HMM', 'device-private'),
  user('move_to_new_page', 'none', 'move_to_new_page(): unsafe? HMM', 'device-private'),
  user('migrate_vma_pages', 'none', 'migrate_vma_pages() and helpers: unsafe? HMM', 'device-private'),
  user('try_to_unmap_one', 'none', 'try_to_unmap_one(): unsafe? HMM', 'device-private'),
  user('__put_page', 'page-reference', '__put_page(): safe'),
  user('release_pages', 'page-reference', 'release_pages(): safe'),
];
