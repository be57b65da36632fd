import type { RunOutcome } from './engine.js';
import { dieOf, type DeadlySignal, type Ending } from './exit-status.js';

/** The cancellation reason when the user (or a supervisor above us) asked the CLI to stop. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

const HANDLED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const satisfies readonly DeadlySignal[];

/**
 * The first SIGINT (Ctrl-C), SIGTERM or SIGHUP cancels gracefully: `onInterrupt` aborts the run,
 * every process group gets SIGTERM and then SIGKILL after its grace. A second SIGINT or SIGTERM
 * does not wait: every group still alive gets SIGKILL and the CLI dies at once of the first signal
 * (see {@link dieOf}: not `process.exit()`, which aborts on Node 20 once the terminal has gone), so
 * nothing outlives the command either way.
 *
 * A SIGHUP never hurries the stop: it is not someone insisting but the terminal going away, and
 * that is often told twice, by the shell passing its SIGHUP on to its jobs and by the kernel when
 * that shell then exits (seen under tmux: the job gets one or two, depending on timing).
 */
export function handleInterrupts(onInterrupt: (signal: DeadlySignal) => void, onForce: (signal: NodeJS.Signals) => void): () => void {
  let first: DeadlySignal | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (!isDeadly(signal)) return; // never: only those are listened to
    if (first === undefined) {
      first = signal;
      onInterrupt(signal);
      return;
    }
    if (signal === 'SIGHUP') return;
    onForce(signal);
    release();
    dieOf(first);
  };
  const release = (): void => {
    for (const signal of HANDLED) process.off(signal, handler);
  };
  for (const signal of HANDLED) process.on(signal, handler);
  return release;
}

/**
 * A reader that went away (`subvisor up | head`) ends the run as SIGPIPE ends a filter: the
 * children are stopped gracefully and the status is 141 (128 + SIGPIPE). Without this, the lines
 * would be dropped into a closed pipe for as long as the children live.
 */
export function stopWhenOutputCloses(stream: NodeJS.WriteStream, onClosed: () => void): () => void {
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') onClosed();
  };
  stream.on('error', onError);
  return () => {
    stream.off('error', onError);
  };
}

/** How the CLI ends after `outcome`: a run stopped by a signal dies of it. */
export function endingOf(outcome: RunOutcome): Ending {
  const { stoppedBy, exitCode } = outcome;
  return stoppedBy instanceof Interrupted && isDeadly(stoppedBy.signal) ? { exitCode, signal: stoppedBy.signal } : { exitCode };
}

function isDeadly(signal: NodeJS.Signals): signal is DeadlySignal {
  return (HANDLED as readonly string[]).includes(signal);
}
