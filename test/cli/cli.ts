import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The built binary, as a user runs it (`npm test` builds first). */
export const BIN = resolve('dist/cli/main.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly pid: number;
  /** What it has printed on stdout so far. */
  stdoutSoFar(): string;
  /** Resolves once `text` has appeared on stdout. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  readonly done: Promise<CliRun>;
  kill(signal: NodeJS.Signals): void;
}

/** How {@link startCli} runs it: where, with what added to the environment, as which user (and group). */
export interface CliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  /** A command that execs the rest of its argv (`setpriv …`): the CLI runs under it, with the same pid. */
  readonly execVia?: readonly string[];
}

/** Starts `subvisor ARGS` in `cwd` without a terminal (CI has none) and collects what it prints. */
export function startCli(args: readonly string[], opts: CliOptions = {}): RunningCli {
  const argv = [...(opts.execVia ?? []), process.execPath, BIN, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd,
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...waiters]) {
      if (waiter.test(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliRun>((resolveDone) => {
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid ?? -1,
    stdoutSoFar: () => stdout,
    done,
    kill: (signal) => void child.kill(signal),
    waitForOutput: (text, timeoutMs = 10_000) =>
      new Promise<void>((resolveWait, rejectWait) => {
        const test = (all: string): boolean => (typeof text === 'string' ? all.includes(text) : text.test(all));
        if (test(stdout)) {
          resolveWait();
          return;
        }
        const timer = setTimeout(() => rejectWait(new Error(`no ${String(text)} on stdout after ${timeoutMs} ms; got:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
        waiters.push({ test, resolve: () => (clearTimeout(timer), resolveWait()) });
      }),
  };
}

/** Runs `subvisor ARGS` to the end. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  return startCli(args, opts).done;
}

/**
 * {@link runCli} with at most `limit` CLIs running at once (default 4): a test's independent runs
 * start together, each as a slot frees, instead of one after another; each resolves as its own ends.
 */
export function cliPool(limit = 4): (args: readonly string[], opts?: CliOptions) => Promise<CliRun> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (args, opts) => {
    while (running >= limit) await new Promise<void>((resolveSlot) => waiting.push(resolveSlot));
    running++;
    try {
      return await runCli(args, opts);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
