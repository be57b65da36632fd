// subvisor up: a process with a log `ready` that closes its stdout and stderr and keeps running can
// never print its ready line. It fails as not ready (and is stopped) instead of leaving the run,
// and its dependents, waiting for ever. Before the fix each run here hung until the test's bound.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { isRunning, killQuietly } from '../../support/processes.js';
import { startCli, type CliRun } from '../cli.js';
import { config, linesOf } from './support.js';

/** The run to its end; one still going after `boundMs` is stopped (SIGTERM: it stops its processes) and fails the test. */
async function runToEnd(args: readonly string[], boundMs = 20_000): Promise<CliRun> {
  const cli = startCli(args);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), boundMs)));
  const first = await Promise.race([cli.done, bound]);
  clearTimeout(timer);
  if (first !== 'hung') return first;
  cli.kill('SIGTERM');
  const run = await cli.done;
  assert.fail(`the run was still going after ${boundMs} ms:\n${run.stdout}\n${run.stderr}`);
}

/** `web`, which prints, closes its output and sleeps on; it writes its pid (one line per start) to web.pid. */
function closingWeb(extra = ''): string {
  return `processes:
  web:
    cmd: "echo $$ >> web.pid; echo booting; echo warming up >&2; exec >/dev/null 2>&1; exec sleep 60"
    ready: "listening"${extra}
  api:
    cmd: "echo api up; exec sleep 60"
    dependsOn: { web: ready }
`;
}

function pidsOf(file: string): number[] {
  return readFileSync(join(dirname(file), 'web.pid'), 'utf8').trim().split('\n').map(Number);
}

test('a log-ready process that closes its stdout and stderr and keeps running fails as not ready; its dependent is not started, and nothing is left running', { timeout: 40_000 }, async () => {
  const file = config(closingWeb());
  let pids: number[] = [];
  try {
    const run = await runToEnd(['up', '-f', file]);
    pids = pidsOf(file);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const web = linesOf(run.stdout, 'web');
    assert.ok(web.includes('web * stopping (closed its stdout and stderr before it was ready): SIGTERM to its process group'), run.stdout);
    assert.ok(
      web.includes('web * closed its stdout and stderr before it was ready (no output line matched /listening/) and kept running; keep them open until it prints its ready line, or give it an http, tcp or exec ready probe'),
      run.stdout,
    );
    assert.ok(linesOf(run.stdout, 'api').includes('api * not started: web failed (output closed before it was ready)'), run.stdout);
    assert.doesNotMatch(run.stdout, /api \| api up/);
    assert.match(run.stderr, /^subvisor: web failed: closed its stdout and stderr before it was ready .*\(exit status 1\)$/m);
    assert.match(run.stderr, /\|_\.stderr of web \(last 1 line\):\n {4}warming up/);
    assert.equal(pids.length, 1);
    for (const pid of pids) assert.equal(isRunning(pid), false, `web (pid ${pid}) was left running`);
  } finally {
    killQuietly(...pids);
  }
});

test('--json: the failure is a ready one, with its own code', { timeout: 40_000 }, async () => {
  const file = config(closingWeb());
  let pids: number[] = [];
  try {
    const run = await runToEnd(['up', '--json', '-f', file]);
    pids = pidsOf(file);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const records = run.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const failed = records.find((record) => record.name === 'web' && record.event === 'failed');
    assert.equal(failed?.reason, 'ready', run.stdout);
    assert.equal(failed.code, 'ERR_SUBVISOR_OUTPUT_CLOSED_BEFORE_READY', run.stdout);
  } finally {
    killQuietly(...pids);
  }
});

test('its restart policy applies, as to any failure', { timeout: 40_000 }, async () => {
  const file = config(closingWeb('\n    restart: { policy: on-failure, max: 1, backoff: 50ms }'));
  let pids: number[] = [];
  try {
    const run = await runToEnd(['up', '-f', file]);
    pids = pidsOf(file);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^web \* restarting in 50 ms \(closed its stdout and stderr before it was ready .*; restart 1 of 1\)$/m);
    assert.equal(pids.length, 2, run.stdout);
    for (const pid of pids) assert.equal(isRunning(pid), false, `web (pid ${pid}) was left running`);
  } finally {
    killQuietly(...pids);
  }
});

test('run --ready (readiness optional) still waits for the exit of a command that closed its output', { timeout: 40_000 }, async () => {
  const run = await runToEnd(['run', '--ready', 'listening', '--', 'sh', '-c', 'echo booting; exec >/dev/null 2>&1; sleep 1; exit 0']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /exited with status 0 after .*, before it was ready$/m);
});

test('a task (whose exit 0 is its success) that closes its output before its ready line is still judged by its exit', { timeout: 40_000 }, async () => {
  const file = config(`processes:
  migrate:
    cmd: "echo migrating; exec >/dev/null 2>&1; sleep 1; exit 0"
    ready: "listening"
    task: true
  api:
    cmd: "echo api up"
    dependsOn: { migrate: succeeded }
    main: true
`);
  const run = await runToEnd(['up', '-f', file]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^api +\| api up$/m);
  assert.doesNotMatch(run.stdout, /closed its stdout and stderr/);
});
