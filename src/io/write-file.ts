/**
 * Writing an output file whole or not at all: a report or scenario that fails half-way (ENOSPC,
 * EIO) must not be left behind looking like a finished one.
 */
import { accessSync, constants, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { withFileErrors } from './machine-dir.js';

/**
 * Write text to path: a regular file is written beside it and renamed over it, so that it is either
 * the old file or the whole new one; a device or pipe (/dev/stdout) is written in place. A failure
 * is one InputError naming path.
 */
export function writeFileWhole(path: string, text: string): void {
  withFileErrors(() => {
    let target = path;
    try {
      if (!statSync(path).isFile()) {
        writeFileSync(path, text);
        return;
      }
      // An existing file: write where its link points, and only if it may be written at all.
      target = realpathSync(path);
      accessSync(target, constants.W_OK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const dir = dirname(target);
    const temp = join(dir, `.${basename(target)}.${process.pid}.partial`);
    try {
      writeFileSync(temp, text);
      renameSync(temp, target);
    } catch (e) {
      rmSync(temp, { force: true });
      const err = e as NodeJS.ErrnoException;
      if (err.path === temp && err.syscall === 'open')
        throw new InputError(path, `cannot create a file in ${dir} (${err.code})`, path);
      throw e;
    }
  }, path);
}
