/**
 * Each design's publish and teardown protocols as litmus tests, decided under LKMM and under
 * sequential consistency (from the design's access declarations).
 */
import { resolveKernel } from '../kernel/index.js';
import { designProtocolVerdicts, type ProtocolVerdict } from '../lkmm/index.js';
import { usageTeardown } from './accesses.js';
import type { Design } from './design.js';

export interface DesignLitmus {
  readonly design: string;
  readonly reader: string;
  /** The kernel the design is judged on. */
  readonly kernel: string;
  readonly verdicts: readonly ProtocolVerdict[];
}

/**
 * The design's protocols on a release (its own kernel, else 6.19) decided, or undefined when it
 * declares no accesses. Its declared protocols are the same on every release; the removal of
 * ms->usage against pfn_valid(), which every design's lookups go through, follows the release.
 */
export function designLitmus(design: Design, kernel?: string): DesignLitmus | undefined {
  if (!design.accesses) return undefined;
  const k = resolveKernel(kernel ?? design.kernel ?? '6.19');
  const { reader, protocols } = design.accesses;
  return {
    design: design.name,
    reader,
    kernel: k.release,
    verdicts: designProtocolVerdicts(design.name, {
      reader,
      protocols: [...protocols, usageTeardown(k, reader)],
    }),
  };
}
