// replayAction() against a fake guest: the agent's requests answered from a table of sysfs files,
// so the dispatch and each action's sysfs protocol are checked without QEMU.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentResponse } from '../../src/verify/agent.js';
import type { Guest } from '../../src/verify/qemu.js';
import { type ReplayContext, replayAction } from '../../src/verify/replay-guest.js';

const MiB = 2 ** 20;

/** A guest whose sysfs is a map of files; writes to a path in `refuse` fail with that message. */
function fakeGuest(files: Map<string, string>, refuse: Map<string, string>) {
  const writes: string[] = [];
  const ok = (lines: string[] = []): AgentResponse => ({ seq: 0, rc: 0, error: '', lines });
  const fail = (error: string): AgentResponse => ({ seq: 0, rc: 1, error, lines: [] });
  const guest = {
    async request(command: string, args: readonly string[] = []): Promise<AgentResponse> {
      const [path, value] = args;
      if (command === 'read')
        return files.has(path) ? ok([files.get(path)!]) : fail('No such file or directory');
      if (command === 'exists') return files.has(path) ? ok() : fail('');
      if (command === 'write') {
        writes.push(`${path} <- ${value}`);
        const why = refuse.get(path);
        if (why) return fail(`sh: write error: ${why}`);
        files.set(path, value);
        return ok();
      }
      return fail(`unexpected ${command}`);
    },
  } as unknown as Guest;
  return { guest, writes };
}

const state = (id: number) => `/sys/devices/system/memory/memory${id}/state`;

function blocks(ids: number[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const id of ids) {
    files.set(state(id), 'offline');
    files.set(`/sys/devices/system/memory/memory${id}/valid_zones`, 'Normal');
  }
  return files;
}

describe('replayAction: one function per guest action', () => {
  it('does nothing on the guest for a model-only or not-replayable step', async () => {
    const { guest, writes } = fakeGuest(new Map(), new Map());
    const ctx: ReplayContext = { guest, blockSize: 128 * MiB, ndDevices: new Map() };
    assert.deepEqual(await replayAction(ctx, { kind: 'model-only', why: 'pin' }), {
      replayed: false,
      errno: null,
      note: 'model only (pin)',
    });
    assert.deepEqual(writes, []);
  });

  it('onlines block by block and puts the blocks already done back when the kernel refuses one', async () => {
    const { guest, writes } = fakeGuest(
      blocks([32, 33, 34]),
      new Map([[state(34), 'Device or resource busy']]),
    );
    const ctx: ReplayContext = { guest, blockSize: 128 * MiB, ndDevices: new Map() };
    const out = await replayAction(ctx, {
      kind: 'block-state',
      start: 4096 * MiB,
      size: 384 * MiB,
      value: 'online',
    });
    assert.deepEqual(out, {
      replayed: true,
      errno: 'EBUSY',
      note: 'memory34: online refused; memory33,32 put back',
    });
    assert.deepEqual(writes, [
      `${state(32)} <- online`,
      `${state(33)} <- online`,
      `${state(34)} <- online`,
      `${state(33)} <- offline`,
      `${state(32)} <- offline`,
    ]);
  });

  it('unbinds the dax device an nd-enable made, and forgets it', async () => {
    const { guest, writes } = fakeGuest(new Map([['/sys/bus/nd/drivers/dax_pmem/unbind', '']]), new Map());
    const ctx: ReplayContext = { guest, blockSize: 128 * MiB, ndDevices: new Map([['nv0', 'dax0.0']]) };
    const nvdimm = { id: 'nv0', start: 4096 * MiB, size: 256 * MiB, align: 2 * MiB };
    const out = await replayAction(ctx, { kind: 'nd-disable', nvdimm, mode: 'devdax' });
    assert.deepEqual(out, { replayed: true, errno: null, note: 'dax0.0 unbound' });
    assert.deepEqual(writes, ['/sys/bus/nd/drivers/dax_pmem/unbind <- dax0.0']);
    assert.equal(ctx.ndDevices.has('nv0'), false);
  });
});
