/**
 * util-linux lsmem output (sys-utils/lsmem.c, add_scols_line()): `--json`
 * (libsmartcols: {"memory": [...]}, keys are the lowercased column names,
 * removable a boolean, node a number, size a number only with -b), the
 * default table (right-aligned cells, then the summary) and `-P` pairs.
 *
 * RANGE ("0x%016lx-0x%016lx", end inclusive) is required; BLOCK ("N" or
 * "N-M", decimal) gives the block size exactly; STATE and REMOVABLE pass
 * through gettext, so a localized run is refused with the fix (LC_ALL=C).
 */
import type { BlockState } from '../../model/blocks.js';
import { formatSizeApprox, parseSize } from '../../units.js';
import type { SysfsZoneName } from './sysfs.js';
import {
  fail,
  jsonObjectLines,
  kernelLines,
  type Line,
  parseDecimal,
  parseHex,
  parseJsonFile,
  Skipped,
} from './text.js';

export interface LsmemRow {
  /** file:line */
  readonly where: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Block ids, when the BLOCK column was printed. */
  readonly first?: number;
  readonly last?: number;
  readonly state?: BlockState;
  readonly removable?: boolean;
  readonly node?: number;
  /** ZONES mapped back to valid_zones names; undefined when not printed or "Unknown". */
  readonly zones?: readonly SysfsZoneName[];
}

export interface LsmemTable {
  readonly file: string;
  readonly rows: readonly LsmemRow[];
  /** "Memory block size:" from the text summary. */
  readonly blockSize?: number;
  /** Output columns seen, lowercased. */
  readonly columns: readonly string[];
  readonly skipped: readonly string[];
}

const KNOWN_COLUMNS = new Set([
  'range',
  'size',
  'state',
  'removable',
  'block',
  'node',
  'zones',
  'configured',
  'memmap-on-memory',
]);

/** lsmem's zone_names[] back to valid_zones tokens. */
const LSMEM_ZONES: Readonly<Record<string, SysfsZoneName | null>> = {
  DMA: 'DMA',
  DMA32: 'DMA32',
  Normal: 'Normal',
  Highmem: 'HighMem',
  Movable: 'Movable',
  Device: 'Device',
  None: 'none',
  Unknown: null,
};

const LOCALE_HINT = 'the output is localized; run it as LC_ALL=C lsmem ...';

function cellText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  return String(v);
}

function parseRange(v: unknown, where: string): { start: number; end: number } {
  const text = cellText(v);
  if (!text) return fail(where, 'the row has no RANGE (run lsmem with -o RANGE,...)');
  const m = /^(0x[0-9a-f]+)-(0x[0-9a-f]+)$/i.exec(text);
  if (!m) return fail(where, `RANGE '${text}' is not 0x<start>-0x<end>`, text);
  const start = parseHex(m[1], where, 'RANGE start');
  const last = parseHex(m[2], where, 'RANGE end');
  if (last < start) fail(where, `RANGE '${text}' ends before it starts`, text);
  return { start, end: last + 1 };
}

function parseState(v: unknown, where: string): BlockState | undefined {
  const s = cellText(v);
  if (s === undefined) return undefined;
  if (s === 'online' || s === 'offline') return s;
  if (s === 'on->off') return 'going-offline';
  if (s === '?') return fail(where, "STATE '?': lsmem could not read memoryN/state");
  return fail(where, `STATE '${s}' is not online, offline or on->off: ${LOCALE_HINT}`, s);
}

function parseRemovable(v: unknown, where: string): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const s = cellText(v);
  if (s === undefined) return undefined;
  if (s === 'yes' || s === '1') return true;
  if (s === 'no' || s === '0') return false;
  return fail(where, `REMOVABLE '${s}' is not yes or no: ${LOCALE_HINT}`, s);
}

function parseBlocks(v: unknown, where: string): { first: number; last: number } | undefined {
  const s = cellText(v);
  if (s === undefined) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return fail(where, `BLOCK '${s}' is not N or N-M`, s);
  const first = parseDecimal(m[1], where, 'BLOCK');
  const last = m[2] === undefined ? first : parseDecimal(m[2], where, 'BLOCK');
  if (last < first) fail(where, `BLOCK '${s}' ends before it starts`, s);
  return { first, last };
}

function parseZones(v: unknown, where: string): SysfsZoneName[] | undefined {
  const s = cellText(v);
  if (s === undefined) return undefined;
  const out: SysfsZoneName[] = [];
  for (const token of s.split('/')) {
    if (!Object.hasOwn(LSMEM_ZONES, token))
      fail(where, `ZONES '${s}': '${token}' is not one of ${Object.keys(LSMEM_ZONES).join(', ')}`, s);
    const zone = LSMEM_ZONES[token];
    if (zone === null) return undefined;
    out.push(zone);
  }
  return out;
}

function parseSizeCell(v: unknown, range: { start: number; end: number }, where: string): void {
  if (typeof v === 'number' && v !== range.end - range.start) {
    fail(where, `SIZE ${v} does not match RANGE (${range.end - range.start} bytes)`, v);
  }
}

/** One row from its cells (keys lowercased column names). */
function parseRow(cells: Record<string, unknown>, where: string, skipped: Skipped): LsmemRow {
  for (const key of Object.keys(cells)) if (!KNOWN_COLUMNS.has(key)) skipped.note(key, where);
  const range = parseRange(cells.range, where);
  parseSizeCell(cells.size, range, where);
  const blocks = parseBlocks(cells.block, where);
  const node = cellText(cells.node);
  return {
    where,
    ...range,
    ...blocks,
    state: parseState(cells.state, where),
    removable: parseRemovable(cells.removable, where),
    node: node === undefined ? undefined : parseDecimal(node, where, 'NODE'),
    zones: parseZones(cells.zones, where),
  };
}

/** lsmem lists blocks in ascending order; anything else is a reordered or hand-edited copy. */
function checkOrder(rows: readonly LsmemRow[]): void {
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].start < rows[i - 1].end) {
      fail(
        rows[i].where,
        `this row starts below the end of the row before it: lsmem prints blocks in ascending order (reordered?)`,
      );
    }
  }
}

function parseJson(text: string, file: string): LsmemTable {
  const doc = parseJsonFile(text, file);
  const memory = (doc as { memory?: unknown }).memory;
  if (!Array.isArray(memory)) return fail(`${file}:1`, 'not lsmem --json output: no "memory" array');
  const lineOf = jsonObjectLines(doc, text);
  const skipped = new Skipped();
  const columns = new Set<string>();
  const rows = memory.map((cells: unknown, i) => {
    if (typeof cells !== 'object' || cells === null)
      return fail(`${file}: memory[${i}]`, 'a row is not an object');
    const where = `${file}:${lineOf(cells)}`;
    for (const k of Object.keys(cells)) columns.add(k);
    return parseRow(cells as Record<string, unknown>, where, skipped);
  });
  checkOrder(rows);
  return { file, rows, columns: [...columns], skipped: skipped.list(file) };
}

/** Column extents of the header line: RANGE is left-aligned, every other column right-aligned. */
function headerColumns(line: Line): { name: string; start: number; end: number }[] {
  return [...line.text.matchAll(/\S+/g)].map((m) => ({
    name: m[0].toLowerCase(),
    start: m.index,
    end: m.index + m[0].length,
  }));
}

function tableCells(line: Line, header: ReturnType<typeof headerColumns>, file: string) {
  const cells: Record<string, unknown> = {};
  for (const m of line.text.matchAll(/\S+/g)) {
    const end = m.index + m[0].length;
    const col = header.find((h) => (h.name === 'range' ? h.start === m.index : h.end === end));
    if (!col) fail(`${file}:${line.no}`, `'${m[0]}' lines up with no column of the header`, m[0]);
    cells[col.name] = m[0];
  }
  return cells;
}

const SUMMARY_BLOCK_SIZE = /^Memory block size:\s+(\S+)$/;
const SUMMARY_TOTAL = /^Total (on|off)line memory:\s+(\S+)$/;

/** A summary total as lsmem prints it: bytes with -b, else size_to_human_string() ("1.9G", "0B"). */
interface Total {
  readonly text: string;
  readonly bytes: number;
  /** How far the printed value may be from the true one: rounding to one decimal of its unit. */
  readonly slack: number;
  readonly where: string;
}

const HUMAN_UNITS = 'BKMGTPE';

function parseTotal(text: string, where: string): Total | undefined {
  const m = /^(\d+(?:\.\d+)?)([BKMGTPE]?)$/.exec(text);
  if (!m) return undefined;
  const unit = 1024 ** Math.max(0, HUMAN_UNITS.indexOf(m[2] || 'B'));
  return { text, bytes: Number(m[1]) * unit, slack: m[2] && m[2] !== 'B' ? unit / 10 : 0, where };
}

interface Summary {
  blockSize?: number;
  online?: Total;
  offline?: Total;
}

function parseSummary(lines: readonly Line[], file: string, skipped: Skipped): Summary {
  const out: Summary = {};
  for (const l of lines) {
    const text = l.text.trim();
    if (text === '') continue;
    const m = SUMMARY_BLOCK_SIZE.exec(text);
    const total = SUMMARY_TOTAL.exec(text);
    if (m) {
      out.blockSize = parseSize(m[1]);
      if (out.blockSize === undefined) fail(`${file}:${l.no}`, `memory block size '${m[1]}' is not a size`);
    } else if (total) {
      out[total[1] === 'on' ? 'online' : 'offline'] = parseTotal(total[2], `${file}:${l.no}`);
    } else if (!/^Memmap on memory parameter:/.test(text)) {
      skipped.note(text.split(':')[0], `${file}:${l.no}`);
    }
  }
  return out;
}

/**
 * The summary's totals count every block (print_summary()): rows adding up to
 * less or more are a copy cut short or edited, whatever the state of each.
 */
function checkTotals(rows: readonly LsmemRow[], summary: Summary): void {
  const { online, offline } = summary;
  if (!online || !offline) return;
  const listed = rows.reduce((s, r) => s + r.end - r.start, 0);
  const total = online.bytes + offline.bytes;
  if (Math.abs(listed - total) <= online.slack + offline.slack) return;
  fail(
    online.where,
    `the rows add up to ${formatSizeApprox(listed)}, but the summary says ${online.text} online and ${offline.text} offline: ${listed < total ? 'rows are missing (a truncated copy?)' : 'rows the summary does not count (an edited copy?)'}`,
  );
}

/** `lsmem -r`: the header's names one space apart (the table pads RANGE to its cells' width). */
function refuseRaw(header: Line, file: string): void {
  if (/^RANGE( [A-Z-]+)+$/.test(header.text))
    fail(
      `${file}:${header.no}`,
      'lsmem -r (raw) output is not supported: its cells do not line up with the header; use lsmem --json (or the default table)',
    );
}

/**
 * print_summary() always prints at least "Memory block size:", "Total online
 * memory:" and "Total offline memory:" after the table (only --json, -P, -r
 * and --summary=never drop them): fewer lines mean a copy cut short.
 */
const SUMMARY_LINES = 3;

function summaryLines(body: readonly Line[], blank: number, file: string): Line[] {
  const summary = blank < 0 ? [] : body.slice(blank).filter((l) => l.text.trim() !== '');
  if (summary.length < SUMMARY_LINES) {
    const last = body[body.length - 1];
    fail(
      `${file}:${last?.no ?? 1}`,
      `the table ends without lsmem's summary (Memory block size:, Total online memory:, Total offline memory:): the copy is truncated (or lsmem ran with --summary=never; run it without, or use lsmem --json)`,
    );
  }
  return summary;
}

function parseTable(text: string, file: string): LsmemTable {
  const lines = kernelLines(text, file, 'lsmem output');
  const headerIndex = lines.findIndex((l) => /^RANGE(\s|$)/.test(l.text));
  if (headerIndex < 0)
    fail(`${file}:1`, 'no RANGE header: expected lsmem --json, the default table (with headings) or -P');
  refuseRaw(lines[headerIndex], file);
  const header = headerColumns(lines[headerIndex]);
  const skipped = new Skipped();
  const body = lines.slice(headerIndex + 1);
  const blank = body.findIndex((l) => l.text.trim() === '');
  const rowLines = blank < 0 ? body : body.slice(0, blank);
  const rows = rowLines.map((l) => parseRow(tableCells(l, header, file), `${file}:${l.no}`, skipped));
  checkOrder(rows);
  const summary = parseSummary(summaryLines(body, blank, file), file, skipped);
  checkTotals(rows, summary);
  const { blockSize } = summary;
  return { file, rows, blockSize, columns: header.map((h) => h.name), skipped: skipped.list(file) };
}

function parsePairs(text: string, file: string): LsmemTable {
  const skipped = new Skipped();
  const columns = new Set<string>();
  const rows = kernelLines(text, file, 'lsmem output')
    .filter((l) => l.text.trim() !== '')
    .map((l) => {
      const cells: Record<string, unknown> = {};
      for (const m of l.text.matchAll(/([A-Z-]+)="([^"]*)"/g)) cells[m[1].toLowerCase()] = m[2];
      if (Object.keys(cells).length === 0) fail(`${file}:${l.no}`, 'not a KEY="value" line');
      for (const k of Object.keys(cells)) columns.add(k);
      return parseRow(cells, `${file}:${l.no}`, skipped);
    });
  checkOrder(rows);
  return { file, rows, columns: [...columns], skipped: skipped.list(file) };
}

/** Parse lsmem output in any of its forms. */
export function parseLsmem(text: string, file: string): LsmemTable {
  if (text.trim() === '') fail(file, 'the file is empty');
  const first = text.trimStart();
  if (first.startsWith('{')) return parseJson(text, file);
  if (first.startsWith('RANGE="')) return parsePairs(text, file);
  return parseTable(text, file);
}
