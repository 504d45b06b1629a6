/**
 * Kernels as data: which behaviours are in force at a mainline release. The
 * one place that knows what changed between 5.4 and 6.19; every other module
 * asks resolveKernel() (or kernelOf()) by behaviour name and never compares
 * release strings. This folder imports nothing else of pfnlab.
 */
import { BEHAVIOUR_NAMES, BEHAVIOURS, type Behaviour, type BehaviourName } from './behaviours.js';
import {
  atLeast,
  isKernelRelease,
  type KernelRelease,
  NEWEST_RELEASE,
  OLDEST_RELEASE,
  previousRelease,
  releaseIndex,
} from './releases.js';

export { BEHAVIOUR_NAMES, BEHAVIOURS, type Behaviour, type BehaviourName } from './behaviours.js';
export {
  atLeast,
  isKernelRelease,
  type KernelRelease,
  MAINLINE_RELEASES,
  NEWEST_RELEASE,
  OLDEST_RELEASE,
  previousRelease,
  releaseIndex,
} from './releases.js';

/** The behaviours in force at one release: each name is true from its release on. */
export type Kernel = { readonly release: KernelRelease } & { readonly [K in BehaviourName]: boolean };

/** A release pfnlab does not model; carries the offending value. */
export class UnknownKernelError extends Error {
  constructor(readonly value: unknown) {
    super(
      `kernel must be a mainline release ${OLDEST_RELEASE} … ${NEWEST_RELEASE} (e.g. 5.15, 6.1), got '${String(value).slice(0, 40)}'`,
    );
    this.name = 'UnknownKernelError';
  }
}

/** One line naming the accepted releases, for --help and error messages. */
export const KERNEL_RANGE_TEXT = `a mainline release ${OLDEST_RELEASE} … ${NEWEST_RELEASE} (mainline tags, not distribution or stable trees)`;

const RESOLVED = new Map<KernelRelease, Kernel>();

/** The behaviours in force at release r (cached: callers may ask on hot paths). */
export function resolveKernel(r: string): Kernel {
  if (!isKernelRelease(r)) throw new UnknownKernelError(r);
  let k = RESOLVED.get(r);
  if (!k) {
    const has = Object.fromEntries(BEHAVIOUR_NAMES.map((n) => [n, atLeast(r, BEHAVIOURS[n].since)]));
    k = Object.freeze({ release: r, ...has }) as Kernel;
    RESOLVED.set(r, k);
  }
  return k;
}

/** The behaviours of whatever carries a release (a geometry, a scenario's settings). */
export function kernelOf(x: { readonly kernel: KernelRelease }): Kernel {
  return resolveKernel(x.kernel);
}

/** The release just before a behaviour came in, and its first: the pair each test asserts. */
export function releasesAround(name: BehaviourName): {
  readonly before: KernelRelease;
  readonly after: KernelRelease;
} {
  const after = BEHAVIOURS[name].since;
  return { before: previousRelease(after) ?? after, after };
}

/** Every behaviour with its release, oldest first (what `pfnlab kernels` prints). */
export function behaviourTable(): readonly (Behaviour & { readonly name: BehaviourName })[] {
  return BEHAVIOUR_NAMES.map((name) => ({ name, ...BEHAVIOURS[name] })).sort(
    (a, b) => releaseIndex(a.since) - releaseIndex(b.since),
  );
}
