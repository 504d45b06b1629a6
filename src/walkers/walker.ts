/** The shape of a pfn walker: a kernel reader of arbitrary pfns, with the protection it really has. */
import type { WalkerKernel } from './kernel.js';

export type WalkerTargets = 'ram' | 'device' | 'device-private' | 'untouched' | 'any';

export interface WalkerDef {
  readonly name: string;
  /** The kernel function(s) it models. */
  readonly models: string;
  /** The protection it really has in the oldest and newest release modelled (src/kernel names what changed between). */
  readonly protection: Readonly<Record<'5.4' | '6.19', string>>;
  /** Dan Williams' verdict in the seed thread's is_zone_device_page() audit, when he named it. */
  readonly threadVerdict?: string;
  /** The pfns it is run on by default. */
  readonly targets: WalkerTargets;
  /** The caller holds a page reference from before the walk (taken at set-up, dropped by the walker). */
  readonly holdsReference?: boolean;
  /** One walk of pfn. heldRef is the pgmap record the set-up reference is on (0 for none). */
  run(k: WalkerKernel, pfn: number, heldRef: number): void;
}
