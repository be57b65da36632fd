/** How much of a child's stderr a supervised failure carries: enough for a traceback, bounded. */
export const TAIL_BYTES = 16 * 1024;

/**
 * Keeps the last `limitBytes` bytes of a stream in O(limit) memory whatever the child writes
 * (50 MiB of stderr before a failure must not cost 50 MiB). It copies what it keeps: a pipe's
 * reads are views of one reused buffer (./pipe-reads.ts).
 */
export class Tail {
  /** Room for twice the limit, so the kept bytes move to its front at most once per limit's worth of input. */
  #window: Buffer | undefined;
  /** The kept bytes are the window's first `#size`. */
  #size = 0;

  constructor(private readonly limitBytes = TAIL_BYTES) {}

  readonly add = (chunk: Buffer): void => {
    const limit = this.limitBytes;
    const window = (this.#window ??= Buffer.allocUnsafeSlow(2 * limit));
    if (chunk.length >= limit) {
      this.#size = chunk.copy(window, 0, chunk.length - limit);
      return;
    }
    if (this.#size + chunk.length > window.length) {
      // More than the limit is kept (the chunk is under it): only the last `limit` bytes matter.
      window.copyWithin(0, this.#size - limit, this.#size);
      this.#size = limit;
    }
    this.#size += chunk.copy(window, this.#size);
  };

  /**
   * The kept bytes, at most `limitBytes`, starting on a UTF-8 character boundary so the note does
   * not open with a replacement character.
   */
  bytes(): Buffer {
    const kept = this.#window?.subarray(Math.max(0, this.#size - this.limitBytes), this.#size) ?? Buffer.alloc(0);
    return Buffer.from(fromWholeCharacter(kept));
  }
}

/**
 * `bytes`, the end of some UTF-8 text cut at a byte count, without the continuation bytes (up to
 * four) of a character whose start was cut off: decoded, they would open the text with a U+FFFD
 * the writer never wrote. A view, not a copy.
 */
export function fromWholeCharacter(bytes: Buffer): Buffer {
  let start = 0;
  while (start < Math.min(4, bytes.length) && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start);
}
