import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { StringDecoder } from 'node:string_decoder';
import fc from 'fast-check';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LineSplitterOptions } from '../../../src/process/output/lines.js';

/** Feeds `chunks` one push each, then end(); returns every emitted string in order. */
function splitChunks(chunks: readonly (Uint8Array | string)[], opts?: LineSplitterOptions): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), opts);
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  splitter.end();
  return lines;
}

/** Strings are given as latin1 so each char is one byte: tests can spell invalid UTF-8 directly. */
function split(bytes: string, opts?: LineSplitterOptions): string[] {
  return splitChunks([bytes], opts);
}

function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The lines of `bytes` decoded whole: what the splitter must emit when no line is too long. */
function referenceLines(bytes: Uint8Array): string[] {
  const lines = Buffer.from(bytes).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** The pieces a line over `max` bytes must be emitted in: greedy, whole characters, longest first. */
function referencePieces(line: string, max: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const char of line) {
    if (byteLength(piece) + byteLength(char) > max) {
      pieces.push(piece);
      piece = '';
    }
    piece += char;
  }
  pieces.push(piece);
  return pieces;
}

/** Cuts `bytes` at the given offsets (any order, repeats give empty chunks). */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const offsets = cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of offsets) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/**
 * Bytes biased towards what breaks splitters: line ends, CRs, NULs, multi-byte characters (which
 * chunking then splits), invalid and truncated sequences, UTF-8-encoded surrogates.
 * `lineEndWeight` sets how often a line ends or a CR comes (against 35 for everything else), so
 * lines are short and many, or long enough to be cut while they are still arriving.
 */
function bytesAndChunks(lineEndWeight: number) {
  const token = fc.oneof(
    { weight: lineEndWeight, arbitrary: fc.constantFrom('\n', '\r', '\r\n').map(utf8) },
    { weight: 20, arbitrary: fc.constantFrom('a', 'b', ' ', '\0', 'é', '€', '😀', '\u{10FFFF}', '\uFFFD').map(utf8) },
    { weight: 10, arbitrary: fc.constantFrom('\x80', '\xBF', '\xC0', '\xC1', '\xF5', '\xFF', '\xE2\x82', '\xF0\x9F\x98', '\xED\xA0\x80', '\xC3') },
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)) },
  );
  // size 'max': fast-check's default size keeps arrays to about ten items, too short to hold
  // lines that outgrow maxLineBytes between two chunks.
  return fc
    .tuple(fc.array(token, { maxLength: 300, size: 'max' }), fc.array(fc.nat(), { maxLength: 40, size: 'max' }))
    .map(([tokens, cuts]) => {
      const bytes = Buffer.from(tokens.join(''), 'latin1');
      return { bytes, chunks: chunked(bytes, cuts) };
    });
}
const input = fc.oneof(bytesAndChunks(20), bytesAndChunks(2));

describe('LineSplitter', () => {
  it('splits on \\n only and drops exactly one \\r before it', () => {
    assert.deepEqual(split('a\nb\r\nc\rd\n\r\r\ne\r'), ['a', 'b', 'c\rd', '\r', 'e']);
  });

  it('emits empty lines, including a lone CRLF', () => {
    assert.deepEqual(split('a\n\nb\n\r\n'), ['a', '', 'b', '']);
  });

  it('keeps NUL bytes', () => {
    assert.deepEqual(split('a\0b\n\0\n'), ['a\0b', '\0']);
  });

  it('emits each line as soon as its newline arrives, not at end()', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push(Buffer.from('one\ntw'));
    assert.deepEqual(lines, ['one']);
    splitter.push(Buffer.from('o\nthr'));
    assert.deepEqual(lines, ['one', 'two']);
    splitter.end();
    assert.deepEqual(lines, ['one', 'two', 'thr']);
  });

  it('flushes the last line at end() even without a newline, and nothing when nothing is pending', () => {
    assert.deepEqual(split('a\nb'), ['a', 'b']);
    assert.deepEqual(split('a\n'), ['a']);
    assert.deepEqual(split(''), []);
    assert.deepEqual(splitChunks([]), []);
    assert.deepEqual(split('a\r'), ['a'], 'a CR before EOF is dropped like a CR before \\n');
    assert.deepEqual(split('\r'), [''], 'a lone CR is still a line');
  });

  it('end() is idempotent and push() after end() throws', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push(Buffer.from('x'));
    splitter.end();
    splitter.end();
    assert.deepEqual(lines, ['x']);
    assert.throws(() => splitter.push(Buffer.from('y')), /after end\(\)/);
  });

  it('decodes invalid bytes as U+FFFD, exactly as decoding the whole line does', () => {
    const bytes = 'ok\xFF\xC3(\xE2\x82\xED\xA0\x80\xF0\x9F\x98';
    const expected = Buffer.from(bytes, 'latin1').toString('utf8');
    assert.equal(expected, 'ok\uFFFD\uFFFD(\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD');
    assert.deepEqual(split(bytes), [expected]);
  });

  it('decodes a character split across chunks whole', () => {
    const bytes = Buffer.from('é€😀\n', 'utf8');
    const oneBytePerChunk = [...bytes].map((byte) => Uint8Array.of(byte));
    assert.deepEqual(splitChunks(oneBytePerChunk), ['é€😀']);
  });

  it('turns a character cut short by end() into U+FFFD', () => {
    assert.deepEqual(split('a\n\xF0\x9F\x98'), ['a', '\uFFFD']);
  });

  it('cuts a line over maxLineBytes into the longest whole-character pieces that fit', () => {
    assert.deepEqual(split('abcdefghij\n', { maxLineBytes: 4 }), ['abcd', 'efgh', 'ij']);
    // a + é = 3 bytes, so € (3) starts a piece; € + 😀 = 7 bytes, so 😀 (4) starts another.
    assert.deepEqual(split(utf8('aé€😀x\n'), { maxLineBytes: 4 }), ['aé', '€', '😀', 'x']);
    // 'abcd' + half a surrogate pair is the 5-unit window; the pair must stay whole.
    assert.deepEqual(split(utf8('abcd😀\n'), { maxLineBytes: 5 }), ['abcd', '😀']);
  });

  it('emits the pieces of an unfinished line while it is still arriving, so memory stays bounded', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), { maxLineBytes: 4 });
    splitter.push(Buffer.from('x'.repeat(10)));
    assert.deepEqual(lines, ['xxxx', 'xxxx']);
    splitter.end();
    assert.deepEqual(lines, ['xxxx', 'xxxx', 'xx']);
  });

  it('keeps a line of exactly maxLineBytes whole when its CRLF arrives in two chunks', () => {
    // The held '\r' may belong to a CRLF: counting it would cut 'abcd' off and leave an empty piece.
    assert.deepEqual(splitChunks(['abcd\r', '\n'], { maxLineBytes: 4 }), ['abcd']);
    assert.deepEqual(splitChunks(['abcd\r', 'e\n'], { maxLineBytes: 4 }), ['abcd', '\re']);
  });

  it(`defaults maxLineBytes to DEFAULT_MAX_LINE_BYTES (${DEFAULT_MAX_LINE_BYTES})`, () => {
    assert.equal(DEFAULT_MAX_LINE_BYTES, 1024 * 1024);
    const fits = 'x'.repeat(DEFAULT_MAX_LINE_BYTES);
    assert.deepEqual(split(`${fits}\n`).map((line) => line.length), [DEFAULT_MAX_LINE_BYTES]);
    assert.deepEqual(split(`${fits}y\n`).map((line) => line.length), [DEFAULT_MAX_LINE_BYTES, 1]);
  });

  it('refuses a maxLineBytes that is not an integer from 4 to 256 MiB', () => {
    for (const bad of [3, 0, -1, 4.5, Number.NaN, Number.POSITIVE_INFINITY, 256 * 1024 * 1024 + 1, '8']) {
      assert.throws(
        () => new LineSplitter(() => undefined, { maxLineBytes: bad as number }),
        (error: unknown) => error instanceof RangeError && /maxLineBytes must be an integer from 4/.test(error.message),
        `maxLineBytes: ${String(bad)}`,
      );
    }
    for (const good of [4, 256 * 1024 * 1024, undefined]) {
      assert.doesNotThrow(() => new LineSplitter(() => undefined, { maxLineBytes: good }));
    }
  });

  it('refuses an onLine that is not a function', () => {
    assert.throws(() => new LineSplitter(undefined as unknown as (line: string) => void), TypeError);
  });

  it('emits the lines of decoding the whole input at once, for any bytes and any chunking', () => {
    fc.assert(
      fc.property(input, ({ bytes, chunks }) => {
        // The reference itself: decoding the whole input equals decoding each line's bytes on
        // their own, since 0x0A is never inside a UTF-8 sequence and ends any incomplete one.
        const lineBytes = Buffer.from(bytes).toString('latin1').split('\n');
        if (lineBytes.at(-1) === '') lineBytes.pop();
        const eachLineDecoded = lineBytes.map((line) => Buffer.from(line, 'latin1').toString('utf8').replace(/\r$/, ''));
        assert.deepEqual(referenceLines(bytes), eachLineDecoded);
        assert.deepEqual(splitChunks(chunks), referenceLines(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('with a small maxLineBytes, emits each line as greedy whole-character pieces that fit', () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 4, max: 64 }), ({ bytes, chunks }, max) => {
        const pieces = splitChunks(chunks, { maxLineBytes: max });
        for (const piece of pieces) assert.ok(byteLength(piece) <= max, `${JSON.stringify(piece)} is over ${max} bytes`);
        // Group the pieces by the reference line they came from: concatenated they give the line
        // back, no cut produced a U+FFFD of its own, and each cut is the greedy one.
        let next = 0;
        for (const line of referenceLines(bytes)) {
          const expected = referencePieces(line, max);
          const got = pieces.slice(next, next + expected.length);
          next += expected.length;
          assert.equal(got.join(''), line);
          assert.equal(countReplacements(got.join('')), countReplacements(line));
          assert.deepEqual(got, expected);
        }
        assert.equal(next, pieces.length, 'no pieces beyond the reference lines');
      }),
      { numRuns: 3000 },
    );
  });

  it('with a small maxLineBytes, never holds more than maxLineBytes of a line between pushes (plus a possible CR)', () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 4, max: 64 }), ({ chunks }, max) => {
        const pieces: string[] = [];
        const splitter = new LineSplitter((piece) => pieces.push(piece), { maxLineBytes: max });
        const decoder = new StringDecoder('utf8');
        let decoded = '';
        for (const chunk of chunks) {
          splitter.push(chunk);
          decoded += decoder.write(chunk);
          // What the splitter still holds: the unfinished line less the pieces already emitted
          // from it (which come after the greedy pieces of every finished line).
          const finished = decoded.lastIndexOf('\n') + 1;
          const piecesOfFinished = referenceLines(Buffer.from(decoded.slice(0, finished), 'utf8'))
            .reduce((count, line) => count + referencePieces(line, max).length, 0);
          const emitted = pieces.slice(piecesOfFinished).join('');
          const held = decoded.slice(finished + emitted.length);
          const counted = held.endsWith('\r') ? held.slice(0, -1) : held;
          assert.ok(byteLength(counted) <= max, `holds ${JSON.stringify(held)}, over ${max} bytes`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('takes linear time on a single long line, whatever the chunking (control: the naive residual + chunk split)', () => {
    // 16x the input gives 16x the time if linear, 256x if quadratic. Measured on Node 20: about
    // 30x (caches and GC alone make holding 16 MiB about 2x slower per byte), and about 700x for
    // the naive split, the control that shows this probe can fail. 100 sits well between them.
    // The consumer looks at the line, as any does: a held line is handed over as a rope of its
    // pieces, which is put together (copied) at that first look, and which is part of the work.
    const splitter = (chunks: readonly Uint8Array[]): void => {
      const lines = new LineSplitter((line) => void line.charCodeAt(0), { maxLineBytes: 256 * 1024 * 1024 });
      for (const chunk of chunks) lines.push(chunk);
      lines.end();
    };
    const growth = growthOn16xInput(splitter, 1024 * 1024);
    assert.ok(growth < 100, `LineSplitter took ${growth.toFixed(1)}x as long on 16x the input`);
    const naiveGrowth = growthOn16xInput(naiveSplit, 128 * 1024);
    assert.ok(naiveGrowth > 100, `the naive split took only ${naiveGrowth.toFixed(1)}x as long on 16x the input`);
  });
});

function countReplacements(text: string): number {
  return text.split('\uFFFD').length - 1;
}

/** The classic `residual + chunk` then indexOf split: re-scans the whole held line on every chunk. */
function naiveSplit(chunks: readonly Uint8Array[]): void {
  let residual = '';
  for (const chunk of chunks) {
    const text = residual + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
    let start = 0;
    let newline: number;
    while ((newline = text.indexOf('\n', start)) !== -1) start = newline + 1;
    residual = text.slice(start);
  }
}

/**
 * How much longer `split` takes on a 16x longer single line in 4 KiB chunks (best of 5 runs each),
 * in CPU time: on a busy machine the small input's run fits in one time slice and the large one's
 * is shared out over many, so their wall times grew 30x to 170x from one run to the next.
 */
function growthOn16xInput(splitAll: (chunks: readonly Uint8Array[]) => void, smallBytes: number): number {
  const chunk = Buffer.alloc(4096, 'x');
  const best = (bytes: number): number => {
    const chunks = Array.from({ length: bytes / chunk.length }, () => chunk);
    let fastest = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 5; run++) {
      const start = process.cpuUsage();
      splitAll(chunks);
      const { user, system } = process.cpuUsage(start);
      fastest = Math.min(fastest, user + system);
    }
    return fastest;
  };
  return best(16 * smallBytes) / best(smallBytes);
}
