import { startTimer } from '../core/timer.js';
import { describe } from './options.js';
import { isThenable } from './lifecycle-log.js';
import { invalidArgument } from '../caller-errors.js';

/** A line test for readiness: a pattern, or a synchronous predicate over the decoded line. */
export type ReadyWhen = RegExp | ((line: string) => boolean);

/**
 * Checks `readyWhen` before anything is spawned and turns it into one predicate. A global or
 * sticky pattern keeps `lastIndex` between `test()` calls and would skip matches, so it is copied
 * without those flags. An `async` predicate is refused: its promise is truthy, so every first line
 * would count as "ready".
 */
export function compileReadyWhen(where: string, readyWhen: unknown): ((line: string) => boolean) | undefined {
  if (readyWhen === undefined) return undefined;
  if (readyWhen instanceof RegExp) {
    const pattern = readyWhen.global || readyWhen.sticky ? new RegExp(readyWhen.source, readyWhen.flags.replace(/[gy]/g, '')) : readyWhen;
    return (line) => pattern.test(line);
  }
  if (typeof readyWhen === 'function') {
    if (readyWhen.constructor.name === 'AsyncFunction') throw asyncPredicate(where);
    const predicate = readyWhen as (line: string) => unknown;
    return (line) => {
      const verdict = predicate(line);
      // An ordinary function that returns a promise is the same mistake, found at the first line.
      if (isThenable(verdict)) throw asyncPredicate(where);
      return Boolean(verdict);
    };
  }
  throw invalidArgument(`${where}: readyWhen must be a RegExp or a function of the line, got ${describe(readyWhen)}`);
}

function asyncPredicate(where: string): TypeError {
  return invalidArgument(`${where}: readyWhen must answer synchronously (true or false) for each line, but it returned a promise; test the line itself, and wait for anything slower (an HTTP check) after start() has resolved`);
}

export interface ReadinessOptions {
  readonly predicate: (line: string) => boolean;
  readonly timeoutMs: number;
  /** The child is ready: hand it up. */
  readonly onReady: () => void;
  /** Not ready within `timeoutMs`. */
  readonly onTimeout: () => void;
  /** Whether the child is being stopped: a ready line then no longer counts. */
  readonly stopping: () => boolean;
  /** Whether the child has exited: its exit, not the deadline, then decides (see {@link Readiness.arm}). */
  readonly exited: () => boolean;
  /** How many pipes offer their lines: once every one has ended (see {@link Readiness.streamEnded}), no line can come. */
  readonly streams: number;
  /** Every pipe ended without a ready line, and the child still runs {@link OUTPUT_CLOSED_GRACE_MS} later. */
  readonly onOutputClosed: () => void;
}

/**
 * How long a child whose every read pipe has ended without a ready line is given to exit before it
 * counts as running with its output closed (an `OutputClosedBeforeReadyError`). A child that
 * exits closes its pipes just before its exit is seen, and a shell may run a line or two after
 * `exec >&-`: within this grace its exit decides, as an exit before readiness.
 */
export const OUTPUT_CLOSED_GRACE_MS = 500;

/**
 * Waits for the first output line that passes `readyWhen`, within `readyTimeoutMs`: the "started"
 * of a child that needs time to come up. The timer lives from {@link Readiness.arm} to
 * {@link Readiness.dispose}, which the caller runs in a `finally`.
 */
export class Readiness {
  #ready = false;
  #cancelTimer: () => void = noop;
  #cancelGrace: () => void = noop;
  #open: number;

  constructor(private readonly opts: ReadinessOptions) {
    this.#open = opts.streams;
  }

  get ready(): boolean {
    return this.#ready;
  }

  arm(): void {
    // startTimer, not setTimeout: a limit past 2^31-1 ms would fire after 1 ms; Infinity arms none.
    this.#cancelTimer = startTimer(this.opts.timeoutMs, () => {
      // The verdict waits for the reads of this turn of the event loop. A parent stopped (Ctrl-Z)
      // and continued has its poll cut short (EINTR), and the next turn runs the timers first: a
      // ready line that came while it was stopped, waiting in the pipe, would lose to a deadline
      // it beat.
      const verdict = setImmediate(() => {
        // Cancelled first: the cancellation is the reason, not a timeout that came during the stop.
        // Exited first: it was not too slow, it ended. What it left may hold its pipes past the
        // deadline (a `setsid` helper), and what is still in them is read until the drain ends: a
        // ready line there counts, and without one the exit is judged as one before readiness.
        if (!this.#ready && !this.opts.stopping() && !this.opts.exited()) this.opts.onTimeout();
      });
      this.#cancelTimer = () => clearImmediate(verdict);
    });
  }

  /** Tests one line; throws what the predicate throws. */
  offer(line: string): void {
    if (this.#ready || !this.opts.predicate(line)) return;
    // A ready line that comes while the child is being stopped (cancelled, or already too slow)
    // does not count: start() must not resolve with a dying process.
    if (this.opts.stopping()) return;
    this.#ready = true;
    this.dispose();
    this.opts.onReady();
  }

  /**
   * One pipe that offers lines reached its end, its last line offered. Once every one has, no
   * line can ever match: the child is given {@link OUTPUT_CLOSED_GRACE_MS} to exit (its exit then
   * decides), and one still running after it is reported. With no pipe to read at all nothing is
   * judged here: the deadline or the exit decides, as before.
   */
  streamEnded(): void {
    this.#open -= 1;
    if (this.#open !== 0 || this.#ready || this.opts.stopping()) return;
    this.#cancelGrace = startTimer(OUTPUT_CLOSED_GRACE_MS, () => {
      // Exited and not yet told is exited all the same (a zombie): the exit path judges it.
      if (!this.#ready && !this.opts.stopping() && !this.opts.exited()) this.opts.onOutputClosed();
    });
  }

  dispose(): void {
    this.#cancelTimer();
    this.#cancelGrace();
  }
}

function noop(): void {
  // no timer armed yet
}
