import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownUntilExit } from './parent-exit.js';
import type { SpawnedChild } from './spawn.js';
import { stopTarget, targetAlive, type StopTarget } from './terminate.js';

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
  const release = ownUntilExit(target, opts.killGraceMs);
  const drained = Promise.all(readers.map(readToEnd));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopTarget(target, opts.killGraceMs));
  const onStop = (): void => void stop();
  if (opts.stop?.aborted) onStop();
  else opts.stop?.addEventListener('abort', onStop, { once: true });
  try {
    await proc.wait();
    const stoppedByUs = stopping !== undefined;
    // A child that exited may have left something behind that still holds its pipes: keep
    // reading for a grace (nothing it wrote is lost), then stop the leftovers so EOF comes.
    if (!(await settlesWithin(drained, opts.drainGraceMs, opts.stop))) {
      await stop();
      if (!(await settlesWithin(drained, opts.drainGraceMs, undefined))) {
        // Whoever holds the pipe escaped the group (setsid) or cannot be killed: stop reading.
        for (const reader of readers) reader.stream.destroy();
        await drained;
      }
    }
    // Leftovers that do not hold a pipe (daemonised helpers) still must not outlive the scope.
    if (stopping === undefined && targetAlive(target)) await stop();
    await stopping;
    return { returncode: proc.returncode ?? 0, signal: proc.signal, stoppedByUs };
  } finally {
    opts.stop?.removeEventListener('abort', onStop);
    release();
  }
}

function readToEnd(reader: PipeReader): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      reader.stream.off('data', reader.onData);
      reader.onEnd();
      resolve();
    };
    reader.stream.on('data', reader.onData);
    // 'end' is a clean EOF; 'close' without it means the stream was destroyed or failed. Either
    // way the reader is done and flushes what it holds.
    reader.stream.once('end', finish);
    reader.stream.once('close', finish);
  });
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
      sleep(ms, false, { signal: timer.signal }),
      interrupted,
    ]);
  } finally {
    timer.abort();
  }
}
