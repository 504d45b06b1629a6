/**
 * Every input file pfnlab reads (scenarios, traces, manifests, import files, sysfs attributes)
 * goes through readInputText: only regular files, and at most INPUT_LIMIT_BYTES of them. A device
 * (/dev/zero), a FIFO with no writer or a socket could never end, so it is refused before it is
 * opened; a regular file is read in chunks, so one that keeps growing, or a /proc file whose size
 * reads as 0, stops at the limit too.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';

/** The most pfnlab reads from one input file (the largest real /proc/iomem is well below 1 MiB). */
export const INPUT_LIMIT_BYTES = 64 * 2 ** 20;

const CHUNK = 2 ** 20;

/** Refuse what is not a regular file, naming what it is. */
export function checkRegularFile(path: string): void {
  let kind: string;
  try {
    const st = statSync(path);
    if (st.isFile()) return;
    if (st.isDirectory()) throw new InputError(path, 'is a directory, not a file', path);
    kind = st.isFIFO()
      ? 'a FIFO'
      : st.isCharacterDevice() || st.isBlockDevice()
        ? 'a device'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file';
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(path, 'no such file', path);
    if (code === 'ELOOP') throw new InputError(path, 'a symlink loop', path);
    throw new InputError(path, `cannot be read (${code ?? (e as Error).message})`, path);
  }
  throw new InputError(path, `is ${kind}, not a regular file: pfnlab reads only regular files`, path);
}

/** A regular file's text (UTF-8), refused past INPUT_LIMIT_BYTES. */
export function readInputText(path: string): string {
  checkRegularFile(path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(
      path,
      `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      path,
    );
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      if (total > INPUT_LIMIT_BYTES)
        throw new InputError(
          path,
          `is larger than ${INPUT_LIMIT_BYTES / 2 ** 20} MiB, the most pfnlab reads from one input file`,
          path,
        );
      chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
