/**
 * KVM (virt/kvm/kvm_main.c). 5.4: kvm_is_reserved_pfn() = pfn_valid() ?
 * PageReserved() && !kvm_is_zone_device_pfn() (page_count() and
 * is_zone_device_page()) : true, with no protection. 6.x replaced it with
 * kvm_is_ad_tracked_page() / __kvm_is_mmio_pfn(): pfn_valid() then
 * PageReserved().
 */
import type { WalkerDef } from './walker.js';

export const kvmIsReservedPfn: WalkerDef = {
  name: 'kvm_is_reserved_pfn',
  models: 'kvm_is_reserved_pfn() (5.4), __kvm_is_mmio_pfn() (6.x)',
  protection: { '5.4': 'none', '6.19': 'none' },
  targets: 'any',
  run(k, pfn) {
    k.enter();
    if (k.pfnValid(pfn) && k.pageReserved(pfn) && !k.behaviours.kvmReservedPfnGone) {
      k.pageCount(pfn);
      k.isZoneDevicePage(pfn);
    }
    k.exit();
  },
};
