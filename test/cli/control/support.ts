// Shared by the control socket's tests: a config in a fresh directory, a run of `up` there, and
// clients of it (the built CLI, or a raw connection speaking the protocol).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { killQuietly } from '../../support/processes.js';
import { runCli, startCli, type CliOptions, type CliRun, type RunningCli } from '../cli.js';

// Searchable by others (mkdtemp makes it 0700): the other-user test must meet the socket's own modes, not this.
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-control-'));
chmodSync(scratch, 0o755);
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

export const BOUNDED = { timeout: 60_000 };

/** `restarting in 19.7 s`, as `ps` shows a restart that waits out its backoff. */
export const RESTARTING = /^restarting in \d+\.\d s$/;

/** Writes `text(dir)` as subvisor.yaml into a fresh directory (0755); returns the directory. */
export function configDir(text: (dir: string) => string, name = `c${dirs++}`): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'subvisor.yaml'), text(dir));
  return dir;
}

export function socketOf(dir: string): string {
  return join(dir, '.subvisor', 'control.sock');
}

/**
 * `subvisor up ARGS` in `dir`, once it answers on its socket (`socket`, default the one beside the
 * config): a socket file alone may be a stale one of a killed run. `opts` as {@link startCli}'s.
 */
export async function up(dir: string, args: readonly string[] = [], socket = socketOf(dir), opts: Omit<CliOptions, 'cwd'> = {}): Promise<RunningCli> {
  const run = startCli(['up', ...args], { ...opts, cwd: dir });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (await answers(socket)) return run;
    if (Date.now() > deadline) {
      run.kill('SIGKILL');
      const ended = await run.done;
      throw new Error(`no run answered on ${socket} within 10 s\nstdout:\n${ended.stdout}\nstderr:\n${ended.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a run answers on `socket` now (a connection is taken). */
export async function answers(socket: string): Promise<boolean> {
  const connection = createConnection(socket);
  try {
    await once(connection, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    connection.destroy();
  }
}

/** Ends a run with Ctrl-C (SIGINT), kills what a failed test left, and returns how it ended. */
export async function interrupt(run: RunningCli, ...pids: (number | null | undefined)[]): Promise<CliRun> {
  run.kill('SIGINT');
  const timer = setTimeout(() => run.kill('SIGKILL'), 15_000);
  const ended = await run.done;
  clearTimeout(timer);
  assert.ok(ended.signal === null, `the run died of ${ended.signal}:\n${ended.stdout}\n${ended.stderr}`);
  killQuietly(...pids.map((pid) => pid ?? undefined));
  return ended;
}

/** A client command run to its end in `dir`. */
export function client(dir: string, args: readonly string[]): Promise<CliRun> {
  return runCli(args, { cwd: dir });
}

export interface Row {
  readonly name: string;
  readonly state: string;
  readonly pid: number | null;
  readonly uptimeMs: number | null;
  readonly restarts: number;
}

/** `ps --json`, parsed; fails the test when it does not succeed. */
export async function ps(dir: string): Promise<Row[]> {
  const run = await client(dir, ['ps', '--json']);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Row[];
}

export async function rowOf(dir: string, name: string): Promise<Row> {
  const row = (await ps(dir)).find((one) => one.name === name);
  assert.ok(row !== undefined, `no ${name} in ps`);
  return row;
}

/** Polls `ps` until `name` is in `state`. */
export async function waitForState(dir: string, name: string, state: string | RegExp, timeoutMs = 10_000): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await rowOf(dir, name);
    if (typeof state === 'string' ? row.state === state : state.test(row.state)) return row;
    if (Date.now() > deadline) throw new Error(`${name} is '${row.state}', not '${String(state)}', after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A raw connection to the run's socket: `send` writes bytes, `next` resolves with the next reply
 * object, `closed` once the run closed the connection.
 */
export async function rawConnection(path: string): Promise<{ send: (text: string | Buffer) => void; next: () => Promise<Record<string, unknown>>; closed: Promise<void>; destroy: () => void; end: () => void }> {
  const socket = createConnection(path);
  await once(socket, 'connect');
  let buffered = '';
  const replies: Record<string, unknown>[] = [];
  const waiters: ((reply: Record<string, unknown>) => void)[] = [];
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      const reply = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter === undefined) replies.push(reply);
      else waiter(reply);
    }
  });
  socket.on('error', () => {}); // a write after the run closed it: the test looks at `closed`
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    send: (text) => void socket.write(text),
    next: () => {
      const ready = replies.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply within 10 s')), 10_000);
        waiters.push((reply) => (clearTimeout(timer), resolve(reply)));
      });
    },
    closed,
    destroy: () => socket.destroy(),
    /** Ends what this side sends (a half-close, as `nc -N` does at its input's end), still reading. */
    end: () => void socket.end(),
  };
}

/** The index of the first line of `text` that matches; fails the test when none does. */
export function lineIndex(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no line matches ${String(pattern)} in:\n${text}`);
  return index;
}

/** Polls the async `condition` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitUntilAsync(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
