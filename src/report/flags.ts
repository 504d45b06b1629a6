/** Section flags as crash's `kmem -n` and drgn print them: P M O E D. */
import {
  SECTION_HAS_MEM_MAP,
  SECTION_IS_EARLY,
  SECTION_IS_ONLINE,
  SECTION_MARKED_PRESENT,
  SECTION_TAINT_ZONE_DEVICE,
} from '../model/layout.js';

const LETTERS: readonly [number, string][] = [
  [SECTION_MARKED_PRESENT, 'P'],
  [SECTION_HAS_MEM_MAP, 'M'],
  [SECTION_IS_ONLINE, 'O'],
  [SECTION_IS_EARLY, 'E'],
  [SECTION_TAINT_ZONE_DEVICE, 'D'],
];

/** Letters by flags word, computed once each (a 16 TiB map asks 131,072 times for a handful of words). */
const lettersOf = new Map<number, string>();

export function sectionFlagLetters(flags: number): string {
  let s = lettersOf.get(flags);
  if (s === undefined) {
    s =
      LETTERS.filter(([bit]) => flags & bit)
        .map(([, l]) => l)
        .join('') || '-';
    lettersOf.set(flags, s);
  }
  return s;
}
