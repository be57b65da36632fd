import { linkSignals } from '../core/scope.js';
import { settlesWithin } from '../core/timer.js';
import { StopDeniedError } from './errors.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { runToEnd, type Ending, type PipeReader } from './lifecycle.js';
import type { ResolvedRunOptions } from './options.js';
import { processInternals, type Process } from './process.js';
import { spawnProcess, type SpawnedChild } from './spawn.js';
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
 * decided: a cancellation (or a reason of the caller's own) that began the child's stop rejects
 * with that reason; a stop asked for with `Process.stop()` resolves with `stopped`; an exit the
 * child chose before any stop began is left for the caller to judge, even when a cancellation came
 * while its pipes were still draining (see {@link ChildOutcome.cancelledAfterExit}).
 */
export function runChild(run: ChildRun): Promise<ChildOutcome> {
  const life = runToOutcome(run);
  // A shutdown command that a deliverCancel hook runs is waited for when the hook is abandoned.
  countChild(life);
  return life;
}

async function runToOutcome(run: ChildRun): Promise<ChildOutcome> {
  // Cancelled before anything started: start nothing (a process spawned only to be killed is a
  // process that might briefly do something).
  const cancelled = run.scopes.find((scope) => scope?.aborted);
  if (cancelled) throw cancelled.reason;
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
  const stops = linkSignals(own.signal, ...run.scopes);
  const requested = new AbortController();
  const stop = linkSignals(stops.signal, requested.signal);
  try {
    const spawned = await spawnProcess(run.options, stops.signal);
    const { proc } = spawned;
    const spawnedAt = processInternals.spawnedAt(proc);
    const exitedAt = processInternals.exited(proc).then(() => performance.now());
    let markGone: (callFollows: boolean) => void = noop;
    let failGone: (error: unknown) => void = noop;
    const gone = new Promise<boolean>((resolve, reject) => {
      markGone = resolve;
      failGone = reject;
    });
    gone.catch(noop); // a refused stop is the call's failure; it reaches `Process.stop()` only if someone asked
    processInternals.onStop(proc, () => {
      if (!requested.signal.aborted) requested.abort(new StopRequested('stopped by Process.stop()'));
      return gone.then((callFollows) => (callFollows ? run.callSettled : undefined));
    });
    run.log.spawned(proc);
    let ending: Ending;
    let readers: readonly PipeReader[] = [];
    try {
      readers = attachReaders(run, spawned, failWith, () => stop.signal?.aborted === true);
      ending = await runToEnd(spawned, readers, {
        stop: stop.signal,
        policy: { killGraceMs: run.options.killGraceMs, stopSignal: run.options.stopSignal, deliverCancel: run.options.deliverCancel },
        drainGraceMs: run.options.drainGraceMs,
        newSession: run.options.newSession,
        log: run.log,
      });
    } catch (error) {
      // The system refused to stop it: `Process.stop()` did not do what it promised either.
      if (error instanceof StopDeniedError) failGone(error);
      throw error;
    } finally {
      // The group is gone and its pipes drained. With every line taken, the call ends within this
      // turn, and `Process.stop()` answers once it has. With a consumer's promise still pending,
      // it answers now: that consumer may be awaiting it, and the call waits for the consumer.
      markGone(readers.every((reader) => reader.idle?.() ?? true));
    }
    // The call itself ends once every line has been taken (a consumer's failure fails it), or
    // once it is cancelled.
    await settlesWithin(Promise.all(readers.map((reader) => reader.settled?.() ?? Promise.resolve())), Infinity, stops.signal);
    const { returncode, signal, stoppedByUs, stopReason } = ending;
    const durationMs = (await exitedAt) - spawnedAt;
    run.log.exited(proc, durationMs);
    if (stops.signal?.aborted) {
      if (stoppedByUs || own.signal.aborted) throw asGiven(stops.signal.reason);
      return { proc, returncode, signal, durationMs, stopped: false, cancelledAfterExit: { reason: asGiven(stops.signal.reason) } };
    }
    if (stoppedByUs && !(stopReason instanceof StopRequested)) throw asGiven(stopReason);
    return { proc, returncode, signal, durationMs, stopped: stoppedByUs };
  } finally {
    stop.dispose();
    stops.dispose();
  }
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
