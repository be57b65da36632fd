/** One process as `subvisor ps` will show it (SPEC §10). */
export interface ProcessSnapshot {
  readonly name: string;
  /**
   * `not started: waiting for NAME`, `starting`, `ready`, `running`, `stopping`, `stopped`,
   * `exited N`, `restarting in D`, or `not started: REASON`.
   */
  readonly state: string;
  /** The pid of the current attempt; undefined while it is not up (a dead pid may be anyone's by now). */
  readonly pid: number | undefined;
  /** Since the current attempt spawned; undefined while it is not up. */
  readonly uptimeMs: number | undefined;
  readonly restarts: number;
}

/** How one process's part of the run ended, for the summary table. */
export interface ProcessResult {
  readonly name: string;
  readonly pid: number | undefined;
  readonly result: string;
  readonly durationMs: number | undefined;
  readonly restarts: number;
  /** Why it was never started, when a condition it waited for could no longer be met. */
  readonly notStartedBecause?: string | undefined;
  /** Its last attempt outlived its stop signal and got SIGKILL, after this grace (ms). */
  readonly killedAfterGraceMs?: number | undefined;
}

/**
 * Everything there is to know about one process right now, in one object: its state in the words
 * of SPEC §10, its pid, since when it is up, how often it was restarted, and (once its life ended)
 * the result the summary shows. The runner writes it; the summary, and the control socket of the
 * next issue (`ps`), read it.
 */
export class ProcessState {
  #state = 'not started';
  /** Its state is `not started: waiting for …`: told as a fact, not read back out of those words. */
  #waiting = false;
  pid: number | undefined;
  restarts = 0;
  #upSince: number | undefined;
  /**
   * The current attempt's healthy time, for the restart budget's `resetAfter`: from its readiness
   * (its spawn, without a ready condition) to its exit, or to the start of the liveness failures
   * that stopped it. A process that never got ready, or whose liveness never passed, was never healthy.
   */
  #healthySince: number | undefined;
  #healthyUntil: number | undefined;
  /** When its latest attempt spawned, even once it is down (`performance.now()`): see {@link ProcessState.lastSpawnedAt}. */
  #lastSpawnedAt: number | undefined;
  /** When its first attempt spawned, and its last one exited: the life's duration in the summary, in the library's clock. */
  #firstStartedAt: number | undefined;
  #lastExitedAt: number | undefined;
  #endedAt: number | undefined;
  #result: string | undefined;
  #notStartedBecause: string | undefined;
  /** The grace after which the current attempt got SIGKILL, when it did. */
  #killedAfterGraceMs: number | undefined;
  /** When the restart being waited for is due, and the state that says so (`ps` counts down to it while that is the state). */
  #restart: { readonly dueAt: number; readonly state: string } | undefined;

  constructor(readonly name: string) {}

  /**
   * An attempt spawned at `spawnedAt` (`performance.now()`), as the library times it: its state
   * line's `after 1.0 s` counts from there, and so do `ps`'s uptime and the summary's duration.
   */
  spawned(pid: number, hasReadyProbe: boolean, spawnedAt: number): void {
    this.pid = pid;
    this.#upSince = spawnedAt;
    this.#lastSpawnedAt = spawnedAt;
    this.#firstStartedAt ??= spawnedAt;
    // The last exit is this attempt's once it comes: one that never comes (a stop refused) must not borrow the one before.
    this.#lastExitedAt = undefined;
    this.#healthySince = hasReadyProbe ? undefined : spawnedAt;
    this.#healthyUntil = undefined;
    this.#killedAfterGraceMs = undefined;
    this.state = hasReadyProbe ? 'starting' : 'running';
  }

  /** When its latest attempt spawned (`performance.now()`), up or not since; undefined before its first. */
  get lastSpawnedAt(): number | undefined {
    return this.#lastSpawnedAt;
  }

  /** The current attempt was still running `graceMs` after its stop signal: it got SIGKILL. */
  killed(graceMs: number): void {
    this.#killedAfterGraceMs = graceMs;
  }

  /** Its state in the words of SPEC §10 (see {@link ProcessSnapshot.state}). */
  get state(): string {
    return this.#state;
  }

  set state(state: string) {
    this.#state = state;
    this.#waiting = false;
  }

  /** Not started until `names` meet its conditions: `not started: waiting for db, cache`. */
  waitingFor(names: readonly string[]): void {
    this.state = `not started: waiting for ${names.join(', ')}`;
    this.#waiting = true;
  }

  /** It has not started, waiting for what it depends on (see {@link ProcessState.waitingFor}). */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** The current attempt's ready condition passed, now. */
  ready(): void {
    this.state = 'ready';
    this.#healthySince = performance.now();
  }

  /** The current attempt's liveness probe began failing at `since` and went on until it was stopped. */
  unhealthy(since: number): void {
    this.#healthyUntil = since;
  }

  /** The current attempt's child exited at `exitedAt` (what it left may still be draining or stopping). */
  exited(exitedAt: number): void {
    this.#lastExitedAt = exitedAt;
  }

  /** The current attempt is not up any more (it exited, or was stopped). */
  down(state: string): void {
    this.#upSince = undefined;
    this.state = state;
  }

  /** The restart policy starts the next attempt in `delayMs`: until then, `ps` counts down to it. */
  restartingIn(delayMs: number): void {
    this.down(`restarting in ${formatDuration(delayMs)}`);
    this.#restart = { dueAt: performance.now() + delayMs, state: this.state };
  }

  /** How long the current (or last) attempt was healthy: see {@link ProcessState.#healthySince}. */
  healthyMs(): number {
    if (this.#healthySince === undefined) return 0;
    return Math.max(0, (this.#healthyUntil ?? this.#lastExitedAt ?? performance.now()) - this.#healthySince);
  }

  /** The life is over: `result` is what the summary says (`exited 0`, `stopped`, `exited with status 3`). */
  ended(result: string, state = this.state): void {
    this.#result = result;
    // Its last exit, when it had one: the drain and the report after it are not the process's time.
    this.#endedAt = this.#lastExitedAt ?? performance.now();
    this.down(state);
  }

  notStarted(reason: string, unmetCondition: boolean): void {
    this.#notStartedBecause = unmetCondition ? reason : undefined;
    this.ended(unmetCondition ? `not started: ${reason}` : 'not started', `not started: ${reason}`);
  }

  /** A new life begins (started again by hand): the result, the pid and the start of the last one are forgotten. */
  revive(): void {
    // Whether this life spawned is told by its pid (see Runner): the last life's must not answer for it.
    this.pid = undefined;
    // The summary's duration is this life's, as its pid and result are: none if it never spawns.
    this.#firstStartedAt = undefined;
    this.#lastExitedAt = undefined;
    this.#result = undefined;
    this.#endedAt = undefined;
    this.#notStartedBecause = undefined;
    this.#killedAfterGraceMs = undefined;
    this.state = 'not started';
  }

  snapshot(): ProcessSnapshot {
    const now = performance.now();
    const uptimeMs = this.#upSince === undefined ? undefined : Math.round(now - this.#upSince);
    // Asked during the wait, `restarting in D` says what is left of it, not the whole backoff.
    const restart = this.#restart?.state === this.state ? this.#restart : undefined;
    const state = restart === undefined ? this.state : `restarting in ${formatDuration(Math.max(0, restart.dueAt - now))}`;
    return { name: this.name, state, pid: uptimeMs === undefined ? undefined : this.pid, uptimeMs, restarts: this.restarts };
  }

  result(): ProcessResult {
    const durationMs = this.#firstStartedAt !== undefined && this.#endedAt !== undefined ? this.#endedAt - this.#firstStartedAt : undefined;
    const result = this.#result ?? (this.pid === undefined ? 'not started' : 'stopped');
    return { name: this.name, pid: this.pid, result, durationMs, restarts: this.restarts, notStartedBecause: this.#notStartedBecause, killedAfterGraceMs: this.#killedAfterGraceMs };
  }
}

/** `312 ms`, `1.5 s`: durations in state lines and the summary. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
