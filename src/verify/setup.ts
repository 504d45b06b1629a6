/**
 * What verify needs from the host: qemu-system-x86_64, a static busybox, and
 * a kernel with its modules. All come from Debian's archive: the first two
 * with apt-get install, the kernel with apt-get download + dpkg -x into a
 * cache directory (~/.cache/pfnlab/kernel/<version>), which never touches /boot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PfnlabError } from '../errors.js';

/** Something verify needs is missing; the message says what and points at `pfnlab verify --setup`. */
export class SetupError extends PfnlabError {
  constructor(message: string) {
    super(`verify: ${message}; run 'pfnlab verify --setup'`, undefined);
  }
}

export const APT_PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'gzip'] as const;
/** The metapackage whose dependency names the current cloud kernel. */
export const KERNEL_METAPACKAGE = 'linux-image-cloud-amd64';

export interface Toolchain {
  readonly qemu: string;
  readonly busybox: string;
  readonly kernel: KernelFiles;
}

export interface KernelFiles {
  readonly vmlinuz: string;
  /** /lib/modules/<release> of that kernel (may be absent for a kernel without modules). */
  readonly modules: string | undefined;
  readonly release: string;
}

export function cacheDir(override?: string): string {
  return (
    override ??
    process.env.PFNLAB_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pfnlab')
  );
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** Is an ELF file statically linked (no PT_INTERP program header)? */
export function isStaticElf(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > b.length) return false;
    if (b.readUInt32LE(off) === 3) return false; // PT_INTERP
  }
  return true;
}

export function findQemu(): string | undefined {
  return onPath('qemu-system-x86_64');
}

export function findBusybox(): string | undefined {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', onPath('busybox')]) {
    if (p && existsSync(p) && isStaticElf(readFileSync(p))) return p;
  }
  return undefined;
}

/** Kernels extracted into the cache: <cache>/kernel/<release>/boot/vmlinuz-<release>, newest first. */
export function cachedKernels(cache: string): KernelFiles[] {
  const root = join(cache, 'kernel');
  if (!existsSync(root)) return [];
  const out: KernelFiles[] = [];
  for (const release of readdirSync(root).sort().reverse()) {
    const vmlinuz = join(root, release, 'boot', `vmlinuz-${release}`);
    if (!existsSync(vmlinuz)) continue;
    const modules = join(root, release, 'lib', 'modules', release);
    out.push({ vmlinuz, modules: existsSync(modules) ? modules : undefined, release });
  }
  return out;
}

/** The modules directory that belongs with a vmlinuz: X/boot/vmlinuz-R -> X/lib/modules/R, else /lib/modules/R. */
export function kernelFromVmlinuz(vmlinuz: string, modules?: string): KernelFiles {
  const release = basename(vmlinuz).replace(/^vmlinuz-?/, '') || 'custom';
  if (modules) return { vmlinuz, modules, release };
  const candidates = [
    join(dirname(dirname(vmlinuz)), 'lib', 'modules', release),
    join(dirname(dirname(vmlinuz)), 'usr', 'lib', 'modules', release),
    join('/lib/modules', release),
  ];
  return { vmlinuz, modules: candidates.find((c) => existsSync(join(c, 'kernel'))), release };
}

/** Find everything, or throw a SetupError naming the first missing piece. */
export function findToolchain(opts: { kernel?: string; modules?: string; cache?: string } = {}): Toolchain {
  // The caller's own arguments first: an error they can fix is never hidden by what the host lacks.
  if (opts.kernel && !existsSync(opts.kernel))
    throw new PfnlabError(`verify: --kernel ${opts.kernel}: no such file`, opts.kernel);
  const qemu = findQemu();
  if (!qemu) throw new SetupError('qemu-system-x86_64 is not installed (Debian package qemu-system-x86)');
  const busybox = findBusybox();
  if (!busybox) throw new SetupError('no static busybox found (Debian package busybox-static)');
  let kernel: KernelFiles | undefined;
  if (opts.kernel) {
    kernel = kernelFromVmlinuz(opts.kernel, opts.modules);
  } else {
    kernel = cachedKernels(cacheDir(opts.cache))[0];
  }
  if (!kernel)
    throw new SetupError(
      `no kernel in ${join(cacheDir(opts.cache), 'kernel')} (Debian package ${KERNEL_METAPACKAGE}, extracted there)`,
    );
  return { qemu, busybox, kernel };
}

export interface SetupStep {
  readonly what: string;
  readonly command: string;
  readonly done: boolean;
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The kernel package the metapackage depends on now (linux-image-6.1.0-NN-cloud-amd64). */
export function currentKernelPackage(): string {
  const out = run('apt-cache', ['depends', KERNEL_METAPACKAGE]);
  const m = /Depends:\s*(linux-image-\S+)/.exec(out);
  if (!m)
    throw new PfnlabError(`verify: apt-cache depends ${KERNEL_METAPACKAGE} names no kernel package`, out);
  return m[1];
}

/**
 * Install what is missing: the apt packages (as root, waiting for the dpkg
 * lock), then the kernel into the cache. With `dryRun`, only say what would be done.
 */
export function setup(
  opts: { cache?: string; dryRun?: boolean; log?: (line: string) => void } = {},
): SetupStep[] {
  const log = opts.log ?? (() => {});
  const steps: SetupStep[] = [];
  const cache = cacheDir(opts.cache);
  const missingApt = [
    !findQemu() && 'qemu-system-x86',
    !findBusybox() && 'busybox-static',
    !onPath('cpio') && 'cpio',
    !onPath('gzip') && 'gzip',
  ].filter((p): p is string => Boolean(p));
  const install = `apt-get install -y -o DPkg::Lock::Timeout=600 ${missingApt.join(' ')}`;
  if (missingApt.length === 0) {
    steps.push({ what: `apt packages ${APT_PACKAGES.join(' ')}`, command: '(installed)', done: true });
  } else if (opts.dryRun) {
    steps.push({ what: `install ${missingApt.join(' ')}`, command: install, done: false });
  } else {
    if (process.getuid?.() !== 0)
      throw new PfnlabError(
        `verify --setup: installing ${missingApt.join(' ')} needs root: run '${install}'`,
        missingApt,
      );
    log(`$ ${install}`);
    const r = spawnSync('apt-get', install.split(' ').slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      log('$ apt-get update');
      spawnSync('apt-get', ['update', '-o', 'DPkg::Lock::Timeout=600'], { stdio: 'ignore' });
      const again = spawnSync('apt-get', install.split(' ').slice(1), {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
      if (again.status !== 0)
        throw new PfnlabError(
          `verify --setup: ${install} failed: ${again.stderr.trim().split('\n').pop()}`,
          again.stderr,
        );
    }
    steps.push({ what: `install ${missingApt.join(' ')}`, command: install, done: true });
  }
  const have = cachedKernels(cache)[0];
  if (have) {
    steps.push({
      what: `kernel ${have.release}`,
      command: `(in ${join(cache, 'kernel', have.release)})`,
      done: true,
    });
    return steps;
  }
  const describe = `apt-get download ${KERNEL_METAPACKAGE}'s kernel package && dpkg -x it into ${join(cache, 'kernel', '<release>')}`;
  if (opts.dryRun) {
    steps.push({ what: 'kernel', command: describe, done: false });
    return steps;
  }
  const pkg = currentKernelPackage();
  const release = pkg.replace(/^linux-image-/, '');
  const work = mkdtempSync(join(cache.length ? ensureDir(cache) : cache, 'download-'));
  try {
    log(`$ apt-get download ${pkg}`);
    run('apt-get', ['download', pkg], work);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new PfnlabError(`verify --setup: apt-get download ${pkg} produced no .deb`, pkg);
    const dest = join(cache, 'kernel', release);
    log(`$ dpkg -x ${deb} ${dest}`);
    mkdirSync(dest, { recursive: true });
    run('dpkg', ['-x', join(work, deb), dest]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  steps.push({ what: `kernel ${release}`, command: describe, done: true });
  return steps;
}

function ensureDir(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}
