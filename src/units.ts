/**
 * Sizes and addresses as people write them (integers, hex strings, K/M/G/T
 * suffixes) and as the kernel prints them.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
  P: 2 ** 50,
};

/** A number with a binary-unit suffix: "64M", "1.5G", "2t". No spaces, no "B" or "iB". */
const SUFFIXED = /^(\d+(?:\.\d+)?)([KMGTP])$/i;

/**
 * Parse "0x104000000", "8G", "64M", "2T", "4096" or a number, exactly as the README and the
 * scenario schema write them. Returns undefined when the text is not a size, or is not an exact
 * non-negative integer below 2^53.
 */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  let n: number;
  const hex = /^0x([0-9a-f]+)$/i.exec(value);
  const suffixed = SUFFIXED.exec(value);
  if (hex) {
    const big = BigInt(`0x${hex[1]}`);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    n = Number(big);
  } else if (suffixed) {
    n = Number(suffixed[1]) * SUFFIX[suffixed[2].toUpperCase()];
  } else if (/^\d+$/.test(value)) {
    n = Number(value);
  } else {
    return undefined;
  }
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Why parseSize() refused a value, in words a scenario author can act on. */
export function sizeProblem(value: unknown): string {
  const shown = JSON.stringify(value);
  const text = typeof value === 'string' ? value : undefined;
  if (typeof value === 'number' && value < 0) return `${shown} is negative`;
  if (typeof value === 'number' && !Number.isInteger(value)) return `${shown} is not a whole number of bytes`;
  const suffixed = text === undefined ? null : SUFFIXED.exec(text);
  if (suffixed && !Number.isInteger(Number(suffixed[1]) * SUFFIX[suffixed[2].toUpperCase()]))
    return `${shown} is not a whole number of bytes`;
  if (typeof value === 'number' || suffixed || (text !== undefined && /^(0x[0-9a-f]+|\d+)$/i.test(text)))
    return `${shown} is beyond 2^53 bytes`;
  return `${shown} is not a size (an integer, 0x-hex, or a K/M/G/T/P suffix; no spaces, no B or iB)`;
}

/** Parse a pfn given in decimal or 0x-hex. */
export function parsePfn(text: string): number | undefined {
  return /^(0x[0-9a-f]+|\d+)$/i.test(text) ? parseSize(text) : undefined;
}

export function hex(n: number, width = 0): string {
  return `0x${n.toString(16).padStart(width, '0')}`;
}

/** The largest binary unit that divides n exactly ("128M", "2G"), else bytes. */
export function formatSize(n: number): string {
  for (const unit of ['P', 'T', 'G', 'M', 'K']) {
    const u = SUFFIX[unit];
    if (n >= u && n % u === 0) return `${n / u}${unit}`;
  }
  return String(n);
}

/** A human size with one decimal where needed, as lsmem prints ("15.6G"). */
export function formatSizeApprox(n: number): string {
  for (const unit of ['P', 'T', 'G', 'M', 'K']) {
    const u = SUFFIX[unit];
    if (n >= u) {
      const v = n / u;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`;
    }
  }
  return `${n}B`;
}

/** The kernel's "[mem 0x...-0x...]" notation for a byte range (end exclusive in, inclusive out). */
export function memRange(start: number, end: number): string {
  return `[mem ${hex(start, 8)}-${hex(end - 1, 8)}]`;
}
