/**
 * /proc/iomem (kernel/resource.c, r_show()): one line per resource,
 * "%*s%0*llx-%0*llx : %s" with 2 spaces of indent per depth (at most
 * MAX_IORES_LEVEL = 5), lowercase hex zero-padded to 8 digits, inclusive
 * ends. Without CAP_SYS_ADMIN every address reads as zero.
 *
 * Parsed into the tree the indentation describes (below MAX_IORES_LEVEL, by
 * containment); children must lie inside their parent and siblings must
 * ascend without overlapping, as the kernel's resource tree guarantees.
 */
import { fail, kernelLines, parseHexOrUndefined } from './text.js';

export interface IomemResource {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly name: string;
  /** In the tree (r_show() prints at most MAX_IORES_LEVEL). */
  readonly depth: number;
  /** file:line */
  readonly where: string;
  readonly children: IomemResource[];
  readonly parent?: IomemResource;
}

export interface Iomem {
  readonly file: string;
  readonly roots: readonly IomemResource[];
  readonly skipped: readonly string[];
}

/** MAX_IORES_LEVEL: r_show() stops indenting here. */
const MAX_IORES_LEVEL = 5;
const LINE = /^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

interface RawLine {
  readonly depth: number;
  readonly start?: number;
  readonly last?: number;
  readonly zero: boolean;
  readonly name: string;
  readonly where: string;
}

function parseLine(text: string, where: string): RawLine {
  const m = LINE.exec(text);
  if (!m) return fail(where, `not '<start>-<end> : <name>' as /proc/iomem prints it: '${text}'`, text);
  if (m[1].length % 2 !== 0) fail(where, `odd indentation (${m[1].length} spaces): r_show() indents by 2`);
  for (const digits of [m[2], m[3]])
    if (digits.replace(/^0+/, '').length > 16)
      fail(where, `address 0x${digits} is past 2^64: a resource_size_t has 64 bits`, digits);
  const start = parseHexOrUndefined(m[2]);
  const last = parseHexOrUndefined(m[3]);
  if (start !== undefined && last !== undefined && last < start)
    fail(where, `the range ${m[2]}-${m[3]} ends before it starts`);
  const zero = /^0+$/.test(m[2]) && /^0+$/.test(m[3]);
  return { depth: m[1].length / 2, start, last, zero, name: m[4], where };
}

/** Every address zero: r_show() hides addresses from readers without CAP_SYS_ADMIN. */
function refuseUnprivileged(raw: readonly RawLine[], file: string): void {
  if (raw.length > 0 && raw.every((r) => r.zero)) {
    fail(
      file,
      'every address reads as 0: /proc/iomem shows addresses only to root (CAP_SYS_ADMIN); copy it as root (sudo cat /proc/iomem)',
    );
  }
}

function checkNesting(r: RawLine, parent: IomemResource | undefined, prev: IomemResource | undefined): void {
  const start = r.start!;
  const end = r.last! + 1;
  if (parent && (start < parent.start || end > parent.end)) {
    fail(
      r.where,
      `'${r.name}' is not inside its parent '${parent.name}' (${parent.where}): reordered or mis-indented?`,
    );
  }
  if (prev && start < prev.end) {
    fail(
      r.where,
      `'${r.name}' starts before '${prev.name}' (${prev.where}) ends: /proc/iomem lists siblings in ascending order (reordered?)`,
    );
  }
}

function contains(p: IomemResource, r: RawLine): boolean {
  return r.start !== undefined && r.last !== undefined && p.start <= r.start && r.last < p.end;
}

/**
 * r's depth in the tree. r_show() stops indenting at MAX_IORES_LEVEL, so a
 * line printed there may lie deeper: it is a child of the deepest open
 * resource at that level or below that contains it (siblings never overlap,
 * so containment decides).
 */
function trueDepth(r: RawLine, stack: readonly IomemResource[]): number {
  if (r.depth < MAX_IORES_LEVEL) return r.depth;
  let depth = stack.length;
  while (depth > MAX_IORES_LEVEL && !contains(stack[depth - 1], r)) depth--;
  return depth;
}

/** Parse /proc/iomem text into its resource tree. */
export function parseIomem(text: string, file: string): Iomem {
  const raw = kernelLines(text, file, '/proc/iomem text')
    .filter((l) => l.text.trim() !== '')
    .map((l) => parseLine(l.text, `${file}:${l.no}`));
  if (raw.length === 0) fail(file, 'no resources');
  refuseUnprivileged(raw, file);
  const roots: IomemResource[] = [];
  const skipped: string[] = [];
  const stack: IomemResource[] = [];
  let skipBelow = Number.POSITIVE_INFINITY;
  for (const r of raw) {
    if (r.depth > skipBelow) continue;
    skipBelow = Number.POSITIVE_INFINITY;
    if (r.depth > stack.length)
      fail(r.where, `indented ${r.depth} levels under a parent at ${stack.length - 1}`);
    if (r.depth > MAX_IORES_LEVEL)
      fail(
        r.where,
        `indented ${r.depth} levels: r_show() indents at most MAX_IORES_LEVEL (${MAX_IORES_LEVEL})`,
      );
    stack.length = trueDepth(r, stack);
    if (r.start === undefined || r.last === undefined || r.last + 1 > Number.MAX_SAFE_INTEGER) {
      skipped.push(
        `${r.where}: '${r.name}' lies above 2^53 (beyond any MAX_PHYSMEM_BITS); skipped with its children`,
      );
      skipBelow = r.depth;
      continue;
    }
    const parent = stack[stack.length - 1];
    const siblings = parent ? parent.children : roots;
    checkNesting(r, parent, siblings[siblings.length - 1]);
    const node: IomemResource = {
      start: r.start,
      end: r.last + 1,
      name: r.name,
      depth: stack.length,
      where: r.where,
      children: [],
      parent,
    };
    siblings.push(node);
    stack.push(node);
  }
  return { file, roots, skipped };
}

/** Every resource, parents before children. */
export function walkIomem(roots: readonly IomemResource[]): IomemResource[] {
  const out: IomemResource[] = [];
  const visit = (r: IomemResource) => {
    out.push(r);
    for (const c of r.children) visit(c);
  };
  for (const r of roots) visit(r);
  return out;
}
