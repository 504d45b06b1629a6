// The front door as `npm pack` users get it: the package entry built by tsc (dist/index.js) offers
// the laboratory by name, and the README's library script runs against it as printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { scratchDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '..');

/** Every name the issue promised a library user (functions, constants and classes: types leave no trace in JS). */
const NAMES = [
  'compareScenario',
  'runWithDesigns',
  'designAnswers',
  'DESIGNS',
  'FAULT_DESIGNS',
  'designByName',
  'loadDesign',
  'CATEGORIES',
  'explore',
  'replaySchedule',
  'audit',
  'runDemo',
  'renderDemoText',
  'renderDemoHtml',
  'runStress',
  'runVerify',
  'importMachine',
  'exportMachine',
  'loadScenario',
  'startViewServer',
  'Machine',
  'runScenario',
];

/** The ```js block of the README's "As a library" section. */
function readmeScript(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## As a library'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'the README has a library script');
  return m[1]!;
}

describe('the package entry, built', () => {
  // A package tree in a scratch directory: dist/ built from src/ now, beside the package's data.
  const pkg = scratchDir('package');
  const entry = join(pkg, 'dist', 'index.js');
  before(() => {
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        join(pkg, 'dist'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    for (const d of ['schema', 'scenarios', 'package.json']) symlinkSync(join(ROOT, d), join(pkg, d));
  });

  it('exports every name of the front door', async () => {
    const api = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    const missing = NAMES.filter((n) => api[n] === undefined);
    assert.deepEqual(missing, []);
    for (const n of NAMES.filter((x) => x !== 'DESIGNS' && x !== 'FAULT_DESIGNS' && x !== 'CATEGORIES'))
      assert.equal(typeof api[n], 'function', n);
    assert.ok((api.DESIGNS as unknown[]).length >= 5);
  });

  it("runs the README's library script as printed", () => {
    const script = join(pkg, 'readme.mjs');
    writeFileSync(script, readmeScript().replace("from 'pfnlab'", `from '${pathToFileURL(entry).href}'`));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0]!, /^v5\.4 \{.*"device-as-online":\d+/);
    assert.match(lines[1]!, /^active-bitmap \{/);
    assert.doesNotMatch(lines[1]!, /device-as-online/, 'active-bitmap never calls device memory online');
    assert.match(lines[2]!, /^unsafe poisoned-deref \d+ steps$/);
  });
});
