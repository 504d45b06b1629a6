/**
 * The designs, one way in: by name, from a module file, bound to a machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, PfnlabError } from '../errors.js';
import { USAGE_DESIGN_BITMAPS } from '../model/layout.js';
import { NO_PAGE } from '../model/lookup.js';
import type { KernelView, Machine } from '../model/machine.js';
import type { Words } from '../model/sections.js';
import { type OperationLog, type RunOptions, runScenario, type ScenarioInput } from '../ops/scenario-run.js';
import type { KernelStep, WriteSide } from '../ops/step.js';
import {
  activeBitmapCheckBeforeLock,
  activeBitmapDesign,
  activeBitmapNoSync,
  activeBitmapSingleFlip,
} from './active-bitmap.js';
import type { Design, DesignContext, DesignWriteSide, Lookup, ReaderProtection } from './design.js';
import { deviceBitmap } from './device-bitmap.js';
import { kernelHelpers } from './helpers.js';
import { hotplugLock } from './hotplug-lock.js';
import { probeModuleLoad } from './module-load.js';
import { upstream } from './upstream.js';
import { v54 } from './v5-4.js';
import { moduleCall, startModuleWatchdog } from './watchdog.js';

export { NO_PAGE } from '../model/lookup.js';
export type {
  Design,
  DesignContext,
  DesignStep,
  DesignWriteSide,
  Lookup,
  ReaderProtection,
} from './design.js';
export { type DesignLitmus, designLitmus } from './litmus.js';

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

const PROTECTIONS: readonly ReaderProtection[] = ['none', 'rcu', 'rcu-usage', 'hotplug-lock'];
const LOOKUP_FUNCTIONS = ['pfnValid', 'pfnToOnlinePage', 'isZoneDevicePage', 'pageZone'] as const;

/** What is wrong with a module's export as a design, or undefined when it is one. */
function designShapeProblem(x: Record<string, unknown>): string | undefined {
  if (typeof x.name !== 'string' || x.name === '') return 'name must be a non-empty string';
  // The name keys results (JSON objects) and heads table rows: one printable line, and not the key
  // that would set an object's prototype instead of adding a row.
  if (/\p{Cc}/u.test(x.name)) return `name must be one printable line, got ${JSON.stringify(x.name)}`;
  if (x.name === '__proto__') return "name may not be '__proto__'";
  const notFunctions = ['lookup', 'writeSide'].filter((k) => typeof x[k] !== 'function');
  if (notFunctions.length) return `${notFunctions.join(' and ')} must be functions`;
  if (x.protection !== undefined && !PROTECTIONS.includes(x.protection as ReaderProtection))
    return `protection must be one of ${PROTECTIONS.join(', ')}, got ${JSON.stringify(x.protection)}`;
  for (const list of ['usageBitmaps', 'writeRules'])
    if (x[list] !== undefined && !(Array.isArray(x[list]) && x[list].every((v) => typeof v === 'string')))
      return `${list} must be an array of strings`;
  return undefined;
}

function checkDesignShape(exported: unknown, where: string): Design {
  // A copy of the export's own properties, read once: a getter that throws is the module's error.
  let d: unknown = exported;
  if (typeof exported === 'object' && exported !== null) {
    try {
      d = { ...exported };
    } catch (e) {
      throw new InputError(where, `not a design module: reading it threw: ${firstLine(e)}`, where);
    }
  }
  const problem =
    typeof d === 'object' && d !== null
      ? designShapeProblem(d as Record<string, unknown>)
      : `the module exports ${d === undefined ? 'no default or design' : typeof d} instead of an object`;
  if (problem) throw new InputError(where, `not a design module: ${problem} (see examples/designs/)`, d);
  const defaults: Pick<Design, 'summary' | 'usageBitmaps' | 'protection' | 'writeRules'> = {
    summary: '',
    usageBitmaps: [],
    protection: 'none',
    writeRules: [],
  };
  return guardModuleDesign(Object.assign(defaults, d) as Design);
}

/** What a module design's function must return, by name; a message when it returned something else. */
type ResultCheck = (result: unknown, arg: unknown) => string | undefined;

const returns =
  (what: string, ok: (r: unknown, arg: unknown) => boolean): ResultCheck =>
  (r, arg) =>
    ok(r, arg)
      ? undefined
      : `must return ${what}, returned ${typeof r === 'number' && Number.isInteger(r) && r >= 0 ? `0x${r.toString(16)}` : typeof r === 'object' ? JSON.stringify(r) : String(r)}`;

/** A page is named by its own pfn (pfn_to_page() of the pfn asked about), NULL by NO_PAGE. */
const PAGE = returns('the pfn itself (its page) or NO_PAGE (-1)', (r, pfn) => r === pfn || r === NO_PAGE);

const LOOKUP_RESULTS: Readonly<Record<string, ResultCheck>> = {
  pfnValid: returns('a boolean', (r) => typeof r === 'boolean'),
  pfnToOnlinePage: PAGE,
  pfnToDevicePage: PAGE,
  isZoneDevicePage: returns('a boolean', (r) => typeof r === 'boolean'),
  pageZone: returns('a zone number', (r) => Number.isInteger(r)),
};

/** The first line of what was thrown: an Error's message, or the thrown value itself. */
function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/** A write-side hook returns extra kernel steps: an array of { fn, run(m) } (nothing counts as none). */
const hookResult: ResultCheck = (r) =>
  r === undefined ||
  (Array.isArray(r) &&
    r.every(
      (x) => typeof x === 'object' && x !== null && typeof x.fn === 'string' && typeof x.run === 'function',
    ))
    ? undefined
    : 'must return an array of kernel steps ({ fn, args, detail, run }; see ctx.helpers.step)';

/** Call a module design's code: what it throws, or a result of the wrong kind, is one line naming the design and the call. */
function guarded<A extends unknown[], R>(
  design: string,
  call: string,
  f: (...args: A) => R,
  check?: ResultCheck,
): (...args: A) => R {
  const describe = (args: A) => {
    const a = args[0] as { fn?: unknown } | number | undefined;
    const shown = typeof a === 'number' ? `0x${a.toString(16)}` : typeof a?.fn === 'string' ? a.fn : '';
    return `${call}(${shown})`;
  };
  return (...args) => {
    let result: R;
    try {
      result = moduleCall(design, call, args[0], () => f(...args));
    } catch (e) {
      // pfnlab's own errors, and the explorer's pause (a symbol thrown through the walker), pass on.
      if (e instanceof PfnlabError || typeof e === 'symbol') throw e;
      throw new InputError(`design '${design}'`, `${describe(args)} threw: ${firstLine(e)}`);
    }
    const problem = check?.(result, args[0]);
    if (problem) throw new InputError(`design '${design}'`, `${describe(args)} ${problem}`, result);
    return result;
  };
}

/** A kernel step a module's hook added: its run() and ready() are the module's code too. */
function guardStep(design: string, which: string, core: KernelStep, x: KernelStep): KernelStep {
  const where = `step '${x.fn}' (added ${which} ${core.fn})`;
  return {
    ...x,
    run: guarded(design, `${where}.run`, x.run.bind(x)),
    ...(x.ready
      ? { ready: guarded(design, `${where}.ready`, x.ready.bind(x), LOOKUP_RESULTS.pfnValid) }
      : {}),
  };
}

/**
 * A design from a module file, wrapped so that its mistakes (a missing lookup function, a throw,
 * an answer of the wrong kind) are the user's input errors, not pfnlab's crashes. Built-in designs
 * stay unwrapped: their lookups are the hot path.
 */
function guardModuleDesign(d: Design): Design {
  startModuleWatchdog();
  const lookup = (ctx: DesignContext): Lookup => {
    const l = guarded(d.name, 'lookup', d.lookup.bind(d))(ctx) as unknown as Record<string, unknown>;
    const missing = LOOKUP_FUNCTIONS.filter((f) => typeof l?.[f] !== 'function');
    if (missing.length)
      throw new InputError(`design '${d.name}'`, `lookup(ctx) must return functions ${missing.join(', ')}`);
    const out: Record<string, unknown> = {};
    for (const f of [...LOOKUP_FUNCTIONS, 'pfnToDevicePage'])
      if (typeof l[f] === 'function')
        out[f] = guarded(d.name, f, l[f] as (pfn: number) => unknown, LOOKUP_RESULTS[f]);
    return out as unknown as Lookup;
  };
  const writeSide = (ctx: DesignContext, m: KernelView): DesignWriteSide => {
    const w = guarded(d.name, 'writeSide', d.writeSide.bind(d), (r) =>
      r === undefined || (typeof r === 'object' && r !== null)
        ? undefined
        : 'must return { name, before?, after? }',
    )(ctx, m) ?? { name: d.name };
    const hook = (which: 'before' | 'after') => {
      const h = w[which];
      if (h === undefined) return {};
      const call = guarded(d.name, `writeSide.${which}`, h.bind(w), hookResult);
      return {
        [which]: (s: KernelStep, mm: KernelView) =>
          (call(s, mm) ?? []).map((x) => guardStep(d.name, which, s, x)),
      };
    };
    return { name: w.name ?? d.name, ...hook('before'), ...hook('after') };
  };
  return { ...d, lookup, writeSide };
}

/**
 * A module's syntax error with its place ("line 3, column 24: Unexpected token ';'"), or undefined
 * when it has none: import() does not say where on Node 20, so a module that failed to load is
 * checked again by `node --check` (only on this failure path).
 */
function syntaxError(path: string): string | undefined {
  const r = spawnSync(process.execPath, ['--check', '--input-type=module'], {
    input: readFileSync(path),
    encoding: 'utf8',
    timeout: 10_000,
  });
  const lines = (r.stderr ?? '').split('\n');
  const line = /^\[stdin\]:(\d+)$/.exec(lines[0])?.[1];
  const message = lines.find((l) => l.startsWith('SyntaxError: '))?.slice('SyntaxError: '.length);
  if (r.status === 0 || !line || !message) return undefined;
  const column = lines[2]?.indexOf('^') ?? -1;
  return `line ${line}${column >= 0 ? `, column ${column + 1}` : ''}: ${message}`;
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
  probeModuleLoad(spec, path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    const problem = (existsSync(path) && statSync(path).isFile() && syntaxError(path)) || firstLine(e);
    throw new InputError(spec, `cannot load design module: ${problem}`, spec);
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

/** runWithDesigns()'s options: runScenario's, with the designs' write sides woven in for `prepare`. */
export interface DesignRunOptions extends Omit<RunOptions, 'prepare' | 'sides'> {
  /** Called with the new machine before the designs bind to it (e.g. to set up RCU readers). */
  readonly beforeBind?: (m: Machine) => void;
  /** Called once the designs are bound, before boot. */
  readonly onBound?: (bound: readonly BoundDesign[], m: Machine) => void;
}

/**
 * Run a scenario (or its first `operations` operations) with the designs' write sides woven into
 * the kernel steps: the one way compare, explore, stress and the viewer run designs.
 */
export function runWithDesigns(
  s: ScenarioInput,
  designs: readonly Design[],
  opts: DesignRunOptions = {},
): { machine: Machine; bound: BoundDesign[]; log: OperationLog[] } {
  let bound: BoundDesign[] = [];
  const { beforeBind, onBound, ...run } = opts;
  const { machine, log } = runScenario(s, {
    ...run,
    prepare(m) {
      beforeBind?.(m);
      bound = bindDesigns(m, designs);
      onBound?.(bound, m);
      return bound.map((b) => b.writeSide);
    },
  });
  return { machine, bound, log };
}
