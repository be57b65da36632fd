// The batched writer copies plain ASCII into one buffer it writes again once the stream is done
// with it: text handed to the stream must never change after the fact, whether the stream lets go
// of a chunk at its callback (a file, a pipe) or passes it on as it is (a PassThrough).
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { BatchedWriter, HIGH_WATER_BYTES } from '../../src/cli/batched-writer.js';

/** `count` lines of about 100 bytes, numbered: several MiB, so the writer goes through its buffer many times. */
function lines(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${String(index).padStart(8, '0')} ${'x'.repeat(90)}\n`);
}

/** Writes `pieces` as the relay does (in blocks of 700 lines, waiting when told), then closes. */
async function writeAll(writer: BatchedWriter, pieces: readonly string[]): Promise<void> {
  for (let index = 0; index < pieces.length; index += 700) {
    const wait = writer.writeAscii([pieces.slice(index, index + 700).join('')]);
    // The next block comes in a later turn, as a child's next read does: write callbacks run between.
    await (wait ?? new Promise((resolve) => setImmediate(resolve)));
    // A status line between blocks, as text: the batch changes kind.
    if (index % 7000 === 0) void writer.write(`status ${index}\n`);
  }
  await writer.close();
}


describe('BatchedWriter', () => {
  test('a stream that reads each chunk only when it calls back late sees every byte as it was written', { timeout: 60_000 }, async () => {
    const got: Buffer[] = [];
    // Calls back a little later, and only then copies the chunk: a writer that wrote over a chunk
    // before its callback would show here.
    const slow = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        setTimeout(() => {
          got.push(Buffer.from(chunk));
          callback();
        }, 1);
      },
    });
    const pieces = lines(60_000);
    await writeAll(new BatchedWriter(slow, undefined, undefined, true), pieces);
    assert.equal(Buffer.concat(got).toString('latin1'), statusAndLines(pieces));
  });

  test('a flood written while writes are in flight cycles through a few slabs, not a new one each time one fills', { timeout: 60_000 }, async () => {
    const slabs = new Set<ArrayBufferLike>();
    let bytes = 0;
    const slow = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (chunk.byteLength > 64) slabs.add(chunk.buffer); // a slab's view (a status line is text)
        bytes += chunk.byteLength;
        setTimeout(callback, 1);
      },
    });
    const pieces = lines(120_000); // ~11 MiB: eleven slabs' worth
    await writeAll(new BatchedWriter(slow, undefined, undefined, true), pieces);
    assert.equal(bytes, Buffer.byteLength(statusAndLines(pieces)));
    assert.ok(slabs.size <= 4, `${slabs.size} slabs for ${bytes} bytes`);
  });

  test('a stream that passes chunks on as they are (a PassThrough) gets views that are never written again', { timeout: 60_000 }, async () => {
    const pass = new PassThrough({ highWaterMark: 64 * 1024 * 1024 });
    const pieces = lines(60_000);
    await writeAll(new BatchedWriter(pass, undefined, undefined, false), pieces);
    pass.end();
    const got: Buffer[] = [];
    for await (const chunk of pass) got.push(chunk as Buffer);
    assert.equal(Buffer.concat(got).toString('latin1'), statusAndLines(pieces));
  });

  test('a flood of ASCII goes out in writes of 256 KiB, and text in writes of about 64 KiB, whatever one turn brings', { timeout: 60_000 }, async () => {
    const asciiWrites: number[] = [];
    const textWrites: number[] = [];
    const recording = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        (chunk.buffer.byteLength >= 1024 * 1024 ? asciiWrites : textWrites).push(chunk.byteLength); // a slab's view, or text
        callback();
      },
    });
    const writer = new BatchedWriter(recording, undefined, undefined, true);
    const pieces = lines(20_000); // ~1.9 MiB, all in one turn, in blocks of 700 lines as reads bring them
    for (let index = 0; index < pieces.length; index += 700) void writer.writeAscii([pieces.slice(index, index + 700).join('')]);
    await writer.close();
    // A write of ASCII ends at 256 KiB or at the end of a 1 MiB slab: one system call where a
    // 64 KiB batch made four (to a file, one per read of a child's pipe).
    const total = Buffer.byteLength(pieces.join(''));
    assert.equal(asciiWrites.reduce((sum, bytes) => sum + bytes, 0), total);
    assert.ok(asciiWrites.length <= Math.ceil(total / (192 * 1024)), `ASCII writes of ${asciiWrites.join(', ')} bytes`);
    // Text is joined into one string per write: its batches stay small, out of V8's large-object space.
    for (let index = 0; index < 100; index++) void writer.write(`${'é'.repeat(10_000)}\n`);
    await writer.close();
    assert.ok(textWrites.length >= 10 && textWrites.every((bytes) => bytes <= 2 * (64 * 1024 + 10_001)), `text writes of ${textWrites.join(', ')} bytes`);
  });

  test('a full writer tells its writers to wait until the stream drains, or dies: a dead stream never holds them', { timeout: 10_000 }, async () => {
    const stuck = new Writable({ write() {} }); // takes the first chunk and never calls back
    const writer = new BatchedWriter(stuck, undefined, undefined, false);
    const wait = writer.write(`${'x'.repeat(2 * 1024 * 1024)}\n`);
    assert.ok(wait instanceof Promise, 'past its high-water mark the writer is full');
    stuck.destroy();
    await wait;
    assert.equal(writer.full, false);
    assert.equal(writer.write('more\n'), undefined);
  });

  test('a write to a stream that has ended is dropped, and neither close nor stop waits for it', { timeout: 10_000 }, async () => {
    const ended = new PassThrough();
    ended.end();
    const writer = new BatchedWriter(ended, undefined, undefined, false);
    assert.equal(writer.write('lost\n'), undefined);
    assert.equal(writer.writeAscii(['lost too\n']), undefined);
    // A chunk the stream never took would have no callback to say it is done: close and stop
    // must count it as done at once, or the last words of a run whose output went away hang it.
    await writer.close();
    await writer.stop();
  });

  test('a writer holding exactly its high-water mark is full', { timeout: 10_000 }, async () => {
    const stuck = new Writable({ write() {} }); // takes the first chunk and never calls back
    const writer = new BatchedWriter(stuck, undefined, undefined, false);
    assert.ok(writer.write('x'.repeat(HIGH_WATER_BYTES)) instanceof Promise);
    stuck.destroy();
  });

  test('stop resolves at once with no write under way, else once that write is done; nothing queued behind it is written', { timeout: 10_000 }, async () => {
    const idle = new BatchedWriter(new PassThrough(), undefined, undefined, false);
    await idle.stop();
    const got: string[] = [];
    let callBack: (() => void) | undefined;
    const held = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        got.push(chunk.toString());
        callBack = callback;
      },
    });
    const writer = new BatchedWriter(held, undefined, undefined, false);
    void writer.write('one\n');
    writer.flush();
    void writer.write('two\n');
    writer.flush();
    let stopped = false;
    const stop = writer.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, 'the first write has not called back');
    callBack?.();
    await stop;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(got, ['one\n'], 'corked: the queued write never reached the stream');
  });
});

/** What writeAll wrote: a status line before every 7000th line's block, then the lines. */
function statusAndLines(pieces: readonly string[]): string {
  let text = '';
  for (let index = 0; index < pieces.length; index += 700) {
    text += pieces.slice(index, index + 700).join('');
    if (index % 7000 === 0) text += `status ${index}\n`;
  }
  return text;
}
