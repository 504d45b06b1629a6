/**
 * A newc ("070701") cpio writer: what the kernel's initramfs unpacker reads
 * (init/initramfs.c). Directories, regular files, symlinks and character
 * devices; every header and body padded to 4 bytes; a TRAILER!!! entry last.
 */

export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | {
      readonly kind: 'chardev';
      readonly path: string;
      readonly major: number;
      readonly minor: number;
      readonly mode?: number;
    };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field ${n} out of range`);
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Header {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly size: number;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
  readonly name: string;
}

function header(h: Header): Uint8Array {
  const name = Buffer.from(`${h.name}\0`, 'utf8');
  const fields = [
    h.ino,
    h.mode,
    0, // uid
    0, // gid
    h.nlink,
    0, // mtime: fixed, so that two builds are byte-identical
    h.size,
    0, // devmajor
    0, // devminor
    h.rdevMajor,
    h.rdevMinor,
    name.length,
    0, // check
  ];
  const text = `070701${fields.map(hex8).join('')}`;
  return Buffer.concat([Buffer.from(text, 'ascii'), name, Buffer.alloc(pad4(110 + name.length))]);
}

/** The archive for entries, in order (parents should come before children). */
export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (!name) throw new RangeError('cpio entry with an empty path');
    let mode: number;
    let body: Uint8Array = new Uint8Array(0);
    let rdevMajor = 0;
    let rdevMinor = 0;
    switch (e.kind) {
      case 'dir':
        mode = S_IFDIR | (e.mode ?? 0o755);
        break;
      case 'file':
        mode = S_IFREG | (e.mode ?? 0o644);
        body = e.data;
        break;
      case 'symlink':
        mode = S_IFLNK | 0o777;
        body = Buffer.from(e.target, 'utf8');
        break;
      case 'chardev':
        mode = S_IFCHR | (e.mode ?? 0o600);
        rdevMajor = e.major;
        rdevMinor = e.minor;
        break;
    }
    parts.push(
      header({
        ino: ino++,
        mode,
        nlink: e.kind === 'dir' ? 2 : 1,
        size: body.length,
        rdevMajor,
        rdevMinor,
        name,
      }),
    );
    if (body.length) parts.push(body, Buffer.alloc(pad4(body.length)));
  }
  parts.push(header({ ino: 0, mode: 0, nlink: 1, size: 0, rdevMajor: 0, rdevMinor: 0, name: 'TRAILER!!!' }));
  return Buffer.concat(parts);
}

/** Read a newc archive back (for tests): path, mode and data of every entry before the trailer. */
export function readCpio(
  archive: Uint8Array,
): { path: string; mode: number; data: Uint8Array; rdev: [number, number] }[] {
  const buf = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const out: { path: string; mode: number; data: Uint8Array; rdev: [number, number] }[] = [];
  let off = 0;
  for (;;) {
    const magic = buf.toString('ascii', off, off + 6);
    if (magic !== '070701') throw new Error(`bad cpio magic at ${off}: ${JSON.stringify(magic)}`);
    const field = (i: number) =>
      Number.parseInt(buf.toString('ascii', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const rdev: [number, number] = [field(9), field(10)];
    const nameSize = field(11);
    const name = buf.toString('utf8', off + 110, off + 110 + nameSize - 1);
    off += 110 + nameSize + pad4(110 + nameSize);
    const data = buf.subarray(off, off + size);
    off += size + pad4(size);
    if (name === 'TRAILER!!!') return out;
    out.push({ path: name, mode, data, rdev });
  }
}
