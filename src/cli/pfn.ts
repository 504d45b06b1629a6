/** pfnlab pfn <pfn> --scenario <file> [--after N] [--json]: where a pfn lives and what it is. */

import { checkPfnWithinPhysmem } from '../arch/pfn.js';
import { designAnswers } from '../compare/index.js';
import { runWithDesigns } from '../designs/index.js';
import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { renderDesignAnswers } from '../report/answers.js';
import { pfnReport, renderPfn } from '../report/layout.js';
import { parsePfn } from '../units.js';
import {
  afterOption,
  type CliIo,
  type Command,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { DESIGN_OPTION, designsFromOption } from './designs-option.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

/** What parsePfn() reads, whatever the size. */
const PFN_SYNTAX = /^(0x[0-9a-f]+|\d+)$/i;

export const pfnCommand: Command = {
  name: 'pfn',
  summary: "a pfn's location and truth after a scenario (or a prefix of it)",
  help: `usage: pfnlab pfn <pfn> --scenario <scenario> [--after N] [--kernel X.Y] [--design D ...] [--json]

Print where <pfn> lives (section, root, subsection, memory block), its section
flags, its struct page, and the truth: no-memmap, hole, uninitialized, online,
offline, device, driver-reserved, tearing-down or freed, with zone and pgmap.
Section flags are letters as crash's kmem -n prints them: P marked present,
M has memmap, O online, E early (boot), D ZONE_DEVICE taint; '-' none.

  <pfn>               decimal or 0x-hex
  --scenario <file>   a scenario file, a built-in scenario name, or a directory from
                      pfnlab capture or pfnlab export (imported)
  --after N           the state after boot and the first N steps (default: all)
  --kernel X.Y        model mainline release X.Y (5.4 … 6.19, mainline tags; see
                      pfnlab kernels) (default: the scenario's kernel, else 6.19)
  --design D          only these designs (repeatable; a name or a module path); default all five
  --json              JSON with keys pfn, section, subsection, block, truth {state, zone, pgmap},
                      designs {name: {pfn_valid, pfn_to_online_page, pfn_to_device_page,
                      is_zone_device_page}} (pages as booleans: "returned a page")`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('pfn', argv, {
      scenario: { type: 'string', short: 's' },
      after: { type: 'string' },
      json: { type: 'boolean' },
      ...DESIGN_OPTION,
      ...KERNEL_OPTION,
    });
    if (p.positionals.length !== 1) throw new InputError('pfn', 'expected exactly one <pfn>');
    const text = p.positionals[0];
    if (!PFN_SYNTAX.test(text))
      throw new InputError('pfn', `'${text}' is not a pfn (decimal or 0x-hex)`, text);
    const ref = stringOption(p, 'scenario');
    if (!ref) throw new InputError('pfn', '--scenario <file> is required');
    const scenario = onKernel(loadScenario(ref), kernelOption('pfn', p));
    // A number too large to hold exactly lies beyond every architecture's MAX_PHYSMEM_BITS.
    const pfn = parsePfn(text) ?? Number.POSITIVE_INFINITY;
    checkPfnWithinPhysmem(scenario.geometry, pfn, text, 'pfn');
    const after = afterOption('pfn', p, scenario.steps.length);
    const designs = await designsFromOption(p);
    const { machine, bound } = runWithDesigns(scenario, designs, { operations: after });
    const report = pfnReport(machine, pfn);
    const answers = designAnswers(machine, bound, pfn);
    const designsJson = Object.fromEntries(
      Object.entries(answers).map(([name, a]) => [
        name,
        {
          pfn_valid: a.pfnValid,
          pfn_to_online_page: a.pfnToOnlinePage,
          pfn_to_device_page: a.pfnToDevicePage,
          is_zone_device_page: a.isZoneDevicePage,
          wrong: a.wrong,
          ...(a.blocked ? { blocked: true } : {}),
        },
      ]),
    );
    if (p.values.json) printJson(io, { ...report, designs: designsJson });
    else io.out(`${renderPfn(report)}\n\n${renderDesignAnswers(answers)}\n`);
    return 0;
  },
};
