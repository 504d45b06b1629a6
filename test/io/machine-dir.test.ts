import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { makeDirs, replaceMachineDir } from '../../src/io/machine-dir.js';
import { scratchDir } from '../helpers.js';

describe('machine directories', () => {
  it('makeDirs makes every missing directory once and names the one it started at', () => {
    const base = scratchDir('make-dirs');
    assert.equal(makeDirs(join(base, 'a', 'b', 'c')), join(base, 'a'));
    assert.ok(existsSync(join(base, 'a', 'b', 'c')));
    assert.equal(makeDirs(join(base, 'a', 'b')), undefined, 'nothing was missing');
  });

  it('makeDirs fails at once where mkdir -p cannot succeed (Node recursive mkdirSync spins forever on /proc/x)', () => {
    const base = scratchDir('make-dirs');
    if (existsSync('/proc/self')) {
      // Returning at all is the point: recursive mkdirSync never does here.
      assert.throws(() => makeDirs('/proc/pfnlab-test/x'), { code: 'ENOENT' });
    }
    symlinkSync(join(base, 'gone'), join(base, 'dangling'));
    assert.throws(() => makeDirs(join(base, 'dangling', 'x')), /dangling: is a symbolic link to nothing/);
    writeFileSync(join(base, 'file'), '');
    assert.throws(() => makeDirs(join(base, 'file', 'x')), InputError);
  });

  it('replaceMachineDir: a failure leaves the directory as it was; success replaces only machine files', () => {
    const base = scratchDir('replace');
    const out = join(base, 'm');
    replaceMachineDir(out, (staging) => {
      writeFileSync(join(staging, 'lsmem.json'), 'old\n');
      writeFileSync(join(staging, 'pfnlab-machine.json'), '{}\n');
    });
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    assert.throws(
      () =>
        replaceMachineDir(out, (staging) => {
          writeFileSync(join(staging, 'lsmem.json'), 'half\n');
          throw new InputError('x', 'failed half-way');
        }),
      /failed half-way/,
    );
    assert.equal(readFileSync(join(out, 'lsmem.json'), 'utf8'), 'old\n');
    assert.deepEqual(
      readdirSync(out).sort(),
      ['lsmem.json', 'notes.txt', 'pfnlab-machine.json'],
      'no staging left',
    );
    replaceMachineDir(out, (staging) => writeFileSync(join(staging, 'pfnlab-machine.json'), '{"new":1}\n'));
    assert.deepEqual(
      readdirSync(out).sort(),
      ['notes.txt', 'pfnlab-machine.json'],
      'the old lsmem output is gone',
    );
    // A new directory that fails is not left behind, nor the parents made for it.
    assert.throws(() => replaceMachineDir(join(base, 'p', 'q'), () => assert.fail('no')), /no/);
    assert.deepEqual(readdirSync(base).sort(), ['m']);
  });
});
