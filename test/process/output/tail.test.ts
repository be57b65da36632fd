import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { Tail } from '../../../src/process/output/tail.js';

/** The reference: the last `limit` bytes of everything, minus a torn character at the start. */
function expectedTail(all: Buffer, limit: number): Buffer {
  const last = all.subarray(Math.max(0, all.length - limit));
  let start = 0;
  while (start < Math.min(4, last.length) && ((last[start] as number) & 0xc0) === 0x80) start++;
  return last.subarray(start);
}

test('the tail is the last bytes of everything written, whatever the chunking', () => {
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 64 }), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), (limit, chunks) => {
      const tail = new Tail(limit);
      for (const chunk of chunks) tail.add(Buffer.from(chunk));
      assert.deepEqual(tail.bytes(), expectedTail(Buffer.concat(chunks), limit));
    }),
    { numRuns: 2000 },
  );
});

test('what it keeps is its own copy: the chunks may be views of one buffer reused read after read', () => {
  // A pipe's reads arrive as views of one reused buffer (src/process/output/pipe-reads.ts): a tail
  // that kept the views would hold the last read's bytes everywhere.
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 64 }), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 30 }), (limit, chunks) => {
      const tail = new Tail(limit);
      const reused = Buffer.alloc(300);
      for (const chunk of chunks) {
        reused.set(chunk);
        tail.add(reused.subarray(0, chunk.length));
        reused.fill(0xee);
      }
      assert.deepEqual(tail.bytes(), expectedTail(Buffer.concat(chunks), limit));
    }),
    { numRuns: 1000 },
  );
});

/** Gives `chunk` to `tail` and returns a weak reference to its memory (made here, so that no caller's variable holds it). */
function addWatched(tail: Tail, chunk: Buffer): WeakRef<ArrayBuffer> {
  tail.add(chunk);
  return new WeakRef(chunk.buffer as ArrayBuffer);
}

test('it holds no chunk it was given, so memory stays at its window whatever the chunks', async () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const limit = 1024;
  const tail = new Tail(limit);
  // Over the limit, small, at and near it, four times it: none stays (the tail used to keep the
  // last chunks as given, and one of up to four times the limit whole).
  const given = [7 * limit, 10, limit - 1, 4 * limit, limit, 3].map((size) => addWatched(tail, Buffer.alloc(size, 120 + (size % 5))));
  await setImmediate(); // a WeakRef's target lives to the end of the job that made it
  collect();
  assert.deepEqual(
    given.map((ref) => ref.deref() === undefined),
    given.map(() => true),
  );
  assert.deepEqual(tail.bytes(), Buffer.concat([Buffer.alloc(limit - 3, 120 + (limit % 5)), Buffer.alloc(3, 120 + 3)]));
});
