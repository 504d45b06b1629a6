#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test through tsx (Node 20 has no glob in `node --test`).
// Extra arguments filter test files by substring: `npm test -- model` runs test files whose path has "model".
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = find('test')
  .map((f) => relative('.', f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// spec in CI logs and terminals alike: one line per test, failures with their diff. A test that
// hangs (a mkdir -p spinning, a worker never joining) fails after 10 minutes instead of holding CI.
const reporter = process.env.PFNLAB_TEST_REPORTER ?? 'spec';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-timeout=600000', `--test-reporter=${reporter}`, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
