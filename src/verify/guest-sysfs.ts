/**
 * Verify's reads and writes of the guest's sysfs through the agent, and the
 * one failure they raise that is verify's own (VerifyFault), never the kernel's.
 */
import { errnoFromMessage } from './agent.js';
import type { NvdimmConfig } from './config.js';
import type { Guest } from './qemu.js';

/**
 * Verify's own failure on the guest (a wait that timed out, a shell error in
 * the agent, a missing sysfs file): never a kernel refusal. The runner
 * reports it as a verify error of the step.
 */
export class VerifyFault extends Error {
  constructor(
    message: string,
    readonly value?: unknown,
  ) {
    super(message);
    this.name = 'VerifyFault';
  }
}

export const MEMORY = '/sys/devices/system/memory';
export const ND = '/sys/bus/nd';

/**
 * A sysfs write: null when the kernel took it, the errno when it refused.
 * A file that is not there, or a shell error without a kernel errno, is
 * verify's own failure (VerifyFault).
 */
export async function write(g: Guest, path: string, value: string): Promise<string | null> {
  const r = await g.request('write', [path, value]);
  if (r.rc === 0) return null;
  if ((await g.request('exists', [path])).rc !== 0)
    throw new VerifyFault(`${path} does not exist in the guest`, path);
  const errno = errnoFromMessage(r.error);
  if (!errno)
    throw new VerifyFault(`the agent's write ${path} <- ${value} failed: ${r.error.slice(0, 200)}`, r.error);
  return errno;
}

/** Wait until the guest shows `want` memory blocks; a timeout is verify's failure. */
export async function waitBlocks(g: Guest, want: number, seconds: number): Promise<void> {
  const r = await g.request('wait_blocks', [String(want), String(seconds)], (seconds + 30) * 1000);
  if (r.rc !== 0)
    throw new VerifyFault(
      `the guest shows ${r.lines[0] ?? '?'} memory blocks after ${seconds} s, expected ${want}`,
      want,
    );
}

export async function readLine(g: Guest, path: string): Promise<string | undefined> {
  const r = await g.request('read', [path]);
  return r.rc === 0 ? r.lines[0]?.trim() : undefined;
}

export async function blockCount(g: Guest): Promise<number> {
  const r = await g.request('ls', [MEMORY]);
  return r.lines.filter((l) => /^memory\d+$/.test(l.trim())).length;
}

export function blockIdsOf(start: number, size: number, blockSize: number): number[] {
  const out: number[] = [];
  for (let a = start; a < start + size; a += blockSize) out.push(Math.floor(a / blockSize));
  return out;
}

export async function onlineBlocks(g: Guest, ids: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) if ((await readLine(g, `${MEMORY}/memory${id}/state`)) === 'online') out.push(id);
  return out;
}

/** The nd region whose resource starts at the NVDIMM's address (regionN), or undefined. */
export async function ndRegion(g: Guest, nv: NvdimmConfig): Promise<string | undefined> {
  const ls = await g.request('ls', [`${ND}/devices`]);
  for (const name of ls.lines.map((l) => l.trim()).filter((l) => /^region\d+$/.test(l))) {
    const res = await readLine(g, `${ND}/devices/${name}/resource`);
    if (res !== undefined && Number.parseInt(res, 16) === nv.start) return name;
  }
  return undefined;
}

/** The namespace nd_pmem has bound whose resource starts at `start`. */
export async function boundNamespace(g: Guest, start: number): Promise<string | undefined> {
  const ls = await g.request('ls', [`${ND}/drivers/nd_pmem`]);
  for (const ns of ls.lines.map((l) => l.trim()).filter((l) => /^namespace\d+\.\d+$/.test(l))) {
    const res = await readLine(g, `${ND}/devices/${ns}/resource`);
    if (res !== undefined && Number.parseInt(res, 16) === start) return ns;
  }
  return undefined;
}

/** A virtio-mem device's plugged size, from QEMU. */
export async function qomSize(g: Guest, id: string): Promise<number> {
  return Number(await g.qmp.execute('qom-get', { path: id, property: 'size' }));
}
