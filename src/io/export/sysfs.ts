/**
 * The sysfs memory tree the kernel would show for the model
 * (drivers/base/memory.c): block_size_bytes (block_size_bytes_show(), "%lx"),
 * memoryN/ with N decimal, phys_index ("%08lx"), state (state_show()),
 * valid_zones (valid_zones_show(), via validZones()), removable ("1" with
 * CONFIG_MEMORY_HOTREMOVE, removable_show()), online, and the nodeN link with
 * its node/nodeN/memoryN backlink (do_register_memory_block_under_node()).
 */
import type { MemoryBlock } from '../../model/blocks.js';
import type { Machine } from '../../model/machine.js';
import { validZones } from '../../ops/zone-policy.js';
import { MACHINE_FILES } from '../machine-dir.js';

/** A file with its contents, or a symbolic link with its target. */
export type TreeEntry =
  | { readonly path: string; readonly text: string }
  | { readonly path: string; readonly link: string }
  | { readonly path: string; readonly data: Uint8Array };

const MEMORY = MACHINE_FILES.sysfsMemory;
const NODE = MACHINE_FILES.sysfsNode;

/** phys_index_show(): "%08lx" */
export function physIndex(id: number): string {
  return id.toString(16).padStart(8, '0');
}

function blockEntries(m: Machine, b: MemoryBlock): TreeEntry[] {
  const dir = `${MEMORY}/memory${b.id}`;
  return [
    { path: `${dir}/phys_index`, text: `${physIndex(b.id)}\n` },
    { path: `${dir}/state`, text: `${b.state}\n` },
    { path: `${dir}/online`, text: b.state === 'offline' ? '0\n' : '1\n' },
    { path: `${dir}/valid_zones`, text: `${validZones(m, b).join(' ')}\n` },
    { path: `${dir}/removable`, text: '1\n' },
    { path: `${dir}/node${b.nid}`, link: `../../node/node${b.nid}` },
    { path: `${NODE}/node${b.nid}/memory${b.id}`, link: `../../memory/memory${b.id}` },
  ];
}

/** Every file and link of the tree, paths relative to the machine directory. */
export function sysfsEntries(m: Machine): TreeEntry[] {
  const ids = [...m.blocks.keys()].sort((a, b) => a - b);
  return [
    { path: `${MEMORY}/block_size_bytes`, text: `${m.blockSize.toString(16)}\n` },
    // auto_online_blocks_show(): memhp_default_online_type's name.
    { path: `${MEMORY}/auto_online_blocks`, text: `${m.hotplug.autoOnlineBlocks}\n` },
    ...ids.flatMap((id) => blockEntries(m, m.blocks.get(id)!)),
  ];
}
