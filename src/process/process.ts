import type { ChildProcess } from 'node:child_process';
import { node } from '../builtins.js';
import { outOfRange } from '../caller-errors.js';
import { currentSignal, followAbort, unfollowAbort, validateSignal } from '../core/scope.js';

/** SIGRTMAX on Linux: the highest number kill(2) takes. */
const MAX_SIGNAL_NUMBER = 64;

/** subvisor's own access to a Process: the exit without the scope, and who performs `stop()`. */
export interface ProcessInternals {
  /** The exit, not a cancellation point: the supervisor must see it even while its scope is cancelled. */
  readonly exited: (proc: Process) => Promise<number>;
  readonly onStop: (proc: Process, stop: () => Promise<void>) => void;
  /** Lets go of a child that cannot be stopped: its stdin closed, its handle no longer holding the event loop open. */
  readonly abandon: (proc: Process) => void;
  /**
   * When `spawn()` was called (`performance.now()`): what "from its spawn" counts from (`durationMs`,
   * `ready after N ms`), so neither is ever shorter than what the command ran. Not when the start
   * resolved: that waits for the gate's verdict, which a busy event loop reads late, while the
   * command already runs.
   */
  readonly spawnedAt: (proc: Process) => number;
}

/** @internal Set by the class's static block, before any Process exists. */
export let processInternals: ProcessInternals;

/**
 * A running (or finished) child, as `superviseRunProcess` hands it up through `started()`.
 * Python's `subprocess.Popen` / `trio.Process` surface: `returncode` is `null` while it runs, the
 * exit status once it exited, and `-N` when it was killed by signal N.
 *
 * The signal methods address the child itself, as Python's do; {@link Process.stop} stops the
 * child's whole process group, as cancelling its scope does, without failing anyone.
 */
export class Process {
  /** The child's pid; with `newSession` (the default) also the id of the process group it leads. */
  readonly pid: number;
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly args: string[] | string;
  #returncode: number | null = null;
  #signal: NodeJS.Signals | null = null;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number>;
  /**
   * The cancellable waits for the exit. Not reactions on {@link Process.#exited}: a promise cannot
   * drop one, so each wait cancelled before the exit (a `moveOnAfter(1000, () => proc.wait())`
   * loop) would keep its scope until the child exited, days later.
   */
  readonly #exitWaiters = new Set<(returncode: number) => void>();
  #stop: (() => Promise<void>) | undefined;
  readonly #spawnedAt: number;

  /** @internal Built by subvisor when a child has spawned; not constructed by users. */
  constructor(child: ChildProcess, args: readonly string[] | string, spawnedAt: number) {
    if (child.pid === undefined) throw new Error('Process: the child has no pid (it did not spawn)');
    this.pid = child.pid;
    this.args = typeof args === 'string' ? args : [...args];
    this.#child = child;
    this.#spawnedAt = spawnedAt;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#signal = signal;
        this.#returncode = code ?? -signalNumber(signal);
        resolve(this.#returncode);
        for (const waiter of this.#exitWaiters) waiter(this.#returncode);
        this.#exitWaiters.clear();
      });
    });
  }

  static {
    processInternals = {
      exited: (proc) => proc.#exited,
      onStop: (proc, stop) => {
        proc.#stop = stop;
      },
      abandon: (proc) => {
        proc.#child.stdin?.destroy();
        proc.#child.unref();
      },
      spawnedAt: (proc) => proc.#spawnedAt,
    };
  }

  /** The exit status; `null` while running; `-N` when killed by signal N; `0` when killed by a real-time signal (SIGRTMIN to SIGRTMAX), which Node reports as a clean exit. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /** The signal that killed the child, if one did; `null` for a real-time signal, which Node reports as a clean exit (see {@link returncode}). */
  get signal(): NodeJS.Signals | null {
    return this.#signal;
  }

  /**
   * Resolves with `returncode` when the child exits (not when its pipes close).
   *
   * A cancellation point, as in trio: when the enclosing scope (or `signal`) is cancelled first, it
   * rejects with the cancellation reason and leaves the child alone; stopping the child is the
   * business of whoever supervises it.
   *
   * @param signal - Also stops waiting when it aborts. Default: only the enclosing scope.
   */
  wait(signal?: AbortSignal): Promise<number> {
    const stops = [currentSignal(), validateSignal(signal, 'Process.wait')].filter((stop) => stop !== undefined);
    if (stops.length === 0 || this.#returncode !== null) return this.#exited;
    const aborted = stops.find((stop) => stop.aborted);
    if (aborted) return Promise.reject(aborted.reason as Error);
    return new Promise((resolve, reject) => {
      const onAbort = (event: Event): void => {
        settle();
        reject((event.target as AbortSignal).reason as Error);
      };
      const onExit = (returncode: number): void => {
        settle();
        resolve(returncode);
      };
      const settle = (): void => {
        for (const stop of stops) unfollowAbort(stop, onAbort, 'wait');
        this.#exitWaiters.delete(onExit);
      };
      // One listener on a signal however many waits it bounds (Node warns past 10).
      for (const stop of stops) followAbort(stop, onAbort, 'wait');
      this.#exitWaiters.add(onExit);
    });
  }

  /** `returncode` without waiting: `null` while the child runs. */
  poll(): number | null {
    return this.#returncode;
  }

  /**
   * Sends `sig` to the child. Does nothing once it has exited (its pid may belong to someone else by
   * then). Throws the system's error (`code: 'EPERM'`) when the child may not be signalled, because
   * it runs as another user now, as Python's `send_signal` raises it; a `RangeError` for a number
   * that is no signal, and a `TypeError` (`code: 'ERR_UNKNOWN_SIGNAL'`, as Node's) for a name that
   * is none, also once the child has exited.
   */
  sendSignal(sig: NodeJS.Signals | number): void {
    // kill(2) would say only EINVAL.
    if (typeof sig === 'number' && !(Number.isInteger(sig) && sig >= 0 && sig <= MAX_SIGNAL_NUMBER)) {
      throw outOfRange(`Process.sendSignal: ${sig} is not a signal number (0 to ${MAX_SIGNAL_NUMBER}); pass a name such as 'SIGTERM'`);
    }
    // Checked here, not by process.kill, so that a mistake is one whether or not the child still runs.
    if (typeof sig !== 'number' && !(typeof sig === 'string' && Object.hasOwn(node.os.constants.signals, sig))) {
      throw Object.assign(new TypeError(`Process.sendSignal: unknown signal ${describeSignal(sig)}; pass a name such as 'SIGTERM' (upper case) or a number`), { code: 'ERR_UNKNOWN_SIGNAL' as const });
    }
    if (this.#returncode !== null) return;
    // Not ChildProcess.kill, which turns that refusal into an 'error' event nobody hears.
    process.kill(this.pid, sig);
  }

  /** Sends SIGTERM to the child. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /** Sends SIGKILL to the child. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * Stops this child as cancellation would, without cancelling anything else: its process group
   * gets the stop signal (`stopSignal`, default SIGTERM, or `deliverCancel`), then SIGKILL once
   * `killGraceMs` has passed with anything left. The `superviseRunProcess` call that owns the child
   * resolves with a `CompletedProcess` whose `stopped` is true (a stop you asked for is neither a
   * failure nor a cancellation, and the child's siblings keep running), and this resolves once the
   * group is gone, its output drained, and that call has resolved. While a callback's promise
   * (`onLine`, an async logger) is still pending, the call waits for it, and this answers as soon
   * as the group is gone instead: the callback may be awaiting it.
   *
   * Calling it again, or after the child ended, resolves when the first stop is done. Called from
   * this child's own `deliverCancel`, it also sends the stop signal, the step that hook replaces. A stop that
   * comes after the child had exited on its own ended nothing: the call then judges that exit
   * (`stopped` false, and a `CalledProcessError` for a non-zero status). Rejects
   * with a `StopDeniedError` (and so does the call) when the system refuses the signal: the child
   * runs as another user now, and is left running.
   */
  stop(): Promise<void> {
    if (this.#stop) return this.#stop();
    // Not supervised (never the case for a Process subvisor hands out): the child alone.
    this.terminate();
    return this.#exited.then(noop);
  }
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return node.os.constants.signals[signal];
}

function noop(): void {
  // the exit status is not what stop() resolves with
}

function describeSignal(sig: unknown): string {
  return typeof sig === 'string' ? JSON.stringify(sig) : String(sig);
}
