import { signalStatus } from '../exit-status.js';
import { errnoCode } from '../../errno.js';
import { wholeCharactersUpTo } from '../../log/cut-text.js';
import { lastState } from '../report-line.js';
import { CalledProcessError, ExitedBeforeReadyError, OutputClosedBeforeReadyError, ReadyTimeoutError, SpawnError, StopDeniedError, stderrNote } from '../../process/errors.js';
import { spawnErrorInOwnWords } from './spawn-words.js';
import { describeProbeExit, type ProbeExit } from './probes.js';
import { WatchError } from '../watch/errors.js';

/**
 * A process that was ready but then failed its liveness probe `failures` times in a row, and was
 * stopped for it. A failure like a crash, for the restart policy and for fail-fast: a server that
 * no longer answers is as good as one that died, only harder to notice.
 */
export class LivenessError extends Error {
  override readonly name = 'LivenessError';
  readonly code = 'ERR_SUBVISOR_LIVENESS';
  readonly notes: string[] = [];

  constructor(
    readonly processName: string,
    readonly failures: number,
    /** What the last try said (an exec probe's output, an HTTP status, a connect error). */
    readonly probeOutput: string,
    /** The stderr tail of the process, up to its stop. */
    readonly stderr: Buffer | null,
    /** How the last try exited, when it was an exec probe's that ran to its exit. */
    readonly probeExit?: ProbeExit,
  ) {
    super(`${processName} failed its liveness probe ${failures} time${failures === 1 ? '' : 's'} in a row and was stopped (last: ${lastTry(probeOutput, probeExit)})`);
    if (stderr && stderr.length > 0) this.notes.push(stderrNote(stderr));
  }
}

/** The run's failure when its `main` process never started: a condition it waited for could not be met. */
export class MainNotStarted extends Error {
  override readonly name = 'MainNotStarted';
  readonly code = 'ERR_SUBVISOR_MAIN_NOT_STARTED';
  constructor(
    readonly processName: string,
    /** Why, as `not started: ` lines say it: `migrate failed (status 3)`. */
    readonly reason: string,
  ) {
    super(`not started: ${reason}`);
  }
}

/**
 * A process whose `ready` probe (an http, tcp or exec one) did not pass within `readyTimeout`: it
 * was stopped. A {@link ReadyTimeoutError}, so it ends the run with 124 as a log pattern's
 * timeout does, and it carries what the probe said last: "connection refused" and "HTTP 503" are
 * different problems.
 */
export class ProbeTimeoutError extends ReadyTimeoutError {
  constructor(
    init: { cmd: readonly string[] | string; pid: number; timeoutMs: number; stderr: Buffer | null },
    readonly processName: string,
    /** What the last try said, or why there was none. */
    readonly probeOutput: string,
    /** How the last try exited, when it was an exec probe's that ran to its exit. */
    readonly probeExit?: ProbeExit,
  ) {
    super({ ...init, readyWhen: 'its ready probe' }, `${processName} was not ready within ${init.timeoutMs} ms (its ready probe never passed); it was stopped`);
    this.name = 'ProbeTimeoutError';
  }
}

/**
 * How a failure reads after a process name: `exited with status 3`, `died of SIGKILL`, ... The one
 * place a failure is put in words, for state lines, the summary and the report.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof ExitedBeforeReadyError) return error.signal !== null ? `died of ${error.signal} before it was ready` : `exited with status ${error.returncode} before it was ready`;
  if (error instanceof CalledProcessError) return error.signal !== null ? `died of ${error.signal}` : `exited with status ${error.returncode}`;
  if (error instanceof ProbeTimeoutError) return `was not ready within ${error.timeoutMs} ms (its ready probe never passed)`;
  // The pattern is the likeliest culprit (a server that says `Listening`, not `listening`): the lines above are what it was matched against.
  if (error instanceof ReadyTimeoutError) return `was not ready within ${error.timeoutMs} ms (no output line matched ${error.readyWhen})`;
  // It runs on, so its exit says nothing: what to change is said here, as nothing else will.
  if (error instanceof OutputClosedBeforeReadyError) return `closed its stdout and stderr before it was ready (no output line matched ${error.readyWhen}) and kept running; ${OUTPUT_CLOSED_ADVICE}`;
  if (error instanceof LivenessError) return `failed its liveness probe ${error.failures} time${error.failures === 1 ? '' : 's'} in a row (last: ${lastTry(error.probeOutput, error.probeExit)})`;
  if (error instanceof StopDeniedError) return `could not be stopped: ${error.signal} was refused (EPERM), as it or a process it started runs as another user now; left running: ${leftRunning(error)}`;
  if (error instanceof SpawnError) return spawnErrorInOwnWords(error);
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * A failure as the answer to a `start` or `restart` says it, after `web did not become ready: `:
 * {@link describeFailure}'s words, but a readiness timeout's own line (`was not ready within 2000 ms`)
 * or an exit's (`exited with status 3 before it was ready`) would say "ready" twice there, so it is
 * said as what happened: `timed out after 2000 ms (...)`, `exited with status 3`.
 */
export function failureAfterNotReady(error: unknown): string {
  if (error instanceof ExitedBeforeReadyError) return error.signal !== null ? `died of ${error.signal}` : `exited with status ${error.returncode}`;
  if (error instanceof ProbeTimeoutError) return `timed out after ${error.timeoutMs} ms (its ready probe never passed)`;
  if (error instanceof ReadyTimeoutError) return `timed out after ${error.timeoutMs} ms (no output line matched ${error.readyWhen})`;
  if (error instanceof OutputClosedBeforeReadyError) return `closed its stdout and stderr and kept running (no output line matched ${error.readyWhen}); ${OUTPUT_CLOSED_ADVICE}`;
  return describeFailure(error);
}

/** What to do about a process that closed its output before its ready line (see OutputClosedBeforeReadyError). */
const OUTPUT_CLOSED_ADVICE = 'keep them open until it prints its ready line, or give it an http, tcp or exec ready probe';

/**
 * The exit status {@link describeFailure}'s words already state (`exited with status 3`: 3), or
 * undefined when they state none (a death by signal, a timeout, a start that failed): a report
 * that gives the run's status too says it only when these words have not.
 */
export function statusInWords(error: unknown): number | undefined {
  return error instanceof CalledProcessError && error.signal === null ? error.returncode : undefined;
}

/** What kind of failure it was, for `--json` and for the restart line's reason. */
export type FailureKind = 'exit' | 'ready' | 'liveness' | 'spawn' | 'stop' | 'not-started' | 'watch' | 'error';

export function failureKind(error: unknown): FailureKind {
  if (error instanceof ExitedBeforeReadyError || error instanceof ReadyTimeoutError || error instanceof OutputClosedBeforeReadyError) return 'ready';
  if (error instanceof CalledProcessError) return 'exit';
  if (error instanceof LivenessError) return 'liveness';
  if (error instanceof SpawnError) return 'spawn';
  if (error instanceof StopDeniedError) return 'stop';
  if (error instanceof MainNotStarted) return 'not-started';
  if (error instanceof WatchError) return 'watch';
  return 'error';
}

/**
 * The same failure in a few words, for the reason a dependent was not started:
 * `migrate failed (status 3)`.
 */
export function shortFailure(error: unknown): string {
  if (error instanceof ExitedBeforeReadyError) return `${error.signal ?? `status ${error.returncode}`} before it was ready`;
  if (error instanceof CalledProcessError) return error.signal ?? `status ${error.returncode}`;
  if (error instanceof ReadyTimeoutError) return 'not ready in time';
  if (error instanceof OutputClosedBeforeReadyError) return 'output closed before it was ready';
  if (error instanceof LivenessError) return 'liveness';
  if (error instanceof SpawnError) return 'could not start';
  if (error instanceof StopDeniedError) return 'could not be stopped';
  return 'error';
}

/** The reason in a `restarting in D (reason)` line: it starts with `liveness` for a liveness failure. */
export function restartReason(error: unknown): string {
  if (error instanceof LivenessError) return `liveness: ${lastTry(error.probeOutput, error.probeExit)}`;
  return describeFailure(error);
}

/**
 * The state (SPEC §10) of a process whose attempt failed: `exited N` (128 + N for a death by
 * signal N, as a shell and subvisor's own exit status say it), or what happened.
 */
export function stateAfter(error: unknown): string {
  if (error instanceof CalledProcessError) return `exited ${error.signal === null ? error.returncode : signalStatus(error.signal)}`;
  if (error instanceof StopDeniedError) return `left running (${leftRunning(error)}): it could not be stopped`;
  return describeFailure(error);
}

/** Structured fields of a failure for `--json` state lines: {@link failureIdentity}'s, then what this kind of failure knows. */
export function failureFields(error: unknown): Record<string, unknown> {
  const identity = failureIdentity(error);
  // The same duration as the exit line's "after 8 ms" (a failure's own line does not say it).
  if (error instanceof CalledProcessError) return { ...identity, returncode: error.returncode, signal: error.signal, durationMs: Math.round(error.durationMs) };
  if (error instanceof LivenessError) return { ...identity, ...probeFields(error.probeOutput, error.probeExit) };
  if (error instanceof ProbeTimeoutError) return { ...identity, timeoutMs: error.timeoutMs, ...probeFields(error.probeOutput, error.probeExit) };
  if (error instanceof ReadyTimeoutError) return { ...identity, timeoutMs: error.timeoutMs };
  if (error instanceof StopDeniedError) return { ...identity, pid: error.pid, group: error.group, signal: error.signal };
  return identity;
}

/**
 * What every `--json` failure record says of its failure, so a script can switch on it: `reason`
 * ({@link failureKind}, as a `restarting` record says it) and `code`, the error's stable code
 * (`ERR_SUBVISOR_READY_TIMEOUT`, or the errno of a spawn that failed: `ENOENT`), as the library throws it.
 */
export function failureIdentity(error: unknown): { readonly reason: FailureKind; readonly code?: string } {
  const code = errnoCode(error);
  return code === undefined ? { reason: failureKind(error) } : { reason: failureKind(error), code };
}

/** The stderr tail a failure carries, if any. */
export function stderrOf(error: unknown): Buffer | null {
  if (error instanceof CalledProcessError || error instanceof ReadyTimeoutError || error instanceof LivenessError || error instanceof OutputClosedBeforeReadyError) return error.stderr;
  return null;
}

/** What a probe's last try said and how it exited, for a failure that has one (a liveness failure, a probe's readiness timeout). */
export function probeOutputOf(error: unknown): { readonly probe: 'ready' | 'liveness'; readonly output: string; readonly exit: ProbeExit | undefined } | undefined {
  if (error instanceof ProbeTimeoutError) return { probe: 'ready', output: error.probeOutput, exit: error.probeExit };
  if (error instanceof LivenessError) return { probe: 'liveness', output: error.probeOutput, exit: error.probeExit };
  return undefined;
}

/**
 * A probe's last try for `--json`: `probeOutput`, and `probeExit` (`{ returncode, signal }`) when
 * it was an exec probe's that ran to its exit.
 */
export function probeFields(output: string, exit: ProbeExit | undefined): Record<string, unknown> {
  return { probeOutput: output, ...(exit === undefined ? {} : { probeExit: { returncode: exit.returncode, signal: exit.signal } }) };
}

function leftRunning(error: StopDeniedError): string {
  return error.group ? `process group ${error.pid}` : `pid ${error.pid}`;
}

/** A probe's last try in one line: its last line, and how it exited (`no heartbeat (exit status 1)`). */
export function lastTry(output: string, exit: ProbeExit | undefined): string {
  if (exit === undefined) return lastLine(output);
  return output.trim() === '' ? describeProbeExit(exit) : `${lastLine(output)} (${describeProbeExit(exit)})`;
}

function lastLine(text: string): string {
  // A probe's last word is the one that counts: the error after its progress, the reason a try was
  // cut; written over a progress line with `\r` too (as the report shows a child's line).
  const line = lastState(text.trimEnd().split('\n').at(-1) ?? '');
  return line.length > 200 ? `${wholeCharactersUpTo(line, 200)}...` : line;
}
