import { AsyncLocalStorage } from 'node:async_hooks';
import { Cancelled } from './errors.js';

/**
 * The cancellation signal of the scope the current code runs in, carried implicitly so that a
 * nursery, timeout or process started anywhere inside a task is cancelled with that task,
 * without anyone passing signals by hand (trio finds its enclosing cancel scope the same way).
 */
const currentScope = new AsyncLocalStorage<AbortSignal>();

/** The signal of the innermost enclosing scope, if the caller runs inside one. */
export function currentSignal(): AbortSignal | undefined {
  return currentScope.getStore();
}

/** Runs `fn` with `signal` as the implicit current scope for everything it starts. */
export function runInScope<R>(signal: AbortSignal, fn: () => R): R {
  return currentScope.run(signal, fn);
}

/**
 * One signal that aborts when any of the given ones does: the implicit scope, an explicit
 * `signal` option, and the scope's own controller. `AbortSignal.any` holds its sources weakly and
 * adds no listeners, so a finished scope leaves nothing attached to a long-lived parent signal.
 */
export function combineSignals(first: AbortSignal, ...rest: (AbortSignal | undefined)[]): AbortSignal;
export function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined;
export function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

/**
 * Whether `error` is only the cancellation carried by `signal` (its reason, a {@link Cancelled},
 * or an `AbortError` a Node API threw with that reason as its `cause`), rather than a failure.
 */
export function isCancellationOf(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (error === signal.reason || error instanceof Cancelled) return true;
  if (error instanceof Error && error.name === 'AbortError') {
    const cause: unknown = error.cause;
    return cause === undefined || cause === signal.reason || cause instanceof Cancelled;
  }
  return false;
}

/** Checks a user-supplied `signal` option, so a wrong type fails loudly instead of never aborting. */
export function validateSignal(signal: unknown, where: string): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  const got = signal === null ? 'null' : typeof signal;
  throw new TypeError(`${where}: the signal option must be an AbortSignal, got ${got}`);
}
