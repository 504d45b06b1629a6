/**
 * What verify needs from the host: qemu-system-x86_64, a static busybox, and
 * kernels with their modules. The first two are Debian packages the host
 * installs (`apt-get install`, reported here, never run); the kernels are
 * fetched, never installed: a private apt configuration under the cache
 * (its own sources list adding bookworm-backports, its own lists and package
 * cache, so the system's apt state is untouched) runs `apt-get update` and
 * `apt-get download`, and `dpkg -x` unpacks each package into
 * <cache>/kernel/<release>, which never touches /boot or dpkg's database.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { PfnlabError } from '../errors.js';

/** Something verify needs is missing; the message says what and points at `pfnlab verify --setup`. */
export class SetupError extends PfnlabError {
  constructor(message: string) {
    super(`verify: ${message}; run 'pfnlab verify --setup'`, undefined);
  }
}

export const APT_PACKAGES = ['qemu-system-x86', 'busybox-static', 'cpio', 'xz-utils', 'zstd'] as const;

/**
 * The kernel series verify boots: Debian 12's own 6.1 and the 6.12 that
 * bookworm-security and bookworm-backports carry. Each maps to Debian's cloud
 * flavour package names (linux-image-6.1.0-NN-cloud-amd64,
 * linux-image-6.12.NN+deb12-cloud-amd64).
 */
export const KERNEL_SERIES = ['6.1', '6.12'] as const;
export type KernelSeries = (typeof KERNEL_SERIES)[number];

export function isKernelSeries(s: string): s is KernelSeries {
  return (KERNEL_SERIES as readonly string[]).includes(s);
}

/** The Debian archive the private apt configuration reads. */
export const DEBIAN_SOURCES = [
  'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main',
  'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main',
  'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main',
  'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main',
] as const;

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

/** The series of a release string: "6.12.118+deb12-cloud-amd64" -> "6.12". */
export function releaseSeries(release: string): string | undefined {
  return /^(\d+\.\d+)[.-]/.exec(release)?.[1];
}

/** The numbers in a release or package name, for ordering: newer sorts later. */
function releaseNumbers(name: string): number[] {
  return (name.match(/\d+/g) ?? []).map(Number);
}

export function compareReleases(a: string, b: string): number {
  const x = releaseNumbers(a);
  const y = releaseNumbers(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** Kernels extracted into the cache: <cache>/kernel/<release>/boot/vmlinuz-<release>, newest first. */
export function cachedKernels(cache: string): KernelFiles[] {
  const root = join(cache, 'kernel');
  if (!existsSync(root)) return [];
  const out: KernelFiles[] = [];
  for (const release of readdirSync(root).sort((a, b) => compareReleases(b, a))) {
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

/**
 * --kernel: a series (6.1, 6.12: the newest cached kernel of it) or a vmlinuz
 * path; none: the newest cached kernel.
 */
export function findKernel(opts: { kernel?: string; modules?: string; cache?: string }): KernelFiles {
  const cache = cacheDir(opts.cache);
  const k = opts.kernel;
  if (k !== undefined && isKernelSeries(k)) {
    const found = cachedKernels(cache).find((c) => releaseSeries(c.release) === k);
    if (!found)
      throw new SetupError(
        `no ${k} kernel in ${join(cache, 'kernel')} (Debian's ${k} cloud kernel, fetched there)`,
      );
    return opts.modules ? { ...found, modules: opts.modules } : found;
  }
  if (k !== undefined) {
    if (!existsSync(k))
      throw new PfnlabError(
        `verify: --kernel ${k.slice(0, 200)}: no such file (a vmlinuz path, or a series: ${KERNEL_SERIES.join(', ')})`,
        k,
      );
    return kernelFromVmlinuz(k, opts.modules);
  }
  const newest = cachedKernels(cache)[0];
  if (!newest)
    throw new SetupError(`no kernel in ${join(cache, 'kernel')} (Debian's cloud kernels, fetched there)`);
  return opts.modules ? { ...newest, modules: opts.modules } : newest;
}

/** Find everything, or throw a SetupError naming the first missing piece. */
export function findToolchain(opts: { kernel?: string; modules?: string; cache?: string } = {}): Toolchain {
  // The caller's own arguments first: an error they can fix is never hidden by what the host lacks.
  const kernel = findKernel(opts);
  const qemu = findQemu();
  if (!qemu) throw new SetupError('qemu-system-x86_64 is not installed (Debian package qemu-system-x86)');
  const busybox = findBusybox();
  if (!busybox) throw new SetupError('no static busybox found (Debian package busybox-static)');
  return { qemu, busybox, kernel };
}

export interface SetupStep {
  readonly what: string;
  readonly command: string;
  readonly done: boolean;
}

function run(cmd: string, args: readonly string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const last = (err.stderr ?? err.message).trim().split('\n').pop() ?? '';
    throw new PfnlabError(
      `verify --setup: ${cmd} ${args.slice(-2).join(' ')} failed: ${last.slice(0, 200)}`,
      args,
    );
  }
}

/**
 * The private apt configuration: options pointing apt at the cache's own
 * sources list, lists and package cache (Dir::Etc::SourceParts at an empty
 * directory, so the system's sources.list.d is not read either).
 */
export function privateApt(cache: string): { options: string[]; sourcesList: string; dir: string } {
  const dir = join(cache, 'apt');
  const sourcesList = join(dir, 'sources.list');
  const options = [
    `Dir::Etc::SourceList=${sourcesList}`,
    `Dir::Etc::SourceParts=${join(dir, 'sources.list.d')}`,
    `Dir::State::Lists=${join(dir, 'lists')}`,
    `Dir::Cache=${join(dir, 'cache')}`,
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
  return { options, sourcesList, dir };
}

function preparePrivateApt(cache: string): string[] {
  const apt = privateApt(cache);
  for (const d of ['sources.list.d', 'lists/partial', 'cache/archives/partial'])
    mkdirSync(join(apt.dir, d), { recursive: true });
  writeFileSync(apt.sourcesList, `${DEBIAN_SOURCES.join('\n')}\n`);
  return apt.options;
}

/** Debian's cloud kernel packages of a series, in apt-cache search's output, newest first. */
export function kernelPackages(searchOutput: string, series: KernelSeries): string[] {
  const re = new RegExp(`^linux-image-${series.replace('.', '\\.')}\\.\\d\\S*-cloud-amd64$`);
  return searchOutput
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((p) => re.test(p))
    .sort((a, b) => compareReleases(b, a));
}

/**
 * Report what is missing on the host, then fetch each kernel series not yet
 * in the cache. With `dryRun`, only say what would be done.
 */
export function setup(
  opts: {
    cache?: string;
    dryRun?: boolean;
    log?: (line: string) => void;
    series?: readonly KernelSeries[];
  } = {},
): SetupStep[] {
  const log = opts.log ?? (() => {});
  const steps: SetupStep[] = [];
  const cache = cacheDir(opts.cache);
  const missingApt = [
    !findQemu() && 'qemu-system-x86',
    !findBusybox() && 'busybox-static',
    !onPath('cpio') && 'cpio',
    !onPath('xz') && 'xz-utils',
    !onPath('zstd') && 'zstd',
  ].filter((p): p is string => Boolean(p));
  steps.push(
    missingApt.length === 0
      ? { what: `apt packages ${APT_PACKAGES.join(' ')}`, command: '(installed)', done: true }
      : {
          what: `install ${missingApt.join(' ')} (as root; verify --setup installs nothing)`,
          command: `apt-get install -y ${missingApt.join(' ')}`,
          done: false,
        },
  );
  const have = cachedKernels(cache);
  const wanted = opts.series ?? KERNEL_SERIES;
  const todo = wanted.filter((s) => {
    const k = have.find((c) => releaseSeries(c.release) === s);
    if (k)
      steps.push({
        what: `kernel ${k.release}`,
        command: `(in ${join(cache, 'kernel', k.release)})`,
        done: true,
      });
    return !k;
  });
  if (!todo.length) return steps;
  const describe = (s: string) =>
    `apt-get download the newest linux-image-${s}.*-cloud-amd64 (private apt lists in ${join(cache, 'apt')}) && dpkg -x it into ${join(cache, 'kernel', '<release>')}`;
  if (opts.dryRun) {
    for (const s of todo) steps.push({ what: `kernel ${s}`, command: describe(s), done: false });
    return steps;
  }
  const apt = preparePrivateApt(cache);
  log(`$ apt-get ${apt.join(' ')} update`);
  run('apt-get', [...apt, '-qq', 'update']);
  const search = run('apt-cache', [...apt, 'search', '--names-only', '^linux-image-6\\..*-cloud-amd64$']);
  for (const series of todo) {
    const pkg = kernelPackages(search, series)[0];
    if (!pkg) throw new PfnlabError(`verify --setup: Debian's archive has no ${series} cloud kernel`, series);
    const release = pkg.replace(/^linux-image-/, '');
    const work = mkdtempSync(join(ensureDir(cache), 'download-'));
    try {
      log(`$ apt-get download ${pkg}`);
      run('apt-get', [...apt, '-qq', 'download', pkg], work);
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (!deb) throw new PfnlabError(`verify --setup: apt-get download ${pkg} produced no .deb`, pkg);
      const dest = join(cache, 'kernel', release);
      log(`$ dpkg -x ${deb} ${dest}`);
      mkdirSync(dest, { recursive: true });
      run('dpkg', ['-x', join(work, deb), dest]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    steps.push({ what: `kernel ${release}`, command: describe(series), done: true });
  }
  return steps;
}

function ensureDir(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}
