/**
 * Large layouts for benchmarks: a 16 TiB x86_64 machine with every kind of
 * section (boot RAM with holes, hot-added memory online in Normal and Movable,
 * offline and never-onlined blocks, removed blocks, ZONE_DEVICE ranges with
 * altmaps, device-private memory, and device memory sharing sections with RAM);
 * and a fragmented one, for compare's sampled mode.
 */
import { geometryFor } from '../src/arch/presets.js';
import type { OpSpec } from '../src/ops/spec.js';
import type { Scenario } from '../src/scenario/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

export function mixed16TiB(): Scenario {
  const steps: OpSpec[] = [];
  // 4-6 TiB: hot-added, onlined movable; then a few blocks offlined, some removed.
  steps.push({ op: 'add_memory', start: 4 * TiB, size: 2 * TiB });
  steps.push({ op: 'online', start: 4 * TiB, size: TiB, zone: 'movable' });
  steps.push({ op: 'online', start: 5 * TiB, size: TiB, zone: 'normal' });
  steps.push({ op: 'offline', start: 5 * TiB + 512 * GiB, size: 64 * GiB });
  steps.push({ op: 'remove', start: 5 * TiB + 512 * GiB, size: 32 * GiB });
  // 6-8 TiB: hot-added, never onlined.
  steps.push({ op: 'add_memory', start: 6 * TiB, size: 2 * TiB });
  // 8-12 TiB: device memory, 16 pgmaps of 256 GiB, every other one with an altmap.
  for (let i = 0; i < 16; i++) {
    steps.push({
      op: 'memremap',
      start: 8 * TiB + i * 256 * GiB,
      size: 256 * GiB,
      type: i % 3 === 0 ? 'fsdax' : i % 3 === 1 ? 'devdax' : 'device_private',
      id: `dev${i}`,
      altmap: i % 2 === 0 ? { reserve: 2 * 2 ** 20 } : undefined,
    });
  }
  // Device memory in the holes of boot sections at the top of boot RAM.
  steps.push({
    op: 'memremap',
    start: 4 * TiB - 64 * 2 ** 20,
    size: 32 * 2 ** 20,
    type: 'fsdax',
    id: 'shared0',
  });
  return {
    name: 'mixed-16TiB',
    geometry: geometryFor('x86_64'),
    boot: [
      { start: 0, size: 2 * GiB, node: 0 },
      { start: 4 * GiB, size: 4 * TiB - 4 * GiB - 128 * 2 ** 20, node: 0 },
    ],
    steps,
    walkers: [],
    queries: [],
    source: 'bench',
  };
}

/**
 * Boot [0, 2G) and `ranges` 4 KiB ranges 4 MiB apart from 4G (a class or more each), then a
 * 128 MiB devdax above them and its memunmap: the operation a sampled compare must not miss.
 */
export function fragmented(ranges: number): Scenario {
  const boot = [{ start: 0, size: 2 * GiB, node: 0 }];
  for (let i = 0; i < ranges; i++) boot.push({ start: 4 * GiB + i * 4 * MiB, size: 4096, node: 0 });
  const device = Math.ceil((4 * GiB + ranges * 4 * MiB) / (128 * MiB)) * 128 * MiB + 128 * MiB;
  return {
    name: `fragmented: ${ranges} ranges`,
    geometry: geometryFor('x86_64'),
    boot,
    steps: [
      { op: 'memremap', start: device, size: 128 * MiB, type: 'devdax', id: 'd' },
      { op: 'memunmap', id: 'd' },
    ],
    walkers: [],
    queries: [],
    source: 'bench',
  };
}
