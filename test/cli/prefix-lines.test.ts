// Lines of a relayed block are copied behind their prefix as bytes, with no string built: the
// bytes must be exactly those of the string way (prefix + each line + newline), and nothing
// outside the room given may be touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyPrefixed, countLines, prefixedLength } from '../../src/cli/prefix-lines.js';

/** A small deterministic generator, so a failure is reproducible from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Printable ASCII with newlines (empty lines, leading and trailing ones too), as a child's block. */
function block(next: () => number): string {
  const length = Math.floor(next() * 400);
  let text = '';
  for (let index = 0; index < length; index++) {
    const roll = next();
    text += roll < 0.15 ? '\n' : roll < 0.18 ? '\t' : String.fromCharCode(0x20 + Math.floor(next() * 95));
  }
  return text;
}

function expected(prefix: string, text: string): Buffer {
  return Buffer.from(text.split('\n').map((line) => `${prefix}${line}\n`).join(''), 'latin1');
}

describe('copyPrefixed', () => {
  test('gives the bytes of prefix + line + newline for every line, and touches nothing around them', () => {
    const next = random(13);
    const prefixes = ['', 'cat | ', 'x$&y | ', '12:00:00.000 web  | ', '$'];
    for (let round = 0; round < 2000; round++) {
      const prefix = prefixes[round % prefixes.length] as string;
      const text = block(next);
      const lines = countLines(text);
      const length = prefixedLength(prefix, text, lines);
      const at = Math.floor(next() * 64);
      const target = Buffer.alloc(at + length + 64, 0xee);
      copyPrefixed(target, at, prefix, text, lines);
      assert.deepEqual(target.subarray(at, at + length), expected(prefix, text), `round ${round}: ${JSON.stringify(text)}`);
      assert.ok(target.subarray(0, at).every((byte) => byte === 0xee), `round ${round}: bytes before the room were written`);
      assert.ok(target.subarray(at + length).every((byte) => byte === 0xee), `round ${round}: bytes after the room were written`);
    }
  });

  test('countLines counts the last line without its newline, and an empty block as one empty line', () => {
    assert.equal(countLines(''), 1);
    assert.equal(countLines('a'), 1);
    assert.equal(countLines('a\nb'), 2);
    assert.equal(countLines('\n\n'), 3);
  });
});
