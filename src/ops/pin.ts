/**
 * pin/unpin: a scenario's way of holding references on pages (get_page /
 * put_page), so that offlining the block finds an unmovable page and fails
 * with -EBUSY, or memunmap would wait forever.
 */
import type { Machine } from '../model/machine.js';
import { memRange } from '../units.js';
import { refuse, requireBooted } from './checks.js';
import type { PinSpec } from './spec.js';
import { type OperationPlan, step } from './step.js';

export function planPin(m: Machine, spec: PinSpec): OperationPlan {
  const op = spec.op;
  requireBooted(m, op);
  const g = m.g;
  if (spec.size <= 0 || spec.start % g.pageSize !== 0 || spec.size % g.pageSize !== 0) {
    refuse(
      'EINVAL',
      op,
      `${memRange(spec.start, spec.start + spec.size)} is not a page-aligned range`,
      spec.start,
    );
  }
  const startPfn = spec.start / g.pageSize;
  const endPfn = startPfn + spec.size / g.pageSize;
  const range = memRange(spec.start, spec.start + spec.size);
  if (spec.op === 'pin') {
    for (const piece of m.truth.slice(startPfn, endPfn)) {
      const s = piece.truth.state;
      if (s !== 'online' && s !== 'device')
        refuse(
          'EINVAL',
          op,
          `pfn ${piece.start} is ${s}; only online or device pages can be pinned`,
          piece.start,
        );
    }
    const delta = 1;
    return {
      op,
      summary: `pin ${range}`,
      steps: [
        step('get_page', { startPfn, endPfn }, range, (mm) => {
          mm.pins.push({ startPfn, endPfn });
          mm.memmap.update(
            (n) => mm.sections.section(n),
            startPfn,
            endPfn,
            (p) => ({ ...p, refcount: p.refcount + delta }),
          );
        }),
      ],
    };
  }
  const index = m.pins.findIndex((p) => p.startPfn === startPfn && p.endPfn === endPfn);
  if (index < 0) refuse('EINVAL', op, `${range} was not pinned`, spec.start);
  return {
    op,
    summary: `unpin ${range}`,
    steps: [
      step('put_page', { startPfn, endPfn }, range, (mm) => {
        mm.pins.splice(
          mm.pins.findIndex((p) => p.startPfn === startPfn && p.endPfn === endPfn),
          1,
        );
        mm.memmap.update(
          (n) => mm.sections.section(n),
          startPfn,
          endPfn,
          (p) => ({ ...p, refcount: p.refcount - 1 }),
        );
      }),
    ],
  };
}
