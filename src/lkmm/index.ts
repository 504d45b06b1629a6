/**
 * The Linux-kernel memory model: C litmus tests parsed and decided as tools/memory-model/ decides
 * them (herd7 with linux-kernel.cat), without herd7.
 */
import type { LitmusOutcome } from './check.js';
import { decideLitmus } from './check.js';
import { parseLitmus } from './parser.js';

export type { LitmusTest } from './ast.js';
export type { LitmusOutcome, LitmusResult, MemoryModel } from './check.js';
export { decideLitmus } from './check.js';
export { LitmusSyntaxError, parseLitmus } from './parser.js';
export type {
  DesignAccesses,
  FlagWord,
  GeneratedTest,
  LoadMarking,
  MarkedAccess,
  PointerHop,
  ProtocolDeclaration,
  ProtocolOp,
  ProtocolVerdict,
  ReaderGuard,
  StoreMarking,
  WriterStep,
} from './protocol.js';
export { designProtocolVerdicts, isOrderingLoad, protocolTest, verdictCell } from './protocol.js';

/** Parses and decides a litmus test's text; `file` names it in error messages. */
export function checkLitmus(text: string, file = 'litmus'): LitmusOutcome {
  return decideLitmus(parseLitmus(text, file));
}
