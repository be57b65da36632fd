import type { Readable } from 'node:stream';
import { linkSignals } from '../core/scope.js';
import { node } from '../builtins.js';
import { isParentShutdown, ownUntilExit, unlessParentDies } from './stop/parent-exit.js';
import type { SpawnedChild } from './spawn.js';
import { stopTarget, targetAlive, type StopTarget } from './stop/terminate.js';

/** A consumer of one of the child's pipes: called for every chunk, then once at the end. */
export interface PipeReader {
  readonly stream: Readable;
  readonly onData: (chunk: Buffer) => void;
  readonly onEnd: () => void;
}

export interface LifecycleOptions {
  /** Aborted when the child must be stopped: cancellation, a readiness timeout, a capture limit. */
  readonly stop: AbortSignal | undefined;
  readonly killGraceMs: number;
  readonly drainGraceMs: number;
  readonly newSession: boolean;
}

/** How a child's life ended. */
export interface Ending {
  readonly returncode: number;
  readonly signal: NodeJS.Signals | null;
  /** We began stopping it before it exited: its status is our doing, not a failure of its own. */
  readonly stoppedByUs: boolean;
  /** Why we stopped it (the abort reason of `stop`, or the parent's own shutdown); undefined when it ended by itself. */
  readonly stopReason: unknown;
}

/**
 * Runs one spawned child to the end of everything it owns: reads every pipe to EOF concurrently
 * (so no volume of output can block it), waits for its exit, stops its group when `stop` aborts,
 * and stops whatever it left behind. Resolves only when the child has exited, every reader has
 * seen the end of its pipe, and nothing of the group is left running: only then is an exit status
 * worth checking, because only then is the stderr tail complete.
 */
async function runToEnd(spawned: SpawnedChild, readers: readonly PipeReader[], opts: LifecycleOptions): Promise<Ending> {
  const { proc } = spawned;
  const target: StopTarget = { proc, newSession: opts.newSession };
  const received = { bytes: 0 };
  const drained = Promise.all(readers.map((reader) => readToEnd(reader, received)));
  let stopping: Promise<void> | undefined;
  let stopReason: unknown;
  const stop = (reason?: unknown): Promise<void> => {
    if (stopping === undefined) stopReason = reason;
    return (stopping ??= stopTarget(target, { killGraceMs: opts.killGraceMs, stopSignal: 'SIGTERM' }));
  };
  const release = ownUntilExit({ target, killGraceMs: opts.killGraceMs, stopSignal: 'SIGTERM', stopForParent: stop });
  const onStop = (): void => void stop(opts.stop?.reason);
  if (opts.stop?.aborted) onStop();
  else opts.stop?.addEventListener('abort', onStop, { once: true });
  let ending: Ending;
  try {
    await proc.wait();
    const stoppedByUs = stopping !== undefined;
    // A child that exited may have left something behind that still holds its pipes: keep
    // reading for a grace (nothing it wrote is lost), then stop the leftovers so EOF comes.
    if (!(await settlesWithin(drained, opts.drainGraceMs, opts.stop))) {
      await stop();
      if (!(await settlesWithin(drained, opts.drainGraceMs, undefined))) {
        // Whoever holds the pipe escaped the group (setsid) or cannot be killed: stop reading, but
        // only once the pipes have gone quiet. A grace measured on the clock can pass while the
        // event loop is busy elsewhere and has not polled a new pipe even once, and what the
        // group wrote before it died is in the pipe, unread: destroying now would drop it.
        await untilQuiet(drained, () => received.bytes, Math.max(opts.drainGraceMs, MIN_QUIET_CAP_MS));
        for (const reader of readers) reader.stream.destroy();
        await drained;
      }
    }
    // Leftovers that do not hold a pipe (daemonised helpers) still must not outlive the scope.
    if (stopping === undefined && targetAlive(target)) await stop();
    await stopping;
    ending = { returncode: proc.returncode ?? 0, signal: proc.signal, stoppedByUs, stopReason: stoppedByUs ? stopReason : undefined };
  } finally {
    opts.stop?.removeEventListener('abort', onStop);
    release();
  }
  // Stopped because the parent is dying of a signal: settle only if it survives, so that nothing
  // (least of all a CalledProcessError for the exit we caused) runs between the stop and its death.
  if (isParentShutdown(ending.stopReason)) await unlessParentDies();
  return ending;
}

/** Options of {@link runToOwnExit}: every signal that stops the child, instead of one. */
export interface OwnExitOptions extends Omit<LifecycleOptions, 'stop'> {
  /** Any of these aborting stops the child: the scope, an explicit signal, a reason of the caller's own. */
  readonly stops: readonly (AbortSignal | undefined)[];
}

/**
 * {@link runToEnd} for callers that judge only the exits a child makes on its own: it rejects with
 * the reason of whatever stopped the child (the first of `stops` to abort, even after the exit
 * while draining, or the parent's shutdown), and resolves only with an ending the child chose.
 * The one place that makes "an exit we caused is never a failure" true for runProcess and
 * superviseRunProcess alike.
 */
export async function runToOwnExit(spawned: SpawnedChild, readers: readonly PipeReader[], opts: OwnExitOptions): Promise<Ending> {
  const { stops, ...lifecycle } = opts;
  const stop = linkSignals(...stops);
  let ending: Ending;
  try {
    ending = await runToEnd(spawned, readers, { ...lifecycle, stop: stop.signal });
  } finally {
    stop.dispose();
  }
  if (stop.signal?.aborted) throw stop.signal.reason;
  if (ending.stoppedByUs) throw ending.stopReason;
  return ending;
}

function readToEnd(reader: PipeReader, received: { bytes: number }): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    const onData = (chunk: Buffer): void => {
      received.bytes += chunk.length;
      reader.onData(chunk);
    };
    const finish = (): void => {
      if (ended) return;
      ended = true;
      reader.stream.off('data', onData);
      reader.onEnd();
      resolve();
    };
    reader.stream.on('data', onData);
    // 'end' is a clean EOF; 'close' without it means the stream was destroyed or failed. Either
    // way the reader is done and flushes what it holds.
    reader.stream.once('end', finish);
    reader.stream.once('close', finish);
  });
}

/**
 * Event-loop turns in a row that must read nothing before the pipes count as quiet. Two, because
 * the first may end right after the poll phase that is running now, before a pipe created during
 * it was even registered with the poller; the second includes a poll that sees every pipe.
 */
const QUIET_TURNS = 2;
/** However short the drain grace, a writer still flooding after its group was stopped is cut off no sooner than this. */
const MIN_QUIET_CAP_MS = 100;

/**
 * Waits until `drained` settles, or no byte has been read for {@link QUIET_TURNS} turns of the
 * event loop in a row, or `capMs` has passed (a writer outside the group may never pause).
 */
async function untilQuiet(drained: Promise<unknown>, bytesRead: () => number, capMs: number): Promise<void> {
  const state = { drained: false };
  void drained.then(() => (state.drained = true));
  const deadline = performance.now() + capMs;
  let quietTurns = 0;
  let seen = bytesRead();
  while (!state.drained && quietTurns < QUIET_TURNS && performance.now() < deadline) {
    await node.timersPromises.setImmediate();
    const now = bytesRead();
    quietTurns = now === seen ? quietTurns + 1 : 0;
    seen = now;
  }
}

/** Whether `promise` settles within `ms`; false at once if `interrupt` aborts first. No timer survives. */
async function settlesWithin(promise: Promise<unknown>, ms: number, interrupt: AbortSignal | undefined): Promise<boolean> {
  if (interrupt?.aborted) return false;
  const timer = new AbortController();
  const interrupted = new Promise<false>((resolve) => {
    const onAbort = (): void => resolve(false);
    interrupt?.addEventListener('abort', onAbort, { once: true });
    timer.signal.addEventListener('abort', () => interrupt?.removeEventListener('abort', onAbort), { once: true });
  });
  try {
    return await Promise.race([
      promise.then(() => true),
      node.timersPromises.setTimeout(ms, false, { signal: timer.signal }),
      interrupted,
    ]);
  } finally {
    timer.abort();
  }
}
