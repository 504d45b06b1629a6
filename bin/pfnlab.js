#!/usr/bin/env node
// The pfnlab command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
import { main, processIo } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
