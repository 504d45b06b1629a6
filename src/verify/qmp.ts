/**
 * A small QMP client over a unix socket (node:net). QMP is one JSON object per
 * line: a greeting, then each command answered by {"return"} or {"error"}
 * carrying the command's "id"; events ({"event"}) may arrive at any time.
 */
import { connect, type Socket } from 'node:net';

export interface QmpEvent {
  readonly event: string;
  readonly data?: Record<string, unknown>;
  readonly timestamp?: { seconds: number; microseconds: number };
}

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

/** Splits a QMP byte stream into parsed messages (CRLF or LF separated). */
export class QmpFramer {
  private buffer = '';
  feed(chunk: string): Record<string, unknown>[] {
    this.buffer += chunk;
    const out: Record<string, unknown>[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) out.push(JSON.parse(line) as Record<string, unknown>);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }
}

/** The text of one QMP command. */
export function qmpCommand(execute: string, args: Record<string, unknown> | undefined, id: number): string {
  return `${JSON.stringify(args === undefined ? { execute, id } : { execute, arguments: args, id })}\r\n`;
}

interface Pending {
  readonly command: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class QmpClient {
  private readonly framer = new QmpFramer();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly events: QmpEvent[] = [];
  private waiters: { match: (e: QmpEvent) => boolean; resolve: (e: QmpEvent) => void }[] = [];
  private closed: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      for (const msg of this.framer.feed(chunk)) this.dispatch(msg);
    });
    const fail = (e: Error) => {
      this.closed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('QMP connection closed')));
  }

  private greeted: (() => void) | undefined;

  private dispatch(msg: Record<string, unknown>): void {
    if ('QMP' in msg) {
      this.greeted?.();
      return;
    }
    if ('event' in msg) {
      const ev = msg as unknown as QmpEvent;
      this.events.push(ev);
      const ready = this.waiters.filter((w) => w.match(ev));
      this.waiters = this.waiters.filter((w) => !w.match(ev));
      for (const w of ready) w.resolve(ev);
      return;
    }
    const id = msg.id as number | undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, err.class ?? 'GenericError', err.desc ?? ''));
    } else {
      p.resolve(msg.return);
    }
  }

  /** Connect, wait for the greeting, negotiate capabilities. */
  static async connect(path: string, timeoutMs = 10_000): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`QMP: no connection to ${path}`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const client = new QmpClient(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('QMP: no greeting')), timeoutMs);
      client.greeted = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    await client.execute('qmp_capabilities');
    return client;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(qmpCommand(command, args, id));
    });
  }

  /** The next event (after `since` events seen) matching, or undefined on timeout. */
  waitEvent(match: (e: QmpEvent) => boolean, timeoutMs: number, since = 0): Promise<QmpEvent | undefined> {
    const seen = this.events.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const w = {
        match,
        resolve: (e: QmpEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
