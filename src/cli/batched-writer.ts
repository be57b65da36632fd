import type { Writable } from 'node:stream';
import { writeText } from '../log/sinks/write.js';

/** Text collected before it is handed to the stream in one write, even within one loop turn. */
const FLUSH_AT_CHARS = 64 * 1024;
/**
 * Text held (collected, plus what the stream has not written yet) above which the writer says it is
 * full. Children then wait: they stop being read until the stream drains. A reader slower than the
 * children (`| less`, a slow disk, a log shipper) costs at most this much memory, plus the rest of
 * the read each child is in the middle of.
 */
export const HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Writes many small pieces of text (one per relayed line) as few large writes: what arrives in one
 * turn of the event loop goes out in one `write`, at the end of that turn (or as soon as 64 KiB
 * are collected). One system call per line was most of the command line's time (671 088 writes for
 * a 64 MiB file of 100-byte lines). Pieces are never split or reordered: each line is written whole,
 * in the order it was given, so lines of different children cannot interleave inside a line.
 *
 * It also carries the stream's backpressure up: {@link BatchedWriter.write} returns a promise while
 * the writer is full, and whoever supplies the text (the children's pipes) waits for it.
 */
export class BatchedWriter {
  #pending: string[] = [];
  #pendingChars = 0;
  /** Whether every piece of the batch so far was written as plain ASCII. */
  #plainAscii = true;
  #scheduled = false;
  #drained: Promise<void> | undefined;
  #lastWrite: Promise<void> = Promise.resolve();

  /**
   * @param cleanBatch - Given the text of a batch, returns what to write (text, or its bytes when
   *   the caller can encode it more cheaply than the stream would): lets a caller check a whole
   *   batch at once (one regex scan for control characters) instead of each line. Default: the
   *   text as it is.
   * @param beforeWrite - Called just before each batch is handed to the stream: a copy of the text
   *   kept elsewhere (the log files) written then is never behind what the stream got.
   */
  constructor(
    private readonly stream: Writable,
    private readonly cleanBatch?: (text: string) => string | Buffer,
    private readonly beforeWrite?: () => void,
  ) {}

  /**
   * Queues `text`; returns a promise to wait for when the writer is full, else undefined.
   * `plainAscii` says the caller already knows `text` is printable ASCII, tabs and newlines only:
   * a batch made only of such text is written as it is, without `cleanBatch` looking at it again.
   */
  write(text: string, plainAscii = false): Promise<void> | undefined {
    this.#plainAscii &&= plainAscii;
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (this.#pendingChars >= FLUSH_AT_CHARS) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushScheduled);
    }
    return this.#full() ? this.#whenDrained() : undefined;
  }

  /** Hands everything collected to the stream now. */
  flush(): void {
    this.beforeWrite?.();
    if (this.#pendingChars === 0 && this.#pending.length === 0) return;
    const joined = this.#pending.length === 1 ? (this.#pending[0] as string) : this.#pending.join('');
    // ASCII is its own UTF-8: copied as Latin-1 instead of encoded, which was a tenth of a flood's time.
    const text = this.#plainAscii ? Buffer.from(joined, 'latin1') : this.cleanBatch ? this.cleanBatch(joined) : joined;
    this.#plainAscii = true;
    this.#pending = [];
    this.#pendingChars = 0;
    // The write's callback says when this text (and all before it) has left the process; it is
    // called with an error too (a reader that went away), which ends the wait just the same.
    this.#lastWrite = new Promise((resolve) => {
      if (!writeText(this.stream, text, () => resolve())) resolve();
    });
  }

  /** Flushes, then waits until the stream has written everything (or can no longer write). */
  async close(): Promise<void> {
    this.flush();
    await this.#lastWrite;
  }

  /** Characters held here and bytes the stream holds: what a crash now could lose. */
  get heldBytes(): number {
    return this.#pendingChars + this.stream.writableLength;
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  #full(): boolean {
    return !this.stream.destroyed && this.#pendingChars + this.stream.writableLength >= HIGH_WATER_BYTES;
  }

  #whenDrained(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.#drained = undefined;
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done); // a stream that died will never drain: nothing is waited for then
    });
    return this.#drained;
  }
}
