// Behind a full stdout, a process's lines wait as the text they were read as, not as what they are
// printed as: a JSON record is some 70 characters more than its line, so a read of one-character
// lines (64 KiB of `yes`) is 2.6 MB of records, and every process held one such read formatted
// (180 MiB for 50 of them behind a reader that stopped; 70 in slices, as for plain lines).
import { settledLater } from '../process/relay.js';

/**
 * Characters of a read formatted at a time, then up to the end of the line reached: 4 KiB of
 * one-character lines is 160 KB of JSON records.
 */
export const SLICE_CHARS = 4 * 1024;

/** Writes one slice of lines (joined by `\n`); returns a promise while the output is full. */
export type SliceWriter = (slice: string) => Promise<void> | undefined;

/** Lines still to be written, from `at`; all written once `at` is past the end. */
interface WaitingLines {
  readonly text: string;
  at: number;
  readonly write: SliceWriter;
}

/** What one process has waiting, in order: lines, and its state lines written after them. */
interface Backlog {
  readonly items: (WaitingLines | (() => void))[];
  readonly done: Promise<void>;
  readonly resolve: () => void;
}

/**
 * The lines of each process still to be written, in the order given. A read goes out in one write
 * while the output is not full; else a slice at a time, and once a write says the output is full,
 * the rest of it, and whatever that process gives after it (the library goes on delivering the
 * read in progress, and a pipe's last reads after its group is gone), waits until it drains.
 */
export class LineBacklogs {
  /** @param outputFull - Whether the output is full: only then is a read cut into slices. */
  constructor(private readonly outputFull: () => boolean) {}

  readonly #byName = new Map<string, Backlog>();
  #waitingChars = 0;
  #allDone: { promise: Promise<void>; resolve: () => void } | undefined;

  /**
   * Writes `text` (complete lines joined by `\n`, none after the last) of process `name` with
   * `write`, a slice of about {@link SLICE_CHARS} at a time, behind what `name` has waiting.
   * Returns a promise while anything of `name` waits, or the last write's promise.
   */
  lines(name: string, text: string, write: SliceWriter): Promise<void> | undefined {
    const waiting = this.#byName.get(name);
    const lines: WaitingLines = { text, at: 0, write };
    if (waiting !== undefined) {
      waiting.items.push(lines);
      this.#waitingChars += text.length;
      return waiting.done;
    }
    const full = writeSome(lines, this.outputFull);
    if (lines.at > text.length) return full;
    this.#waitingChars += text.length - lines.at;
    const backlog = newBacklog(lines);
    this.#byName.set(name, backlog);
    void (full as Promise<void>).then(() => this.#pump(name, backlog));
    return backlog.done;
  }

  /** Whether lines of `name` wait: what it gives next must wait behind them. */
  waiting(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Runs `write` (a state line of `name`) now, or after the lines `name` has waiting. */
  status(name: string, write: () => void): void {
    const waiting = this.#byName.get(name);
    if (waiting === undefined) write();
    else waiting.items.push(write);
  }

  /** Characters of lines waiting, not yet formatted: at least what a stop now would lose. */
  get waitingChars(): number {
    return this.#waitingChars;
  }

  /**
   * Bytes of the lines waiting, as UTF-8, as they were read: what ending the process now loses of
   * them, at least (their prefixes, or their JSON records, are not made yet, and are not made just
   * to be counted: a second Ctrl-C must not wait on formatting, nor its memory grow by it).
   */
  waitingBytes(): number {
    let bytes = 0;
    for (const { items } of this.#byName.values()) {
      for (const item of items) if (typeof item !== 'function' && item.at < item.text.length) bytes += Buffer.byteLength(item.at === 0 ? item.text : item.text.slice(item.at));
    }
    return bytes;
  }

  /** Resolves once nothing waits. */
  settled(): Promise<void> {
    if (this.#byName.size === 0) return Promise.resolve();
    this.#allDone ??= settledLater();
    return this.#allDone.promise;
  }

  /** Writes what `name` has waiting until the output is full again, or nothing is left. */
  #pump(name: string, backlog: Backlog): void {
    const { items } = backlog;
    while (items.length > 0) {
      const item = items[0] as WaitingLines | (() => void);
      let full: Promise<void> | undefined;
      if (typeof item === 'function') item();
      else {
        const from = item.at;
        full = writeSome(item, this.outputFull);
        this.#waitingChars -= Math.min(item.at, item.text.length) - from;
        if (item.at <= item.text.length) {
          void (full as Promise<void>).then(() => this.#pump(name, backlog));
          return;
        }
      }
      items.shift();
      if (full !== undefined && items.length > 0) {
        void full.then(() => this.#pump(name, backlog));
        return;
      }
    }
    this.#byName.delete(name);
    backlog.resolve();
    if (this.#byName.size === 0 && this.#allDone !== undefined) {
      this.#allDone.resolve();
      this.#allDone = undefined;
    }
  }
}

/**
 * Writes `lines` from `lines.at` until all of it is written or a write says the output is full;
 * returns that write's promise (a last slice's too, for the caller to pass on). The rest goes in
 * one write while the output is not full (slices cost a tenth of a flood's time), in slices once
 * it is.
 */
function writeSome(lines: WaitingLines, outputFull: () => boolean): Promise<void> | undefined {
  const { text, write } = lines;
  for (;;) {
    const newline = text.indexOf('\n', lines.at + (outputFull() ? SLICE_CHARS : Infinity));
    const end = newline === -1 ? text.length : newline;
    const full = write(text.slice(lines.at, end));
    lines.at = end + 1;
    if (full !== undefined || lines.at > text.length) return full;
  }
}

function newBacklog(first: WaitingLines): Backlog {
  const { promise, resolve } = settledLater();
  return { items: [first], done: promise, resolve };
}
