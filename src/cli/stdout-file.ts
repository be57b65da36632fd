import { Writable } from 'node:stream';
import { countNewlines } from './count-newlines.js';
import { whyStdoutFileFailed } from './stdout-no-room.js';
import { node } from '../builtins.js';

/**
 * `up`'s stdout when it is a file (`up > up.log`, `nohup`-style on a server), written so that a
 * file that has no room (a full disk, ENOSPC; a quota, EDQUOT; `ulimit -f`, EFBIG) does not end
 * the run. The processes are what the run is for: a database stopped because the disk its
 * supervisor's output goes to filled up turns a full disk into an outage, often one the output
 * itself caused. So the lines that find no room are dropped and counted, said once on stderr, and
 * each batch tries again: once there is room (space freed, the file emptied in place), the file is
 * written again and a second line says how many lines it misses, as for the log files. The run's
 * status then says the output was not all written (see {@link StdoutFile.linesLost}), since the
 * warnings on stderr may have had no room either (`> up.log 2>&1`).
 *
 * Only a file: a pipe whose reader went away (EPIPE) still ends the run as SIGPIPE ends a filter,
 * and a terminal that went away as SIGHUP does; their output will never be read again. Nor `run`,
 * whose one command's output is its result, as a filter's is: it stops, as `cat` does.
 *
 * Every write error is taken this way, not only those three: one a file gives (EIO of a failing
 * disk) is no reason to stop the processes either, and the next batch tries again.
 */
export class StdoutFile extends Writable {
  /** The end of a line a short write left (the disk filled in its middle), written first next time, so the line is whole. */
  #unfinished: Buffer | undefined;
  /** The file's size when {@link StdoutFile.#unfinished} was left: one smaller since was emptied, and lost the line's start. */
  #sizeWhenCut = 0;
  /** Lines dropped since the writes started failing; undefined while they go through. */
  #failing: number | undefined;
  #lost = 0;

  /**
   * @param fd - The file's descriptor (1 for stdout).
   * @param warn - Told when the writes start failing and when they go through again.
   */
  constructor(
    private readonly fd: number,
    private readonly warn: (message: string) => void,
  ) {
    super({ decodeStrings: true });
  }

  /** Lines dropped over the whole run. */
  get linesLost(): number {
    return this.#lost;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let offset = 0;
    try {
      this.#finishLine();
      while (offset < chunk.length) offset += node.fs.writeSync(this.fd, chunk, offset);
    } catch (error) {
      this.#dropped(chunk, offset, error);
      callback();
      return;
    }
    if (this.#failing !== undefined) {
      this.warn(`stdout is written again; ${this.#failing} lines are missing from it`);
      this.#failing = undefined;
    }
    callback();
  }

  /**
   * Writes the end of a line a short write tore, if there is room for it now; else keeps it. Called
   * before each batch (see ./output.ts), ahead of the log files: what they say on stderr once they
   * are written again would, in the same file (`> up.log 2>&1`), land in the middle of that line.
   */
  finishTornLine(): void {
    try {
      this.#finishLine();
    } catch {
      // Still no room: the batch's own write fails the same way, and is counted there.
    }
  }

  /**
   * Says, once the run is over, what a file still failing misses: a line it left torn among them,
   * and that its start ends the file, with no newline. A reader (`tail -n 1`, a shipper, the next
   * run's first line appended after it) would otherwise take those bytes for a whole line.
   */
  close(): void {
    const torn = this.#unfinished !== undefined && this.#failing !== undefined;
    if (torn) {
      this.#unfinished = undefined;
      this.#lost++;
      this.#failing = (this.#failing ?? 0) + 1;
    }
    if (this.#failing === undefined) return;
    const cutOff = torn ? ', and its last line is cut off where it found no room (no newline ends the file)' : '';
    this.warn(`stdout could not be written to the end; ${this.#failing} lines are missing from it${cutOff}`);
  }

  /** Counts the lines of `chunk` from `offset` that did not reach the file, keeping the end of one begun there. */
  #dropped(chunk: Buffer, offset: number, error: unknown): void {
    let from = offset;
    if (offset > 0 && chunk[offset - 1] !== 0x0a) {
      const lineEnd = chunk.indexOf(0x0a, offset);
      from = lineEnd === -1 ? chunk.length : lineEnd + 1;
      // A copy: the chunk may be a view of a buffer its writer fills again once this write calls back.
      this.#unfinished = Buffer.from(chunk.subarray(offset, from));
      this.#sizeWhenCut = sizeOf(this.fd);
    }
    const lines = countNewlines(chunk.subarray(from));
    this.#lost += lines;
    if (this.#failing === undefined) {
      const words = whyStdoutFileFailed(this.fd, error);
      const why = words === undefined ? ` (${error instanceof Error ? error.message : String(error)})` : `: ${words}`;
      this.warn(`cannot write stdout${why}; the processes go on, and their lines are dropped until it can be written again`);
    }
    this.#failing = (this.#failing ?? 0) + lines;
  }

  /** Writes what a short write left of a line (see {@link StdoutFile.#unfinished}); throws the fs error, keeping the rest. */
  #finishLine(): void {
    let rest = this.#unfinished;
    if (rest === undefined) return;
    if (sizeOf(this.fd) < this.#sizeWhenCut) {
      // Emptied in place to make room (`> up.log`, copytruncate): the line's start went with it,
      // and its end alone would be a line of its own that no process wrote.
      this.#unfinished = undefined;
      this.#lost++;
      if (this.#failing !== undefined) this.#failing++;
      return;
    }
    try {
      while (rest.length > 0) rest = rest.subarray(node.fs.writeSync(this.fd, rest));
    } finally {
      this.#unfinished = rest.length > 0 ? rest : undefined;
    }
  }
}

/** The size of the file `fd` is open on; 0 for what has none (a device: /dev/full). */
function sizeOf(fd: number): number {
  try {
    return node.fs.fstatSync(fd).size;
  } catch {
    return 0;
  }
}
