import { linkSignals } from '../core/scope.js';
import { settlesWithin } from '../core/timer.js';
import { StopDeniedError } from './errors.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { runToEnd, type Ending, type LifecycleOptions, type PipeReader } from './lifecycle.js';
import type { ResolvedRunOptions } from './options.js';
import { processInternals, type Process } from './process.js';
import { spawnProcess, type SpawnedChild } from './spawn.js';
import { ownHookStep } from './stop/hook-caller.js';
import { countChild } from './stop/shutdown-children.js';

/** One child to run, as runProcess and superviseRunProcess describe it. */
export interface ChildRun {
  readonly options: ResolvedRunOptions;
  /** Cancellations from outside: the implicit scope, the task's signal, an explicit `signal`. */
  readonly scopes: readonly (AbortSignal | undefined)[];
  readonly log: LifecycleLog;
  /**
   * Called once the child has spawned: returns the readers of its pipes. `failWith` stops the
   * child for a reason of the caller's own (not ready in time, a capture limit, a callback that
   * threw); the run then rejects with that reason once the child is gone.
   */
  readonly attach: (spawned: SpawnedChild, failWith: (reason: unknown) => void, stopping: () => boolean) => readonly PipeReader[];
  /**
   * Settles when the call that owns the child has (its promise, rejections caught): what
   * `Process.stop()` waits for after the group is gone, so the call has resolved when it returns.
   */
  readonly callSettled?: Promise<void> | undefined;
}

/** How a child that ran ended, when nobody cancelled it. */
export interface ChildOutcome {
  readonly proc: Process;
  readonly returncode: number;
  readonly signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  readonly durationMs: number;
  /** `Process.stop()` ended it: its status is what the stop caused, never a failure. */
  readonly stopped: boolean;
  /**
   * A cancellation that came once the child had exited on its own, while its pipes drained. The
   * exit was not its doing: a failure of the child's own came first, and is what the call reports;
   * otherwise the call rejects with `reason`.
   */
  readonly cancelledAfterExit?: { readonly reason: unknown };
}

/** The reason a child stopped through `Process.stop()` carries: asked for, so not a failure. */
class StopRequested extends Error {
  override readonly name = 'StopRequested';
}

/**
 * The one pipeline of a child's life, shared by runProcess and superviseRunProcess: refuse to
 * start when already cancelled, spawn, attach the readers, run to the end of everything the child
 * owns, and say how it ended. Here, and only here, is "an exit we caused is never a failure"
 * decided: a cancellation that began the child's stop rejects with its reason, and a reason of the
 * caller's own rejects with that, whenever it came (during a cancellation's stop too); a stop
 * asked for with `Process.stop()` resolves with `stopped`; an exit the child chose before any stop
 * began is left for the caller to judge, even when a cancellation came while its pipes were still
 * draining (see {@link ChildOutcome.cancelledAfterExit}).
 */
export function runChild(run: ChildRun): Promise<ChildOutcome> {
  const life = runToOutcome(run);
  // A shutdown command that a deliverCancel hook runs is waited for when the hook is abandoned.
  countChild(life);
  return life;
}

async function runToOutcome(run: ChildRun): Promise<ChildOutcome> {
  refuseWhenCancelled(run.scopes);
  const own = callerReasons();
  const stops = linkSignals(own.signal, ...run.scopes);
  const requested = new AbortController();
  const stop = linkSignals(stops.signal, requested.signal);
  try {
    const spawned = await spawnProcess(run.options, stops.signal);
    const { proc } = spawned;
    const spawnedAt = processInternals.spawnedAt(proc);
    const exitedAt = processInternals.exited(proc).then(() => performance.now());
    const gone = answerStopRequests(proc, requested, run.callSettled);
    run.log.spawned(proc);
    let ending: Ending;
    let readers: readonly PipeReader[] = [];
    try {
      readers = attachReaders(run, spawned, own.failWith, () => stop.signal?.aborted === true);
      ending = await runToEnd(spawned, readers, lifecycleOptions(run, stop.signal));
    } catch (error) {
      // The system refused to stop it: `Process.stop()` did not do what it promised either.
      if (error instanceof StopDeniedError) gone.refused(error);
      throw error;
    } finally {
      // The group is gone and its pipes drained. With every line taken, the call ends within this
      // turn, and `Process.stop()` answers once it has. With a consumer's promise still pending,
      // it answers now: that consumer may be awaiting it, and the call waits for the consumer.
      gone.reached(readers.every((reader) => reader.idle?.() ?? true));
    }
    // The call itself ends once every line has been taken (a consumer's failure fails it), or
    // once it is cancelled.
    await settlesWithin(Promise.all(readers.map((reader) => reader.settled?.() ?? Promise.resolve())), Infinity, stops.signal);
    const durationMs = (await exitedAt) - spawnedAt;
    run.log.exited(proc, durationMs);
    return outcomeOf(proc, durationMs, ending, stops.signal, own);
  } finally {
    stop.dispose();
    stops.dispose();
  }
}

/**
 * Cancelled before anything started: start nothing (a process spawned only to be killed is a
 * process that might briefly do something).
 */
function refuseWhenCancelled(scopes: readonly (AbortSignal | undefined)[]): void {
  const cancelled = scopes.find((scope) => scope?.aborted);
  if (cancelled) throw cancelled.reason;
}

/** The caller's own reasons to stop the child (`failWith` of {@link ChildRun.attach}). */
interface CallerReasons {
  /** Aborted by the first `failWith`. */
  readonly signal: AbortSignal;
  readonly failWith: (reason: unknown) => void;
  /** `reason`, or the caller's own as it was given when `reason` is the one `signal` carries. */
  readonly asGiven: (reason: unknown) => unknown;
}

function callerReasons(): CallerReasons {
  const own = new AbortController();
  // The caller's reason as given: abort() turns an `undefined` one (a callback that threw
  // undefined) into an AbortError, and the call must fail with what was thrown.
  let ownReason: { readonly reason: unknown } | undefined;
  const failWith = (reason: unknown): void => {
    if (own.signal.aborted) return;
    ownReason = { reason };
    own.abort(reason);
  };
  const asGiven = (reason: unknown): unknown => (ownReason !== undefined && reason === own.signal.reason ? ownReason.reason : reason);
  return { signal: own.signal, failWith, asGiven };
}

/** How the pipeline tells a waiting `Process.stop()` that the child's group is gone. */
interface GoneLatch {
  /** The group is gone; `callFollows`: the call ends within this turn, and the stop waits for it. */
  readonly reached: (callFollows: boolean) => void;
  /** The system refused the stop. */
  readonly refused: (error: unknown) => void;
}

/** Makes `Process.stop()` of `proc` abort `requested`, and answer once the returned latch says so. */
function answerStopRequests(proc: Process, requested: AbortController, callSettled: Promise<void> | undefined): GoneLatch {
  let reached: (callFollows: boolean) => void = noop;
  let refused: (error: unknown) => void = noop;
  const gone = new Promise<boolean>((resolve, reject) => {
    reached = resolve;
    refused = reject;
  });
  gone.catch(noop); // a refused stop is the call's failure; it reaches `Process.stop()` only if someone asked
  processInternals.onStop(proc, () => {
    // From the child's own deliverCancel (`(p) => p.stop()`): the stop signal, as with no hook; the
    // step reports a refusal itself, at once.
    ownHookStep(proc)?.();
    if (!requested.signal.aborted) requested.abort(new StopRequested('stopped by Process.stop()'));
    return gone.then((callFollows) => (callFollows ? callSettled : undefined));
  });
  return { reached, refused };
}

function lifecycleOptions(run: ChildRun, stop: AbortSignal | undefined): LifecycleOptions {
  const { killGraceMs, stopSignal, deliverCancel, drainGraceMs, newSession } = run.options;
  return { stop, policy: { killGraceMs, stopSignal, deliverCancel }, drainGraceMs, newSession, log: run.log };
}

/**
 * How the child's end reads to the call, where "an exit we caused is never a failure" is decided
 * (see {@link runChild}): throws the reason of a stop the caller or a cancellation began.
 */
function outcomeOf(proc: Process, durationMs: number, ending: Ending, cancellation: AbortSignal | undefined, own: CallerReasons): ChildOutcome {
  const { returncode, signal, stoppedByUs, stopReason } = ending;
  // A reason of the caller's own (a callback that threw) that came during a cancellation's stop
  // is a failure all the same: it is what the call rejects with, as an exception raised while
  // trio's Cancelled propagates replaces it. Behind the cancellation nobody would hear of it.
  if (own.signal.aborted) throw own.asGiven(own.signal.reason);
  if (cancellation?.aborted) {
    if (stoppedByUs) throw cancellation.reason;
    return { proc, returncode, signal, durationMs, stopped: false, cancelledAfterExit: { reason: cancellation.reason } };
  }
  if (stoppedByUs && !(stopReason instanceof StopRequested)) throw own.asGiven(stopReason);
  return { proc, returncode, signal, durationMs, stopped: stoppedByUs };
}

function attachReaders(run: ChildRun, spawned: SpawnedChild, failWith: (reason: unknown) => void, stopping: () => boolean): readonly PipeReader[] {
  try {
    return run.attach(spawned, failWith, stopping);
  } catch (error) {
    // The caller's code threw before the readers existed: stop the child, and still drain its
    // pipes so it cannot block on a full one while it is being stopped.
    failWith(error);
    return [spawned.child.stdout, spawned.child.stderr].filter((stream) => stream !== null).map((stream) => ({ stream, onData: noop, onEnd: noop }));
  }
}

function noop(): void {
  // nothing to do: see the callers
}
