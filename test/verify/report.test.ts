import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupBlocks, renderVerify } from '../../src/report/verify.js';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { verifyMachine } from '../../src/verify/config.js';
import type { StepResult, VerifyResult } from '../../src/verify/index.js';

const agree = { blocks: true, zones: true, iomem: true, refusal: true };

function step(over: Partial<StepResult>): StepResult {
  return {
    index: 1,
    op: 'offline',
    summary: 'offline 0x100000000+0x10000000',
    action: 'memoryN/state <- offline',
    replayed: true,
    modelErrno: null,
    kernelErrno: null,
    expect: null,
    agree,
    disagreements: [],
    ...over,
  };
}

describe('verify report', () => {
  it('groups consecutive blocks with the same difference', () => {
    const d = (id: number, field: string) => ({
      area: 'blocks' as const,
      what: `memory${id} ${field}`,
      model: 'online',
      kernel: 'offline',
    });
    assert.deepEqual(
      groupBlocks([
        d(32, 'state'),
        d(33, 'state'),
        d(35, 'state'),
        { area: 'zones', what: 'node 0 Movable spanned', model: '1', kernel: '0' },
      ]).map((x) => x.what),
      ['memory32-33 state', 'memory35 state', 'node 0 Movable spanned'],
    );
  });

  it('prints the table, every disagreement with both values, what was not replayed and unmet expectations', () => {
    const s = scenarioFromJson({ name: 't', boot: [{ start: 0, size: '512M' }] }, 't.json');
    const r: VerifyResult = {
      scenario: 't',
      source: 't.json',
      kernel: '6.1.0-test',
      modelKernel: '6.19',
      qemu: [],
      machine: verifyMachine(s),
      boot: { ranges: [{ start: '0x100000', size: '0x1fedf000' }], blockSize: 2 ** 27 },
      steps: [
        step({ index: 0, op: 'boot', summary: 'boot', agree: { ...agree, refusal: null } }),
        step({
          modelErrno: 'EBUSY',
          expect: 'EBUSY',
          agree: { blocks: false, zones: true, iomem: true, refusal: false },
          disagreements: [
            { area: 'blocks', what: 'memory32 state', model: 'online', kernel: 'offline' },
            { area: 'refusal', what: 'outcome', model: '-EBUSY', kernel: 'succeeds' },
          ],
        }),
        step({
          index: 2,
          op: 'remove',
          summary: 'remove',
          replayed: false,
          agree: { blocks: true, zones: true, iomem: true, refusal: null },
        }),
      ],
      notReplayable: [{ index: 2, op: 'remove', why: 'memory33 online' }],
      approximations: ['x'],
      disagreements: 2,
      wallMs: 1234,
    };
    const text = renderVerify(r);
    assert.match(text, /STEP\s+OPERATION\s+MODEL\s+KERNEL\s+BLOCKS\s+ZONES\s+IOMEM\s+REFUSAL/);
    assert.match(text, /1\s+offline 0x100000000\+0x10000000\s+-EBUSY\s+ok\s+NO\s+yes\s+yes\s+NO/);
    assert.match(text, /blocks memory32 state: model online, kernel offline/);
    assert.match(text, /refusal outcome: model -EBUSY, kernel succeeds/);
    assert.match(text, /step 1 expects -EBUSY: model -EBUSY, kernel succeeds/);
    assert.match(text, /Not replayed:\n {2}step 2 remove: memory33 online/);
    assert.match(text, /2 disagreement\(s\) between the model and the kernel \(1\.2 s\)$/);
  });
});
