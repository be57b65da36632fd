import { TooSlowError } from '../core/errors.js';
import { commandInMessage, escapeControlCharacters, quoteCommand } from './command.js';
import { neutraliseControlSequences } from '../log/sanitize.js';
import { withoutLastLineEnd } from './output/lines.js';

/** Fields of a {@link CalledProcessError}. */
export interface CalledProcessErrorInit {
  /** The command as it was given: an argv, or a string run by the shell. */
  readonly cmd: readonly string[] | string;
  /** The exit status; `-N` when the child was killed by signal N. */
  readonly returncode: number;
  /** The signal that killed the child, or `null` when it exited. */
  readonly signal: NodeJS.Signals | null;
  /** Default null (not captured). */
  readonly stdout?: Buffer | null | undefined;
  /** Default null (not read). */
  readonly stderr?: Buffer | null | undefined;
  /** The child's pid. Default 0 (unknown). */
  readonly pid?: number | undefined;
  /** From spawn to exit, in milliseconds. Default 0 (unknown). */
  readonly durationMs?: number | undefined;
}

/**
 * A child exited with a non-zero status (or was killed by a signal we did not send) while
 * `check` was on. Python's `subprocess.CalledProcessError`, with `add_note()`'s `notes`.
 *
 * For supervised children `stderr` is the tail (at most 16 KiB) of what the child wrote, complete
 * up to its exit: the status is checked only after every pipe reached EOF. The same tail is
 * attached as an indented `|_.stderr:` note, which shows in `.stack` and `util.inspect`, so a
 * teardown log says why the child failed in its own words.
 */
export class CalledProcessError extends Error {
  override name = 'CalledProcessError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_CALLED_PROCESS'`; a child that exited before it was ready (`ExitedBeforeReadyError`) has its own. */
  // A union of literals, not `string`, so that a switch over it narrows and a misspelt case is
  // refused; the subclass's `override` is checked against it.
  readonly code: 'ERR_SUBVISOR_CALLED_PROCESS' | 'ERR_SUBVISOR_EXITED_BEFORE_READY' = 'ERR_SUBVISOR_CALLED_PROCESS';
  /** The exit status; `-N` when the child was killed by signal N (Python's rule). */
  readonly returncode: number;
  /** The signal that killed the child, or `null` when it exited with a status. */
  readonly signal: NodeJS.Signals | null;
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;
  /** The argv quoted as a POSIX shell reads it, control characters made visible. */
  readonly command: string;
  /** The child's pid (0 when unknown: an error made by hand without one). */
  readonly pid: number;
  /** From spawn to exit, in milliseconds. */
  readonly durationMs: number;
  /** What `runProcess` captured (`captureStdout`), else `null`; always `null` for a supervised child. */
  readonly stdout: Buffer | null;
  /**
   * What `runProcess` captured (`captureStderr`); for a supervised child, the last 16 KiB it wrote
   * to stderr, complete up to its exit; `null` when stderr was not read.
   */
  readonly stderr: Buffer | null;
  /** Notes added by {@link CalledProcessError.addNote} (the `|_.stderr:` block of the tail), in order; each also ends `stack`. */
  readonly notes: string[] = [];

  /**
   * @param init - What the child did; see {@link CalledProcessErrorInit}.
   * @param message - Default: the command, quoted as a shell reads it, and how it ended, e.g. `sh -c 'exit 3' exited with status 3;
   * pass check: false to handle the status yourself`.
   */
  constructor(init: CalledProcessErrorInit, message?: string) {
    super(message ?? describeExit(init));
    this.cmd = typeof init.cmd === 'string' ? init.cmd : [...init.cmd];
    this.command = quoteCommand(init.cmd);
    this.returncode = init.returncode;
    this.signal = init.signal;
    this.pid = init.pid ?? 0;
    this.durationMs = init.durationMs ?? 0;
    this.stdout = init.stdout ?? null;
    this.stderr = init.stderr ?? null;
  }

  /** Attaches a note (Python's `add_note()`): kept in `notes` and appended to `stack`. */
  addNote(note: string): void {
    addNote(this, note);
  }
}

/**
 * A supervised child exited before any line matched `readyWhen`: `start()` rejects with this
 * (a {@link CalledProcessError}, even for status 0: a daemon that quits before it is ready failed).
 */
export class ExitedBeforeReadyError extends CalledProcessError {
  override name = 'ExitedBeforeReadyError';
  override readonly code = 'ERR_SUBVISOR_EXITED_BEFORE_READY';
  /** What no line matched, as text: `String(readyWhen)` (`/listening/`, or the function's source); `subvisor up` says `its ready probe`. */
  readonly readyWhen: string;

  constructor(init: CalledProcessErrorInit, readyWhen: string) {
    super(init, `${commandInMessage(init.cmd)} ${exitPhrase(init)} before it was ready (no output line matched ${readyWhen}); check ${whatToCheck(init.stderr)}`);
    this.readyWhen = readyWhen;
  }
}

/** The stderr tail is the note below the message; a stderr read and empty leaves only the pattern; one not read (ignored, inherited) is the child's to look at. */
function whatToCheck(stderr: Buffer | null | undefined): string {
  if (stderr === null || stderr === undefined) return "the readiness pattern and the child's stderr";
  return stderr.length > 0 ? "the readiness pattern and the child's stderr below" : 'the readiness pattern (the child wrote nothing on stderr)';
}

/**
 * A supervised child was not ready within `readyTimeoutMs`, and was stopped. A {@link TooSlowError}
 * (so code that handles deadlines handles this one), with the child's stderr tail attached as the
 * same `|_.stderr:` note a {@link CalledProcessError} carries: why a server never came up is
 * usually in its last words.
 */
export class ReadyTimeoutError extends TooSlowError {
  override readonly code = 'ERR_SUBVISOR_READY_TIMEOUT';
  /** The readiness deadline that passed, in milliseconds. */
  declare readonly timeoutMs: number;
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;
  /** The argv quoted as a POSIX shell reads it, control characters made visible. */
  readonly command: string;
  /** The child's pid; the child was stopped when the deadline passed. */
  readonly pid: number;
  /** The last 16 KiB the child wrote to stderr before it was stopped, when stderr was read. */
  readonly stderr: Buffer | null;
  /** What no line matched in time, as text: `String(readyWhen)` (`/listening/`, or the function's source); `subvisor up` says `its ready probe`. */
  readonly readyWhen: string;
  /** Notes added by {@link ReadyTimeoutError.addNote} (the `|_.stderr:` block of the tail), in order; each also ends `stack`. */
  readonly notes: string[] = [];

  constructor(init: { cmd: readonly string[] | string; pid: number; timeoutMs: number; stderr: Buffer | null; readyWhen: string }, message: string) {
    super(init.timeoutMs, message);
    this.name = 'ReadyTimeoutError';
    this.cmd = typeof init.cmd === 'string' ? init.cmd : [...init.cmd];
    this.command = quoteCommand(init.cmd);
    this.pid = init.pid;
    this.stderr = init.stderr;
    this.readyWhen = init.readyWhen;
  }

  /** Attaches a note (Python's `add_note()`): kept in `notes` and appended to `stack`. */
  addNote(note: string): void {
    addNote(this, note);
  }
}

/**
 * A supervised child closed every output pipe `readyWhen` reads (its stdout and its stderr) before
 * any line matched, and was still running a short grace later (500 ms, `OUTPUT_CLOSED_GRACE_MS`):
 * no line can come any more, so it could never be ready. It was stopped as a cancelled child is
 * (its stop signal to its group, SIGKILL after `killGraceMs`), and `start()` rejects with this at
 * once instead of waiting for `readyTimeoutMs` (or forever, without one). A child that exits within
 * the grace is judged by its exit ({@link ExitedBeforeReadyError}) as before.
 */
export class OutputClosedBeforeReadyError extends Error {
  override name = 'OutputClosedBeforeReadyError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_OUTPUT_CLOSED_BEFORE_READY'`. */
  readonly code = 'ERR_SUBVISOR_OUTPUT_CLOSED_BEFORE_READY';
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;
  /** The argv quoted as a POSIX shell reads it, control characters made visible. */
  readonly command: string;
  /** The child's pid; the child was stopped. */
  readonly pid: number;
  /** The last 16 KiB the child wrote to stderr before it closed it, when stderr was read. */
  readonly stderr: Buffer | null;
  /** What no line matched, as text: `String(readyWhen)` (`/listening/`, or the function's source). */
  readonly readyWhen: string;
  /** Notes added by {@link OutputClosedBeforeReadyError.addNote} (the `|_.stderr:` block of the tail), in order; each also ends `stack`. */
  readonly notes: string[] = [];

  /**
   * @param init - The child, its stderr tail and what no line matched.
   * @param nameInMessages - How the message names it. Default: the command, quoted as a shell reads it.
   */
  constructor(init: { cmd: readonly string[] | string; pid: number; stderr: Buffer | null; readyWhen: string }, nameInMessages: string = commandInMessage(init.cmd)) {
    super(
      `${nameInMessages} closed its stdout and stderr before any line matched ${init.readyWhen}, and kept running, so it could never be ready; it was stopped. ` +
        'Have it keep its output open until it prints its ready line, or wait for its readiness another way (drop readyWhen and check it once start() has resolved, or bound the wait with readyTimeoutMs)',
    );
    this.cmd = typeof init.cmd === 'string' ? init.cmd : [...init.cmd];
    this.command = quoteCommand(init.cmd);
    this.pid = init.pid;
    this.stderr = init.stderr;
    this.readyWhen = init.readyWhen;
  }

  /** Attaches a note (Python's `add_note()`): kept in `notes` and appended to `stack`. */
  addNote(note: string): void {
    addNote(this, note);
  }
}

/** The fields of a {@link SpawnError} beyond its command and reason. */
export interface SpawnErrorOptions {
  /** The errno code (`ENOENT`, `EACCES`, ...). Default `'ERR_SUBVISOR_SPAWN'`. */
  code?: string | undefined;
  /** The `cwd` option as given. Default: none (the parent's own). */
  cwd?: string | undefined;
  /** The cwd, not the program, is what could not be used. Default false. */
  cwdUnusable?: boolean | undefined;
  /** The error that Node, or the diagnosis, raised. Default: none. */
  cause?: unknown;
  /** Why only a shell could run the command (see {@link SpawnError.shellOnly}). Default: none. */
  shellOnly?: ShellOnly | undefined;
}

/** Why a command could run only under a shell: see {@link SpawnError.shellOnly}. */
type ShellOnly = 'builtin' | 'whole-command';

/**
 * The reason a {@link SpawnError} gives for a command only a shell could run (`shellOnly`), its
 * `program` named, with `shellWays`: how its reader has a shell run a command. The library's
 * reader passes `shell: true`; a reader of a config writes the command as one string.
 */
export function shellOnlyReason(program: string, shellOnly: ShellOnly, shellWays: string): string {
  return shellOnly === 'builtin'
    ? `${program} is built into the shell, not a program: have a shell run the command (${shellWays})`
    : `${program} is one word holding a whole command: give each word as an argument of its own, or have a shell read it (${shellWays})`;
}

/**
 * A command could not be started at all: missing, not executable, a bad interpreter line, a
 * missing cwd, too many open files... Raised at once, never as a hang or an unhandled 'error'.
 */
export class SpawnError extends Error {
  override name = 'SpawnError';
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;
  /** The argv quoted as a POSIX shell reads it. */
  readonly command: string;
  /** The errno code (`ENOENT`, `EACCES`, `ENOTDIR`, `EMFILE`, ...) when there is one, else `'ERR_SUBVISOR_SPAWN'`. */
  readonly code: string;
  /** The `cwd` option as given (a file URL as its path), or `undefined` when none was: the parent's own. */
  readonly cwd: string | undefined;
  /** The cwd, not the program, is what could not be used (missing, not a directory, not enterable): `code` alone cannot tell a missing cwd from a missing program. */
  readonly cwdUnusable: boolean;
  /**
   * Set when the program was not found (`ENOENT`) but a shell would have run the command:
   * `'builtin'`, its program is built into sh (`cd`, `export`); `'whole-command'`, its program is
   * a whole command written as one word (`['npm run dev']`). A program of its own may reword the
   * advice (the message says `shell: true`) for its own users. Undefined otherwise.
   */
  readonly shellOnly: ShellOnly | undefined;
  /**
   * Why it could not start, and what to do: the message after its command, as it was given (the
   * message shows control characters in it escaped). A program of its own may name the command its
   * own way and keep this reason (`subvisor up` names a value read from `.env` by its variable).
   */
  readonly reason: string;

  /**
   * @param cmd - The command as it was given.
   * @param reason - Why it could not start, and what to do; the message is `cannot start CMD: REASON`.
   * @param options - The fields below. Default `{}`.
   */
  constructor(cmd: readonly string[] | string, reason: string, options: SpawnErrorOptions = {}) {
    // The reason may name the program, its cwd or its #! line: the caller's words, shown escaped as the command is.
    super(`cannot start ${commandInMessage(cmd)}: ${escapeControlCharacters(reason)}`, { cause: options.cause });
    this.cmd = typeof cmd === 'string' ? cmd : [...cmd];
    this.command = quoteCommand(cmd);
    this.code = options.code ?? 'ERR_SUBVISOR_SPAWN';
    this.cwd = options.cwd;
    this.cwdUnusable = options.cwdUnusable ?? false;
    this.shellOnly = options.shellOnly;
    this.reason = reason;
  }
}

/** A capture crossed its limit: the child wrote more than the caller agreed to hold in memory. */
export class OutputLimitError extends Error {
  override name = 'OutputLimitError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_OUTPUT_LIMIT'`. */
  readonly code = 'ERR_SUBVISOR_OUTPUT_LIMIT';
  /** The captured stream that crossed the limit. */
  readonly stream: 'stdout' | 'stderr';
  /** The limit it crossed: `maxCaptureBytes` (default 64 MiB per stream). */
  readonly limitBytes: number;
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;

  constructor(cmd: readonly string[] | string, stream: 'stdout' | 'stderr', limitBytes: number) {
    super(
      `${commandInMessage(cmd)} wrote more than ${limitBytes} bytes to ${stream}, the capture limit; ` +
        `raise maxCaptureBytes, or relay the output line by line with superviseRunProcess instead of capturing it`,
    );
    this.cmd = typeof cmd === 'string' ? cmd : [...cmd];
    this.stream = stream;
    this.limitBytes = limitBytes;
  }
}

/**
 * A child could not be stopped: the system refused the signal (EPERM), because the child, or a
 * process it started, now runs as a user this process may not signal (a setuid program that took
 * its owner's uid for good, `setpriv`, `su`, a root parent without CAP_KILL). Nothing can end it
 * from here, so it is left running, and the supervising call (and `Process.stop()`) rejects with
 * this at once instead of waiting for an exit that will not come. Its pipes are no longer read.
 */
export class StopDeniedError extends Error {
  override name = 'StopDeniedError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_STOP_DENIED'`. */
  readonly code = 'ERR_SUBVISOR_STOP_DENIED';
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly cmd: string[] | string;
  /** The argv quoted as a POSIX shell reads it, control characters made visible. */
  readonly command: string;
  /** The child's pid; when it leads a process group of its own (`newSession`, the default), that group's id. */
  readonly pid: number;
  /** Whether the group (`kill -- -pid`) was signalled, or the child alone (`newSession: false`). */
  readonly group: boolean;
  /** The signal that was refused. */
  readonly signal: NodeJS.Signals;

  constructor(init: { cmd: readonly string[] | string; pid: number; group: boolean; signal: NodeJS.Signals }) {
    const uid = process.getuid?.();
    const who = init.group ? `its process group (${init.pid})` : `it (pid ${init.pid})`;
    super(
      `cannot stop ${commandInMessage(init.cmd)}: ${init.signal} to ${who} was refused (EPERM), because it, or a process it started, now runs as a user ` +
        `this process${uid === undefined ? '' : ` (uid ${uid})`} may not signal; it is left running. ` +
        `Stop it as its user or as root (\`kill ${init.group ? `-- -${init.pid}` : init.pid}\`), and run the parent as a user allowed to signal the children it starts`,
    );
    this.cmd = typeof init.cmd === 'string' ? init.cmd : [...init.cmd];
    this.command = quoteCommand(init.cmd);
    this.pid = init.pid;
    this.group = init.group;
    this.signal = init.signal;
  }
}

/** Formats the `|_.stderr:` note of the seed: the tail, indented, so it stands out in a log. */
export function stderrNote(stderr: Buffer): string {
  // The note goes into `stack`, which an uncaught error prints to the terminal: the child's own
  // control sequences are shown, not obeyed (colour kept, and reset after).
  const text = neutraliseControlSequences(withoutLastLineEnd(stderr.toString('utf8')));
  const reset = text.includes('\x1b') ? '\x1b[0m' : '';
  return `|_.stderr:\n${text.replace(/^/gm, '    ')}${reset}`;
}

/** Attaches the `|_.stderr:` note when there is a tail to show; returns the error for `throw`. */
export function withStderrNote<E extends Error & { readonly stderr: Buffer | null; addNote(note: string): void }>(error: E, tail: Buffer | null = error.stderr): E {
  if (tail && tail.length > 0) error.addNote(stderrNote(tail));
  return error;
}

function addNote(error: Error & { readonly notes: string[] }, note: string): void {
  error.notes.push(note);
  error.stack = `${error.stack ?? `${error.name}: ${error.message}`}\n${note}`;
}

function describeExit(init: CalledProcessErrorInit): string {
  return `${commandInMessage(init.cmd)} ${exitPhrase(init)}; pass check: false to handle the status yourself`;
}

function exitPhrase(init: CalledProcessErrorInit): string {
  return init.signal !== null ? `died of ${init.signal} (returncode ${init.returncode})` : `exited with status ${init.returncode}`;
}
