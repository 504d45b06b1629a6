/**
 * The fuzzer's worker thread: runs cases through the CLI's main() (in process, so hundreds fit in
 * a minute), and checks that every refused kernel step of a scenario left the machine as it was.
 * The main thread watches the time and ends a worker stuck in a case.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { main } from '../../src/cli/main.js';
import { HotplugError, isPfnlabError } from '../../src/errors.js';
import { loadScenario } from '../../src/io/scenario.js';
import { applyOperation } from '../../src/ops/index.js';
import { bootScenario } from '../../src/ops/scenario-run.js';
import { fingerprint } from '../helpers.js';
import type { FuzzCase } from './cases.js';

export interface CaseOutcome {
  readonly code: number | undefined;
  readonly stdoutBytes: number;
  readonly stderr: string;
  /** What main() threw instead of returning an exit code. */
  readonly threw?: string;
  /** A refused step that changed the model. */
  readonly changed?: string;
}

/** The case's argv with "@name" as the path of that file in dir. */
function resolveArgv(c: FuzzCase, dir: string): string[] {
  return c.argv.map((a) => (a.startsWith('@') ? join(dir, a.slice(1)) : a));
}

/** Each step of the scenario applied in turn: a refused one must leave the fingerprint unchanged. */
function refusedStepsChangeNothing(path: string): string | undefined {
  let m: ReturnType<typeof bootScenario>['machine'];
  let steps: ReturnType<typeof loadScenario>['steps'];
  try {
    const s = loadScenario(path);
    steps = s.steps;
    m = bootScenario(s).machine;
  } catch (e) {
    if (isPfnlabError(e)) return undefined;
    throw e;
  }
  for (const [i, step] of steps.entries()) {
    const before = fingerprint(m);
    try {
      applyOperation(m, step);
    } catch (e) {
      if (!(e instanceof HotplugError)) return undefined;
      if (fingerprint(m) !== before)
        return `step ${i} (${step.op}) was refused (${e.message}) but changed the model`;
    }
  }
  return undefined;
}

/** Runs one case in `dir`, a scratch directory the main thread made and removes (even when it ends this worker on a timeout). */
async function runCase(c: FuzzCase, dir: string): Promise<CaseOutcome> {
  for (const [name, text] of Object.entries(c.files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  let stdoutBytes = 0;
  let stderr = '';
  let code: number | undefined;
  let threw: string | undefined;
  try {
    code = await main(resolveArgv(c, dir), {
      out: (t) => {
        stdoutBytes += t.length;
      },
      err: (t) => {
        stderr += t;
      },
      errIsTty: false,
      outIsTty: false,
    });
  } catch (e) {
    threw = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 500) : String(e);
  }
  const changed =
    c.files['s.json'] !== undefined ? refusedStepsChangeNothing(join(dir, 's.json')) : undefined;
  return { code, stdoutBytes, stderr: stderr.slice(0, 2000), threw, changed };
}

// Loaded: the main thread starts a case's clock only now, so a worker's start is never a case's time.
parentPort?.postMessage('ready');

parentPort?.on('message', async ({ c, dir }: { c: FuzzCase; dir: string }) => {
  let outcome: CaseOutcome;
  try {
    outcome = await runCase(c, dir);
  } catch (e) {
    outcome = { code: undefined, stdoutBytes: 0, stderr: '', threw: `fuzzer: ${(e as Error).stack ?? e}` };
  }
  parentPort?.postMessage(outcome);
});
