// Shared by the tests of `subvisor up`'s watch mode (up-*.test.ts): fresh projects in a scratch
// directory, the run of `up` there, and reading its pids and state lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { killQuietly, waitUntil } from '../../support/processes.js';
import { runCli, startCli, type CliRun, type RunningCli } from '../cli.js';

export const scratch = mkdtempSync(join(tmpdir(), 'subvisor-watch-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let projects = 0;
export const BOUNDED = { timeout: 30_000 };
export const PYTHON = '/usr/bin/python3';

/** A fresh directory holding subvisor.yaml and `files` (path → content). */
export function project(yaml: string, files: Record<string, string> = {}): string {
  const dir = join(scratch, `p${projects++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'subvisor.yaml'), yaml);
  for (const [path, content] of Object.entries(files)) write(dir, path, content);
  return dir;
}

export function write(dir: string, path: string, content = `${Date.now()}\n`): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
}

/** Every match of `pattern` (global, multiline) in `text`. */
export function all(text: string, pattern: RegExp): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}

/** The pids of `name`'s starts, from its `starting (pid N)` state lines, in order. */
export function pids(cli: RunningCli, name: string): number[] {
  return all(cli.stdoutSoFar(), new RegExp(`^${name} +\\* starting \\(pid (\\d+)\\)`, 'gm')).map((match) => Number(match[1]));
}

/** Waits until `name` has started `count` times; returns the pid of that start. */
export async function nthPid(cli: RunningCli, name: string, count: number): Promise<number> {
  await waitUntil(() => pids(cli, name).length >= count, `${name} to print its pid ${count} times`, 10_000).catch((error: unknown) => {
    throw new Error(`${String(error)}; got:\n${cli.stdoutSoFar()}`);
  });
  const pid = pids(cli, name)[count - 1];
  assert.ok(pid !== undefined);
  return pid;
}

/**
 * Saves `src/app.ts` while what depends on db waits for it, waits until the restart lane has dealt
 * with the change (its config's `sib` watches `src` and `own` and goes first in the lane: its third
 * start comes after whatever the lane held for the others), then lets db start (`go`).
 */
export async function saveWhileWaitingForDb(cli: RunningCli, dir: string): Promise<void> {
  write(dir, 'src/app.ts', 'v2');
  await nthPid(cli, 'sib', 2);
  write(dir, 'own/x', '2');
  await nthPid(cli, 'sib', 3);
  write(dir, 'go', '');
}

/** Runs `command ARGS` in `cwd` to its end; resolves with its exit status. */
export async function runProcess(command: string, args: readonly string[], cwd: string): Promise<number | null> {
  const child = spawn(command, args, { cwd, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** The run's end, which must come within 5 s; `failure` says what did not end it otherwise. */
export async function endsSoon(cli: RunningCli, failure: string): Promise<CliRun> {
  const run = await Promise.race([cli.done, sleep(5000).then(() => undefined)]);
  assert.ok(run !== undefined, `${failure}:\n${cli.stdoutSoFar()}`);
  return run;
}

/** The first Ctrl-C: the run must end promptly (watches closed), with 130. */
export async function interrupt(cli: RunningCli): Promise<CliRun> {
  cli.kill('SIGINT');
  const run = await endsSoon(cli, 'the run did not end within 5 s of Ctrl-C');
  assert.equal(run.code, 130, run.stderr);
  return run;
}

/** Runs `body` with the CLI (`up ARGS`) started in `dir`; whatever happens, nothing is left running. */
export async function withUp(dir: string, body: (cli: RunningCli) => Promise<void>, args: readonly string[] = []): Promise<void> {
  const cli = startCli(['up', ...args], { cwd: dir });
  try {
    await body(cli);
  } finally {
    // The pids of text lines and of --json records alike.
    killQuietly(cli.pid, ...all(cli.stdoutSoFar(), /starting \(pid (\d+)\)/g).map((match) => Number(match[1])));
    await Promise.race([cli.done, sleep(5000)]);
  }
}

export const server = `processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [src], debounce: 150ms }
`;

/** A control command (`stop web.1`) run against the `up` in `dir`; fails the test unless it succeeds. */
export async function control(dir: string, args: readonly string[]): Promise<void> {
  const run = await runCli(args, { cwd: dir });
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
}
