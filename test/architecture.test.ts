// The house's floors, held by a test. It reads the import lines of every file under src/ (type-only
// imports too: they couple rooms as much as the others) and fails on
//   - a file in a room that is on no floor (a new folder must be placed here, in FLOORS),
//   - an import from a higher floor, or from another room on the same floor,
//   - any import circle between files,
//   - a designs/ file importing the truth (model/truth.ts) or the judge (src/compare): a design
//     answers from the kernel's words alone.
// README.md's "How it is built" lists the same floors in the same order.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/**
 * Bottom to top. A room is a folder of src/ (or a file directly in src/). A file may import files
 * of its own room and of rooms on lower floors; rooms on one floor do not import each other.
 */
export const FLOORS: readonly (readonly string[])[] = [
  ['errors.ts', 'units.ts', 'random.ts'], // typed errors, units and number parsing, the seeded PRNG
  ['kernel'], // kernels as data: each behaviour with the mainline release and commit that changed it
  ['arch'], // presets, derived constants, pfn arithmetic
  ['model'], // the machine: model memory, mem_section, memmap, zones, pgmaps, the truth
  ['ops'], // kernel operations as lists of steps
  ['rcu', 'lkmm'], // RCU (liburcu's memb, deterministic and threaded); litmus tests under LKMM
  ['designs'], // the lookup designs behind one interface
  ['walkers'], // the kernel's pfn readers and the WalkerCtx they run on
  ['scenario'], // the scenario language: validation and conversion, pure (names walkers, so above them)
  ['io'], // loading scenarios; import/, export/ and capture of the kernel's formats
  ['compare'], // designs judged against the truth after every kernel step
  ['explore'], // the interleaving explorer and the audit
  ['stress', 'verify', 'bugs'], // real threads; a real kernel under QEMU; known bugs reproduced
  ['report'], // every renderer: text tables, traces, the HTML report and the map
  ['demo', 'view'], // runDemo(), the main job; the viewer's server and page
  ['cli'], // one file per command: parse, call, print
  ['index.ts'], // the package's front door
];

const SRC = resolve(import.meta.dirname, '..', 'src');
const IMPORT =
  /(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

export type Graph = ReadonlyMap<string, readonly string[]>;

/** Every .ts file under dir, relative to it, with the files it imports (relative imports only). */
export function importGraph(dir: string): Graph {
  const files: string[] = [];
  (function walk(d: string) {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) files.push(p);
    }
  })(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const targets: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      let t = resolve(dirname(f), m[1] ?? m[2]!).replace(/\.js$/, '.ts');
      if (!t.endsWith('.ts')) t = known.has(`${t}.ts`) ? `${t}.ts` : join(t, 'index.ts');
      if (known.has(t)) targets.push(relative(dir, t));
    }
    graph.set(relative(dir, f), targets);
  }
  return graph;
}

export function roomOf(file: string): string {
  return file.split('/')[0]!;
}

export function floorOf(room: string, floors: readonly (readonly string[])[] = FLOORS): number {
  return floors.findIndex((rooms) => rooms.includes(room));
}

/** Imports that go up a floor or sideways into another room of the same floor, and files on no floor. */
export function layeringProblems(graph: Graph, floors: readonly (readonly string[])[] = FLOORS): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const room = roomOf(file);
    const floor = floorOf(room, floors);
    if (floor < 0) {
      problems.push(`${file}: room '${room}' is on no floor (place it in FLOORS, test/architecture.test.ts)`);
      continue;
    }
    for (const t of targets) {
      const other = roomOf(t);
      if (other === room) continue;
      const to = floorOf(other, floors);
      if (to > floor) problems.push(`${file} imports ${t}: '${other}' is above '${room}'`);
      else if (to === floor)
        problems.push(`${file} imports ${t}: '${other}' is beside '${room}' on one floor`);
    }
  }
  return problems;
}

/** Strongly connected components of more than one file (Tarjan), each as a list of files. */
export function importCircles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) circles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

/** designs/ files that import the truth or the judge. */
export function designsReadingTheTruth(graph: Graph): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    if (roomOf(file) !== 'designs') continue;
    for (const t of targets)
      if (t === 'model/truth.ts' || roomOf(t) === 'compare') problems.push(`${file} imports ${t}`);
  }
  return problems;
}

describe('architecture: the floors of src/', () => {
  const graph = importGraph(SRC);

  it('reads a real graph (the checks below are not vacuous)', () => {
    assert.ok(graph.size > 100, `${graph.size} files`);
    assert.ok(graph.get('cli/main.ts')!.length > 5);
  });

  it('every room is on a floor and imports only its own room and lower floors', () => {
    assert.deepEqual(layeringProblems(graph), []);
  });

  it('no import circles', () => {
    assert.deepEqual(importCircles(graph), []);
  });

  it('no designs/ file imports the truth or the judge', () => {
    assert.deepEqual(designsReadingTheTruth(graph), []);
  });

  it('the checks catch what they are meant to catch', () => {
    const bad: Graph = new Map([
      ['arch/a.ts', ['model/b.ts']],
      ['model/b.ts', ['arch/a.ts']],
      ['lkmm/c.ts', ['rcu/d.ts']],
      ['rcu/d.ts', []],
      ['designs/e.ts', ['model/truth.ts']],
      ['model/truth.ts', []],
      ['nowhere/f.ts', []],
    ]);
    assert.deepEqual(layeringProblems(bad), [
      "arch/a.ts imports model/b.ts: 'model' is above 'arch'",
      "lkmm/c.ts imports rcu/d.ts: 'rcu' is beside 'lkmm' on one floor",
      "nowhere/f.ts: room 'nowhere' is on no floor (place it in FLOORS, test/architecture.test.ts)",
    ]);
    assert.deepEqual(importCircles(bad), [['arch/a.ts', 'model/b.ts']]);
    assert.deepEqual(designsReadingTheTruth(bad), ['designs/e.ts imports model/truth.ts']);
  });

  it("README's 'How it is built' lists the floors bottom to top", () => {
    const readme = readFileSync(resolve(SRC, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## How it is built'));
    const listed = [...section.matchAll(/^src\/(\S+?)\/? /gm)].map((m) => m[1]!);
    const rooms = FLOORS.flat().filter((r) => !r.endsWith('.ts'));
    assert.deepEqual(
      listed.filter((r) => rooms.includes(r)),
      rooms,
    );
  });
});
