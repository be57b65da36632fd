import { quoteCommand } from './command.js';

/** Fields of a {@link CompletedProcess}. */
export interface CompletedProcessInit {
  /** See {@link CompletedProcess.args}. */
  readonly args: readonly string[] | string;
  /** See {@link CompletedProcess.returncode}. */
  readonly returncode: number;
  /** See {@link CompletedProcess.signal}. */
  readonly signal: NodeJS.Signals | null;
  /** See {@link CompletedProcess.stdout}. */
  readonly stdout: Buffer | null;
  /** See {@link CompletedProcess.stderr}. */
  readonly stderr: Buffer | null;
  /** See {@link CompletedProcess.pid}. */
  readonly pid: number;
  /** See {@link CompletedProcess.durationMs}. */
  readonly durationMs: number;
  /** See {@link CompletedProcess.stopped}. */
  readonly stopped: boolean;
}

/**
 * How a child's life ended, as data: Python's `subprocess.CompletedProcess`, which
 * {@link runProcess} resolves with, and which `superviseRunProcess` resolves with once the child
 * it supervised is gone (as trio's `run_process` returns it at the end of `nursery.start()`).
 */
export class CompletedProcess {
  /** The command as it was given: the argv (a copy), or the string run by the shell. */
  readonly args: string[] | string;
  /**
   * The exit status; `-N` when the child was killed by signal N. A real-time signal (SIGRTMIN to
   * SIGRTMAX) reads as `0`: Node reports a child it killed as it does a clean exit.
   */
  readonly returncode: number;
  /** The signal that killed the child, if one did; `null` for a real-time one too, which Node does not name (see `returncode`). */
  readonly signal: NodeJS.Signals | null;
  /** The captured stdout, or `null` when it was not captured (never, for a supervised child). */
  readonly stdout: Buffer | null;
  /**
   * The captured stderr (runProcess), the tail of at most 16 KiB a supervised child's stderr left
   * (superviseRunProcess, when stderr was read), or `null`.
   */
  readonly stderr: Buffer | null;
  /** The child's pid (no longer its own once it is gone: the system may give it to another process). */
  readonly pid: number;
  /** From spawn to the child's exit, in milliseconds. */
  readonly durationMs: number;
  /** The argv quoted as a POSIX shell reads it, control characters made visible. */
  readonly command: string;
  /** True when `Process.stop()` ended the child: then `returncode` is what our stop caused. */
  readonly stopped: boolean;

  /** @internal Built by subvisor when a child is gone; not constructed by users. */
  constructor(init: CompletedProcessInit) {
    this.args = typeof init.args === 'string' ? init.args : [...init.args];
    this.returncode = init.returncode;
    this.signal = init.signal;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.pid = init.pid;
    this.durationMs = init.durationMs;
    this.command = quoteCommand(init.args);
    this.stopped = init.stopped;
  }
}
