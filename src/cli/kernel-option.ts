/**
 * The --kernel option shared by the commands that run a scenario: whose step order and page
 * states to model (5.4 or 6.19), over the scenario's own `kernel`.
 */
import type { KernelVersion } from '../arch/geometry.js';
import { InputError } from '../errors.js';
import { type Scenario, scenarioWithKernel } from '../scenario/index.js';
import { type Parsed, stringOption } from './command.js';

export const KERNEL_OPTION = { kernel: { type: 'string' } } as const;

export function kernelOption(command: string, p: Parsed): KernelVersion | undefined {
  const kernel = stringOption(p, 'kernel');
  if (kernel !== undefined && kernel !== '5.4' && kernel !== '6.19')
    throw new InputError(command, `--kernel must be 5.4 or 6.19, got '${kernel}'`, kernel);
  return kernel;
}

/** The scenario on the kernel --kernel names, or as it is. */
export function onKernel(s: Scenario, kernel: KernelVersion | undefined): Scenario {
  return kernel ? scenarioWithKernel(s, kernel) : s;
}
