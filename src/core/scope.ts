import { node } from '../builtins.js';
import { Cancelled, NotStartedError } from './errors.js';
import { invalidArgument } from '../caller-errors.js';

/**
 * The cancellation signal of the scope the current code runs in, carried implicitly so that a
 * nursery, timeout or process started anywhere inside a task is cancelled with that task,
 * without anyone passing signals by hand (trio finds its enclosing cancel scope the same way).
 */
const currentScope = new node.asyncHooks.AsyncLocalStorage<AbortSignal>();

/** The signal of the innermost enclosing scope, if the caller runs inside one. */
export function currentSignal(): AbortSignal | undefined {
  return currentScope.getStore();
}

/** Runs `fn` with `signal` as the implicit current scope for everything it starts. */
export function runInScope<R>(signal: AbortSignal, fn: () => R): R {
  return currentScope.run(signal, fn);
}

/** A signal that follows several others, and the way to detach it from them. */
export interface LinkedSignal {
  /** Aborts (with the same reason) as soon as any source does; undefined when there is no source. */
  readonly signal: AbortSignal | undefined;
  /** Removes the links from the sources: call it once the scope has settled. */
  readonly dispose: () => void;
}

/**
 * One signal that aborts when any of the given ones does: the implicit scope, an explicit
 * `signal` option, a scope's own controller.
 *
 * Not `AbortSignal.any`: on Node 20 every signal it makes stays in its sources' dependants for as
 * long as they live (nodejs/node#55351), so a long-lived nursery running many short `failAfter`
 * scopes grew without bound. Plain listeners, removed by `dispose()` when the scope settles, leave
 * nothing behind. The linked signal is ours, so it may have any number of listeners (a nursery
 * with 200 running children has 200) without Node's leak warning. A source may be the caller's
 * (one `signal` given to 50 `runProcess` calls): its links share one listener (see
 * {@link followAbort}), so it never passes Node's warning threshold on our account.
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): LinkedSignal {
  const sources = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  if (sources.length <= 1) return { signal: sources[0], dispose: noop };
  const controller = new AbortController();
  node.events.setMaxListeners(0, controller.signal);
  const aborted = sources.find((source) => source.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, dispose: noop };
  }
  const follow = (event: Event): void => {
    dispose();
    abortWithoutNesting(controller, (event.target as AbortSignal).reason);
  };
  const dispose = (): void => {
    for (const source of sources) unfollowAbort(source, follow);
  };
  for (const source of sources) followAbort(source, follow);
  return { signal: controller.signal, dispose };
}

/** The links that follow one source signal, behind the one listener they share on it. */
interface Followers {
  readonly links: Set<(event: Event) => void>;
  readonly dispatch: (event: Event) => void;
}

/** What follows a signal: scopes linked to it (see {@link scopesRunIn}), or other waits on it. */
type FollowerKind = 'scope' | 'wait';

const followersOf: Record<FollowerKind, WeakMap<AbortSignal, Followers>> = { scope: new WeakMap(), wait: new WeakMap() };

/**
 * Calls `link` when `source` aborts, through one listener per source and kind whatever the number
 * of links: a caller's signal given to many calls takes no more than one of ours each (Node warns
 * past 10). The listener is there exactly while links are; for `scope` links it is a scope link
 * (see {@link scopesRunIn}), for `wait`s (`Process.wait`) not.
 */
export function followAbort(source: AbortSignal, link: (event: Event) => void, kind: FollowerKind = 'scope'): void {
  let followers = followersOf[kind].get(source);
  if (followers === undefined) {
    const links = new Set<(event: Event) => void>();
    // A link unfollows as it runs (its dispose): deleting the entry being visited is safe in a Set.
    const dispatchAll = (event: Event): void => {
      for (const each of links) each(event);
    };
    const dispatch = kind === 'scope' ? asScopeLink(dispatchAll) : dispatchAll;
    followers = { links, dispatch };
    followersOf[kind].set(source, followers);
    source.addEventListener('abort', dispatch);
  }
  followers.links.add(link);
}

/** Undoes {@link followAbort}; the shared listener goes with the last link. */
export function unfollowAbort(source: AbortSignal, link: (event: Event) => void, kind: FollowerKind = 'scope'): void {
  const followers = followersOf[kind].get(source);
  if (followers === undefined || !followers.links.delete(link) || followers.links.size > 0) return;
  source.removeEventListener('abort', followers.dispatch);
  followersOf[kind].delete(source);
}

/** Aborts waiting to be made by {@link abortWithoutNesting}, oldest first. */
const pendingAborts: { controller: AbortController; reason: unknown }[] = [];
let abortingNow = false;

/**
 * Aborts `controller` with `reason`, from inside another signal's 'abort' listener, without
 * nesting one dispatch inside the other.
 *
 * A linked signal aborts from its source's listener, and `abort()` runs the listeners of the
 * signal it aborts before it returns, so a chain of nested scopes aborted as a recursion: a few
 * frames per level, and 1 500 nested nurseries overflowed the stack inside a listener, where Node
 * turns the RangeError into an uncaught exception. Here the first abort of a cascade runs a loop
 * and every abort it sets off is queued onto that loop instead of run on top of it, so the stack
 * stays flat at any depth. The cascade still completes before the abort that started it returns
 * (a scope is cancelled as soon as `cancel()` is), only breadth-first: a scope's own listeners run
 * before those of the scopes inside it. (A `cancel()` called from inside an abort listener while a
 * cascade runs joins its queue, so it too takes effect before the first abort returns, not before
 * its own call does.)
 */
export function abortWithoutNesting(controller: AbortController, reason: unknown): void {
  pendingAborts.push({ controller, reason });
  if (abortingNow) return;
  abortingNow = true;
  try {
    // The queue grows while it is walked: each abort may queue the scopes linked below it.
    for (let next = 0; next < pendingAborts.length; next++) {
      const pending = pendingAborts[next];
      pending?.controller.abort(pending.reason);
    }
  } finally {
    // abort() does not throw (a listener's error is reported as uncaught, not thrown to us), so
    // the loop has reached the end whenever this runs.
    pendingAborts.length = 0;
    abortingNow = false;
  }
}

/** The listeners that link one scope to another (see {@link linkSignals}, and a start() task's link). */
const scopeLinks = new WeakSet<object>();

/** Marks `listener` as one that links a scope to the one it listens to (see {@link scopesRunIn}). */
export function asScopeLink<L extends (event: Event) => void>(listener: L): L {
  scopeLinks.add(listener);
  return listener;
}

/**
 * Whether scopes still run inside `signal`'s scope: subvisor's own work left running there after
 * the task or nursery it belonged to settled (a process a callback started and nobody awaits).
 * Such a scope stays linked to the one around it, so that work is still cancelled with it; one
 * with none is unlinked, so that a long-lived scope does not collect the links of every scope that
 * settled in it. A listener of the caller's own (left on `tn.signal`, say) keeps nothing linked,
 * nor does anything on a signal that has aborted already (it cannot abort again).
 */
export function scopesRunIn(signal: AbortSignal): boolean {
  return !signal.aborted && node.events.getEventListeners(signal, 'abort').some((listener) => scopeLinks.has(listener));
}

/** Lets a signal we own take any number of listeners: one per task or child is expected. */
export function allowManyListeners(signal: AbortSignal): void {
  node.events.setMaxListeners(0, signal);
}

function noop(): void {
  // nothing was linked, so nothing to unlink
}

/**
 * Whether `error` is only the cancellation carried by `signal` (its reason, a {@link Cancelled},
 * an `AbortError` a Node API threw with that reason as its `cause`, or the NotStartedError of a
 * start() whose task gave up by returning once cancelled), rather than a failure.
 */
export function isCancellationOf(error: unknown, signal: AbortSignal): boolean {
  if (!signal.aborted) return false;
  if (error === signal.reason || error instanceof Cancelled) return true;
  // A task that returns on abort before started() is how one is cancelled cooperatively: awaited,
  // its start() must not put a failure of its own next to (or instead of) what cancelled it.
  if (error instanceof NotStartedError && error.cause !== undefined) return isCancellationOf(error.cause, signal);
  if (error instanceof Error && error.name === 'AbortError') {
    const cause: unknown = error.cause;
    return cause === undefined || cause === signal.reason || cause instanceof Cancelled;
  }
  return false;
}

/**
 * The signal that cancelled a scope from outside (an enclosing scope, or a caller's `signal`), if
 * one did before the scope settled: the scope's own when an outside source aborted it first, else
 * the first of the outside sources, in the order given (the enclosing scope before the caller's
 * `signal`), that aborted after the scope had cancelled itself (`tn.cancel()`, a deadline). That
 * the scope cancelled itself first must not matter: a Ctrl-C that lands while a nursery winds down after its
 * own `cancel()` is still a Ctrl-C, and the code after the scope must not run on as if none came
 * (trio's Cancelled passes through an inner scope whenever the outer one is cancelled too).
 */
export function cancelledFromOutside(scope: AbortSignal, own: AbortSignal, outside: readonly (AbortSignal | undefined)[]): AbortSignal | undefined {
  if (!scope.aborted) return undefined;
  if (scope.reason !== own.reason) return scope;
  return outside.find((signal) => signal?.aborted === true);
}

/**
 * The `signal` of a scope's options (`openNursery`, `failAfter`, `moveOnAfter`), checked: the
 * options are an object or absent, `signal` is their only key, and it is an AbortSignal or absent.
 * A misspelt key (`sgnal`) would otherwise leave the scope uncancellable without a word.
 */
export function validateScopeOptions(opts: unknown, where: string): AbortSignal | undefined {
  if (opts === undefined) return undefined;
  if (typeof opts !== 'object' || opts === null) throw invalidArgument(`${where}: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  for (const key of Object.keys(opts)) {
    if (key !== 'signal') throw invalidArgument(`${where}: unknown option ${JSON.stringify(key)}; did you mean "signal"? (the only option)`);
  }
  return validateSignal((opts as { signal?: unknown }).signal, where);
}

/** Checks a user-supplied `signal` option, so a wrong type fails loudly instead of never aborting. */
export function validateSignal(signal: unknown, where: string): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  const got = signal === null ? 'null' : typeof signal;
  throw invalidArgument(`${where}: the signal option must be an AbortSignal, got ${got}`);
}
