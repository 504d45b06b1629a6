import assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { captureMachine } from '../../src/io/capture.js';
import { exportMachine, lsmemJson } from '../../src/io/export/index.js';
import { importMachine } from '../../src/io/import/index.js';
import { builtinMachine, scratchDir } from '../helpers.js';

const dimm = (after: number) => builtinMachine('dimm-hotplug', after);

/** A fake sysroot: sys/ and proc/ as a machine shows them (the exporter writes exactly that layout). */
function sysroot(after: number): string {
  const root = scratchDir('sysroot');
  exportMachine(dimm(after), root, { formats: ['sysfs', 'iomem', 'zoneinfo'] });
  rmSync(join(root, 'pfnlab-machine.json'));
  return root;
}

/** A PATH holding a fake lsmem that records its arguments and LC_ALL, then prints `output`. */
function fakeTools(output: string): string {
  const bin = scratchDir('bin');
  writeFileSync(join(bin, 'lsmem.out'), output);
  writeFileSync(
    join(bin, 'lsmem'),
    `#!/bin/sh\necho "LC_ALL=$LC_ALL $*" > "${bin}/lsmem.args"\ncat "${bin}/lsmem.out"\n`,
  );
  chmodSync(join(bin, 'lsmem'), 0o755);
  return bin;
}

describe('pfnlab capture', () => {
  it('copies the sysfs memory tree, iomem and zoneinfo, runs lsmem with LC_ALL=C, and import reads it', () => {
    const root = sysroot(2);
    const bin = fakeTools(lsmemJson(dimm(2), true));
    const out = join(scratchDir('capture'), 'cap');
    const { manifest } = captureMachine(out, { root, path: bin, uid: 0 });
    assert.deepEqual(
      manifest.read.map((r) => r.file),
      ['sys/devices/system/memory', 'proc/iomem', 'proc/zoneinfo', 'lsmem.json'],
    );
    assert.equal(
      readFileSync(join(bin, 'lsmem.args'), 'utf8').trim(),
      `LC_ALL=C --json -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES --sysroot ${root}`,
    );
    assert.match(manifest.failed.map((f) => f.why).join('\n'), /no --sysroot/);
    const mem = join(out, 'sys/devices/system/memory');
    assert.equal(readFileSync(join(mem, 'memory130/phys_index'), 'utf8'), '00000082\n');
    assert.equal(readlinkSync(join(mem, 'memory130/node0')), '../../node/node0');
    assert.equal(
      readlinkSync(join(out, 'sys/devices/system/node/node0/memory130')),
      '../../memory/memory130',
    );
    // The capture imports to the machine it came from.
    assert.equal(readFileSync(join(out, 'lsmem.json'), 'utf8'), lsmemJson(dimm(2), true));
    const fromCapture = importMachine({ dir: out });
    const fromSysroot = importMachine({ dir: root });
    assert.deepEqual(fromCapture.scenario.steps, fromSysroot.scenario.steps);
    assert.deepEqual(fromCapture.scenario.boot, fromSysroot.scenario.boot);
  });

  it('records why iomem is missing when it reads as zeros (not root), and still imports', () => {
    const root = sysroot(1);
    writeFileSync(join(root, 'proc/iomem'), '00000000-00000000 : System RAM\n00000000-00000000 : Reserved\n');
    const out = join(scratchDir('capture'), 'cap');
    const { manifest } = captureMachine(out, { root, path: '', uid: 1000 });
    const iomem = manifest.failed.find((f) => f.what === '/proc/iomem')!;
    assert.match(iomem.why, /only to root.*uid 1000.*sudo/);
    assert.equal(existsSync(join(out, 'proc/iomem')), false);
    assert.match(manifest.failed.map((f) => `${f.what}: ${f.why}`).join('\n'), /lsmem.*not on PATH/);
    assert.equal(importMachine({ dir: out }).machine.blocks.get(130)?.state, 'offline');
  });

  it('says clearly when the kernel has no memory block view', () => {
    const root = scratchDir('sysroot-bare');
    mkdirSync(join(root, 'proc'));
    writeFileSync(
      join(root, 'proc/zoneinfo'),
      readFileSync('test/fixtures/machines/x86-laptop/proc/zoneinfo'),
    );
    const out = join(scratchDir('capture'), 'cap');
    const { manifest } = captureMachine(out, { root, path: '' });
    assert.match(manifest.failed[0].why, /no memory block view \(CONFIG_MEMORY_HOTPLUG off/);
    assert.match(
      manifest.failed.map((f) => `${f.what}: ${f.why}`).join('\n'),
      /\/proc\/iomem: does not exist/,
    );
  });

  it('a root where nothing can be read is refused, and leaves no directory behind', () => {
    const out = join(scratchDir('capture'), 'cap');
    assert.throws(
      () => captureMachine(out, { root: scratchDir('sysroot-empty'), path: '' }),
      /nothing to capture: no sys\/devices\/system\/memory, proc\/iomem or proc\/zoneinfo could be read/,
    );
    assert.equal(existsSync(out), false);
  });

  it('a capture that fails leaves the earlier capture in its directory as it was', () => {
    const out = join(scratchDir('recapture'), 'cap');
    cpSync('test/fixtures/machines/x86-laptop', out, { recursive: true });
    const iomem = readFileSync(join(out, 'proc/iomem'), 'utf8');
    assert.throws(
      () => captureMachine(out, { root: scratchDir('sysroot-empty'), path: '' }),
      /nothing to capture/,
    );
    assert.equal(
      readFileSync(join(out, 'proc/iomem'), 'utf8'),
      iomem,
      'it was removed before the capture failed',
    );
    assert.ok(existsSync(join(out, 'lsmem.json')));
    // Captured from itself (a copied sysroot): read before anything is replaced.
    captureMachine(out, { root: out, path: '' });
    assert.equal(readFileSync(join(out, 'proc/iomem'), 'utf8'), iomem);
  });

  it('refuses to write into a non-empty directory that is not a capture', () => {
    const out = scratchDir('occupied');
    writeFileSync(join(out, 'thesis.tex'), '\\documentclass{article}\n');
    assert.throws(() => captureMachine(out, { root: sysroot(0), path: '' }), InputError);
    // A capture directory may be captured into again.
    const again = join(scratchDir('again'), 'cap');
    cpSync('test/fixtures/machines/x86-laptop', again, { recursive: true });
    assert.doesNotThrow(() => captureMachine(again, { root: sysroot(0), path: '' }));
    assert.equal(existsSync(join(again, 'lsmem.json')), false, 'the old lsmem output is gone');
  });

  it('a capture of a sysroot imports to the same scenario as the sysroot itself (after hot-remove)', () => {
    const root = sysroot(7);
    const out = join(scratchDir('capture'), 'cap');
    captureMachine(out, { root, path: '' });
    assert.deepEqual(importMachine({ dir: out }).scenario.boot, importMachine({ dir: root }).scenario.boot);
  });
});
