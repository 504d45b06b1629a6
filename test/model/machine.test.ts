import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planOperation } from '../../src/ops/index.js';
import { GiB, MiB, machine } from '../helpers.js';

describe('Machine bookkeeping snapshots', () => {
  it('restore puts blocks back as saved, keeps the snapshot usable, and reuses unchanged block objects', () => {
    const m = machine([{ start: 0, size: 2 * GiB }], [{ op: 'add_memory', start: 4 * GiB, size: 256 * MiB }]);
    const saved = m.snapshotBookkeeping();
    const before = JSON.stringify([...m.blocks.entries()]);
    const untouched = m.blocks.get(0)!;
    for (const s of planOperation(m, { op: 'online', start: 4 * GiB, size: 256 * MiB, zone: 'movable' }, [])
      .steps)
      s.run(m);
    assert.notEqual(JSON.stringify([...m.blocks.entries()]), before, 'online changed the blocks');
    m.restoreBookkeeping(saved);
    assert.deepEqual([...m.blocks.entries()], [...saved.blocks.entries()]);
    // Each restore costs a compare per block, not a copy of every block (60 TiB has 30,000 of them).
    assert.equal(m.blocks.get(0), untouched);
    // The snapshot is not the live state: changing the machine again does not change it.
    m.blocks.get(32)!.state = 'going-offline';
    assert.equal(saved.blocks.get(32)!.state, 'offline');
    m.restoreBookkeeping(saved);
    assert.equal(m.blocks.get(32)!.state, 'offline');
    // A removed block comes back.
    m.blocks.delete(33);
    m.restoreBookkeeping(saved);
    assert.deepEqual([...m.blocks.keys()], [...saved.blocks.keys()]);
  });
});
