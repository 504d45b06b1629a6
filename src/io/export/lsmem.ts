/**
 * What `lsmem --json -b -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES`
 * (and with -a, one row per block) prints for the model (util-linux
 * sys-utils/lsmem.c: memory_block_read_attrs(), is_mergeable(),
 * add_scols_line(); libsmartcols JSON as lib/jsonwrt.c writes it: 3-space
 * indent, "},{" between rows, keys the lowercased column names, size and node
 * numbers, removable a boolean, empty cells null).
 */
import type { BlockState } from '../../model/blocks.js';
import type { Machine } from '../../model/machine.js';
import { validZones } from '../../ops/zone-policy.js';

/** lsmem's zone_names[] for valid_zones tokens (zone_name_to_id() is case-insensitive). */
const LSMEM_ZONE: Readonly<Record<string, string>> = {
  DMA: 'DMA',
  DMA32: 'DMA32',
  Normal: 'Normal',
  HighMem: 'Highmem',
  Movable: 'Movable',
  Device: 'Device',
  none: 'None',
};

/** struct memory_block in lsmem.c: a run of blocks that print as one row. */
interface LsmemBlock {
  index: number;
  count: number;
  readonly state: BlockState;
  readonly node: number;
  readonly zones: readonly string[];
}

function readBlocks(m: Machine): LsmemBlock[] {
  return [...m.blocks.values()]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({
      index: b.id,
      count: 1,
      state: b.state,
      node: b.nid,
      zones: validZones(m, b).map((z) => LSMEM_ZONE[z] ?? 'Unknown'),
    }));
}

/** is_mergeable() with the default split columns (state, removable, node, zones); removable reads 1 everywhere. */
function mergeable(curr: LsmemBlock, blk: LsmemBlock): boolean {
  return (
    curr.index + curr.count === blk.index &&
    curr.state === blk.state &&
    curr.node === blk.node &&
    curr.zones.length === blk.zones.length &&
    curr.zones.every((z, i) => z !== 'Unknown' && z === blk.zones[i])
  );
}

function merge(blocks: LsmemBlock[]): LsmemBlock[] {
  const out: LsmemBlock[] = [];
  for (const b of blocks) {
    const last = out[out.length - 1];
    if (last && mergeable(last, b)) last.count++;
    else out.push({ ...b });
  }
  return out;
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(16, '0')}`;
}

const STATE_TEXT: Readonly<Record<BlockState, string>> = {
  online: 'online',
  offline: 'offline',
  'going-offline': 'on->off',
};

/** add_scols_line(): the cells of one row, as JSON values. */
function rowCells(blk: LsmemBlock, blockSize: number): [string, string][] {
  const start = blk.index * blockSize;
  const size = blk.count * blockSize;
  const last = blk.index + blk.count - 1;
  return [
    ['range', JSON.stringify(`${hex16(start)}-${hex16(start + size - 1)}`)],
    ['size', String(size)],
    ['state', JSON.stringify(STATE_TEXT[blk.state])],
    // REMOVABLE is set only for online blocks; an empty cell is false.
    ['removable', blk.state === 'online' ? 'true' : 'false'],
    ['block', JSON.stringify(blk.count === 1 ? `${blk.index}` : `${blk.index}-${last}`)],
    ['node', String(blk.node)],
    ['zones', blk.zones.length ? JSON.stringify(blk.zones.join('/')) : 'null'],
  ];
}

/**
 * libsmartcols pretty JSON (ul_jsonwrt_*): {"memory": [ rows ]}, the first
 * row opening on its own indented line and the next ones with ",{".
 */
function render(rows: [string, string][][]): string {
  const ind = (n: number) => '   '.repeat(n);
  const objects = rows.map(
    (cells, i) =>
      `${i === 0 ? `${ind(2)}{` : ',{'}\n${cells.map(([k, v]) => `${ind(3)}"${k}": ${v}`).join(',\n')}\n${ind(2)}}`,
  );
  return `{\n${ind(1)}"memory": [\n${objects.join('')}\n${ind(1)}]\n}\n`;
}

/** The lsmem JSON for the model; `all` lists every block (-a). */
export function lsmemJson(m: Machine, all = false): string {
  const blocks = readBlocks(m);
  const rows = (all ? blocks : merge(blocks)).map((b) => rowCells(b, m.blockSize));
  return render(rows);
}
