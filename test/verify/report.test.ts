import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupBlocks, renderVerify } from '../../src/report/verify.js';
import { scenarioFromJson } from '../../src/scenario/index.js';
import { verifyMachine } from '../../src/verify/config.js';
import { type StepResult, type VerifyResult, verdictOf } from '../../src/verify/index.js';

const agree = { blocks: true, zones: true, iomem: true, pages: true, refusal: true };

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
    pagesCompared: 32768,
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
    const steps = [
      step({ index: 0, op: 'boot', summary: 'boot', agree: { ...agree, refusal: null } }),
      step({
        modelErrno: 'EBUSY',
        expect: 'EBUSY',
        agree: { blocks: false, zones: true, iomem: true, pages: true, refusal: false },
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
        agree: { blocks: true, zones: true, iomem: true, pages: true, refusal: null },
      }),
      step({
        index: 3,
        op: 'online',
        summary: 'online',
        verifyError: 'the guest shows 4 memory blocks after 20 s, expected 6',
        agree: { blocks: null, zones: null, iomem: null, pages: null, refusal: null },
      }),
    ];
    const r: VerifyResult = {
      scenario: 't',
      source: 't.json',
      kernel: '6.1.0-test',
      modelKernel: '6.19',
      qemu: [],
      machine: verifyMachine(s),
      boot: { ranges: [{ start: '0x100000', size: '0x1fedf000' }], blockSize: 2 ** 27 },
      steps,
      notReplayable: [{ index: 2, op: 'remove', why: 'memory33 online' }],
      verifyErrors: [
        { index: 3, op: 'online', error: 'the guest shows 4 memory blocks after 20 s, expected 6' },
      ],
      autoOnline: { kernel: 'online', used: 'offline' },
      modelRules: '6.19',
      verdict: verdictOf(steps),
      approximations: ['x'],
      disagreements: 2,
      pagesCompared: 98304,
      pagesSkipped: 0,
      pagesInUse: 0,
      pagesPastEnd: 0,
      wallMs: 1234,
    };
    const text = renderVerify(r);
    assert.match(text, /STEP\s+OPERATION\s+MODEL\s+KERNEL\s+BLOCKS\s+ZONES\s+IOMEM\s+PAGES\s+REFUSAL/);
    assert.match(text, /1\s+offline 0x100000000\+0x10000000\s+-EBUSY\s+ok\s+NO\s+yes\s+yes\s+yes 32768\s+NO/);
    assert.match(text, /pfns compared through \/proc\/kpageflags and \/proc\/kpagecount: 98304/);
    assert.match(text, /blocks memory32 state: model online, kernel offline/);
    assert.match(text, /refusal outcome: model -EBUSY, kernel succeeds/);
    assert.match(text, /step 1 expects -EBUSY: model -EBUSY, kernel succeeds/);
    assert.match(text, /Not replayed:\n {2}step 2 remove: memory33 online/);
    assert.match(text, /3\s+online\s+ok\s+ERROR/);
    assert.match(text, /Verify errors .*\n {2}step 3 online: the guest shows 4 memory blocks/);
    assert.match(
      text,
      /model and kernel agree on 1 of 4 steps; 1 disagree; 1 not replayed: step 2 remove; 1 verify error\(s\): step 3 \(2 disagreement\(s\)\) \(1\.2 s\)$/,
    );
  });

  it('says "every step" only when every step was replayed and compared', () => {
    const boot = step({ index: 0, op: 'boot', summary: 'boot' });
    assert.equal(verdictOf([boot, step({})]).text, 'model and kernel agree on every step (2)');
    // A scenario whose only step was not replayed: only the boot was compared.
    const skipped = verdictOf([boot, step({ replayed: false, action: 'not replayable: legacy pmem' })]);
    assert.equal(skipped.text, 'model and kernel agree on 1 of 2 steps; 1 not replayed: step 1 offline');
    assert.deepEqual([skipped.compared, skipped.agreeing, skipped.notReplayed], [1, 1, 1]);
    // Model-only steps are compared (the kernel has nothing to do).
    assert.equal(verdictOf([boot, step({ replayed: false, action: 'model only (pin)' })]).agreeing, 2);
  });
});
