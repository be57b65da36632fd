// The command line's relay takes lines in blocks (LineBlockOptions.onBlock): every line of every
// block, with the lines that still come one by one, must be exactly the lines a splitter without
// blocks gives, in order, whatever the bytes and however they are cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineSplitter, type LineBlockOptions } from '../../../src/process/output/lines.js';

function linesOf(chunks: readonly Uint8Array[], maxLineBytes: number, blocks: boolean): { lines: string[]; calls: number } {
  const lines: string[] = [];
  let calls = 0;
  const onLine = (line: string): void => {
    calls++;
    lines.push(line);
  };
  const onBlock = (block: string): void => {
    calls++;
    lines.push(...block.split('\n'));
  };
  const options: LineBlockOptions = { maxLineBytes, onBlock: blocks ? onBlock : undefined };
  const splitter = new LineSplitter(onLine, options);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, calls };
}

// Bytes that matter to the splitter: newlines, CRs, ASCII, a 2-, 3- and 4-byte character, and bytes that are not UTF-8.
const piece = fc.constantFrom(...['\n', '\r', '\r\n', 'a', 'line', 'é', '€', '😀'].map((text) => Buffer.from(text)), Buffer.from([0xff]), Buffer.from([0xc3]));
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
