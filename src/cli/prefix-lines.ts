import type { AsciiBlock } from '../process/output/ascii-block.js';

/** The bytes {@link copyPrefixed} writes: each of the `lines` lines of `block` behind `prefix`, and a newline after each. */
export function prefixedLength(prefix: string, block: string, lines: number): number {
  return lines * prefix.length + block.length + 1;
}

/**
 * Writes the `lines` lines of `block` (joined by `\n`; it and `prefix` printable ASCII, so one byte
 * per character) into `target` from `at`, each as `prefix line\n`: {@link prefixedLength} bytes.
 * No string is built (a string per read's block, young and dead at once, was a third of the
 * collector's work in a flood): the block's bytes are copied once to the end of the room they take,
 * then each line moves from there to its place behind its prefix. A line only moves toward the
 * start, and its place ends before the next line's bytes begin.
 */
export function copyPrefixed(target: Buffer, at: number, prefix: string, block: string, lines: number): void {
  const source = at + lines * prefix.length;
  target.write(block, source, 'latin1');
  const prefixBytes = Buffer.from(prefix, 'latin1');
  let to = at;
  for (let start = 0; ; ) {
    to = putPrefix(target, to, prefixBytes);
    const newline = block.indexOf('\n', start);
    const end = newline === -1 ? block.length : newline;
    to = moveLeft(target, to, source + start, source + end);
    target[to++] = 0x0a;
    if (newline === -1) return;
    start = newline + 1;
  }
}

/** The bytes {@link copyPrefixedAscii} writes: each line of `block` behind `prefix`, with its newline. */
export function prefixedAsciiLength(prefix: string, block: AsciiBlock, lines: number): number {
  return lines * prefix.length + block.start.length + block.bytes.length;
}

/**
 * {@link copyPrefixed} for an {@link AsciiBlock} (its `start` and `prefix` printable ASCII), whose
 * newlines were found by its scan (`newlines`): its bytes are copied as they were read, with no
 * string in between, then each line moves to its place behind its prefix, as there.
 */
export function copyPrefixedAscii(target: Buffer, at: number, prefix: string, block: AsciiBlock, newlines: Int32Array): void {
  const source = at + newlines.length * prefix.length;
  const { start, bytes } = block;
  target.write(start, source, 'latin1');
  const rest = source + start.length;
  target.set(bytes, rest);
  const prefixBytes = Buffer.from(prefix, 'latin1');
  let to = at;
  let from = source;
  for (let line = 0; line < newlines.length; line++) {
    to = putPrefix(target, to, prefixBytes);
    const end = rest + (newlines[line] as number) + 1; // with its newline
    to = moveLeft(target, to, from, end);
    from = end;
  }
}

/**
 * Writes `prefix` at `to`; returns where it ends. From bytes, not the string: with `charCodeAt`
 * per byte, the copy of `up`'s 100 `seq`s (2 000 000 lines of 2 to 6 bytes) took 71 ms of its
 * profile, against 59.
 */
function putPrefix(target: Buffer, to: number, prefix: Uint8Array): number {
  for (let index = 0; index < prefix.length; index++) target[to + index] = prefix[index] as number;
  return to + prefix.length;
}

/** Below this many bytes a loop moves a line faster than a call to `copyWithin` (`seq`'s lines are 2 to 8). */
const SHORT_LINE_BYTES = 24;

/** Moves `target[from, end)` to `to` (never after `from`: a forward copy is safe); returns where it ends. */
function moveLeft(target: Buffer, to: number, from: number, end: number): number {
  const length = end - from;
  if (length >= SHORT_LINE_BYTES) target.copyWithin(to, from, end);
  else for (let index = 0; index < length; index++) target[to + index] = target[from + index] as number;
  return to + length;
}
