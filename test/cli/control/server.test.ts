// The control server's end (src/cli/control/server.ts) against a real client on a real socket:
// what it still holds for a slow reader reaches it, as long as the reader keeps taking.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serveControl } from '../../../src/cli/control/server.js';
import { PROTOCOL_VERSION, encode } from '../../../src/cli/control/protocol.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-control-server-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('at the run\'s end, a reader taking one big message slower than the stall limit (5 s) still gets all of it', { timeout: 30_000 }, async () => {
  // 2.2 MB in one message: ~6 s at 64 KB every 200 ms (less what the socket holds), so no whole
  // message is taken within 5 s, and all of it well within the 10 s a reader is given in all.
  const line = 'a'.repeat(2_200_000);
  const reply = { v: PROTOCOL_VERSION, id: 1, kind: 'lines', name: 'flood', stream: 'stdout', lines: [line] } as const;
  let sent = (): void => undefined;
  const sentOnce = new Promise<void>((resolve) => (sent = resolve));
  const control = await serveControl({
    path: join(scratch, 'control.sock'),
    ownDirectory: true,
    handle: async (_request, channel, ended) => {
      channel.send(reply);
      sent();
      // As a follow does: its reply at once, in the abort itself, before the connection is ended.
      await new Promise<void>((resolve) => {
        ended.addEventListener('abort', () => {
          channel.send({ v: PROTOCOL_VERSION, id: 1, ok: true });
          resolve();
        }, { once: true });
      });
    },
  });
  const client = connect(join(scratch, 'control.sock'));
  let received = 0;
  client.on('data', (chunk: Buffer) => {
    received += chunk.length;
    client.pause();
    setTimeout(() => client.resume(), 200);
  });
  const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
  client.write(encode({ v: PROTOCOL_VERSION, id: 1, command: 'ps' }));
  await sentOnce;
  await control.close(); // the run's end: the reply is still on its way
  await closed;
  const expected = Buffer.byteLength(encode(reply)) + Buffer.byteLength(encode({ v: PROTOCOL_VERSION, id: 1, ok: true }));
  assert.equal(received, expected, 'every byte of both messages');
});
