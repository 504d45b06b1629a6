/**
 * How ZONE_DEVICE memory is named in /proc/iomem, written once for export and
 * import. The kernel's own names:
 *  - fsdax: the pmem driver claims its namespace ("namespaceX.Y", pmem_attach_disk())
 *    under the region's "Persistent Memory"; the block device is pmemX(.Y).
 *  - devdax on pmem: dax_pmem claims only the namespace's info block and, with
 *    map=dev, the memmap ([start, start + dataoff), dax_pmem_probe()); the device
 *    is daxX.Y. pfnlab shows a devdax range without an altmap as a "daxX.Y" child.
 *  - kmem: "daxX.Y" > "System RAM (kmem)" (dev_dax_kmem_probe()).
 *  - soft-reserved (dax_hmem, MEMORY_DEVICE_GENERIC): "Soft Reserved" > daxX.Y,
 *    and CXL (cxl_dax_region): "CXL Window N" > regionN > daxX.Y. Without a
 *    dax device (a bare range, hmem.N, a window or region alone) nothing has
 *    a memmap.
 *  - device-private: a top-level region named by its driver
 *    (request_free_mem_region(): "hmm_dmirror", "nouveau_dmem", a PCI device).
 *  - p2pdma: inside a PCI BAR, indistinguishable from any other BAR.
 */

export const PERSISTENT_MEMORY = 'Persistent Memory';
export const SOFT_RESERVED = 'Soft Reserved';
export const P2PDMA_PARENT = 'PCI Bus 0000:00';

const NAMESPACE = /^namespace(\d+)\.(\d+)$/;
const PMEM = /^pmem(\d+)(?:\.(\d+))?$/;
const DAX = /^dax(\d+)\.(\d+)$/;

/** Top-level iomem names the platform uses; anything else at the top, above RAM, is a driver's region. */
const PLATFORM_NAMES =
  /^(System RAM|Reserved|reserved|ACPI|PCI |Persistent Memory|Soft Reserved|CXL|Kernel |Crash kernel|IOAPIC|HPET|Local APIC|pnp |dmar|Video ROM|System ROM|Adapter ROM|RAM buffer|Unknown E820|hmem|region\d|GHES|INT|MSFT|PNP|BOOTFB|efifb|vesafb|MMCONFIG)/;

/** The namespace name for a pgmap id (pmemN <-> namespaceN.0, daxN.M <-> namespaceN.M). */
export function namespaceName(id: string, fallback: number): string {
  if (NAMESPACE.test(id)) return id;
  const pmem = PMEM.exec(id);
  if (pmem) return `namespace${pmem[1]}.${pmem[2] ?? 0}`;
  const dax = DAX.exec(id);
  if (dax) return `namespace${dax[1]}.${dax[2]}`;
  return `namespace${fallback}.0`;
}

/** The dax device name for a pgmap id. */
export function daxName(id: string, fallback: number): string {
  if (DAX.test(id)) return id;
  const ns = NAMESPACE.exec(id) ?? PMEM.exec(id);
  return ns ? `dax${ns[1]}.${ns[2] ?? 0}` : `dax${fallback}.0`;
}

export function isNamespaceName(name: string): boolean {
  return NAMESPACE.test(name);
}

export function isDaxName(name: string): boolean {
  return DAX.test(name);
}

/** The pgmap id import gives a namespace: its block device name for fsdax, its dax device for devdax. */
export function pgmapIdForNamespace(name: string, type: 'fsdax' | 'devdax'): string {
  const m = NAMESPACE.exec(name);
  if (!m) return name;
  if (type === 'devdax') return `dax${m[1]}.${m[2]}`;
  return m[2] === '0' ? `pmem${m[1]}` : `pmem${m[1]}.${m[2]}`;
}

export function isPlatformName(name: string): boolean {
  return PLATFORM_NAMES.test(name);
}

/**
 * A name a driver gives a device-private region: one word, as
 * dev_name() or a driver string is ("hmm_dmirror", "0000:03:00.0"); device-tree
 * nodes ("pcie@10000000") and platform names are not.
 */
export function isDriverRegionName(name: string): boolean {
  return /^[A-Za-z0-9_.:-]+$/.test(name) && !isPlatformName(name);
}

/** A resource name as a scenario id (letters, digits, _ . : -). */
export function sanitizeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_.:-]+/g, '_') || 'device';
}
