import { node } from '../../builtins.js';
import { AsciiBlock, type LineBlock } from './ascii-block.js';
import { invalidArgument, invalidState, outOfRange } from '../../caller-errors.js';
import { describe } from '../options.js';

/**
 * The default {@link LineSplitterOptions.maxLineBytes}: 1 MiB. Far above any line a person
 * reads, so real lines are never cut, yet small enough that a child writing megabytes without
 * a newline costs the parent at most about this much memory per stream.
 */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** The longest UTF-8 character; a smaller limit could not hold every character whole. */
const MIN_MAX_LINE_BYTES = 4;

/**
 * The largest accepted limit: 256 MiB. A held line is at most this many UTF-16 units plus one
 * chunk, which keeps it well under V8's longest string (about 2^29 units), so an endless line is
 * cut into pieces instead of crashing the parent with "Invalid string length".
 */
const MAX_MAX_LINE_BYTES = 256 * 1024 * 1024;

const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;
/** ASCII without a CR: held text of which a byte is a unit and no line can end in CRLF. */
// eslint-disable-next-line no-control-regex -- every ASCII byte but CR is the point
const PLAIN_ASCII_TEXT = /^[\x00-\x0c\x0e-\x7f]*$/;

// Shared because encodeInto is synchronous and keeps no state between calls.
const encoder = new TextEncoder();

/** Options of {@link LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * The most UTF-8 bytes one emitted string may hold. A longer line is emitted in several pieces,
   * each the longest run of whole characters that fits (only the last may be shorter), so memory
   * stays bounded whatever the child writes. An integer from 4 to 256 MiB.
   * Default: {@link DEFAULT_MAX_LINE_BYTES} (1 MiB).
   */
  maxLineBytes?: number | undefined;
}

/**
 * What subvisor's own command line adds to {@link LineSplitterOptions}. @internal
 */
export interface LineBlockOptions extends LineSplitterOptions {
  /**
   * Called, in place of `onLine`, with several complete lines at once, joined by `\n` (no `\n`
   * after the last): each line of a block is exactly what `onLine` would have been given. Blocks
   * are handed over when that is as cheap as it looks (the text holds no `\r`, and no line in it
   * can be too long); the other lines still go to `onLine`, in order. A relay that prefixes every
   * line can then do it in one `replaceAll` per read instead of one call per line. A read that is
   * all ASCII comes as an {@link AsciiBlock}, its bytes as read, not decoded: valid only during
   * the call (see {@link AsciiBlock.bytes}).
   */
  onBlock?: ((block: LineBlock) => void) | undefined;
}

/**
 * Splits a byte stream (a child's stdout or stderr, as chunks arrive from the pipe) into lines,
 * calling `onLine` for each one as soon as it is complete. Pure: no I/O, no timers.
 *
 * - Lines end at `\n` only; one `\r` before it is dropped (CRLF), any other `\r` is kept.
 *   Empty lines are emitted.
 * - Bytes decode as UTF-8, invalid ones as U+FFFD, exactly as decoding the whole output at once
 *   would: a character split across chunks decodes whole.
 * - {@link LineSplitter.end} emits the last line even without a trailing newline.
 * - A line over `maxLineBytes` is emitted in pieces cut on character boundaries
 *   (see {@link LineSplitterOptions.maxLineBytes}).
 *
 * Time is linear in the input whatever the line lengths and chunking.
 * An exception thrown by `onLine` propagates out of `push()`/`end()`; the lines after it in that
 * chunk are then lost.
 *
 * @example
 * ```ts
 * const lines = new LineSplitter((line) => log.io(`[web:out] ${line}`))
 * child.stdout.on('data', (chunk: Buffer) => lines.push(chunk))
 * child.stdout.on('end', () => lines.end())
 * ```
 */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #onBlock: ((block: LineBlock) => void) | undefined;
  readonly #maxLineBytes: number;
  // string_decoder rather than TextDecoder: it is what `stream.setEncoding('utf8')` uses, it
  // replaces invalid bytes exactly as whole-buffer decoding does, and on Node 20 it decodes ASCII
  // about four times faster than TextDecoder in streaming mode.
  readonly #decoder = new node.stringDecoder.StringDecoder('utf8');
  /**
   * The current line's text so far (its `\n` has not arrived), in arrival order. Kept as pieces
   * and joined once when the line ends: appending each chunk to one string would copy the line
   * again per chunk, which is quadratic on long lines.
   */
  #held: string[] = [];
  /** UTF-16 units in #held. */
  #heldUnits = 0;
  /** How many leading pieces of #held have been measured, and their UTF-16 units and UTF-8 bytes. */
  #measuredPieces = 0;
  #measuredUnits = 0;
  #measuredBytes = 0;
  /** The UTF-8 bytes of each measured piece, in step with #held. */
  #pieceBytes: number[] = [];
  /** Every piece of #held not measured yet is ASCII: its bytes are its units, no need to count. */
  #unmeasuredAscii = true;
  /** Every piece of #held is ASCII with no `\r` (true while nothing is held): its units are its bytes. */
  #heldPlainAscii = true;
  /** The decoder holds no part of a character: what it returns next is decoded from the next chunk alone. */
  #decoderClean = true;
  /** Where encodeInto writes while looking for a cut; allocated on the first over-long line. */
  #scratch: Uint8Array | undefined;
  #ended = false;

  /**
   * @param onLine Called with each line (without its `\n` or CRLF), or piece of an over-long line.
   * @param opts See {@link LineSplitterOptions}. Default `{}` (pieces of {@link DEFAULT_MAX_LINE_BYTES}, 1 MiB).
   */
  constructor(onLine: (line: string) => void, opts?: LineSplitterOptions) {
    if (typeof onLine !== 'function') {
      throw invalidArgument(`LineSplitter(onLine): onLine must be a function, got ${typeof onLine}`);
    }
    this.#onLine = onLine;
    const internal: LineBlockOptions | undefined = opts;
    this.#onBlock = internal?.onBlock;
    this.#maxLineBytes = resolveMaxLineBytes(opts?.maxLineBytes);
  }

  /** Feeds the next bytes read from the stream; emits every line they complete. */
  push(chunk: Uint8Array): void {
    if (this.#ended) throw invalidState('LineSplitter.push() called after end(): the stream has already ended');
    const cleanBefore = this.#decoderClean;
    if (cleanBefore && this.#onBlock !== undefined && this.#splitAscii(chunk, this.#onBlock)) return;
    // A chunk ending in an ASCII byte ends no character midway, so the decoder keeps nothing.
    if (chunk.length > 0) this.#decoderClean = (chunk[chunk.length - 1] as number) < 0x80;
    this.#split(this.#decoder.write(chunk), cleanBefore ? chunk : undefined);
  }

  /**
   * Hands `chunk`'s complete lines to `onBlock` as bytes, without decoding them, when that gives
   * exactly the lines decoding would: the chunk is ASCII (a vectorised check of its bytes) with no
   * `\r`, what is held is too, and no line can reach the limit (ASCII has a byte per unit, so the
   * bound is exact). The decoder holds nothing (the caller checked), and is left so. False, and
   * nothing done, otherwise.
   */
  #splitAscii(chunk: Uint8Array, onBlock: (block: AsciiBlock) => void): boolean {
    if (!this.#heldPlainAscii || this.#heldUnits + chunk.length > this.#maxLineBytes || !node.buffer.isAscii(chunk)) return false;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (bytes.indexOf(CARRIAGE_RETURN) !== -1) return false;
    const end = bytes.lastIndexOf(LINE_FEED) + 1;
    if (end > 0) onBlock(new AsciiBlock(this.#heldUnits === 0 ? '' : this.#takeHeld(''), bytes.subarray(0, end)));
    if (end < bytes.length) this.#hold(bytes.toString('latin1', end), true, true);
    return true;
  }

  /**
   * Marks the end of the stream: decodes any incomplete character left at the end as U+FFFD and
   * emits the last line if anything follows the last `\n`. Calling it again does nothing.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#split(this.#decoder.end(), undefined);
    if (this.#heldUnits > 0) this.#emitHeldLine('');
  }

  /** `source`: the chunk `text` was decoded from, when it was decoded from that chunk alone. */
  #split(text: string, source: Uint8Array | undefined): void {
    const plain = this.#plain(text);
    if (plain && this.#onBlock !== undefined) {
      this.#splitInBlock(text, this.#onBlock);
      return;
    }
    let newline = text.indexOf('\n');
    if (newline === -1) {
      // A read without a newline is a long line's: whether it is ASCII (a fast check of its bytes)
      // spares counting its UTF-8 bytes should the line reach the limit. Only here: a check of
      // every read would cost short lines more than it saves.
      if (text.length > 0) this.#hold(text, source !== undefined && node.buffer.isAscii(source));
      return;
    }
    const head = text.slice(0, newline);
    let start = newline + 1;
    if (plain) {
      // Checked once for the whole text, so each line goes straight to onLine: the per-line CR
      // and length checks of #emitLine were a third of the splitter's time on short lines.
      const onLine = this.#onLine;
      onLine(this.#heldUnits === 0 ? head : this.#takeHeld(head));
      while ((newline = text.indexOf('\n', start)) !== -1) {
        onLine(text.slice(start, newline));
        start = newline + 1;
      }
    } else {
      if (this.#heldUnits === 0) this.#emitLine(head);
      else this.#emitHeldLine(head);
      while ((newline = text.indexOf('\n', start)) !== -1) {
        this.#emitLine(text.slice(start, newline));
        start = newline + 1;
      }
    }
    if (start < text.length) this.#hold(text.slice(start));
  }

  /**
   * Whether the lines `text` completes need no check of their own: no line among them can be
   * over the limit (a UTF-16 unit is at most 3 UTF-8 bytes), and none ends in a CRLF (no `\r` in
   * the text, and the held start of a line does not end with one that this `\n` would make a
   * CRLF). They can then go out as they are, one by one or as one block.
   */
  #plain(text: string): boolean {
    if ((this.#heldUnits + text.length) * 3 > this.#maxLineBytes || text.includes('\r')) return false;
    const last = this.#held[this.#held.length - 1];
    return last === undefined || last.charCodeAt(last.length - 1) !== CARRIAGE_RETURN;
  }

  #splitInBlock(text: string, onBlock: (block: LineBlock) => void): void {
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      if (text.length > 0) this.#hold(text);
      return;
    }
    const head = text.slice(0, end);
    onBlock(this.#heldUnits === 0 ? head : this.#takeHeld(head));
    if (end + 1 < text.length) this.#hold(text.slice(end + 1));
  }

  #emitLine(line: string): void {
    const text = line.charCodeAt(line.length - 1) === CARRIAGE_RETURN ? line.slice(0, -1) : line;
    // A UTF-16 unit is at most 3 UTF-8 bytes, so this one comparison clears almost every line;
    // only a line that might be too long is measured.
    if (text.length * 3 <= this.#maxLineBytes) {
      this.#onLine(text);
      return;
    }
    this.#onLine(this.#cutWhileOver(text, Buffer.byteLength(text, 'utf8'), 0).rest);
  }

  /** Keeps the start of a line whose `\n` has not arrived, cutting pieces off it once it is too long. */
  #hold(text: string, ascii = false, plainAscii?: boolean): void {
    this.#held.push(text);
    this.#heldUnits += text.length;
    if (!ascii) this.#unmeasuredAscii = false;
    // Looked at only where blocks are taken: a decoded read's tail that is plain lets the next
    // read go as bytes again (else one `é` would keep a whole flood decoded, tail after tail).
    if (this.#onBlock !== undefined && this.#heldPlainAscii && !(plainAscii ?? PLAIN_ASCII_TEXT.test(text))) this.#heldPlainAscii = false;
    // Measured pieces count exactly, the others at the 3-bytes-per-unit bound: pieces are
    // measured only once the line might be too long, and each piece at most once.
    const max = this.#maxLineBytes;
    if (this.#measuredBytes + (this.#heldUnits - this.#measuredUnits) * 3 <= max) return;
    for (; this.#measuredPieces < this.#held.length; this.#measuredPieces++) {
      const piece = this.#held[this.#measuredPieces] ?? '';
      const pieceBytes = this.#unmeasuredAscii ? piece.length : Buffer.byteLength(piece, 'utf8');
      this.#pieceBytes.push(pieceBytes);
      this.#measuredBytes += pieceBytes;
      this.#measuredUnits += piece.length;
    }
    this.#unmeasuredAscii = true;
    // A final `\r` may be the CR of a CRLF that is about to arrive, and then it is not part of
    // the line: it does not count, so a line of exactly maxLineBytes plus CRLF stays one piece.
    const crBytes = text.charCodeAt(text.length - 1) === CARRIAGE_RETURN ? 1 : 0;
    if (this.#measuredBytes - crBytes > max) this.#cutHeld(crBytes);
  }

  /**
   * Emits pieces of the held text while it is too long, each the longest run of whole characters
   * that fits, like {@link LineSplitter.#cutWhileOver} but without joining the held strings first:
   * a piece is the `+` of whole held strings (V8 makes that a rope, copying nothing) and a slice of
   * the one where the cut falls. Joining made a flat copy of every piece, which V8 frees only at
   * its next full collection: on a 64 MiB line that doubled the peak memory.
   */
  #cutHeld(crBytes: number): void {
    const max = this.#maxLineBytes;
    const scratch = (this.#scratch ??= new Uint8Array(max));
    const held = this.#held;
    const bytes = this.#pieceBytes;
    let total = this.#measuredBytes;
    let first = 0;
    while (total - crBytes > max) {
      let piece = '';
      let pieceBytes = 0;
      while (first < held.length && pieceBytes + (bytes[first] ?? 0) <= max) {
        piece += held[first] ?? '';
        pieceBytes += bytes[first] ?? 0;
        first++;
      }
      if (pieceBytes < max && first < held.length) {
        // The same window argument as #cutWhileOver, with `room` for `max`: a window ending on a
        // lone surrogate half leaves too little room for its 3-byte U+FFFD, so it is never taken.
        const room = max - pieceBytes;
        const next = held[first] ?? '';
        const { read, written } = encoder.encodeInto(next.slice(0, room), scratch.subarray(0, room));
        piece += next.slice(0, read);
        pieceBytes += written;
        held[first] = next.slice(read);
        bytes[first] = (bytes[first] ?? 0) - written;
      }
      this.#onLine(piece);
      total -= pieceBytes;
    }
    this.#held = held.slice(first);
    this.#pieceBytes = bytes.slice(first);
    this.#heldUnits = this.#measuredUnits = this.#held.reduce((units, text) => units + text.length, 0);
    this.#measuredPieces = this.#held.length;
    this.#unmeasuredAscii = true;
    this.#measuredBytes = total;
  }

  /**
   * {@link LineSplitter.#emitLine} for a line whose start is held: the held text followed by
   * `tail`. Its CR is dropped from the last piece, before the pieces are put together: looking at
   * the last unit of the whole would flatten it, a copy of the whole line for one unit.
   */
  #emitHeldLine(tail: string): void {
    const held = this.#held;
    if (tail.length > 0) {
      held.push(tail);
      this.#unmeasuredAscii = false;
    }
    const last = held[held.length - 1] ?? '';
    const crBytes = last.charCodeAt(last.length - 1) === CARRIAGE_RETURN ? 1 : 0;
    const units = this.#heldUnits + tail.length - crBytes;
    // Measured piece by piece, as held (Buffer.byteLength of the whole would flatten it too).
    const bytes = units * 3 <= this.#maxLineBytes ? 0 : this.#heldBytes() - crBytes;
    if (crBytes === 1) held[held.length - 1] = last.slice(0, -1);
    const line = this.#takeHeld('');
    if (bytes <= this.#maxLineBytes) this.#onLine(line);
    else this.#onLine(this.#cutWhileOver(line, bytes, 0).rest);
  }

  /** The UTF-8 bytes of #held: the measured pieces' sum, and the others measured now. */
  #heldBytes(): number {
    let bytes = this.#measuredBytes;
    for (let index = this.#measuredPieces; index < this.#held.length; index++) {
      const piece = this.#held[index] ?? '';
      bytes += this.#unmeasuredAscii ? piece.length : Buffer.byteLength(piece, 'utf8');
    }
    return bytes;
  }

  /**
   * Empties #held and returns its text followed by `tail`, as a rope: `+` on long strings makes a
   * pair of references in V8, copying nothing, and the consumer's first look at the characters
   * flattens it once. A `join()` copied the line here, and a consumer that adds to it (the
   * logger's `[tag:out] ` prefix) and reads it copied it again: on a 64 MiB line, 64 MiB more at
   * the peak and a third of the time.
   */
  #takeHeld(tail: string): string {
    const held = this.#held;
    let text = held[0] ?? '';
    for (let index = 1; index < held.length; index++) text += held[index] ?? '';
    text += tail;
    this.#held = [];
    this.#pieceBytes = [];
    this.#heldUnits = this.#measuredPieces = this.#measuredUnits = this.#measuredBytes = 0;
    this.#unmeasuredAscii = true;
    this.#heldPlainAscii = true;
    return text;
  }

  /**
   * Emits the longest whole-character prefixes of `text` that fit in maxLineBytes for as long as
   * what remains, not counting its last `crBytes` bytes, is still too long; returns the remainder.
   */
  #cutWhileOver(text: string, bytes: number, crBytes: number): { rest: string; restBytes: number } {
    const max = this.#maxLineBytes;
    const scratch = (this.#scratch ??= new Uint8Array(max));
    let rest = text;
    let restBytes = bytes;
    while (restBytes - crBytes > max) {
      // A prefix of at most `max` bytes has at most `max` units, so encoding only that window keeps
      // each cut O(max) however long the line (encodeInto reads its whole source otherwise).
      // encodeInto stops before the first character that does not fit whole: that is the cut.
      // It takes at least one character, as the remainder is over max >= 4 bytes. Should the
      // window end between the halves of a surrogate pair, the lone half (a 3-byte U+FFFD to
      // encodeInto) comes after max - 1 units of at least a byte each, so it never fits either.
      const window = rest.slice(0, max);
      const { read, written } = encoder.encodeInto(window, scratch);
      this.#onLine(rest.slice(0, read));
      rest = rest.slice(read);
      restBytes -= written;
    }
    return { rest, restBytes };
  }
}

/**
 * `text` (a tail of output, already decoded) without what ends its last line, as
 * {@link LineSplitter} ends it: its `\n`, and one `\r` before it, or at the very end when no
 * `\n` follows (a progress line the process ended on). Whoever splits or shows such a tail
 * shows its last line as the relay did.
 */
export function withoutLastLineEnd(text: string): string {
  return text.replace(/\r?\n?$/, '');
}

/**
 * Checks a `maxLineBytes` option; exported so supervisors refuse a bad one before spawning.
 * `where` names the function the caller called in the message. Default `'LineSplitter'`.
 */
export function resolveMaxLineBytes(value: unknown, where = 'LineSplitter'): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_MAX_LINE_BYTES || value > MAX_MAX_LINE_BYTES) {
    throw outOfRange(
      `${where}: maxLineBytes must be an integer from ${MIN_MAX_LINE_BYTES} (the longest UTF-8 character) ` +
        `to ${MAX_MAX_LINE_BYTES} (256 MiB), got ${describe(value)}; leave it out for the default of 1 MiB`,
    );
  }
  return value;
}
