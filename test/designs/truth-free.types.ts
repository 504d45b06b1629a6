/**
 * Compile-time rules, checked by `npm run typecheck` (this file is type-checked, never run): a
 * design answers from what its kernel keeps, so its write side, and every step it adds, is typed
 * with the machine's KernelView. Each line below that reaches for the truth must fail to compile;
 * if one compiled, its @ts-expect-error would be unused and the typecheck would fail.
 */
import type { DesignStep, DesignWriteSide } from '../../src/designs/design.js';
import type { KernelView, Machine } from '../../src/model/machine.js';
import type { WriteSide } from '../../src/ops/step.js';

export const peeksAtTheTruth: DesignWriteSide = {
  name: 'peeks',
  before(_s, m) {
    // @ts-expect-error a design's hook never sees the truth
    void m.truth;
    // @ts-expect-error nor asks it about a pfn
    m.truthOf(0);
    // @ts-expect-error nor copies the machine (a clone carries the truth)
    m.clone();
    return [];
  },
  after() {
    const added: DesignStep = {
      fn: 'peek',
      args: {},
      detail: 'a step that reads the truth',
      run(mm) {
        // @ts-expect-error the steps a design adds run on the kernel's view too
        void mm.truth;
        return undefined;
      },
    };
    return [added];
  },
};

// What a design keeps is all there: the kernel's structures stay readable through the view.
export const readsTheKernel = (m: KernelView): number => m.blocks.size + m.nodes.size;

// A design's write side is an ops WriteSide: the kernel's steps weave it in on a whole Machine.
export const woven: WriteSide = peeksAtTheTruth;
export const aMachineIsAView = (m: Machine): KernelView => m;
