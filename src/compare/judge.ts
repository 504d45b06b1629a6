/**
 * Wrong answers: a design's answer that the truth contradicts, sorted into
 * categories. The first six are the issue's; the rest name the other ways a
 * lookup can be wrong.
 */

import { NO_PAGE } from '../model/lookup.js';
import type { TruthState } from '../model/truth.js';

/** Each category with what it means, for tables' legends. */
export const CATEGORY_MEANINGS = {
  'device-as-online': 'pfn_to_online_page() returned a ZONE_DEVICE page',
  'uninitialized-returned': 'a lookup returned a page whose memmap is not initialized',
  'driver-reserved-returned':
    'a lookup returned an altmap pfn (the reserve, or the pages holding the memmap)',
  'offline-as-online': 'pfn_to_online_page() returned offline memory',
  'online-missed': 'pfn_to_online_page() returned NULL for online memory',
  'hole-returned':
    'a lookup returned a page of a hole, a struct page with no memory behind it (Reserved in 6.19, zeroed in 5.4)',
  'no-memmap-returned': 'a lookup (or pfn_valid()) vouched for a pfn whose memmap does not exist',
  'tearing-down-returned':
    'a lookup returned a page whose memmap is being torn down (a dying pgmap, an offlining range)',
  'online-as-device': 'pfn_to_device_page() returned System RAM',
  'device-missed': 'pfn_to_device_page() returned NULL for a device page',
  'zone-device-misjudged': 'is_zone_device_page() wrong on an initialized page',
} as const;

export const CATEGORIES = Object.keys(CATEGORY_MEANINGS) as readonly (keyof typeof CATEGORY_MEANINGS)[];

export type Category = keyof typeof CATEGORY_MEANINGS;

/** What a design said about one pfn. */
export interface Answers {
  readonly pfnValid: boolean;
  readonly online: number;
  /** undefined: the design has no pfn_to_device_page(). */
  readonly device: number | undefined;
  readonly zoneDevice: boolean;
}

function returnedWrongly(state: TruthState): Category | undefined {
  switch (state) {
    case 'uninitialized':
      return 'uninitialized-returned';
    case 'driver-reserved':
      return 'driver-reserved-returned';
    case 'hole':
      return 'hole-returned';
    case 'no-memmap':
    case 'freed':
      return 'no-memmap-returned';
    case 'tearing-down':
      return 'tearing-down-returned';
    default:
      return undefined;
  }
}

/** The categories a design's answers for one pfn fall into (empty: all right). */
export function judge(state: TruthState, a: Answers, memmapMapped: boolean): Category[] {
  const out: Category[] = [];
  if (a.online !== NO_PAGE) {
    if (state === 'device') out.push('device-as-online');
    else if (state === 'offline') out.push('offline-as-online');
    else if (state !== 'online' && state !== 'vmemmap') {
      // An online block's self-hosted memmap pages are initialized in its zone and its sections
      // online: pfn_to_online_page() returns them, as it does memblock-reserved boot pages.
      const c = returnedWrongly(state);
      if (c) out.push(c);
    }
  } else if (state === 'online') {
    out.push('online-missed');
  }
  if (a.device !== undefined) {
    if (a.device !== NO_PAGE) {
      if (state === 'online' || state === 'offline' || state === 'vmemmap') out.push('online-as-device');
      else if (state !== 'device') {
        const c = returnedWrongly(state);
        if (c && !out.includes(c)) out.push(c);
      }
    } else if (state === 'device') {
      out.push('device-missed');
    }
  }
  if (a.pfnValid && !memmapMapped && !out.includes('no-memmap-returned')) out.push('no-memmap-returned');
  if ((state === 'online' && a.zoneDevice) || (state === 'device' && !a.zoneDevice))
    out.push('zone-device-misjudged');
  return out;
}

/** The categories with their meanings, one per line, for help texts and legends. */
export function categoryLegend(categories: readonly Category[] = CATEGORIES, indent = '  '): string {
  const width = Math.max(...categories.map((c) => c.length));
  return categories.map((c) => `${indent}${c.padEnd(width)}  ${CATEGORY_MEANINGS[c]}`).join('\n');
}
