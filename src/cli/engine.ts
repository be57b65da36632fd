import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorGroup, collapseErrorGroup } from '../core/errors.js';
import { openNursery, type Nursery, type TaskContext } from '../core/nursery.js';
import type { CompletedProcess } from '../process/completed.js';
import type { SuperviseOptions } from '../process/supervise-options.js';
import { formatCommand } from '../process/command.js';
import { CalledProcessError, ExitedBeforeReadyError, SpawnError } from '../process/errors.js';
import type { Process } from '../process/process.js';
import { superviseRunProcess } from '../process/supervise.js';
import { restartDelayMs, type ProcessSpec as ProcessPlan } from './config/spec.js';
import { signalStatus, statusOfFailure } from './exit-status.js';
import { Interrupted } from './interrupts.js';
import type { Output } from './output.js';

/** How one process's part of the run ended, for the summary table. */
export interface ProcessResult {
  readonly name: string;
  readonly pid: number | undefined;
  readonly result: string;
  readonly durationMs: number | undefined;
  readonly restarts: number;
}

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

export interface EngineOptions {
  readonly output: Output;
  /** Aborted by the first Ctrl-C (or SIGTERM/SIGHUP), with an {@link Interrupted} reason. */
  readonly signal: AbortSignal;
  readonly defaultGraceMs: number;
}

/** A process's failure, tagged with its name so the run can say who failed. */
class ProcessFailed extends Error {
  constructor(
    readonly processName: string,
    readonly failure: unknown,
  ) {
    super(`${processName} failed`, { cause: failure });
  }
}

/**
 * Runs every process of `plans` in one nursery: each starts once the processes it depends on are
 * ready (trio's `nursery.start()` is exactly "wait until it is ready"), relays both streams, and
 * restarts as its policy says. The first failure that is not retried cancels everything (fail
 * fast). A `main` process that exits 0 ends the run and stops the others; without one the run
 * ends when every process has exited.
 */
export async function runAll(plans: readonly ProcessPlan[], opts: EngineOptions): Promise<RunOutcome> {
  const states = new Map(plans.map((plan) => [plan.name, new ProcessState(plan)]));
  let stoppedBy: unknown;
  let failure: RunOutcome['failure'];
  try {
    await openNursery(
      (tn) => {
        for (const plan of plans) tn.startSoon((ctx) => superviseOne(plan, states, tn, ctx, opts), plan.name);
        return Promise.resolve();
      },
      { signal: opts.signal },
    );
  } catch (error) {
    if (opts.signal.aborted && error === opts.signal.reason) stoppedBy = error;
    else if (error instanceof ErrorGroup) {
      const first: unknown = error.errors[0];
      failure = first instanceof ProcessFailed ? { name: first.processName, error: first.failure } : { name: 'subvisor', error: first };
    } else throw error;
  }
  const results = [...states.values()].map((state) => state.result());
  const exitCode =
    stoppedBy instanceof Interrupted ? signalStatus(stoppedBy.signal) : stoppedBy instanceof StopRequest ? stoppedBy.exitCode : failure !== undefined ? statusOfFailure(failure.error) : 0;
  return { exitCode, results, failure, stoppedBy };
}

async function superviseOne(plan: ProcessPlan, states: Map<string, ProcessState>, tn: Nursery, ctx: TaskContext, opts: EngineOptions): Promise<void> {
  const state = states.get(plan.name) as ProcessState; // every plan has a state, made above
  const dependencies = plan.dependsOn.map(({ name }) => states.get(name)?.ready).filter((ready) => ready !== undefined);
  if (dependencies.length > 0) await untilAborted(Promise.all(dependencies), ctx.signal);
  const { output } = opts;
  const restartMax = plan.restart.policy === 'on-failure' ? plan.restart.max : 0;
  for (let attempt = 0; ; attempt++) {
    const startedAt = performance.now();
    try {
      await superviseUntilExit(plan, {
        shell: typeof plan.cmd === 'string',
        cwd: plan.cwd,
        env: plan.env ? { ...process.env, ...plan.env } : undefined,
        label: plan.name,
        relayStdout: true,
        relayStderr: true,
        onLine: (event) => output.line(plan.name, event.stream, event.line),
        readyWhen: plan.ready?.kind === 'log' ? plan.ready.pattern : undefined,
        readyTimeoutMs: plan.readyTimeoutMs,
        killGraceMs: plan.grace ?? opts.defaultGraceMs,
        onSpawn: (proc) => {
          state.spawned(proc, startedAt);
          output.status({ name: plan.name, event: 'starting', text: `started (pid ${proc.pid}): ${formatCommand(plan.cmd)}`, fields: { pid: proc.pid } });
        },
      }, () => {
        const afterMs = Math.round(performance.now() - startedAt);
        state.markReady();
        if (plan.ready) output.status({ name: plan.name, event: 'ready', text: `ready after ${afterMs} ms`, fields: { afterMs } });
      });
      state.finish(`exited 0`);
      output.status({ name: plan.name, event: 'exited', text: `exited with status 0 after ${formatDuration(performance.now() - startedAt)}`, fields: { returncode: 0 } });
      if (plan.main) tn.cancel();
      return;
    } catch (error) {
      if (ctx.signal.aborted) {
        state.finish(state.pid === undefined ? 'not started' : 'stopped');
        if (state.pid !== undefined) output.status({ name: plan.name, event: 'stopped', text: 'stopped' });
        // The cancellation itself is absorbed by the nursery; anything else still names its process.
        const isCancellation = error === ctx.signal.reason || (error instanceof Error && error.name === 'AbortError');
        throw isCancellation ? error : new ProcessFailed(plan.name, error);
      }
      const what = describeFailure(error);
      output.status({ name: plan.name, event: 'failed', text: what, fields: failureFields(error) });
      if (attempt >= restartMax) {
        state.finish(what);
        throw new ProcessFailed(plan.name, error);
      }
      const backoffMs = restartDelayMs(plan.restart, attempt);
      state.restarts++;
      output.status({ name: plan.name, event: 'restarting', text: `restarting in ${backoffMs} ms (restart ${attempt + 1} of ${restartMax})`, fields: { restart: attempt + 1, max: restartMax, backoffMs } });
      await sleep(backoffMs, undefined, { signal: ctx.signal });
    }
  }
}

/**
 * Runs one process under `nursery.start()`: `onReady` is called when start() resolves (at spawn, or
 * at its ready line), and the call resolves with how the process ended, or rejects with why it
 * failed, bare (not in the nursery's group of one).
 */
async function superviseUntilExit(plan: ProcessPlan, options: SuperviseOptions, onReady: () => void): Promise<CompletedProcess> {
  let completed: CompletedProcess | undefined;
  await collapseErrorGroup(() =>
    openNursery(async (tn) => {
      await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(plan.cmd, options, ctx);
      });
      onReady();
    }),
  );
  return completed as CompletedProcess; // the task that set it is the one the nursery waited for
}

class ProcessState {
  pid: number | undefined;
  restarts = 0;
  readonly ready: Promise<void>;
  private resolveReady!: () => void; // assigned synchronously by the Promise constructor
  private firstStartedAt: number | undefined;
  private endedAt: number | undefined;
  private outcome: string | undefined;

  constructor(readonly plan: ProcessPlan) {
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  spawned(proc: Process, at: number): void {
    this.pid = proc.pid;
    this.firstStartedAt ??= at;
  }

  markReady(): void {
    this.resolveReady();
  }

  finish(outcome: string): void {
    this.outcome = outcome;
    this.endedAt = performance.now();
  }

  result(): ProcessResult {
    const durationMs = this.firstStartedAt !== undefined && this.endedAt !== undefined ? this.endedAt - this.firstStartedAt : undefined;
    return { name: this.plan.name, pid: this.pid, result: this.outcome ?? (this.pid === undefined ? 'not started' : 'stopped'), durationMs, restarts: this.restarts };
  }
}

export function describeFailure(error: unknown): string {
  if (error instanceof ExitedBeforeReadyError) return error.signal !== null ? `died of ${error.signal} before it was ready` : `exited with status ${error.returncode} before it was ready`;
  if (error instanceof CalledProcessError) return error.signal !== null ? `died of ${error.signal}` : `exited with status ${error.returncode}`;
  if (error instanceof SpawnError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function failureFields(error: unknown): Record<string, unknown> {
  if (error instanceof CalledProcessError) return { returncode: error.returncode, signal: error.signal };
  if (error instanceof SpawnError) return { code: error.code };
  return {};
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Waits for `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
