/**
 * The designs, one way in: by name, from a module file, bound to a machine.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../model/errors.js';
import { USAGE_DESIGN_BITMAPS } from '../model/layout.js';
import type { Machine } from '../model/machine.js';
import type { Words } from '../model/sections.js';
import type { WriteSide } from '../ops/step.js';
import {
  activeBitmapCheckBeforeLock,
  activeBitmapDesign,
  activeBitmapNoSync,
  activeBitmapSingleFlip,
} from './active-bitmap.js';
import type { Design, DesignContext, Lookup } from './design.js';
import { deviceBitmap } from './device-bitmap.js';
import { kernelHelpers } from './helpers.js';
import { hotplugLock } from './hotplug-lock.js';
import { upstream } from './upstream.js';
import { v54 } from './v5-4.js';

export type { Design, DesignContext, Lookup, ReaderProtection } from './design.js';
export { NO_PAGE } from './design.js';
export { type Answers, CATEGORIES, type Category, judge } from './judge.js';

/** The five designs the thread argued about, in the order they are compared. */
export const DESIGNS: readonly Design[] = [v54, activeBitmapDesign, deviceBitmap, upstream, hotplugLock];

/** active-bitmap with one rule broken each, for the explorer and stress runs. */
export const FAULT_DESIGNS: readonly Design[] = [
  activeBitmapNoSync,
  activeBitmapSingleFlip,
  activeBitmapCheckBeforeLock,
];

export const DESIGN_NAMES: readonly string[] = [...DESIGNS, ...FAULT_DESIGNS].map((d) => d.name);

export function designByName(name: string): Design | undefined {
  return [...DESIGNS, ...FAULT_DESIGNS].find((d) => d.name === name);
}

function checkDesignShape(d: unknown, where: string): Design {
  const x = d as Partial<Design> | undefined;
  const missing = ['name', 'lookup', 'writeSide'].filter((k) => !x || !(k in x));
  if (missing.length)
    throw new InputError(where, `not a design module: missing ${missing.join(', ')} (see examples/designs/)`);
  const defaults: Pick<Design, 'summary' | 'usageBitmaps' | 'protection' | 'writeRules'> = {
    summary: '',
    usageBitmaps: [],
    protection: 'none',
    writeRules: [],
  };
  return Object.assign(defaults, x) as Design;
}

/** A design by name, or loaded from a module file exporting it as default (or as `design`). */
export async function loadDesign(spec: string): Promise<Design> {
  const builtin = designByName(spec);
  if (builtin) return builtin;
  if (!/[/\\]|\.m?js$/.test(spec)) {
    throw new InputError(
      '--design',
      `unknown design '${spec}' (designs: ${DESIGN_NAMES.join(', ')}, or a path to a module)`,
      spec,
    );
  }
  const path = isAbsolute(spec) ? spec : resolve(process.cwd(), spec);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(spec, `cannot load design module: ${(e as Error).message.split('\n')[0]}`, spec);
  }
  return checkDesignShape(mod.default ?? mod.design, spec);
}

/** A design bound to one machine: its bitmap slots, reader side and write side. */
export interface BoundDesign {
  readonly design: Design;
  readonly ctx: DesignContext;
  readonly lookup: Lookup;
  readonly writeSide: WriteSide;
}

/** Give every (design, bitmap) its own usage-record slot (slot 0 is subsection_map). */
export function assignSlots(designs: readonly Design[]): Map<Design, Record<string, number>> {
  const out = new Map<Design, Record<string, number>>();
  let next = 1;
  for (const d of designs) {
    const slots: Record<string, number> = {};
    for (const name of d.usageBitmaps) {
      if (next > USAGE_DESIGN_BITMAPS)
        throw new InputError('--design', `the designs need more than ${USAGE_DESIGN_BITMAPS} usage bitmaps`);
      slots[name] = next++;
    }
    out.set(d, slots);
  }
  return out;
}

export function bindDesigns(m: Machine, designs: readonly Design[], mem: Words = m.mem.words): BoundDesign[] {
  const slots = assignSlots(designs);
  return designs.map((design) => {
    const ctx: DesignContext = { mem, g: m.g, slots: slots.get(design)!, helpers: kernelHelpers };
    return { design, ctx, lookup: design.lookup(ctx), writeSide: design.writeSide(ctx, m) };
  });
}
