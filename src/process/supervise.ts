import type { HandsUp, TaskContext } from '../core/nursery.js';
import { currentSignal } from '../core/scope.js';
import { CompletedProcess } from './completed.js';
import { CalledProcessError, ExitedBeforeReadyError, OutputClosedBeforeReadyError, ReadyTimeoutError, withStderrNote } from './errors.js';
import { isThenable } from './lifecycle-log.js';
import type { PipeReader } from './lifecycle.js';
import { LineSplitter, type LineBlockOptions } from './output/lines.js';
import { passThrough, type PassThroughDestination } from './output/passthrough.js';
import { PipeHold } from './output/pipe-hold.js';
import { Tail } from './output/tail.js';
import { runChild, type ChildOutcome } from './pipeline.js';
import { processInternals, type Process } from './process.js';
import { Readiness } from './readiness.js';
import { holdWhilePending, relayStream, type StreamRelay } from './relay.js';
import { blockText, type LineBlock } from './output/ascii-block.js';
import type { SpawnedChild } from './spawn.js';
import { closedStdioFd } from './spawn/diagnose.js';
import { hasExited } from './stop/group.js';
import type { NotATaskContext } from './options.js';
import { resolveSupervision, type SuperviseOptions, type Supervision } from './supervise-options.js';

/**
 * Supervises one child for its whole life, tractor's `supervise_run_process` for Node: a task to
 * hand to `nursery.start()`, which resolves with the live {@link Process} as soon as it has spawned
 * (or, with `readyWhen`, as soon as it is ready) while this call goes on supervising it, and which
 * itself resolves with a {@link CompletedProcess} once the child and everything it started is gone.
 *
 * - stdin is /dev/null; stdout is /dev/null unless relayed or overridden; the child runs in a new
 *   session, so it has no controlling terminal and its process group is stopped as one.
 * - Relayed lines go to `onLine` as {@link OutputLine} events, or to `logger[relayLevel]` as
 *   `[tag:out] line` / `[tag:err] line`, the moment they are complete. Every pipe is drained
 *   concurrently, so no output can block the child.
 * - The exit status is checked only after the child exited and every pipe reached EOF; a non-zero
 *   status rejects with a bare {@link CalledProcessError} holding the last 16 KiB of stderr, also
 *   attached as an indented `|_.stderr:` note.
 * - Cancelling the scope stops the child's group (`stopSignal` or `deliverCancel`, SIGKILL after
 *   `killGraceMs`) and rejects with the cancellation reason; an exit we caused is never reported as
 *   a failure. `Process.stop()` stops it the same way, and this call then resolves (`stopped: true`).
 *   An exit the child made before any stop began is its own: a cancellation or `stop()` that came
 *   after it (while its pipes drained, say) does not hide a non-zero status.
 *
 * @param cmd - An argv array, or a string with `shell: true`.
 * @param opts - See {@link SuperviseOptions}. Default `{}`.
 * @param ctx - The task context from `nursery.start()`. Default: none: `started` then does nothing
 *   and the call simply runs the child to the end.
 * @returns How the child ended: `returncode`, `pid`, `durationMs`, `stopped`, and the stderr tail.
 * @example
 * ```ts
 * await openNursery(async (tn) => {
 *   const proc = await tn.start<Process>((ctx) =>
 *     superviseRunProcess(['node', 'server.js'], { relayStdout: true, readyWhen: /listening/ }, ctx))
 *   // the server is up here, and its lines are being relayed
 *   await proc.stop()   // and now it is gone; its superviseRunProcess call resolved
 * })
 * ```
 */
export function superviseRunProcess<Level extends string = 'io'>(
  cmd: readonly string[] | string,
  opts: SuperviseOptions<Level> & NotATaskContext = {},
  ctx?: TaskContext<Process> | TaskContext,
): HandsUp<Process, CompletedProcess> {
  let callSettled = (): void => undefined;
  const call = supervise(cmd, opts, ctx, new Promise<void>((resolve) => (callSettled = resolve)));
  // Before the caller's own reaction: `Process.stop()` answers after the caller has the result.
  // Settled with nothing: `stop()` resolves with void, never with the call's result or error.
  const settle = (): void => callSettled();
  call.then(settle, settle);
  // Only the type says what it hands up (see HandsUp): the promise itself is the call's.
  return call as HandsUp<Process, CompletedProcess>;
}

async function supervise<Level extends string>(cmd: readonly string[] | string, opts: SuperviseOptions<Level>, ctx: TaskContext<Process> | TaskContext | undefined, callSettled: Promise<void>): Promise<CompletedProcess> {
  const plan = resolveSupervision(cmd, opts);
  // An fd a read stream is passed on to is not the child's, so spawning would not check it.
  const badFd = closedStdioFd(plan.options, { stdout: plan.stdout.passOn, stderr: plan.stderr.passOn });
  if (badFd !== undefined) throw badFd;
  // Under startSoon (a TaskContext without a value) started() ignores its argument: handing it
  // the process is harmless, and accepting that context lets startSoon run a supervised child.
  const child = new SupervisedChild(plan, ctx?.started as ((proc: Process) => void) | undefined);
  let outcome: ChildOutcome;
  try {
    outcome = await runChild({
      options: plan.options,
      scopes: [currentSignal(), ctx?.signal, plan.options.signal],
      log: plan.log,
      attach: (spawned, failWith, stopping) => child.attach(spawned, failWith, stopping),
      callSettled,
    });
  } catch (error) {
    throw child.explain(error);
  } finally {
    child.dispose();
  }
  return child.judge(outcome);
}


/** The state of one supervised child between spawn and judgement: its readiness, its stderr tail. */
class SupervisedChild {
  #readiness: Readiness | undefined;
  #tail: Tail | undefined;
  #pid = 0;
  /** What a not-ready-in-time child is stopped with (and logged as); replaced by one with the stderr tail once that is complete. */
  #notReadyInTime: ReadyTimeoutError | undefined;

  constructor(
    private readonly plan: Supervision,
    private readonly started: ((proc: Process) => void) | undefined,
  ) {}

  /**
   * Right after spawn: tell `onSpawn`, start waiting for readiness (or hand the child up at once),
   * and read every pipe. Our own reasons to stop the child (not ready in time, or the caller's code
   * threw: onSpawn, the predicate, onLine, the logger, started) go to `failWith`: the child is then
   * stopped and drained as on cancellation, and the reason rejects the call. A failing callback
   * never leaves a child behind, and never surfaces as an uncaught exception from a stream handler.
   */
  attach(spawned: SpawnedChild, failWith: (reason: unknown) => void, stopping: () => boolean): PipeReader[] {
    const { proc, child } = spawned;
    const { plan } = this;
    this.#pid = proc.pid;
    const handUp = (): void => {
      try {
        this.started?.(proc);
      } catch (error) {
        failWith(error);
      }
    };
    try {
      const result: unknown = plan.onSpawn?.(proc);
      if (isThenable(result)) result.then(undefined, failWith); // an async onSpawn that rejects is a failing callback too
    } catch (error) {
      failWith(error);
    }
    if (child.stderr) this.#tail = new Tail();
    if (plan.readyWhen) {
      this.#readiness = new Readiness({
        predicate: plan.readyWhen,
        timeoutMs: plan.readyTimeoutMs,
        onReady: () => {
          plan.log.ready(proc, performance.now() - processInternals.spawnedAt(proc));
          handUp();
        },
        onTimeout: () => failWith((this.#notReadyInTime = this.#readyTimeout(null))),
        stopping,
        exited: () => hasExited(proc),
        // Every line readiness reads comes through these pipes; with readyWhen both are piped.
        streams: (child.stdout ? 1 : 0) + (child.stderr ? 1 : 0),
        // Both pipes reached their end, so the tail is complete.
        onOutputClosed: () => failWith(withStderrNote(new OutputClosedBeforeReadyError({ cmd: plan.options.cmd, pid: proc.pid, stderr: this.#tail?.bytes() ?? null, readyWhen: plan.readyWhenText }, plan.nameInMessages))),
      });
      this.#readiness.arm();
    } else if (!stopping()) handUp();
    const readers: PipeReader[] = [];
    if (child.stdout) readers.push(this.#reader(child.stdout, 'stdout', failWith, undefined));
    if (child.stderr) readers.push(this.#reader(child.stderr, 'stderr', failWith, this.#tail));
    return readers;
  }

  #reader(stream: NonNullable<SpawnedChild['child']['stdout']>, name: 'stdout' | 'stderr', failWith: (reason: unknown) => void, tail: Tail | undefined): PipeReader {
    const { plan } = this;
    const streamPlan = plan[name];
    const hold = new PipeHold(stream);
    const consumer = streamPlan.relayed && plan.relay ? holdWhilePending(hold, failWith) : undefined;
    const relay = consumer && plan.relay && relayStream(plan.relay, plan.label, name, this.#pid, consumer.onPending);
    const lines = lineHandlers(relay, this.#readiness);
    const passOn = streamPlan.passOn === undefined ? undefined : { destination: streamPlan.passOn, name, flushWaitMs: plan.options.drainGraceMs };
    const reader = pipeReader(stream, hold, { ...lines, maxLineBytes: plan.maxLineBytes, tail, passOn }, failWith);
    const readiness = plan.outputClosedFails ? this.#readiness : undefined;
    // Its last line was offered in onEnd: a pipe at its end can bring readiness no more.
    const onEnd = readiness === undefined ? reader.onEnd : (): void | Promise<void> => {
      const flushed = reader.onEnd();
      readiness.streamEnded();
      return flushed;
    };
    return { ...reader, onEnd, settled: consumer?.settled, idle: consumer?.idle };
  }

  /** The error the call rejects with: a readiness timeout gets its full form, with the stderr tail. */
  explain(error: unknown): unknown {
    if (error === undefined || error !== this.#notReadyInTime) return error;
    return withStderrNote(this.#readyTimeout(this.#tail?.bytes() ?? null));
  }

  #readyTimeout(stderr: Buffer | null): ReadyTimeoutError {
    const { plan } = this;
    const message = `${plan.nameInMessages} was not ready within ${plan.readyTimeoutMs} ms (no output line matched ${plan.readyWhenText}); it was stopped`;
    return new ReadyTimeoutError({ cmd: plan.options.cmd, pid: this.#pid, timeoutMs: plan.readyTimeoutMs, stderr, readyWhen: plan.readyWhenText }, message);
  }

  /** The child's exit was its own (or a `Process.stop()` ended it): judge it, now that its stderr tail is complete. */
  judge(outcome: ChildOutcome): CompletedProcess {
    const { plan } = this;
    const stderr = this.#tail?.bytes() ?? null;
    const { returncode, signal, durationMs, stopped, proc } = outcome;
    const failure = { cmd: plan.options.cmd, returncode, signal, stderr, pid: proc.pid, durationMs };
    if (!stopped && this.#readiness && !this.#readiness.ready) throw withStderrNote(new ExitedBeforeReadyError(failure, plan.readyWhenText));
    if (!stopped && plan.check && returncode !== 0) throw withStderrNote(new CalledProcessError(failure));
    if (outcome.cancelledAfterExit) throw outcome.cancelledAfterExit.reason;
    return new CompletedProcess({ args: proc.args, returncode, signal, stdout: null, stderr, pid: proc.pid, durationMs, stopped });
  }

  dispose(): void {
    this.#readiness?.dispose();
  }
}

/**
 * The functions each complete line goes through: relayed, then offered to readiness. A relay that
 * takes blocks gets them whole once readiness no longer looks at lines (or never did). They may
 * throw: the pipe's reader catches it (see {@link pipeReader}), once per read rather than per line.
 */
function lineHandlers(relay: StreamRelay | undefined, readiness: Readiness | undefined): Pick<PipeReaderOptions, 'onLine' | 'onBlock'> {
  if (readiness === undefined) return { onLine: relay?.line, onBlock: relay?.block };
  const onLine = (line: string): void => {
    relay?.line(line);
    readiness.offer(line);
  };
  const relayBlock = relay?.block;
  if (relayBlock === undefined) return { onLine, onBlock: undefined };
  const onBlock = (block: LineBlock): void => {
    if (readiness.ready) relayBlock(block);
    else for (const line of blockText(block).split('\n')) onLine(line);
  };
  return { onLine, onBlock };
}

interface PipeReaderOptions {
  /** Receives complete lines; without it the pipe is not split at all. */
  readonly onLine: ((line: string) => void) | undefined;
  /** Receives complete lines in blocks, when it can (see `LineBlockOptions.onBlock`). */
  readonly onBlock: ((block: LineBlock) => void) | undefined;
  readonly maxLineBytes: number;
  /** Keeps the last bytes, for the failure report. */
  readonly tail: Tail | undefined;
  /** Where the bytes go on after they were read. */
  readonly passOn: { readonly destination: PassThroughDestination; readonly name: 'stdout' | 'stderr'; readonly flushWaitMs: number } | undefined;
}

/**
 * Reads one pipe: splits it into lines when someone wants them, keeps the tail and passes the bytes
 * on when asked, else just drains it. The first line callback that throws stops the child (through
 * `failWith`) and no line after it is delivered: the rest of that read is dropped with the
 * exception, and the pipe is then only drained.
 */
function pipeReader(stream: NonNullable<SpawnedChild['child']['stdout']>, hold: PipeHold, opts: PipeReaderOptions, failWith: (reason: unknown) => void): PipeReader {
  const splitter = opts.onLine === undefined ? undefined : new LineSplitter(opts.onLine, { maxLineBytes: opts.maxLineBytes, onBlock: opts.onBlock } as LineBlockOptions);
  const forward = opts.passOn === undefined ? undefined : passThrough(hold, opts.passOn.destination, opts.passOn.name, opts.passOn.flushWaitMs);
  const release = (): void => hold.release();
  const { tail } = opts;
  let failed = false;
  const split = (feed: () => void): void => {
    if (failed) return;
    try {
      feed();
    } catch (error) {
      failed = true;
      failWith(error);
    }
  };
  if (splitter && !tail && !forward) {
    return {
      stream,
      release,
      onData: (chunk) => {
        hold.read(chunk.length);
        split(() => splitter.push(chunk));
      },
      onEnd: () => split(() => splitter.end()),
    };
  }
  return {
    stream,
    release,
    // Reading and dropping is the point when nobody wants the bytes: an unread pipe fills (a few hundred KiB at most) and blocks the child.
    onData: (chunk) => {
      hold.read(chunk.length);
      tail?.add(chunk);
      forward?.write(chunk);
      if (splitter) split(() => splitter.push(chunk));
    },
    onEnd: () => {
      if (splitter) split(() => splitter.end());
      return forward?.end();
    },
  };
}
