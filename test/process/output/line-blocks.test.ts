// The command line's relay takes lines in blocks (LineBlockOptions.onBlock): every line of every
// block, with the lines that still come one by one, must be exactly the lines a splitter without
// blocks gives, in order, whatever the bytes and however they are cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { blockText, type AsciiBlock, type LineBlock } from '../../../src/process/output/ascii-block.js';
import { LineSplitter, type LineBlockOptions } from '../../../src/process/output/lines.js';

function linesOf(chunks: readonly Uint8Array[], maxLineBytes: number, blocks: boolean): { lines: string[]; calls: number } {
  const lines: string[] = [];
  let calls = 0;
  const onLine = (line: string): void => {
    calls++;
    lines.push(line);
  };
  const onBlock = (block: LineBlock): void => {
    calls++;
    if (typeof block !== 'string') {
      // Its bytes as read: whole ASCII lines, each with its newline, none with a CR, behind a start without one.
      assert.equal(block.bytes.at(-1), 0x0a);
      assert.ok(!/[\n\r]/.test(block.start) && !block.bytes.includes(0x0d) && block.bytes.every((byte) => byte < 0x80));
    }
    lines.push(...blockText(block).split('\n'));
  };
  const options: LineBlockOptions = { maxLineBytes, onBlock: blocks ? onBlock : undefined };
  const splitter = new LineSplitter(onLine, options);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, calls };
}

// Bytes that matter to the splitter: newlines, CRs, ASCII, a 2-, 3- and 4-byte character, and bytes that are not UTF-8.
// ASCII alone is most of what comes: its reads take the way of bytes (AsciiBlock).
const piece = fc.oneof(
  fc.constantFrom(...['\n', '\r', '\r\n', 'a', 'line', 'é', '€', '😀'].map((text) => Buffer.from(text)), Buffer.from([0xff]), Buffer.from([0xc3])),
  fc.constantFrom(...['\n', 'a', 'line', 'x\ty', '\x1b[1m', '\x7f'].map((text) => Buffer.from(text))),
);
const chunks = fc.array(
  fc.array(piece, { maxLength: 30 }).map((parts) => Buffer.concat(parts)),
  { maxLength: 12 },
);

describe('LineSplitter in blocks', () => {
  it('gives exactly the lines it gives without blocks, for any bytes, cuts and line limit', () => {
    fc.assert(
      fc.property(chunks, fc.integer({ min: 4, max: 64 }), (input, maxLineBytes) => {
        assert.deepEqual(linesOf(input, maxLineBytes, true).lines, linesOf(input, maxLineBytes, false).lines);
      }),
      { numRuns: 2000 },
    );
  });

  it('hands an ASCII read over as the bytes it was read as, with a held start, and its text is the lines', () => {
    const blocks: LineBlock[] = [];
    const splitter = new LineSplitter(() => assert.fail('no line goes alone'), { onBlock: (block) => blocks.push(block) } as LineBlockOptions);
    const second = Buffer.from('ne two\nthree\n');
    splitter.push(Buffer.from('one\ntwo\nli'));
    splitter.push(second);
    splitter.end();
    assert.equal(blocks.length, 2);
    const [first, next] = blocks as [AsciiBlock, AsciiBlock];
    assert.equal(typeof first, 'object');
    assert.deepEqual([first.start, first.bytes.toString('latin1'), first.text()], ['', 'one\ntwo\n', 'one\ntwo']);
    assert.deepEqual([next.start, next.text()], ['li', 'line two\nthree']);
    assert.equal(next.bytes.buffer, second.buffer, 'the bytes are the read itself, not a copy');
  });

  it('goes back to bytes after a read that had to be decoded (a non-ASCII or CRLF line cut by the read)', () => {
    for (const first of ['héllo\nwor', 'hello\r\nwor']) {
      const kinds: string[] = [];
      const splitter = new LineSplitter(() => kinds.push('line'), { onBlock: (block) => kinds.push(typeof block) } as LineBlockOptions);
      splitter.push(Buffer.from(first));
      for (let read = 0; read < 4; read++) splitter.push(Buffer.from('ld and more\nanother line\nwor'));
      splitter.end();
      // The first read is decoded; every read after it, its held tail plain ASCII, comes as bytes.
      assert.deepEqual(kinds.slice(1, 5), ['object', 'object', 'object', 'object'], `${JSON.stringify(first)}: ${kinds.join(' ')}`);
    }
  });

  it('hands a read of plain lines over in one call (the point of blocks)', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const input = [Buffer.from(text.slice(0, 1234)), Buffer.from(`${text.slice(1234)}\n`)];
    const { lines, calls } = linesOf(input, 1024 * 1024, true);
    assert.equal(lines.length, 500);
    assert.ok(calls <= 3, `${calls} calls for 500 lines in two reads`);
  });

  it('a CRLF split across reads, a line held across reads and an over-long line still come out as without blocks', () => {
    const cases: string[][] = [
      ['one\r', '\ntwo\r\n'],
      ['abc', 'def\nghi', 'jkl\n'],
      ['x'.repeat(50), 'y'.repeat(50), '\nz\n'],
    ];
    for (const parts of cases) {
      const input = parts.map((part) => Buffer.from(part));
      assert.deepEqual(linesOf(input, 40, true).lines, linesOf(input, 40, false).lines, JSON.stringify(parts));
    }
  });
});
