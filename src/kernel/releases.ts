/**
 * Mainline Linux releases pfnlab models: the tags v5.4 … v6.19 of Linus'
 * tree. Distribution and stable kernels (5.10.x, Debian's 6.1.x) carry
 * backported fixes the mainline tag of their base does not have; pfnlab
 * follows the mainline tags only.
 */

/** Every mainline release from 5.4 to 6.19, oldest first (5.x ended at 5.19, 6.0 came next). */
export const MAINLINE_RELEASES = [
  '5.4',
  '5.5',
  '5.6',
  '5.7',
  '5.8',
  '5.9',
  '5.10',
  '5.11',
  '5.12',
  '5.13',
  '5.14',
  '5.15',
  '5.16',
  '5.17',
  '5.18',
  '5.19',
  '6.0',
  '6.1',
  '6.2',
  '6.3',
  '6.4',
  '6.5',
  '6.6',
  '6.7',
  '6.8',
  '6.9',
  '6.10',
  '6.11',
  '6.12',
  '6.13',
  '6.14',
  '6.15',
  '6.16',
  '6.17',
  '6.18',
  '6.19',
] as const;

/** A mainline release pfnlab can model, spelt as its tag without the 'v'. */
export type KernelRelease = (typeof MAINLINE_RELEASES)[number];

export const OLDEST_RELEASE: KernelRelease = '5.4';
export const NEWEST_RELEASE: KernelRelease = '6.19';

const ORDER: ReadonlyMap<string, number> = new Map(MAINLINE_RELEASES.map((r, i) => [r, i]));

export function isKernelRelease(s: unknown): s is KernelRelease {
  return typeof s === 'string' && ORDER.has(s);
}

/** Position of a release in mainline order (5.4 is 0). */
export function releaseIndex(r: KernelRelease): number {
  return ORDER.get(r) as number;
}

/** Is release r at or after since? */
export function atLeast(r: KernelRelease, since: KernelRelease): boolean {
  return releaseIndex(r) >= releaseIndex(since);
}

/** The mainline release just before r (undefined for 5.4). */
export function previousRelease(r: KernelRelease): KernelRelease | undefined {
  return MAINLINE_RELEASES[releaseIndex(r) - 1];
}
