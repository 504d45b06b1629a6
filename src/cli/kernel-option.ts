/**
 * The --kernel option shared by the commands that run a scenario: which mainline release's
 * behaviours to model (any of 5.4 … 6.19, see `pfnlab kernels`), over the scenario's own `kernel`.
 */
import type { KernelVersion } from '../arch/geometry.js';
import { InputError } from '../errors.js';
import { isKernelRelease, KERNEL_RANGE_TEXT } from '../kernel/index.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';
import { type Parsed, stringOption } from './command.js';

export const KERNEL_OPTION = { kernel: { type: 'string' } } as const;

export function kernelOption(command: string, p: Parsed): KernelVersion | undefined {
  const kernel = stringOption(p, 'kernel');
  if (kernel !== undefined && !isKernelRelease(kernel))
    throw new InputError(
      command,
      `--kernel must be ${KERNEL_RANGE_TEXT}, got '${kernel.slice(0, 40)}'`,
      kernel,
    );
  return kernel;
}

/** The scenario on the kernel --kernel names, or as it is. */
export function onKernel(s: Scenario, kernel: KernelVersion | undefined): Scenario {
  return kernel ? scenarioWithKernel(s, kernel) : s;
}
