/**
 * A design module's top level runs when it is imported, on pfnlab's own thread: a top-level loop
 * would hang the command, an await that never settles ends Node with exit 13 and nothing said, a
 * process.exit(7) ends it with 7. So a module is first loaded once in a child Node with a time
 * limit; only a module whose top level finishes there is imported here.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors.js';

/** How long a design module's top level may take to load (PFNLAB_DESIGN_LOAD_LIMIT_MS overrides, for tests). */
export function moduleLoadLimitMs(): number {
  return Number(process.env.PFNLAB_DESIGN_LOAD_LIMIT_MS) || 10_000;
}

/** Node's exit code when the event loop empties while a top-level await is still pending. */
const UNSETTLED_TOP_LEVEL_AWAIT = 13;

/**
 * Refuse, in one line, a module path that is no regular file or whose top level does not finish
 * loading on its own. A module whose top level throws is left to the import that follows, which
 * names the error.
 */
export function probeModuleLoad(spec: string, path: string): void {
  let regular = false;
  try {
    regular = statSync(path).isFile();
  } catch {
    throw new InputError(spec, 'cannot load design module: no such file', spec);
  }
  if (!regular) throw new InputError(spec, 'cannot load design module: not a regular file', spec);
  const limit = moduleLoadLimitMs();
  const r = spawnSync(
    process.execPath,
    // A TypeScript module needs the loader this process runs with (tsx in the tests); JavaScript loads faster without.
    [
      ...(/\.[cm]?ts$/.test(path) ? process.execArgv : []),
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(path).href)});`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: limit, killSignal: 'SIGKILL', encoding: 'utf8' },
  );
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw new InputError(
      spec,
      `cannot load design module: its top level has not finished after ${limit / 1000} s (an endless loop?)`,
      spec,
    );
  if (r.status === 0) return;
  if (r.status === UNSETTLED_TOP_LEVEL_AWAIT)
    throw new InputError(spec, 'cannot load design module: its top-level await never settles', spec);
  const threw = /Error|Exception|throw/.test(r.stderr ?? '');
  if (r.status !== null && !threw)
    throw new InputError(
      spec,
      `cannot load design module: it exits the process (code ${r.status}) while loading`,
      spec,
    );
  if (r.status === null)
    throw new InputError(spec, `cannot load design module: its loading ended by signal ${r.signal}`, spec);
}
