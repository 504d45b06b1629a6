/** pfnlab usercopy <addr> <len> --scenario S: the 5.4 hardened-usercopy page-span verdict, with and without PG_reserved. */
import { directMapPhys, isKernelAddress, pageOffset } from '../arch/direct-map.js';
import type { Geometry } from '../arch/geometry.js';
import { designByName, loadDesign, runWithDesigns } from '../designs/index.js';
import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { renderUsercopy } from '../report/usercopy.js';
import { hex, parseSize } from '../units.js';
import { checkUsercopy, copySpan } from '../walkers/check-page-span.js';
import {
  afterOption,
  type CliIo,
  type Command,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

/** A physical address, or a direct-map kernel address (which the model translates with __pa()). */
function parseAddress(text: string, g: Geometry): number | undefined {
  if (!/^0x[0-9a-f]+$/i.test(text)) return parseSize(text);
  const v = BigInt(text);
  const phys = directMapPhys(g, v);
  if (phys !== undefined) return phys;
  if (isKernelAddress(v))
    throw new InputError(
      'usercopy',
      `${text} is a kernel address outside ${g.arch}'s direct map (0x${pageOffset(g.arch).toString(16)}...): give a physical or direct-map address`,
      text,
    );
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}

export const usercopyCommand: Command = {
  name: 'usercopy',
  summary: "hardened usercopy's check_page_span() verdict, with and without PG_reserved on hotplugged pages",
  help: `usage: pfnlab usercopy <addr> <len> --scenario S [--design D] [--after N] [--kernel X.Y] [--json]

Run the 5.4 hardened-usercopy check_page_span() on a copy of <len> bytes at
<addr> (a physical address, or a direct-map kernel address such as
0xffff888104400000 on x86-64 or 0xffff000040000000 on arm64) on the
scenario's machine, and again under the RFC of the seed thread (hotplugged
and ZONE_DEVICE pages not PG_reserved), under the RFC
with its check_page_span() patch (is_zone_device_page() counts as Reserved;
the design decides is_zone_device_page()), and ignoring ZONE_DEVICE pages as
Dan Williams suggested. Says whether the RFC changes the verdict. As in
check_heap_object(), a copy whose first page has no struct page
(virt_addr_valid() false) is not checked at all; struct pages the check would
read although they are poisoned or not mapped are called out.
check_page_span() (HARDENED_USERCOPY_PAGESPAN) is gone from 5.18 on
(checkPageSpanRemoved): on a later --kernel the verdicts say what 5.17's
check would have said of the pages in that release's states.

  --design D   whose is_zone_device_page() to use (default upstream)
  --after N    the machine after boot and the first N steps
  --kernel X.Y model mainline release X.Y (5.4 … 6.19, mainline tags; see
               pfnlab kernels) (default: the scenario's kernel, else 6.19)
  --json       the pages and every verdict`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('usercopy', argv, {
      scenario: { type: 'string', short: 's' },
      design: { type: 'string', short: 'd' },
      after: { type: 'string' },
      json: { type: 'boolean' },
      ...KERNEL_OPTION,
    });
    if (p.positionals.length !== 2) throw new InputError('usercopy', 'expected <addr> <len>');
    const ref = stringOption(p, 'scenario');
    if (!ref) throw new InputError('usercopy', '--scenario <file> is required');
    const scenario = onKernel(loadScenario(ref), kernelOption('usercopy', p));
    const g = scenario.geometry;
    const addr = parseAddress(p.positionals[0], g);
    const virtual =
      addr !== undefined && /^0x/i.test(p.positionals[0]) && BigInt(p.positionals[0]) !== BigInt(addr);
    const len = parseSize(p.positionals[1]);
    if (addr === undefined)
      throw new InputError('usercopy', `'${p.positionals[0]}' is not an address`, p.positionals[0]);
    if (len === undefined || len === 0)
      throw new InputError('usercopy', `'${p.positionals[1]}' is not a positive length`, p.positionals[1]);
    const span = copySpan(g, addr, len);
    const design = stringOption(p, 'design')
      ? await loadDesign(stringOption(p, 'design')!)
      : designByName('upstream')!;
    const after = afterOption('usercopy', p, scenario.steps.length);
    const { machine, bound } = runWithDesigns(scenario, [design], { operations: after });
    const check = checkUsercopy(machine, bound[0].lookup, span);
    if (p.values.json) {
      printJson(io, {
        addr: hex(addr),
        // The direct-map address given, translated to addr with __pa(); null when addr was given.
        virtual: virtual ? p.positionals[0].toLowerCase() : null,
        len,
        design: design.name,
        pages: check.pages,
        checked: check.verdict.checked,
        ...(check.verdict.why ? { why: check.verdict.why } : {}),
        verdicts: check.verdict.verdicts ?? null,
        hazards: check.verdict.hazards,
        rfcChangesVerdict: check.rfcChangesVerdict,
      });
      return 0;
    }
    const where = virtual ? `${p.positionals[0]} = phys ${hex(addr)}` : hex(addr);
    io.out(renderUsercopy(check, where, design.name, machine));
    return 0;
  },
};
