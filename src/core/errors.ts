/**
 * The abort reason a nursery or timeout scope uses when it cancels its work.
 *
 * Tasks usually see it as `signal.reason`, or wrapped as the `cause` of an `AbortError` thrown by a
 * Node API that was handed the signal. A nursery absorbs its own cancellation instead of reporting
 * it: cancelling work is not a failure of that work.
 */
export class Cancelled extends Error {
  override readonly name = 'Cancelled';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_CANCELLED'`. */
  readonly code = 'ERR_SUBVISOR_CANCELLED';

  /**
   * @param message - Default `'cancelled by its scope'`.
   * @param options - `cause`: what the cancellation stands for. Default: none.
   */
  constructor(message = 'cancelled by its scope', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * What a failing nursery rejects with: every error its body and tasks raised, in the order they
 * happened, except the nursery's own cancellation.
 *
 * Like trio's strict exception groups it is always a group, even of one, so callers handle one
 * shape. Use {@link collapseErrorGroup} where a single bare error reads better.
 */
export class ErrorGroup extends AggregateError {
  override readonly name = 'ErrorGroup';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_ERROR_GROUP'`. */
  readonly code = 'ERR_SUBVISOR_ERROR_GROUP';
  /** Every error, in the order they happened; `unknown`, since a task may throw anything. */
  declare readonly errors: unknown[];

  /**
   * @param errors - The errors, in the order they happened.
   * @param message - What failed; the count of errors and a summary of each follow it. Default `'errors in nursery'`.
   */
  constructor(errors: readonly unknown[], message = 'errors in nursery') {
    super([...errors], `${message} (${errors.length} sub-error${errors.length === 1 ? '' : 's'}): ${summarize(errors)}`);
  }
}

/**
 * What `nursery.start()` rejects with when its task returned without calling `started()` (trio's
 * "child exited without calling task_status.started()"). `returned` is what it resolved with: for
 * `superviseRunProcess`, the `CompletedProcess` of a child that exited or was stopped (by
 * `Process.stop()`) before it was ready.
 */
export class NotStartedError extends Error {
  override readonly name = 'NotStartedError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_NOT_STARTED'`. */
  readonly code = 'ERR_SUBVISOR_NOT_STARTED';
  /** The task's name: `start()`'s `name`, else the function's own, else `task`. */
  readonly task: string;
  /** What the task resolved with. */
  readonly returned: unknown;

  /**
   * @param cutShort - The cancellation that had aborted the task's signal when it returned: the
   * task gave up, cooperatively, and the error is only that cancellation (its `cause`). Default:
   * none (the task returned of its own accord).
   */
  constructor(task: string, returned: unknown, cutShort?: unknown) {
    const what = returned === undefined ? '' : ` (with ${describeReturned(returned)})`;
    // A stop before it was up is no mistake in the task: the advice to call started() would mislead.
    const advice = saysStopped(returned) ? 'it was stopped before it was up' : 'call ctx.started(value) once it is up, or use startSoon()';
    super(`${task} returned${what} without calling started(); ${advice}`, cutShort === undefined ? undefined : { cause: cutShort });
    this.task = task;
    this.returned = returned;
  }
}

/** Whether a task's result says it was stopped (`stopped: true`, as a stopped CompletedProcess does). */
function saysStopped(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { stopped?: unknown }).stopped === true;
}

/** `a CompletedProcess`, `an object`, `null`: what kind of value a task returned, never its contents. */
function describeReturned(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const kind = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof kind === 'string' && kind !== '' && kind !== 'Object' ? `a ${kind}` : 'an object';
}

/**
 * Raised by {@link failAfter} when its deadline passes before the work finishes.
 */
export class TooSlowError extends Error {
  override name = 'TooSlowError';
  /** Stable, for `switch (error.code)`: `'ERR_SUBVISOR_TOO_SLOW'`; a readiness timeout (`ReadyTimeoutError`) has its own. */
  // The subclass's literal is named here, though core knows nothing of processes, so that the type
  // stays a union of literals (a switch over it narrows and is checked); the subclass's own
  // `override` is checked against it, so the two cannot drift apart.
  readonly code: 'ERR_SUBVISOR_TOO_SLOW' | 'ERR_SUBVISOR_READY_TIMEOUT' = 'ERR_SUBVISOR_TOO_SLOW';
  /** The deadline that passed, in milliseconds (always set by subvisor; undefined only when made without one, as trio's `TooSlowError()`). */
  readonly timeoutMs: number | undefined;

  /**
   * @param timeoutMs - The deadline that passed. Default: none (`timeoutMs` is then `undefined`).
   * @param message - Default: `timed out after N ms; raise the deadline or make the work faster`
   * (without `after N ms` when there is no `timeoutMs`).
   */
  constructor(timeoutMs?: number, message = `timed out${timeoutMs === undefined ? '' : ` after ${timeoutMs} ms`}; raise the deadline or make the work faster`) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Runs `fn` and, if it rejects with an {@link ErrorGroup} of exactly one error, rejects with that
 * error instead, recursively (a group of one group of one error gives the error).
 *
 * Groups of several errors are passed through untouched: collapsing them would lose errors.
 *
 * @example
 * ```ts
 * await collapseErrorGroup(() => openNursery(async (tn) => {
 *   tn.startSoon(async () => { throw new Error('boom') })
 * }))  // rejects with the Error('boom') itself
 * ```
 */
export async function collapseErrorGroup<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (error) {
    throw collapse(error);
  }
}

/**
 * Errors subvisor hands to two awaiters of one failure: a refused `Process.stop()` rejects both the
 * stop and the call supervising the child with one StopDeniedError, so a body that awaited the
 * stop puts it in its nursery a second time. A nursery records such an error once. Any other error
 * that reaches it twice is two failures (a module's singleton thrown by two tasks, as `throw 42`
 * in two tasks), and the group keeps every error that happened.
 */
const sharedFailures = new WeakSet<object>();

/** Marks `error` as one failure that reaches its awaiters by two paths (see {@link sharedFailures}). */
export function shareFailure(error: object): void {
  sharedFailures.add(error);
}

/**
 * Whether `error` is one failure reaching its nursery by two paths, and `recorded` has it already.
 * Either path may run through a nested nursery (a task of one awaited the refused stop), so a
 * group counts as recorded when every error in it is such a failure, and so does a failure that
 * a recorded group holds. `sharedHere`: failures that reach this nursery alone by two paths, whose
 * mark must not outlive it (see the nursery's `joinFailure`); any value, a thrown `42` too, which
 * has no identity to mark for the whole process but is one failure all the same when its awaiter
 * rethrows it.
 */
export function recordedBefore(error: unknown, recorded: readonly unknown[], sharedHere: Pick<ReadonlySet<unknown>, 'has'> = NONE_SHARED_HERE): boolean {
  const failures = failuresIn(error);
  if (failures.length === 0 || !failures.every((failure) => sharedHere.has(failure) || (typeof failure === 'object' && failure !== null && sharedFailures.has(failure)))) return false;
  const seen = recorded.flatMap(failuresIn);
  return failures.every((failure) => seen.includes(failure));
}

const NONE_SHARED_HERE: ReadonlySet<unknown> = new Set();

/** The errors `error` stands for: those of a group (and of the groups in it), else itself. */
export function failuresIn(error: unknown): unknown[] {
  return isErrorGroup(error) ? error.errors.flatMap(failuresIn) : [error];
}

/** `instanceof ErrorGroup` that never throws: anything may be thrown, a revoked Proxy too. */
function isErrorGroup(value: unknown): value is ErrorGroup {
  try {
    return value instanceof ErrorGroup;
  } catch {
    return false;
  }
}

function collapse(error: unknown): unknown {
  let current = error;
  while (current instanceof ErrorGroup && current.errors.length === 1) current = current.errors[0];
  return current;
}

function summarize(errors: readonly unknown[]): string {
  return errors.map(summary).join('; ');
}

/**
 * One error in a few words. Anything may be thrown, and the group must still be made: a value
 * without a string form (`Object.create(null)`), an Error whose `message` is no string or whose
 * getter throws, would otherwise replace every error of the group with a TypeError of ours.
 */
function summary(error: unknown): string {
  try {
    if (!(error instanceof Error)) return String(error);
    // Typed strings, yet a thrower may have set `message = 42`: read as the values they are.
    const { name, message }: { name: unknown; message: unknown } = error;
    return `${String(name)}: ${firstLine(String(message))}`;
  } catch {
    // typeof, not instanceof: a revoked Proxy throws on that too.
    return `(an ${typeof error} without a string form)`;
  }
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? text : text.slice(0, end);
}
