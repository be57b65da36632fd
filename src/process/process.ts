import type { ChildProcess } from 'node:child_process';
import { node } from '../builtins.js';

/**
 * A running (or finished) child, as `superviseRunProcess` hands it up through `started()`.
 * Python's `subprocess.Popen` / `trio.Process` surface: `returncode` is `null` while it runs, the
 * exit status once it exited, and `-N` when it was killed by signal N.
 *
 * The signal methods address the child itself, as Python's do; stopping a supervised child's whole
 * process group is what cancelling its scope does.
 */
export class Process {
  readonly pid: number;
  readonly args: string[] | string;
  #returncode: number | null = null;
  #signal: NodeJS.Signals | null = null;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number>;

  /** @internal Built by subvisor when a child has spawned; not constructed by users. */
  constructor(child: ChildProcess, args: readonly string[] | string) {
    if (child.pid === undefined) throw new Error('Process: the child has no pid (it did not spawn)');
    this.pid = child.pid;
    this.args = typeof args === 'string' ? args : [...args];
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#signal = signal;
        this.#returncode = code ?? -signalNumber(signal);
        resolve(this.#returncode);
      });
    });
  }

  /** The exit status; `null` while running; `-N` when killed by signal N. */
  get returncode(): number | null {
    return this.#returncode;
  }

  /** The signal that killed the child, if one did. */
  get signal(): NodeJS.Signals | null {
    return this.#signal;
  }

  /** Resolves with `returncode` when the child exits (not when its pipes close). */
  wait(): Promise<number> {
    return this.#exited;
  }

  /** `returncode` without waiting: `null` while the child runs. */
  poll(): number | null {
    return this.#returncode;
  }

  /** Sends `sig` to the child. Does nothing once it has exited (its pid may belong to someone else by then). */
  sendSignal(sig: NodeJS.Signals | number): void {
    if (this.#returncode !== null) return;
    this.#child.kill(sig);
  }

  /** Sends SIGTERM to the child. */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /** Sends SIGKILL to the child. */
  kill(): void {
    this.sendSignal('SIGKILL');
  }
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return node.os.constants.signals[signal];
}
