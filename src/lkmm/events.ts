/**
 * The events of a litmus test's executions, in herd7's vocabulary for the Linux-kernel memory
 * model (linux-kernel.def / .bell / lock.cat): reads and writes with their annotation, fences with
 * their kind, and the synchronize_srcu() event that names its srcu_struct.
 */

/** The annotation of a read or write. Lock and SRCU accesses carry lock.cat's and the bell's classes. */
export type Annotation =
  | 'plain'
  | 'ONCE'
  | 'RELEASE'
  | 'ACQUIRE'
  | 'MB'
  | 'NORETURN'
  | 'LKR'
  | 'LKW'
  | 'UL'
  | 'LF'
  | 'RL'
  | 'RU'
  | 'srcu-lock'
  | 'srcu-unlock'
  | 'init';

/** linux-kernel.bell's Barriers. */
export type FenceKind =
  | 'MB'
  | 'rmb'
  | 'wmb'
  | 'barrier'
  | 'rcu-lock'
  | 'rcu-unlock'
  | 'sync-rcu'
  | 'before-atomic'
  | 'after-atomic'
  | 'after-spinlock'
  | 'after-unlock-lock'
  | 'after-srcu-read-unlock';

export type EventKind = 'R' | 'W' | 'F' | 'sync-srcu';

export interface LitmusEvent {
  readonly kind: EventKind;
  /** Location index, or -1 for fences. */
  readonly loc: number;
  /** The value read or written. */
  readonly value: number;
  readonly annotation: Annotation;
  readonly fence?: FenceKind;
  /** Part of a read-modify-write instruction (xchg, cmpxchg, atomic_*), successful or not. */
  readonly rmwInstruction: boolean;
}

/** One path through one thread: its events in program order, the dependencies among them, the registers at the end. */
export interface ThreadTrace {
  readonly events: readonly LitmusEvent[];
  /** [read, write] of each successful read-modify-write (spin_lock's LKR/LKW included). */
  readonly rmw: readonly (readonly [number, number])[];
  readonly addr: readonly (readonly [number, number])[];
  readonly data: readonly (readonly [number, number])[];
  readonly ctrl: readonly (readonly [number, number])[];
  readonly registers: ReadonlyMap<string, number>;
}

/** Addresses of shared locations are values too (`int *p = &x`): location i is ADDRESS_BASE + i. */
export const ADDRESS_BASE = 2 ** 40;

export function addressOf(loc: number): number {
  return ADDRESS_BASE + loc;
}

/** The location an address value names, or -1 when it is no address. */
export function locationAt(value: number): number {
  return value >= ADDRESS_BASE && value < ADDRESS_BASE + 2 ** 20 ? value - ADDRESS_BASE : -1;
}
