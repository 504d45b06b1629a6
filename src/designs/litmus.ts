/**
 * Each design's publish and teardown protocols as litmus tests, decided under LKMM and under
 * sequential consistency (from the design's access declarations).
 */
import { designProtocolVerdicts, type ProtocolVerdict } from '../lkmm/index.js';
import type { Design } from './design.js';

export interface DesignLitmus {
  readonly design: string;
  readonly reader: string;
  /** The kernel the design is judged on. */
  readonly kernel?: string;
  readonly verdicts: readonly ProtocolVerdict[];
}

/** The design's protocols decided, or undefined when it declares no accesses. */
export function designLitmus(design: Design): DesignLitmus | undefined {
  if (!design.accesses) return undefined;
  return {
    design: design.name,
    reader: design.accesses.reader,
    kernel: design.kernel,
    verdicts: designProtocolVerdicts(design.name, design.accesses),
  };
}
