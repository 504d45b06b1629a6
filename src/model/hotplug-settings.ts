/**
 * How the kernel onlines hot-added memory, and into which zone: the
 * auto_online_blocks sysfs file (memhp_default_online_type, from
 * CONFIG_MHP_DEFAULT_ONLINE_TYPE_* or memhp_default_state=), and the
 * memory_hotplug module's online_policy and auto_movable_ratio parameters
 * (mm/memory_hotplug.c). One machine has one setting of each.
 */

/** What add_memory() does with the new blocks: leave them offline, or online them as this type. */
export type AutoOnlineBlocks = 'offline' | 'online' | 'online_kernel' | 'online_movable';
export const AUTO_ONLINE_BLOCKS: readonly AutoOnlineBlocks[] = [
  'offline',
  'online',
  'online_kernel',
  'online_movable',
];

/** How a plain "online" picks the zone: contiguous zones, or ZONE_MOVABLE within a ratio (5.15). */
export type OnlinePolicy = 'contig-zones' | 'auto-movable';
export const ONLINE_POLICIES: readonly OnlinePolicy[] = ['contig-zones', 'auto-movable'];

export interface HotplugSettings {
  readonly autoOnlineBlocks: AutoOnlineBlocks;
  readonly onlinePolicy: OnlinePolicy;
  /** auto_movable_ratio: MOVABLE pages allowed per 100 early kernel pages (default 301). */
  readonly autoMovableRatio: number;
}

/** The kernel's defaults: CONFIG_MHP_DEFAULT_ONLINE_TYPE_OFFLINE, contig-zones, 301. */
export const DEFAULT_HOTPLUG_SETTINGS: HotplugSettings = {
  autoOnlineBlocks: 'offline',
  onlinePolicy: 'contig-zones',
  autoMovableRatio: 301,
};
