import { Cancelled } from '../../core/errors.js';
import { shownCommand } from './shown-command.js';
import { holdersOfOutput } from '../../process/lifecycle-log.js';
import { SpawnError, StopDeniedError } from '../../process/errors.js';
import type { Process } from '../../process/process.js';
import { groupHasLiveMembers, hasExited } from '../../process/stop/group.js';
import type { Dependency, ProcessSpec } from '../config/spec.js';
import type { Output, StatusEvent } from '../output.js';
import { runAttempt, type AttemptEnd, type AttemptHooks } from './attempt.js';
import { describeFailure, failureAfterNotReady, failureFields, failureKind, restartReason, shortFailure, stateAfter } from './failures.js';
import { Milestone, Milestones, waitForAll } from './milestones.js';
import { RestartBudget } from './restart.js';
import { stillNotReady } from './still-not-ready.js';
import { ProcessState, formatDuration } from './state.js';
import { awaiting, waitingLine } from './waiting.js';
import { node } from '../../builtins.js';

/** How one life of a process ended. */
export type LifeEnd =
  /** A condition it waited for can no longer be met (`reason`), or the run ended first (`reason` undefined). */
  | { readonly kind: 'not-started'; readonly reason: string | undefined }
  /**
   * Its last attempt exited 0 on its own, and no restart followed. `restartDue`: its restart policy
   * would have restarted it, and only a stop by hand, which came while what it left still held its
   * output, kept it from doing so (had the stop come a moment later, it would have ended a backoff).
   */
  | { readonly kind: 'exited'; readonly restartDue?: true }
  /**
   * Its last attempt failed, and no restart followed. `retriable`: its restart policy would have
   * retried it, and only the run's end (which had begun) kept it from doing so. `restartDue`: as
   * for `exited`.
   */
  | { readonly kind: 'failed'; readonly error: unknown; readonly retriable?: true; readonly restartDue?: true }
  /** It was stopped: the run ended, or someone stopped it (`inBackoff`: while it waited to restart, with nothing to signal). */
  | { readonly kind: 'stopped'; readonly inBackoff?: true };

/** What a runner shares with the rest of the stack. */
export interface RunnerContext {
  readonly output: Pick<Output, 'lines' | 'status'>;
  readonly defaultGraceMs: number;
  readonly parentEnv: NodeJS.ProcessEnv;
  readonly childrenColour?: string | undefined;
  /** When a process still waiting for its ready probe is first said to be. Default: 30 s (see still-not-ready.ts). */
  readonly stillNotReadyFirstMs?: number | undefined;
  /** The milestones of another process of the run (every dependency is one: the config checks). */
  readonly milestonesOf: (name: string) => Milestones;
  /**
   * Whether anything may start now: false once the run's end is decided, and then no attempt
   * starts again, whatever the restart policy says. The stack's one answer (see Stack.#mayStart).
   */
  readonly mayStart: () => boolean;
}

/**
 * One process's whole life: it waits for its conditions, then runs attempts under its restart
 * policy until one ends for good, and keeps its {@link ProcessState} and {@link Milestones} up to
 * date on the way. Stopping it ({@link Runner.shutdown}) is the one way a life ends early; a life
 * that ended can begin again ({@link Runner.revive}), which is what "start it again" means.
 */
export class Runner {
  readonly state: ProcessState;
  readonly milestones = new Milestones();
  /** Met once the current life waits for a condition of its `dependsOn`: no spawn of it is under way then. */
  readonly waitingForConditions = new Milestone();
  readonly #budget: RestartBudget;
  #life = new AbortController();
  /** Aborted as the stop begins, before the child's grace: its probes end there. */
  #stopAsked = new AbortController();
  #stopping = false;
  /** Why the stop was asked, for a stop the library begins after it (onStopBegun: a spawn announced late, a leader already gone). */
  #stopWhy: string | undefined;
  #byHand = false;
  /** The child had exited on its own when the stop came (its group lived on, holding its pipes): its end is its own. */
  #exitedBeforeStop = false;
  #proc: Process | undefined;
  #ended: Promise<LifeEnd> | undefined;
  #refusedStop: StopDeniedError | undefined;
  /** Whether the stop of the current attempt was said: two stops that meet (a timeout, then Ctrl-C) are one `stopping` line. */
  #stopSaid = false;
  /** When the current attempt began stopping its child for a failure of its own (not ready in time, liveness), if it did. */
  #failureStopAt: number | undefined;
  /**
   * Set while it waits out the backoff before a restart its policy makes (no child is up, and the
   * life goes on); aborted to end that wait at once ({@link Runner.restartNow}).
   */
  #backoff: AbortController | undefined;
  /** Told when the current life begins a backoff (true) or ends (false): see {@link Runner.nextBackoff}. */
  readonly #backoffWaiters: ((inBackoff: boolean) => void)[] = [];
  /** Told, in words, each time the restart policy schedules a restart: see {@link Runner.onRestartScheduled}. */
  readonly #restartListeners = new Set<(words: string) => void>();
  /** This life has been ready (in some attempt): its `ready` dependents were told it was. */
  #wasReady = false;
  /** This attempt's child has exited and is no longer ready: a probe that passes now (what it left listens) says nothing of it. */
  #goneUnready = false;
  /**
   * The stop asked for is a restart's, and came while the life still waited for its `dependsOn`
   * ({@link ProcessState.waiting}): it ends unsaid (see {@link Runner.endedUnseen}). Read off the
   * wait, not off a pid alone: a life whose spawn failed (no pid) and that waits out its backoff
   * began, and its lines said so.
   */
  #stopToRestart = false;
  #endedUnseen = false;

  constructor(
    readonly spec: ProcessSpec,
    private readonly context: RunnerContext,
  ) {
    this.state = new ProcessState(spec.name);
    this.#budget = new RestartBudget(spec.restart, spec.task);
  }

  /** The current (or last) life's end, once it has ended; undefined before the first life. */
  get lifeEnded(): Promise<LifeEnd> | undefined {
    return this.#ended;
  }

  /** Runs one life to its end. Never rejects for the process's own failure: that is a {@link LifeEnd}. */
  live(): Promise<LifeEnd> {
    this.#ended = this.#live().then((end) => this.#settle(end));
    return this.#ended;
  }

  /**
   * Ends the life: no restart after this, no more waiting for conditions, and the child, if one is
   * up, gets its stop signal (SIGKILL after its grace). Resolves once the life has ended, the child
   * and everything it started gone. `why` is shown in the `stopping` line. `byHand` (`subvisor
   * stop` or `restart`): a process stopped while it waited to start is `stopped` too, not
   * `not started: the run ended first`. `toRestart`: a restart stops it only to start it again,
   * and one still waiting to start is not said to stop (see {@link Runner.endedUnseen}).
   */
  async shutdown(why?: string, byHand = false, toRestart = false): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#stopWhy = why;
      this.#stopToRestart = toRestart && this.state.waiting;
      this.#stopAsked.abort(new Cancelled(`${this.spec.name} is stopping`));
      this.#byHand = byHand;
      const proc = this.#proc;
      // An exit the event loop has not seen yet (the child a zombie, or reaped with its exit not yet told) came before this stop all the same.
      this.#exitedBeforeStop = proc !== undefined && hasExited(proc);
      if (proc !== undefined && !this.#exitedBeforeStop) {
        this.#sayStopping(why);
        // A stop the system refuses ends the attempt with that refusal: the life's end says it.
        await proc.stop().catch(noop);
      }
      // Whatever else the life is doing (waiting for a condition, a backoff, a spawn under way) stops too.
      this.#life.abort(new Cancelled(`${this.spec.name} is stopping`));
    }
    await this.#ended;
  }

  /** Whether it waits out the backoff before a restart its policy makes (`restarting in D`). */
  get inBackoff(): boolean {
    return this.#backoff !== undefined;
  }

  /**
   * Resolves true once the current life waits out a restart backoff (at once when it does now),
   * false once it has ended without one.
   */
  nextBackoff(): Promise<boolean> {
    if (this.#backoff !== undefined) return Promise.resolve(true);
    const begun = new Promise<boolean>((resolve) => this.#backoffWaiters.push(resolve));
    return Promise.race([begun, (this.#ended ?? Promise.resolve()).then(() => false)]);
  }

  /**
   * Calls `listener` each time an attempt has ended and the restart policy schedules the next, with
   * what happened in words (`exited with status 3; restarting in 1.0 s (restart 1 of 5)`); returns how to stop. A `start` or `restart` by hand answers with it at once, as
   * `systemctl restart` fails the job of a unit that fails at once though `Restart=` retries it.
   */
  onRestartScheduled(listener: (words: string) => void): () => void {
    this.#restartListeners.add(listener);
    return () => this.#restartListeners.delete(listener);
  }

  /**
   * Ends the wait of a restart backoff now, with a fresh budget (`subvisor start`, as `systemctl
   * start` does a unit waiting to restart): the next attempt begins at once, in the same life. Not
   * a new life: what waits for this process's milestones (a dependent not started yet) goes on
   * waiting for this attempt, where ending the life would give them up. False when it is not in a backoff.
   */
  restartNow(): boolean {
    const backoff = this.#backoff;
    if (backoff === undefined) return false;
    this.#budget.reset();
    backoff.abort();
    return true;
  }

  /** Its child is running: spawned and not exited (what it started may live on in its group). */
  get childRunning(): boolean {
    return this.#proc !== undefined && this.#proc.returncode === null;
  }

  /** Its last attempt's child has spawned and exited, told or not yet: what it left may still hold its output. */
  get childExited(): boolean {
    return this.state.pid !== undefined && (this.#proc === undefined || hasExited(this.#proc));
  }

  /**
   * When the attempt that ended this life began stopping its child for a failure of its own (not
   * ready in time, liveness), if it did: a stop the run asked for after that joined it, and the
   * failure stands when no restart would have followed it (the run fails with it, though a Ctrl-C
   * came during its stop).
   */
  get failureStopAt(): number | undefined {
    return this.#failureStopAt;
  }

  /** Set when this life ended because its stop was refused (the child runs as another user now): it is left running. */
  get refusedStop(): StopDeniedError | undefined {
    return this.#refusedStop;
  }

  /**
   * Its last life was one still waiting for its `dependsOn`, spawned nothing, and ended only so that
   * a restart could begin it again: nothing was said of its end, and (unless the restart named it)
   * its next life is, to whoever reads the lines, the same wait going on. Read before {@link Runner.revive}.
   */
  get endedUnseen(): boolean {
    return this.#endedUnseen;
  }

  /** The restart that ended its life unseen starts nothing after all (a stop refused, the run ending): it is `stopped`, and says so. */
  stoppedAfterAll(): void {
    if (!this.#endedUnseen) return;
    this.#endedUnseen = false;
    this.#say('stopped', 'stopped');
  }

  /** Makes a runner whose life ended ready for a new one: started again by hand, with a fresh budget. */
  revive(): void {
    this.#refusedStop = undefined;
    this.#stopToRestart = false;
    this.#endedUnseen = false;
    this.#life = new AbortController();
    this.#stopAsked = new AbortController();
    this.#stopping = false;
    this.#byHand = false;
    this.#exitedBeforeStop = false;
    this.#failureStopAt = undefined;
    this.#proc = undefined;
    this.#wasReady = false;
    this.#budget.reset();
    this.milestones.reset();
    this.waitingForConditions.reset();
    this.state.revive();
  }

  async #live(): Promise<LifeEnd> {
    const unmet = await this.#waitForConditions();
    if (unmet !== null) return { kind: 'not-started', reason: unmet };
    // The start is decided when the last condition is met, not after the turn it waits: a
    // dependency seen to exit in that turn (`echo db ran`, ready at its spawn) would otherwise
    // leave its dependent started or not by a race. What that exit means is the run's to judge.
    if (this.spec.dependsOn.length > 0 && !(await this.#runGoesOn())) return { kind: 'not-started', reason: undefined };
    for (;;) {
      // Each attempt's own: a failure an earlier one stopped its child for is not this one's.
      this.#failureStopAt = undefined;
      const end = this.#ownEnd(await runAttempt({ ...this.context, spec: this.spec }, this.#attemptHooks(), this.#life.signal, this.#stopAsked.signal));
      this.#proc = undefined;
      // A child that could not be stopped is left running: told, never restarted, never "stopped".
      if (end.kind === 'failed' && end.error instanceof StopDeniedError) {
        this.#refusedStop = end.error;
        this.#sayEnd(end, undefined);
        return { kind: 'failed', error: end.error };
      }
      // Once a stop was asked for, the exit is ours whatever its status: never a crash, never
      // restarted. Unless the child had already exited on its own: that end is its own (a failure
      // is one), but no restart follows a stop.
      // Nor when the attempt had already begun stopping the child for a failure of its own that
      // ends its life (no restart would follow), unless the stop is one by hand (SPEC §10: `stopped`).
      // Nor when the program could not be started: that failure came before the stop, which had
      // no child to stop; a stop that came while the failure's cause was still being looked for
      // (see ../../process/spawn/writers.ts) only cut that look short. A stop by hand is still
      // `stopped`, as `ps` says it is.
      const failedFirst = end.kind === 'failed' && !this.#byHand && ((this.failureStopAt !== undefined && !this.#budget.wouldRestart(true, this.state.healthyMs())) || end.error instanceof SpawnError);
      if (end.kind === 'stopped' || (this.#stopping && !this.#exitedBeforeStop && !failedFirst)) return { kind: 'stopped' };
      const next = this.#afterAttempt(end);
      if (next.restartInMs === undefined) {
        const due = next.restartDue === true ? { restartDue: true as const } : {};
        return end.kind === 'exited' ? { kind: 'exited', ...due } : { kind: 'failed', error: end.error, ...(next.retriable ? { retriable: true } : {}), ...due };
      }
      const delayMs = next.restartInMs;
      this.milestones.down();
      if (!(await this.#waitOutBackoff(delayMs))) return { kind: 'stopped', inBackoff: true };
      // The run may have begun to end during the wait: its stop reaches this runner only once its
      // dependents are down, and their grace can outlast the backoff.
      if (!this.#mayStartAttempt()) return { kind: 'stopped', inBackoff: true };
    }
  }

  /** Waits `delayMs` before the next attempt, or less when {@link restartNow} cuts it short; false when the life was stopped meanwhile. */
  async #waitOutBackoff(delayMs: number): Promise<boolean> {
    const backoff = new AbortController();
    this.#backoff = backoff;
    for (const told of this.#backoffWaiters.splice(0)) told(true);
    const life = this.#life.signal;
    const stop = (): void => backoff.abort();
    life.addEventListener('abort', stop, { once: true });
    try {
      await node.timersPromises.setTimeout(delayMs, undefined, { signal: backoff.signal });
    } catch {
      // Cut short: by a stop (the life ends), or by restartNow (the next attempt begins now).
    } finally {
      life.removeEventListener('abort', stop);
      this.#backoff = undefined;
    }
    return !life.aborted;
  }

  /** A cancelled attempt whose child had exited on its own before the stop: that exit is its end. */
  #ownEnd(end: AttemptEnd): AttemptEnd {
    return end.kind === 'stopped' && this.#exitedBeforeStop && end.exitedFirst !== undefined ? end.exitedFirst : end;
  }

  /**
   * Waits for every condition of `dependsOn`. Resolves `null` once all are met, or the reason one
   * can no longer be (`migrate failed (status 3)`), or `undefined` when it was stopped first.
   */
  async #waitForConditions(): Promise<string | undefined | null> {
    const awaited = this.spec.dependsOn.map((dependency) => ({ dependency, milestone: this.#milestoneOf(dependency) }));
    try {
      let said: string | undefined;
      const unmet = await waitForAll(awaited, this.#life.signal, (pending) => {
        this.waitingForConditions.meet();
        const told = awaiting(pending, this.spec.dependsOn);
        this.state.waitingFor(told.map(({ name }) => name));
        // Copies told as their process (web (200 copies)) read the same while they meet their
        // condition one by one: the line is said when what it says changes, not at each copy.
        const line = waitingLine(told);
        if (line !== said) this.#say('waiting', line);
        said = line;
      });
      return unmet ?? null;
    } catch {
      // waitForAll rejects only when the life's signal aborts: a stop. Fail fast stops the deepest
      // dependents first, while a dependency's giving up may still be on its way down the chain (a
      // microtask per level): the reason it can never start is what it reports, when there is one.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const unmet = awaited.map(({ milestone }) => milestone.state).find((state) => state.kind === 'unmet');
      return unmet?.kind === 'unmet' ? unmet.reason : undefined;
    }
  }

  /**
   * Whether the run still goes on once the conditions are met. The exit that met one (a `main`
   * that completed, a task that failed) may be the one that ends the run, and the stack learns it
   * only after the milestone was met, later in the same turn: starting at once would spawn a
   * process only to stop it a moment later, half done. So the start waits for the next turn.
   */
  async #runGoesOn(): Promise<boolean> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.#mayStartAttempt();
  }

  /** Whether an attempt may begin now: the run allows starts, and this life is not being stopped. */
  #mayStartAttempt(): boolean {
    return this.context.mayStart() && !this.#stopping && !this.#life.signal.aborted;
  }

  #attemptHooks(): AttemptHooks {
    return {
      onSpawn: (proc, spawnedAt) => this.#spawned(proc, spawnedAt),
      onExitSeen: () => {
        // A task's exit is its job done: what it reached stands (its `succeeded` follows). An exit
        // a stop asked for takes nothing back either: a dependent of a process stopped by hand may
        // still be started, without it (README: "A dependent of a stopped process keeps running").
        if (!this.spec.task && !this.#stopping) {
          this.#goneUnready = true;
          this.milestones.exited();
        }
      },
      onExit: (exitedAt) => this.state.exited(exitedAt),
      onReady: (afterMs) => this.#ready(afterMs),
      onStillNotReady: (afterMs, last) => {
        const line = stillNotReady(afterMs, last);
        this.#say('still-not-ready', line.text, line.fields);
      },
      onUnhealthy: (since) => this.state.unhealthy(since),
      onKill: (graceMs) => this.#killed(graceMs),
      onStopping: (why, reason) => {
        if (!this.#stopping) this.#failureStopAt ??= performance.now();
        this.#sayStopping(why, { reason });
      },
      // Not asked for: the library stops what an exited child left in its group (holding its
      // output past the drain grace, or not), and the line says why it signals a process that exited.
      onStopBegun: (proc) => this.#sayStopping(this.#stopping ? this.#stopWhy : proc.returncode === null ? undefined : leftBehind(proc)),
      onHoldersStopping: (pids) => this.#say('stopping', `stopping ${holdersOfOutput(pids)}: ${this.#stopSignal}`, { signal: this.#stopSignal, pids: [...pids] }),
      onHoldersKilled: (pids, graceMs) => this.#say('killed', `still running ${formatDuration(graceMs)} after its stop signal: SIGKILL to ${holdersOfOutput(pids)}`, { graceMs, pids: [...pids] }),
    };
  }

  #milestoneOf(dependency: Dependency): Milestone {
    return this.context.milestonesOf(dependency.name).of(dependency.condition);
  }

  #spawned(proc: Process, spawnedAt: number): void {
    this.#proc = proc;
    this.#stopSaid = false;
    this.#goneUnready = false;
    this.state.spawned(proc.pid, this.spec.ready !== undefined, spawnedAt);
    this.milestones.started.meet();
    if (this.spec.ready === undefined) {
      this.#wasReady = true;
      this.milestones.ready.meet();
    }
    // Quoted as a shell would need it: `sh -c 'echo a; exit 2'` is three words, and says so.
    this.#say('starting', `starting (pid ${proc.pid}): ${shownCommand(this.spec)}`, { pid: proc.pid });
  }

  /** The state, and the line, of a stop that begins now; `why` is shown in parentheses. */
  #sayStopping(why: string | undefined, fields: Record<string, unknown> = {}): void {
    if (this.#stopSaid) return;
    this.#stopSaid = true;
    this.state.state = 'stopping';
    // Why the run stops (Ctrl-C is SIGINT) and what the process gets (its own stop signal) differ.
    const signal = this.#stopSignal;
    this.#say('stopping', `stopping${why === undefined ? '' : ` (${why})`}: ${signal} to its process group`, { signal, ...fields });
  }

  get #stopSignal(): NodeJS.Signals {
    return this.spec.stopSignal ?? 'SIGTERM';
  }

  #killed(graceMs: number): void {
    this.state.killed(graceMs);
    this.#say('killed', `still running ${formatDuration(graceMs)} after its stop signal: SIGKILL to its process group`, { graceMs });
  }

  #ready(afterMs: number): void {
    if (this.#goneUnready) {
      // A log pattern matched a line the child wrote before its exit, read after it (the output
      // was behind): it was ready then, and the line says so, as it does when read in time, so
      // that `run --ready` does not lose it to that race. Still nothing is made ready by a child
      // that is gone. A probe that passes now speaks of what the child left: nothing is said.
      if (this.spec.ready?.kind === 'log') this.#sayReady(afterMs);
      return;
    }
    this.#wasReady = true;
    this.state.ready();
    this.milestones.ready.meet();
    this.#sayReady(afterMs);
  }

  #sayReady(afterMs: number): void {
    this.#say('ready', `ready after ${Math.round(afterMs)} ms`, { afterMs: Math.round(afterMs) });
  }

  /**
   * Says how the attempt ended, and decides with the restart policy whether another follows:
   * `restartInMs` is the wait before it, undefined when this attempt was the last; `retriable`,
   * that only the run's end kept a failure from being retried; `restartDue`, that only a stop by
   * hand kept the policy from restarting it (see {@link LifeEnd}).
   */
  #afterAttempt(end: Exclude<AttemptEnd, { kind: 'stopped' }>): { readonly restartInMs?: number; readonly retriable?: boolean; readonly restartDue?: boolean } {
    const runEnding = !this.context.mayStart();
    if (runEnding || this.#stopping) {
      // No restart once the run ends, whatever the policy says. A crash the policy would have
      // retried is then no failure of the run's, as it would not have been a moment earlier (a
      // main's exit 0 still ends the run with 0): its line says why nothing follows it.
      const wouldRestart = this.#budget.wouldRestart(end.kind === 'failed', this.state.healthyMs());
      const retriable = runEnding && end.kind === 'failed' && wouldRestart;
      this.#sayEnd(end, retriable ? { text: '; not restarted: the run is ending', fields: { notRestarted: 'ending' } } : undefined);
      return { retriable, restartDue: !runEnding && wouldRestart };
    }
    const decision = this.#budget.next(end.kind === 'failed', this.state.healthyMs());
    if (!decision.restart) {
      const spent = decision.budgetSpent;
      this.#sayEnd(end, spent === undefined ? undefined : { text: `; giving up: no restarts left (${spent} of ${spent} used)`, fields: { givingUp: true, max: spent } });
      return {};
    }
    this.#sayEnd(end, undefined);
    this.state.restarts++;
    const reason = end.kind === 'failed' ? restartReason(end.error) : 'exited with status 0';
    this.state.restartingIn(decision.delayMs);
    const restarting = `restarting in ${formatDuration(decision.delayMs)}`;
    const count = `restart ${decision.number} of ${decision.max}`;
    this.#say('restarting', `${restarting} (${reason}; ${count})`, {
      restart: decision.number,
      max: decision.max,
      backoffMs: decision.delayMs,
      reason: end.kind === 'failed' ? failureKind(end.error) : 'exit',
    });
    // Read after `web did not become ready: ` (see failureAfterNotReady): "before it was ready" would say it twice.
    const happened = end.kind === 'failed' ? failureAfterNotReady(end.error) : 'exited with status 0';
    for (const listener of [...this.#restartListeners]) listener(`${happened}; ${restarting} (${count})`);
    return { restartInMs: decision.delayMs };
  }

  /**
   * The attempt's end as state and milestones, and its one state line. Why no restart follows (a
   * spent budget, the run's end) is `noRestart`, said in that same line (and event), so every exit
   * is one `exited` or `failed` event.
   */
  #sayEnd(end: Exclude<AttemptEnd, { kind: 'stopped' }>, noRestart: { readonly text: string; readonly fields: Record<string, unknown> } | undefined): void {
    const givingUp = noRestart?.text ?? '';
    const givingUpFields = noRestart?.fields ?? {};
    if (end.kind === 'exited') {
      this.milestones.succeeded.meet();
      this.milestones.completed.meet();
      this.state.down('exited 0');
      const beforeReady = end.beforeReady === true ? ', before it was ready' : '';
      this.#say('exited', `exited with status 0 after ${formatDuration(end.completed.durationMs)}${beforeReady}${givingUp}`, { returncode: 0, signal: null, durationMs: Math.round(end.completed.durationMs), ...givingUpFields });
    } else {
      // SPEC §10's `not started: REASON` for a spawn that failed (the command is missing, say).
      this.state.down(this.state.pid === undefined ? `not started: ${describeFailure(end.error)}` : stateAfter(end.error));
      this.#say('failed', `${describeFailure(end.error)}${givingUp}`, { ...failureFields(end.error), ...givingUpFields });
    }
  }

  /** The life is over: the summary's result, the stopped line, and every milestone still ahead given up. */
  #settle(end: LifeEnd): LifeEnd {
    const { name } = this.spec;
    for (const told of this.#backoffWaiters.splice(0)) told(false);
    switch (end.kind) {
      case 'not-started': {
        if (end.reason === undefined && this.#byHand) return this.#settle({ kind: 'stopped' });
        const why = end.reason ?? 'the run ended first';
        this.state.notStarted(why, end.reason !== undefined);
        if (end.reason !== undefined) this.#say('not-started', `not started: ${end.reason}`, { because: end.reason });
        this.milestones.giveUp(() => (end.reason === undefined ? `${name} was not started` : `${name} was not started (${end.reason})`), `not started: ${why}`);
        break;
      }
      case 'exited':
        this.state.ended('exited 0');
        // `ready` is pending again after any exit (see Milestones.exited): one that was reached is not "before".
        this.milestones.giveUp((condition) => (condition === 'ready' && this.#wasReady ? `${name} exited` : `${name} exited before it was ${condition}`));
        break;
      case 'failed': {
        // It did run to an exit (unless it never spawned): a dependent waiting for `completed` may go.
        if (this.state.pid !== undefined) this.milestones.completed.meet();
        const words = describeFailure(end.error);
        this.state.ended(words);
        const why = `${name} failed (${shortFailure(end.error)})`;
        this.milestones.giveUp(() => why, failureAfterNotReady(end.error));
        break;
      }
      case 'stopped': {
        const words = end.inBackoff === true ? 'stopped while waiting to restart' : 'stopped';
        // Stopped by a restart while it waited to start: its `stopped` (and then `starting`) lines
        // told of a life that never began, and it goes on waiting once started again.
        // Waiting as the stop came, and still nothing spawned: the stop can come after the last
        // condition was met and before the spawn is told (its gate's verdict still to be read), and
        // that child's `starting (pid N)` line said its life began.
        this.#endedUnseen = this.#stopToRestart && this.state.pid === undefined;
        const said = !this.#endedUnseen && (this.state.pid !== undefined || this.#byHand);
        if (this.#endedUnseen) this.state.ended('stopped', 'stopped');
        else if (!said) this.state.notStarted('the run ended first', false);
        else {
          this.state.ended('stopped', 'stopped');
          // No `stopping` line came before it: there was no process to signal.
          this.#say('stopped', words);
        }
        this.milestones.giveUp(() => `${name} was stopped`, said ? words : undefined);
        break;
      }
    }
    return end;
  }

  #say(event: StatusEvent['event'], text: string, fields?: Record<string, unknown>): void {
    this.context.output.status({ name: this.spec.name, event, text, ...(fields === undefined ? {} : { fields }) });
  }
}

function noop(): void {
  // see the caller
}

/**
 * Why the library stops a child that exited by itself: what it left in its group, or, with its
 * group empty, what left the group and still holds its output past the drain grace (a PostgreSQL
 * backend busy in a query when its postmaster was SIGKILLed from outside), which is stopped next.
 */
function leftBehind(proc: Process): string {
  return groupHasLiveMembers(proc.pid) ? 'it exited, leaving processes in its group' : 'it exited, leaving processes that hold its output';
}
