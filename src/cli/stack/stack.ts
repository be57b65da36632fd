import { openNursery, type Nursery } from '../../core/nursery.js';
import type { ProcessSpec } from '../config/spec.js';
import { EXIT, signalStatus, statusOfFailure } from '../exit-status.js';
import { Interrupted } from '../interrupts.js';
import type { Output } from '../output.js';
import { MainNotStarted, describeFailure } from './failures.js';
import { anySettled, type MilestoneState, type Milestones } from './milestones.js';
import { Runner, type LifeEnd } from './runner.js';
import { stopInOrder } from './shutdown.js';
import type { ProcessResult, ProcessSnapshot } from './state.js';
import { awaiting } from './waiting.js';

export type { ProcessResult, ProcessSnapshot } from './state.js';

/** How the whole run ended. */
export interface RunOutcome {
  readonly exitCode: number;
  readonly results: ProcessResult[];
  /** The process whose failure ended the run, with what it failed of. */
  readonly failure: { readonly name: string; readonly error: unknown } | undefined;
  /** Why the run was stopped from outside (Ctrl-C, a timeout), if it was. */
  readonly stoppedBy: unknown;
}

/** A reason to stop the run from outside that says which status the CLI then exits with. */
export class StopRequest extends Error {
  override readonly name = 'StopRequest';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface StackOptions {
  readonly output: Pick<Output, 'lines' | 'status'>;
  /**
   * Aborted to end the run from outside: the first Ctrl-C (an {@link Interrupted}), a closed
   * output, `run --timeout` (a {@link StopRequest}). The run then stops in order, like any end.
   */
  readonly signal: AbortSignal;
  readonly defaultGraceMs: number;
  /** Default: `process.env` as it is when the stack is made. */
  readonly parentEnv?: NodeJS.ProcessEnv;
  /** The `FORCE_COLOR` the children are told when their environment says nothing of colour (see children-colour.ts). Default: none. */
  readonly childrenColour?: string | undefined;
  /** When a process still waiting for its ready probe is first said to be; for tests. Default: 30 s (see still-not-ready.ts). */
  readonly stillNotReadyFirstMs?: number | undefined;
}

/** Why the run ends. The first one found decides the status. */
type End =
  | { readonly kind: 'failure'; readonly name: string; readonly error: unknown }
  | { readonly kind: 'main'; readonly name: string; readonly end: LifeEnd }
  | { readonly kind: 'all-ended' }
  | { readonly kind: 'stopped'; readonly reason: unknown };

/**
 * The coordinator: owns one {@link Runner} per process, decides when the run ends and with which
 * status, and stops it in order. Stopping one process, starting it again, and restarting it with
 * its dependents are its operations too (for `subvisor stop/start/restart`).
 */
export class Stack {
  readonly #runners: Map<string, Runner>;
  readonly #dependents: Map<string, Runner[]>;
  readonly #opts: StackOptions;
  #tn: Nursery | undefined;
  #end: End | undefined;
  #onEnd: (() => void) | undefined;
  /** Lives that end because someone stopped them by hand: they never end the run. */
  readonly #stoppedByHand = new Set<Runner>();
  /**
   * The processes `subvisor stop` stopped, until started again (SPEC §10: a stopped process stays
   * stopped). Unlike {@link #stoppedByHand}, which a restart also uses while it stops a chain for a
   * moment, this lasts: a change, or a restart of what they depend on, leaves them stopped; only
   * `start`, or a `restart` naming them, starts them again.
   */
  readonly #keptStopped = new Set<Runner>();
  /** The runners whose life has begun and not ended, each with a token of that life. */
  readonly #alive = new Map<Runner, symbol>();
  /** The stops, starts and restarts by hand, one after the other (see #oneAtATime). */
  #operations: Promise<void> = Promise.resolve();
  #operationsPending = 0;
  /** A failure on its own after the end was decided (while the others stopped). */
  #lateFailure: { readonly name: string; readonly error: unknown } | undefined;
  /** Of the late failures, the one whose own stop began first, before the run's end was decided (see #outcome). */
  #failedBeforeEnd: { readonly name: string; readonly error: unknown; readonly stopBegunAt: number } | undefined;
  /** When the run's end was decided. */
  #endedAt = 0;

  constructor(specs: readonly ProcessSpec[], opts: StackOptions) {
    this.#opts = opts;
    const context = {
      output: opts.output,
      defaultGraceMs: opts.defaultGraceMs,
      // Copied once: each read of `process.env` goes through Node's C++ bindings, and spreading it
      // for each of `up`'s 100 processes cost 6 ms; a plain copy spreads for next to nothing.
      parentEnv: opts.parentEnv ?? { ...process.env },
      childrenColour: opts.childrenColour,
      stillNotReadyFirstMs: opts.stillNotReadyFirstMs,
      milestonesOf: (name: string): Milestones => this.#runner(name).milestones,
      mayStart: () => this.#mayStart(),
    };
    this.#runners = new Map(specs.map((spec) => [spec.name, new Runner(spec, context)]));
    this.#dependents = new Map(specs.map((spec) => [spec.name, []]));
    for (const spec of specs) for (const { name } of spec.dependsOn) this.#dependents.get(name)?.push(this.#runner(spec.name));
  }

  /**
   * Runs the processes (given in start order) as one stack, as SPEC §9 says: each process starts
   * once its conditions are met, runs under its restart policy, and the run ends at the first
   * failure that is not retried, when the `main` process ends, when every process has ended
   * (without a main), or when the `signal` option aborts. Then everything stops in reverse
   * dependency order.
   */
  async run(): Promise<RunOutcome> {
    // The nursery is not given the stop signal: that would cancel every process at once. The
    // signal ends the wait below instead, and the stop after it goes in order.
    await openNursery(async (tn) => {
      this.#tn = tn;
      // A stop that came before the run began (a Ctrl-C while `up` made its control socket) starts
      // nothing: launched, a process would start while its dependents' stops went first.
      if (this.#mayStart()) for (const runner of this.#runners.values()) this.#launch(runner);
      await this.#untilEnd();
      const why = this.#end === undefined ? undefined : endWords(this.#end);
      await stopInOrder([...this.#runners.values()], (runner) => this.#dependents.get(runner.spec.name) ?? [], (runner) => runner.shutdown(why));
    });
    return this.#outcome();
  }

  /**
   * Some process's child is running. When none is (before the first start, in a backoff, or once
   * every one has exited), all a run that goes on waits for may be its output.
   */
  get childrenRunning(): boolean {
    for (const runner of this.#runners.values()) if (runner.childRunning) return true;
    return false;
  }

  /** Every process has spawned, and its child has exited: only what they left may still run, holding their output. */
  get childrenExited(): boolean {
    for (const runner of this.#runners.values()) if (!runner.childExited) return false;
    return true;
  }

  /** Every process as `subvisor ps` shows it. */
  ps(): ProcessSnapshot[] {
    return [...this.#runners.values()].map((runner) => runner.state.snapshot());
  }

  /**
   * The processes `names` stand for, each once, in start order: a name is a process's own, that
   * of a replicated process (`web` for `web.1` ... `web.N`), or foreman's for a Procfile's process
   * of one copy (`worker.1` for `worker`). Unknown names stand for nothing.
   */
  processesNamed(names: readonly string[]): string[] {
    const wanted = new Set(names);
    const named = ({ spec }: Runner): boolean =>
      wanted.has(spec.name) || (spec.replica !== undefined && wanted.has(spec.replica.of)) || (spec.foremanName !== undefined && wanted.has(spec.foremanName));
    return [...this.#runners.values()].filter(named).map(({ spec }) => spec.name);
  }

  /** Every name {@link Stack.processesNamed} answers to: the processes' own, those of replicated ones (`web`), foreman's (`worker.1`). */
  namesKnown(): string[] {
    const names = [...this.#runners.values()].flatMap(({ spec }) => [spec.name, spec.replica?.of, spec.foremanName]);
    return [...new Set(names.filter((name): name is string => name !== undefined))];
  }

  /** Whether `name` is the run's `main` process (stopping it ends the run). */
  isMain(name: string): boolean {
    return this.#runners.get(name)?.spec.main === true;
  }

  /**
   * Stops the named processes (`subvisor stop`), in reverse dependency order among them; their
   * dependents keep running. A process stopped by hand is not a failure, and it keeps the run up
   * (it can be started again) even when every other process has ended: Ctrl-C ends such a run.
   * Stopping `main` ends the run, with status 0. Resolves once each is stopped, its group gone.
   */
  stop(names: readonly string[]): Promise<void> {
    const runners = this.#inStartOrder(names);
    return this.#oneAtATime(async () => {
      const byHand = runners.filter((runner) => !runner.spec.main && this.#alive.has(runner));
      for (const runner of byHand) {
        this.#stoppedByHand.add(runner);
        this.#keptStopped.add(runner);
      }
      // One whose life had ended is stopped as well: `stopped` in `ps`, and kept so (a change, a
      // restart of what it depends on, do not start it again), as the stop said.
      // Not one left running after a refused stop: it is not stopped, whatever this one says.
      const ended = runners.filter((runner) => !runner.spec.main && !this.#alive.has(runner) && !this.#keptStopped.has(runner) && runner.refusedStop === undefined);
      for (const runner of ended) {
        this.#keptStopped.add(runner);
        runner.state.down('stopped');
      }
      // A change's leniency is for a life that fails, not for one stopped by hand (running, or
      // ended by a failure the change forgave): what waits for it is kept from starting by the
      // stop, as after any stop, and no change starts it again while it stays stopped.
      for (const runner of [...byHand, ...ended]) this.#forgiven.delete(runner);
      await this.#stopInOrder(runners, 'subvisor stop');
      // Their lives are over: written off here, so a late end of one is not taken for a new one.
      // One whose child had exited on its own just before (what it left in its group was still
      // draining) said that exit as it was; from now on it is `stopped` all the same.
      for (const runner of byHand) {
        this.#alive.delete(runner);
        if (runner.refusedStop === undefined) runner.state.down('stopped');
      }
      throwIfRefused(runners);
    });
  }

  /**
   * Starts the named processes whose life has ended (stopped, exited, failed) again, each with a
   * fresh restart budget, and ends the wait of those that wait out a restart backoff, as `systemctl
   * start` does a unit waiting to restart: asked to start, a process must not wait up to
   * `maxBackoff`, nor keep the budget its crashes spent (see {@link Runner.restartNow}). One that is
   * up is left as it is. Resolves once each is ready (or running, without a ready condition);
   * rejects with {@link NotReady} when one cannot be.
   */
  async start(names: readonly string[]): Promise<void> {
    // Refused at once when the run is ending: not after the operations queued ahead, a restart's
    // stop that lasts a grace, by which time the run may have closed the socket unanswered.
    this.#mustBeRunning();
    const runners = this.#inStartOrder(names);
    await this.#oneAtATime(() => {
      // Decided now, not when asked: an operation queued ahead may have started or stopped one.
      this.#mustBeRunning();
      for (const runner of runners.filter((runner) => this.#alive.has(runner))) {
        // Said now: its next attempt (`starting (pid N)`) begins only once the ended wait has settled.
        if (runner.restartNow()) this.#opts.output.status({ name: runner.spec.name, event: 'starting', text: 'starting (subvisor start)' });
      }
      this.#startAgain(
        runners.filter((runner) => !this.#alive.has(runner)),
        'subvisor start',
      );
      return Promise.resolve();
    });
    await Promise.all(runners.map((runner) => this.#untilReady(runner)));
  }

  /**
   * Restarts the named processes and everything that depends on them (`subvisor restart`): they
   * stop in reverse dependency order (as at the end of a run), then start again in start order,
   * each waiting for its conditions. Neither uses a restart budget. Resolves once all are ready.
   * A dependent stopped by `subvisor stop` stays stopped; a named process starts again even so.
   */
  async restart(names: readonly string[]): Promise<void> {
    this.#mustBeRunning(); // at once, as for start
    const named = this.#inStartOrder(names);
    let chain: Runner[] = [];
    await this.#oneAtATime(async () => {
      this.#mustBeRunning();
      // Decided now, not when asked: a stop or start queued ahead may have changed what is kept stopped.
      chain = this.#chainOf(named);
      for (const runner of chain) this.#stoppedByHand.add(runner);
      const startsNot = await this.#stopToRestart(chain, 'subvisor restart');
      for (const runner of chain) this.#alive.delete(runner);
      try {
        // One left running must not get a second copy beside it: nothing starts again.
        throwIfRefused(chain, true);
        this.#startAgain(chain, 'subvisor restart', true, named);
      } catch (error) {
        startsNot();
        throw error;
      }
    });
    // A dependent that a `subvisor stop` meanwhile left out of the chain (stopped itself, or
    // depending on the restarted ones only through one stopped) would not be in it had the stop
    // come first: the restart does not wait for it, nor fail for it.
    const leftOut = (runner: Runner): boolean => !named.includes(runner) && !this.#chainOf(named).includes(runner);
    await Promise.all(chain.map((runner) => this.#untilReady(runner, () => leftOut(runner))));
  }

  /**
   * `roots` and, transitively, what depends on them, in start order, leaving out what `subvisor
   * stop` stopped (unless it is a root) and what depends on the roots only through one of those:
   * a stopped process stays stopped, and what uses it has no new dependency to restart for.
   */
  #chainOf(roots: readonly Runner[]): Runner[] {
    const chain = new Set(roots);
    for (const member of chain) for (const dependent of this.#dependents.get(member.spec.name) ?? []) if (!this.#keptStopped.has(dependent)) chain.add(dependent);
    return this.#inStartOrder([...chain].map((runner) => runner.spec.name));
  }

  /**
   * Runs `operation` once every stop, start and restart asked before it has done its stopping and
   * starting (not its wait for readiness, which may be long: a stop must still get through). Two
   * restarts of one process at once would otherwise each begin a new life: two processes, one name.
   */
  #oneAtATime<T>(operation: () => Promise<T>): Promise<T> {
    this.#operationsPending++;
    const result = this.#operations.then(operation).finally(() => this.#operationsPending--);
    this.#operations = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Resolves once `runner` is ready; rejects with {@link NotReady} once it cannot be. A life given
   * up because a later stop or restart by hand stopped it is not the end of the wait when that
   * operation started it again: two restarts at once both return once the last one is ready. Nor
   * when, once those operations are done, `noLongerAsked()`: then the wait ends as if ready.
   */
  async #untilReady(runner: Runner, noLongerAsked: () => boolean = () => false): Promise<void> {
    for (;;) {
      try {
        return await untilReady(runner);
      } catch (error) {
        // This attempt failed, and the policy goes on: what was asked is answered, not waited through
        // the backoff because another operation (a restart of some other process) was pending.
        if (error instanceof NotReady && error.policyRetries) throw error;
        const later = this.#operationsPending > 0;
        if (later) await this.#operations;
        if (noLongerAsked()) return;
        if (!later) throw this.#endedFirst(runner) ?? error;
        // Why it is not up now, not why the life this wait began with ended: that life's end was
        // a later operation's doing (a restart of what it depends on, stopping it as it waited to
        // start: `web was stopped`), and the answer is what came of it (`db was stopped`).
        if (!this.#alive.has(runner)) throw this.#endedFirst(runner) ?? notReadyNow(runner) ?? error;
      }
    }
  }

  /**
   * The run's end, when it is what kept `runner` from being ready: it stops what a `start` or
   * `restart` began, and `web.1 was stopped` or `api was not started` would read as a failure of
   * theirs. Undefined when the run ends with the failure of `runner` itself: that is the answer.
   */
  #endedFirst(runner: Runner): NotReady | undefined {
    const end = this.#end;
    if (end === undefined || (end.kind === 'failure' && end.name === runner.spec.name)) return undefined;
    const why = endWords(end);
    return new NotReady(runner.spec.name, `the run is ending${why === undefined ? '' : ` (${why})`}`, runner.spec.task);
  }

  /**
   * Begins a new life for each of `runners` (in start order), every one revived before any
   * starts: a dependent must see its dependency's new milestones, not the ones given up. Those
   * `asked` for (named in `subvisor restart`) are said to start, whatever their last life was.
   */
  #startAgain(runners: readonly Runner[], why: string, byHand = true, asked: readonly Runner[] = []): void {
    this.#mustBeRunning();
    const goOnWaiting: Runner[] = [];
    for (const runner of runners) {
      // A dependent whose wait the restart cut short goes on waiting, as far as anyone can tell: no
      // `starting` line, and the leniency of the life it waits in stays what it was.
      if (runner.endedUnseen && !asked.includes(runner)) {
        this.#stoppedByHand.delete(runner);
        runner.revive();
        goOnWaiting.push(runner);
        continue;
      }
      if (byHand) this.#begunByHand.add(runner);
      else this.#begunByHand.delete(runner);
      this.#stoppedByHand.delete(runner);
      this.#keptStopped.delete(runner);
      // A change's leniency belongs to the life it began: this one is begun for another reason (or
      // the change marks it again, see #startByChange). A watched task's re-run is forgiven whoever asks.
      if (runner.spec.task && runner.spec.watch !== undefined) this.#forgiven.add(runner);
      else this.#forgiven.delete(runner);
      runner.revive();
      // Said here: the runner's own `starting (pid N)` line cannot tell a start by hand from a first one.
      this.#opts.output.status({ name: runner.spec.name, event: 'starting', text: `starting (${why})` });
    }
    for (const runner of runners) this.#launch(runner);
    // What ends a change's leniency once the process is ready watched the life the restart ended:
    // it watches this one now, or a crash long after it was ready would be forgiven.
    for (const runner of goOnWaiting) if (this.#forgiven.has(runner)) this.#markStartedByChange(runner);
  }

  #stopInOrder(runners: readonly Runner[], why: string, afterEach?: (runner: Runner) => void, toRestart = false): Promise<void> {
    return stopInOrder(runners, (runner) => this.#dependents.get(runner.spec.name) ?? [], (runner) => runner.shutdown(why, true, toRestart).then(() => afterEach?.(runner)));
  }

  /**
   * Stops `chain` in reverse dependency order, to start it again: each member, once stopped, is
   * shown waiting for the members it depends on (`ps`), as it will be once started again, not
   * `stopped`, which SPEC §10 keeps for `subvisor stop`. One that still waits to start when its
   * stop comes ends unsaid ({@link Runner.endedUnseen}): a dependent brought along waits for what
   * the restart resets, so its wait must begin again, but it never started, so it is not said to
   * stop (nor, see #startAgain, to start again). Resolves with what to call when, after all,
   * nothing starts again (a stop refused, the run ending): they are `stopped` then.
   */
  async #stopToRestart(chain: readonly Runner[], why: string): Promise<() => void> {
    const held: Runner[] = [];
    const members = new Set(chain.map((member) => member.spec.name));
    const afterEach = (runner: Runner): void => {
      const inChain = runner.spec.dependsOn.filter(({ name }) => members.has(name));
      if (inChain.length === 0 || runner.state.state !== 'stopped') return;
      runner.state.waitingFor(awaiting(inChain, runner.spec.dependsOn).map(({ name }) => name));
      held.push(runner);
    };
    await this.#stopInOrder(chain, why, afterEach, true);
    return () => {
      for (const runner of chain) runner.stoppedAfterAll();
      for (const runner of held) runner.state.down('stopped');
    };
  }

  /** The runners named (each once), in start order. */
  #inStartOrder(names: readonly string[]): Runner[] {
    const named = new Set(names.map((name) => this.#runner(name)));
    return [...this.#runners.values()].filter((runner) => named.has(runner));
  }

  #mustBeRunning(): void {
    if (!this.#mayStart()) throw new RunEnding();
  }

  /**
   * Whether a new life, or a new attempt of one, may begin now: the run is under way and its end is
   * not decided. The one answer every start asks for (one by hand, a change's, a process whose
   * conditions were just met, the next attempt after a backoff): were they decided apart, one
   * could start a process while the others, seeing the end, stop theirs.
   */
  #mayStart(): boolean {
    // The stop signal decides the end as it aborts (see #untilEnd), but only once the run listens:
    // one that aborted before (a Ctrl-C while `up` made its control socket) is read here.
    return this.#tn !== undefined && this.#end === undefined && !this.#opts.signal.aborted;
  }

  // ---- Watch mode (SPEC §10) --------------------------------------------------------------
  // The watching itself is in ../watch/; what a change does to the run is decided here.

  /**
   * Lives that may still fail without ending the run: those a change began (a task's whole re-run,
   * a process's life until it is ready; for one without a `ready` condition, its whole life, since
   * nothing tells a broken start from a later crash), and every re-run of a watched task, by hand
   * too (SPEC §10: a failed re-run of a watched task never ends the run). A life started for any
   * other reason, or one that became ready, fails the run as any life does.
   */
  readonly #forgiven = new Set<Runner>();

  /** Lives begun by `subvisor start` or `restart`: a change lets such a task's run end (see {@link restartForChange}). */
  readonly #begunByHand = new Set<Runner>();

  /** Whether the end of the run is decided (nothing may start: see {@link #mayStart}): a change then restarts nothing. */
  get ending(): boolean {
    return !this.#mayStart();
  }

  /** Every copy of `name` (a process's name in the config) was stopped by `subvisor stop` and not started since. */
  keptStopped(name: string): boolean {
    return this.processesNamed([name]).every((copy) => {
      const runner = this.#runners.get(copy);
      return runner !== undefined && this.#keptStopped.has(runner);
    });
  }

  /**
   * Every copy of `name` not stopped by `subvisor stop` is in a life that still waits for its
   * `dependsOn` and has spawned nothing: it will start with its files as they are then, and those
   * stopped stay stopped, so a change has nothing to restart.
   */
  waitingToStart(name: string): boolean {
    return this.processesNamed([name]).every((copy) => {
      const runner = this.#runners.get(copy);
      if (runner !== undefined && this.#keptStopped.has(runner)) return true;
      return runner !== undefined && this.#waitingToStart(runner);
    });
  }

  /** `runner` is in a life that still waits for its `dependsOn` and has spawned nothing: it starts with the files as they are then. */
  #waitingToStart(runner: Runner): boolean {
    return this.#alive.has(runner) && runner.state.waiting;
  }

  /** When each copy of `name` last spawned (`performance.now()`): those never started have none. */
  lastSpawns(name: string): number[] {
    return this.processesNamed([name]).flatMap((copy) => this.#runners.get(copy)?.state.lastSpawnedAt ?? []);
  }

  /**
   * A burst of changes under the watched paths of `name` has ended. A watched task's re-run that
   * waits out its restart backoff holds the restart lane (its dependents restart only once it has
   * succeeded), so the change would wait for the whole backoff, and then run the task once more
   * after the policy's own try: that life ends now (`stopped while waiting to restart`), and the
   * restart the change queued runs the task again at once, with a fresh budget, as a change does
   * to any other process in its backoff. A re-run still trying when the change comes ends so at
   * its next backoff, should its try fail: it would hold the change as long (every backoff of its
   * budget, and each try between them).
   */
  changeHeard(name: string): void {
    if (!this.#mayStart()) return;
    const copies = this.#inStartOrder(this.processesNamed([name]));
    for (const runner of copies.filter((runner) => runner.spec.task && this.#forgiven.has(runner) && this.#alive.has(runner))) {
      const life = this.#alive.get(runner);
      void runner.nextBackoff().then((inBackoff) => {
        if (inBackoff) this.#endBackoffForChange(runner, life);
      });
    }
  }

  /** Ends the life `life` of `runner` in its backoff, for a change (see {@link changeHeard}), unless it has ended meanwhile. */
  #endBackoffForChange(runner: Runner, life: symbol | undefined): void {
    void this.#oneAtATime(async () => {
      if (!this.#mayStart() || this.#alive.get(runner) !== life || !runner.inBackoff) return;
      // Its end is the change's doing, not a failure (as for a chain a change restarts).
      this.#stoppedByHand.add(runner);
      await runner.shutdown('restarting', true);
    });
  }

  /**
   * What a change under the watched paths of `name` (a process's name in the config: `web` for all
   * of `web.1` ... `web.N`) does. The process restarts with its dependents, as {@link restart} does,
   * its copies together (one chain, each dependent once), and this resolves once they are started
   * again, not once they are ready: a change that broke the process must not hold up the change
   * that fixes it. A task that has ended (or once its run under way has) runs again on its own while its dependents keep running,
   * and they restart only if it succeeds: a broken build leaves the last good server up. A copy
   * stopped by `subvisor stop` stays stopped. Either way, a life begun by a change may fail
   * without ending the run (see {@link #forgiven}). Resolves with the processes (by their
   * names in the config) that this change has dealt with: those started again, and after a task's
   * failed run, what depends on it (left as it was).
   */
  async restartForChange(name: string): Promise<string[]> {
    const copies = this.#inStartOrder(this.processesNamed([name]));
    let started: readonly Runner[];
    // A run under way (begun by `subvisor start` or `restart`) ends first, as a run a change began
    // does before the next change is taken: stopping it would stop its dependents with it.
    if (copies.every((runner) => runner.spec.task && (!this.#alive.has(runner) || (runner.childRunning && this.#begunByHand.has(runner))))) {
      await Promise.all(copies.filter((runner) => this.#alive.has(runner)).map((runner) => runner.lifeEnded ?? Promise.resolve()));
      const rerun = await this.#rerun(copies);
      // After a failed run its dependents keep their last good lives: a change of their own, in
      // the same burst, must not stop them for a start their condition now refuses.
      started = rerun.succeeded ? [...rerun.ran, ...(await this.#restartChain(copies, false))] : [...rerun.ran, ...this.#chainOf(copies)];
    } else started = await this.#restartChain(copies, true);
    return [...new Set(started.map(({ spec }) => spec.replica?.of ?? spec.name))];
  }

  /**
   * Runs the tasks that have ended (and were not stopped by hand) again; resolves with those that
   * ran, and whether at least one ran and every one that ran succeeded. Which ones is decided in the queued operation: a
   * `start` or `restart` by hand queued ahead may have begun a life already, and a second one at
   * once would be two processes under one name.
   */
  async #rerun(tasks: readonly Runner[]): Promise<{ ran: readonly Runner[]; succeeded: boolean }> {
    const ran = await this.#oneAtATime(() => {
      const ended = tasks.filter((task) => !this.#alive.has(task) && !this.#keptStopped.has(task));
      return Promise.resolve(ended.length > 0 && this.#startByChange(ended) ? ended : []);
    });
    const states = await Promise.all(ran.map((task) => task.milestones.succeeded.settled()));
    return { ran, succeeded: ran.length > 0 && states.every((state) => state.kind === 'met') };
  }

  /**
   * Stops `roots` (those not stopped by hand) with what depends on them, in reverse dependency
   * order, and starts them again in order; `withRoots` false leaves the roots themselves alone (a
   * task that just ran again). Resolves with those started again.
   */
  async #restartChain(roots: readonly Runner[], withRoots: boolean): Promise<readonly Runner[]> {
    const started = await this.#oneAtATime(async () => {
      // A copy still waiting for its `dependsOn` (web.2 restarted by hand while db waits out its
      // backoff, web.1 running on) has no life to restart: its `stopped` and `starting (after a
      // change)` lines told of one that never began. Stopped by hand, it stays stopped.
      const live = roots.filter((runner) => !this.#keptStopped.has(runner) && !this.#waitingToStart(runner));
      const chain = this.#chainOf(live).filter((runner) => withRoots || !live.includes(runner));
      if (chain.length === 0 || !this.#mayStart()) return [];
      for (const runner of chain) this.#stoppedByHand.add(runner);
      const startsNot = await this.#stopToRestart(chain, 'restarting');
      for (const runner of chain) this.#alive.delete(runner);
      // One left running must not get a second copy beside it (as for `restart`): nothing starts
      // again; its `failed` line said it was left running.
      if (firstRefused(chain) === undefined && this.#startByChange(chain)) return chain;
      startsNot();
      return [];
    });
    // Until the first of them have spawned (or could not): a change queued meanwhile then stops a
    // process, not a spawn under way. Not until they are ready, which a broken one may never be;
    // nor while one waits for a process outside the chain (down in its restart backoff, say), whose
    // own change, queued behind this one, may be what brings it up.
    const first = started.filter((runner) => !started.some((other) => runner.spec.dependsOn.some(({ name }) => name === other.spec.name)));
    await Promise.all(first.map((runner) => untilSpawnedOrWaiting(runner)));
    return started;
  }

  /** Starts `runners` again after a change, unless the run is ending (then false: nothing starts). */
  #startByChange(runners: readonly Runner[]): boolean {
    if (!this.#mayStart()) return false;
    const goOnWaiting = new Set(runners.filter((runner) => runner.endedUnseen));
    this.#startAgain(this.#inStartOrder(runners.map((runner) => runner.spec.name)), 'after a change', false);
    for (const runner of runners) if (!goOnWaiting.has(runner)) this.#markStartedByChange(runner);
    return true;
  }

  /** Marks the life `runner` just began as begun by a change, until it is ready if it has a `ready` condition. */
  #markStartedByChange(runner: Runner): void {
    this.#forgiven.add(runner);
    if (runner.spec.task || runner.spec.ready === undefined) return;
    const life = this.#alive.get(runner);
    void runner.milestones.ready.settled().then((state) => {
      if (state.kind === 'met' && this.#alive.get(runner) === life) this.#forgiven.delete(runner);
    });
  }

  /** A life a change began failed: says the run goes on (true). */
  #failedAfterChange(runner: Runner, end: LifeEnd): boolean {
    if (end.kind !== 'failed' || !this.#forgiven.has(runner) || this.ending) return false;
    this.#sayForgiven(runner);
    return true;
  }

  /**
   * Its own line came already (`build * exited with status 1`, `e2e * not started: ...`), saying
   * what happened: this one says only why that ends nothing, as a tolerated failure's does. Said
   * again here, one failure was two `failed` records, and a script counting failures counted two.
   */
  #sayForgiven(runner: Runner): void {
    this.#opts.output.status({ name: runner.spec.name, event: 'tolerated', text: 'the run goes on: the next change starts it again' });
  }

  /**
   * A life that could not start because a forgiven one failed (a watched task's broken re-run, its
   * dependents restarted with it by `subvisor restart`) waits for the next change as that one does:
   * says the run goes on (true), even for `main`.
   */
  #blockedByForgiven(runner: Runner, end: LifeEnd): boolean {
    if (end.kind !== 'not-started' || end.reason === undefined || this.ending || !this.#waitsOnForgiven(runner)) return false;
    this.#sayForgiven(runner);
    return true;
  }

  /**
   * Whether a condition of `runner` can no longer be met because of a forgiven failure: its
   * dependency's own, or (transitively) that dependency's being kept from starting by one
   * (`build` failed, so `web` did not start, so `e2e` cannot). Read from the milestones, not from
   * the order in which the lives ended, which may be either.
   */
  #waitsOnForgiven(runner: Runner): boolean {
    return runner.spec.dependsOn.some(({ name, condition }) => {
      const dependency = this.#runner(name);
      return dependency.milestones.of(condition).state.kind === 'unmet' && (this.#forgiven.has(dependency) || this.#waitsOnForgiven(dependency));
    });
  }

  /** A watched process keeps the run going when every process has ended: the next change starts one again. */
  get #watching(): boolean {
    return [...this.#runners.values()].some((runner) => runner.spec.watch !== undefined);
  }

  // ---- End of watch mode --------------------------------------------------------------------

  #launch(runner: Runner): void {
    const tn = this.#tn;
    if (tn === undefined) throw new Error('the stack is not running');
    const life = Symbol(runner.spec.name);
    this.#alive.set(runner, life);
    tn.startSoon(async () => {
      const end = await runner.live();
      // A life stopped by hand was written off when its stop returned; a new one may run already.
      if (this.#alive.get(runner) !== life) return;
      this.#alive.delete(runner);
      this.#ended(runner, end);
    }, runner.spec.name);
  }

  /** A life ended: does the run end with it? */
  #ended(runner: Runner, lifeEnd: LifeEnd): void {
    const { name } = runner.spec;
    if ((this.#stoppedByHand.has(runner) && !mainEndedOnItsOwn(runner, lifeEnd)) || this.#failedAfterChange(runner, lifeEnd) || this.#blockedByForgiven(runner, lifeEnd)) return;
    // A stop of `main` by hand (`subvisor stop main`) that came after an exit its policy would have
    // restarted (what it left still held its output): the stop's end, as it would have been a
    // moment later, in the backoff. A crash the policy retries fails nothing.
    const end: LifeEnd = runner.spec.main && (lifeEnd.kind === 'exited' || lifeEnd.kind === 'failed') && lifeEnd.restartDue === true ? { kind: 'stopped', inBackoff: true } : lifeEnd;
    if (end.kind === 'failed') {
      if (this.#end !== undefined) this.#late(runner, end);
      else if (this.#toleratedFailure(runner)) {
        // Its own `failed` line came already, saying how it failed: this one says why that ends nothing.
        this.#opts.output.status({ name, event: 'tolerated', text: `its failure ends nothing: what depends on ${name} waits only for it to complete; the run goes on` });
      } else this.#finish({ kind: 'failure', name, error: end.error });
    }
    if (runner.spec.main) this.#finish({ kind: 'main', name, end });
    // A process stopped by hand may be started again, and a watched one by the next change: while
    // there is one, the run stays up.
    if (this.#alive.size === 0 && this.#stoppedByHand.size === 0 && !this.#watching) this.#finish({ kind: 'all-ended' });
  }

  /**
   * A failed task whose every dependent waits only for it to complete (to have run, whatever its
   * status) does not end the run: they said its status does not matter to them (SPEC §9). One that
   * could not even start did not complete: nothing would run, and the run would end with 0.
   */
  #toleratedFailure(runner: Runner): boolean {
    if (!runner.spec.task || runner.milestones.completed.state.kind !== 'met') return false;
    const dependents = this.#dependents.get(runner.spec.name) ?? [];
    const conditions = dependents.flatMap((dependent) => dependent.spec.dependsOn.filter((dependency) => dependency.name === runner.spec.name));
    return conditions.length > 0 && conditions.every((dependency) => dependency.condition === 'completed');
  }

  /** Resolves once the run should end: a reason was found, or the stop signal aborted. */
  #untilEnd(): Promise<void> {
    const { signal } = this.#opts;
    return new Promise((resolve) => {
      const onAbort = (): void => this.#finish({ kind: 'stopped', reason: signal.reason });
      this.#onEnd = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      if (this.#runners.size === 0) this.#finish({ kind: 'all-ended' });
      if (this.#end !== undefined) this.#onEnd();
      else if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A failure after the end was decided: it still counts, unless it is one that never ends a run
   * (one its restart policy would have retried had the run gone on, forgiven, tolerated).
   */
  #late(runner: Runner, { error, retriable }: Extract<LifeEnd, { kind: 'failed' }>): void {
    if (retriable === true || this.#forgiven.has(runner) || this.#toleratedFailure(runner)) return;
    const { name } = runner.spec;
    this.#lateFailure ??= { name, error };
    const stopBegunAt = runner.failureStopAt;
    if (stopBegunAt === undefined || stopBegunAt > this.#endedAt) return;
    if (this.#failedBeforeEnd === undefined || stopBegunAt < this.#failedBeforeEnd.stopBegunAt) this.#failedBeforeEnd = { name, error, stopBegunAt };
  }

  #finish(end: End): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#endedAt = performance.now();
    this.#onEnd?.();
  }

  #runner(name: string): Runner {
    const runner = this.#runners.get(name);
    if (runner === undefined) throw new Error(`no process named '${name}' in this run`);
    return runner;
  }

  #outcome(): RunOutcome {
    const results = [...this.#runners.values()].map((runner) => runner.state.result());
    const end = this.#end ?? { kind: 'all-ended' };
    if (end.kind === 'stopped') {
      const { reason } = end;
      // A process that was being stopped for its own failure (not ready in time) when the run was
      // stopped: the failure came first, and is the run's, as one before the stop would be.
      const first = this.#failedBeforeEnd;
      if (first !== undefined) return { exitCode: statusOfFailure(first.error), results, failure: { name: first.name, error: first.error }, stoppedBy: reason };
      const exitCode = reason instanceof Interrupted ? signalStatus(reason.signal) : reason instanceof StopRequest ? reason.exitCode : EXIT.failure;
      return { exitCode, results, failure: undefined, stoppedBy: reason };
    }
    // A failure on its own while the others were being stopped after a clean end still counts.
    const failure = end.kind === 'failure' ? { name: end.name, error: end.error } : (this.#lateFailure ?? mainNotStarted(end));
    return { exitCode: failure === undefined ? 0 : statusOfFailure(failure.error), results, failure, stoppedBy: undefined };
  }
}

/** A control command that would start something came while the run is ending (or before it began). */
export class RunEnding extends Error {
  override readonly name = 'RunEnding';
  readonly code = 'ERR_SUBVISOR_RUN_ENDING';
  constructor() {
    super('the run is ending: nothing starts any more');
  }
}

/** `start` or `restart` started a process that did not become ready (a task: did not succeed): `reason` says why. */
export class NotReady extends Error {
  override readonly name = 'NotReady';
  readonly code = 'ERR_SUBVISOR_NOT_READY';
  constructor(
    readonly processName: string,
    reason: string,
    task = false,
    /** An attempt ended before it was ready and the restart policy tries again: the answer, whatever a later operation does to the life. */
    readonly policyRetries = false,
  ) {
    super(`${processName} ${task ? 'did not succeed' : 'did not become ready'}: ${reason}`);
  }
}

/** `stop` or `restart` could not stop a process: the system refused the signal, and it is left running. */
export class NotStopped extends Error {
  override readonly name = 'NotStopped';
  readonly code = 'ERR_SUBVISOR_STOP_DENIED';
  constructor(
    readonly processName: string,
    reason: string,
    restarting: boolean,
  ) {
    super(`${processName} ${reason}${restarting ? '; nothing was started again' : ''}`);
  }
}

function throwIfRefused(runners: readonly Runner[], restarting = false): void {
  const refused = firstRefused(runners);
  if (refused?.refusedStop !== undefined) throw new NotStopped(refused.spec.name, describeFailure(refused.refusedStop), restarting);
}

/** Resolves once `runner` has spawned (or could not), or waits for a condition of its `dependsOn`: no spawn of it is under way. */
function untilSpawnedOrWaiting(runner: Runner): Promise<void> {
  return anySettled([runner.milestones.started, runner.waitingForConditions]);
}

/** The first of `runners` whose stop the system refused: left running, it must get no second copy beside it. */
function firstRefused(runners: readonly Runner[]): Runner | undefined {
  return runners.find((runner) => runner.refusedStop !== undefined);
}

/** Why `runner` cannot be ready in its current life, once it cannot; undefined while it still may be. */
function notReadyNow(runner: Runner): NotReady | undefined {
  const state = (runner.spec.task ? runner.milestones.succeeded : runner.milestones.ready).state;
  return state.kind === 'unmet' ? new NotReady(runner.spec.name, state.ownWords ?? state.reason, runner.spec.task) : undefined;
}

/**
 * Resolves once `runner` is ready in its current life; rejects with {@link NotReady} once it cannot
 * be, or once an attempt ended before it was and its restart policy scheduled another. A task is
 * ready once it has succeeded: `subvisor start migrate` says whether it worked, not merely that it
 * began. Not waiting through the restarts: one that fails at once under `restart: always` with a
 * 10 s backoff held the client silent for the whole run, or up to `max` backoffs, and a script
 * could not tell it from a slow start. Answered as `systemctl restart` answers for a unit that
 * fails at once though `Restart=` retries it: this start failed, saying how, and the policy goes on.
 */
async function untilReady(runner: Runner): Promise<void> {
  const { task } = runner.spec;
  const milestone = task ? runner.milestones.succeeded : runner.milestones.ready;
  // Both listeners go once this wait ends: a `start` asked again and again of one that never gets
  // ready (its restarts cut short each time) would otherwise leave one of each per request.
  const stops: (() => void)[] = [];
  let policyRetries = false;
  try {
    const state = await new Promise<MilestoneState>((resolve) => {
      const check = (): void => {
        if (milestone.state.kind !== 'pending') resolve(milestone.state);
      };
      const restarting = (words: string): void => {
        policyRetries = true;
        resolve({ kind: 'unmet', reason: `${words}, as its restart policy says: \`subvisor logs ${runner.spec.name}\` shows its output` });
      };
      stops.push(milestone.onChange(check), runner.onRestartScheduled(restarting));
      check();
    });
    // Its own end in the words its own line said it in, not a dependent's `NAME failed (status 3)`, `NAME was stopped`.
    if (state.kind === 'unmet') throw new NotReady(runner.spec.name, state.ownWords ?? state.reason, task, policyRetries);
  } finally {
    for (const stop of stops) stop();
  }
}

/**
 * A `main` whose life a stop by hand (a restart's, a change's) ended, though its child had exited on
 * its own before that stop came (what it left in its group held its output, and the drain waited):
 * that exit is main's end, and the run's, as it would have been had the stop come a moment later.
 * Written off as the restart's doing, main ran a second time. A stop the system refused is no exit;
 * nor one its restart policy would have restarted (a moment later, the stop would have ended its
 * backoff, and the restart would have run it again).
 */
function mainEndedOnItsOwn(runner: Runner, end: LifeEnd): boolean {
  return runner.spec.main && (end.kind === 'exited' || end.kind === 'failed') && end.restartDue !== true && runner.refusedStop === undefined;
}

/** A main process that never started (a condition it waited for could not be met) did not do its job. */
function mainNotStarted(end: End): { name: string; error: unknown } | undefined {
  if (end.kind !== 'main' || end.end.kind !== 'not-started') return undefined;
  return { name: end.name, error: new MainNotStarted(end.name, end.end.reason ?? 'the run ended first') };
}

/** What the `stopping (...)` lines say ended the run: `SIGINT`, `test exited`, `db failed`, `--timeout of 2 s passed`. */
function endWords(end: End): string | undefined {
  switch (end.kind) {
    case 'stopped':
      return stopWords(end.reason);
    case 'failure':
      return `${end.name} failed`;
    case 'main':
      return `${end.name} ${mainEndWords[end.end.kind]}`;
    case 'all-ended':
      return undefined;
  }
}

const mainEndWords: Record<LifeEnd['kind'], string> = { exited: 'exited', failed: 'failed', stopped: 'was stopped', 'not-started': 'was not started' };

/** What stopped the run from outside: `SIGINT`, `stdout was closed`, `--timeout of 2 s passed`. */
function stopWords(reason: unknown): string | undefined {
  if (reason instanceof Interrupted) return reason.what;
  if (reason instanceof Error) return reason.message;
  return undefined;
}
