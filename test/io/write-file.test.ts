import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isPfnlabError } from '../../src/errors.js';
import { writeFileWhole } from '../../src/io/write-file.js';
import { scratchDir } from '../helpers.js';

describe('writeFileWhole', () => {
  it('writes a new file, replaces an old one whole, and follows a link to its target', () => {
    const dir = scratchDir('write-file');
    const path = join(dir, 'report.html');
    writeFileWhole(path, 'one');
    writeFileWhole(path, 'two');
    assert.equal(readFileSync(path, 'utf8'), 'two');
    symlinkSync(path, join(dir, 'link.html'));
    writeFileWhole(join(dir, 'link.html'), 'three');
    assert.equal(readFileSync(path, 'utf8'), 'three');
    assert.deepEqual(readdirSync(dir).sort(), ['link.html', 'report.html'], 'no temporary file left');
  });

  it('a failed write is one error naming the path, and leaves nothing half-written', () => {
    if (existsSync('/dev/full')) {
      assert.throws(
        () => writeFileWhole('/dev/full', 'x'.repeat(1 << 16)),
        (e: unknown) => isPfnlabError(e) && e.message === '/dev/full: write: ENOSPC',
      );
    }
    const dir = scratchDir('write-file');
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    assert.throws(
      () => writeFileWhole(join(blocker, 'report.html'), 'x'),
      (e: unknown) => isPfnlabError(e) && e.message.startsWith(`${join(blocker, 'report.html')}: `),
    );
    assert.deepEqual(readdirSync(dir), ['not-a-dir']);
  });
});
