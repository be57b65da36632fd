import { writeText } from '../log/sinks/write.js';
import { killAllOwned } from '../process/stop/parent-exit.js';
import { EXIT } from './exit-status.js';
import { StopRequest } from './stack/stack.js';

/**
 * An error nothing caught while a run relays its processes (a defect of ours, thrown in a callback,
 * or a rejection nobody handled) ends the run in order rather than at once: Node's own way out
 * exits on the spot, and took with it every line collected for stdout and not yet written (up to
 * a megabyte behind a slow reader; see ./batched-writer.ts). So the first such error is said on
 * stderr, with its stack, and `onError` gets a {@link StopRequest} to stop the run with: every
 * process gets its stop signal and its grace, what they wrote is written out, and the CLI exits
 * with {@link EXIT.internal}. A second one, while that stop is under way, does not wait: `onForce`
 * hands over what it can (and says what it drops), and the CLI exits at once with the same
 * status, every child group still alive SIGKILLed first. Returns how to stop listening.
 */
export function stopOnUncaughtError(onError: (reason: StopRequest) => void, onForce: () => void): () => void {
  let first: unknown;
  const handler = (error: unknown): void => {
    if (first === undefined) {
      first = error;
      writeText(process.stderr, `subvisor: internal error, stopping every process: ${describe(error)}\n`);
      onError(new StopRequest(`internal error: ${error instanceof Error ? error.message : String(error)}`, EXIT.internal));
      return;
    }
    writeText(process.stderr, `subvisor: another internal error while stopping: ${describe(error)}\n`);
    onForce();
    release();
    killAllOwned();
    process.exit(EXIT.internal);
  };
  const release = (): void => {
    process.off('uncaughtException', handler);
  };
  // Also where an unhandled rejection goes, under Node's default (--unhandled-rejections=throw).
  process.on('uncaughtException', handler);
  return release;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
