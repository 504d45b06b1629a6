/** pfnlab usercopy <addr> <len> --scenario S: the 5.4 hardened-usercopy page-span verdict, with and without PG_reserved. */
import type { Geometry } from '../arch/geometry.js';
import { designByName, loadDesign, runWithDesigns } from '../designs/index.js';
import { InputError } from '../errors.js';
import { loadScenario } from '../io/scenario.js';
import { renderTable } from '../report/table.js';
import { hex, parseSize } from '../units.js';
import {
  endPageSkipped,
  PAGE_SPAN_VARIANTS,
  type PageSpanVariant,
  pageSpanPages,
  usercopyVerdict,
} from '../walkers/check-page-span.js';
import {
  afterOption,
  type CliIo,
  type Command,
  parseCommandArgs,
  printJson,
  stringOption,
} from './command.js';
import { KERNEL_OPTION, kernelOption, onKernel } from './kernel-option.js';

/**
 * PAGE_OFFSET, where each architecture's linear map of physical memory starts: x86-64 with 4- and
 * 5-level paging (no KASLR of memory regions), arm64 with 48-bit VAs (the linear map in the
 * lower half of kernel space since 5.4), ppc64's 0xc000... region.
 */
function pageOffset(arch: string): bigint {
  if (arch.startsWith('x86_64-5level')) return 0xff11000000000000n;
  if (arch.startsWith('x86_64')) return 0xffff888000000000n;
  if (arch.startsWith('arm64')) return 0xffff000000000000n;
  return 0xc000000000000000n; // ppc64
}
const MAX_PAGES = 4096;

/** Where the kernel's half of the address space starts; below it, an address is taken as physical. */
const KERNEL_HALF = 0x8000000000000000n;

/** A physical address, or a direct-map kernel address (which the model translates with __pa()). */
function parseAddress(text: string, g: Geometry): number | undefined {
  if (!/^0x[0-9a-f]+$/i.test(text)) return parseSize(text);
  const v = BigInt(text);
  const base = pageOffset(g.arch);
  if (v >= base && v - base < 2n ** BigInt(g.maxPhysmemBits)) return Number(v - base);
  if (v >= KERNEL_HALF)
    throw new InputError(
      'usercopy',
      `${text} is a kernel address outside ${g.arch}'s direct map (0x${base.toString(16)}...): give a physical or direct-map address`,
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
    if (addr + len > 2 ** g.maxPhysmemBits)
      throw new InputError('usercopy', `${hex(addr)}+${len} lies beyond MAX_PHYSMEM_BITS`, addr);
    const firstPfn = Math.floor(addr / g.pageSize);
    const lastPfn = Math.floor((addr + len - 1) / g.pageSize);
    if (lastPfn - firstPfn >= MAX_PAGES)
      throw new InputError('usercopy', `a copy of ${len} bytes spans more than ${MAX_PAGES} pages`, len);
    const design = stringOption(p, 'design')
      ? await loadDesign(stringOption(p, 'design')!)
      : designByName('upstream')!;
    const after = afterOption('usercopy', p, scenario.steps.length);
    const { machine, bound } = runWithDesigns(scenario, [design], { operations: after });
    const pages = pageSpanPages(
      machine,
      bound[0].lookup,
      firstPfn,
      lastPfn,
      endPageSkipped(addr, len, g.pageSize),
    );
    const verdict = usercopyVerdict(pages, bound[0].lookup.pfnValid(firstPfn));
    const changes = verdict.verdicts
      ? verdict.verdicts['as-is'].allowed !== verdict.verdicts.rfc.allowed
      : false;
    if (p.values.json) {
      printJson(io, {
        addr: hex(addr),
        // The direct-map address given, translated to addr with __pa(); null when addr was given.
        virtual: virtual ? p.positionals[0].toLowerCase() : null,
        len,
        design: design.name,
        pages,
        checked: verdict.checked,
        ...(verdict.why ? { why: verdict.why } : {}),
        verdicts: verdict.verdicts ?? null,
        hazards: verdict.hazards,
        rfcChangesVerdict: changes,
      });
      return 0;
    }
    const where = virtual ? `${p.positionals[0]} = phys ${hex(addr)}` : hex(addr);
    io.out(
      `check_page_span(${where}, ${len}) over pfn ${hex(firstPfn)}-${hex(lastPfn)} (${pages.length} page${pages.length === 1 ? '' : 's'}), is_zone_device_page() by ${design.name}\n\n`,
    );
    const shown = pages.length > 8 ? [...pages.slice(0, 4), ...pages.slice(-4)] : pages;
    io.out(
      `${renderTable(
        ['PFN', 'PG_reserved', 'ZONE_DEVICE', 'HOTPLUGGED', 'TRUTH'],
        shown.map((pg) => [
          hex(pg.pfn),
          !pg.mapped ? 'no memmap' : pg.poisoned ? 'poisoned' : pg.reserved ? 'yes' : 'no',
          pg.zoneDevice ? 'yes' : 'no',
          pg.hotplugged ? 'yes' : 'no',
          machine.truthOf(pg.pfn).state,
        ]),
        '  ',
      )}\n${pages.length > shown.length ? `  ... ${pages.length - shown.length} more pages\n` : ''}\n`,
    );
    if (!verdict.verdicts) {
      io.out(`  not checked: ${verdict.why}\n`);
      return 0;
    }
    for (const [v, label] of Object.entries(PAGE_SPAN_VARIANTS)) {
      const r = verdict.verdicts[v as PageSpanVariant];
      io.out(
        `  ${label}:\n    ${r.allowed ? `allowed (${r.why})` : `aborts: "${r.abort}" at pfn ${hex(r.pfn)}`}\n`,
      );
    }
    for (const h of verdict.hazards) io.out(`\n  beware: ${h}\n`);
    io.out(`\nThe RFC ${changes ? 'CHANGES' : 'does not change'} the verdict of this copy.\n`);
    return 0;
  },
};
