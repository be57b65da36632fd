// The control socket's line reader on its own, over a real Unix socket: its bound, its refusal,
// and what it hands over after a line closed the connection or at the peer's end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readLines } from '../../../src/cli/control/lines.js';

const BOUNDED = { timeout: 10_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-lines-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let sockets = 0;

interface Read {
  readonly lines: string[];
  tooLong: number;
}

/**
 * A connected pair: `server` read by readLines (bound `maxBytes`, `onLine` also called), `client`
 * to write with; `ended` resolves at the reader's onEnd.
 */
async function pair(maxBytes: number, onLine: (line: string, server: Socket) => void = () => {}): Promise<{ server: Socket; client: Socket; read: Read; ended: Promise<void>; close: () => void }> {
  const path = join(scratch, `s${sockets++}`);
  const read: Read = { lines: [], tooLong: 0 };
  let ended!: () => void;
  const endedPromise = new Promise<void>((resolve) => (ended = resolve));
  const listener = createServer();
  const accepted = new Promise<Socket>((resolve) => {
    listener.once('connection', (server: Socket) => {
      listener.close();
      readLines(
        server,
        maxBytes,
        (line) => {
          read.lines.push(line);
          onLine(line, server);
        },
        () => read.tooLong++,
        () => {
          ended();
        },
      );
      resolve(server);
    });
  });
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  const client = createConnection(path);
  const server = await accepted;
  return { server, client, read, ended: endedPromise, close: () => (client.destroy(), server.destroy()) };
}

/** Waits until the server side has read `bytes` in all: the writes before are in separate chunks then. */
async function readUpTo(server: Socket, bytes: number): Promise<void> {
  while (server.bytesRead < bytes) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('a line of maxBytes is handed over; one byte more is refused once, and the socket is read no further', BOUNDED, async () => {
  const { server, client, read, close } = await pair(8);
  try {
    client.write('12345678\n');
    await readUpTo(server, 9);
    assert.deepEqual(read.lines, ['12345678']);
    assert.equal(read.tooLong, 0);
    client.write('123456789\n');
    await readUpTo(server, 19);
    assert.deepEqual(read.lines, ['12345678']);
    assert.equal(read.tooLong, 1);
    assert.equal(server.isPaused(), true, 'a peer that goes on sending is not read');
  } finally {
    close();
  }
});

test("a line may be held up to maxBytes before its newline; after the refusal past it, the peer's end hands over nothing of what was held", BOUNDED, async () => {
  const { server, client, read, ended, close } = await pair(8);
  try {
    client.write('abc');
    await readUpTo(server, 3);
    client.write('defgh');
    await readUpTo(server, 8);
    assert.equal(read.tooLong, 0, 'maxBytes held without a newline yet');
    client.write('i');
    await readUpTo(server, 9);
    assert.equal(read.tooLong, 1);
    server.resume(); // so that the end is read
    client.end();
    await ended;
    assert.deepEqual(read.lines, []);
  } finally {
    close();
  }
});

test('a last line without a newline is handed over at the end; none after a line that closed the connection', BOUNDED, async () => {
  const first = await pair(64);
  try {
    first.client.end('one\ntwo');
    await first.ended;
    assert.deepEqual(first.read.lines, ['one', 'two']);
  } finally {
    first.close();
  }
  const second = await pair(64, (_line, server) => server.destroy());
  try {
    second.client.write('one\ntwo\n');
    while (!second.server.destroyed) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(second.read.lines, ['one']);
  } finally {
    second.close();
  }
});
