// The control server's end (src/cli/control/server.ts) against a real client on a real socket:
// what it still holds for a slow reader reaches it, as long as the reader keeps taking.
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveControl } from '../../../src/cli/control/server.js';
import { PROTOCOL_VERSION, encode } from '../../../src/cli/control/protocol.js';
import { waitUntil } from '../../support/processes.js';

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

test('at the run\'s end, a follower that reads nothing (suspended) but is owed nothing the kernel does not hold is closed at once, not left to the stall cut-off', { timeout: 30_000 }, async () => {
  // The stall cut-off's clock is frozen (Node's mock interval, never moved on): only the close
  // once everything is handed over can let the end finish, however slow the machine.
  mock.timers.enable({ apis: ['setInterval'] });
  const path = join(scratch, 'suspended.sock');
  let client: Socket | undefined;
  try {
    const control = await serveControl({
      path,
      ownDirectory: true,
      handle: async (_request, channel, ended) => {
        channel.send({ v: PROTOCOL_VERSION, id: 1, kind: 'lines', name: 'a', stream: 'stdout', lines: ['hi'] });
        // As a follow does: its last reply in the abort itself.
        await new Promise<void>((resolve) => {
          ended.addEventListener('abort', () => {
            channel.send({ v: PROTOCOL_VERSION, id: 1, ok: true });
            resolve();
          }, { once: true });
        });
      },
    });
    const connected = connect(path);
    client = connected;
    let received = '';
    const firstLine = new Promise<void>((resolve) => connected.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      // Suspended: it takes nothing more, and never closes its side.
      if (!received.includes('\n')) return;
      connected.pause();
      resolve();
    }));
    connected.write(encode({ v: PROTOCOL_VERSION, id: 1, command: 'logs', names: [], lines: 10, follow: true }));
    await firstLine;
    const closed = await Promise.race([control.close().then(() => true), sleep(15_000, false, { ref: false })]);
    assert.ok(closed, 'the run\'s end waited for a suspended follower that was owed nothing');
    // Resumed, it reads the rest from the socket's queue, and the end.
    const ended = once(connected, 'end');
    connected.resume();
    await ended;
    assert.match(received, /"ok":true/);
  } finally {
    mock.timers.reset();
    client?.destroy();
  }
});

/** A server whose every request is answered with `replyBytes` of lines, then ok; `begun()` counts the requests begun. */
async function bigReplyServer(name: string, replyBytes: number): Promise<{ path: string; control: Awaited<ReturnType<typeof serveControl>>; begun: () => number }> {
  const text = 'x'.repeat(replyBytes);
  let begun = 0;
  const path = join(scratch, name);
  const control = await serveControl({
    path,
    ownDirectory: true,
    handle: (request, channel) => {
      begun++;
      channel.send({ v: PROTOCOL_VERSION, id: request.id, kind: 'lines', name: 'big', stream: 'stdout', lines: [text] });
      channel.send({ v: PROTOCOL_VERSION, id: request.id, ok: true });
      return Promise.resolve();
    },
  });
  return { path, control, begun: () => begun };
}

/** A client that sends `count` requests at once and ends what it sends, reading nothing yet. */
async function pipelinedClient(path: string, count: number): Promise<Socket> {
  const client = connect(path);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  client.pause();
  client.end(Array.from({ length: count }, (_, id) => encode({ v: PROTOCOL_VERSION, id, command: 'ps' })).join(''));
  return client;
}

/**
 * Reads `client` to its end; how many replies said ok. Counted as they pass, with a carry for one
 * cut in two: holding hundreds of MB of replies would be the test's own leak.
 */
async function okRepliesOf(client: Socket): Promise<number> {
  const done = '"ok":true';
  let carry = '';
  let answered = 0;
  client.setEncoding('utf8').on('data', (chunk: string) => {
    const text = carry + chunk;
    answered += text.split(done).length - 1;
    carry = text.slice(-(done.length - 1));
  });
  client.resume();
  await new Promise<void>((resolve) => client.on('close', () => resolve()));
  return answered;
}

// 100 replies of 1.5 MB, each past the 1 MiB a connection may have unsent: answered all at once,
// 150 MB would be held for a client that reads nothing (it was 1.9 GB for 600 of 3 MB, and seconds
// of the event loop). 300 of 3 MB took 15-60 s on a loaded machine, past this test's bound.
test('a client that sends 100 requests at once and reads no reply gets them answered only as it takes the replies, and then every one', { timeout: 60_000 }, async () => {
  const { path, control, begun } = await bigReplyServer('pipelined.sock', 1_500_000);
  try {
    const client = await pipelinedClient(path, 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(begun() <= 2, `${begun()} of 100 requests answered for a client that took no reply`);
    assert.equal(await okRepliesOf(client), 100, 'every request answered once the client reads');
    assert.equal(begun(), 100);
  } finally {
    await control.close();
  }
});

test('a client that goes away with requests waiting: its queries are not answered to no one (each logs reads the whole ring), its actions are still done', { timeout: 30_000 }, async () => {
  const begun: string[] = [];
  const path = join(scratch, 'gone.sock');
  const text = 'x'.repeat(3_000_000);
  const control = await serveControl({
    path,
    ownDirectory: true,
    handle: (request, channel) => {
      begun.push(request.command);
      channel.send({ v: PROTOCOL_VERSION, id: request.id, kind: 'lines', name: 'big', stream: 'stdout', lines: [text] });
      channel.send({ v: PROTOCOL_VERSION, id: request.id, ok: true });
      return Promise.resolve();
    },
  });
  try {
    const client = connect(path);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.pause();
    const queries = Array.from({ length: 300 }, (_, id) => encode({ v: PROTOCOL_VERSION, id, command: 'logs', names: [], lines: 1000, follow: false }));
    client.write([...queries, encode({ v: PROTOCOL_VERSION, id: 300, command: 'restart', names: ['web'] })].join(''));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(begun.length <= 2, `control: ${begun.length} of 301 begun for a client that reads nothing`);
    const waitedFor = begun.length;
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(begun.slice(waitedFor), ['restart'], 'only the action is begun once the client has gone');
  } finally {
    await control.close();
  }
});

test('a follow whose client has gone (Ctrl-C) frees its connection though nothing is sent to it; one whose client only ended its requests (nc -N) goes on', { timeout: 30_000 }, async () => {
  // Each follow here waits for its connection's end, as a `logs -f` of a quiet process does: its
  // client's going was seen only at the next line sent, so each held one of the 256 connections.
  const freed: string[] = [];
  let begun = 0;
  const control = await serveControl({
    path: join(scratch, 'follow-gone.sock'),
    ownDirectory: true,
    handle: (request, _channel, ended) => {
      begun++;
      return new Promise<void>((resolve) => ended.addEventListener('abort', () => resolve(void freed.push(String(request.id))), { once: true }));
    },
  });
  try {
    const follow = async (id: number): Promise<Socket> => {
      const client = connect(join(scratch, 'follow-gone.sock'));
      client.on('error', () => undefined).resume();
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      client.write(encode({ v: PROTOCOL_VERSION, id, command: 'logs', names: [], lines: 0, follow: true }));
      while (begun < id) await new Promise((resolve) => setTimeout(resolve, 10));
      return client;
    };
    (await follow(1)).destroy();
    const halfClosed = await follow(2);
    halfClosed.end();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(freed, ['1'], 'the gone client\'s follow ends, the half-closed one\'s goes on');
    halfClosed.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(freed, ['1', '2'], 'and ends once that client goes too');
  } finally {
    await control.close();
  }
});
test('at the run\'s end, requests still waiting for a client that read nothing are answered too: it gets every reply', { timeout: 30_000 }, async () => {
  const { path, control, begun } = await bigReplyServer('ending.sock', 2_000_000);
  const client = await pipelinedClient(path, 5);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(begun() < 5, `control: ${begun()} of 5 begun before the end, the others wait for the client`);
  const closing = control.close(); // the run's end, the client still reading nothing
  assert.equal(await okRepliesOf(client), 5, 'every request answered');
  await closing;
});

test('at the run\'s end, requests waiting for a client that reads nothing are begun only as it takes the replies, and dropped with it at the stall cut-off', { timeout: 30_000 }, async () => {
  // 3 MB per reply, as a `logs` of a few chatty processes: begun all at once, 60 MB held for a
  // client that reads nothing (a `logs` of a full ring is 64 MiB: 20 of them held 1.3 GB).
  const { path, control, begun } = await bigReplyServer('ending-stalled.sock', 3_000_000);
  const client = await pipelinedClient(path, 20);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const before = begun();
  assert.ok(before <= 2, `control: ${before} of 20 begun before the end, the others wait for the client`);
  const closing = control.close(); // the run's end, the client still reading nothing
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(begun(), before, 'nothing more begun at the end for a client that takes nothing');
  await closing; // cut off once it has taken nothing for the stall limit
  assert.equal(begun(), before, 'nor once it is cut off');
  client.destroy();
});

// 3 MiB as 1 000 requests of 3 KB (a `ps` of 300 names), each answered with 10 KB: the same bytes
// as 87 000 bare `ps`, whose answers took 7 s of CPU and 50 s on a loaded machine, past the bound.
test('a client that writes 3 MiB of requests before it reads: the run stops reading past 1 MiB of waiting ones, and once it reads, every one is answered (no deadlock)', { timeout: 60_000 }, async () => {
  const { path, control, begun } = await bigReplyServer('many.sock', 10_000);
  // The sign that the run stopped reading: it pauses its end of the connection (a time waited
  // would pass on a run that reads on, only slower than the test's wait on a loaded machine).
  const pause = mock.method(Socket.prototype, 'pause');
  try {
    const names = Array.from({ length: 300 }, (_, n) => `web-${n}`);
    const request = encode({ v: PROTOCOL_VERSION, id: 1, command: 'ps', names });
    const count = Math.ceil((3 * 1024 * 1024) / Buffer.byteLength(request));
    const client = connect(path);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.pause();
    client.end(request.repeat(count));
    await waitUntil(() => pause.mock.calls.some((call) => call.this !== client), 'the run to stop reading the client\'s requests', 30_000);
    assert.ok(begun() < count, `${begun()} of ${count} begun for a client that reads nothing`);
    assert.ok(client.writableLength > 0, 'the run stopped reading before the end: part of what the client wrote is still with it');
    assert.equal(await okRepliesOf(client), count, 'every request answered once the client reads');
  } finally {
    pause.mock.restore();
    await control.close();
  }
});

test('a connection that sends no request within the first-request timeout is told so and closed; one that has sent a request may then stay silent', { timeout: 30_000 }, async () => {
  const path = join(scratch, 'silent.sock');
  const control = await serveControl({
    path,
    ownDirectory: true,
    firstRequestTimeoutMs: 300,
    handle: (request, channel) => {
      channel.send({ v: PROTOCOL_VERSION, id: request.id, ok: true });
      return Promise.resolve();
    },
  });
  try {
    const silent = connect(path);
    let said = '';
    silent.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const spoke = connect(path);
    let answered = '';
    spoke.on('data', (chunk: Buffer) => (answered += chunk.toString()));
    let spokeClosed = false;
    spoke.on('close', () => (spokeClosed = true));
    spoke.write(encode({ v: PROTOCOL_VERSION, id: 7, command: 'ps' }));
    // Closed by the run, which says why: nothing here ends it.
    const closed = await new Promise<boolean>((resolve) => {
      silent.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    assert.ok(closed, 'the silent connection was still open 5 s on');
    const reply = JSON.parse(said) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'ERR_SUBVISOR_REQUEST_TIMEOUT');
    assert.match(reply.error.message, /no request came within 300 ms of connecting/);
    // The control: the client that sent its request is still connected, three timeouts on.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(spokeClosed, false);
    assert.equal((JSON.parse(answered) as { id: number }).id, 7);
    spoke.destroy();
    silent.destroy();
  } finally {
    await control.close();
  }
});

test('the socket is owner-only (0600) from the moment it exists, whatever the umask: not only once it is chmod-ed', { timeout: 30_000 }, async () => {
  // The kernel checks a socket's mode at connect only: a connection another user made in the
  // moment between listen and chmod (a --socket in /tmp, a umask of 0) would be served for good.
  const dir = mkdtempSync(join(scratch, 'umask-'));
  const path = join(dir, 'run.sock');
  const chmodSync = fs.chmodSync.bind(fs);
  const seen: number[] = [];
  const spy = mock.method(fs, 'chmodSync', (target: fs.PathLike, mode: fs.Mode) => {
    if (target === path) seen.push(fs.lstatSync(path).mode & 0o777);
    chmodSync(target, mode);
  });
  const umask = process.umask(0);
  let control: Awaited<ReturnType<typeof serveControl>> | undefined;
  try {
    control = await serveControl({ path, ownDirectory: false, handle: () => Promise.resolve() });
  } finally {
    process.umask(umask);
    spy.mock.restore();
  }
  try {
    // The control: the spy did see the socket before its chmod.
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.toString(8), '600');
    assert.equal((fs.lstatSync(path).mode & 0o777).toString(8), '600');
  } finally {
    await control.close();
  }
});
