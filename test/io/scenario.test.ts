import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors.js';
import { parseDaxctl } from '../../src/io/import/daxctl.js';
import { parseLsmem } from '../../src/io/import/lsmem.js';
import { builtinScenarioNames, loadScenario } from '../../src/io/scenario.js';
import { checkInvariants } from '../../src/model/invariants.js';
import { runScenario } from '../../src/ops/scenario-run.js';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { parseJsonText } from '../../src/scenario/json-text.js';
import { parseSize } from '../../src/units.js';
import { scratchDir } from '../helpers.js';

const tmp = scratchDir('scenario');

function problem(raw: unknown): string {
  try {
    scenarioFromJson(raw, 'x.json');
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.message;
  }
  assert.fail('expected an InputError');
}

const ok = { name: 't', boot: [{ start: 0, size: '1G' }] };
const LSMEM = 'test/fixtures/machines/server-2g-blocks/lsmem.json';

describe('sizes', () => {
  it('parses integers, hex and K/M/G/T suffixes exactly', () => {
    assert.equal(parseSize('0x104000000'), 0x104000000);
    assert.equal(parseSize('64M'), 64 * 2 ** 20);
    assert.equal(parseSize('2T'), 2 ** 41);
    assert.equal(parseSize('1.5G'), 1.5 * 2 ** 30);
    assert.equal(parseSize(4096), 4096);
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('0x20000000000000'), undefined, 'beyond 2^53');
    assert.equal(parseSize('12Q'), undefined);
    assert.equal(parseSize(-1), undefined);
  });
});

describe('scenario files', () => {
  it('every built-in scenario validates, runs and keeps the invariants', () => {
    const names = builtinScenarioNames();
    assert.ok(names.length >= 5);
    for (const name of names) {
      const s = loadScenario(name);
      const { machine } = runScenario(s, { memory: { capacityWords: 2 ** 24 } });
      assert.deepEqual(checkInvariants(machine), [], name);
    }
  });

  it("reads the README's scenario example as written", () => {
    const s = loadScenario('pmem-shares-a-section-with-boot-ram');
    assert.equal(s.steps.length, 6);
    assert.deepEqual(s.steps[2], {
      op: 'memremap',
      start: 0x104000000,
      size: 64 * 2 ** 20,
      type: 'fsdax',
      id: 'pmem0',
      node: undefined,
      altmap: { reserve: 2 * 2 ** 20, free: undefined },
    });
    assert.equal(s.geometry.memoryBlockSize, 128 * 2 ** 20);
  });

  it('names the JSON path and the problem', () => {
    assert.match(problem({ boot: [] }), /x\.json: \$: missing required field "name"/);
    assert.match(problem({ ...ok, boot: [] }), /\$\.boot: must have at least 1 item/);
    assert.match(
      problem({ ...ok, steps: [{ op: 'add_memory', start: '8G' }] }),
      /\$\.steps\[0\]: missing required field "size"/,
    );
    assert.match(
      problem({ ...ok, steps: [{ op: 'add_memroy', start: '8G', size: '1G' }] }),
      /\$\.steps\[0\]\.op: unknown op "add_memroy"/,
    );
    assert.match(
      problem({ ...ok, steps: [{ op: 'online', start: '8G', size: '12Q' }] }),
      /\$\.steps\[0\]\.size: must be a byte count or address/,
    );
    assert.match(
      problem({ ...ok, steps: [{ op: 'online', start: '8G', size: '1G', zone: 'dma' }] }),
      /\$\.steps\[0\]\.zone: must be one of "normal", "movable"/,
    );
    assert.match(problem({ ...ok, arch: 'sparc' }), /\$\.arch: must be one of/);
    assert.match(problem({ ...ok, bogus: 1 }), /\$\.bogus: unknown field/);
    assert.match(
      problem({ ...ok, overrides: { sectionSizeBits: 22, maxPageOrder: 11 } }),
      /\$\.overrides\.maxPageOrder/,
    );
    assert.match(
      problem({ ...ok, steps: [{ op: 'memunmap', id: 'x', expect: 'EWHAT' }] }),
      /\$\.steps\[0\]\.expect/,
    );
    assert.match(
      problem({ ...ok, queries: ['0x3fffffffff'] }),
      /\$\.queries\[0\]: unknown pfn .*MAX_PHYSMEM_BITS/,
    );
    assert.match(problem({ ...ok, queries: [-5] }), /\$\.queries\[0\]: .*got -5/);
    assert.match(
      problem({ ...ok, boot: [{ start: 0, size: '1.3G' }] }),
      /"1\.3G" is not a whole number of bytes/,
    );
  });

  it('reports JSON syntax errors with line and column, and empty or truncated files', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{\n  "name": "x",\n  "boot": [ { "start": 0, "size": "1G" } ]\n  "steps": []\n}\n');
    assert.throws(() => loadScenario(bad), /bad\.json:4:3: not valid JSON/);
    const empty = join(tmp, 'empty.json');
    writeFileSync(empty, '');
    assert.throws(() => loadScenario(empty), /the file is empty/);
    const truncated = join(tmp, 'truncated.json');
    writeFileSync(truncated, '{ "name": "x", "boot": [ { "start": 0, "si');
    assert.throws(() => loadScenario(truncated), /not valid JSON/);
  });

  it('a JSON error is one printable line wherever JSON is read; a UTF-8 BOM is no error', () => {
    const garbage = join(tmp, 'garbage.json');
    writeFileSync(garbage, 'garbage here %%%\n');
    const binary = join(tmp, 'binary.json');
    writeFileSync(binary, Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0a, 0x1b, 0x5b, 0x32, 0x4a]));
    const messages = [garbage, binary].map((f) => {
      try {
        loadScenario(f);
      } catch (e) {
        assert.ok(e instanceof InputError);
        return e.message;
      }
      return assert.fail(`${f} loaded`);
    });
    assert.deepEqual(messages, [
      `${garbage}:1:1: not valid JSON (expected a value, found 'g')`,
      `${binary}: not valid JSON (binary data, not text)`,
    ]);
    assert.throws(
      () => parseJsonText('{"a": "line\nbreak"}', 'n'),
      /^InputError: n:1:12: not valid JSON \(a control character/,
    );
    assert.throws(() => parseJsonText('[1, 2', 't'), /t:1:6: .*the end of the text: the copy is truncated\?/);
    assert.deepEqual(parseJsonText('\ufeff{"a": 1}', 'bom'), { a: 1 });
    const bom = join(tmp, 'bom.json');
    writeFileSync(bom, `\ufeff${JSON.stringify(ok)}`);
    assert.equal(loadScenario(bom).name, 't');
    assert.equal(parseLsmem(`\ufeff${readFileSync(LSMEM, 'utf8')}`, 'l').rows.length, 4);
    assert.equal(parseDaxctl('\ufeff[{"chardev":"dax0.0","mode":"devdax"}]', 'd').devices.length, 1);
  });

  it('says what exists when a scenario is not found', () => {
    assert.throws(() => loadScenario('no-such-scenario'), /built-ins: .*dimm-hotplug/);
  });

  it('a step that the kernel refuses names the step; `expect` turns it into a checked refusal', () => {
    const s = scenarioFromJson({ ...ok, steps: [{ op: 'offline', start: '8G', size: '128M' }] }, 'x.json');
    assert.throws(() => runScenario(s), /\$\.steps\[0\]: offline: memory64 does not exist .*\(-EINVAL\)/);
    const e = scenarioFromJson(
      { ...ok, steps: [{ op: 'offline', start: '8G', size: '128M', expect: 'EINVAL' }] },
      'x.json',
    );
    assert.equal(runScenario(e).log[1].refused?.errno, 'EINVAL');
    const wrong = scenarioFromJson(
      { ...ok, steps: [{ op: 'offline', start: '8G', size: '128M', expect: 'EBUSY' }] },
      'x.json',
    );
    assert.throws(() => runScenario(wrong), /expected -EBUSY/);
  });
});
