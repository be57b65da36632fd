import { node } from '../builtins.js';
import { getLogger } from '../log/logger.js';
import { hasLevelMethod } from '../log/structural.js';
import { quoteCommand } from './command.js';
import type { Process } from './process.js';

/**
 * The moments of a child's life worth a log record: what a person reading the log after an
 * incident needs to line up with the child's own output.
 */
export interface LifecycleLog {
  spawned(proc: Process): void;
  ready(proc: Process, afterMs: number): void;
  stopping(proc: Process, reason: unknown): void;
  /** The grace passed with members of the group alive: SIGKILL goes out now. */
  escalating(proc: Process, killGraceMs: number): void;
  /**
   * What left the exited child's group and still holds its output after the drain graces (see
   * ../stop/pipe-holders.ts) is found: `pids` get the stop signal now (those whose parent is among
   * them, once it is gone).
   */
  stoppingHolders(proc: Process, pids: readonly number[]): void;
  /** Those of them still running `killGraceMs` after their stop began: SIGKILL goes to them now. */
  killingHolders(proc: Process, pids: readonly number[], killGraceMs: number): void;
  deliverCancelFailed(proc: Process, error: unknown): void;
  /** The system refused the stop (the child now runs as another user): it is left running. */
  stopDenied(proc: Process, error: Error): void;
  exited(proc: Process, durationMs: number): void;
}

/**
 * A {@link LifecycleLog} given in place of the logger's records: how the command line receives
 * them as data (the SIGKILL escalation as a state line of its own, in its own format and in
 * `--json`), instead of as a formatted string on the library's logger. A symbol, so it is no
 * option a user can name. @internal
 */
export const LIFECYCLE_LOG: unique symbol = Symbol('subvisor.lifecycleLog');

type Emit = (message: () => string) => void;

/**
 * Lifecycle records for the child called `label`: spawn, ready, stop and exit at `runtime` (15,
 * below the default threshold: there when asked for), and the SIGKILL escalation at `warning`,
 * naming the grace, as trio warns when a child ignored its termination request. Each goes to
 * `logger[level]` when the logger has that method (a warning to its `warn` when it has no
 * `warning`, as pino, winston and `console` have it), else to the package logger. `command` is
 * how the spawn record names the child's command: default its argv quoted as a shell reads it (a
 * caller that shows commands its own way, without the values it put in them, passes its own).
 */
export function lifecycleLog(label: string, logger: object | undefined, command?: string): LifecycleLog {
  const runtime = emitter(logger, 'runtime');
  const warning = emitter(logger, 'warning');
  return {
    spawned: (proc) => runtime(() => `${label}: spawned (pid ${proc.pid})${commandBesides(label, command ?? quoteCommand(proc.args))}`),
    ready: (proc, afterMs) => runtime(() => `${label}: ready after ${Math.round(afterMs)} ms (pid ${proc.pid})`),
    // A stop after the exit is for whatever is left in the group (leftovers, or nothing): not the child's.
    stopping: (proc, reason) =>
      runtime(() =>
        proc.returncode === null
          ? `${label}: stopping (pid ${proc.pid}): ${describeReason(reason)}`
          : `${label}: ${describeExit(proc)}; stopping what is left in its process group (${proc.pid}): ${reason === undefined ? 'nothing it started may outlive it' : describeReason(reason)}`,
      ),
    escalating: (proc, killGraceMs) =>
      warning(() =>
        proc.returncode === null
          ? `${label}: still running ${killGraceMs} ms (killGraceMs) after it was asked to stop; sending SIGKILL to its process group (pid ${proc.pid})`
          : `${label}: what it left in its process group is still running ${killGraceMs} ms (killGraceMs) after the stop signal; sending SIGKILL to the group (${proc.pid})`,
      ),
    stoppingHolders: (proc, pids) => runtime(() => `${label}: ${describeExit(proc)}; stopping ${holdersOfOutput(pids)}`),
    killingHolders: (_proc, pids, killGraceMs) => warning(() => `${label}: sending SIGKILL to ${holdersOfOutput(pids)}: still running ${killGraceMs} ms (killGraceMs) after the stop signal`),
    // What it threw, whatever it is: `undefined` is no stop reason here.
    deliverCancelFailed: (proc, error) => warning(() => `${label}: deliverCancel failed (${error === undefined ? 'it threw undefined' : describeReason(error)}); sending the stop signal instead (pid ${proc.pid})`),
    stopDenied: (proc, error) => warning(() => `${label}: ${error.message}`),
    exited: (proc, durationMs) => runtime(() => `${label}: ${describeExit(proc)} after ${Math.round(durationMs)} ms (pid ${proc.pid})`),
  };
}

function emitter(logger: object | undefined, level: 'runtime' | 'warning'): Emit {
  const name = logger === undefined ? undefined : [level, ...(level === 'warning' ? ['warn'] : [])].find((each) => hasLevelMethod(logger, each));
  const method: unknown = logger === undefined || name === undefined ? undefined : Reflect.get(logger, name);
  if (typeof method === 'function') {
    return (message) => {
      // A failing logger must not break the supervision it reports on: the record is dropped.
      try {
        const result: unknown = method.call(logger, message());
        if (isThenable(result)) result.then(undefined, noop);
      } catch {
        // dropped, as above
      }
    };
  }
  const fallback = getLogger();
  // Formatting costs more than the check: skipped while the level is off (runtime is, by default).
  return (message) => {
    if (fallback.isEnabledFor(level)) fallback[level](message());
  };
}

/**
 * `2 processes that still hold its output (pids 41, 42)`: the one place the holders of an exited
 * child's pipes are put in words, for the library's records and the command line's state lines.
 */
export function holdersOfOutput(pids: readonly number[]): string {
  const one = pids.length === 1;
  return `${pids.length} process${one ? '' : 'es'} that still hold${one ? 's' : ''} its output (pid${one ? '' : 's'} ${pids.join(', ')})`;
}

function describeExit(proc: Process): string {
  return proc.signal !== null ? `died of ${proc.signal}` : `exited with status ${proc.returncode ?? '?'}`;
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  if (reason === undefined) return 'asked to stop';
  return typeof reason === 'string' ? reason : node.util.inspect(reason);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function noop(): void {
  // a rejected log record is dropped: see emitter
}

/**
 * The command after a spawn record's label, unless the label already is it (`true: spawned (pid
 * N): true` said nothing twice). A default label joins the words unquoted, so where the quoted
 * command differs (`sh -c exit 3` against `sh -c 'exit 3'`) it still tells where one word ends.
 */
function commandBesides(label: string, command: string): string {
  return command === label ? '' : `: ${command}`;
}
