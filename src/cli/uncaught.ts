import { writeText } from '../log/sinks/write.js';
import { killAllOwned } from '../process/stop/parent-exit.js';
import { EXIT, dieOf, type Ending } from './exit-status.js';
import { StopRequest } from './stack/stack.js';
import { Terminals } from './terminal.js';

/** What a run needs to end in order, or at once, after an error nothing caught. */
export interface UncaughtErrorOptions {
  /** Stops the run in order, as a first Ctrl-C does. */
  readonly stop: (reason: StopRequest) => void;
  /** The process is about to exit at once: hands over what it can and says on stderr what it drops. */
  readonly abandon: (why: string) => void;
  /**
   * The longest the orderly stop may take (the processes' graces, in the order they are stopped)
   * before it is cut short; not at all when not finite.
   */
  readonly stopGraceMs: number;
}

/** What {@link stopOnUncaughtError} saw, and how to stop listening. */
export interface UncaughtErrors {
  /** Whether an error nothing caught happened: the run then exits with {@link EXIT.internal}, whatever else it ended with. */
  readonly seen: boolean;
  release(): void;
}

/**
 * What stdout is given, after the graces, to take what the command line still holds (at most about
 * a megabyte; see ./batched-writer.ts), before the stop is cut short.
 */
const DRAIN_ALLOWANCE_MS = 5000;

/**
 * An error nothing caught while a run relays its processes (a defect of ours, thrown in a callback,
 * or a rejection nobody handled) ends the run in order rather than at once: Node's own way out
 * exits on the spot, and took with it every line collected for stdout and not yet written (up to
 * a megabyte behind a slow reader). So the first such error is said on stderr, with its stack, and
 * the run is stopped: every process gets its stop signal and its grace, what they wrote is written
 * out, and the CLI exits with {@link EXIT.internal}.
 *
 * The defect may have broken the stop itself, so the stop is cut short (every child group still
 * alive SIGKILLed, what stdout has not taken dropped, and said) by a second such error, by a Ctrl-C
 * or SIGTERM (as the second one of a stop it was), or once the graces and {@link DRAIN_ALLOWANCE_MS}
 * have passed.
 */
export function stopOnUncaughtError(options: UncaughtErrorOptions): UncaughtErrors {
  let seen = false;
  let deadline: NodeJS.Timeout | undefined;
  const terminals = new Terminals([0, 1, 2]);
  const onError = (error: unknown): void => {
    if (seen) {
      writeText(process.stderr, `subvisor: another internal error while stopping: ${errorText(error)}\n`);
      endAtOnce('second internal error');
      return;
    }
    seen = true;
    writeText(process.stderr, `subvisor: internal error, stopping every process: ${errorText(error)}\n`);
    options.stop(new StopRequest(`internal error: ${error instanceof Error ? error.message : String(error)}`, EXIT.internal));
    const limitMs = options.stopGraceMs + DRAIN_ALLOWANCE_MS;
    // (A delay past 2^31 - 1 ms would fire at once.)
    if (limitMs <= 2 ** 31 - 1) deadline = setTimeout(() => endAtOnce(`the stop after an internal error took over ${limitMs} ms`), limitMs).unref();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => endAtOnce(`${signal} after an internal error`);
  const endAtOnce = (why: string): void => {
    options.abandon(why);
    release();
    killAllOwned();
    // Exiting once the terminal has hung up aborts on Node 20 (see dieOf).
    if (terminals.hungUp() !== undefined) dieOf('SIGHUP');
    process.exit(EXIT.internal);
  };
  const release = (): void => {
    clearTimeout(deadline);
    process.off('uncaughtException', onError);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  // Also where an unhandled rejection goes, under Node's default (--unhandled-rejections=throw).
  process.on('uncaughtException', onError);
  return {
    get seen() {
      return seen;
    },
    release,
  };
}

/** `ending`, or {@link EXIT.internal} once an error nothing caught was seen (a hung-up terminal's SIGHUP still wins: see dieOf). */
export function withUncaught(ending: Ending, uncaught: UncaughtErrors): Ending {
  return uncaught.seen && ending.signal === undefined ? { exitCode: EXIT.internal } : ending;
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
