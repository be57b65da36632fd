import { MAX_TIMER_MS } from '../core/timer.js';
import { writeText } from '../log/sinks/write.js';
import { killAllOwned } from '../process/stop/parent-exit.js';
import { EXIT, type Ending } from './exit-status.js';
import { exitOnceSaid, exitingAtOnce } from './last-words.js';
import { StopRequest } from './stack/stack.js';
import { Terminals } from './terminal.js';
import { errorSummary, errorText, internalErrorWords } from './internal-error.js';
import { runTakesUncaughtErrors } from './uncaught-outside-run.js';

/** What a run needs to end in order, or at once, after an error nothing caught. */
export interface UncaughtErrorOptions {
  /** Stops the run in order, as a first Ctrl-C does. */
  readonly stop: (reason: StopRequest) => void;
  /** The process is about to exit at once: hands over what it can and says on stderr what it drops (settles once said). */
  readonly abandon: (why: string) => Promise<void>;
  /** The longest the processes' stop may take (their graces, in the order they are stopped), before it is cut short. */
  readonly stopGraceMs: number;
}

/** What {@link stopOnUncaughtError} saw, and how to stop listening. */
export interface UncaughtErrors {
  /** Whether an error nothing caught happened: the run then exits with {@link EXIT.internal}, whatever else it ended with. */
  readonly seen: boolean;
  /**
   * Takes the run's own failure (`error`, which it rejected with) as a consequence of the error
   * already seen: says it too and returns true. Returns false when none was seen: `error` is then
   * not this module's to handle.
   */
  absorb(error: unknown): boolean;
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
    // The exit is decided (a second Ctrl-C's): the wait for its words says the error (see exitOnceSaid).
    if (exitingAtOnce()) return;
    if (seen) {
      writeText(process.stderr, `subvisor: another internal error while stopping: ${errorText(error)}\n`);
      endAtOnce('second internal error');
      return;
    }
    seen = true;
    writeText(process.stderr, internalErrorWords('internal error, stopping every process', error));
    options.stop(new StopRequest(`internal error: ${error instanceof Error ? error.message : errorSummary(error)}`, EXIT.internal));
    // (A delay past 2^31 - 1 ms would fire at once.) Not unref'd: a run the defect left hanging
    // with nothing else to wait for would otherwise end as Node ends it (13, an unsettled await).
    const limitMs = Math.min(options.stopGraceMs + DRAIN_ALLOWANCE_MS, MAX_TIMER_MS);
    deadline = setTimeout(() => endAtOnce(`the stop after an internal error took over ${limitMs} ms`), limitMs);
    // Before the run's own listeners (./interrupts.ts), which would end it with a signal's status.
    process.prependOnceListener('SIGINT', onSignal);
    process.prependOnceListener('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => endAtOnce(`${signal} after an internal error`);
  const endAtOnce = (why: string): void => {
    release();
    killAllOwned();
    let said: Promise<void> | undefined;
    try {
      said = options.abandon(why);
    } catch {
      // Output broken by the defect: what it held is lost either way, and the children are gone.
    }
    exitOnceSaid(EXIT.internal, said, { terminals, signal: 'SIGHUP' });
  };
  const released = runTakesUncaughtErrors();
  const release = (): void => {
    released();
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
    absorb: (error) => {
      if (!seen) return false;
      writeText(process.stderr, `subvisor: the run then failed: ${errorText(error)}\n`);
      return true;
    },
    release,
  };
}

/**
 * `ending`, or {@link EXIT.internal} once an error nothing caught was seen (a hung-up terminal's
 * SIGHUP still wins: see dieOf); undefined `ending`: the run failed of it (see `absorb`).
 */
export function withUncaught(ending: Ending | undefined, uncaught: UncaughtErrors): Ending {
  if (ending !== undefined && (!uncaught.seen || ending.signal !== undefined)) return ending;
  return { exitCode: EXIT.internal };
}
