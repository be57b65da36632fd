import type { TaskContext } from '../core/nursery.js';
import { currentSignal } from '../core/scope.js';
import { TooSlowError } from '../core/errors.js';
import { getLogger } from '../log/logger.js';
import { resolveLevelMethod } from '../log/structural.js';
import { formatCommand } from './command.js';
import { CalledProcessError, ExitedBeforeReadyError, stderrNote } from './errors.js';
import { runToOwnExit, type PipeReader } from './lifecycle.js';
import { LineSplitter, resolveMaxLineBytes } from './output/lines.js';
import { describe, resolveCommonOptions, validateBoolean, validateMs, type OutputOption, type RunProcessOptions } from './options.js';
import type { Process } from './process.js';
import { spawnProcess } from './spawn.js';
import { Tail } from './output/tail.js';

/** A line test for readiness: a pattern, or a predicate over the decoded line. */
export type ReadyWhen = RegExp | ((line: string) => boolean);

/**
 * Options of {@link superviseRunProcess}. Every {@link RunProcessOptions} option not managed here
 * is forwarded as is (`cwd`, `env`, `shell`, `argv0`, `uid`, `gid`, `signal`, `killGraceMs`,
 * `drainGraceMs`, `newSession`). The managed ones are not options: stdin is always /dev/null and
 * stderr is piped whenever something needs it.
 */
export interface SuperviseOptions extends Omit<RunProcessOptions, 'stdin' | 'stdout' | 'stderr' | 'captureStdout' | 'captureStderr' | 'maxCaptureBytes'> {
  /** Raise {@link CalledProcessError} when the child exits non-zero on its own. Default true. */
  check?: boolean | undefined;
  /** The tag of relayed lines, `[label:out] line`. Default: the command joined by spaces. */
  label?: string | undefined;
  /** Relay each stdout line, as it arrives, to `logger[relayLevel]`. Default false. */
  relayStdout?: boolean | undefined;
  /** Relay each stderr line, as it arrives, to `logger[relayLevel]`. Default false. */
  relayStderr?: boolean | undefined;
  /**
   * The logger method relayed lines go to. Default `'io'` (21): just above `info`, so it shows at
   * the usual verbosity yet stays filterable on its own. Checked only when something is relayed.
   */
  relayLevel?: string | undefined;
  /** Anything with a method named like `relayLevel` (a pino logger, a test's capture). Default: `getLogger()`. */
  logger?: object | undefined;
  /**
   * Where stdout goes when it is not relayed: `'ignore'` (/dev/null), `'inherit'`, or an fd.
   * Default `'ignore'`, so a child cannot draw on the parent's terminal. `'pipe'` is refused:
   * nothing would read it.
   */
  stdout?: OutputOption | undefined;
  /**
   * Delay `started(proc)` until a line of stdout or stderr (relayed or not) matches. A child that
   * exits first fails `start()` with {@link ExitedBeforeReadyError}. Default: ready once spawned.
   */
  readyWhen?: ReadyWhen | undefined;
  /** Fail `start()` with {@link TooSlowError} (and stop the child) if not ready in time. Default: no limit. */
  readyTimeoutMs?: number | undefined;
  /** Longest relayed line, in UTF-8 bytes; longer ones are relayed in pieces. Default 1 MiB. */
  maxLineBytes?: number | undefined;
  /**
   * Called with the live {@link Process} the moment it has spawned, before it is ready: for a
   * pid in a log line, or a status display. Default: none.
   */
  onSpawn?: ((proc: Process) => void) | undefined;
}

/**
 * Supervises one child for its whole life, tractor's `supervise_run_process` for Node: a task to
 * hand to `nursery.start()`, which resolves with the live {@link Process} as soon as it has spawned
 * (or, with `readyWhen`, as soon as it is ready) while this call goes on supervising it.
 *
 * - stdin is /dev/null; stdout is /dev/null unless relayed or overridden; the child runs in a new
 *   session, so it has no controlling terminal and its process group is stopped as one.
 * - Relayed lines go to `logger[relayLevel]` as `[tag:out] line` / `[tag:err] line` the moment they
 *   are complete. Every pipe is drained concurrently, so no output can block the child.
 * - The exit status is checked only after the child exited and every pipe reached EOF; a non-zero
 *   status rejects with a bare {@link CalledProcessError} holding the last 16 KiB of stderr, also
 *   attached as an indented `|_.stderr:` note.
 * - Cancelling the scope stops the child's group (SIGTERM, SIGKILL after `killGraceMs`) and rejects
 *   with the cancellation reason; an exit we caused is never reported as a failure.
 *
 * @param cmd - An argv array, or a string with `shell: true`.
 * @param opts - See {@link SuperviseOptions}. Default `{}`.
 * @param ctx - The task context from `nursery.start()`; without it, `started` does nothing and the
 *   call simply runs the child to the end.
 * @example
 * ```ts
 * await openNursery(async (tn) => {
 *   const proc = await tn.start<Process>((ctx) =>
 *     superviseRunProcess(['node', 'server.js'], { relayStdout: true, readyWhen: /listening/ }, ctx))
 *   // the server is up here, and its lines are being relayed
 * })
 * ```
 */
export async function superviseRunProcess(cmd: string[] | string, opts: SuperviseOptions = {}, ctx?: TaskContext<Process> | TaskContext): Promise<void> {
  // Under startSoon (a TaskContext without a value) started() ignores its argument: handing it
  // the process is harmless, and accepting that context lets startSoon run a supervised child.
  const started = ctx?.started as ((proc: Process) => void) | undefined;
  const where = 'superviseRunProcess';
  refuseFootguns(opts);
  const relayStdout = validateBoolean(where, 'relayStdout', opts.relayStdout, false);
  const relayStderr = validateBoolean(where, 'relayStderr', opts.relayStderr, false);
  const check = validateBoolean(where, 'check', opts.check, true);
  const readyWhen = validateReadyWhen(opts.readyWhen);
  const readyTimeoutMs = validateMs(where, 'readyTimeoutMs', opts.readyTimeoutMs, Infinity);
  const maxLineBytes = resolveMaxLineBytes(opts.maxLineBytes);
  if (opts.onSpawn !== undefined && typeof opts.onSpawn !== 'function') throw new TypeError(`${where}: onSpawn must be a function, got ${describe(opts.onSpawn)}`);
  if (opts.label !== undefined && typeof opts.label !== 'string') throw new TypeError(`${where}: label must be a string, got ${describe(opts.label)}`);
  const relay = relayStdout || relayStderr ? resolveLevelMethod(opts.logger ?? getLogger(), opts.relayLevel ?? 'io') : undefined;
  const stdoutOverride = opts.stdout ?? 'ignore';
  const options = resolveCommonOptions(where, cmd, { ...opts, stdin: 'ignore', check }, {
    stdout: relayStdout || (readyWhen !== undefined && opts.stdout === undefined) ? 'pipe' : stdoutOverride,
    // The stderr tail is what makes a failure legible, so it is piped whenever a failure can be reported.
    stderr: relayStderr || check || readyWhen !== undefined ? 'pipe' : 'ignore',
  });
  const tag = opts.label ?? formatCommand(options.cmd);

  const scopes = [currentSignal(), ctx?.signal, options.signal];
  const cancelled = scopes.find((scope) => scope?.aborted);
  if (cancelled) throw cancelled.reason;
  // Our own reasons to stop the child: not ready in time, or the caller's code (onSpawn, the
  // readiness predicate, the logger, started) threw. The child is then stopped and drained as on
  // cancellation, and the reason rejects the call: a failing callback never leaves a child behind,
  // and never surfaces as an uncaught exception from a stream handler.
  const internal = new AbortController();
  const stops = [internal.signal, ...scopes];
  const stopping = (): boolean => stops.some((signal) => signal?.aborted);
  const failWith = (error: unknown): void => {
    if (!internal.signal.aborted) internal.abort(error);
  };
  const spawned = await spawnProcess(options);
  const { proc } = spawned;
  const handUp = (): void => {
    try {
      started?.(proc);
    } catch (error) {
      failWith(error);
    }
  };
  try {
    opts.onSpawn?.(proc);
  } catch (error) {
    failWith(error);
  }
  const tail = options.stderr === 'pipe' ? new Tail() : undefined;

  let ready = readyWhen === undefined;
  let readyTimer: NodeJS.Timeout | undefined;
  const markReady = (): void => {
    // A ready line that comes while the child is being stopped (cancelled, or already too slow)
    // does not count: start() must not resolve with a dying process.
    if (stopping()) return;
    ready = true;
    clearTimeout(readyTimer);
    handUp();
  };
  if (ready) {
    if (!stopping()) handUp();
  } else if (readyTimeoutMs !== Infinity) {
    readyTimer = setTimeout(() => {
      // Cancelled first: the cancellation is the reason, not a timeout that came during the stop.
      if (stopping()) return;
      failWith(new TooSlowError(readyTimeoutMs, `${tag} was not ready within ${readyTimeoutMs} ms (no output line matched ${String(opts.readyWhen)}); it was stopped`));
    }, readyTimeoutMs);
  }

  let callbackFailed = false;
  const lineHandler = (prefix: string, relayed: boolean): ((line: string) => void) | undefined => {
    if (!relayed && readyWhen === undefined) return undefined;
    return (line) => {
      if (callbackFailed) return;
      try {
        if (relayed) relay?.(`${prefix}${line}`);
        if (!ready && readyWhen?.(line) === true) markReady();
      } catch (error) {
        callbackFailed = true;
        failWith(error);
      }
    };
  };
  const readers: PipeReader[] = [];
  if (spawned.child.stdout) readers.push(lineReader(spawned.child.stdout, lineHandler(`[${tag}:out] `, relayStdout), maxLineBytes));
  if (spawned.child.stderr) readers.push(lineReader(spawned.child.stderr, lineHandler(`[${tag}:err] `, relayStderr), maxLineBytes, tail));

  // Stopped by the scope or for a reason of our own: runToOwnExit rejects with whichever came first.
  let ending;
  try {
    ending = await runToOwnExit(spawned, readers, {
      stops,
      killGraceMs: options.killGraceMs,
      drainGraceMs: options.drainGraceMs,
      newSession: options.newSession,
    });
  } finally {
    clearTimeout(readyTimer);
  }
  const failure = { cmd: options.cmd, returncode: ending.returncode, signal: ending.signal, stderr: tail?.bytes() ?? null };
  if (!ready) throw withStderrNote(new ExitedBeforeReadyError(failure, String(opts.readyWhen)));
  if (check && ending.returncode !== 0) throw withStderrNote(new CalledProcessError(failure));
}

/** Reads one pipe: splits it into lines when someone wants them, keeps the tail when asked, else just drains it. */
function lineReader(stream: NonNullable<PipeReader['stream']>, onLine: ((line: string) => void) | undefined, maxLineBytes: number, tail?: Tail): PipeReader {
  if (onLine === undefined) return { stream, onData: tail?.add ?? drainOnly, onEnd: drainOnly };
  const splitter = new LineSplitter(onLine, { maxLineBytes });
  return {
    stream,
    onData: tail
      ? (chunk) => {
          tail.add(chunk);
          splitter.push(chunk);
        }
      : (chunk) => splitter.push(chunk),
    onEnd: () => splitter.end(),
  };
}

function drainOnly(): void {
  // Reading and dropping is the point: an unread pipe fills (~64 KiB) and blocks the child.
}

function withStderrNote<E extends CalledProcessError>(error: E): E {
  if (error.stderr && error.stderr.length > 0) error.addNote(stderrNote(error.stderr));
  return error;
}

function refuseFootguns(opts: SuperviseOptions): void {
  if (typeof opts !== 'object' || (opts as unknown) === null) throw new TypeError(`superviseRunProcess: options must be an object, got ${describe(opts)}`);
  const loose = opts as Record<string, unknown>;
  if (loose.stdout === 'pipe') {
    throw new TypeError("superviseRunProcess: stdout: 'pipe' would leave a pipe nobody reads, and the child would block once it fills; use relayStdout: true to read it line by line");
  }
  for (const key of ['captureStdout', 'captureStderr'] as const) {
    if (loose[key] !== undefined) {
      const relayKey = key === 'captureStdout' ? 'relayStdout' : 'relayStderr';
      throw new TypeError(
        `superviseRunProcess: ${key} is not supported (a supervised child may run for days, so its output is not held in memory); use ${relayKey}: true to receive it line by line, or runProcess(cmd, { ${key}: true }) for a short command`,
      );
    }
  }
}

function validateReadyWhen(readyWhen: unknown): ((line: string) => boolean) | undefined {
  if (readyWhen === undefined) return undefined;
  if (readyWhen instanceof RegExp) {
    // A global or sticky pattern keeps lastIndex between test() calls and would skip matches.
    const pattern = readyWhen.global || readyWhen.sticky ? new RegExp(readyWhen.source, readyWhen.flags.replace(/[gy]/g, '')) : readyWhen;
    return (line) => pattern.test(line);
  }
  if (typeof readyWhen === 'function') return (line) => Boolean((readyWhen as (line: string) => unknown)(line));
  throw new TypeError(`superviseRunProcess: readyWhen must be a RegExp or a function of the line, got ${describe(readyWhen)}`);
}
