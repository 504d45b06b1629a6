import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCpio, writeCpio } from '../../src/verify/cpio.js';
import {
  buildInitramfs,
  MissingModuleError,
  moduleDepends,
  resolveModules,
} from '../../src/verify/initramfs.js';
import { findBusybox } from '../../src/verify/setup.js';
import { scratchDir } from '../helpers.js';

describe('newc cpio writer', () => {
  const archive = writeCpio([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: '/bin/busybox', data: Buffer.from('abcde'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'empty', data: new Uint8Array(0) },
  ]);

  it('round-trips paths, modes, data and device numbers; ends with TRAILER!!!', () => {
    const entries = readCpio(archive);
    assert.deepEqual(
      entries.map((e) => [e.path, e.mode.toString(8)]),
      [
        ['bin', '40755'],
        ['bin/busybox', '100755'],
        ['bin/sh', '120777'],
        ['dev/console', '20600'],
        ['empty', '100644'],
      ],
    );
    assert.equal(Buffer.from(entries[1].data).toString(), 'abcde');
    assert.equal(Buffer.from(entries[2].data).toString(), 'busybox');
    assert.deepEqual(entries[3].rdev, [5, 1]);
    assert.match(Buffer.from(archive).toString('latin1'), /TRAILER!!!\0+$/);
  });

  it('pads every header and body to 4 bytes', () => {
    assert.equal(archive.length % 4, 0);
    // The header of the second entry starts at a multiple of 4.
    const text = Buffer.from(archive).toString('latin1');
    for (let i = text.indexOf('070701'); i >= 0; i = text.indexOf('070701', i + 1)) assert.equal(i % 4, 0);
  });

  it('is byte-identical across builds (fixed mtime)', () => {
    const again = writeCpio([{ kind: 'file', path: 'x', data: Buffer.from('1') }]);
    assert.deepEqual(again, writeCpio([{ kind: 'file', path: 'x', data: Buffer.from('1') }]));
  });

  it('is read by the cpio tool (npm run setup installs it)', () => {
    const r = spawnSync('cpio', ['-it', '--quiet'], { input: archive });
    assert.ifError(r.error);
    assert.equal(r.status, 0, r.stderr.toString());
    assert.deepEqual(r.stdout.toString().trim().split('\n'), [
      'bin',
      'bin/busybox',
      'bin/sh',
      'dev/console',
      'empty',
    ]);
  });
});

describe('kernel modules', () => {
  const ko = (depends: string) =>
    Buffer.from(`\x7fELF....\0license=GPL\0depends=${depends}\0name=x\0`, 'latin1');

  it('reads depends= from .modinfo', () => {
    assert.deepEqual(moduleDepends(ko('virtio_ring,virtio')), ['virtio_ring', 'virtio']);
    assert.deepEqual(moduleDepends(ko('')), []);
  });

  it('orders dependencies first (virtio_ring before virtio) and reports missing ones', () => {
    const mods: Record<string, string> = {
      virtio_ring: '',
      virtio: 'virtio_ring',
      virtio_pci: 'virtio_ring,virtio',
      virtio_mem: 'virtio,virtio_ring',
      nd_pmem: 'libnvdimm,nd_btt',
      nd_btt: 'libnvdimm',
      libnvdimm: '',
    };
    const { order, missing } = resolveModules(['virtio_mem', 'virtio-pci', 'nd_pmem', 'kmem'], (name) =>
      name in mods ? { name, path: `/m/${name}.ko`, data: ko(mods[name]) } : undefined,
    );
    assert.deepEqual(
      order.map((m) => m.name),
      ['virtio_ring', 'virtio', 'virtio_mem', 'virtio_pci', 'libnvdimm', 'nd_btt', 'nd_pmem'],
    );
    assert.deepEqual(missing, ['kmem']);
  });

  it('unpacks .ko.xz, .ko.zst and .ko.gz into plain .ko; a needed module missing is named in one error', (t) => {
    const busybox = findBusybox();
    const tools = ['xz', 'zstd'].every((c) => spawnSync(c, ['--version']).status === 0);
    if (!busybox || !tools) return t.skip('needs busybox-static, xz-utils and zstd');
    const dir = scratchDir('modules');
    mkdirSync(join(dir, 'kernel'), { recursive: true });
    const write = (name: string, deps: string, how: 'xz' | 'zst' | 'gz') => {
      const raw = ko(deps);
      const data =
        how === 'gz' ? gzipSync(raw) : spawnSync(how === 'xz' ? 'xz' : 'zstd', ['-c'], { input: raw }).stdout;
      writeFileSync(join(dir, 'kernel', `${name}.ko.${how}`), data);
    };
    write('virtio_ring', '', 'xz');
    write('virtio', 'virtio_ring', 'zst');
    write('virtio_mem', 'virtio,virtio_ring', 'gz');
    writeFileSync(join(dir, 'modules.builtin'), 'kernel/drivers/virtio/virtio_pci.ko\n');
    const needed = new Map([
      ['virtio_mem', 'needed by $.verify.virtioMem'],
      ['virtio_pci', 'needed by $.verify.virtioMem'],
    ]);
    const i = buildInitramfs({ busybox, modulesDir: dir, modules: ['virtio_mem'], needed, release: 'r' });
    assert.deepEqual(i.modules, ['virtio_ring', 'virtio', 'virtio_mem']);
    const files = new Map(readCpio(i.archive).map((e) => [e.path, e.data]));
    assert.deepEqual(Buffer.from(files.get('lib/modules/virtio.ko')!), ko('virtio_ring'));
    assert.deepEqual(Buffer.from(files.get('lib/modules/virtio_mem.ko')!), ko('virtio,virtio_ring'));
    // virtio_pci is built in: not missing. nd_pmem is neither built in nor shipped.
    assert.throws(
      () =>
        buildInitramfs({
          busybox,
          modulesDir: dir,
          needed: new Map([['nd_pmem', 'needed by $.verify.nvdimms']]),
          release: 'r',
        }),
      (e: unknown) =>
        e instanceof MissingModuleError &&
        e.message ===
          'verify: kernel r has no module nd_pmem (needed by $.verify.nvdimms), neither built in nor in its modules directory',
    );
  });
});
