import { Cancelled, ErrorGroup, NotStartedError, failuresIn, recordedBefore } from './errors.js';
import { abortWithoutNesting, allowManyListeners, asScopeLink, cancelledFromOutside, currentSignal, isCancellationOf, linkSignals, runInScope, scopesRunIn, validateScopeOptions } from './scope.js';
import { invalidArgument, invalidState } from '../caller-errors.js';

/** What a task receives: its cancellation signal, and the way to report that it is up. */
export type TaskContext<T = void> = {
  /**
   * Aborted when the scope the task runs in is cancelled. It may be aborted already when the task
   * begins (a {@link Nursery.startSoon} task runs once the body has gone on, perhaps to
   * `tn.cancel()`), and an `AbortSignal` calls no listener added after it aborted: such a listener
   * waits for ever, and the nursery with it. Check `signal.aborted` (or call
   * `signal.throwIfAborted()`) before waiting for `'abort'`, or hand the signal to what takes one
   * (`sleep(ms, value, { signal })`).
   */
  readonly signal: AbortSignal;
  /**
   * Hands `value` to the caller of {@link Nursery.start} and lets it go on, while the task keeps
   * running inside the nursery. Does nothing under {@link Nursery.startSoon}, nor once the scope
   * that called `start` was cancelled (as trio's: `start` then rejects with that cancellation when
   * the task ends). Throws if called twice.
   */
  readonly started: (...value: StartedArgs<T>) => void;
};

/**
 * `started()` may omit its value when nobody expects one (`T` is `void` or not given), and must
 * pass it otherwise: `tn.start<Process>(...)` needs the process.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- testing for void is the point
export type StartedArgs<T> = unknown extends T ? [value?: T] : [T] extends [void] ? [value?: T] : [value: T];

/** A unit of concurrent work: an async function of its {@link TaskContext}. */
export type Task<T = void> = (ctx: TaskContext<T>) => Promise<unknown>;

declare const handsUp: unique symbol;

/**
 * A promise whose type says what its call hands up through `started()`: `superviseRunProcess`
 * returns one, so that `tn.start((ctx) => superviseRunProcess(cmd, opts, ctx))` is known to resolve
 * with a `Process` without writing `start<Process>`. A mark for the type checker alone: the
 * promise has no such property when the program runs.
 */
export type HandsUp<T, R = unknown> = Promise<R> & {
  /** Never there when the program runs: it only carries `T` to {@link Nursery.start}. */
  readonly [handsUp]: T;
};

/** Options of {@link openNursery}. */
export interface NurseryOptions {
  /**
   * An outer signal that cancels the nursery when it aborts; the nursery then rejects with its
   * reason once every task has settled. Combined with the implicit enclosing scope, which always
   * applies. Default: none.
   */
  signal?: AbortSignal | undefined;
}

/** A scope that owns concurrent tasks; see {@link openNursery}. */
export interface Nursery {
  /** Aborted (with a {@link Cancelled} reason unless told otherwise) when the nursery is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Starts `task` in the nursery on the next microtask; its errors fail the nursery. Any task may
   * be started so, one written for {@link start} too (a `Task<Process>`): its `ctx.started()` does
   * nothing here, as trio's `start_soon` hands such a function TASK_STATUS_IGNORED.
   *
   * @param name - Names the task in the error of a nursery closed to it. Default: none.
   */
  startSoon<T = void>(task: Task<T>, name?: string): void;
  /**
   * A start of a task that returns a call marked with what it hands up ({@link HandsUp}),
   * `(ctx) => superviseRunProcess(cmd, opts, ctx)`: resolves with that, a `Process`, inferred. The
   * second type parameter, never given, sends `start<T>(...)` with an explicit type to the
   * signature below: TypeScript types a task's `ctx` by the first signature it tries and keeps
   * that type for the next, so this one must not be tried for calls that name their type.
   *
   * @param name - As below. Default: the function's own name, else `'task'`.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters, @typescript-eslint/no-unused-vars -- unused on purpose: see above
  start<Marked extends HandsUp<unknown>, _Inferred extends never>(task: (ctx: TaskContext<unknown>) => Marked, name?: string): Promise<Marked[typeof handsUp]>;
  /**
   * Starts `task` and resolves with the value it passes to `ctx.started()`, while the task keeps
   * running in the nursery. If the task rejects before that, `start` rejects with that same error
   * and the nursery is unaffected; if it returns without calling `started`, `start` rejects too,
   * with a {@link NotStartedError} (whose `cause` is the cancellation, if one had cut the task
   * short: a scope it reaches absorbs it as that cancellation). An error of its own that comes
   * while the nursery is already failing also joins the nursery's group, so that nobody need await
   * it, and an awaiter that rethrows it does not add it again (a thrown primitive, `throw 42`, has
   * no identity: only its first awaiter's rethrow is recognised, since a second's cannot be told
   * from a sibling's own `throw 42`). Until it has started, the task is also cancelled with the
   * scope that called `start`; once that scope is, a `started()` hands nothing up, and `start`
   * rejects with the cancellation when the task ends.
   *
   * @param name - Names the task in a {@link NotStartedError} (its `task`) and in the error of a
   * nursery closed to it. Default: the function's own name, else `'task'`.
   */
  start<T>(task: Task<T>, name?: string): Promise<T>;
  /**
   * Cancels every task of the nursery.
   *
   * @param reason - The abort reason of `tn.signal`. Default: a new {@link Cancelled} (`'nursery cancelled'`).
   */
  cancel(reason?: unknown): void;
}

/**
 * Runs `body` with a fresh {@link Nursery}, then waits for every task started in it.
 *
 * It never settles while a task it started is still running: not on success, not on error, not on
 * cancellation. The first error (from the body or a task) cancels the nursery; once everything has
 * settled it rejects with an {@link ErrorGroup} of every error that is not the nursery's own
 * cancellation, in the order they happened. Cancellation of an enclosing scope or of `opts.signal`
 * makes it reject with that reason instead, even one that comes while it winds down after its own
 * `tn.cancel()`. If only `tn.cancel()` cut the body short, it resolves with `undefined`.
 *
 * @param body - Starts tasks; its result becomes the nursery's.
 * @param opts - See {@link NurseryOptions}. Default: `{}`.
 * @example
 * ```ts
 * const first = await openNursery(async (tn) => {
 *   const port = await tn.start<number>(async ({ started, signal }) => {
 *     started(8080)
 *     // Aborted already if the nursery was cancelled first: no 'abort' event would come.
 *     await new Promise((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve)))
 *   })
 *   tn.cancel()  // stops the server task; openNursery still waits for it
 *   return port
 * })
 * ```
 */
export async function openNursery<R>(body: (tn: Nursery) => Promise<R>, opts: NurseryOptions = {}): Promise<R> {
  if (typeof body !== 'function') throw invalidArgument(`openNursery(body): body must be a function, got ${typeof body}`);
  const outer = validateScopeOptions(opts, 'openNursery');
  const nursery = new TaskNursery([currentSignal(), outer]);
  let result: R | undefined;
  try {
    if (bodiesOnStack >= MAX_BODIES_ON_STACK) await Promise.resolve();
    result = await enterBody(nursery, body);
  } catch (error) {
    nursery.fail(error);
  }
  await nursery.drained();
  nursery.release();
  return nursery.outcome(result as R);
}

/**
 * How many nursery bodies the current stack is inside. An async body runs synchronously up to its
 * first await, so `await openNursery(...)` written in a body nests stack frames, several per
 * level, and 1 500 nurseries nested that way overflowed the stack while being opened. Past
 * {@link MAX_BODIES_ON_STACK} a body starts on the next microtask instead, on a fresh stack; below
 * it (every ordinary program) it starts at once, as trio's does, so code after a call to
 * `openNursery` still runs after the body's first await.
 */
let bodiesOnStack = 0;
const MAX_BODIES_ON_STACK = 100;

function enterBody<R>(nursery: TaskNursery, body: (tn: Nursery) => Promise<R>): Promise<R> {
  bodiesOnStack++;
  try {
    return runInScope(nursery.signal, () => body(nursery));
  } finally {
    bodiesOnStack--;
  }
}

/**
 * The nursery's bookkeeping. Tasks are counted rather than collected so that 100 000 trivial
 * tasks cost a counter each, not an array entry and a `Promise.all` over it.
 */
class TaskNursery implements Nursery {
  readonly signal: AbortSignal;
  private readonly own = new AbortController();
  private readonly errors: unknown[] = [];
  private pending = 0;
  private bodyDone = false;
  private closed = false;
  private onDrained: (() => void) | undefined;
  private queued: IgnoredStartTask[] = [];
  /** Shared by every startSoon task: nobody waits for their started(). */
  private readonly soonContext: IgnoredStartContext;

  /** Detaches the nursery's signal from the enclosing ones (see {@link release}). */
  private readonly unlink: () => void;
  /** The links of start() tasks that ended while work in their scope ran on (see {@link release}). */
  private readonly heldLinks: StartLink[] = [];
  /**
   * What start() tasks' own errors joined the group with and no awaiter has brought again yet (see
   * {@link joinFailure}), with how many joined with it: two starts' `throw 42` are two marks.
   */
  private readonly joined = new Map<unknown, number>();

  constructor(private readonly enclosing: readonly (AbortSignal | undefined)[]) {
    const link = linkSignals(this.own.signal, ...enclosing);
    this.signal = link.signal ?? this.own.signal; // never undefined: own.signal is a source
    this.unlink = link.dispose;
    allowManyListeners(this.signal);
    this.soonContext = Object.freeze({ signal: this.signal, started: ignoreStarted });
  }

  startSoon<T = void>(task: Task<T>, name?: string): void {
    this.admit(task, 'startSoon', name);
    this.pending++;
    this.queued.push(task);
    if (this.queued.length === 1) queueMicrotask(this.runQueued);
  }

  /**
   * Starts every task queued since the last microtask in one pass and one scope entry: a task per
   * microtask and per `AsyncLocalStorage.run` made the nursery 2.5x slower than `Promise.all`.
   */
  private readonly runQueued = (): void => {
    const batch = this.queued;
    this.queued = [];
    runInScope(this.signal, () => {
      for (const task of batch) {
        let running: Promise<unknown>;
        try {
          running = task(this.soonContext);
        } catch (error) {
          this.failAndSettle(error);
          continue;
        }
        Promise.resolve(running).then(this.settle, this.failAndSettle);
      }
    });
  };

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters, @typescript-eslint/no-unused-vars -- unused on purpose: see Nursery.start
  start<Marked extends HandsUp<unknown>, _Inferred extends never>(task: (ctx: TaskContext<unknown>) => Marked, name?: string): Promise<Marked[typeof handsUp]>;
  start<T>(task: Task<T>, name?: string): Promise<T>;
  start<T>(task: Task<T>, name?: string): Promise<T> {
    try {
      this.admit(task, 'start', name);
    } catch (error) {
      return Promise.reject(error);
    }
    const label = name ?? (task.name || 'task');
    // Before it has started, the task belongs to the caller's scope as well (trio runs it there),
    // so a caller that is cancelled while waiting for `start` takes the half-started task with it.
    const caller = currentSignal();
    const link = caller !== undefined && caller !== this.signal ? new StartLink(this.signal, caller) : undefined;
    const signal = link?.signal ?? this.signal;
    this.pending++;
    const starting = new Promise<T>((resolve, reject) => {
      let startedYet = false;
      // Cut short by a cancellation (rejected with it, or returned before started()), start()
      // rejects for whoever awaits it; but the code that would have is usually what failed first
      // (`await db` threw, so `await web` never runs), and a rejection nobody awaits would kill the
      // process over the very cancellation a nursery exists to absorb. So would a task's own error
      // that comes while the nursery is failing, which its group reports instead (joinFailure).
      // Any other own error stays unhandled if unawaited.
      const notStarted = (error: unknown, needsNoAwaiter: boolean): void => {
        startedYet = true; // a late started() from a leaked callback must throw, not resolve
        if (needsNoAwaiter) starting.catch(ignoreUnawaited);
        reject(error);
      };
      let handedUp = false;
      const ctx: TaskContext<T> = {
        signal,
        started: (...args: StartedArgs<T>) => {
          if (startedYet) throw invalidState(`started() was called twice by ${label}; call it once, when the task is up`);
          startedYet = true;
          // trio's started() "quietly quits" when the caller's scope was cancelled meanwhile: the
          // caller gets no value from work its deadline cut short, and the task, its signal
          // aborted for good, is not moved into the nursery (which it would fail with a
          // cancellation not the nursery's). It ends where it is; start() rejects with the
          // cancellation once it has. Without a link the caller runs either in the nursery's own
          // scope (its body, a task of it), whose cancellation is then the caller's, or in no scope
          // at all (code handed the nursery), which nothing cancels: it gets the value, and the task
          // meets the nursery's cancellation where it runs on.
          if (link === undefined ? caller !== undefined && signal.aborted : link.callerCancelled()) return;
          handedUp = true;
          link?.detachCaller();
          resolve(args[0] as T); // StartedArgs allows omitting it only when T admits undefined
        },
      };
      queueMicrotask(() => {
        invoke(signal, task, ctx).then(
          (returned) => {
            this.taskEnded(link);
            // A started() that came too late (see above) leaves the cancellation to report.
            if (!handedUp) notStarted(startedYet ? signal.reason : new NotStartedError(label, returned, signal.aborted ? signal.reason : undefined), signal.aborted);
            this.settle();
          },
          (error: unknown) => {
            this.taskEnded(link);
            if (handedUp) this.fail(error);
            else notStarted(error, isCancellationOf(error, signal) || this.joinFailure(error));
            this.settle();
          },
        );
      });
    });
    return starting;
  }

  /**
   * Once the nursery has settled: unlinks the scopes nothing runs in any more. A scope where work
   * a callback started still runs stays linked, so that cancelling an enclosing scope still
   * reaches that work (it may outlive the nursery, not its scopes' cancellation).
   */
  release(): void {
    for (const link of this.heldLinks) if (!scopesRunIn(link.signal)) link.dispose();
    if (!scopesRunIn(this.signal)) this.unlink();
  }

  /** A start() task has settled: its caller no longer cancels it, and its nursery does only while work runs in its scope. */
  private taskEnded(link: StartLink | undefined): void {
    if (link === undefined) return;
    link.detachCaller();
    if (scopesRunIn(link.signal)) this.heldLinks.push(link);
    else link.dispose();
  }

  cancel(reason?: unknown): void {
    if (!this.own.signal.aborted) this.own.abort(reason ?? new Cancelled('nursery cancelled'));
  }

  /** Records `error` unless it is only this nursery's cancellation; the first one cancels the rest. */
  fail(error: unknown): void {
    if (isCancellationOf(error, this.signal)) return;
    // One failure may reach us by two paths (a refused Process.stop(): from the body that awaited
    // it and from the task supervising the child); an error merely thrown twice is two failures.
    if (recordedBefore(error, this.errors, this.joined)) {
      // A primitive brought again once, by its awaiter: the same value thrown after that (a task's
      // own `throw 42`, which nothing can tell from the first) is a failure of its own. An object
      // stays marked: a second awaiter of the same start() brings the same failure again.
      for (const failure of failuresIn(error)) if (typeof failure !== 'object' || failure === null) this.unmark(failure);
      return;
    }
    this.record(error);
  }

  private record(error: unknown): void {
    this.errors.push(error);
    this.cancel(new Cancelled('nursery cancelled because a task failed', { cause: error }));
  }

  /**
   * A start() task's own error, from before its started(), that comes while the nursery is already
   * failing: it joins the group, and says so (its start() then needs no awaiter). Its caller is then
   * most likely the code that failed first (`await db` threw, so `await web` never runs), and an
   * error nobody awaits would kill the process after the nursery had rejected, past the try/catch
   * around it. A caller that does await it and rethrows it puts it in the group once, not twice.
   * While the nursery runs, such an error stays its caller's alone (trio's `start`).
   */
  private joinFailure(error: unknown): boolean {
    if (this.errors.length === 0) return false;
    // Not through fail(): this is the error's first arrival, whatever value an earlier failure was
    // (a sibling's `throw 42` before this start's own).
    if (recordedBefore(error, this.errors)) return true;
    this.record(error);
    // Marked here, not for the whole process: that same object thrown elsewhere (a module's
    // singleton) is a failure each time, in every other nursery.
    for (const failure of failuresIn(error)) this.joined.set(failure, (this.joined.get(failure) ?? 0) + 1);
    return true;
  }

  /** Spends one of `failure`'s marks in {@link joined}. */
  private unmark(failure: unknown): void {
    const left = (this.joined.get(failure) ?? 0) - 1;
    if (left > 0) this.joined.set(failure, left);
    else this.joined.delete(failure);
  }

  /** Resolves once the body has returned and no task is left. */
  drained(): Promise<void> {
    this.bodyDone = true;
    if (this.pending === 0) {
      this.closed = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.onDrained = resolve));
  }

  outcome<R>(result: R): R {
    if (this.errors.length > 0) throw new ErrorGroup(this.errors);
    // Cancelled from outside (an enclosing scope or opts.signal), before or after its own cancel():
    // say so with the outside's reason, so that the scope that cancelled recognises its own
    // cancellation and absorbs it.
    const outside = cancelledFromOutside(this.signal, this.own.signal, this.enclosing);
    if (outside !== undefined) throw outside.reason;
    return result;
  }

  private readonly settle = (): void => {
    this.pending--;
    if (this.pending === 0 && this.bodyDone) {
      this.closed = true;
      this.onDrained?.();
    }
  };

  private readonly failAndSettle = (error: unknown): void => {
    this.fail(error);
    this.settle();
  };

  private admit(task: unknown, method: string, name: string | undefined): void {
    if (typeof task !== 'function') throw invalidArgument(`nursery.${method}(task): task must be a function, got ${typeof task}`);
    if (this.closed) {
      throw invalidState(`nursery.${method}(${name ?? ''}): the nursery is closed to new tasks; start it from inside the nursery's body or one of its tasks`);
    }
  }
}

function ignoreUnawaited(): void {
  // a start() cut short by cancellation, or whose failure the nursery reports: rejected for whoever awaits it, and fine unawaited
}

/** A startSoon task's context: its `started()` takes whatever the task passes, and ignores it. */
type IgnoredStartContext = { readonly signal: AbortSignal; readonly started: (value?: unknown) => void };
/** A task as startSoon runs it: whatever it would pass to `started()`, nobody waits for it. */
type IgnoredStartTask = (ctx: IgnoredStartContext) => Promise<unknown>;

function ignoreStarted(): void {
  // startSoon tasks have nobody waiting for started(): trio's TASK_STATUS_IGNORED.
}

/** Calls the task inside its scope; a synchronous throw becomes a rejection like any other. */
function invoke<T>(signal: AbortSignal, task: Task<T>, ctx: TaskContext<T>): Promise<unknown> {
  try {
    return Promise.resolve(runInScope(signal, () => task(ctx)));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The signal of a task under `start()`: aborted by the nursery always, and by the calling scope
 * until the task has started. Listeners, not `AbortSignal.any`, because the caller's part must be
 * removed at `started()`.
 */
class StartLink {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly fromNursery = asScopeLink((): void => abortWithoutNesting(this.controller, this.nursery.reason));
  private readonly fromCaller = asScopeLink((): void => abortWithoutNesting(this.controller, this.caller.reason));
  private callerAttached = true;

  constructor(
    private readonly nursery: AbortSignal,
    private readonly caller: AbortSignal,
  ) {
    allowManyListeners(this.signal);
    if (nursery.aborted) this.fromNursery();
    else if (caller.aborted) this.fromCaller();
    nursery.addEventListener('abort', this.fromNursery);
    caller.addEventListener('abort', this.fromCaller);
  }

  /** Whether the calling scope cancelled the task (while it was still the caller's). */
  callerCancelled(): boolean {
    return this.callerAttached && this.caller.aborted;
  }

  detachCaller(): void {
    if (!this.callerAttached) return;
    this.callerAttached = false;
    this.caller.removeEventListener('abort', this.fromCaller);
  }

  dispose(): void {
    this.detachCaller();
    this.nursery.removeEventListener('abort', this.fromNursery);
  }
}
