/**
 * The guest's initramfs, built by pfnlab: a static busybox, the kernel modules
 * verify needs (copied from the kernel package, loaded with insmod in
 * dependency order from /etc/modules), and the agent as /init.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
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

/** Modules put in the initramfs but loaded only when a step asks (nd_e820: legacy pmem appears when it loads). */
export const ON_DEMAND_MODULES = ['nd_e820'] as const;

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
    else if (name.endsWith('.ko')) out.set(basename(name, '.ko').replace(/-/g, '_'), p);
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
}

export interface Initramfs {
  readonly archive: Uint8Array;
  /** Modules in load order. */
  readonly modules: readonly string[];
  /** Wanted modules the kernel package does not have (built in, or absent). */
  readonly missing: readonly string[];
}

export function buildInitramfs(opts: InitramfsOptions): Initramfs {
  const index = opts.modulesDir && existsSync(opts.modulesDir) ? indexModules(opts.modulesDir) : new Map();
  for (const [name, p] of index) {
    if (/\.ko\.(xz|zst|gz)$/.test(p))
      throw new PfnlabError(`verify: module ${name} is compressed; busybox insmod needs plain .ko`, p);
  }
  const read = (name: string) => {
    const path = index.get(name);
    return path ? { name, path, data: readFileSync(path) } : undefined;
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
  return { archive: writeCpio(entries), modules: order.map((m) => m.name), missing };
}
