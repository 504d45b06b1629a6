/**
 * The cases of the CLI fuzzer: seeded mutations of the built-in scenarios, of the import fixtures
 * (lsmem JSON, /proc/iomem, /proc/zoneinfo, daxctl JSON) and of command lines. A case is plain
 * data (argv and the files it writes), so that a failure can be printed, saved and replayed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from '../../src/random.js';

export interface FuzzCase {
  /** Where it came from: "scenario", "import" or "args", and what was mutated. */
  readonly kind: string;
  readonly mutation: string;
  /** Files the case writes into its directory before the run: name -> text. */
  readonly files: Readonly<Record<string, string>>;
  /** The command line; "@name" is replaced by the path of the case's file of that name. */
  readonly argv: readonly string[];
}

/** A seeded source of choices. */
export class Chooser {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

const SCENARIO_DIR = 'scenarios';
const FIXTURES = 'test/fixtures/machines';

/** Hostile values: what a campaign throws at every field. */
function hostileValue(c: Chooser): unknown {
  return c.pick<() => unknown>([
    () => '',
    () => ' 1G',
    () => '1.5G',
    () => '1GiB',
    () => '-1',
    () => '0x',
    () => `0x${'f'.repeat(c.pick([15, 16, 17, 24]))}`,
    () => '4P',
    () => '16T',
    () => '0x1000',
    () => '1e3',
    () => 'NaN',
    () => '__proto__',
    () => 'constructor',
    () => 'x'.repeat(c.pick([81, 5000, 100_000])),
    () => '\u0000\u001b[31m\n',
    () => c.pick([0, 1, -1, 3, 2 ** 53, 2 ** 64, 1e300, 0.5, 4096, 2 ** 27]),
    () => null,
    () => true,
    () => [],
    () => ({}),
    () => ({ __proto__: null, constructor: 1 }),
    () => JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`),
  ])();
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value inside doc (array indices and object keys). */
function paths(
  doc: Json,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(at);
  if (doc !== null && typeof doc === 'object')
    for (const [k, v] of Object.entries(doc)) paths(v, [...at, Array.isArray(doc) ? Number(k) : k], out);
  return out;
}

function getAt(doc: Json, path: readonly (string | number)[]): Json {
  let v: Json = doc;
  for (const k of path) v = (v as Record<string, Json>)[k];
  return v;
}

/** One structural mutation of a JSON document, in place; says what it did. */
function mutateJson(c: Chooser, doc: Json): string {
  const all = paths(doc).filter((p) => p.length > 0);
  const path = c.pick(all);
  const parent = getAt(doc, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const key = path[path.length - 1];
  const where = `$${path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;
  const op = c.int(6);
  if (op === 0) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
    return `delete ${where}`;
  }
  if (op === 1 && Array.isArray(parent)) {
    parent.splice(key as number, 0, structuredClone(parent[key as number]));
    return `duplicate ${where}`;
  }
  if (op === 2 && !Array.isArray(parent)) {
    const extra = c.pick(['__proto__', 'constructor', 'toString', 'nope', '', 'x'.repeat(200)]);
    Object.defineProperty(parent, extra, {
      value: hostileValue(c) as Json,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return `add key ${JSON.stringify(extra.slice(0, 20))} beside ${where}`;
  }
  if (op === 3 && Array.isArray(parent) && parent.length > 1) {
    const other = c.int(parent.length);
    [parent[key as number], parent[other]] = [parent[other], parent[key as number]];
    return `swap ${where} with [${other}]`;
  }
  const value = hostileValue(c) as Json;
  (parent as Record<string | number, Json>)[key] = value;
  return `set ${where} = ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** One textual mutation of a file: flip, cut, repeat or splice lines and characters. */
function mutateText(c: Chooser, text: string): { text: string; what: string } {
  const lines = text.split('\n');
  const i = c.int(lines.length);
  switch (c.int(8)) {
    case 0:
      return { text: text.slice(0, c.int(text.length)), what: 'truncate' };
    case 1:
      lines.splice(i, 1);
      return { text: lines.join('\n'), what: `delete line ${i + 1}` };
    case 2:
      lines.splice(i, 0, lines[i]);
      return { text: lines.join('\n'), what: `repeat line ${i + 1}` };
    case 3: {
      const at = c.int(text.length);
      const ch = c.pick(['\u0000', '{', '"', ' ', '\n', 'z', '-', '9', 'f', '\ufffd']);
      return {
        text: text.slice(0, at) + ch + text.slice(at + 1),
        what: `char ${at} = ${JSON.stringify(ch)}`,
      };
    }
    case 4:
      lines[i] = lines[i].replace(/[0-9a-f]{4,}/, (h) =>
        c.pick(['f'.repeat(24), '0', 'ffffffffffffffff', `${h}${h}`]),
      );
      return { text: lines.join('\n'), what: `widen a number on line ${i + 1}` };
    case 5:
      lines[i] = `  ${lines[i]}`;
      return { text: lines.join('\n'), what: `indent line ${i + 1}` };
    case 6: {
      const j = c.int(lines.length);
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return { text: lines.join('\n'), what: `swap lines ${i + 1} and ${j + 1}` };
    }
    default:
      return { text: `${'['.repeat(c.pick([10, 300]))}${text}`, what: 'deep prefix' };
  }
}

function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(SCENARIO_DIR, f));
}

/** The commands a scenario file is given to, each quick on a small machine. */
function scenarioCommand(c: Chooser): string[] {
  return c.pick([
    ['run', '@s.json'],
    ['run', '@s.json', '--json'],
    ['pfn', c.pick(['0x1000', '0', '0x104400', '0x410000']), '--scenario', '@s.json'],
    ['compare', '@s.json'],
    ['compare', '@s.json', '--design', 'v5.4'],
    ['export', '@s.json', '--out', '@out'],
    ['usercopy', '0x100000', '4096', '--scenario', '@s.json'],
    ['explore', '@s.json', '--design', c.pick(['v5.4', 'active-bitmap']), '--max-states', '200'],
  ]);
}

function scenarioCase(c: Chooser): FuzzCase {
  const file = c.pick(scenarioNames());
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const what: string[] = [];
  for (let n = 1 + c.int(3); n > 0; n--) what.push(mutateJson(c, doc));
  return {
    kind: 'scenario',
    mutation: `${file}: ${what.join('; ')}`,
    files: { 's.json': JSON.stringify(doc, null, 1) },
    argv: scenarioCommand(c),
  };
}

/** The import inputs the fixtures hold: option -> file name inside a fixture machine. */
const IMPORT_FILES: Readonly<Record<string, string>> = {
  '--lsmem': 'lsmem.json',
  '--iomem': 'proc/iomem',
  '--zoneinfo': 'proc/zoneinfo',
};

function importCase(c: Chooser): FuzzCase {
  const machines = readdirSync(FIXTURES).filter((m) => !m.endsWith('.mjs'));
  const machine = join(FIXTURES, c.pick(machines));
  const files: Record<string, string> = {};
  const argv = ['import'];
  const what: string[] = [];
  for (const [option, name] of Object.entries(IMPORT_FILES)) {
    let text: string;
    try {
      text = readFileSync(join(machine, name), 'utf8');
    } catch {
      continue;
    }
    const local = name.replace('/', '-');
    if (c.chance(0.5)) {
      const m = mutateText(c, text);
      text = m.text;
      what.push(`${name}: ${m.what}`);
    }
    files[local] = text;
    argv.push(option, `@${local}`);
  }
  if (c.chance(0.3)) {
    files['daxctl.json'] = JSON.stringify(
      c.pick([[], [{ chardev: 'dax0.0', size: hostileValue(c) }], { deep: hostileValue(c) }]),
    );
    argv.push('--daxctl', '@daxctl.json');
    what.push('daxctl');
  }
  if (c.chance(0.3)) argv.push('--json');
  return { kind: 'import', mutation: `${machine}: ${what.join('; ') || 'as is'}`, files, argv };
}

/** Commands whose every run is quick; audit and an unbounded explore search for minutes by design. */
const COMMANDS = ['run', 'pfn', 'compare', 'designs', 'usercopy', 'export', 'import', ''];
const OPTIONS = [
  '--after',
  '--kernel',
  '--design',
  '--scenario',
  '--json',
  '--log',
  '--walker',
  '--from',
  '--max-states',
  '--seed',
  '--random',
  '--bound',
  '--out',
  '--arch',
  '--nope',
  '-h',
  '-s',
];

function argValue(c: Chooser): string {
  return c.pick([
    'dimm-hotplug',
    'pmem-shares-a-section-with-boot-ram',
    'v5.4',
    '5.4',
    '6.19',
    '7',
    '0x104400',
    ' 1',
    '',
    '-1',
    '1e9',
    '99999999999999999999',
    '0x',
    'kpageflags@0x1,0x2',
    'nope',
    '__proto__',
    'x'.repeat(c.pick([81, 10_000])),
    '1.5G',
    '@out',
  ]);
}

function argsCase(c: Chooser): FuzzCase {
  const argv = [c.pick(COMMANDS)];
  for (let n = c.int(6); n > 0; n--) argv.push(c.chance(0.5) ? c.pick(OPTIONS) : argValue(c));
  // Never the commands that start servers or guests: view, verify, capture, stress, demo.
  if (c.chance(0.2)) argv.unshift('explore', '--max-states', '200');
  return { kind: 'args', mutation: 'random command line', files: {}, argv };
}

/** The n-th case of a seeded run: the same seed and index give the same case everywhere. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const c = new Chooser((seed * 1_000_003 + index) >>> 0);
  const kind = c.int(10);
  if (kind < 5) return scenarioCase(c);
  if (kind < 8) return importCase(c);
  return argsCase(c);
}
