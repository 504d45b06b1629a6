/**
 * The guest: qemu-system-x86_64 under TCG (KVM is not usable on this machine
 * kind), the kernel console on ttyS0 into a file, the agent on ttyS1 over a
 * unix socket, QMP on another. One request at a time to the agent.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PfnlabError } from '../errors.js';
import { AgentParser, type AgentResponse, agentRequest } from './agent.js';
import { QmpClient } from './qmp.js';

/** A device present from boot: QEMU -object/-device argument strings. */
export interface ColdDevice {
  readonly object: string;
  readonly device: string;
}

export interface QemuConfig {
  /** -m size in bytes (boot RAM). */
  readonly memory: number;
  readonly slots: number;
  /** maxmem in bytes. */
  readonly maxmem: number;
  readonly nvdimm: boolean;
  readonly devices: readonly ColdDevice[];
  /** Extra kernel command line. */
  readonly append?: string;
}

const MiB = 2 ** 20;

function mb(bytes: number): string {
  if (bytes % MiB !== 0) throw new RangeError(`${bytes} bytes is not a whole number of MiB`);
  return `${bytes / MiB}M`;
}

/** no_timer_check: a TCG guest on a loaded host fails check_timer() ("IO-APIC + timer doesn't work") and panics. */
export const KERNEL_CMDLINE =
  'console=ttyS0 panic=-1 nokaslr loglevel=4 mitigations=off tsc=reliable no_timer_check';

/** The qemu-system-x86_64 arguments (without the binary). */
export function qemuArgs(
  c: QemuConfig,
  files: { vmlinuz: string; initrd: string; console: string; agent: string; qmp: string },
): string[] {
  // Large guests: boot RAM from a backend without reservation (MAP_NORESERVE), so
  // that a 64 GiB guest starts on a smaller host; the guest touches little of it.
  const large = c.memory > 4 * 1024 * MiB;
  const machine = ['pc', c.nvdimm && 'nvdimm=on', large && 'memory-backend=pc.ram0']
    .filter(Boolean)
    .join(',');
  const args = [
    ...(large ? ['-object', `memory-backend-ram,id=pc.ram0,size=${mb(c.memory)},reserve=off`] : []),
    '-machine',
    machine,
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    `${mb(c.memory)},slots=${c.slots},maxmem=${mb(c.maxmem)}`,
    '-nodefaults',
    '-display',
    'none',
    '-monitor',
    'none',
    '-no-reboot',
    '-chardev',
    `file,id=con,path=${files.console}`,
    '-serial',
    'chardev:con',
    '-chardev',
    `socket,id=agent,path=${files.agent},server=on,wait=off`,
    '-serial',
    'chardev:agent',
    '-qmp',
    `unix:${files.qmp},server=on,wait=off`,
  ];
  for (const d of c.devices) args.push('-object', d.object, '-device', d.device);
  args.push(
    '-kernel',
    files.vmlinuz,
    '-initrd',
    files.initrd,
    '-append',
    c.append ? `${KERNEL_CMDLINE} ${c.append}` : KERNEL_CMDLINE,
  );
  return args;
}

/** The guest could not be started or stopped answering: one line, exit 2. */
export class GuestError extends PfnlabError {
  constructor(message: string) {
    super(`verify: ${message}`, undefined);
  }
}

export class Guest {
  private readonly parser = new AgentParser();
  private seq = 1;
  private waiting:
    | { seq: number; resolve: (r: AgentResponse) => void; reject: (e: Error) => void }
    | undefined;
  private exited: string | undefined;
  readonly args: string[];

  private constructor(
    private readonly proc: ChildProcess,
    private readonly agent: Socket,
    readonly qmp: QmpClient,
    readonly dir: string,
    args: string[],
  ) {
    this.args = args;
    agent.setEncoding('utf8');
    agent.on('data', (chunk: string) => {
      for (const r of this.parser.feed(chunk)) {
        if (this.waiting && r.seq === this.waiting.seq) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve(r);
        }
      }
    });
    // QEMU going away resets the socket: every pending request fails with why.
    const gone = (e?: Error) => {
      this.exited ??= `the guest's agent connection closed${e ? ` (${e.message})` : ''}`;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(new GuestError(this.exited));
    };
    agent.on('error', gone);
    agent.on('close', () => gone());
  }

  /** Start QEMU in `dir` (sockets, console log, initrd live there) and wait until the agent answers. */
  static async start(
    qemu: string,
    config: QemuConfig,
    files: { vmlinuz: string; initrd: Uint8Array },
    dir: string,
    bootTimeoutMs = 120_000,
  ): Promise<Guest> {
    mkdirSync(dir, { recursive: true });
    const initrd = join(dir, 'initrd.cpio');
    writeFileSync(initrd, files.initrd);
    const paths = {
      vmlinuz: files.vmlinuz,
      initrd,
      console: join(dir, 'console.log'),
      agent: join(dir, 'agent.sock'),
      qmp: join(dir, 'qmp.sock'),
    };
    for (const stale of [paths.agent, paths.qmp]) rmSync(stale, { force: true });
    const args = qemuArgs(config, paths);
    writeFileSync(
      join(dir, 'qemu.cmdline'),
      `${[qemu, ...args].map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`,
    );
    const proc = spawn(qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (t: string) => {
      stderr += t;
    });
    let exitNote: string | undefined;
    proc.on('exit', (code, signal) => {
      exitNote = `qemu exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`;
    });
    const deadline = Date.now() + 10_000;
    while (!(existsSync(paths.agent) && existsSync(paths.qmp))) {
      if (exitNote) throw new GuestError(exitNote);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new GuestError('qemu did not create its sockets within 10 s');
      }
      await sleep(20);
    }
    const failed = async (e: unknown): Promise<never> => {
      // Let the exit handler record QEMU's own words first.
      await sleep(300);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      if (e instanceof GuestError && !exitNote) throw e;
      throw new GuestError(`${exitNote ?? (e as Error).message} (see ${paths.console})`);
    };
    try {
      const agent = await new Promise<Socket>((resolve, reject) => {
        const s = connect(paths.agent);
        s.once('connect', () => {
          s.off('error', reject);
          // Until the Guest listens: a reset now shows up as the ping failing.
          s.on('error', () => {});
          resolve(s);
        });
        s.once('error', reject);
      });
      const qmp = await QmpClient.connect(paths.qmp);
      const guest = new Guest(proc, agent, qmp, dir, args);
      proc.on('exit', () => {
        guest.exited = exitNote ?? 'qemu exited';
      });
      // The agent reads ttyS1 only once /init has started: ping until it answers.
      const start = Date.now();
      for (;;) {
        if (guest.exited) throw new GuestError(`${guest.exited} before the agent answered`);
        if (Date.now() - start > bootTimeoutMs)
          throw new GuestError(`the guest agent did not answer within ${bootTimeoutMs / 1000} s`);
        const r = await guest.request('ping', [], 1500).catch(() => undefined);
        if (r?.lines.includes('pong')) return guest;
      }
    } catch (e) {
      return failed(e);
    }
  }

  /** Send one agent command and wait for its frame. */
  request(command: string, args: readonly string[] = [], timeoutMs = 60_000): Promise<AgentResponse> {
    if (this.exited) return Promise.reject(new GuestError(this.exited));
    const seq = this.seq++;
    const line = agentRequest(seq, command, args);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiting?.seq === seq) this.waiting = undefined;
        reject(new GuestError(`agent: no answer to '${line.trim()}' within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting = {
        seq,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.agent.write(line);
    });
  }

  /** Unsolicited lines the agent port carried. */
  get noise(): readonly string[] {
    return this.parser.noise;
  }

  async stop(): Promise<void> {
    this.qmp.close();
    this.agent.destroy();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGKILL');
      await done;
    }
  }
}
