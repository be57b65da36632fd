// The command line with a process the system refuses to stop (EPERM: it now runs as a user the CLI
// may not signal). Staged as root: the CLI runs without CAP_KILL, the process switches to uid
// 65534, as a non-root user's process does when it runs a setuid program. The refusal is one
// `failed` line, the status says the run did not end cleanly, and no stack trace: before, the
// CLI said `stopped`, then crashed on the uncaught refusal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRunning, killQuietly } from '../support/processes.js';
import { runCli, startCli } from './cli.js';

const WITHOUT_KILL = ['setpriv', '--bounding-set', '-kill', '--inh-caps', '-kill'];
const FOREIGN = "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo up; exec sleep 30'";
const BOUNDED = { timeout: 30_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-stop-denied-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** As anyone but root none of this can be staged (setpriv may not drop CAP_KILL): that is checked instead. */
function unlessStageable(): boolean {
  if (process.getuid?.() === 0) return false;
  assert.notEqual(spawnSync(WITHOUT_KILL[0] as string, [...WITHOUT_KILL.slice(1), 'true']).status, 0, 'setpriv dropped CAP_KILL without root: stage the tests below as this user too');
  return true;
}

/** The pid (and process group) of `name` from its `starting (pid N)` line. */
function pidOf(stdout: string, name: string): number {
  const match = new RegExp(`^${name} +\\* starting \\(pid (\\d+)\\)`, 'm').exec(stdout);
  assert.ok(match, `no starting line for ${name} in:\n${stdout}`);
  return Number(match[1]);
}

function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGKILL'); // root, CAP_KILL and all: the test's own cleanup
  } catch {
    // gone already
  }
  killQuietly(pgid);
}

describe('a process the system refuses to stop', () => {
  test('subvisor restart and stop: status 1 naming what was left running; restart starts no second copy', BOUNDED, async () => {
    if (unlessStageable()) return;
    const dir = mkdtempSync(join(scratch, 'control-'));
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  stuck:\n    cmd: ${JSON.stringify(FOREIGN)}\n  other:\n    cmd: sleep 30\n  user:\n    cmd: sleep 30\n    dependsOn: { stuck: started }\n`);
    const cli = startCli(['up'], { execVia: WITHOUT_KILL, cwd: dir });
    let pgid: number | undefined;
    try {
      await cli.waitForOutput(/^stuck +\| up$/m);
      pgid = pidOf(cli.stdoutSoFar(), 'stuck');
      const restart = await runCli(['restart', 'stuck'], { cwd: dir });
      assert.equal(restart.code, 1, restart.stdout + restart.stderr);
      assert.equal(restart.stderr, `subvisor: stuck could not be stopped: SIGTERM was refused (EPERM), as it or a process it started runs as another user now; left running: process group ${pgid}; nothing was started again\n`);
      assert.equal(cli.stdoutSoFar().match(/^stuck +\* starting/gm)?.length, 1, `one copy only:\n${cli.stdoutSoFar()}`);
      const afterRestart = JSON.parse((await runCli(['ps', '--json'], { cwd: dir })).stdout) as { name: string; state: string }[];
      assert.equal(afterRestart.find(({ name }) => name === 'user')?.state, 'stopped', 'the dependent the restart stopped is not started again: not shown waiting');
      const stop = await runCli(['stop', 'stuck'], { cwd: dir });
      assert.equal(stop.code, 1, stop.stdout + stop.stderr);
      assert.match(stop.stderr, new RegExp(`^subvisor: stuck could not be stopped: .*left running: process group ${pgid}\n$`));
      const ps = await runCli(['ps', '--json'], { cwd: dir });
      const rows = JSON.parse(ps.stdout) as { name: string; state: string }[];
      assert.equal(rows.find(({ name }) => name === 'stuck')?.state, `left running (process group ${pgid}): it could not be stopped`);
      assert.equal(rows.find(({ name }) => name === 'other')?.state, 'running', 'the rest of the run goes on');
      cli.kill('SIGINT');
      assert.equal((await cli.done).code, 130);
    } finally {
      cli.kill('SIGKILL');
      killGroup(pgid);
    }
  });

  test('a change to a watched path of such a process starts no second copy beside the one left running', BOUNDED, async () => {
    if (unlessStageable()) return;
    const dir = mkdtempSync(join(scratch, 'watch-'));
    writeFileSync(join(dir, 'src.txt'), 'one');
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  stuck:\n    cmd: ${JSON.stringify(FOREIGN)}\n    watch: { paths: [src.txt], debounce: 50ms }\n  other:\n    cmd: sleep 30\n`);
    const cli = startCli(['up'], { execVia: WITHOUT_KILL, cwd: dir });
    let pgid: number | undefined;
    try {
      await cli.waitForOutput(/^stuck +\| up$/m);
      pgid = pidOf(cli.stdoutSoFar(), 'stuck');
      writeFileSync(join(dir, 'src.txt'), 'two');
      await cli.waitForOutput(/^stuck +\* could not be stopped/m);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(cli.stdoutSoFar().match(/^stuck +\* starting \(pid/gm)?.length, 1, `one copy only:\n${cli.stdoutSoFar()}`);
      const groupLives = (group: number): boolean => {
        try {
          process.kill(-group, 0);
          return true;
        } catch {
          return false;
        }
      };
      assert.ok(groupLives(pgid), `the one left running still runs:\n${cli.stdoutSoFar()}`);
      cli.kill('SIGINT');
      await cli.done;
    } finally {
      cli.kill('SIGKILL');
      killGroup(pgid);
    }
  });

  test('run, then Ctrl-C: a `failed` line says it was left running, not `stopped`; status 130; no stack trace', BOUNDED, async () => {
    if (unlessStageable()) return;
    const cli = startCli(['run', '--', 'sh', '-c', FOREIGN], { execVia: WITHOUT_KILL, cwd: scratch });
    let pgid: number | undefined;
    try {
      await cli.waitForOutput(/\| up\n/);
      pgid = pidOf(cli.stdoutSoFar(), 'sh');
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stdout, new RegExp(`^sh +\\* could not be stopped: SIGTERM was refused \\(EPERM\\), .*left running: process group ${pgid}$`, 'm'));
      assert.doesNotMatch(run.stdout, /\* stopped$/m);
      assert.doesNotMatch(run.stderr, /\n\s+at |warning/, 'no stack trace, and no second telling as a library warning');
      assert.ok(isRunning(pgid) || spawnSync('pgrep', ['-g', String(pgid)]).status === 0, 'it was left running, as the line says');
    } finally {
      cli.kill('SIGKILL');
      killGroup(pgid);
    }
  });

  test('up: its main exits, the other cannot be stopped: status 1, the failed event has the fields, the summary says it was left running', BOUNDED, async () => {
    if (unlessStageable()) return;
    const file = join(scratch, 'subvisor.yaml');
    writeFileSync(file, `processes:\n  stuck:\n    cmd: ${JSON.stringify(FOREIGN)}\n    ready: { log: "^up$" }\n  main:\n    cmd: "true"\n    main: true\n    dependsOn: { stuck: ready }\n`);
    const cli = startCli(['up', '-f', file, '--json'], { execVia: WITHOUT_KILL, cwd: scratch });
    let pgid: number | undefined;
    try {
      const run = await cli.done;
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      pgid = records.find((record) => record.name === 'stuck' && record.event === 'starting')?.pid as number | undefined;
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const failed = records.find((record) => record.name === 'stuck' && record.event === 'failed');
      assert.ok(failed, run.stdout);
      assert.equal(failed.reason, 'stop');
      assert.equal(failed.code, 'ERR_SUBVISOR_STOP_DENIED');
      assert.equal(failed.pid, pgid);
      assert.equal(failed.group, true);
      assert.equal(failed.signal, 'SIGTERM');
      assert.ok(!records.some((record) => record.name === 'stuck' && record.event === 'stopped'), 'never said to be stopped');
      const summary = records.find((record) => record.event === 'summary') as { processes: { name: string; result: string }[] } | undefined;
      assert.match(summary?.processes.find(({ name }) => name === 'stuck')?.result ?? '', new RegExp(`could not be stopped: .*left running: process group ${pgid}$`));
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    } finally {
      cli.kill('SIGKILL');
      killGroup(pgid);
    }
  });
});
