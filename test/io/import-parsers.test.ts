import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { parseDaxctl } from '../../src/io/import/daxctl.js';
import { parseIomem, walkIomem } from '../../src/io/import/iomem.js';
import { parseLsmem } from '../../src/io/import/lsmem.js';
import { readSysfsMemory } from '../../src/io/import/sysfs.js';
import { parseZoneinfo } from '../../src/io/import/zoneinfo.js';
import { scratchDir } from '../helpers.js';

const MACHINES = 'test/fixtures/machines';
const MALFORMED = 'test/fixtures/malformed';

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The one InputError a parse throws: its where and problem. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected an InputError, got ${e}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e;
  }
  assert.fail('expected an InputError');
}

describe('/proc/iomem', () => {
  it('parses the tree from the indentation, ends inclusive', () => {
    const t = parseIomem(read(`${MACHINES}/x86-laptop/proc/iomem`), 'iomem');
    const ram = walkIomem(t.roots).filter((r) => r.name === 'System RAM');
    assert.deepEqual(
      ram.map((r) => [r.start, r.end]),
      [
        [0x1000, 0x9f000],
        [0x100000, 0x40000000],
        [0x40400000, 0x8a1ca000],
        [0x8d3ff000, 0x8d400000],
        [0x100000000, 0x46e000000],
      ],
    );
    const nvme = walkIomem(t.roots).find((r) => r.name === 'nvme')!;
    assert.equal(nvme.depth, 3);
    assert.equal(nvme.parent?.parent?.name, 'PCI Bus 0000:02');
  });

  it('refuses all-zero addresses (read without root) and says to run as root', () => {
    const e = inputError(() => parseIomem(read(`${MALFORMED}/iomem-nonroot`), 'iomem'));
    assert.match(e.message, /every address reads as 0/);
    assert.match(e.message, /root/);
  });

  it('names the line of a reordered sibling', () => {
    const e = inputError(() => parseIomem(read(`${MALFORMED}/iomem-reordered`), 'x/iomem'));
    assert.equal(e.where, 'x/iomem:3');
    assert.match(e.problem, /ascending order/);
  });

  it('a truncated copy (last line without newline) names the last line', () => {
    const text = read(`${MACHINES}/x86-laptop/proc/iomem`);
    const e = inputError(() => parseIomem(text.slice(0, text.indexOf('100000000-46dffffff') + 12), 'iomem'));
    assert.match(e.where, /^iomem:\d+$/);
    assert.match(e.problem, /truncated/);
  });

  it('a child outside its parent or a malformed line is one error with its line', () => {
    const outside = '00100000-bfffffff : System RAM\n  c0000000-c0000fff : Kernel code\n';
    assert.equal(inputError(() => parseIomem(outside, 'f')).where, 'f:2');
    assert.equal(inputError(() => parseIomem('00100000-bfffffff System RAM\n', 'f')).where, 'f:1');
    assert.equal(inputError(() => parseIomem('   00100000-bfffffff : odd\n', 'f')).where, 'f:1');
  });

  it('lines at MAX_IORES_LEVEL may lie deeper: parented by containment', () => {
    const deep = [
      '80000000-8fffffff : PCI Bus 0000:00',
      '  80000000-8fffffff : PCI Bus 0000:01',
      '    80000000-8fffffff : PCI Bus 0000:02',
      '      80000000-8fffffff : PCI Bus 0000:03',
      '        80000000-8fffffff : PCI Bus 0000:04',
      '          80000000-8fffffff : PCI Bus 0000:05',
      '          80000000-80ffffff : deeper thing',
      '          80000000-800fffff : deepest',
      '          81000000-81ffffff : beside deeper thing',
      '90000000-9fffffff : System RAM',
      '',
    ].join('\n');
    const all = walkIomem(parseIomem(deep, 'f').roots);
    const at = (name: string) => all.find((r) => r.name === name)!;
    assert.deepEqual(
      ['deeper thing', 'deepest', 'beside deeper thing'].map((n) => [at(n).depth, at(n).parent?.name]),
      [
        [6, 'PCI Bus 0000:05'],
        [7, 'deeper thing'],
        [6, 'PCI Bus 0000:05'],
      ],
    );
    assert.equal(at('System RAM').depth, 0);
  });

  it('binary data is not iomem text, and control bytes in a quoted line are escaped', () => {
    const e = inputError(() => parseIomem('\u0000\u0001\ufffdgarbage\n', 'bin'));
    assert.equal(e.message, 'bin: binary data: not /proc/iomem text');
    const ctl = inputError(() => parseIomem('\u0001\u0002abc\n', 'ctl'));
    assert.match(ctl.problem, /'\\x01\\x02abc'$/);
  });

  it('skips (and notes) resources above 2^53, keeping the rest', () => {
    const t = parseIomem(
      '00100000-bfffffff : System RAM\nfff0000000000000-ffffffffffffffff : PCI Bus 0000:ff\n',
      'f',
    );
    assert.equal(t.roots.length, 1);
    assert.match(t.skipped[0], /above 2\^53/);
  });
});

/** An unpopulated ZONE_MOVABLE record: what closes every node's list. */
const MOVABLE_RECORD = [
  'Node 0, zone  Movable',
  '  pages free     0',
  '        spanned  0',
  '        present  0',
  '        managed  0',
  '        protection: (0, 0, 0, 0, 0)',
  '',
].join('\n');

describe('/proc/zoneinfo', () => {
  it('reads spanned, present, managed and start_pfn of the 6.x field set', () => {
    const z = parseZoneinfo(read(`${MACHINES}/server-2g-blocks/proc/zoneinfo`), 'zi');
    assert.equal(z.zones.length, 10);
    const normal1 = z.zones.find((x) => x.node === 1 && x.zone === 'Normal')!;
    assert.deepEqual([normal1.spanned, normal1.present, normal1.startPfn], [50331648, 50331648, 50855936]);
    assert.ok(normal1.keys.has('promo') && normal1.keys.has('boost'));
    // An unpopulated zone stops after protection: no start_pfn.
    assert.equal(z.zones.find((x) => x.node === 1 && x.zone === 'DMA')!.startPfn, undefined);
    // The pageset's "high:" does not shadow the watermark "high".
    assert.equal(z.zones[0].stats.get('nr_free_pages'), 3456);
  });

  it('reads the 4.19 field set (no boost, promo, cma or highatomic lines)', () => {
    const z = parseZoneinfo(read(`${MACHINES}/old-kernel-4.19/proc/zoneinfo`), 'zi');
    const dma32 = z.zones.find((x) => x.zone === 'DMA32')!;
    assert.deepEqual([dma32.spanned, dma32.present, dma32.startPfn], [520160, 520160, 4096]);
    assert.ok(!dma32.keys.has('boost'));
    assert.deepEqual(z.skipped, []);
  });

  it('refuses reordered zones and reordered fields, naming the line', () => {
    const zones = inputError(() => parseZoneinfo(read(`${MALFORMED}/zoneinfo-reordered`), 'zi'));
    assert.equal(zones.where, 'zi:20');
    assert.match(zones.problem, /in order/);
    const fields = inputError(() => parseZoneinfo(read(`${MALFORMED}/zoneinfo-fields-reordered`), 'zi'));
    assert.equal(fields.where, 'zi:7');
    assert.match(fields.problem, /'spanned' comes after 'present'/);
  });

  it('a record cut short is truncated, naming its Node line', () => {
    const text = read(`${MACHINES}/vm-hotplug-dimms/proc/zoneinfo`);
    const cut = text.slice(0, text.indexOf('        present  524288'));
    const e = inputError(() => parseZoneinfo(cut, 'zi'));
    assert.match(e.problem, /truncated/);
    assert.match(e.where, /^zi:\d+$/);
  });

  it('a copy cut at a record boundary: a node whose zones stop before Movable, or nodes listing different zones', () => {
    const text = read(`${MACHINES}/pmem-devdax/proc/zoneinfo`);
    const lastNode = inputError(() =>
      parseZoneinfo(text.slice(0, text.indexOf('Node 1, zone  Movable')), 'zi'),
    );
    assert.equal(lastNode.where, 'zi:224');
    assert.match(
      lastNode.problem,
      /Node 1's zones stop at Normal: .*through Movable \(and Device\); the copy is truncated/,
    );
    const node0 = text.slice(0, text.indexOf('Node 0, zone   Device'));
    const edited = node0 + text.slice(text.indexOf('Node 1, zone      DMA'));
    assert.match(
      inputError(() => parseZoneinfo(edited, 'zi')).problem,
      /Node 1 lists zones .*Device but Node 0/,
    );
    assert.equal(
      parseZoneinfo(read(`${MACHINES}/arm64-blocks-from-8192/proc/zoneinfo`), 'zi').zones.length,
      4,
    );
  });

  it('notes unknown fields and skips them; a garbled value is an error', () => {
    const z = parseZoneinfo(read(`${MALFORMED}/zoneinfo-unknown-fields`) + MOVABLE_RECORD, 'zi');
    assert.equal(z.zones[0].spanned, 4095);
    assert.match(z.skipped.join(), /coldness/);
    assert.match(z.skipped.join(), /nr_tiering_hint/);
    assert.equal(z.zones[0].stats.get('nr_zone_futuristic'), 12, 'counters are kept, not noted');
    const bad = 'Node 0, zone      DMA\n        spanned  lots\n';
    assert.equal(inputError(() => parseZoneinfo(bad, 'zi')).where, 'zi:2');
  });
});

describe('lsmem', () => {
  it('reads --json -b, blocks as strings, node a number, removable a boolean', () => {
    const t = parseLsmem(read(`${MACHINES}/server-2g-blocks/lsmem.json`), 'l.json');
    assert.equal(t.rows.length, 4);
    assert.deepEqual(
      t.rows.map((r) => [r.first, r.last, r.node, r.zones?.join('/')]),
      [
        [0, 0, 0, 'none'],
        [1, 1, 0, 'DMA32'],
        [2, 96, 0, 'Normal'],
        [97, 192, 1, 'Normal'],
      ],
    );
    assert.equal(t.rows[3].where, 'l.json:27', 'the line of its "},{"');
  });

  it('reads the default table and its summary', () => {
    const t = parseLsmem(read(`${MACHINES}/old-kernel-4.19/lsmem.txt`), 'l.txt');
    assert.equal(t.blockSize, 128 * 2 ** 20);
    assert.deepEqual(
      t.rows.map((r) => [r.start, r.end, r.removable, r.first, r.last]),
      [
        [0, 0x8000000, false, 0, 0],
        [0x8000000, 0x80000000, true, 1, 15],
      ],
    );
  });

  it('a table cut before (or inside) its summary is truncated; -r (raw) output is refused with what to run', () => {
    const lines = read(`${MACHINES}/old-kernel-4.19/lsmem.txt`).split('\n');
    for (const keep of [2, 3, 4, 6]) {
      const e = inputError(() => parseLsmem(`${lines.slice(0, keep).join('\n')}\n`, 'l.txt'));
      assert.equal(e.where, `l.txt:${keep}`);
      assert.match(e.problem, /without lsmem's summary .*truncated .*--summary=never/);
    }
    const raw = 'RANGE SIZE STATE REMOVABLE BLOCK\n0x0000000000000000-0x0000000007ffffff 128M online yes 0\n';
    const e = inputError(() => parseLsmem(raw, 'r.txt'));
    assert.equal(e.where, 'r.txt:1');
    assert.match(e.problem, /lsmem -r \(raw\) output is not supported.*lsmem --json/);
  });

  it("a table whose rows add up to less than the summary's totals lost rows; rounding and -b totals pass", () => {
    const lines = read(`${MACHINES}/old-kernel-4.19/lsmem.txt`).split('\n');
    // The 1.9G row dropped: the summary still says 2G online.
    const cut = [...lines.slice(0, 2), ...lines.slice(3)].join('\n');
    const e = inputError(() => parseLsmem(cut, 'l.txt'));
    assert.equal(e.where, 'l.txt:5');
    assert.match(
      e.problem,
      /rows add up to 128M, but the summary says 2G online and 0B offline: rows are missing/,
    );
    const bytes = lines
      .join('\n')
      .replace(/ {7}2G$/m, ' 2147483648')
      .replace(/ {6}0B$/m, ' 0');
    assert.equal(parseLsmem(bytes, 'b.txt').rows.length, 2);
    // Rounded to one decimal: 1.9G + 128M for 2G of rows.
    const rounded = lines
      .join('\n')
      .replace(/ {7}2G$/m, ' 1.9G')
      .replace(/ {6}0B$/m, ' 128M');
    const t = parseLsmem(rounded, 'o.txt');
    assert.deepEqual([t.rows.length, t.skipped], [2, []]);
    const wrong = lines.join('\n').replace(/ {7}2G$/m, ' 4G');
    assert.match(
      inputError(() => parseLsmem(wrong, 'w.txt')).problem,
      /rows add up to 2G, but .*4G online and 0B offline: rows are missing/,
    );
    const extra = lines.join('\n').replace(/ {7}2G$/m, ' 1G');
    assert.match(
      inputError(() => parseLsmem(extra, 'x.txt')).problem,
      /1G online .*: rows the summary does not count/,
    );
  });

  it('reads -P pairs', () => {
    const t = parseLsmem(
      'RANGE="0x0000000000000000-0x000000007fffffff" SIZE="2G" STATE="online" REMOVABLE="yes" BLOCK="0-15"\n',
      'p',
    );
    assert.deepEqual([t.rows[0].end, t.rows[0].last, t.rows[0].state], [0x80000000, 15, 'online']);
  });

  it('refuses localized output with the LC_ALL=C fix', () => {
    const de = inputError(() => parseLsmem(read(`${MALFORMED}/lsmem-de.txt`), 'de.txt'));
    assert.equal(de.where, 'de.txt:2');
    assert.match(de.problem, /'nein'.*LC_ALL=C/);
    const fr = inputError(() => parseLsmem(read(`${MALFORMED}/lsmem-fr.json`), 'fr.json'));
    assert.equal(fr.where, 'fr.json:3');
    assert.match(fr.problem, /'en ligne'.*LC_ALL=C/);
  });

  it('truncated JSON, reordered rows and a SIZE that contradicts RANGE are errors with a line', () => {
    const text = read(`${MACHINES}/pmem-devdax/lsmem.json`);
    const cut = inputError(() => parseLsmem(text.slice(0, 700), 'l.json'));
    assert.match(cut.where, /^l\.json:\d+:\d+$/);
    assert.match(cut.problem, /not valid JSON \(.*the end of the text: the copy is truncated\?\)/);
    const doc = JSON.parse(text);
    doc.memory.reverse();
    const reordered = inputError(() => parseLsmem(JSON.stringify(doc, null, 3), 'r.json'));
    assert.match(reordered.problem, /ascending order/);
    const wrong = text.replace('"size": 2013265920', '"size": 2013265921');
    assert.match(inputError(() => parseLsmem(wrong, 'l.json')).problem, /does not match RANGE/);
  });

  it('notes unknown columns and keeps going', () => {
    const t = parseLsmem(read(`${MALFORMED}/lsmem-unknown-fields.json`), 'u.json');
    assert.equal(t.rows.length, 2);
    assert.equal(t.rows[1].state, 'offline');
    assert.deepEqual(t.rows[1].zones, ['Normal', 'Movable']);
    assert.match(t.skipped[0], /temperature/);
    assert.doesNotMatch(t.skipped[0], /memmap-on-memory/);
  });
});

describe('daxctl and ndctl JSON', () => {
  it('reads devices with mappings (hex strings or numbers) and namespaces with map', () => {
    const d = parseDaxctl(read(`${MACHINES}/pmem-devdax/daxctl.json`), 'd.json');
    assert.deepEqual(
      d.devices.map((x) => [x.chardev, x.mode, x.targetNode, x.mappings[0].start, x.mappings[0].end]),
      [
        ['dax1.0', 'devdax', 0, 0x584200000, 0x680000000],
        ['dax2.0', 'system-ram', 1, 0x681200000, 0x6c0000000],
      ],
    );
    const n = parseDaxctl(read(`${MACHINES}/pmem-devdax/ndctl.json`), 'n.json');
    assert.deepEqual(
      n.namespaces.map((x) => [x.dev, x.mode, x.map, x.node, x.where]),
      [
        ['namespace2.0', 'devdax', 'dev', 1, 'n.json:2'],
        ['namespace1.0', 'devdax', 'dev', 0, 'n.json:13'],
        ['namespace0.0', 'fsdax', 'dev', 0, 'n.json:24'],
      ],
    );
  });

  it('reads a bare object (-u with one device) and daxctl -R regions; human sizes are not taken as exact', () => {
    const bare = parseDaxctl('{"chardev":"dax0.0","size":"7.87 GiB (8.45 GB)","mode":"devdax"}\n', 'b');
    assert.deepEqual([bare.devices[0].chardev, bare.devices[0].size], ['dax0.0', undefined]);
    const regions = parseDaxctl(
      '[{"path":"/platform/hmem.0","id":0,"size":1073741824,"align":2097152,"devices":[{"chardev":"dax0.0","size":1073741824,"mode":"devdax","state":"disabled"}]}]',
      'r',
    );
    assert.deepEqual([regions.devices[0].chardev, regions.devices[0].enabled], ['dax0.0', false]);
  });

  it('refuses what is neither a dax device, a namespace nor a region', () => {
    assert.equal(inputError(() => parseDaxctl('[\n  {"bus":"ndbus0"}\n]\n', 'x')).where, 'x:2');
  });
});

describe('sysfs memory tree', () => {
  it('reads blocks that start at 8192, phys_index in hex, node links', () => {
    const s = readSysfsMemory(`${MACHINES}/arm64-blocks-from-8192`);
    assert.equal(s.blockSize, 0x8000000);
    assert.equal(s.blocks.length, 64);
    assert.deepEqual([s.blocks[0].id, s.blocks[63].id], [8192, 8255]);
    assert.deepEqual(s.blocks[0].validZones, ['DMA']);
    assert.deepEqual(s.blocks[0].nodes, [0]);
  });

  it('reads offline blocks with several valid zones', () => {
    const s = readSysfsMemory(`${MACHINES}/vm-hotplug-dimms/sys`);
    const b = s.blocks.find((x) => x.id === 56)!;
    assert.deepEqual([b.state, b.validZones], ['offline', ['Normal', 'Movable']]);
  });

  it('refuses a decimal phys_index, and notes unknown files', () => {
    const dir = scratchDir('sysfs');
    const mem = join(dir, 'memory');
    mkdirSync(join(mem, 'memory12'), { recursive: true });
    writeFileSync(join(mem, 'block_size_bytes'), '8000000\n');
    writeFileSync(join(mem, 'memory12/phys_index'), '0000000c\n');
    writeFileSync(join(mem, 'memory12/state'), 'online\n');
    writeFileSync(join(mem, 'memory12/wombat'), '1\n');
    symlinkSync('../../node/node0', join(mem, 'memory12/node0'));
    const ok = readSysfsMemory(mem);
    assert.deepEqual([ok.blocks[0].id, ok.blocks[0].nodes], [12, [0]]);
    assert.match(ok.skipped[0], /wombat/);
    writeFileSync(join(mem, 'memory12/phys_index'), '00000012\n');
    const e = inputError(() => readSysfsMemory(mem));
    assert.match(e.where, /memory12\/phys_index:1$/);
    assert.match(e.problem, /hex/);
    writeFileSync(join(mem, 'memory12/phys_index'), '0000000c\n');
    writeFileSync(join(mem, 'memory12/state'), 'onl');
    assert.match(inputError(() => readSysfsMemory(mem)).problem, /truncated/);
  });

  it('a decimal block_size_bytes gets the hint that the file is hex', () => {
    const mem = join(scratchDir('sysfs'), 'memory');
    mkdirSync(mem);
    writeFileSync(join(mem, 'block_size_bytes'), '134217728\n');
    const e = inputError(() => readSysfsMemory(mem));
    assert.match(e.where, /block_size_bytes:1$/);
    assert.match(
      e.problem,
      /not a power of two: the file is hex without 0x \("%lx"\), and 134217728 looks decimal \(hex 8000000\)/,
    );
  });

  it('says clearly when there is no memory block view', () => {
    const e = inputError(() => readSysfsMemory(scratchDir('empty')));
    assert.match(e.problem, /CONFIG_MEMORY_HOTPLUG/);
  });
});
