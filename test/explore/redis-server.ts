// A real redis-server (Debian's, installed by npm run setup) on 127.0.0.1 and `pfnlab worker`
// processes for the distributed-exploration tests; stop() ends every process started here.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS_SERVER = '/usr/bin/redis-server';
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).href;

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** A child process and everything it printed so far (stdout and stderr). */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** Resolves once the process has printed `text` (rejects if it exits first). */
  waitFor(text: string | RegExp): Promise<string>;
}

function child(p: ChildProcess): Child {
  let seen = '';
  const collect = (b: Buffer) => {
    seen += b.toString();
  };
  p.stdout?.on('data', collect);
  p.stderr?.on('data', collect);
  return {
    process: p,
    output: () => seen,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const look = () => {
          const m = typeof text === 'string' ? (seen.includes(text) ? [text] : null) : text.exec(seen);
          if (!m) return false;
          p.stdout?.off('data', look);
          p.stderr?.off('data', look);
          resolve(m[0]);
          return true;
        };
        if (look()) return;
        p.stdout?.on('data', look);
        p.stderr?.on('data', look);
        p.once('exit', (code, signal) =>
          reject(new Error(`exited (${code ?? signal}) before '${text}': ${seen.slice(-400)}`)),
        );
      }),
  };
}

/** A redis-server on a free port of 127.0.0.1 without persistence, and workers started on it. */
export class RedisFleet {
  readonly children: Child[] = [];
  url = '';
  private dir = '';

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'pfnlab-redis-'));
    const port = await freePort();
    this.url = `redis://127.0.0.1:${port}`;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const redis = this.spawn(REDIS_SERVER, [...args, '--dir', this.dir]);
    await redis.waitFor('Ready to accept connections');
  }

  /** A `pfnlab worker --redis URL` process (through tsx), once it waits for jobs. */
  async worker(...args: string[]): Promise<Child> {
    const boot = `const m = await import(${JSON.stringify(MAIN)}); process.exitCode = await m.main(process.argv.slice(1), m.processIo());`;
    const w = this.spawn(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      boot,
      'worker',
      '--redis',
      this.url,
      '--idle-exit',
      '120',
      ...args,
    ]);
    await w.waitFor('worker: waiting for jobs');
    return w;
  }

  private spawn(command: string, args: string[]): Child {
    const c = child(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.children.push(c);
    return c;
  }

  /** Stop the workers, then Redis (SIGTERM, SIGKILL after 5 s), and delete Redis's directory. */
  async stop(): Promise<void> {
    for (const { process: c } of [...this.children].reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await once(c, 'exit');
        clearTimeout(t);
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
