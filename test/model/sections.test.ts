import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { geometryFor } from '../../src/arch/presets.js';
import { GiB, machine } from '../helpers.js';

describe('usage-record bitmaps', () => {
  const m = machine([{ start: 0, size: GiB }], [], geometryFor('arm64-64k'));
  const usage = m.sections.usage(m.sections.section(0));
  const slot = 1;
  const bits = () => m.sections.bitmapIndices(usage, slot);

  it('writeSubsectionBits sets and clears exactly [first, first + count), across words', () => {
    assert.ok(m.g.subsectionsPerSection > 64, 'a bitmap of several words');
    m.sections.writeSubsectionBits(usage, slot, 30, 40, true);
    assert.deepEqual(
      bits(),
      Array.from({ length: 40 }, (_, i) => 30 + i),
    );
    m.sections.writeSubsectionBits(usage, slot, 31, 33, false);
    assert.deepEqual(bits(), [30, 64, 65, 66, 67, 68, 69]);
    m.sections.writeSubsectionBits(usage, slot, 0, m.g.subsectionsPerSection, false);
    assert.deepEqual(bits(), []);
  });

  it('orBitmap sets what another bitmap of the record has set', () => {
    m.sections.writeSubsectionBits(usage, slot, 5, 1, true);
    m.sections.orBitmap(usage, 0, slot);
    assert.deepEqual(bits(), m.sections.bitmapIndices(usage, 0));
  });
});
