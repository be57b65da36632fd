import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killQuietly, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';

const JOB = resolve('test/cli/fixtures/terminal-job.mjs');

/**
 * Who hears of it when the terminal goes away:
 * - `shell`: the CLI is the foreground job of an interactive bash, which gets the kernel's SIGHUP
 *   and passes it on, as in a tmux pane or over ssh;
 * - `nobody`: the CLI runs in a session of its own, so neither the kernel (which signals only the
 *   terminal's own session) nor the shell sends it anything; its output still goes to the terminal.
 */
export type Hangup = 'shell' | 'nobody';

export interface TerminalJob {
  /** The scratch directory: the job's files, and the children's (they write their pids here). */
  readonly dir: string;
  /** The CLI's pid, once it has started. */
  cliPid(): Promise<number>;
  /** Waits for `file` in `dir` (a child's pid file): proof it started. */
  waitForFile(file: string, timeoutMs?: number): Promise<void>;
  /** The pid a child wrote to `file` in `dir`. */
  pidIn(file: string): number;
  /** Types `keys` on the terminal, as tmux's send-keys names them (`C-s`, `C-c`). */
  sendKeys(...keys: string[]): void;
  /** The terminal's device (`/dev/pts/N`), as the CLI opens it. */
  tty(): string;
  /**
   * Whether the terminal takes no output (paused with Ctrl-S): a NUL (which shows nothing) written
   * to it without waiting is refused. Asked of the terminal itself, not of what it shows.
   */
  paused(): boolean;
  /** What the terminal shows, its scrollback included, as text. */
  screen(): string;
  /** Ends the terminal: the tmux server goes, and with it the pane's pseudo-terminal (its master is closed). */
  closeTerminal(): void;
  /** How the CLI ended, as the process waiting for it saw it. */
  ended(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the CLI wrote to stderr (when it went to a file). */
  stderr(): string;
  /** What the CLI wrote to stdout (when it went to a file). */
  stdout(): string;
  /** Kills whatever a failed test left, the terminal first; removes `dir`. */
  dispose(pids: readonly number[]): void;
}

/**
 * Runs `subvisor ARGS` (the built CLI) on a real pseudo-terminal: a tmux pane on a server of its own
 * (`tmux -L`, no config), running `bash -i`, which runs test/cli/fixtures/terminal-job.mjs, which
 * runs the CLI on the pane's terminal and records how it ends, all in a fresh directory holding
 * `files`. `stderrToFile` sends the CLI's stderr to a file instead, so a stack trace cannot vanish
 * into the closed terminal; `stdoutToFile` its stdout (`up > file`). `keepTerminal` keeps the terminal once the job has ended, the shell
 * saying `job ended` on it then (what the CLI left unfinished on a line shows before it).
 */
export function startOnTerminal(args: readonly string[], opts: { hangup: Hangup; stderrToFile: boolean; stdoutToFile?: boolean; files?: Record<string, string>; keepTerminal?: boolean }): TerminalJob {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-tty-'));
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const socket = `subvisor-test-${process.pid}-${dir.slice(-6)}`;
  const stderrFile = join(dir, 'cli.stderr');
  const stdoutFile = join(dir, 'cli.stdout');
  const tmux = (...tmuxArgs: string[]): ReturnType<typeof spawnSync> =>
    spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...tmuxArgs], { encoding: 'utf8', timeout: 10_000 });
  // fd 3 carries the terminal to the job; its own stdio is /dev/null (see the fixture). The
  // `; true` keeps bash from exec'ing the job in its place: bash is the shell being tested.
  const script = `"$@" 3<&0 </dev/null >/dev/null 2>&1; ${opts.keepTerminal === true ? 'echo job ended; sleep 60' : 'true'}`;
  const job = [process.execPath, JOB, dir, opts.hangup === 'shell' ? 'job' : 'session', opts.stderrToFile ? stderrFile : '-', opts.stdoutToFile === true ? stdoutFile : '-', '--', process.execPath, BIN, ...args];
  const started = spawnSync(
    'tmux',
    ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '50', '-c', dir, 'bash', '--norc', '--noprofile', '-i', '-c', script, 'bash', ...job],
    // The watchdog off: what is proven is the CLI's own stop, not the safety net behind it.
    { encoding: 'utf8', timeout: 10_000, env: { ...process.env, SUBVISOR_WATCHDOG: '0', HISTFILE: '/dev/null', NO_COLOR: '1', FORCE_COLOR: undefined } },
  );
  if (started.status !== 0) {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
    // These tests need tmux (and bash) to give the CLI a terminal that can be taken away.
    throw new Error(`tmux new-session failed (${started.error?.message ?? `status ${String(started.status)}`}): ${started.stderr}`);
  }
  const file = (name: string): string => join(dir, name);
  const tty = (): string => String(tmux('display-message', '-p', '#{pane_tty}').stdout).trim();
  const waitForFile = (name: string, timeoutMs = 10_000): Promise<void> => waitUntil(() => existsSync(file(name)) && readFileSync(file(name), 'utf8').trim() !== '', `${name} in ${dir}`, timeoutMs);
  const pidIn = (name: string): number => Number(readFileSync(file(name), 'utf8').trim());
  return {
    dir,
    cliPid: async () => {
      await waitForFile('cli.pid');
      return pidIn('cli.pid');
    },
    waitForFile,
    pidIn,
    sendKeys: (...keys) => void tmux('send-keys', ...keys),
    tty,
    paused: () => {
      const fd = openSync(tty(), constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      try {
        writeSync(fd, '\0');
        return false;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return true;
        throw error;
      } finally {
        closeSync(fd);
      }
    },
    screen: () => String(tmux('capture-pane', '-p', '-J', '-S', '-').stdout),
    closeTerminal: () => void tmux('kill-server'),
    ended: async (timeoutMs = 15_000) => {
      await waitForFile('cli.json', timeoutMs);
      return JSON.parse(readFileSync(file('cli.json'), 'utf8')) as { code: number | null; signal: NodeJS.Signals | null };
    },
    stderr: () => (existsSync(stderrFile) ? readFileSync(stderrFile, 'utf8') : ''),
    stdout: () => (existsSync(stdoutFile) ? readFileSync(stdoutFile, 'utf8') : ''),
    dispose: (pids) => {
      tmux('kill-server');
      killQuietly(...pids);
      // A job killed just now may still write its end (cli.json) into dir: rm retries on
      // ENOTEMPTY, which otherwise replaced a failed test's own error with its own.
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
