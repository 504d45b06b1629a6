/**
 * RCU, one way in. One algorithm (memb.ts: liburcu's memb flavour, with QSBR
 * as a reader-side mode) and two backends: the deterministic one over plain
 * words, whose writer side is a list of steps the explorer interleaves, and
 * the real one across worker_threads over a SharedArrayBuffer (shared.ts).
 */

export {
  PlainReadSide,
  PlainWords,
  RCU_GP,
  RCU_GRACE_PERIODS,
  RCU_NR_READERS,
  RCU_PHASE,
  RCU_SLOT_STRIDE,
  type RcuReadSide,
  type RcuStep,
  type RcuWords,
  rcuAddr,
  rcuAlloc,
  rcuInit,
  rcuReadLock,
  rcuReadUnlock,
  rcuSlotAddr,
  rcuStepOf,
  readerActiveOld,
  synchronizeRcuPlan,
  synchronizeRcuSteps,
} from './memb.js';
export {
  AtomicWords,
  ownerId,
  RCU_MODES,
  type RcuMode,
  type RcuReader,
  type RcuStall,
  SharedRcu,
  type SharedRcuHandle,
  type WaitOptions,
} from './shared.js';
