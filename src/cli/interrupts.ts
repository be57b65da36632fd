import { signalStatus } from './exit-status.js';

/** The cancellation reason when the user (or a supervisor above us) asked the CLI to stop. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

const HANDLED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The first SIGINT (Ctrl-C), SIGTERM or SIGHUP cancels gracefully: `onInterrupt` aborts the run,
 * every process group gets SIGTERM and then SIGKILL after its grace. A second one does not wait:
 * the CLI exits at once with 128+N, and the library's exit hook SIGKILLs every group still alive
 * on the way out, so nothing outlives the command either way.
 */
export function handleInterrupts(onInterrupt: (signal: NodeJS.Signals) => void, onForce: (signal: NodeJS.Signals) => void): () => void {
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      onInterrupt(signal);
      return;
    }
    onForce(signal);
    process.exit(signalStatus(first));
  };
  for (const signal of HANDLED) process.on(signal, handler);
  return () => {
    for (const signal of HANDLED) process.off(signal, handler);
  };
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
