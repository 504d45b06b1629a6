/**
 * The litmus tests a kernel ships (tools/memory-model/litmus-tests/ and Documentation/litmus-tests/),
 * read from a kernel tree or a bare git mirror, never copied into pfnlab. Used by bench/litmus
 * (their documented results) and bench/litmus-shapes (their syntax).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const KERNEL_LITMUS_DIRS = ['tools/memory-model/litmus-tests', 'Documentation/litmus-tests'];

export interface KernelLitmusFile {
  readonly path: string;
  text(): string;
}

/** The kernel's litmus files under root, or undefined when root is neither a kernel tree nor a git directory holding one. */
export function kernelLitmusFiles(root: string): KernelLitmusFile[] | undefined {
  if (existsSync(join(root, 'tools/memory-model'))) {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.litmus') ? [p] : [];
      });
    return KERNEL_LITMUS_DIRS.filter((d) => existsSync(join(root, d)))
      .flatMap((d) => walk(join(root, d)))
      .map((p) => ({ path: relative(root, p), text: () => readFileSync(p, 'utf8') }));
  }
  const git = (...a: string[]): string =>
    execFileSync('git', [`--git-dir=${root}`, ...a], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  let names: string[];
  try {
    names = git('ls-tree', '-r', '--name-only', 'HEAD', ...KERNEL_LITMUS_DIRS)
      .split('\n')
      .filter((p) => p.endsWith('.litmus'));
  } catch {
    return undefined;
  }
  return names.map((p) => ({ path: p, text: () => git('show', `HEAD:${p}`) }));
}
