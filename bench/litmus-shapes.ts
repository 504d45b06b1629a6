/**
 * bench/litmus-shapes: the syntactic shapes of the kernel's own litmus tests (every declaration,
 * thread parameter, statement and final-state clause with its names and numbers abstracted, see
 * src/lkmm/shape.ts), written to test/fixtures/kernel-litmus-shapes.json. test/lkmm/herd7-shape
 * checks every test `pfnlab litmus --design --emit` writes against them. The shapes name the
 * kernel file each was first seen in; no test is copied.
 *
 * Usage: npm run shapes:litmus -- --kernel DIR [--check]
 *   DIR: a Linux source tree, or a bare git directory (read with git show HEAD:...)
 *   --check: compare with the fixture instead of writing it (exit 1 when it differs)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileWhole } from '../src/io/write-file.js';
import { shapeCatalogue } from '../src/lkmm/shape.js';
import { benchArgs, refuse } from './args.js';
import { kernelLitmusFiles } from './kernel-litmus.js';

const SHAPES_FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'kernel-litmus-shapes.json');

const args = benchArgs('litmus-shapes', { kernel: { type: 'string' }, check: { type: 'boolean' } });
const root = args.kernel;
if (!root)
  refuse('litmus-shapes', 'give --kernel DIR (a kernel tree or bare git mirror with tools/memory-model)');
if (!existsSync(root)) refuse('litmus-shapes', `${root.slice(0, 120)} does not exist`);
const files =
  kernelLitmusFiles(root) ??
  refuse('litmus-shapes', `${root.slice(0, 120)} is neither a kernel tree nor a git directory holding one`);
if (!files.length) refuse('litmus-shapes', `no litmus tests in ${root.slice(0, 120)}`);
const text = `${JSON.stringify(
  { tests: files.length, shapes: shapeCatalogue(files.map((f) => ({ path: f.path, text: f.text() }))) },
  null,
  2,
)}\n`;
if (args.check) {
  const same = existsSync(SHAPES_FIXTURE) && readFileSync(SHAPES_FIXTURE, 'utf8') === text;
  console.log(same ? `${SHAPES_FIXTURE}: current (${files.length} tests)` : `${SHAPES_FIXTURE}: differs`);
  process.exitCode = same ? 0 : 1;
} else {
  writeFileWhole(SHAPES_FIXTURE, text);
  console.log(`wrote the shapes of ${files.length} kernel litmus tests to ${SHAPES_FIXTURE}`);
}
