/**
 * What a design writes, typed so that it cannot read the truth: its hooks and the steps it adds
 * see the machine as KernelView (everything its kernel keeps, never the truth).
 */
import type { KernelView } from '../model/machine.js';
import type { KernelStep } from '../ops/step.js';

/** A step a design adds around the kernel's: it runs on the kernel's view, never the truth. */
export interface DesignStep extends Omit<KernelStep, 'run' | 'ready'> {
  run(m: KernelView): string | undefined;
  ready?(m: KernelView): boolean;
}

/**
 * A design's write side (an ops WriteSide seen from the design): hooks run at plan time on the
 * kernel's view and return the design's extra steps.
 */
export interface DesignWriteSide {
  readonly name: string;
  before?(step: KernelStep, m: KernelView): readonly DesignStep[];
  after?(step: KernelStep, m: KernelView): readonly DesignStep[];
}
