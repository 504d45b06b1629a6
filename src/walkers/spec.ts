/**
 * A walker as a scenario's "walkers" or --walker names it: "kpageflags" or
 * "kpageflags@0x400000,0x400200". Parsed in one place, so that every command refuses the same
 * unknown walker or unaddressable pfn when it loads the scenario.
 */
import type { Geometry } from '../arch/geometry.js';
import { checkPfnWithinPhysmem } from '../arch/pfn.js';
import { InputError } from '../errors.js';
import { parsePfn } from '../units.js';
import { WALKER_NAMES, walkerByName } from './index.js';
import type { WalkerDef } from './walker.js';

export interface WalkerSpec {
  readonly walker: WalkerDef;
  /** The pfns it walks, in order; chosen from the scenario when absent. */
  readonly pfns?: readonly number[];
}

function walkerPfn(p: string, text: string, where: string, g: Geometry | undefined): number {
  const pfn = parsePfn(p.trim());
  if (pfn === undefined) throw new InputError(where, `'${p}' in '${text}' is not a pfn`, text);
  if (g) checkPfnWithinPhysmem(g, pfn, p.trim(), where);
  return pfn;
}

/**
 * "kpageflags" or "kpageflags@0x400000,0x400200". `where` names the place the text came from
 * (an option, a scenario's JSON path); with a geometry, pfns beyond MAX_PHYSMEM_BITS are refused.
 */
export function parseWalkerSpec(text: string, where = '--walker', g?: Geometry): WalkerSpec {
  const at = text.indexOf('@');
  const name = (at < 0 ? text : text.slice(0, at)).trim();
  const walker = walkerByName(name);
  if (!walker)
    throw new InputError(where, `unknown walker '${name}' (walkers: ${WALKER_NAMES.join(', ')})`, text);
  if (at < 0) return { walker };
  return {
    walker,
    pfns: text
      .slice(at + 1)
      .split(',')
      .map((p) => walkerPfn(p, text, where, g)),
  };
}
