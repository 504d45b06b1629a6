import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPfnlabError } from '../../src/errors.js';
import { MemKind, Memory, OutOfModelMemoryError, SHADOW_FREED } from '../../src/model/memory.js';
import { machine } from '../helpers.js';

describe('Memory', () => {
  it('running out is an input too big for the model: a PfnlabError (one line, exit 2), not a crash', () => {
    const mem = new Memory({ capacityWords: 64 });
    mem.alloc(60);
    assert.throws(
      () => mem.alloc(8),
      (e: unknown) =>
        e instanceof OutOfModelMemoryError &&
        isPfnlabError(e) &&
        /outgrows the model's 0\.000244140625 MiB \(allocating 8 more words\)/.test(e.message) &&
        !e.message.includes('\n'),
    );
    // A machine too big for its capacity fails the same way while it boots.
    assert.throws(
      () => machine([{ start: 0, size: 2 ** 45 }]),
      (e: unknown) => e instanceof OutOfModelMemoryError && /outgrows the model's 16 MiB/.test(e.message),
    );
  });

  it('reuses freed blocks by default; with reuseFreed off a freed block stays freed for good', () => {
    const reusing = new Memory({ capacityWords: 1024 });
    const a = reusing.alloc(8, MemKind.Usage);
    reusing.free(a);
    assert.equal(reusing.alloc(8, MemKind.Usage), a);

    const keeping = new Memory({ capacityWords: 1024, reuseFreed: false });
    const b = keeping.alloc(8, MemKind.Usage);
    keeping.store(b, 42);
    keeping.free(b);
    const c = keeping.alloc(8, MemKind.Usage);
    assert.notEqual(c, b);
    assert.equal(keeping.shadow[b], MemKind.Usage | SHADOW_FREED, 'still marked freed');
    assert.equal(keeping.words[b], 42, 'and its words as they were');
    assert.equal(keeping.clone().alloc(8), c + 9, 'a clone keeps the policy');
  });

  it('update() is a read-modify-write, journaled like a store, atomic on shared memory', () => {
    for (const shared of [false, true]) {
      const mem = new Memory({ capacityWords: 64, shared });
      const a = mem.alloc(1);
      mem.store(a, 5);
      assert.equal(
        mem.update(a, (v) => v | 0x100),
        0x105,
      );
      assert.equal(mem.words[a], 0x105);
    }
    const mem = new Memory({ capacityWords: 64, shared: true });
    const a = mem.alloc(1);
    const j = mem.startJournal();
    const mark = j.length;
    mem.update(a, (v) => v + 3);
    mem.undoTo(mark);
    assert.equal(mem.words[a], 0);
  });
});
