// An AsciiBlock's scan reads four bytes at a time: where each newline is and whether any byte is a
// control character must be exactly what a byte-by-byte look says, wherever the bytes start in
// memory (a read's Buffer can begin at any offset) and whatever they hold.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AsciiBlock, blockLines, blockText } from '../../../src/process/output/ascii-block.js';

function expected(bytes: Uint8Array): { newlines: number[]; printable: boolean } {
  const newlines: number[] = [];
  let printable = true;
  bytes.forEach((byte, index) => {
    if (byte === 0x0a) newlines.push(index);
    else if (byte !== 0x09 && (byte < 0x20 || byte === 0x7f)) printable = false;
  });
  return { newlines, printable };
}

// Mostly printable, with every kind of byte the scan sorts: LF, TAB, C0 controls, DEL, and the edges 0x1f/0x20/0x7e.
const asciiByte = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 3, arbitrary: fc.constantFrom(0x0a, 0x09) },
  { weight: 1, arbitrary: fc.constantFrom(0x00, 0x01, 0x08, 0x0b, 0x0d, 0x1b, 0x1f, 0x7f, 0x20, 0x7e) },
);

describe('AsciiBlock', () => {
  it('its scan finds every newline and any control character, at any offset and length', () => {
    fc.assert(
      fc.property(fc.array(asciiByte, { maxLength: 200 }), fc.integer({ min: 0, max: 7 }), (values, offset) => {
        const backing = Buffer.alloc(offset + values.length);
        const bytes = backing.subarray(offset);
        bytes.set(values);
        const scan = new AsciiBlock('', bytes).scan();
        assert.deepEqual({ newlines: [...scan.newlines], printable: scan.printable }, expected(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads newlines from a word whole only when they are its only control bytes: every word of LF, TAB, VT, DEL, space, `a`, at every alignment', () => {
    const kinds = [0x0a, 0x09, 0x0b, 0x7f, 0x20, 0x61];
    for (let offset = 0; offset < 4; offset++) {
      for (let pattern = 0; pattern < kinds.length ** 4; pattern++) {
        const backing = Buffer.alloc(offset + 12, 'x');
        const bytes = backing.subarray(offset);
        for (let place = 0, rest = pattern; place < 4; place++, rest = Math.floor(rest / kinds.length)) bytes[4 + place] = kinds[rest % kinds.length] as number;
        const scan = new AsciiBlock('', bytes).scan();
        assert.deepEqual({ newlines: [...scan.newlines], printable: scan.printable }, expected(bytes), `${[...bytes.subarray(4, 8)].join(',')} at offset ${offset}`);
      }
    }
  });

  it('its scan is right for any bytes, not only ASCII: a byte of 0x80 or more is neither a newline nor a control character', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(asciiByte, fc.integer({ min: 0x80, max: 0xff })), { maxLength: 64 }), fc.integer({ min: 0, max: 7 }), (values, offset) => {
        const bytes = Buffer.alloc(offset + values.length).subarray(offset);
        bytes.set(values);
        const scan = new AsciiBlock('', bytes).scan();
        assert.deepEqual({ newlines: [...scan.newlines], printable: scan.printable }, expected(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('sees a control character in any of the four bytes of a word, and DEL', () => {
    for (const control of [0x00, 0x1b, 0x07, 0x7f]) {
      for (let at = 0; at < 12; at++) {
        const bytes = Buffer.from('abcdefghijk\n', 'latin1');
        bytes[at] = control;
        assert.equal(new AsciiBlock('', bytes).scan().printable, false, `0x${control.toString(16)} at ${at}`);
      }
    }
    assert.equal(new AsciiBlock('', Buffer.from('a\tb c~\n')).scan().printable, true);
  });

  it('counts tens of thousands of short lines in one block, more than its table held (the table grows)', () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `${i % 10}\n`);
    const bytes = Buffer.from(lines.join(''));
    const { newlines } = new AsciiBlock('', bytes).scan();
    assert.deepEqual([...newlines], lines.map((_, i) => 2 * i + 1));
  });

  it('a block scanned again after another block was scanned is right: the table under its first scan was written over', () => {
    const block = new AsciiBlock('', Buffer.from('a\nbb\n'));
    assert.deepEqual([...block.scan().newlines], [1, 4]);
    new AsciiBlock('', Buffer.from('\n\n\n')).scan();
    assert.deepEqual([...block.scan().newlines], [1, 4]);
  });

  it('writes every scan into one table, reused: no table of its own per block, grown as lines come', () => {
    const first = new AsciiBlock('', Buffer.from('a\nbb\n')).scan().newlines;
    assert.deepEqual([...first], [1, 4]);
    const second = new AsciiBlock('', Buffer.from('ccc\n')).scan().newlines;
    assert.deepEqual([...second], [3]);
    assert.ok(ArrayBuffer.isView(first), 'a view of a table, not an array of its own');
    assert.equal(second.buffer, first.buffer, 'the same table under both views');
  });

  it('text() is the start and the lines joined by a newline, none after the last', () => {
    assert.equal(new AsciiBlock('ab', Buffer.from('c\nd\n')).text(), 'abc\nd');
  });

  it('a block counts and reads the same as a string block or as bytes', () => {
    // A string block has no newline after its last line: an empty one is one empty line.
    assert.deepEqual(['', 'a', 'a\nb', '\n\n'].map(blockLines), [1, 1, 2, 3]);
    const bytes = new AsciiBlock('x', Buffer.from('y\n\nz\n'));
    assert.equal(blockLines(bytes), 3);
    assert.equal(blockText(bytes), 'xy\n\nz');
    assert.equal(blockLines(blockText(bytes)), 3);
  });
});
