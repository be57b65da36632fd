import type { Writable } from 'node:stream';
import { writeText } from '../log/sinks/write.js';

/**
 * Text collected before it is handed to the stream in one write, even within one loop turn. Text is
 * joined into one string to be written: kept small, that string stays out of V8's large-object
 * space (128 KiB and more), where each would be an allocation of its own.
 */
const FLUSH_AT_CHARS = 64 * 1024;
/**
 * Bytes of printable ASCII collected in the slab before they are handed to the stream, even within
 * one loop turn: more than text's, as a batch of them is a view of the slab, no string built. Each
 * batch is one write through the stream, and to a file one system call: at 64 KiB a flood was
 * written once per read of the child's pipe (64 KiB of 100-byte lines are 71 KB with their
 * prefixes), and `up` relaying 64 MiB of `cat` took 0.92x-0.96x the CPU at 256 KiB to a file,
 * 0.95x to a pipe (16 pairs each); 512 KiB gained nothing more. Well under {@link HIGH_WATER_BYTES},
 * so what the writer holds before it says it is full is unchanged.
 */
const FLUSH_AT_BYTES = 256 * 1024;
/**
 * Text held (collected, plus what the stream has not written yet) above which the writer says it is
 * full. Children then wait: they stop being read until the stream drains. A reader slower than the
 * children (`| less`, a slow disk, a log shipper) costs at most this much memory, plus, per child,
 * the rest of the read it is in the middle of (at most 64 KiB, `READ_BUFFER_BYTES` in
 * ../process/output/pipe-reads.ts, with its prefixes).
 */
export const HIGH_WATER_BYTES = 1024 * 1024;
/**
 * The buffer printable ASCII is encoded into as it comes; a batch is a view of it handed to the
 * stream. A full slab is written again from its start once the stream is done with every view of
 * it, when the stream is known to let go of a chunk at its callback (see the constructor); else a
 * new one is taken. Fresh memory is not free: each page of it faults in, and a flood written into
 * fresh buffers, 64 MiB of them, spent a tenth of its time there.
 */
const SLAB_BYTES = 1024 * 1024;
/**
 * Slabs the stream is done with, kept for the next one needed: to a pipe, writes are still in
 * flight when a slab fills, so a new one is taken, and the old one was left to the collector.
 * When little else is allocated, collections are rare, and a flood through `| wc -l` held 23 MiB
 * more in such slabs (88 MiB against 65 at its peak). With these kept, a flood cycles through a
 * few slabs whatever the collector does.
 */
const SPARE_SLABS = 2;

/** A slab and how many views of it the stream has not called back for yet. */
interface Slab {
  readonly bytes: Buffer;
  writes: number;
}

/**
 * Writes many small pieces of text (one per relayed line, or block of lines) as few large writes:
 * what arrives in one turn of the event loop goes out in one `write`, at the end of that turn (or
 * as soon as 64 KiB of text, or 256 KiB of ASCII bytes, are collected). One system call per line was most of the command line's time
 * (671 088 writes for a 64 MiB file of 100-byte lines). Pieces are never split or reordered: each
 * line is written whole, in the order it was given, so lines of different children cannot
 * interleave inside a line.
 *
 * A batch is either text, cleaned as a whole when it is written (see the constructor), or printable
 * ASCII given by {@link BatchedWriter.writeAscii}, encoded at once into bytes; a piece of the other
 * kind first hands the batch to the stream, so both keep their order.
 *
 * It also carries the stream's backpressure up: a write returns a promise while the writer is full,
 * and whoever supplies the text (the children's pipes) waits for it.
 */
export class BatchedWriter {
  #pending: string[] = [];
  #pendingChars = 0;
  #slab: Slab = { bytes: Buffer.allocUnsafeSlow(0), writes: 0 };
  /** Earlier slabs the stream is done with (see {@link SPARE_SLABS}). */
  #spareSlabs: Buffer[] = [];
  /** The ASCII batch is `#slab.bytes[#batchStart, #batchEnd)`. */
  #batchStart = 0;
  #batchEnd = 0;
  #scheduled = false;
  #drained: Promise<void> | undefined;
  #lastWrite: Promise<void> = Promise.resolve();
  #writesHanded = 0;
  #writesTaken = 0;
  /** Told when the next write is done (see {@link BatchedWriter.stop}). */
  #onTaken: (() => void)[] = [];

  /**
   * @param cleanBatch - Given the text of a batch, returns what to write (text, or its bytes when
   *   the caller can encode it more cheaply than the stream would): lets a caller check a whole
   *   batch at once (one regex scan for control characters) instead of each line. Default: the
   *   text as it is.
   * @param beforeWrite - Called just before each batch is handed to the stream: a copy of the text
   *   kept elsewhere (the log files) written then is never behind what the stream got.
   * @param releasesAtCallback - The stream is done with a chunk once the chunk's write has called
   *   back, so its bytes may be written over then: true of a file, pipe or terminal (the
   *   process's stdout), not of a stream that passes chunks on as they are (a PassThrough).
   *   Default: false.
   */
  constructor(
    private readonly stream: Writable,
    private readonly cleanBatch?: (text: string) => string | Buffer,
    private readonly beforeWrite?: () => void,
    private readonly releasesAtCallback = false,
  ) {}

  /** Queues `text`; returns a promise to wait for when the writer is full, else undefined. */
  write(text: string): Promise<void> | undefined {
    if (this.#batchEnd > this.#batchStart) this.flush();
    this.#pending.push(text);
    this.#pendingChars += text.length;
    return this.#collected();
  }

  /**
   * Queues the concatenation of `parts` as one piece (never written apart), without building it:
   * each part is copied into the batch's bytes as it is. The caller vouches that every part is
   * printable ASCII, tabs and newlines only, so that its Latin-1 bytes are its UTF-8 and nothing
   * in it needs cleaning. Returns as {@link BatchedWriter.write} does.
   */
  writeAscii(parts: readonly string[]): Promise<void> | undefined {
    if (this.#pending.length > 0) this.flush();
    let length = 0;
    for (const part of parts) length += part.length;
    if (this.#batchEnd + length > this.#slab.bytes.length) this.#newSlab(length);
    for (const part of parts) this.#batchEnd += this.#slab.bytes.write(part, this.#batchEnd, 'latin1');
    return this.#collected();
  }

  /**
   * {@link BatchedWriter.writeAscii} for text that `fill` writes itself: `length` bytes into
   * `target` from `at` (no more, no fewer), with the same promise from the caller.
   */
  writeAsciiWith(length: number, fill: (target: Buffer, at: number) => void): Promise<void> | undefined {
    if (this.#pending.length > 0) this.flush();
    if (this.#batchEnd + length > this.#slab.bytes.length) this.#newSlab(length);
    fill(this.#slab.bytes, this.#batchEnd);
    this.#batchEnd += length;
    return this.#collected();
  }

  /** Hands everything collected to the stream now. */
  flush(): void {
    this.beforeWrite?.();
    if (this.#batchEnd > this.#batchStart) {
      const slab = this.#slab;
      const bytes = slab.bytes.subarray(this.#batchStart, this.#batchEnd);
      this.#batchStart = this.#batchEnd;
      slab.writes++;
      this.#hand(bytes, () => {
        slab.writes--;
        if (slab !== this.#slab && slab.writes === 0) this.#spare(slab.bytes);
      });
    }
    if (this.#pending.length === 0) return;
    const joined = this.#pending.length === 1 ? (this.#pending[0] as string) : this.#pending.join('');
    this.#pending = [];
    this.#pendingChars = 0;
    this.#hand(this.cleanBatch ? this.cleanBatch(joined) : joined);
  }

  /** Flushes, then waits until the stream has written everything (or can no longer write). */
  async close(): Promise<void> {
    this.flush();
    await this.#lastWrite;
  }

  /**
   * Hands the stream nothing more: the process is about to end at once, and what the stream holds
   * behind the write under way is dropped, never written, not even in the moment the process may
   * still live. Resolves once the write under way is done, which ends with a line (every batch
   * does): what is said after it starts on a line of its own, not inside the line that write
   * would have finished after it. Never resolves while a paused terminal or a stopped reader
   * takes nothing of it.
   */
  stop(): Promise<void> {
    // While corked, a stream hands none of the writes it queued on to the system.
    this.stream.cork();
    if (this.#writesTaken === this.#writesHanded) return Promise.resolve();
    return new Promise((resolve) => this.#onTaken.push(resolve));
  }

  /** Characters held here and bytes the stream holds: what a crash now could lose. */
  get heldBytes(): number {
    return this.#heldHere() + this.stream.writableLength;
  }

  /**
   * Bytes handed to the stream that it has not written yet, exactly (call after {@link flush}):
   * what ending the process now would lose. {@link heldBytes} counts a string written to a pipe
   * or a terminal in characters, and the write under way whole, though the system has taken part
   * of it; this is asked once, at the end, so it may walk the stream's queue.
   */
  get unsentBytes(): number {
    const { stream } = this;
    // Node documents it not: the writes waiting behind the one under way.
    const waiting = (stream as { writableBuffer?: readonly { chunk: string | Uint8Array }[] }).writableBuffer;
    const inFlight = handleQueueBytes(this.stream);
    // Without a handle (a file, written synchronously) nothing is queued.
    if (inFlight === undefined || waiting === undefined) return stream.writableLength;
    let queued = 0;
    for (const { chunk } of waiting) queued += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return queued + inFlight;
  }

  /**
   * Bytes of the write under way that the system has not taken yet: part of {@link unsentBytes},
   * and the part that a reader may still take after it is counted, for as long as the process
   * lives (stopping the writer holds back only the writes behind it).
   */
  get underWayBytes(): number {
    return handleQueueBytes(this.stream) ?? 0;
  }

  /**
   * An opaque mark that changes whenever the stream's reader takes output: each finished write, and
   * what the system took of the write under way. A write may be a MiB; to a reader taking 100 KB/s
   * it finishes only after seconds of steady progress, which the queue of a pipe's or a socket's
   * handle shows as it shrinks. A pipe takes a page (4 KiB) at a time: a reader that has freed
   * less than a page shows no progress yet.
   */
  get takenMark(): string {
    return `${this.#writesTaken}:${handleQueueBytes(this.stream) ?? 0}`;
  }

  /** Whether the writer is full: a write now returns a promise. */
  get full(): boolean {
    return this.#full();
  }

  #heldHere(): number {
    return this.#pendingChars + this.#batchEnd - this.#batchStart;
  }

  /** After a piece was queued: flushes a big batch or schedules the flush; says whether to wait. */
  #collected(): Promise<void> | undefined {
    // Only one kind is held at a time: a piece of the other kind hands the batch over first.
    if (this.#pendingChars >= FLUSH_AT_CHARS || this.#batchEnd - this.#batchStart >= FLUSH_AT_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushScheduled);
    }
    return this.#full() ? this.#whenDrained() : undefined;
  }

  /**
   * Hands the batch so far to the stream, then starts again at the start of the slab, or of a new
   * one while the stream may still read the old one, with room for `length` more bytes.
   */
  #newSlab(length: number): void {
    this.flush();
    const reusable = this.releasesAtCallback && this.#slab.writes === 0 && this.#slab.bytes.length >= length;
    if (!reusable) {
      if (this.#slab.writes === 0) this.#spare(this.#slab.bytes);
      const spare = length <= SLAB_BYTES ? this.#spareSlabs.pop() : undefined;
      this.#slab = { bytes: spare ?? Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, length)), writes: 0 };
    }
    this.#batchStart = 0;
    this.#batchEnd = 0;
  }

  /** Keeps a slab the stream is done with for a later one, when the stream lets go at its callbacks. */
  #spare(bytes: Buffer): void {
    if (this.releasesAtCallback && bytes.length === SLAB_BYTES && this.#spareSlabs.length < SPARE_SLABS) this.#spareSlabs.push(bytes);
  }

  /** Writes `chunk`; `written` is called once the stream is done with it (or will never take it). */
  #hand(chunk: string | Buffer, written?: () => void): void {
    // The write's callback says when this text (and all before it) has left the process; it is
    // called with an error too (a reader that went away), which ends the wait just the same.
    this.#writesHanded++;
    this.#lastWrite = new Promise((resolve) => {
      const done = (): void => {
        this.#writesTaken++;
        for (const taken of this.#onTaken.splice(0)) taken();
        written?.();
        resolve();
      };
      if (!writeText(this.stream, chunk, done)) done();
    });
  }

  readonly #flushScheduled = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  #full(): boolean {
    return !this.stream.destroyed && this.#heldHere() + this.stream.writableLength >= HIGH_WATER_BYTES;
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

/**
 * What the system has not taken yet of the write under way on `stream`, from the queue of its pipe
 * or socket handle (Node exposes it on no public property); undefined for a stream without one.
 */
export function handleQueueBytes(stream: Writable): number | undefined {
  const queued = (stream as { _handle?: { writeQueueSize?: unknown } })._handle?.writeQueueSize;
  return typeof queued === 'number' ? queued : undefined;
}
