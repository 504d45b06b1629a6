import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_INIT,
  AgentParser,
  agentRequest,
  errnoFromMessage,
  parseSnapshot,
} from '../../src/verify/agent.js';
import { inChunks } from '../helpers.js';

describe('agent protocol', () => {
  it('frames responses split anywhere, keeps noise apart', () => {
    const p = new AgentParser();
    const stream =
      'g\n2 ping\n@@READY\n@@BEGIN 3\npong\n@@END 3 0 \n@@BEGIN 4\n@@END 4 1 sh: write error: Device or resource busy\n';
    const got = inChunks(stream, 5).flatMap((c) => p.feed(c));
    assert.deepEqual(got, [
      { seq: 3, rc: 0, error: '', lines: ['pong'] },
      { seq: 4, rc: 1, error: 'sh: write error: Device or resource busy', lines: [] },
    ]);
    assert.deepEqual(p.noise, ['g', '2 ping', '@@READY']);
  });

  it('tolerates CRLF and ignores an END for another request', () => {
    const p = new AgentParser();
    assert.deepEqual(p.feed('@@BEGIN 7\r\nx\r\n@@END 6 0\r\n@@END 7 0\r\n'), [
      { seq: 7, rc: 0, error: '', lines: ['x', '@@END 6 0'] },
    ]);
  });

  it('writes one request line and refuses arguments with spaces', () => {
    assert.equal(agentRequest(5, 'write', ['/sys/x', 'online_movable']), '5 write /sys/x online_movable\n');
    assert.throws(() => agentRequest(1, 'write', ['a b']), RangeError);
    assert.throws(() => agentRequest(1, 'read', ['']), RangeError);
  });

  it('parses a snapshot into files and node links', () => {
    const s = parseSnapshot([
      '@@FILE /proc/iomem',
      '00001000-0009fbff : System RAM',
      '  01000000-01e01ef1 : Kernel code',
      '@@FILE /sys/devices/system/memory/memory32/state',
      'online',
      '@@LINK /sys/devices/system/memory/memory32/node0 ../../node/node0',
      '@@FILE /sys/devices/system/memory/memory32/valid_zones',
      'Normal Movable',
    ]);
    assert.equal(
      s.files.get('/proc/iomem'),
      '00001000-0009fbff : System RAM\n  01000000-01e01ef1 : Kernel code',
    );
    assert.equal(s.files.get('/sys/devices/system/memory/memory32/valid_zones'), 'Normal Movable');
    assert.equal(s.links.get('/sys/devices/system/memory/memory32/node0'), '../../node/node0');
  });

  it('maps strerror texts to errno names', () => {
    assert.equal(errnoFromMessage('sh: write error: Device or resource busy'), 'EBUSY');
    assert.equal(errnoFromMessage('sh: write error: Invalid argument'), 'EINVAL');
    assert.equal(errnoFromMessage('sh: write error: No such device or address'), 'ENXIO');
    assert.equal(errnoFromMessage('sh: write error: No such device'), 'ENODEV');
    assert.equal(errnoFromMessage('something else'), undefined);
  });

  it('the /init script serves every command the host sends', () => {
    for (const cmd of ['ping', 'snap', 'write', 'read', 'ls', 'wait_blocks', 'dmesg']) {
      assert.match(AGENT_INIT, new RegExp(`\\n\\s+${cmd}\\)`), cmd);
    }
    assert.match(AGENT_INIT, /stty -F \$port raw -echo/);
  });
});
