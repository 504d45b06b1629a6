/**
 * pfn_valid(), pfn_to_online_page() and the struct page after each hotplug
 * transition (mm/memory_hotplug.c, mm/memremap.c), row by row, on the
 * model's own kernel lookups (6.19, and 5.4 where the table brackets it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECTION_HAS_MEM_MAP, SECTION_IS_ONLINE, SECTION_MARKED_PRESENT } from '../../src/model/layout.js';
import { pfnToOnlinePage54, pfnToOnlinePage619, pfnValid619 } from '../../src/model/lookup.js';
import type { Machine } from '../../src/model/machine.js';
import { NULL } from '../../src/model/memory.js';
import { PG_reserved, pagePoisoned, pageZonenum, ZONE_DEVICE } from '../../src/model/page-flags.js';
import { BOOT, TRANSITIONS } from '../fixtures/transitions.js';
import { machine } from '../helpers.js';

interface Row {
  readonly present: boolean;
  readonly valid: boolean;
  readonly bit: boolean;
  readonly online: boolean;
  readonly pfnValid: boolean;
  readonly online619: boolean;
  readonly online54: boolean;
  readonly memmap: 'unmapped' | 'initialized' | 'reserved' | 'poisoned' | 'device';
}

function observe(m: Machine, pfn: number): Row {
  const nr = Math.floor(pfn / m.g.pagesPerSection);
  const ms = m.sections.section(nr);
  const flags = ms === NULL ? 0 : m.sections.flags(ms);
  const usage = ms === NULL ? NULL : m.sections.usage(ms);
  const page = m.memmap.read(pfn);
  let memmap: Row['memmap'] = 'unmapped';
  if (page) {
    if (pagePoisoned(page.flags)) memmap = 'poisoned';
    else if (pageZonenum(page.flags) === ZONE_DEVICE && page.pgmap > 0) memmap = 'device';
    else memmap = page.flags & PG_reserved ? 'reserved' : 'initialized';
  }
  return {
    present: (flags & SECTION_MARKED_PRESENT) !== 0,
    valid: (flags & SECTION_HAS_MEM_MAP) !== 0,
    bit:
      usage !== NULL &&
      m.sections.testSubsection(usage, 0, Math.floor((pfn % m.g.pagesPerSection) / m.g.pagesPerSubsection)),
    online: (flags & SECTION_IS_ONLINE) !== 0,
    pfnValid: pfnValid619(m.mem.words, m.g, pfn),
    online619: pfnToOnlinePage619(m.mem.words, m.g, pfn) >= 0,
    online54: pfnToOnlinePage54(m.mem.words, m.g, pfn) >= 0,
    memmap,
  };
}

const R = (
  present: 0 | 1,
  valid: 0 | 1,
  bit: 0 | 1,
  online: 0 | 1,
  pv: 0 | 1,
  o619: 0 | 1,
  o54: 0 | 1,
  memmap: Row['memmap'],
): Row => ({
  present: !!present,
  valid: !!valid,
  bit: !!bit,
  online: !!online,
  pfnValid: !!pv,
  online619: !!o619,
  online54: !!o54,
  memmap,
});

const expected: Row[] = [
  R(0, 0, 0, 0, 0, 0, 0, 'unmapped'),
  R(1, 1, 0, 1, 1, 0, 1, 'reserved'),
  R(1, 1, 1, 1, 1, 1, 1, 'initialized'),
  R(1, 1, 1, 0, 1, 0, 0, 'poisoned'),
  R(1, 1, 1, 1, 1, 1, 1, 'initialized'),
  R(1, 1, 1, 0, 1, 0, 0, 'poisoned'),
  R(1, 1, 1, 0, 1, 0, 0, 'device'),
  R(1, 1, 1, 1, 1, 0, 1, 'device'),
  R(1, 1, 0, 0, 0, 0, 0, 'unmapped'),
  R(0, 0, 0, 0, 0, 0, 0, 'unmapped'),
];

describe('predicates after each hotplug transition (x86-64)', () => {
  TRANSITIONS.forEach((t, i) => {
    it(t.name, () => assert.deepEqual(observe(machine(BOOT, t.steps), t.pfn), expected[i]));
  });
});
