import { UsageError } from './args.js';
import { ConfigError } from './config/errors.js';
import { ControlError, UNKNOWN_PROCESS } from './control/errors.js';
import { TooSlowError } from '../core/errors.js';
import { CalledProcessError, SpawnError } from '../process/errors.js';
import { killAllOwned } from '../process/stop/parent-exit.js';
import { CurrentDirectoryLost } from './current-directory.js';
import { node } from '../builtins.js';
import { exitOnceSaid } from './last-words.js';
import type { Terminals } from './terminal.js';

/** Exit statuses with a meaning shells already give them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  internal: 70, // sysexits' EX_SOFTWARE: a defect of subvisor's own (see ./uncaught.ts)
  timeout: 124, // coreutils timeout(1)
  cannotExecute: 126,
  notFound: 127,
} as const;

/** The signals the CLI can die of: the ones it stops for. (Node ignores SIGPIPE, so that one can only be imitated by a status.) */
export type DeadlySignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** How the CLI ends: with `exitCode`, or, when `signal` is set, killed by it (a shell then shows `exitCode`, 128+N, all the same). */
export interface Ending {
  readonly exitCode: number;
  readonly signal?: DeadlySignal;
}

/** 128 + N for a signal N: what a shell reports for a process killed by that signal. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + node.os.constants.signals[signal];
}

/**
 * The errnos of an exec that found the program and could not run it: 126, as timeout(1), env(1) and
 * bash give every exec failure but ENOENT, so a script tells "cannot run" from the program's own
 * status 1. What failed before the exec (no fds, no processes left, uid/gid refused) stays 1.
 */
const EXEC_REFUSALS: ReadonlySet<string> = new Set(['EACCES', 'ENOEXEC', 'E2BIG', 'ELOOP', 'ENAMETOOLONG', 'ETXTBSY', 'EISDIR', 'ENOTDIR']);

/** The status the CLI exits with when a process failed with `error`. */
export function statusOfFailure(error: unknown): number {
  if (error instanceof CalledProcessError) {
    if (error.signal !== null) return signalStatus(error.signal);
    return error.returncode > 0 ? Math.min(error.returncode, 255) : EXIT.failure;
  }
  if (error instanceof SpawnError) {
    // 127 and 126 say the command itself was missing or not runnable (as a shell says it); a cwd that could not be used says neither.
    if (error.cwdUnusable) return EXIT.failure;
    if (error.code === 'ENOENT') return EXIT.notFound;
    return EXEC_REFUSALS.has(error.code) ? EXIT.cannotExecute : EXIT.failure;
  }
  if (error instanceof TooSlowError) return EXIT.timeout;
  return EXIT.failure;
}

/** A refusal before anything started: a config that cannot be used (or none found), an option that cannot be read, a control socket that cannot be had. */
export type Refusal = ConfigError | ControlError | UsageError;

export function isRefusal(error: unknown): error is Refusal {
  return error instanceof ConfigError || error instanceof ControlError || error instanceof UsageError;
}

/**
 * The status a {@link Refusal} ends the CLI with: a config that cannot be used is a mistake in what
 * was asked (2, as a usage mistake), and so is a name the run has no process by (`restart wrk`, as
 * `up wrk` is: a script tells a typo from a process that failed, which is 1); a control socket that
 * cannot be had (another run up, no run to ask, a directory of another user) fails as `mkdir` or
 * `cat` fail on a path (1), as does a request the run could not carry out.
 */
export function statusOfRefusal(error: Refusal): number {
  if (!(error instanceof ControlError)) return EXIT.usage;
  return error.code === UNKNOWN_PROCESS ? EXIT.usage : EXIT.failure;
}

/**
 * How a command ends before its run exists: a {@link Refusal}, or a start that failed first (`run
 * -- ''`, a current directory that was removed). Told in words on stderr, or with `--json` as one
 * failure record (see json-refusals.ts), with the status {@link statusOfEarlyEnd} gives.
 */
export type EarlyEnd = Refusal | SpawnError | CurrentDirectoryLost;

export function isEarlyEnd(error: unknown): error is EarlyEnd {
  return isRefusal(error) || error instanceof SpawnError || error instanceof CurrentDirectoryLost;
}

/** The status an {@link EarlyEnd} ends the CLI with: a refusal's, or the one the same failure ends a run with. */
export function statusOfEarlyEnd(error: EarlyEnd): number {
  return isRefusal(error) ? statusOfRefusal(error) : statusOfFailure(error);
}

/**
 * Ends the process by `signal` itself, as the signal's default action would have, rather than by
 * exiting with 128+N. The status a shell shows is the same.
 *
 * It is the only clean way out once the terminal has gone. On Node 20 every ordinary exit
 * (`process.exit()`, the end of the event loop) first restores the settings of the standard
 * streams that were terminals, a hung-up terminal answers that with EIO, and Node aborts with 134
 * (nodejs/node#51519; fixed upstream by nodejs/node#58200). A signal's default action runs no code.
 *
 * So no 'exit' listener runs either, and the library's, which SIGKILLs the children still alive,
 * is done here first; then every listener for `signal` goes, so nothing can catch it. Returns only
 * if the process survived its own signal, which Node's start-up (every signal at its default
 * action, SIGPIPE aside) leaves no way for: the caller then exits as it would have.
 */
export function dieOf(signal: DeadlySignal): void {
  killAllOwned();
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/**
 * Ends the process at once after `signal` (a second Ctrl-C): every child group still alive gets
 * SIGKILL, and the status is 128+N. Programs that run the CLI read that status as documented
 * (`130` after Ctrl-C), so it is an exit with that status, once the words that say so (`said`)
 * are written or could not be in a moment (see {@link exitOnceSaid}), except when one of
 * `terminals` has hung up: then only dying of the signal is clean (see {@link dieOf}).
 */
export function exitAtOnce(signal: DeadlySignal, terminals: Terminals, said?: Promise<void>): void {
  // The exit listens for its signals before the library's listeners go (killAllOwned): with none
  // at all for a moment, Node puts the signal back to its default action.
  exitOnceSaid(signalStatus(signal), said, { terminals, signal });
  killAllOwned();
}
