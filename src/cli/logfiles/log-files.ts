import { basename, dirname, join, resolve } from 'node:path';
import { node } from '../../builtins.js';
import { ConfigError } from '../config/errors.js';
import type { LogFilesSpec } from '../config/spec.js';
import { blockText, type LineBlock } from '../../process/output/ascii-block.js';
import type { OutputTee } from '../output.js';
import { DIR_MODE, LogFile } from './log-file.js';
import { makeDirectories, whatIsInTheWay } from '../directories.js';
import { errnoCode } from '../../errno.js';
import { noSpaceOn } from './no-space.js';
import { canonicalPathOf, lstatOf, statOf } from '../../process/stat.js';
import { shownAsText } from '../../log/sanitize.js';
import { directoriesLinksLeadInto, directoryOthersMayWrite, refusalOfOpenDirectory, trustAsRead, type Trusted } from '../others-may-write.js';

/** The way out of a file system that ran out, for log files: they may be written anywhere. */
const ELSEWHERE = ', or give `logs` a `dir` on another file system';

/**
 * Why the log files could not be opened at the start, and what to do. Running out of file
 * descriptors is not the directory's fault: each file stays open for the whole run, so a config of
 * many processes under a low `ulimit -n` fails here, and being told to pick another `dir` would
 * send the user the wrong way.
 */
function openFailure(path: string, error: unknown): string {
  if (error instanceof UnsafeLogDirectory) return error.message;
  const code = errnoCode(error);
  if (code === 'EMFILE') {
    return `cannot open the log files: ${path}: too many open files (EMFILE): the run keeps one open per process; raise the limit (ulimit -n), or run fewer processes`;
  }
  if (code === 'ENFILE') {
    return `cannot open the log files: ${path}: the system's table of open files is full (ENFILE); close files elsewhere on this machine, or raise fs.file-max`;
  }
  if (code === 'ENXIO' && statOf(path)?.isFIFO() === true) {
    // A named pipe opened without waiting (see openFlags in log-file.ts) when nothing reads it;
    // a socket's path says ENXIO too, whatever listens on it, and takes the plain message.
    return `cannot open the log files: ${path}: nothing reads this named pipe (ENXIO); start its reader before subvisor, or remove it to have a file`;
  }
  // Not the directory's permissions, as the last words below would have it: what ran out, and where to look.
  if (code === 'ENOSPC') {
    const noSpace = noSpaceOn(path, error) ?? { what: 'no space left on device (ENOSPC)', fix: 'free space (`df -h`) or inodes (`df -i`) on its file system' };
    return `cannot write the log files: ${path}: ${noSpace.what}; ${noSpace.fix}${ELSEWHERE}`;
  }
  // A NAME.log in the way, or led elsewhere: another `dir` is not what is wanted.
  if (code === 'EISDIR') return `cannot write the log files: ${path} is a directory, not a file (EISDIR); move it aside`;
  const leadsNowhere = code === 'ENOENT' ? linkIntoNothing(path) : undefined;
  if (leadsNowhere !== undefined) {
    return `cannot write the log files: ${path} is a link to ${leadsNowhere.target}, whose directory is not there (ENOENT); make or mount ${leadsNowhere.directory}, or remove the link to have a file`;
  }
  const inTheWay = code === 'EEXIST' || code === 'ENOTDIR' ? whatIsInTheWay(error) : undefined;
  if (inTheWay !== undefined) return `cannot write the log files: ${inTheWay.what} (${code}); ${inTheWay.fix}, or give \`logs\` a \`dir\` you can write`;
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return `cannot write the log files: ${path}: ${reason}; give \`logs\` a \`dir\` you can write, or remove \`logs\``;
}

/**
 * For a `NAME.log` that is a link to a file in a directory not there (`logs/web.log ->
 * ../data/web.log`, data not made or not mounted): what it says, and that directory, full, as
 * the kernel reads it (from the link's real directory). Opening it says only ENOENT, of a file
 * that `ls` shows.
 */
function linkIntoNothing(path: string): { readonly target: string; readonly directory: string } | undefined {
  if (lstatOf(path)?.isSymbolicLink() !== true) return undefined;
  try {
    const target = node.fs.readlinkSync(path);
    const directory = dirname(resolve(canonicalPathOf(dirname(path)) ?? dirname(path), target));
    return statOf(directory) === undefined ? { target, directory } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws when a user other than this one may put names in the log directory (or replace it, from a
 * directory above it): a link planted there as `NAME.log` would have this run, root too, append to
 * and rotate the file it leads to (see ../others-may-write.ts). With `file`, the same of each
 * directory that file, a link, leads into (`ln -s /data/web.log logs/web.log`): a link planted
 * there as `web.log` is followed as well.
 */
function refuseOpenDirectory(spec: LogFilesSpec, trusted: Trusted, file?: string): void {
  const refusal = refusalOfOpenDirectory('the log directory', spec.dir, trusted);
  if (refusal !== undefined) throw new UnsafeLogDirectory(`${refusal}; ${unsafeDirectoryAdvice(spec.dir, trusted)}`);
  if (file === undefined) return;
  for (const directory of directoriesLinksLeadInto(file)) {
    const open = directoryOthersMayWrite(directory, trusted);
    if (open === undefined) continue;
    const where = open.path === directory ? '' : `${open.path} above it: `;
    throw new UnsafeLogDirectory(
      `${file} is a link into ${directory}, which is open to other users (${where}${open.why}); a link put there could lead what subvisor writes (as root too) to any file it may write; link ${basename(file)} to a file in a directory only you (or root) may write, or make that directory so (chown, chmod go-w)`,
    );
  }
}

/**
 * What to do about a log directory others may write. One shared by design (a sticky `/tmp`, a
 * group's `/var/log`) is not to be made private: everyone else's programs write there too. A
 * directory of its own in it is the way, wherever that would not be refused in its turn (asked of
 * the same check, so the advice is never one the next run refuses).
 */
function unsafeDirectoryAdvice(dir: string, trusted: Trusted): string {
  const own = join(dir, 'APP');
  if (directoryOthersMayWrite(own, trusted) === undefined) return `give \`logs\` a directory of its own in it (\`dir: ${own}\`, which subvisor makes for you alone)`;
  return 'give `logs` a `dir` that only you (or root) may write, or make that directory so (chown, chmod go-w)';
}

/** {@link refuseOpenDirectory}'s error, whose message is the whole story (not the plain fs error of {@link openFailure}). */
class UnsafeLogDirectory extends Error {
  readonly code = 'ERR_SUBVISOR_UNSAFE_LOG_DIRECTORY';
}

/** Where `name`'s log file is, in the log directory `dir`: `DIR/NAME.log` (rotated as `NAME.log.1` ...). */
function logFilePath(dir: string, name: string): string {
  return join(dir, `${name}.log`);
}

/** The word for a stream in a log line: as short as the time before it allows to read. */
const STREAM_WORD = { stdout: 'out', stderr: 'err' } as const;

/**
 * The log files of a run (`logs:` in subvisor.yaml): `DIR/NAME.log` per process, each line
 * `TIME out|err TEXT`, where TIME is the moment subvisor read the line, in UTC, ISO 8601 to the
 * millisecond (`2026-12-01T22:48:15.123Z out listening on 8080`): sortable, unambiguous across
 * time zones and daylight saving, and what `jq`, `sort` and log shippers read. Only the children's
 * lines are written, not subvisor's state lines: the file is the process's output, what
 * `subvisor logs` shows, so a tool reading it never has to tell the two apart. Each line is as
 * a plain output shows it ({@link shownAsText}): a file is read with grep, `tail -f` and log
 * shippers, where a child's colours are noise (and differ by where `up` ran, since children on a
 * colour terminal are told to colour) and a cursor move or a title change would be obeyed.
 *
 * It is the output's {@link OutputTee}: lines are queued as they come and written, one write per
 * file, just before the output's batch goes to stdout, so a line that reached stdout is in its
 * file, and a flood costs one system call per file per batch.
 *
 * A file that cannot be written (a full disk) is warned of once on stderr, and tried again at each
 * batch: its lines still reach stdout and the run goes on (the log files are a copy, not worth a
 * stack), and once a write goes through again, a second warning says how many lines the file
 * misses. The file itself holds only the process's lines, never a mark of the gap.
 */
export class LogFiles implements OutputTee {
  readonly #files = new Map<string, LogFile>();
  /** The lines lost so far by each file whose writes are failing. */
  readonly #failing = new Map<string, number>();
  readonly #warn: (message: string) => void;
  /** `TIME out ` and `TIME err ` of the current batch; undefined once a flush ended it (see #prefix). */
  #prefixes: { readonly stdout: string; readonly stderr: string } | undefined;

  /**
   * Opens nothing yet (see {@link open}): a run refused before it starts (another run holds the
   * socket) must not have created a directory or a file.
   *
   * @param warn - Told when a file's writes start failing during the run, and when they go through
   *   again. Default: a line on stderr.
   */
  constructor(
    private readonly spec: LogFilesSpec,
    private readonly names: readonly string[],
    warn: (message: string) => void = (message) => process.stderr.write(`subvisor: ${message}\n`),
  ) {
    this.#warn = warn;
  }

  /**
   * The run's own paths here, for a watch to leave out: the directory, and each process's file by
   * name, which is what is left out when the directory holds what is watched (`dir: .`).
   */
  get paths(): readonly string[] {
    return [this.spec.dir, ...this.names.map((name) => logFilePath(this.spec.dir, name))];
  }

  /**
   * Creates the directory and opens one file per process; throws {@link ConfigError}, at the
   * `logs` key, when the directory or a file cannot be made, before anything starts.
   */
  open(): void {
    const { spec } = this;
    let path = spec.dir;
    try {
      // Before, so a refused run makes nothing there; each file looks again before it opens (for
      // a directory another user made meanwhile, in /tmp), and at each open during the run.
      // The config's owner as the run read it: asked at every open, its file may be gone by then.
      const trusted = trustAsRead({ configFile: spec.source?.file });
      refuseOpenDirectory(spec, trusted);
      makeDirectories(spec.dir, DIR_MODE);
      for (const name of this.names) {
        const file = logFilePath(spec.dir, name);
        path = file;
        const rotationRefused = (error: unknown, rotated: string): void => this.#warnRotationRefused(name, rotated, error);
        this.#files.set(name, new LogFile(file, spec, rotationRefused, () => refuseOpenDirectory(spec, trusted, file)));
      }
    } catch (error) {
      this.close();
      const where = spec.source ?? { file: spec.dir };
      throw new ConfigError([{ ...where, path: 'logs', message: openFailure(path, error), cause: error }]);
    }
  }

  line(name: string, stream: 'stdout' | 'stderr', text: string): void {
    this.#files.get(name)?.add(`${this.#prefix(stream)}${shownAsText(text)}\n`);
  }

  lines(name: string, stream: 'stdout' | 'stderr', block: LineBlock): void {
    const file = this.#files.get(name);
    if (file === undefined) return;
    // Prefixes hold no `$` (a time and a word), so they are safe as a replacement string.
    const prefix = this.#prefix(stream);
    // Neutralising keeps each LF as it is: the block is cleaned whole, its lines stay its lines.
    const text = shownAsText(blockText(block));
    file.add(`${prefix}${text.replaceAll('\n', `\n${prefix}`)}\n`);
  }

  /** Writes what is queued, file by file. */
  flush(): void {
    // The next line reads the clock again (see #prefix).
    this.#prefixes = undefined;
    for (const [name, file] of this.#files) {
      if (file.pending) this.#write(name, file);
    }
  }

  /** Writes what is queued and closes every file; says what each file still failing misses. */
  close(): void {
    this.flush();
    for (const [name, file] of this.#files) {
      file.close();
      const lost = this.#failing.get(name);
      if (lost !== undefined) this.#warn(`${file.path} could not be written to the end; ${lost} of ${name}'s lines are missing from it`);
    }
    this.#files.clear();
    this.#failing.clear();
  }

  /** Says that `file` (`name`'s, by its real path) cannot be rotated, so grows, and what to do. */
  #warnRotationRefused(name: string, file: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#warn(`cannot rotate ${file} (${reason}); ${name}'s lines go on to it past maxSize: let subvisor write ${dirname(file)}, or link ${name}.log to a file in a directory it can write`);
  }

  /** Writes `file`'s queued lines, and warns when its writes start failing or go through again. */
  #write(name: string, file: LogFile): void {
    const failure = file.write();
    const lostBefore = this.#failing.get(name);
    if (failure === undefined) {
      if (lostBefore === undefined) return;
      this.#failing.delete(name);
      this.#warn(`${file.path} is written again; ${lostBefore} of ${name}'s lines are missing from it`);
      return;
    }
    this.#failing.set(name, (lostBefore ?? 0) + failure.linesLost);
    if (lostBefore !== undefined) return;
    const noSpace = noSpaceOn(file.path, failure.error);
    const reason = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const why = noSpace === undefined ? ` (${reason})` : `: ${noSpace.what}; ${noSpace.fix}${ELSEWHERE}`;
    this.#warn(`cannot write ${file.path}${why}; ${name}'s lines go on to the output, and to the file again once it can be written`);
  }

  /**
   * A line's time and stream: the clock is read once per batch (a flush ends one), not once per
   * line. The lines of one batch arrived in one turn of the event loop (or one 64 KiB of it), so
   * they share the time their read began, and a flood of thousands of lines a millisecond neither
   * reads the clock nor formats a date for each.
   */
  #prefix(stream: 'stdout' | 'stderr'): string {
    if (this.#prefixes === undefined) {
      const time = new Date().toISOString();
      this.#prefixes = { stdout: `${time} ${STREAM_WORD.stdout} `, stderr: `${time} ${STREAM_WORD.stderr} ` };
    }
    return this.#prefixes[stream];
  }
}
