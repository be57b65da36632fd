import type { Readable } from 'node:stream';
import { node } from '../builtins.js';
import { Cancelled, shareFailure } from '../core/errors.js';
import { StopDeniedError } from './errors.js';
import { linkSignals, runInScope } from '../core/scope.js';
import { settlesWithin } from '../core/timer.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { consumeReads, type ReadConsumer } from './output/pipe-reads.js';
import { processInternals, type Process } from './process.js';
import type { SpawnedChild } from './spawn.js';
import { hasExited, type Escapee } from './stop/group.js';
import { isParentShutdown, ownUntilExit, unlessParentDies } from './stop/parent-exit.js';
import { runAsHookOf } from './stop/hook-caller.js';
import { runCountingChildren } from './stop/shutdown-children.js';
import { awaitingHolderSearch, pipeHolders, type ChildPipes } from './stop/pipe-holders.js';
import { askToStop, stopDenied, stopPipeHolders, stopTarget, targetAliveSoon, targetRefuses, type StopPolicy, type StopTarget } from './stop/terminate.js';

/**
 * A consumer of one of the child's pipes: called for every read, then once at the end. A read's
 * bytes are valid only during the call (see ./output/pipe-reads.ts): what is kept is copied. The
 * pipe counts as read to its end once what `onEnd` returns has settled (bytes passed on, flushed).
 */
export interface PipeReader {
  readonly stream: Readable;
  readonly onData: ReadConsumer;
  readonly onEnd: () => void | Promise<void>;
  /** The child's group is gone: stop holding the pipe for a slow consumer (see ./output/pipe-hold.ts). */
  readonly release?: () => void;
  /** Resolves once every promise the pipe's consumer returned has settled: the call ends only then. */
  readonly settled?: (() => Promise<void>) | undefined;
  /** No promise the pipe's consumer returned is pending (none is: true). */
  readonly idle?: (() => boolean) | undefined;
}

export interface LifecycleOptions {
  /** Aborted when the child must be stopped: cancellation, a readiness timeout, a capture limit, `Process.stop()`. */
  readonly stop: AbortSignal | undefined;
  /** How its group is stopped; `deliverCancel` here is the user's, called with the process. */
  readonly policy: Omit<StopPolicy, 'deliverCancel'> & { readonly deliverCancel: ((proc: Process) => void | Promise<void>) | undefined };
  readonly drainGraceMs: number;
  readonly newSession: boolean;
  /** Told when the stop begins, when it escalates to SIGKILL, and when `deliverCancel` fails. */
  readonly log: LifecycleLog;
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
export async function runToEnd(spawned: SpawnedChild, readers: readonly PipeReader[], opts: LifecycleOptions): Promise<Ending> {
  const { proc } = spawned;
  const target: StopTarget = { proc, newSession: opts.newSession };
  // Once the child is gone, its pipes' ends say who else still holds them. Only with a session of
  // its own: `newSession: false` opts out of stopping anything but the child.
  const ends = opts.newSession ? spawned.pipeEnds : undefined;
  const received = { bytes: 0 };
  let stopReason: unknown;
  const denial = whenDenied(proc, readers, opts.log, () => stopReason);
  const drained = Promise.all(readers.map((reader) => readToEnd(reader, received)));
  const abandonWaitMs = Number.isFinite(opts.policy.killGraceMs) ? Math.max(opts.policy.killGraceMs, ABANDON_WAIT_MS) : ABANDON_WAIT_MS;
  const delivery = opts.policy.deliverCancel && shieldedDelivery(target, opts.policy.deliverCancel, { stopSignal: opts.policy.stopSignal, log: opts.log, abandonWaitMs, denied: (error) => denial.check(error) });
  const policy: StopPolicy = { ...opts.policy, deliverCancel: delivery?.deliver, onEscalate: () => opts.log.escalating(proc, opts.policy.killGraceMs) };
  let stopping: Promise<void> | undefined;
  // Whether the stop began while the child still ran: one that comes after its exit (a cancellation
  // during the drain, a `Process.stop()` right after `wait()`) caused nothing, and its exit is its own.
  // So is an exit the event loop was too busy to see yet: the child is a zombie by then, or
  // reaped with its exit not yet told.
  const began = { whileRunning: false };
  const stop = (reason?: unknown): Promise<void> => {
    if (stopping === undefined) {
      stopReason = reason;
      began.whileRunning = !hasExited(proc);
      opts.log.stopping(proc, reason);
      stopping = stopTarget(target, policy);
      stopping.catch(denial.check);
    }
    return stopping;
  };
  // The parent's own fatal signal (see ownUntilExit) cuts the drain graces as a cancellation does,
  // and the parent dies only once what still held the child's pipes is stopped: before, it died at
  // the end of the group's stop, and a holder not yet found (a drain grace later) ran on for good.
  const parentSignalled = new AbortController();
  let leftoversSettled = noop;
  const leftoversDone = new Promise<void>((resolve) => (leftoversSettled = resolve));
  const stopForParent = (reason: Cancelled): Promise<void> => {
    parentSignalled.abort(reason);
    return stop(reason).then(() => leftoversDone);
  };
  const cut = linkSignals(opts.stop, parentSignalled.signal);
  const release = ownUntilExit({ target, killGraceMs: policy.killGraceMs, stopSignal: policy.stopSignal, stopForParent });
  const onStop = (): void => void stop(opts.stop?.reason);
  if (opts.stop?.aborted) onStop();
  else opts.stop?.addEventListener('abort', onStop, { once: true });
  let ending: Ending;
  let searched = noop;
  try {
    await Promise.race([processInternals.exited(proc), denial.denied]).catch(async (error: unknown) => {
      leftoversSettled(); // none will be stopped
      // Refused while the parent is dying of a signal: as for any stop made for it, nothing settles before its death.
      if (isParentShutdown(stopReason)) await unlessParentDies();
      throw error;
    });
    // Once nothing of the group is left, what its pipes hold is read whatever their consumers' pace
    // (a pipe's worth: see PipeHold), or a consumer behind (one awaiting this very stop, even) would
    // hold them short of EOF until the drain gave up on them and on their last lines.
    // From the exit to the drain's end, searches or not: a parent that dies meanwhile SIGKILLs
    // whatever holds the pipes then (those found already, and what they started since).
    searched = awaitingHolderSearch(ends);
    const releasePipes = (): void => readers.forEach((reader) => reader.release?.());
    if (!(await targetAliveSoon(target))) releasePipes();
    else void stopping?.then(releasePipes, releasePipes); // a stop that failed is rethrown below, once
    await drainAfterExit(readers, drained, received, { ...opts, stop: cut.signal }, {
      stop: () => stop().then(releasePipes),
      // The parent dies once this is over, not after the drain that follows: what is left of the
      // grace when none was found (newSession: false, another user's) would only hold its death.
      stopHolders: holderStopper(target, ends, policy, opts.log),
      holdersStopped: leftoversSettled,
    }).finally(() => {
      searched();
      leftoversSettled();
    });
    // Leftovers that do not hold a pipe (daemonised helpers) still must not outlive the scope.
    // So must those the system refuses us: a stop is what says they are there.
    if (stopping === undefined && ((await targetAliveSoon(target)) || targetRefuses(target))) await stop();
    await stopping;
    ending = { returncode: proc.returncode ?? 0, signal: proc.signal, stoppedByUs: began.whileRunning, stopReason: began.whileRunning ? stopReason : undefined };
  } finally {
    searched();
    leftoversSettled();
    cut.dispose();
    opts.stop?.removeEventListener('abort', onStop);
    release();
    await delivery?.abandon();
  }
  // Stopped because the parent is dying of a signal: settle only if it survives, so that nothing
  // (least of all a CalledProcessError for the exit we caused) runs between the stop and its death.
  if (isParentShutdown(ending.stopReason)) await unlessParentDies();
  return ending;
}

/**
 * A stop the system refused (the child now runs as another user): its exit will never come, so the
 * wait for it ends with the refusal; the child is let go (its pipes closed, its handle no longer
 * holding the event loop open) so that the parent can still finish.
 */
function whenDenied(proc: Process, readers: readonly PipeReader[], log: LifecycleLog, why: () => unknown): { readonly denied: Promise<never>; readonly check: (error: unknown) => void } {
  let reject: (error: StopDeniedError) => void = noop;
  const denied = new Promise<never>((_, rejectWith) => (reject = rejectWith));
  let told = false;
  return {
    denied,
    check: (error) => {
      if (!(error instanceof StopDeniedError)) return; // rethrown where the stop is awaited
      if (told) return; // a hook's fallback and the SIGKILL after the grace may both meet it
      told = true;
      // Why it was being stopped (a readiness timeout, a cancellation) is not lost behind the refusal.
      error.cause ??= why();
      log.stopDenied(proc, error);
      // The call rejects with it, and so does Process.stop(): one failure, reported once.
      shareFailure(error);
      for (const reader of readers) reader.stream.destroy();
      processInternals.abandon(proc);
      reject(error);
    },
  };
}

/**
 * Stops whoever outside the exited child's group still holds its pipes (see ./stop/pipe-holders.ts),
 * telling `log`; says whether there was any. Each call searches again, and passes over those an
 * earlier one stopped: one that outlived its SIGKILL (stuck in the kernel) is not given a second grace.
 */
function holderStopper(target: StopTarget, ends: ChildPipes | undefined, policy: StopPolicy, log: LifecycleLog): () => Promise<boolean> {
  const { proc } = target;
  const stopped = new Set<string>();
  const onKill = (left: readonly Escapee[]): void => log.killingHolders(proc, left.map((holder) => holder.pid), policy.killGraceMs);
  return async () => {
    const holders = (await pipeHolders(ends)).filter((holder) => !stopped.has(`${holder.pid} ${holder.startTime}`));
    if (holders.length === 0) return false;
    for (const holder of holders) stopped.add(`${holder.pid} ${holder.startTime}`);
    log.stoppingHolders(proc, holders.map((holder) => holder.pid));
    await stopPipeHolders(target, holders, policy, onKill);
    return true;
  };
}

/** How many times the holders of an exited child's pipes are searched for, while each search finds some and the pipes do not end. */
const HOLDER_SEARCHES = 3;

/**
 * Stops the holders of the exited child's pipes (`stopHolders` says whether it found any), and
 * searches again while it finds some and the pipes do not end: a holder stopped may leave what it
 * started after the search had listed the processes, which holds the pipes on. The search yields
 * as it goes and on a busy host takes a while, long enough for a shell's next command to begin.
 */
async function stopHoldersUntilEnded(drained: Promise<unknown>, bytesRead: () => number, stopHolders: () => Promise<boolean>): Promise<boolean> {
  let found = false;
  for (let search = 0; search < HOLDER_SEARCHES && (await stopHolders()); search += 1) {
    found = true;
    if (await drainsOnceQuiet(drained, bytesRead)) break;
  }
  return found;
}

/**
 * After the exit: a child may have left something behind that still holds its pipes. Keep reading
 * for a grace (nothing it wrote is lost), then stop the leftovers so EOF comes: the group, then,
 * a grace later, whoever outside it still holds a pipe (`stopHolders` says whether there was any).
 * A cancellation or the parent's fatal signal (`opts.stop`) cuts either grace short, so the
 * holders get their stop as soon as the group's is over, as the group got its own at once; what
 * is left of the grace after that, which only lets the pipes drain, is waited out when no holder
 * was found.
 */
async function drainAfterExit(
  readers: readonly PipeReader[],
  drained: Promise<unknown>,
  received: { bytes: number },
  opts: LifecycleOptions,
  leftovers: { readonly stop: () => Promise<void>; readonly stopHolders: () => Promise<boolean>; readonly holdersStopped: () => void },
): Promise<void> {
  if (await settlesWithin(drained, opts.drainGraceMs, opts.stop)) return;
  await leftovers.stop();
  const graceEnd = performance.now() + opts.drainGraceMs;
  if (await settlesWithin(drained, opts.drainGraceMs, opts.stop)) return;
  // Cut short, the group's stop just over: with nobody else holding the pipes their ends come in the
  // next turns of the loop, so the search (every fd of every later process, for each child of a
  // shutdown) is made only if they do not.
  if (opts.stop?.aborted === true && (await drainsOnceQuiet(drained, () => received.bytes))) return;
  // Whoever holds the pipe escaped the group (setsid) and had no member left to be found by when
  // the group's stop began: found now by the pipe itself, and stopped with the child's stop signal
  // and grace. They were left running before (see stopPipeHolders). With none found (not ours to
  // find or stop, or no /proc to look in), there is nothing to wait another grace for; only what is
  // left of this one, when a cancellation cut it (a consumer behind may still be reading). The
  // parent's fatal signal waits for no more than the holders' stop (`holdersStopped`).
  const found = await stopHoldersUntilEnded(drained, () => received.bytes, leftovers.stopHolders);
  leftovers.holdersStopped();
  if (found) {
    if (await settlesWithin(drained, opts.drainGraceMs, undefined)) return;
  } else if (await settlesWithin(drained, graceEnd - performance.now(), undefined)) {
    return;
  }
  // Whoever holds it now cannot be killed, or is not ours to find: stop reading, but
  // only once the pipes have gone quiet. A grace measured on the clock can pass while the
  // event loop is busy elsewhere and has not polled a new pipe even once, and what the
  // group wrote before it died is in the pipe, unread: destroying now would drop it.
  await untilQuiet(drained, () => received.bytes, Math.max(opts.drainGraceMs, MIN_QUIET_CAP_MS));
  for (const reader of readers) reader.stream.destroy();
  await drained;
}

/**
 * trio's `deliver_cancel`, shielded: the user's first stop step runs in a scope of its own (not the
 * cancelled one), so it may run a shutdown command. Once the group is gone that scope is cancelled
 * and the hook is abandoned, not waited for: one that ignores the cancellation (a bare timer, a
 * request that never answers) cannot hold the stop. Only the children it started (see
 * ./stop/shutdown-children.ts) are waited for, each stopped by that cancellation with its own
 * grace, so none outlives the child's scope; for at most the longer of `killGraceMs` and
 * {@link ABANDON_WAIT_MS}. If the hook fails, the stop signal goes out at once: a broken shutdown
 * hook must not cost the whole grace.
 */
function shieldedDelivery(
  target: StopTarget,
  deliverCancel: (proc: Process) => void | Promise<void>,
  how: { readonly stopSignal: NodeJS.Signals; readonly log: LifecycleLog; readonly abandonWaitMs: number; readonly denied: (error: StopDeniedError) => void },
): { deliver: () => void; abandon: () => Promise<void> } {
  const { stopSignal, log, abandonWaitMs } = how;
  const shield = new AbortController();
  const shutdownChildren = new Set<Promise<unknown>>();
  // Refused: said now, not a whole grace later (or never, with an infinite one) at the SIGKILL.
  const firstStep = (): void => {
    if (shield.signal.aborted) return;
    if (askToStop(target, stopSignal) === 'denied') how.denied(stopDenied(target, stopSignal));
  };
  const fallBack = (error: unknown): void => {
    if (shield.signal.aborted) return;
    log.deliverCancelFailed(target.proc, error);
    firstStep();
  };
  return {
    deliver: () => {
      void runInScope(shield.signal, () =>
        runCountingChildren(shutdownChildren, async () => {
          try {
            await runAsHookOf(target.proc, firstStep, () => deliverCancel(target.proc));
          } catch (error) {
            fallBack(error);
          }
        }),
      );
    },
    abandon: async () => {
      // The hook is left to itself; the children it started are stopped by this cancellation.
      shield.abort(new Cancelled('the group is gone: deliverCancel is abandoned'));
      if (shutdownChildren.size > 0) await settlesWithin(Promise.allSettled(shutdownChildren), abandonWaitMs);
    },
  };
}

/** How long the shutdown commands of an abandoned `deliverCancel` are waited for at least (and when `killGraceMs` is infinite): the default grace, which each of them may need. */
const ABANDON_WAIT_MS = 5000;

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
      detach();
      // Settled either way: a reader that failed to flush is done all the same.
      void Promise.resolve(reader.onEnd()).then(
        () => resolve(),
        () => resolve(),
      );
    };
    const detach = consumeReads(reader.stream, onData);
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

/** Whether `drained` has settled once the pipes have gone quiet (see {@link untilQuiet}). */
async function drainsOnceQuiet(drained: Promise<unknown>, bytesRead: () => number): Promise<boolean> {
  await untilQuiet(drained, bytesRead, MIN_QUIET_CAP_MS);
  return settlesWithin(drained, 0);
}

function noop(): void {
  // replaced when the promise is built
}
