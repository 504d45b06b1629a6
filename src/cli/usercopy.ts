/** pfnlab usercopy <addr> <len> --scenario S: the 5.4 hardened-usercopy page-span verdict, with and without PG_reserved. */
import { runWithDesigns } from '../compare/index.js';
import { designByName, loadDesign } from '../designs/index.js';
import { loadScenario } from '../io/scenario.js';
import { InputError } from '../model/errors.js';
import { renderTable } from '../report/table.js';
import { hex, parseSize } from '../units.js';
import {
  checkPageSpan,
  PAGE_SPAN_VARIANTS,
  type PageSpanVariant,
  pageSpanPages,
} from '../walkers/check-page-span.js';
import { type CliIo, type Command, intOption, parseCommandArgs, printJson, stringOption } from './command.js';

/** x86-64's direct map base (4-level paging, no KASLR of memory regions). */
const PAGE_OFFSET = 0xffff888000000000n;
const MAX_PAGES = 4096;

/** A physical address, or a direct-map kernel address (which the model translates with __pa()). */
function parseAddress(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const v = BigInt(text);
    if (v >= PAGE_OFFSET) return Number(v - PAGE_OFFSET);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
  }
  return parseSize(text);
}

export const usercopyCommand: Command = {
  name: 'usercopy',
  summary: "hardened usercopy's check_page_span() verdict, with and without PG_reserved on hotplugged pages",
  help: `usage: pfnlab usercopy <addr> <len> --scenario S [--design D] [--after N] [--json]

Run the 5.4 hardened-usercopy check_page_span() on a copy of <len> bytes at
<addr> (a physical address, or a direct-map kernel address such as
0xffff888104400000) on the scenario's machine, and again under the RFC of the
seed thread (hotplugged and ZONE_DEVICE pages not PG_reserved), under the RFC
with its check_page_span() patch (is_zone_device_page() counts as Reserved;
the design decides is_zone_device_page()), and ignoring ZONE_DEVICE pages as
Dan Williams suggested. Says whether the RFC changes the verdict.

  --design D   whose is_zone_device_page() to use (default upstream)
  --after N    the machine after boot and the first N steps
  --json       the pages and every verdict`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('usercopy', argv, {
      scenario: { type: 'string', short: 's' },
      design: { type: 'string', short: 'd' },
      after: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length !== 2) throw new InputError('usercopy', 'expected <addr> <len>');
    const addr = parseAddress(p.positionals[0]);
    const len = parseSize(p.positionals[1]);
    if (addr === undefined)
      throw new InputError('usercopy', `'${p.positionals[0]}' is not an address`, p.positionals[0]);
    if (len === undefined || len === 0)
      throw new InputError('usercopy', `'${p.positionals[1]}' is not a positive length`, p.positionals[1]);
    const ref = stringOption(p, 'scenario');
    if (!ref) throw new InputError('usercopy', '--scenario <file> is required');
    const scenario = loadScenario(ref);
    const g = scenario.geometry;
    if (addr + len > 2 ** g.maxPhysmemBits)
      throw new InputError('usercopy', `${hex(addr)}+${len} lies beyond MAX_PHYSMEM_BITS`, addr);
    const firstPfn = Math.floor(addr / g.pageSize);
    const lastPfn = Math.floor((addr + len - 1) / g.pageSize);
    if (lastPfn - firstPfn >= MAX_PAGES)
      throw new InputError('usercopy', `a copy of ${len} bytes spans more than ${MAX_PAGES} pages`, len);
    const design = stringOption(p, 'design')
      ? await loadDesign(stringOption(p, 'design')!)
      : designByName('upstream')!;
    const after = intOption('usercopy', p, 'after');
    const { machine, bound } = runWithDesigns(scenario, [design], after);
    const pages = pageSpanPages(machine, bound[0].lookup, firstPfn, lastPfn);
    const verdicts = Object.fromEntries(
      (Object.keys(PAGE_SPAN_VARIANTS) as PageSpanVariant[]).map((v) => [v, checkPageSpan(pages, v)]),
    ) as Record<PageSpanVariant, ReturnType<typeof checkPageSpan>>;
    const changes = verdicts['as-is'].allowed !== verdicts.rfc.allowed;
    if (p.values.json) {
      printJson(io, {
        addr: hex(addr),
        len,
        design: design.name,
        pages,
        verdicts,
        rfcChangesVerdict: changes,
      });
      return 0;
    }
    io.out(
      `check_page_span(${hex(addr)}, ${len}) over pfn ${hex(firstPfn)}-${hex(lastPfn)} (${pages.length} pages), is_zone_device_page() by ${design.name}\n\n`,
    );
    const shown = pages.length > 8 ? [...pages.slice(0, 4), ...pages.slice(-4)] : pages;
    io.out(
      `${renderTable(
        ['PFN', 'PG_reserved', 'ZONE_DEVICE', 'HOTPLUGGED', 'TRUTH'],
        shown.map((pg) => [
          hex(pg.pfn),
          pg.poisoned ? 'poisoned' : pg.reserved ? 'yes' : 'no',
          pg.zoneDevice ? 'yes' : 'no',
          pg.hotplugged ? 'yes' : 'no',
          machine.truthOf(pg.pfn).state,
        ]),
        '  ',
      )}\n${pages.length > shown.length ? `  ... ${pages.length - shown.length} more pages\n` : ''}\n`,
    );
    for (const [v, label] of Object.entries(PAGE_SPAN_VARIANTS)) {
      const r = verdicts[v as PageSpanVariant];
      io.out(
        `  ${label}:\n    ${r.allowed ? `allowed (${r.why})` : `aborts: "${r.abort}" at pfn ${hex(r.pfn)}`}\n`,
      );
    }
    io.out(`\nThe RFC ${changes ? 'CHANGES' : 'does not change'} the verdict of this copy.\n`);
    return 0;
  },
};
