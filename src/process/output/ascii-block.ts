/**
 * Complete lines of ASCII text as the bytes that were read, not decoded: what a line splitter
 * hands a block relay (`LineBlockOptions.onBlock`) for a read that is all ASCII, holds no `\r`,
 * and cannot hold a line over the limit. Its text is exactly the string block the same read would
 * have given (ASCII bytes are their own characters), but a relay that only copies lines behind a
 * prefix (subvisor's command line) never needs that string: a flood then costs no UTF-8 decoding,
 * no string per read for the collector, and one scan of the bytes. @internal
 */
export class AsciiBlock {
  /** The start of the first line, from earlier reads: ASCII, no newline; often empty. */
  readonly start: string;
  /**
   * The rest of the lines, each ending in `\n` (the last one too): ASCII only, no `\r`. A view of
   * the read's buffer, which the next read of any pipe overwrites (../output/pipe-reads.ts): valid
   * only during the call that hands the block over; whoever keeps lines copies them.
   */
  readonly bytes: Buffer;
  #scan: AsciiScan | undefined;
  /** Which scan of all made {@link AsciiBlock.#scan} was: a later one of another block wrote over its newlines. */
  #scanNumber = 0;

  constructor(start: string, bytes: Buffer) {
    this.start = start;
    this.bytes = bytes;
  }

  /** The lines joined by `\n`, none after the last: the block as a string relay would have it. */
  text(): string {
    return this.start + this.bytes.toString('latin1', 0, this.bytes.length - 1);
  }

  /** What one pass over {@link AsciiBlock.bytes} finds; done again only if another block was scanned since. */
  scan(): AsciiScan {
    if (this.#scan === undefined || this.#scanNumber !== scansMade) {
      this.#scan = scanAscii(this.bytes);
      this.#scanNumber = scansMade;
    }
    return this.#scan;
  }
}

/**
 * Complete lines handed over at once: a string of them joined by `\n` (none after the last), or
 * an {@link AsciiBlock} of the bytes they were read as. @internal
 */
export type LineBlock = string | AsciiBlock;

/** The lines of `block` joined by `\n`, none after the last. */
export function blockText(block: LineBlock): string {
  return typeof block === 'string' ? block : block.text();
}

/** How many lines `block` holds (a string's newlines plus one: its last line has none). */
export function blockLines(block: LineBlock): number {
  if (typeof block !== 'string') return block.scan().newlines.length;
  let lines = 1;
  for (let at = block.indexOf('\n'); at !== -1; at = block.indexOf('\n', at + 1)) lines++;
  return lines;
}

export interface AsciiScan {
  /**
   * The index in `bytes` of each line's `\n`, in order: as many as there are lines. A view of a
   * table every scan writes over, valid, like the block's bytes, only during the call that hands
   * the block over.
   */
  readonly newlines: Int32Array;
  /**
   * Nothing but TAB, LF and printable ASCII (0x20–0x7e) in `bytes`: no control character a
   * terminal would act on. (The block's `start` was scanned when it was read, as a string.)
   */
  readonly printable: boolean;
}

/**
 * Where every scan writes its newlines: one table, as every block's bytes are one read into the
 * one reused buffer (../output/pipe-reads.ts) and are scanned during the call that hands them
 * over. A table per scan, grown as lines came, cost `up` of 100 `seq`s a copy per growth and,
 * past 128 KiB (16 000 lines in a read), an allocation of its own in V8's large-object space each
 * time. Sized for the longest block yet (a block has no more newlines than bytes); untouched pages
 * of it cost nothing.
 */
let newlineTable = new Int32Array(16 * 1024);
/** Scans made so far: a block's cached scan is current only while no other has been made. */
let scansMade = 0;

/** The four bytes of a 32-bit word, each with its top bit set: where each byte's flag lands. */
const HIGH_BITS = 0x80808080 | 0;
const LF = 0x0a;
const TAB = 0x09;
const DEL = 0x7f;

/** Whether the last scan saw no control character but TAB and LF: its second result, without an object per scan. */
let lastScanPrintable = true;

/** The byte at the lowest address of a word is its lowest byte: where a newline's flag says its place. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Finds the newlines of ASCII `bytes` and whether any other byte is a control character (below
 * 0x20 but TAB, or DEL). The loop is its own function ({@link scanWords}), called once per block:
 * as one function with its setup, V8 compiled the loop on the fly (on-stack replacement) before
 * the code after it had ever run, and that compiled code fell back to the interpreter at the end
 * of each scan for a while: the scan of a 64 MiB flood took half again as long.
 */
function scanAscii(bytes: Buffer): AsciiScan {
  scansMade++;
  if (newlineTable.length < bytes.length) newlineTable = new Int32Array(Math.max(bytes.length, 2 * newlineTable.length));
  // Byte by byte up to a 4-byte boundary of the underlying memory, then whole words, two at a time
  // (see scanWords: an even count), then the rest.
  const head = Math.min(bytes.length, (4 - (bytes.byteOffset & 3)) & 3);
  const wordCount = ((bytes.length - head) >> 3) << 1;
  // (A view must start on a boundary even when empty.)
  const words = wordCount === 0 ? new Int32Array(0) : new Int32Array(bytes.buffer, bytes.byteOffset + head, wordCount);
  lastScanPrintable = true;
  let count = scanBytes(bytes, 0, head, newlineTable, 0);
  count = scanWords(bytes, words, head, newlineTable, count);
  count = scanBytes(bytes, head + 4 * wordCount, bytes.length, newlineTable, count);
  return { newlines: newlineTable.subarray(0, count), printable: lastScanPrintable };
}

/**
 * The scan's loop over `words` (the bytes from `head` on, four at a time; an even number of
 * words): writes the index of each newline into `newlines` from `count` on and returns the new
 * count.
 *
 * Each word is tested whole, with arithmetic that is exact for bytes below 0x80 (an AsciiBlock's):
 * adding 0x60 to such a byte sets its top bit exactly when it is 0x20 or more, adding 0x01 exactly
 * when it is DEL, and neither carries into the next byte. A word with neither kind is skipped: in
 * a flood of 100-byte lines, 24 words in 25 (a byte of 0x80 or more always shows as one or the
 * other, so such a word is never skipped). Two words are tested at once, their flags joined, and
 * a pair with nothing in it skipped with one branch: one word at a time, the scans of `up`'s 64 MiB
 * flood of `cat` took 36 ms in all, against 25 ms this way. A pair with something in it is looked
 * at a word at a time ({@link scanWord}).
 */
function scanWords(bytes: Buffer, words: Int32Array, head: number, newlines: Int32Array, count: number): number {
  // Nothing after the loop: code V8 compiles while the loop runs (on-stack replacement) would
  // fall back to the interpreter at the first code after it that had never run.
  for (let word = 0; word < words.length; word += 2) {
    const first = words[word] as number;
    const second = words[word + 1] as number;
    const flags = ~((first + 0x60606060) | 0) | ((first + 0x01010101) | 0) | ~((second + 0x60606060) | 0) | ((second + 0x01010101) | 0);
    if ((flags & HIGH_BITS) === 0) continue;
    count = scanWord(bytes, first, head + 4 * word, newlines, count);
    count = scanWord(bytes, second, head + 4 * word + 4, newlines, count);
  }
  return count;
}

/**
 * One word of {@link scanWords}, `value`, the bytes at `base`: nothing when it holds neither kind;
 * a word of ASCII whose only control bytes are newlines (found by the same exact test on the word
 * XOR 0x0a0a0a0a) has their places read from its flags; any other word, with a TAB, another
 * control byte or a byte of 0x80 or more, is looked at byte by byte, so the scan is right
 * whatever the bytes.
 */
function scanWord(bytes: Buffer, value: number, base: number, newlines: Int32Array, count: number): number {
  const printableFlags = (value + 0x60606060) | 0;
  const delFlags = (value + 0x01010101) | 0;
  if (((~printableFlags | delFlags) & HIGH_BITS) === 0) return count;
  // Its flags say each byte's kind only for ASCII without DEL, in little-endian order.
  const flagsExact = LITTLE_ENDIAN && ((value | delFlags) & HIGH_BITS) === 0;
  let newlineFlags = flagsExact ? ~(((value ^ 0x0a0a0a0a) + 0x7f7f7f7f) | 0) & HIGH_BITS : 0;
  if (flagsExact && (~printableFlags & HIGH_BITS) === newlineFlags) {
    do {
      const lowest = newlineFlags & -newlineFlags; // the flag of the byte at base + k is bit 8k + 7
      newlines[count++] = base + ((31 - Math.clz32(lowest)) >> 3);
      newlineFlags ^= lowest;
    } while (newlineFlags !== 0);
    return count;
  }
  return scanBytes(bytes, base, base + 4, newlines, count);
}

/** {@link scanWords} byte by byte, for `bytes[from, to)`; clears {@link lastScanPrintable} on a control character. */
function scanBytes(bytes: Buffer, from: number, to: number, newlines: Int32Array, count: number): number {
  for (let index = from; index < to; index++) {
    const byte = bytes[index] as number;
    if (byte >= 0x20 && byte !== DEL) continue;
    if (byte === LF) newlines[count++] = index;
    else if (byte !== TAB) lastScanPrintable = false;
  }
  return count;
}
