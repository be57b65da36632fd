import { openNursery, type Nursery } from '../../core/nursery.js';
import type { ProcessSpec } from '../config/spec.js';
import { EXIT, signalStatus, statusOfFailure } from '../exit-status.js';
import { Interrupted } from '../interrupts.js';
import type { Output } from '../output.js';
import { describeFailure } from './failures.js';
import type { Milestone, MilestoneState, Milestones } from './milestones.js';
import { Runner, type LifeEnd } from './runner.js';
import { stopInOrder } from './shutdown.js';
import type { ProcessResult, ProcessSnapshot } from './state.js';

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
  /** Default `process.env`. */
  readonly parentEnv?: NodeJS.ProcessEnv;
}

/** Why the run ends. The first one found decides the status. */
type End =
  | { readonly kind: 'failure'; readonly name: string; readonly error: unknown }
  | { readonly kind: 'main'; readonly name: string; readonly end: LifeEnd }
  | { readonly kind: 'all-ended' }
  | { readonly kind: 'stopped'; readonly reason: unknown };

/**
 * Runs `specs` (in start order) as one stack, as SPEC §9 says: each process starts once its
 * conditions are met, runs under its restart policy, and the run ends at the first failure that is
 * not retried, when the `main` process ends, when every process has ended (without a main), or when
 * `signal` aborts. Then everything stops in reverse dependency order.
 */
export function runStack(specs: readonly ProcessSpec[], opts: StackOptions): Promise<RunOutcome> {
  return new Stack(specs, opts).run();
}

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
  /** The runners whose life has begun and not ended. */
  readonly #alive = new Set<Runner>();
  /** A failure on its own after the end was decided (while the others stopped). */
  #lateFailure: { readonly name: string; readonly error: unknown } | undefined;

  constructor(specs: readonly ProcessSpec[], opts: StackOptions) {
    this.#opts = opts;
    const context = {
      output: opts.output,
      defaultGraceMs: opts.defaultGraceMs,
      parentEnv: opts.parentEnv ?? process.env,
      milestonesOf: (name: string): Milestones => this.#runner(name).milestones,
      ending: () => this.#end !== undefined,
    };
    this.#runners = new Map(specs.map((spec) => [spec.name, new Runner(spec, context)]));
    this.#dependents = new Map(specs.map((spec) => [spec.name, []]));
    for (const spec of specs) for (const { name } of spec.dependsOn) this.#dependents.get(name)?.push(this.#runner(spec.name));
  }

  async run(): Promise<RunOutcome> {
    // The nursery is not given the stop signal: that would cancel every process at once. The
    // signal ends the wait below instead, and the stop after it goes in order.
    await openNursery(async (tn) => {
      this.#tn = tn;
      for (const runner of this.#runners.values()) this.#launch(runner);
      await this.#untilEnd();
      const why = this.#end?.kind === 'stopped' ? stopWords(this.#end.reason) : undefined;
      await stopInOrder([...this.#runners.values()], (runner) => this.#dependents.get(runner.spec.name) ?? [], (runner) => runner.shutdown(why));
    });
    return this.#outcome();
  }

  /** Every process as `subvisor ps` shows it. */
  ps(): ProcessSnapshot[] {
    return [...this.#runners.values()].map((runner) => runner.state.snapshot());
  }

  /** Stops one process (its dependents keep running); it does not end the run unless it is `main`. */
  async stop(name: string): Promise<void> {
    const runner = this.#runner(name);
    if (!runner.spec.main) this.#stoppedByHand.add(runner);
    await runner.shutdown('stopped by hand');
  }

  /** Starts a process whose life has ended (stopped, exited, failed) again, with a fresh restart budget. */
  start(name: string): void {
    const runner = this.#runner(name);
    // A life that is still going is not started twice: one process per name.
    if (this.#alive.has(runner)) return;
    this.#stoppedByHand.delete(runner);
    runner.revive();
    this.#launch(runner);
  }

  /**
   * Restarts a process and everything that depends on it: they stop in reverse dependency order
   * (as at the end of a run), then start again in start order, each waiting for its conditions.
   * Neither uses a restart budget.
   */
  async restart(name: string): Promise<void> {
    const chain = this.#withDependents(this.#runner(name));
    for (const runner of chain) this.#stoppedByHand.add(runner);
    await stopInOrder(chain, (runner) => this.#dependents.get(runner.spec.name) ?? [], (runner) => runner.shutdown('restarting'));
    for (const runner of this.#runners.values()) if (chain.includes(runner)) this.start(runner.spec.name);
  }

  // ---- Watch mode (SPEC §10) --------------------------------------------------------------
  // The watching itself is in ../watch/; what a change does to the run is decided here.

  /** Lives a change began: a failure of one is said, and the run goes on until the next change. */
  readonly #startedByChange = new Set<Runner>();

  /** Whether the end of the run is decided: a change then restarts nothing. */
  get ending(): boolean {
    return this.#end !== undefined;
  }

  /**
   * What a change under `name`'s watched paths does. A process restarts with its dependents, as
   * {@link restart} does, and this resolves once they are started again, not once they are ready:
   * a change that broke the process must not hold up the change that fixes it. A task that has
   * ended runs again on its own while its dependents keep running, and they restart only if it
   * succeeds: a broken build leaves the last good server up. Either way, a life begun by a change
   * may fail without ending the run.
   */
  async restartForChange(name: string): Promise<void> {
    const runner = this.#runner(name);
    const chain = this.#withDependents(runner);
    if (runner.spec.task && !this.#alive.has(runner)) {
      if (await this.#rerun(runner)) await this.#restartChain(chain.slice(1)); // chain[0] is the task
    } else await this.#restartChain(chain);
  }

  /** Runs a task that has ended again; resolves whether it succeeded. */
  async #rerun(task: Runner): Promise<boolean> {
    if (this.ending) return false;
    this.#startedByChange.add(task);
    this.start(task.spec.name);
    return (await settled(task.milestones.succeeded)).kind === 'met';
  }

  async #restartChain(chain: readonly Runner[]): Promise<void> {
    for (const runner of chain) this.#stoppedByHand.add(runner);
    await stopInOrder(chain, (runner) => this.#dependents.get(runner.spec.name) ?? [], (runner) => runner.shutdown('restarting'));
    // The run may have ended while they stopped: then nothing starts again.
    if (this.ending) return;
    for (const runner of this.#runners.values()) {
      if (!chain.includes(runner)) continue;
      this.#startedByChange.add(runner);
      this.start(runner.spec.name);
    }
    // Until the first of them has spawned (or could not): a change queued meanwhile then stops a
    // process, not a spawn under way. Not until it is ready, which a broken one may never be.
    const first = chain[0];
    if (first !== undefined) await settled(first.milestones.started);
  }

  /** A life a change began failed: says so, and the run goes on (true). */
  #failedAfterChange(runner: Runner, end: LifeEnd): boolean {
    if (end.kind !== 'failed' || !this.#startedByChange.has(runner) || this.ending) return false;
    this.#opts.output.status({ name: runner.spec.name, event: 'failed', text: `${describeFailure(end.error)}; the run goes on: the next change starts it again` });
    return true;
  }

  /** A watched process keeps the run going when every process has ended: the next change starts one again. */
  get #watching(): boolean {
    return [...this.#runners.values()].some((runner) => runner.spec.watch !== undefined);
  }

  // ---- End of watch mode --------------------------------------------------------------------

  #launch(runner: Runner): void {
    const tn = this.#tn;
    if (tn === undefined) throw new Error('the stack is not running');
    this.#alive.add(runner);
    tn.startSoon(async () => this.#ended(runner, await runner.live()), runner.spec.name);
  }

  /** A life ended: does the run end with it? */
  #ended(runner: Runner, end: LifeEnd): void {
    const { name } = runner.spec;
    this.#alive.delete(runner);
    if (this.#stoppedByHand.has(runner) || this.#failedAfterChange(runner, end)) return;
    if (end.kind === 'failed') {
      if (this.#end !== undefined) this.#lateFailure ??= { name, error: end.error };
      else if (this.#toleratedFailure(runner)) {
        this.#opts.output.status({ name, event: 'failed', text: `${describeFailure(end.error)}; the run goes on: what depends on ${name} waits only for it to complete` });
      } else this.#finish({ kind: 'failure', name, error: end.error });
    }
    if (runner.spec.main) this.#finish({ kind: 'main', name, end });
    if (this.#alive.size === 0 && !this.#watching) this.#finish({ kind: 'all-ended' });
  }

  /**
   * A failed task whose every dependent waits only for it to complete (to have run, whatever its
   * status) does not end the run: they said its status does not matter to them (SPEC §9).
   */
  #toleratedFailure(runner: Runner): boolean {
    if (!runner.spec.task) return false;
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

  #finish(end: End): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#onEnd?.();
  }

  /** `runner` and, transitively, every runner that depends on it. */
  #withDependents(runner: Runner): Runner[] {
    const chain = new Set([runner]);
    for (const member of chain) for (const dependent of this.#dependents.get(member.spec.name) ?? []) chain.add(dependent);
    return [...chain];
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
      const exitCode = reason instanceof Interrupted ? signalStatus(reason.signal) : reason instanceof StopRequest ? reason.exitCode : EXIT.failure;
      return { exitCode, results, failure: undefined, stoppedBy: reason };
    }
    // A failure on its own while the others were being stopped after a clean end still counts.
    const failure = end.kind === 'failure' ? { name: end.name, error: end.error } : (this.#lateFailure ?? mainNotStarted(end));
    return { exitCode: failure === undefined ? 0 : statusOfFailure(failure.error), results, failure, stoppedBy: undefined };
  }
}

/** Resolves with the state of `milestone` once it is met or given up. */
function settled(milestone: Milestone): Promise<MilestoneState> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (milestone.state.kind === 'pending') return;
      stop();
      resolve(milestone.state);
    };
    const stop = milestone.onChange(check);
    check();
  });
}

/** A main process that never started (a condition it waited for could not be met) did not do its job. */
function mainNotStarted(end: End): { name: string; error: unknown } | undefined {
  if (end.kind !== 'main' || end.end.kind !== 'not-started') return undefined;
  return { name: end.name, error: new Error(`not started: ${end.end.reason ?? 'the run ended first'}`) };
}

/** What the `stopping (...)` lines say stopped the run: `SIGINT`, `stdout was closed`, `--timeout of 2 s passed`. */
function stopWords(reason: unknown): string | undefined {
  if (reason instanceof Interrupted) return reason.message === `interrupted by ${reason.signal}` ? reason.signal : reason.message;
  if (reason instanceof Error) return reason.message;
  return undefined;
}
