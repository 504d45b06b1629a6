import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exportMachine } from '../../src/io/export/index.js';
import {
  KPF_BUDDY,
  KPF_NOPAGE,
  KPF_OFFLINE,
  KPF_RESERVED,
  modelKpageRuns,
} from '../../src/io/export/kpageflags.js';
import {
  chooseRanges,
  comparePages,
  kpageRanges,
  pageClass,
  parseKpage,
  parseOdRuns,
} from '../../src/verify/pages.js';
import { GiB, MiB, machine, scratchDir } from '../helpers.js';

const bit = (b: number) => 2 ** b;
const PAGES_PER_SECTION = (128 * MiB) / 4096;

describe('verify: struct pages through kpageflags and kpagecount', () => {
  it('reads od -Ad -tx8 -w8 runs ("*" repeats, the end offset last)', () => {
    const lines = [
      '0000000 0000000100000000',
      '*',
      '0002048 0000000000000400',
      '*',
      '0004096 0000000000100000',
      '0004104',
    ];
    assert.deepEqual(parseOdRuns(lines, 1024), [
      { start: 1024, end: 1280, value: 2 ** 32 },
      { start: 1280, end: 1536, value: 0x400 },
      { start: 1536, end: 1537, value: 0x100000 },
    ]);
    const both = parseKpage(['@@FLAGS', ...lines, '@@COUNT', '0000000 0000000000000000', '*', '0004104'], 0);
    assert.equal(both.count.length, 1);
    assert.equal(both.count[0].end, 513);
  });

  it('classes: nopage before offline before reserved before free', () => {
    assert.equal(pageClass(bit(KPF_NOPAGE)), 'nopage');
    assert.equal(pageClass(bit(KPF_OFFLINE) + bit(KPF_RESERVED)), 'offline');
    assert.equal(pageClass(bit(KPF_RESERVED)), 'reserved');
    assert.equal(pageClass(bit(KPF_BUDDY)), 'free');
    assert.equal(pageClass(0x80), 'allocated');
  });

  it("the model's pages: free where onlined, nopage where offline or absent, reserved in boot holes", () => {
    const m = machine(
      [{ start: 0x1000, size: 512 * MiB - 0x1000 }],
      [
        { op: 'add_memory', start: 4 * GiB, size: 256 * MiB },
        { op: 'online', start: 4 * GiB, size: 128 * MiB, zone: 'movable' },
      ],
    );
    const first = (4 * GiB) / 4096;
    const runs = modelKpageRuns(m, first, first + 2 * PAGES_PER_SECTION);
    assert.deepEqual(
      runs.map((r) => [r.start - first, r.end - first, r.flags]),
      [
        [0, PAGES_PER_SECTION, bit(KPF_BUDDY)],
        [PAGES_PER_SECTION, 2 * PAGES_PER_SECTION, bit(KPF_NOPAGE)],
      ],
    );
    // pfn 0 is a hole of the first (early, online) section: initialized reserved.
    assert.equal(modelKpageRuns(m, 0, 1)[0].flags, bit(KPF_RESERVED));
  });

  it('compares per class over runs and groups the disagreements with both values', () => {
    const model = [
      { start: 0, end: 1024, flags: bit(KPF_BUDDY), count: 0 },
      { start: 1024, end: 2048, flags: bit(KPF_NOPAGE), count: 0 },
    ];
    const guest = {
      flags: [
        { start: 0, end: 512, value: bit(KPF_BUDDY) },
        { start: 512, end: 1536, value: bit(KPF_OFFLINE) },
        { start: 1536, end: 2048, value: bit(KPF_NOPAGE) },
      ],
      count: [
        { start: 0, end: 100, value: 0 },
        { start: 100, end: 101, value: 2 },
        { start: 101, end: 2048, value: 0 },
      ],
    };
    const c = comparePages(model, guest, []);
    assert.equal(c.compared, 2048);
    // A free page the guest's own processes mapped is in use, not a difference.
    assert.equal(c.inUse, 1);
    assert.deepEqual(
      c.disagreements.map((d) => [d.what, d.model, d.kernel]),
      [
        ['pfn 0x200-0x3ff (512 pages)', 'free', 'offline'],
        ['pfn 0x400-0x5ff (512 pages)', 'nopage', 'offline'],
      ],
    );
    // Inside boot RAM the kernel's own allocations and mappings are not compared.
    const boot = comparePages(model, guest, [{ start: 0, end: 512 }]);
    assert.equal(boot.disagreements.length, 2);
    assert.equal(boot.inUse, 0);
    const allocated = comparePages(model, { flags: [{ start: 0, end: 512, value: 0x80 }], count: [] }, [
      { start: 0, end: 512 },
    ]);
    assert.deepEqual(allocated.disagreements, []);
  });

  it("reads the step's range first, then memory outside boot RAM, within the limit", () => {
    const s = (n: number) => ({ start: n * 8, end: (n + 1) * 8 });
    const r = chooseRanges([s(0), s(1), s(2), s(3), s(4)], s(1), [{ start: 0, end: 16 }], 16);
    assert.deepEqual(r.read, kpageRanges([s(1), s(2)]));
    // Boot RAM the step does not touch (s(0)) is not read again; s(3) and s(4) did not fit.
    assert.equal(r.skipped, 16);
    // At boot everything is read, memory outside boot RAM first.
    const boot = chooseRanges([s(0), s(1), s(2)], undefined, [{ start: 0, end: 16 }], 16);
    assert.deepEqual(boot.read, kpageRanges([s(0), s(2)]));
    assert.equal(boot.skipped, 8);
    assert.deepEqual(
      kpageRanges([
        { start: 5, end: 600 },
        { start: 600, end: 1100 },
      ]),
      [{ start: 0, end: 1536 }],
    );
  });

  it('export --format kpageflags,kpagecount: a little-endian u64 per pfn up to the last present section', () => {
    const m = machine(
      [{ start: 0x1000, size: 512 * MiB - 0x1000 }],
      [
        { op: 'add_memory', start: 4 * GiB, size: 128 * MiB },
        { op: 'online', start: 4 * GiB, size: 128 * MiB },
      ],
    );
    const dir = scratchDir('kpage');
    exportMachine(m, dir, { formats: ['kpageflags', 'kpagecount'] });
    const flags = readFileSync(join(dir, 'proc/kpageflags'));
    const count = readFileSync(join(dir, 'proc/kpagecount'));
    const end = (4 * GiB + 128 * MiB) / 4096;
    assert.equal(flags.length, end * 8);
    assert.equal(count.length, end * 8);
    const at = (pfn: number) => flags.readBigUInt64LE(pfn * 8);
    assert.equal(at(0), 1n << 32n, 'pfn 0: a reserved hole');
    assert.equal(at(1), 1n << 10n, 'boot RAM: free');
    assert.equal(at((1 * GiB) / 4096), 1n << 20n, 'no section: nopage');
    assert.equal(at((4 * GiB) / 4096 + 5), 1n << 10n, 'onlined: free');
    assert.ok(count.every((b) => b === 0));
  });
});
