/** Shared test helpers: small machines, fingerprints, a captured CLI. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Geometry, KernelVersion } from '../src/arch/geometry.js';
import { geometryFor } from '../src/arch/presets.js';
import { main } from '../src/cli/main.js';
import { loadScenario } from '../src/io/scenario.js';
import { checkInvariants } from '../src/model/invariants.js';
import type { Machine } from '../src/model/machine.js';
import { planOperation } from '../src/ops/index.js';
import { runScenario } from '../src/ops/scenario-run.js';
import type { BootRange, OpSpec } from '../src/ops/spec.js';

export const KiB = 2 ** 10;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** The x86 boot RAM most kernel tests start from: 2 GiB low, 4 GiB above the 32-bit hole. */
export const BOOT_LOW_HIGH = [
  { start: 0, size: 2 * GiB },
  { start: 4 * GiB, size: 4 * GiB },
];
/** Where those tests hot-add memory: above every boot range. */
export const DIMM = 16 * GiB;
export const DIMM_PFN = DIMM / 4096;
/** A 1 GiB add_memory at DIMM. */
export const ADD_DIMM: OpSpec = { op: 'add_memory', start: DIMM, size: GiB };

export function x86(overrides: Partial<Geometry> = {}): Geometry {
  return geometryFor('x86_64', overrides);
}

/** Boot a machine (small memory capacity) and run steps on it. */
export function machine(
  boot: BootRange[] | { start: number; size: number }[],
  steps: OpSpec[] = [],
  geometry: Geometry = x86(),
): Machine {
  const ranges = boot.map((r) => ({ node: 0, ...r }));
  return runScenario({ name: 'test', geometry, boot: ranges, steps }, { memory: { capacityWords: 2 ** 22 } })
    .machine;
}

/** An x86_64 machine on `kernel` after `steps`, its invariants checked. */
export function machineOn(
  kernel: KernelVersion,
  boot: { start: number; size: number }[],
  steps: OpSpec[] = [],
): Machine {
  const m = machine(boot, steps, x86({ kernel }));
  assert.deepEqual(checkInvariants(m), [], `invariants at ${kernel}`);
  return m;
}

/** Run an operation's steps up to and including the first named `fn` (fails if it has none). */
export function runUntil(m: Machine, spec: OpSpec, fn: string): void {
  for (const s of planOperation(m, spec).steps) {
    s.run(m);
    if (s.fn === fn) return;
  }
  assert.fail(`${spec.op} has no step ${fn}`);
}

/** A digest of everything a machine is: memory words and shadow, bookkeeping, truth. */
export function fingerprint(m: Machine): string {
  const h = createHash('sha256');
  const top = m.mem.highWater;
  h.update(new Uint8Array(m.mem.words.buffer, 0, top * 4));
  h.update(new Uint8Array(m.mem.shadow.buffer, 0, top));
  h.update(
    JSON.stringify({
      nodes: [...m.nodes.entries()],
      blocks: [...m.blocks.entries()],
      pgmaps: [...m.pgmaps.entries()],
      resources: m.resources,
      pins: m.pins,
      truth: m.truth.intervals(),
      blockSize: m.blockSize,
      next: m.nextPgmapNum,
      gen: m.memmap.generation,
      used: m.mem.usedWords,
    }),
  );
  return h.digest('hex');
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function cli(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    errIsTty: false,
    outIsTty: false,
  });
  return { code, stdout, stderr };
}

/** A command that must fail as bad usage or input: exit 2, one line on stderr, no stack trace. */
export async function expectUsageError(...argv: string[]): Promise<CliResult> {
  const r = await cli(...argv);
  const what = argv.join(' ');
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, `${what} printed ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  return r;
}

/** text cut into pieces of `size` characters, to feed a stream parser. */
export function inChunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** A fresh temporary directory, in memory (/dev/shm) where there is one: tests that write many small files. */
export function scratchDir(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no tmpfs: the ordinary temporary directory
  }
  const dir = mkdtempSync(join(base, `pfnlab-${prefix}-`));
  if (scratchDirs.size === 0) process.on('exit', removeScratchDirs);
  scratchDirs.add(dir);
  return dir;
}

/** Every scratch directory this test file made: removed when its process ends (PFNLAB_KEEP_SCRATCH=1 keeps them). */
const scratchDirs = new Set<string>();

function removeScratchDirs(): void {
  if (process.env.PFNLAB_KEEP_SCRATCH) return;
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
}

/** A built-in scenario's machine after boot and its first `after` steps (all when absent). */
export function builtinMachine(name: string, after?: number): Machine {
  return runScenario(loadScenario(name), { operations: after }).machine;
}
