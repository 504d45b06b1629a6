/**
 * The scenario language: JSON validated against the shipped JSON Schema
 * (schema/scenario.schema.json), then converted to numbers and a Geometry.
 * Every problem is an InputError naming the file and JSON path. Pure: it reads
 * no scenario from disk (src/io/scenario.ts loads paths, built-ins and machine
 * directories) and sits below io/import, which builds scenarios with it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Geometry, GeometryParams, KernelVersion } from '../arch/geometry.js';
import { deriveGeometry, GeometryError } from '../arch/geometry.js';
import { checkPfnWithinPhysmem } from '../arch/pfn.js';
import { geometryFor } from '../arch/presets.js';
import { type Errno, InputError } from '../errors.js';
import { BEHAVIOURS, kernelOf } from '../kernel/index.js';
import { DEFAULT_HOTPLUG_SETTINGS, type HotplugSettings } from '../model/hotplug-settings.js';
import type { PgmapType } from '../model/pgmap.js';
import type { BootRange, OpSpec } from '../ops/spec.js';
import { parsePfn, parseSize, sizeProblem } from '../units.js';
import { parseWalkerSpec } from '../walkers/spec.js';
import { type Schema, SchemaValidator } from './json-schema.js';

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly geometry: Geometry;
  readonly boot: readonly BootRange[];
  readonly steps: readonly OpSpec[];
  readonly walkers: readonly string[];
  readonly queries: readonly number[];
  /** Where it came from: a file path, or 'builtin:<name>'. */
  readonly source: string;
  /** The `verify` section (QEMU machine for `pfnlab verify`), as the schema validated it; src/verify reads it. */
  readonly verify?: unknown;
  /** The `explore` section: { from } (operations done before `pfnlab explore` interleaves the rest). */
  readonly explore?: { readonly from?: number };
  /** auto_online_blocks, online_policy, auto_movable_ratio; absent: the kernel's defaults. */
  readonly hotplug?: HotplugSettings;
  /** page_owner=on: online sections get a page_ext (what the page_owner walker reads). */
  readonly pageOwner?: boolean;
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCENARIO_SCHEMA_PATH = join(packageRoot, 'schema', 'scenario.schema.json');

let validator: SchemaValidator | undefined;

export function scenarioSchema(): Schema {
  return JSON.parse(readFileSync(SCENARIO_SCHEMA_PATH, 'utf8')) as Schema;
}

function scenarioValidator(): SchemaValidator {
  validator ??= new SchemaValidator(scenarioSchema());
  return validator;
}

function fail(where: string, problem: string, value?: unknown): never {
  throw new InputError(where, problem, value);
}

function size(source: string, path: string, v: unknown): number {
  const n = parseSize(v);
  if (n === undefined) fail(`${source}: ${path}`, sizeProblem(v), v);
  return n;
}

function convertStep(source: string, path: string, raw: Record<string, unknown>): OpSpec {
  const spec = convertOp(source, path, raw);
  return raw.expect === undefined ? spec : { ...spec, expect: raw.expect as Errno };
}

function convertOp(source: string, path: string, raw: Record<string, unknown>): OpSpec {
  const at = (k: string) => size(source, `${path}.${k}`, raw[k]);
  const node = raw.node as number | undefined;
  switch (raw.op) {
    case 'add_memory':
      return {
        op: 'add_memory',
        start: at('start'),
        size: at('size'),
        node,
        ...(raw.memmapOnMemory === true ? { memmapOnMemory: true } : {}),
      };
    case 'online':
      return {
        op: 'online',
        start: at('start'),
        size: at('size'),
        zone: raw.zone as 'normal' | 'movable' | undefined,
      };
    case 'offline':
    case 'remove':
      return { op: raw.op, start: at('start'), size: at('size') };
    case 'memremap': {
      const alt = raw.altmap as Record<string, unknown> | undefined;
      return {
        op: 'memremap',
        start: at('start'),
        size: at('size'),
        type: raw.type as PgmapType,
        id: raw.id as string,
        node,
        altmap: alt
          ? {
              reserve: size(source, `${path}.altmap.reserve`, alt.reserve),
              free: alt.free === undefined ? undefined : size(source, `${path}.altmap.free`, alt.free),
            }
          : undefined,
      };
    }
    case 'memunmap':
      return { op: 'memunmap', id: raw.id as string };
    case 'pin':
    case 'unpin':
      return { op: raw.op, start: at('start'), size: raw.size === undefined ? 0 : at('size') };
    default:
      return fail(`${source}: ${path}.op`, `unknown op ${JSON.stringify(raw.op)}`);
  }
}

const SIZE_OVERRIDES = new Set(['memoryBlockSize', 'zoneDmaLimit', 'zoneDma32Limit']);

function convertGeometry(source: string, raw: Record<string, unknown>): Geometry {
  const arch = (raw.arch as string | undefined) ?? 'x86_64';
  const overrides: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((raw.overrides as Record<string, unknown>) ?? {})) {
    overrides[k] = SIZE_OVERRIDES.has(k) ? size(source, `$.overrides.${k}`, v) : v;
  }
  if (raw.kernel) overrides.kernel = raw.kernel as KernelVersion;
  try {
    return geometryFor(arch, overrides as Partial<GeometryParams>);
  } catch (e) {
    if (e instanceof GeometryError) fail(`${source}: $.overrides.${e.field}`, e.message, e.value);
    throw e;
  }
}

/** Validate a parsed scenario object and convert it. */
export function scenarioFromJson(raw: unknown, source: string): Scenario {
  const issue = scenarioValidator().validate(raw);
  if (issue) fail(`${source}: ${issue.path}`, issue.problem);
  const obj = raw as Record<string, unknown>;
  const geometry = convertGeometry(source, obj);
  const boot = (obj.boot as Record<string, unknown>[]).map((r, i) => ({
    start: size(source, `$.boot[${i}].start`, r.start),
    size: size(source, `$.boot[${i}].size`, r.size),
    node: (r.node as number | undefined) ?? 0,
  }));
  const rawSteps = (obj.steps as Record<string, unknown>[] | undefined) ?? [];
  const steps = rawSteps.map((s, i) => {
    const step = convertStep(source, `$.steps[${i}]`, s);
    if ((step.op === 'pin' || step.op === 'unpin') && step.size === 0)
      return { ...step, size: geometry.pageSize };
    return step;
  });
  checkStepsForKernel(source, steps, geometry);
  const queries = ((obj.queries as unknown[]) ?? []).map((q, i) => {
    const pfn = typeof q === 'number' ? q : parsePfn(String(q));
    if (pfn === undefined || !Number.isSafeInteger(pfn))
      fail(`${source}: $.queries[${i}]`, `${JSON.stringify(q)} is not a pfn`);
    checkPfnWithinPhysmem(geometry, pfn, String(q), `${source}: $.queries[${i}]`);
    return pfn;
  });
  const walkers = (obj.walkers as string[]) ?? [];
  walkers.forEach((w, i) => {
    parseWalkerSpec(w, `${source}: $.walkers[${i}]`, geometry);
  });
  const from = (obj.explore as { from?: number } | undefined)?.from;
  if (from !== undefined && from > steps.length)
    fail(`${source}: $.explore.from`, `the scenario has only ${steps.length} steps`);
  return {
    name: obj.name as string,
    description: obj.description as string | undefined,
    geometry,
    boot,
    steps,
    walkers,
    queries,
    source,
    verify: obj.verify,
    explore: obj.explore as Scenario['explore'],
    ...(obj.hotplug
      ? { hotplug: convertHotplug(source, obj.hotplug as Record<string, unknown>, geometry) }
      : {}),
    ...(obj.pageOwner === true ? { pageOwner: true } : {}),
  };
}

/** The `hotplug` settings, refused where the scenario's release does not have them yet. */
function convertHotplug(source: string, raw: Record<string, unknown>, g: Geometry): HotplugSettings {
  const h: HotplugSettings = { ...DEFAULT_HOTPLUG_SETTINGS, ...(raw as Partial<HotplugSettings>) };
  const k = kernelOf(g);
  if (
    (h.autoOnlineBlocks === 'online_kernel' || h.autoOnlineBlocks === 'online_movable') &&
    !k.autoOnlineType
  )
    fail(
      `${source}: $.hotplug.autoOnlineBlocks`,
      `'${h.autoOnlineBlocks}' needs ${BEHAVIOURS.autoOnlineType.since} or later (kernel ${g.kernel} takes online or offline)`,
      h.autoOnlineBlocks,
    );
  if (h.onlinePolicy === 'auto-movable' && !k.autoMovableOnlinePolicy)
    fail(
      `${source}: $.hotplug.onlinePolicy`,
      `auto-movable needs ${BEHAVIOURS.autoMovableOnlinePolicy.since} or later, not ${g.kernel}`,
      h.onlinePolicy,
    );
  return h;
}

/** Steps asking for what the scenario's release does not have yet: memmapOnMemory before 5.13. */
function checkStepsForKernel(source: string, steps: readonly OpSpec[], g: Geometry): void {
  if (kernelOf(g).memmapOnMemory) return;
  const i = steps.findIndex((s) => s.op === 'add_memory' && s.memmapOnMemory);
  if (i >= 0)
    fail(
      `${source}: $.steps[${i}].memmapOnMemory`,
      `memmap_on_memory needs ${BEHAVIOURS.memmapOnMemory.since} or later, not ${g.kernel}`,
      true,
    );
}

/** The same scenario on a model following another release's behaviours. */
export function scenarioWithKernel(s: Scenario, kernel: KernelVersion): Scenario {
  if (s.geometry.kernel === kernel) return s;
  const geometry = deriveGeometry({ ...s.geometry, kernel });
  // The hotplug settings must exist in that release too.
  if (s.hotplug) convertHotplug(`--kernel ${kernel}: ${s.source}`, { ...s.hotplug }, geometry);
  checkStepsForKernel(`--kernel ${kernel}: ${s.source}`, s.steps, geometry);
  return { ...s, geometry };
}
