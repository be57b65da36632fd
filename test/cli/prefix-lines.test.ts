// Lines of a relayed block are copied behind their prefix as bytes, with no string built: the
// bytes must be exactly those of the string way (prefix + each line + newline), and nothing
// outside the room given may be touched.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { copyPrefixed, copyPrefixedAscii, prefixedAsciiLength, prefixedLength } from '../../src/cli/prefix-lines.js';
import { AsciiBlock, blockLines } from '../../src/process/output/ascii-block.js';

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
      const lines = blockLines(text);
      const length = prefixedLength(prefix, text, lines);
      const at = Math.floor(next() * 64);
      const target = Buffer.alloc(at + length + 64, 0xee);
      copyPrefixed(target, at, prefix, text, lines);
      assert.deepEqual(target.subarray(at, at + length), expected(prefix, text), `round ${round}: ${JSON.stringify(text)}`);
      assert.ok(target.subarray(0, at).every((byte) => byte === 0xee), `round ${round}: bytes before the room were written`);
      assert.ok(target.subarray(at + length).every((byte) => byte === 0xee), `round ${round}: bytes after the room were written`);
    }
  });

  test('copyPrefixedAscii gives the same bytes for the block as read (a held start, then the bytes), at any offset in memory', () => {
    const next = random(29);
    const prefixes = ['', 'cat | ', '12:00:00.000 web  | '];
    for (let round = 0; round < 2000; round++) {
      const prefix = prefixes[round % prefixes.length] as string;
      const text = block(next);
      // The start is part of the first line, held from earlier reads; the bytes hold the rest, each line with its newline.
      const firstEnd = text.indexOf('\n') === -1 ? text.length : text.indexOf('\n');
      const cut = Math.floor(next() * (firstEnd + 1));
      const offset = Math.floor(next() * 8);
      const bytes = Buffer.alloc(offset + text.length - cut + 1).subarray(offset);
      bytes.write(`${text.slice(cut)}\n`, 'latin1');
      const ascii = new AsciiBlock(text.slice(0, cut), bytes);
      const { newlines } = ascii.scan();
      const length = prefixedAsciiLength(prefix, ascii, newlines.length);
      const at = Math.floor(next() * 64);
      const target = Buffer.alloc(at + length + 64, 0xee);
      copyPrefixedAscii(target, at, prefix, ascii, newlines);
      assert.deepEqual(target.subarray(at, at + length), expected(prefix, text), `round ${round}: ${JSON.stringify(text)} cut at ${cut}`);
      assert.ok(target.subarray(0, at).every((byte) => byte === 0xee), `round ${round}: bytes before the room were written`);
      assert.ok(target.subarray(at + length).every((byte) => byte === 0xee), `round ${round}: bytes after the room were written`);
    }
  });
});
