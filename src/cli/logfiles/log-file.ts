import { basename, dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import { countNewlines } from '../count-newlines.js';
import { node } from '../../builtins.js';
import { makeDirectories } from '../directories.js';
import { errnoCode } from '../../errno.js';
import { canonicalPathOf, lstatOf, statOf } from '../../process/stat.js';
import { withRotationLock } from './rotation-lock.js';
import { leadsToAnOpenFile } from '../others-may-write.js';

/** When a file is rotated, and how many rotated files stay. */
export interface Rotation {
  /** A file is rotated before a line would take it past this (a longer line gets a file of its own). */
  readonly maxSizeBytes: number;
  /** Rotated files kept: `NAME.log.1` (the newest) ... `NAME.log.KEEP`; 0 empties the file instead. */
  readonly keep: number;
}

/** A write of a log file that failed: the fs error, and the lines it dropped. */
export interface WriteFailure {
  readonly error: unknown;
  /** Of the lines the write was given, those that are not in the file. */
  readonly linesLost: number;
}

/**
 * Owner-only: a process's output can hold what its user would not show others (a token printed
 * at start-up, a customer's address in an error), and the control socket beside it is 0600 too.
 */
const FILE_MODE = 0o600;

/** Owner-only, like the files in it; applies only to directories subvisor creates. */
export const DIR_MODE = 0o700;

/** Opens of a file whose name led to another once it was open (see {@link LogFile.#open}) before that is a failing write. */
const OPEN_ATTEMPTS = 3;

/** What rename and unlink say of a directory its user cannot write (a read-only mount, `chattr +i` for root). */
const DIRECTORY_REFUSALS: ReadonlySet<string | undefined> = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * `a` (append, create), without waiting: `NAME.log` may be a named pipe (`mkfifo`, read by a log
 * shipper) or a link to a terminal, and those block. Opening a pipe nobody reads would wait for a
 * reader, before anything starts and without a word; a write to one whose reader stopped reading
 * would stop the event loop, and with it the whole run: no restart, no Ctrl-C, no `ps`. Without
 * waiting, those are errors (ENXIO, EAGAIN), which a file's failures already are. A regular
 * file's writes never wait on a reader, so it is written as before.
 */
function openFlags(): number {
  const { O_WRONLY, O_APPEND, O_CREAT, O_NONBLOCK } = node.fs.constants;
  return O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK;
}

/**
 * One process's log file, `NAME.log`, opened for appending (a run adds to the last one's lines,
 * as a log does) and rotated by size. Lines are collected and written with one synchronous
 * `write` per {@link LogFile.write}: synchronous, so that a line is with the kernel once the
 * call returns and a crash of subvisor (even SIGKILL) cannot lose it; per batch, not per line,
 * so that a flood costs one system call per 64 KiB rather than one per line.
 */
export class LogFile {
  #fd = -1;
  #size = 0;
  /** The file the fd is open on, to tell when `path` names another (see {@link LogFile.#reopenIfMoved}). */
  #opened: { readonly dev: number; readonly ino: number } | undefined;
  #pending: string[] = [];
  /**
   * Whether the file is a regular one, which rotation is for. `NAME.log` made a link to `/dev/null`
   * (pm2's way of having no file for a process) has no size to keep in bounds, and rotating it
   * would move the link aside and start a real file in its place. Nor is a file reached through
   * `/dev/stdout` (`up > out.txt`, `NAME.log -> /dev/stdout`): renaming `out.txt` would leave the
   * link on the same file, to be renamed again at every batch (`out.txt.1.1.1`), and the name is
   * the shell's, in a directory the log directory's check never looked at.
   */
  #rotates = true;
  /**
   * The end of a line a short write left half written to what cannot be cut back (a pipe whose
   * reader fell behind), written before anything else once it can be: the reader then gets that
   * line whole, instead of the next line run on at its end.
   */
  #unfinished: Buffer | undefined;
  /** Of the text whose write just failed, the bytes in what cannot be cut back, or to be finished there. */
  #failedWriteKeptBytes = 0;
  /**
   * The file's directory refuses the names rotation makes (see {@link LogFile.#moveRotationsOn}):
   * the file is written on past `maxSize` until another is opened, rather than every line lost.
   */
  #growing = false;
  /** Another run held the file's rotation too long (see withRotationLock): written on until the next {@link LogFile.write}. */
  #rotationDeferred = false;

  /**
   * Opens (creating) `path`; throws the fs error when it cannot.
   *
   * @param rotationRefused - Told, once per file opened, that its directory refused its rotation
   *   (the file, by its real path, then grows past `maxSize`).
   * @param refuseOpenDirectory - Throws when another user may put names in the file's directory;
   *   asked before each open (see {@link LogFile.#open}). Default: no directory is refused.
   */
  constructor(
    readonly path: string,
    private readonly rotation: Rotation,
    private readonly rotationRefused: (error: unknown, file: string) => void = () => {},
    private readonly refuseOpenDirectory: () => void = () => {},
  ) {
    this.#open();
  }

  /** Queues one line or several, each with its `\n`; nothing is written until {@link write}. */
  add(line: string): void {
    this.#pending.push(line);
  }

  /** Whether lines are queued, waiting for {@link write}. */
  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Writes the queued lines, rotating on the way when they would pass the size. A write that
   * fails (a full disk) drops them and says so, with how many of them did not reach the file;
   * the next one tries again, so the file is written once it can be.
   */
  write(): WriteFailure | undefined {
    if (this.#pending.length === 0) return undefined;
    const lines = this.#pending;
    this.#pending = [];
    const text = lines.length === 1 ? (lines[0] as string) : lines.join('');
    const kept = { bytes: 0 };
    this.#failedWriteKeptBytes = 0;
    this.#rotationDeferred = false;
    try {
      this.#writeText(text, kept);
      return undefined;
    } catch (error) {
      const written = kept.bytes + this.#keptOfFailedWrite();
      return { error, linesLost: countNewlines(Buffer.from(text, 'utf8').subarray(written)) };
    }
  }

  /** Writes `text`, adding to `kept.bytes` what each whole write put in the file. Throws the fs error. */
  #writeText(text: string, kept: { bytes: number }): void {
    const bytes = Buffer.byteLength(text);
    this.#reopenIfMoved();
    this.#finishLine();
    if (!this.#passesMaxSize(bytes)) {
      this.#append(text, bytes);
      return;
    }
    let chunk = '';
    let chunkBytes = 0;
    // Rotation goes line by line (an entry may hold several): a file ends between two lines.
    for (const piece of text.slice(0, -1).split('\n')) {
      const line = `${piece}\n`;
      const lineBytes = Buffer.byteLength(line);
      if (this.#size + chunkBytes > 0 && this.#passesMaxSize(chunkBytes + lineBytes)) {
        this.#append(chunk, chunkBytes);
        kept.bytes += chunkBytes;
        this.#rotate();
        chunk = '';
        chunkBytes = 0;
      }
      chunk += line;
      chunkBytes += lineBytes;
    }
    this.#append(chunk, chunkBytes);
  }

  /** Whether `bytes` more would take a file that is rotated (see {@link LogFile.#growing}) past `maxSize`. */
  #passesMaxSize(bytes: number): boolean {
    return this.#rotates && !this.#growing && !this.#rotationDeferred && this.#size + bytes > this.rotation.maxSizeBytes;
  }

  /**
   * The whole lines a failed write left in the file (see {@link LogFile.#appendRest}): what the
   * file holds past the size counted before it.
   */
  #keptOfFailedWrite(): number {
    if (!this.#rotates) return this.#failedWriteKeptBytes;
    if (this.#fd === -1) return 0;
    try {
      return Math.max(0, node.fs.fstatSync(this.#fd).size - this.#size);
    } catch {
      return 0;
    }
  }

  /** Closes the file; lines still queued are dropped (write first). */
  close(): void {
    this.#pending = [];
    if (this.#fd === -1) return;
    try {
      // A pipe's reader may have caught up since the last write: a torn last line is ended if it can be.
      this.#finishLine();
    } catch {
      // It cannot; the line stays torn, as the file's failing writes were warned of.
    }
    node.fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Opens `path`, making its directory again when it is gone (someone removed it during the run).
   * The directory is looked at before each open, not only at the start: one removed during the
   * run (`rm -rf /tmp/app`) may be made again by another user before the next line, with a link
   * in it as `NAME.log`, which the open (as root too) would follow and the rotation would rename.
   * A refusal is a failing write: the lines go on to the output, and the file is tried again.
   */
  #open(): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.#openOnce();
        return;
      } catch (error) {
        // Another run writing the same file (one `dir`, one process name) moves it aside when it
        // rotates it, maybe between this open and its look: the name then leads to the new file.
        if (!(error instanceof LogFileReplaced) || attempt === OPEN_ATTEMPTS) throw error;
      }
    }
  }

  /** {@link LogFile.#open}, once. */
  #openOnce(): void {
    this.refuseOpenDirectory();
    let fd: number;
    try {
      fd = node.fs.openSync(this.path, openFlags(), FILE_MODE);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT' || makeDirectories(dirname(this.path), DIR_MODE) === undefined) throw error;
      fd = node.fs.openSync(this.path, openFlags(), FILE_MODE);
    }
    let opened: Stats;
    try {
      opened = this.#lookAgainOnceOpen(fd);
    } catch (error) {
      node.fs.closeSync(fd);
      throw error;
    }
    this.#fd = fd;
    // Another file (or none) now: what was left of a line belonged to the last one.
    this.#unfinished = undefined;
    this.#opened = { dev: opened.dev, ino: opened.ino };
    this.#size = opened.size;
    this.#rotates = opened.isFile() && !leadsToAnOpenFile(this.path);
    this.#growing = false;
  }

  /**
   * The file `fd` is open on, once its directory is looked at again and `path` still leads to it;
   * throws otherwise, before anything is written. The look before the open leaves a moment, one
   * another user may have a loop waiting for, in which a directory gone (or made again by this
   * open) is made by them instead, with their link in it: the open then followed it. Once the
   * file is open, that directory is refused; one removed again meanwhile leaves `path` leading
   * elsewhere, or nowhere.
   */
  #lookAgainOnceOpen(fd: number): Stats {
    this.refuseOpenDirectory();
    const opened = node.fs.fstatSync(fd);
    const now = node.fs.statSync(this.path, { throwIfNoEntry: false });
    if (now?.dev !== opened.dev || now.ino !== opened.ino) throw new LogFileReplaced(`${this.path} was replaced while it was opened; it is opened again at the next line`);
    return opened;
  }

  /**
   * Starts `NAME.log` again when the file the fd writes to is no longer there under that name:
   * someone removed it, or moved it aside (`mv web.log web.log.old`, logrotate's way). Lines
   * written on would go to a file nobody can find, and the next rotation would fail to rename it.
   * The same file takes its size from the stat: one emptied under the run (logrotate's
   * `copytruncate`, `> web.log`) would otherwise be rotated at the size it had before, long
   * before it holds `maxSize` again. One stat per write: a flood's writes are 64 KiB apart.
   */
  #reopenIfMoved(): void {
    const now = node.fs.statSync(this.path, { throwIfNoEntry: false });
    // No fd (a rotation that failed after closing it): opened again, whatever the name holds.
    if (this.#fd !== -1 && now !== undefined && now.dev === this.#opened?.dev && now.ino === this.#opened.ino) {
      this.#size = now.size;
      return;
    }
    // A rotation that failed (its new file could not be opened, a rotated file moved on) left no fd.
    if (this.#fd !== -1) node.fs.closeSync(this.#fd);
    this.#fd = -1;
    this.#open();
  }

  /** Writes what a short write left of a line (see {@link LogFile.#unfinished}); throws the fs error, keeping the rest. */
  #finishLine(): void {
    let rest = this.#unfinished;
    if (rest === undefined) return;
    try {
      while (rest.length > 0) rest = rest.subarray(node.fs.writeSync(this.#fd, rest));
    } finally {
      this.#unfinished = rest.length > 0 ? rest : undefined;
    }
  }

  /** Writes `text`, `bytes` long in UTF-8. */
  #append(text: string, bytes: number): void {
    if (bytes === 0) return;
    // The string is handed to writeSync as it is: encoding it into a Buffer first would copy a
    // flood's every byte once more, and make as much garbage.
    const written = node.fs.writeSync(this.#fd, text);
    if (written < bytes) this.#appendRest(Buffer.from(text, 'utf8'), written);
    this.#size += bytes;
  }

  /**
   * Writes what a short write left. A regular file takes less than a whole write when it is about
   * to fail: the disk filled up (ENOSPC) or the file reached `ulimit -f` (EFBIG) in the middle of
   * the text. The write that follows throws; the file is then cut back to the end of its last
   * whole line before the error goes on, so that it stays made of lines: a line cut off there
   * would have the next run's first line (appended to the same file) run on at its end. A pipe
   * takes less when its reader has fallen behind, and cannot be cut back: the rest of the line is
   * kept to be written first next time.
   */
  #appendRest(buffer: Buffer, written: number): void {
    let offset = written;
    try {
      while (offset < buffer.length) offset += node.fs.writeSync(this.#fd, buffer, offset);
    } catch (error) {
      if (!this.#rotates) {
        const midLine = offset > 0 && buffer[offset - 1] !== 0x0a;
        // Every text given ends with a `\n`, so a line begun has its end in the buffer.
        const lineEnd = midLine ? buffer.indexOf(0x0a, offset) + 1 : offset;
        if (midLine) this.#unfinished = buffer.subarray(offset, lineEnd);
        this.#failedWriteKeptBytes = lineEnd;
        throw error;
      }
      const cut = offset - (buffer.lastIndexOf(0x0a, offset - 1) + 1);
      try {
        // From the file's size, not #size: the file may have been truncated under it (copytruncate).
        if (cut > 0) node.fs.ftruncateSync(this.#fd, node.fs.fstatSync(this.#fd).size - cut);
      } catch {
        // The write's error is the one to tell; a file that cannot even be cut back is given up all the same.
      }
      throw error;
    }
  }

  /**
   * `NAME.log.(i)` becomes `.(i+1)` from the oldest kept, `NAME.log` becomes `.1`, and a new
   * `NAME.log` starts; with `keep: 0` the file is emptied in place. Rotated files past `keep`
   * (left by an earlier run that kept more) go.
   */
  #rotate(): void {
    // `NAME.log` may be a link to the file (`ln -s /data/logs/web.log logs/web.log`, a chatty
    // process's lines kept on a larger disk): that file is the one rotated, beside itself, and the
    // link stays, as one to /dev/null does; rotating the link would move it aside, start a file
    // here instead, and drop the link past `keep`. Gone (removed under the run): nothing to rotate.
    // The directories are looked at first, as before an open: one made open to other users since
    // the file was opened (a `chmod 777`) lets them swap `NAME.log` for a link to any file between
    // the write's look at it and this rename, which would then move that file aside, as root too.
    this.refuseOpenDirectory();
    const file = canonicalPathOf(this.path) ?? this.path;
    if (this.rotation.keep === 0) {
      if (!this.#moveRotationsOn(file)) return;
      // Emptied, not removed and made again: `tail -f` (which follows the file it opened, not the
      // name) and a shipper holding it open read on from its start, as after logrotate's
      // copytruncate; a new file would leave them on one nobody writes. O_APPEND writes at the new end.
      node.fs.ftruncateSync(this.#fd, 0);
      this.#size = 0;
      return;
    }
    // Another run writing the same file (one `dir`, one process name) may rotate it at this moment.
    const moved = withRotationLock(file, () => !this.#stillWrites(file) || this.#moveRotationsOn(file));
    if (moved === 'busy') {
      this.#rotationDeferred = true;
      return;
    }
    if (!moved) return;
    node.fs.closeSync(this.#fd);
    this.#fd = -1;
    // Through the link, if it is one: the file starts again where the link points.
    this.#open();
  }

  /** Whether `file` is still the file the fd writes: another run may have moved it aside (see withRotationLock). */
  #stillWrites(file: string): boolean {
    const now = statOf(file);
    const open = node.fs.fstatSync(this.#fd);
    return now !== undefined && now.dev === open.dev && now.ino === open.ino;
  }

  /**
   * Removes `file`'s rotations past `keep` and moves the others, and `file`, on by one (the fd
   * stays on it, now `.1`, until the new one is open). False, said once, when `file`'s directory
   * refuses: a link to a file in a directory subvisor cannot write (`/var/log/web.log`, the file
   * its user's, the directory root's) can never be rotated, and trying again at each batch, as
   * for a failure that passes, would lose every line from then on.
   */
  #moveRotationsOn(file: string): boolean {
    try {
      for (const past of rotationsPast(file, this.rotation.keep)) removeIfThere(past);
    } catch (error) {
      // `keep: 0` empties the file in place, which its directory has no say in: a rotation left
      // there (logrotate's `web.log.1`, in a /var/log it cannot write) stays, and the file is
      // kept to maxSize all the same, not grown for ever.
      if (this.rotation.keep !== 0 || !DIRECTORY_REFUSALS.has(errnoCode(error))) return this.#refused(error, file);
    }
    if (this.rotation.keep === 0) return true;
    try {
      for (let index = this.rotation.keep - 1; index >= 1; index--) renameIfThere(`${file}.${index}`, `${file}.${index + 1}`);
      renameIfThere(file, `${file}.1`);
      return true;
    } catch (error) {
      return this.#refused(error, file);
    }
  }

  /** False, said once (see {@link LogFile.#moveRotationsOn}), when `error` is `file`'s directory refusing; throws it otherwise. */
  #refused(error: unknown, file: string): false {
    if (!DIRECTORY_REFUSALS.has(errnoCode(error))) throw error;
    this.#growing = true;
    this.rotationRefused(error, file);
    return false;
  }
}

/** {@link LogFile}'s refusal of a file whose name led elsewhere (or nowhere) once it was open: a failing write, said by its message. */
class LogFileReplaced extends Error {
  readonly code = 'ERR_SUBVISOR_LOG_FILE_REPLACED';
}

/**
 * `file`'s rotations numbered past `keep` (`web.log.4`, `web.log.9` with `keep: 3`), read from its
 * directory: a gap in the numbers (`web.log.2` removed by hand, a run that kept 10 after one
 * that kept 3) must not keep those after it for ever, as counting up to the first missing one
 * did. Other names there (`web.log.old`, logrotate's `web.log.1.gz`) are not subvisor's, and stay.
 */
function rotationsPast(file: string, keep: number): string[] {
  const directory = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = node.fs.readdirSync(directory);
  } catch {
    // Listing takes a file descriptor, and a rotation must not need one to spare (every one in
    // use, EMFILE: the file's own is closed only once the others have moved on), nor leave to read
    // the directory. Counted up to the first missing number then, as ever; the rest go at the next.
    const counted: string[] = [];
    for (let index = keep + 1; lstatOf(`${file}.${index}`) !== undefined; index++) counted.push(`${file}.${index}`);
    return counted;
  }
  return names.filter((name) => name.startsWith(prefix) && rotationIndex(name.slice(prefix.length)) > keep).map((name) => join(directory, name));
}

/** The number a rotation's name ends with (`3` of `web.log.3`); 0 for any other ending, `03` included (subvisor never writes one). */
function rotationIndex(ending: string): number {
  return /^[1-9]\d*$/.test(ending) ? Number(ending) : 0;
}

/** Removes `path`; false when there was nothing there. */
function removeIfThere(path: string): boolean {
  try {
    node.fs.unlinkSync(path);
    return true;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    return false;
  }
}

/** rename(2), which replaces `to`; a missing `from` (fewer rotations so far than kept, a file removed) is fine. */
function renameIfThere(from: string, to: string): void {
  try {
    node.fs.renameSync(from, to);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}
