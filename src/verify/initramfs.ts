/**
 * The guest's initramfs, built by pfnlab: a static busybox, the kernel modules
 * verify needs (copied from the kernel package, loaded with insmod in
 * dependency order from /etc/modules), and the agent as /init.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PfnlabError } from '../errors.js';
import { AGENT_INIT } from './agent.js';
import { type CpioEntry, writeCpio } from './cpio.js';

/**
 * Modules for the device kinds verify drives: NVDIMM (NFIT, libnvdimm, pmem,
 * dax) and virtio-mem/virtio-pmem over virtio-pci. Their .modinfo dependencies
 * decide the load order (virtio_ring before virtio, libnvdimm first).
 */
export const VERIFY_MODULES = [
  'libnvdimm',
  'nd_btt',
  'nd_pmem',
  'nfit',
  'dax_pmem',
  'device_dax',
  'kmem',
  'virtio_pci',
  'virtio_mem',
  'virtio_pmem',
] as const;

/**
 * Modules put in the initramfs but loaded only when a step asks (nd_e820:
 * legacy pmem appears when it loads; memory_notifier_error_inject: the
 * selftest's error phase).
 */
export const ON_DEMAND_MODULES = ['nd_e820', 'memory_notifier_error_inject'] as const;

/** The modules each kind of device a scenario uses cannot do without (built in, or shipped). */
export const NEEDED_MODULES = {
  nvdimms: ['libnvdimm', 'nd_pmem', 'nfit', 'dax_pmem', 'device_dax'],
  virtioMem: ['virtio_pci', 'virtio_mem'],
  legacyPmem: ['libnvdimm', 'nd_pmem', 'nd_e820'],
} as const;

/** A module file's name without its suffix: "virtio_mem.ko.xz" -> "virtio_mem"; undefined when not a module. */
export function moduleName(file: string): string | undefined {
  const m = /^(.+)\.ko(\.(xz|zst|gz))?$/.exec(file);
  return m ? m[1].replace(/-/g, '_') : undefined;
}

/** A needed module the kernel has neither built in nor shipped: one line, exit 2. */
export class MissingModuleError extends PfnlabError {
  constructor(
    readonly module: string,
    why: string,
    release: string,
  ) {
    super(
      `verify: kernel ${release} has no module ${module} (${why}), neither built in nor in its modules directory`,
      module,
    );
  }
}

/**
 * A module's ELF bytes: .ko as is, .ko.gz through zlib, .ko.xz and .ko.zst
 * through xz and zstd (Debian's xz-utils and zstd; Node 20 has neither).
 */
export function readModule(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (path.endsWith('.ko')) return raw;
  if (path.endsWith('.gz')) return gunzipSync(raw);
  const tool = path.endsWith('.xz') ? 'xz' : 'zstd';
  const r = spawnSync(tool, ['-dc'], { input: raw, maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0)
    throw new PfnlabError(
      `verify: cannot decompress ${path}: ${r.error?.message ?? r.stderr.toString().trim().slice(0, 200)} (Debian package ${tool === 'xz' ? 'xz-utils' : 'zstd'})`,
      path,
    );
  return r.stdout;
}

/** modules.builtin of a modules directory: names of the modules compiled into the kernel. */
export function builtinModules(modulesDir: string | undefined): Set<string> {
  const f = modulesDir && join(modulesDir, 'modules.builtin');
  if (!f || !existsSync(f)) return new Set();
  const out = new Set<string>();
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const name = moduleName(line.split('/').pop() ?? '');
    if (name) out.add(name);
  }
  return out;
}

/** The `depends=` field of a module's .modinfo section (names, comma separated). */
export function moduleDepends(ko: Uint8Array): string[] {
  const text = Buffer.from(ko.buffer, ko.byteOffset, ko.byteLength).toString('latin1');
  const m = /\0depends=([^\0]*)\0/.exec(text);
  if (!m) return [];
  return m[1].split(',').filter(Boolean);
}

function indexModules(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) indexModules(p, out);
    else {
      const m = moduleName(name);
      if (m) out.set(m, p);
    }
  }
  return out;
}

export interface ResolvedModule {
  readonly name: string;
  readonly path: string;
  readonly data: Uint8Array;
}

/**
 * The wanted modules and their dependencies, dependencies first. `read` gives
 * a module's bytes by name (a directory index in practice, a map in tests).
 */
export function resolveModules(
  wanted: readonly string[],
  read: (name: string) => ResolvedModule | undefined,
): {
  order: ResolvedModule[];
  missing: string[];
} {
  const order: ResolvedModule[] = [];
  const missing: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string) => {
    const key = name.replace(/-/g, '_');
    if (state.has(key)) return;
    state.set(key, 'visiting');
    const mod = read(key);
    if (!mod) {
      missing.push(key);
      state.set(key, 'done');
      return;
    }
    for (const dep of moduleDepends(mod.data)) visit(dep);
    state.set(key, 'done');
    order.push(mod);
  };
  for (const w of wanted) visit(w);
  return { order, missing };
}

export interface InitramfsOptions {
  readonly busybox: string;
  /** /lib/modules/<release>, or undefined for a kernel with everything built in. */
  readonly modulesDir: string | undefined;
  readonly modules?: readonly string[];
  /** Modules the scenario cannot do without, each with why: missing and not built in is an error. */
  readonly needed?: ReadonlyMap<string, string>;
  /** The kernel's release, for the missing-module message. */
  readonly release?: string;
}

export interface Initramfs {
  readonly archive: Uint8Array;
  /** Modules in load order. */
  readonly modules: readonly string[];
  /** Wanted modules the kernel package does not have (built in, or absent). */
  readonly missing: readonly string[];
  /** On-demand modules shipped in the initramfs (insmod by name). */
  readonly onDemand: readonly string[];
}

export function buildInitramfs(opts: InitramfsOptions): Initramfs {
  const index = opts.modulesDir && existsSync(opts.modulesDir) ? indexModules(opts.modulesDir) : new Map();
  const builtin = builtinModules(opts.modulesDir);
  for (const [name, why] of opts.needed ?? []) {
    if (!index.has(name) && !builtin.has(name))
      throw new MissingModuleError(name, why, opts.release ?? 'this kernel');
  }
  // busybox insmod loads plain ELF only: compressed modules are unpacked here.
  const read = (name: string) => {
    const path = index.get(name);
    return path ? { name, path, data: readModule(path) } : undefined;
  };
  const { order, missing } = resolveModules(opts.modules ?? VERIFY_MODULES, read);
  const loaded = new Set(order.map((m) => m.name));
  const onDemand = resolveModules(ON_DEMAND_MODULES, read).order.filter((m) => !loaded.has(m.name));
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'sbin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'dir', path: 'etc' },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'sys' },
    { kind: 'dir', path: 'tmp' },
    { kind: 'dir', path: 'lib' },
    { kind: 'dir', path: 'lib/modules' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'chardev', path: 'dev/ttyS0', major: 4, minor: 64 },
    { kind: 'chardev', path: 'dev/ttyS1', major: 4, minor: 65 },
    { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { kind: 'file', path: 'bin/busybox', data: readFileSync(opts.busybox), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    {
      kind: 'file',
      path: 'init',
      data: Buffer.from(AGENT_INIT.replace('#!/bin/sh\n', '#!/bin/sh\n/bin/busybox --install -s /bin\n')),
      mode: 0o755,
    },
    { kind: 'file', path: 'etc/modules', data: Buffer.from(order.map((m) => `${m.name}\n`).join('')) },
    ...[...order, ...onDemand].map(
      (m): CpioEntry => ({ kind: 'file', path: `lib/modules/${m.name}.ko`, data: m.data }),
    ),
  ];
  return {
    archive: writeCpio(entries),
    modules: order.map((m) => m.name),
    missing,
    onDemand: onDemand.map((m) => m.name),
  };
}
