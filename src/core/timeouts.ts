import { Cancelled, TooSlowError } from './errors.js';
import { allowManyListeners, cancelledFromOutside, currentSignal, isCancellationOf, linkSignals, runInScope, scopesRunIn, validateScopeOptions } from './scope.js';
import { startTimer } from './timer.js';
import { invalidArgument, outOfRange } from '../caller-errors.js';

/** Options of {@link failAfter} and {@link moveOnAfter}. */
export interface DeadlineOptions {
  /** An outer signal that also cancels the work (the call then rejects with its reason); combined with the implicit scope. Default: none. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `fn` in a scope that is cancelled after `ms` milliseconds; rejects with
 * {@link TooSlowError} if the deadline cut it short. Everything `fn` starts (nurseries, processes)
 * is cancelled with it. `ms` may be `Infinity` for no deadline, and `0` for one already passed
 * (`fn` runs in a cancelled scope, so a process it starts is never spawned). Cancelled from outside (an
 * enclosing scope, `opts.signal`) it rejects with that cancellation's reason, as a nursery does.
 *
 * Any finite `ms` is honoured as given, including one above `setTimeout`'s limit of 2³¹−1 ms
 * (about 24.8 days), which Node would otherwise cut to 1 ms: a deadline of 30 days passes after 30
 * days, neither at once nor never. A negative, NaN or non-number `ms` is a `RangeError`.
 *
 * @example
 * ```ts
 * await failAfter(2000, (signal) => runProcess(['make'], { signal }))
 * ```
 *
 * @param opts - See {@link DeadlineOptions}. Default: `{}` (the implicit scope alone).
 */
export async function failAfter<R>(ms: number, fn: (signal: AbortSignal) => Promise<R>, opts: DeadlineOptions = {}): Promise<R> {
  const outcome = await runWithDeadline(ms, fn, opts, 'failAfter');
  if (outcome.timedOut) throw new TooSlowError(ms);
  return outcome.value;
}

/**
 * Runs `fn` in a scope that is cancelled after `ms` milliseconds; resolves with `undefined` if
 * the deadline cut it short, else with `fn`'s result. `ms` may be `Infinity` for no deadline; any
 * finite `ms`, however large, is honoured as given (see {@link failAfter}).
 *
 * @example
 * ```ts
 * const line = await moveOnAfter(500, (signal) => readFirstLine(signal))  // undefined if too slow
 * ```
 *
 * @param opts - See {@link DeadlineOptions}. Default: `{}` (the implicit scope alone).
 */
export async function moveOnAfter<R>(ms: number, fn: (signal: AbortSignal) => Promise<R>, opts: DeadlineOptions = {}): Promise<R | undefined> {
  const outcome = await runWithDeadline(ms, fn, opts, 'moveOnAfter');
  return outcome.timedOut ? undefined : outcome.value;
}

/**
 * A bad `ms` as the message shows it: a string quoted and named (`'5'` printed bare would read as
 * the number the message asks for), anything else not a number by its type.
 */
function shownArgument(ms: unknown): string {
  if (typeof ms === 'number') return String(ms);
  if (typeof ms === 'string') return `the string ${JSON.stringify(ms)}`;
  return ms === null ? 'null' : typeof ms;
}

type Outcome<R> = { timedOut: true } | { timedOut: false; value: R };

async function runWithDeadline<R>(ms: number, fn: (signal: AbortSignal) => Promise<R>, opts: DeadlineOptions, where: string): Promise<Outcome<R>> {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw outOfRange(`${where}(ms): ms must be a number >= 0 (or Infinity), got ${shownArgument(ms)}`);
  }
  if (typeof fn !== 'function') throw invalidArgument(`${where}(ms, fn): fn must be a function, got ${typeof fn}`);
  const deadline = new AbortController();
  // With no scope around it, the deadline's own signal is the scope everything inside listens to.
  allowManyListeners(deadline.signal);
  const reason = new Cancelled(`deadline of ${ms} ms passed`);
  const outside = [currentSignal(), validateScopeOptions(opts, where)];
  const link = linkSignals(deadline.signal, ...outside);
  const signal = link.signal ?? deadline.signal; // never undefined: deadline.signal is a source
  // A deadline of 0 has passed before `fn` starts, as trio's fail_after(0) is cancelled on entry:
  // nothing `fn` starts may begin. A 0 ms timer fires only after `fn` has run to its first await,
  // by when a process it started has spawned (and is then killed a moment later).
  if (ms === 0) deadline.abort(reason);
  const stopTimer = startTimer(ms, () => deadline.abort(reason));
  try {
    return { timedOut: false, value: await runInScope(signal, () => fn(signal)) };
  } catch (error) {
    // Only our own deadline is absorbed here; an enclosing scope's cancellation travels on to it,
    // as its own reason (as a nursery's does), even one that came after the deadline had passed:
    // `opts.signal`'s reason reaches the caller who gave it, not a TooSlowError.
    if (!isCancellationOf(error, signal)) throw error;
    const cancelled = cancelledFromOutside(signal, deadline.signal, outside);
    if (cancelled !== undefined) throw cancelled.reason;
    return { timedOut: true };
  } finally {
    stopTimer();
    // Work of ours still running in the scope (started from a callback, not awaited) stays linked
    // to the scopes around it, as a nursery's does.
    if (!scopesRunIn(signal)) link.dispose();
  }
}
