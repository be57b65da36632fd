import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('memory stays bounded: what is held never exceeds a few times the limit', () => {
  const limit = 1024;
  const tail = new Tail(limit);
  let maxHeld = 0;
  for (let index = 0; index < 2000; index++) {
    tail.add(Buffer.alloc(1 + ((index * 7919) % 9000), 120));
    maxHeld = Math.max(maxHeld, (tail as unknown as { size: number }).size);
  }
  assert.ok(maxHeld <= 5 * limit, `held ${maxHeld} bytes for a ${limit}-byte tail`);
  // Control: a chunk far above the limit is cut down, not kept whole.
  tail.add(Buffer.alloc(100 * limit, 121));
  assert.equal((tail as unknown as { size: number }).size, limit);
});
