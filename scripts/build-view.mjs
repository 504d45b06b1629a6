#!/usr/bin/env node
// Builds the viewer's page (src/view/page) into dist/view-assets: the TypeScript bundled by esbuild
// into one app.js (the map drawing is src/report/map.ts, shared with the demo report), and the
// static index.html and app.css copied. `npm run build` runs it; `--out DIR` builds elsewhere (tests).
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'src', 'view', 'page');
const at = process.argv.indexOf('--out');
const out = at > 0 ? resolve(process.argv[at + 1]) : join(root, 'dist', 'view-assets');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(page, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'app.css']) copyFileSync(join(page, f), join(out, f));
