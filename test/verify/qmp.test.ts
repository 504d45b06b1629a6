import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { QmpClient, QmpError, QmpFramer, qmpCommand } from '../../src/verify/qmp.js';
import { inChunks, scratchDir } from '../helpers.js';

describe('QMP framing', () => {
  it('splits CRLF-separated JSON across chunk boundaries', () => {
    const f = new QmpFramer();
    const text =
      '{"QMP": {"version": {}}}\r\n{"return": {}, "id": 1}\r\n{"event": "DEVICE_DELETED", "data": {"device": "dimm1"}}\r\n';
    const got = inChunks(text, 7).flatMap((c) => f.feed(c));
    assert.equal(got.length, 3);
    assert.deepEqual(got[1], { return: {}, id: 1 });
    assert.equal(got[2].event, 'DEVICE_DELETED');
  });

  it('writes a command with its id, arguments only when given', () => {
    assert.equal(qmpCommand('qmp_capabilities', undefined, 1), '{"execute":"qmp_capabilities","id":1}\r\n');
    assert.equal(
      qmpCommand('device_del', { id: 'dimm1' }, 7),
      '{"execute":"device_del","arguments":{"id":"dimm1"},"id":7}\r\n',
    );
  });
});

/** A fake QEMU: greets, answers by id, emits an event after device_del. */
function fakeQemu(path: string): Promise<() => void> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.write('{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const msg = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (msg.execute === 'bogus') {
          s.write(
            `${JSON.stringify({ error: { class: 'CommandNotFound', desc: 'The command bogus has not been found' }, id: msg.id })}\r\n`,
          );
          continue;
        }
        // Events may come before and after the reply.
        if (msg.execute === 'device_del')
          s.write('{"event": "ACPI_DEVICE_OST", "data": {"info": {"device": "dimm1", "status": 132}}}\r\n');
        s.write(`${JSON.stringify({ return: msg.execute === 'qom-get' ? 268435456 : {}, id: msg.id })}\r\n`);
        if (msg.execute === 'device_del')
          setTimeout(() => s.write('{"event": "DEVICE_DELETED", "data": {"device": "dimm1"}}\r\n'), 20);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(path, () =>
      resolve(() => {
        for (const s of sockets) s.destroy();
        server.close();
      }),
    ),
  );
}

describe('QMP client', () => {
  it('negotiates, executes by id, rejects errors, waits for events', async () => {
    const path = join(scratchDir('qmp'), 'qmp.sock');
    const stop = await fakeQemu(path);
    const qmp = await QmpClient.connect(path);
    try {
      assert.equal(await qmp.execute('qom-get', { path: 'vm0', property: 'size' }), 268435456);
      await assert.rejects(
        qmp.execute('bogus'),
        (e) => e instanceof QmpError && e.errorClass === 'CommandNotFound',
      );
      const since = qmp.events.length;
      await qmp.execute('device_del', { id: 'dimm1' });
      const ev = await qmp.waitEvent((e) => e.event === 'DEVICE_DELETED', 2000, since);
      assert.equal(ev?.data?.device, 'dimm1');
      assert.equal(qmp.events[since].event, 'ACPI_DEVICE_OST');
      assert.equal(await qmp.waitEvent((e) => e.event === 'NEVER', 30), undefined);
    } finally {
      qmp.close();
      stop();
    }
  });
});
