// The control commands of SPEC §10 against a real run: `ps`, `restart`, `stop`, `start`, `logs`,
// each the built CLI talking to a `subvisor up` of real processes over its socket.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, waitUntil } from '../../support/processes.js';
import { BIN, runCli, startCli, type RunningCli } from '../cli.js';
import { PROTOCOL_VERSION } from '../../../src/cli/control/protocol.js';
import { BOUNDED, client, configDir, interrupt, lineIndex, ps, rawConnection, rowOf, socketOf, up, waitForState } from './support.js';

/** `restarting in 19.7 s`, as `ps` shows a restart that waits out its backoff. */
const RESTARTING = /^restarting in \d+\.\d s$/;

/**
 * A run whose `main` (e2e) has just crashed (status 4) while what it left (a 3 s sleep) still holds
 * its output: the crash is seen, and judged only once the sleep lets go; its restart policy
 * (on-failure, a 20 s backoff) would then retry it.
 */
async function mainCrashedInItsDrain(): Promise<{ dir: string; run: RunningCli }> {
  const dir = configDir(
    () => `processes:
  e2e: { cmd: "while [ ! -e go ]; do sleep 0.02; done; rm go; (exec sleep 3) & echo failing; exit 4", main: true, restart: { policy: on-failure, backoff: 20s } }
`,
  );
  const run = await up(dir);
  try {
    await waitForState(dir, 'e2e', 'running');
    writeFileSync(join(dir, 'go'), '');
    await run.waitForOutput(/^e2e \| failing$/m);
  } catch (error) {
    await interrupt(run);
    throw error;
  }
  return { dir, run };
}

/** `subvisor ARGS` run in `dir` to its end, failing the test (and killing it) if it has not ended within `ms`. */
function answeredWithin(dir: string, args: readonly string[], ms: number): Promise<Awaited<ReturnType<typeof client>>> {
  return endedWithin(startCli(args, { cwd: dir }), args, ms);
}

/** `asked` (the CLI run with `args`) run to its end, failing the test (and killing it) if it has not ended within `ms`. */
async function endedWithin(asked: RunningCli, args: readonly string[], ms: number): Promise<Awaited<ReturnType<typeof client>>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  const answer = await Promise.race([asked.done, late]);
  clearTimeout(timer);
  if (answer !== undefined) return answer;
  asked.kill('SIGKILL');
  await asked.done;
  assert.fail(`subvisor ${args.join(' ')} did not answer within ${ms} ms`);
}

function secondsLeft(state: string): number {
  assert.match(state, RESTARTING);
  return Number(/[\d.]+/.exec(state)?.[0]);
}

describe('ps', () => {
  test('ps and ps --json show each state in the words of SPEC §10; the socket is owner-only and removed at the end', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  worker: { cmd: "exec sleep 30" }
  gate: { cmd: "while [ ! -f ${dir}/go ]; do sleep 0.05; done; echo open; exec sleep 30", ready: "open" }
  web: { cmd: "exec sleep 30", dependsOn: [gate] }
  once: { cmd: "exit 0", task: true }
  flaky: { cmd: "exit 3", restart: { policy: on-failure, max: 5, backoff: 50s, maxBackoff: 60s } }
`,
    );
    const run = await up(dir);
    let rows: Awaited<ReturnType<typeof ps>> = [];
    try {
      const firstCountdown = secondsLeft((await waitForState(dir, 'flaky', RESTARTING)).state);
      await waitForState(dir, 'once', 'exited 0');
      await waitForState(dir, 'db', 'ready');
      await waitForState(dir, 'worker', 'running');
      await sleep(300); // for the countdown to move
      rows = await ps(dir);
      const { flaky: flakyState, ...states } = Object.fromEntries(rows.map((row) => [row.name, row.state]));
      assert.deepEqual(states, { db: 'ready', worker: 'running', gate: 'starting', web: 'not started: waiting for gate', once: 'exited 0' });
      // `restarting in D` counts down to the restart: what is left of the 50 s backoff. (Of 20 s,
      // the ps calls between took 5.5 s on a loaded machine: 13.1 s left, and the bound of 15 failed.)
      const laterCountdown = secondsLeft(flakyState ?? '');
      assert.ok(laterCountdown <= firstCountdown - 0.2 && laterCountdown >= 25, `${flakyState} after ${firstCountdown} s`);
      const byName = new Map(rows.map((row) => [row.name, row]));
      assert.deepEqual(Object.keys(byName.get('db') ?? {}), ['name', 'state', 'pid', 'uptimeMs', 'restarts']);
      assert.ok(typeof byName.get('db')?.pid === 'number' && (byName.get('db')?.uptimeMs ?? -1) >= 0);
      assert.equal(byName.get('web')?.pid, null, 'no pid before it started');
      assert.equal(byName.get('web')?.uptimeMs, null);
      assert.equal(byName.get('flaky')?.restarts, 1);

      const human = await client(dir, ['ps']);
      assert.equal(human.code, 0, human.stderr);
      const lines = human.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^NAME +STATE +PID +UPTIME +RESTARTS$/);
      assert.match(human.stdout, new RegExp(`^db +ready +${byName.get('db')?.pid} +[\\d.]+ m?s +0$`, 'm'));
      assert.match(human.stdout, /^web +not started: waiting for gate +- +- +0$/m);
      assert.match(human.stdout, /^flaky +restarting in [1-4]\d\.\d s +- +- +1$/m);

      // Stopped by hand while it waited to start: `stopped`, not `not started: the run ended first`.
      assert.equal((await client(dir, ['stop', 'web'])).code, 0);
      assert.equal((await rowOf(dir, 'web')).state, 'stopped');
      // Stopped while it waited out its backoff: nothing to signal, and the line says so.
      assert.equal((await client(dir, ['stop', 'flaky'])).code, 0);
      assert.equal((await rowOf(dir, 'flaky')).state, 'stopped');
      await run.waitForOutput(/^flaky +\* stopped while waiting to restart$/m);
      assert.doesNotMatch(run.stdoutSoFar(), /^flaky +\* stopping/m);

      assert.equal(statSync(join(dir, '.subvisor')).mode & 0o777, 0o700);
      assert.equal(statSync(socketOf(dir)).mode & 0o777, 0o600);
      assert.ok(statSync(socketOf(dir)).isSocket());
    } finally {
      const ended = await interrupt(run, ...rows.map((row) => row.pid));
      assert.equal(ended.code, 130, ended.stderr);
    }
    assert.equal(existsSync(socketOf(dir)), false, 'the socket is removed when the run ends');
  });

  test('a state that repeats a child\'s words (a liveness probe\'s last output) is shown as text: no control sequence reaches the terminal', BOUNDED, async () => {
    // A task whose only dependent waits for it to complete: its liveness failure ends nothing, and stays its state.
    const dir = configDir(
      () => `processes:
  t:
    cmd: "exec sleep 30"
    task: true
    liveness: { exec: "printf 'bad \\\\033]0;PWNED\\\\007 \\\\302\\\\233 2J'; exit 1", interval: 100ms, failures: 1 }
  x: { cmd: "exec sleep 30", dependsOn: { t: completed } }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'x', 'running');
      const human = await client(dir, ['ps']);
      assert.match(human.stdout, /^t +failed its liveness probe 1 time in a row \(last: bad \\x1b\]0;PWNED\\x07 \\x9b 2J \(exit status 1\)\) +- +- +0$/m, human.stdout);
      const json = await client(dir, ['ps', '--json']);
      assert.ok(!Array.from(json.stdout.trimEnd(), (char) => char.charCodeAt(0)).some((code) => code < 0x20 || (code >= 0x7f && code <= 0x9f)), 'no raw control character in the JSON');
      const rows = JSON.parse(json.stdout) as { name: string; state: string }[];
      assert.equal(rows.find(({ name }) => name === 't')?.state, 'failed its liveness probe 1 time in a row (last: bad \u001b]0;PWNED\u0007 \u009b 2J (exit status 1))', 'the data itself is kept');
    } finally {
      await interrupt(run);
    }
  });

  test('ps NAME...: only the processes named (a replicated one by its own name, for every copy), as docker compose ps SERVICE; an unknown name is a usage error (2), for each command that takes names, as up\'s is', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  db: { cmd: "exec sleep 30" }\n  web: { cmd: "exec sleep 30", replicas: 2 }\n  worker: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'worker', 'running');
      const json = await client(dir, ['ps', '--json', 'web', 'db']);
      assert.equal(json.code, 0, json.stderr);
      // In the run's order, whatever the order asked in.
      assert.deepEqual((JSON.parse(json.stdout) as { name: string }[]).map((row) => row.name), ['db', 'web.1', 'web.2']);
      const table = await client(dir, ['ps', 'worker']);
      assert.equal(table.code, 0, table.stderr);
      assert.deepEqual(table.stdout.trim().split('\n').map((line) => line.split(/ +/)[0]), ['NAME', 'worker']);
      for (const command of ['ps', 'restart', 'stop', 'start', 'logs']) {
        const unknown = await client(dir, [command, 'wrk']);
        // 2, as `up wrk` and any usage mistake: a script tells a typo from a process that failed (1).
        assert.equal(unknown.code, 2, command);
        assert.equal(unknown.stderr, "subvisor: no process named 'wrk' in this run (it has db, web.1, web.2, worker); did you mean 'worker'?\n", command);
      }
      assert.equal((await client(dir, ['ps', '--json', 'wrk'])).code, 2);
      // A replicated process is guessed by the name that stands for its every copy.
      assert.match((await client(dir, ['stop', 'wbe'])).stderr, /; did you mean 'web'\?\n$/);
      // The control: without names, every process.
      assert.equal((await ps(dir)).length, 4);
    } finally {
      await interrupt(run);
    }
  });

  test("a Procfile's process of one copy is named by foreman's name for it too (worker.1, its PS), as a copy of a replicated one is", BOUNDED, async () => {
    const dir = configDir(() => '');
    rmSync(join(dir, 'subvisor.yaml'));
    writeFileSync(join(dir, 'Procfile'), 'web: exec sleep 30\nworker: echo "I am $PS"; exec sleep 30\n');
    const run = await up(dir, ['web=2', 'worker=1']);
    try {
      await waitForState(dir, 'worker', 'running');
      await run.waitForOutput(/worker +\| I am worker\.1/);
      const named = await client(dir, ['ps', '--json', 'worker.1', 'web.2']);
      assert.equal(named.code, 0, named.stderr);
      assert.deepEqual((JSON.parse(named.stdout) as { name: string }[]).map((row) => row.name), ['web.2', 'worker']);
      // The control: web has copies, so web.3 is no name of it.
      const unknown = await client(dir, ['ps', 'web.3']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no process named 'web\.3' in this run \(it has web\.1, web\.2, worker\)/);
    } finally {
      await interrupt(run);
    }
  });

  test('no run listening: ps says so and exits 1', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const result = await client(dir, ['ps']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `subvisor: no run is listening on ${socketOf(dir)}: start one with \`subvisor up\`, or reach a run started with --socket PATH by the same --socket PATH\n`);
  });

  test('a config file given that is not there is said to be missing (status 2), not taken for a run that is not listening', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    for (const args of [['ps', '-f', 'typo/subvisor.yaml'], ['stop', 'a', '--file', 'typo/subvisor.yaml'], ['logs', '--file', 'typo/subvisor.yaml']]) {
      const result = await client(dir, args);
      assert.equal(result.code, 2, args.join(' '));
      // The advice is an option every one of them reads as the config: `logs -f FILE` would follow
      // the run and look for a process named FILE.
      assert.equal(result.stderr, 'subvisor: typo/subvisor.yaml: cannot read the config file: no such file; pass the right one with --file FILE (subvisor.yaml or a Procfile)\n');
    }
  });

  test('an answer its output cannot take ends the command (logs -f too) as it ends cat: status 1 on a full disk, 141 when the reader has gone', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "seq 1 3; exec sleep 30" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      await run.waitForOutput('a | 3\n');
      for (const command of ['ps', 'ps --json', 'logs -n 5', 'logs -f', 'export systemd', 'export compose', '--help', 'ps --help', '--version']) {
        const full = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${command} > /dev/full`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
        assert.equal(full.status, 1, `${command}: ${full.stderr}`);
        assert.match(full.stderr, /^subvisor: cannot write to stdout: ENOSPC: no space left on device, write; stopping with status 1$/m, command);
        assert.doesNotMatch(full.stderr, /Unhandled|internal error|\n {4}at /, command);
      }
      for (const command of [['ps', '--json'], ['export', 'compose'], ['--version']]) {
        // The reader end is closed before the command has started: its first write meets EPIPE.
        const gone = spawn(process.execPath, [BIN, ...command], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        gone.stdout.destroy();
        let stderr = '';
        gone.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const [code, signal] = (await once(gone, 'close')) as [number | null, NodeJS.Signals | null];
        assert.deepEqual({ code, signal }, { code: 141, signal: null }, `${command.join(' ')}: ${stderr}`);
        assert.doesNotMatch(stderr, /Unhandled|internal error|\n {4}at /, command.join(' '));
      }
    } finally {
      await interrupt(run);
    }
  });

  test('a message its stderr cannot take ends the command as SIGPIPE would (141), not with an uncaught EPIPE', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    // No run listens here: ps and stop fail, and say so on stderr, as do the usage mistakes and the probe.
    for (const command of [['ps'], ['stop', 'a'], ['frobnicate'], ['run'], [], ['probe', '--tcp', '127.0.0.1:1', '--timeout', '200ms']]) {
      const gone = spawn(process.execPath, [BIN, ...command], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      gone.stderr.destroy();
      let stdout = '';
      gone.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const [code, signal] = (await once(gone, 'close')) as [number | null, NodeJS.Signals | null];
      assert.deepEqual({ code, signal, stdout }, { code: 141, signal: null, stdout: '' }, command.join(' '));
    }
  });
});

describe('restart', () => {
  test('restart of a process that ignores SIGTERM: its whole group is killed after its grace, then a new one is ready when the client returns', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  stubborn:
    cmd: "trap '' TERM; sleep 30 & echo child $!; echo up; while :; do sleep 0.05; done"
    ready: "up"
    grace: 400ms
`,
    );
    const run = await up(dir);
    let before: Awaited<ReturnType<typeof rowOf>> | undefined;
    let grandchild: number | undefined;
    let after: Awaited<ReturnType<typeof rowOf>> | undefined;
    try {
      before = await waitForState(dir, 'stubborn', 'ready');
      await run.waitForOutput(/child \d+/);
      grandchild = Number(/child (\d+)/.exec(run.stdoutSoFar())?.[1]);
      assert.ok(isRunning(grandchild));
      const began = performance.now();
      const restarted = await client(dir, ['restart', 'stubborn']);
      assert.equal(restarted.code, 0, restarted.stderr);
      assert.ok(performance.now() - began >= 380, 'the grace was waited out before SIGKILL');
      after = await rowOf(dir, 'stubborn');
      assert.equal(after.state, 'ready', 'ready by the time the client returned');
      assert.notEqual(after.pid, before.pid);
      assert.equal(isRunning(before.pid ?? -1), false, 'the old process is gone');
      assert.equal(isRunning(grandchild), false, 'and everything in its group');
      assert.equal(after.restarts, 0, 'a manual restart is not a restart of the policy');
      assert.match(run.stdoutSoFar(), /^stubborn \* stopping \(subvisor restart\): SIGTERM to its process group$/m);
    } finally {
      await interrupt(run, before?.pid, grandchild, after?.pid);
    }
  });

  test('restart of a process others depend on: they stop first, it restarts, then they start again in order; the client returns once all are ready', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up" }
  api: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up", dependsOn: [db] }
  web: { cmd: "sleep 0.3; echo up; exec sleep 30", ready: "up", dependsOn: [api] }
  other: { cmd: "exec sleep 30" }
`,
    );
    const run = await up(dir);
    let before: Awaited<ReturnType<typeof ps>> = [];
    let after: Awaited<ReturnType<typeof ps>> = [];
    try {
      await waitForState(dir, 'web', 'ready');
      before = await ps(dir);
      const mark = run.stdoutSoFar().length;
      const restarted = await client(dir, ['restart', 'db']);
      assert.equal(restarted.code, 0, restarted.stderr);
      after = await ps(dir);
      const pidOf = (rows: typeof before, name: string): number | null | undefined => rows.find((row) => row.name === name)?.pid;
      for (const name of ['db', 'api', 'web']) {
        assert.equal(after.find((row) => row.name === name)?.state, 'ready', `${name} is ready when the client returns`);
        assert.notEqual(pidOf(after, name), pidOf(before, name), `${name} is a new process`);
      }
      assert.equal(pidOf(after, 'other'), pidOf(before, 'other'), 'what does not depend on db is left alone');
      const out = run.stdoutSoFar().slice(mark);
      const at = (pattern: RegExp): number => lineIndex(out, pattern);
      assert.ok(at(/^web +\* stopped$/) < at(/^api +\* stopping \(subvisor restart\): SIGTERM to its process group$/), 'web stopped before api');
      assert.ok(at(/^api +\* stopped$/) < at(/^db +\* stopping \(subvisor restart\): SIGTERM to its process group$/), 'api stopped before db');
      assert.ok(at(/^db +\* ready after/) < at(/^api +\* starting \(pid/), 'api started once db was ready');
      assert.ok(at(/^api +\* ready after/) < at(/^web +\* starting \(pid/), 'web started once api was ready');
    } finally {
      await interrupt(run, ...before.map((row) => row.pid), ...after.map((row) => row.pid));
    }
  });

  test('while a restart stops what it restarts, a dependent already stopped shows it waits for the restarted one, not `stopped`', BOUNDED, async () => {
    // db's stop lasts until the test lets it go: web's state is read while it surely waits. (A stop
    // of 1.5 s was the window before: on a loaded machine ps came after it, and web was `starting`.)
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "trap 'while [ ! -f ${dir}/release ]; do sleep 0.05; done; exit 0' TERM; echo up; while :; do sleep 0.05; done", ready: "up", grace: 50s }
  web: { cmd: "echo up; exec sleep 30", ready: "up", dependsOn: [db] }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'web', 'ready');
      pids.push(...(await ps(dir)).map((row) => row.pid));
      const restarted = client(dir, ['restart', 'db']);
      await waitForState(dir, 'db', 'stopping');
      assert.equal((await rowOf(dir, 'web')).state, 'not started: waiting for db', 'SPEC §10 keeps `stopped` for `subvisor stop`');
      writeFileSync(join(dir, 'release'), '');
      assert.equal((await restarted).code, 0);
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['ready', 'ready']);
      pids.push(...(await ps(dir)).map((row) => row.pid));
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await interrupt(run, ...pids);
    }
  });

  test('a subvisor stop while a process is stopped for not being ready leaves it `stopped`, and the run goes on', BOUNDED, async () => {
    // web outlives its stop signal until the test lets it go, once the stop by hand has reached the
    // run: before, a grace of 1.5 s was the window, a loaded machine's client came after it, web's
    // failure had ended the run, and no run was listening.
    const dir = configDir(
      (dir) => `processes:
  web: { cmd: "trap '' TERM; while [ ! -f ${dir}/release ]; do sleep 0.05; done", ready: { exec: "false", interval: 50ms }, readyTimeout: 300ms, grace: 50s }
  other: { cmd: "exec sleep 30" }
`,
    );
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push(...(await ps(dir)).map((row) => row.pid));
      await waitForState(dir, 'web', 'stopping');
      // The run begins a connection's requests in order: once ps is answered, the stop has begun.
      const connection = await rawConnection(socketOf(dir));
      connection.send(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, command: 'stop', names: ['web'] })}\n${JSON.stringify({ v: PROTOCOL_VERSION, id: 2, command: 'ps' })}\n`);
      assert.equal((await connection.next()).id, 2);
      writeFileSync(join(dir, 'release'), '');
      assert.deepEqual(await connection.next(), { v: PROTOCOL_VERSION, id: 1, ok: true });
      connection.destroy();
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['stopped', 'running'], 'SPEC §10: stopped by subvisor stop; the run goes on');
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await interrupt(run, ...pids);
    }
  });

  test('restarts of one process asked at the same time leave one process, not one per request', BOUNDED, async () => {
    // The sleep's seconds are this test process's own: the sleepers are looked for (and killed
    // at the end) by their command line, and another copy of this file on the machine must
    // neither count among them nor lose its process to this one's clean-up (its run then ended).
    const seconds = `31.${process.pid}`;
    const dir = configDir(() => `processes:\n  a: { cmd: "trap 'sleep 0.2; exit 0' TERM; echo up; exec sleep ${seconds}", ready: "up" }\n`);
    const run = await up(dir);
    const sleepers = (): number[] =>
      readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .filter((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'latin1') === `sleep\x00${seconds}\x00` && isRunning(Number(pid));
          } catch {
            return false; // gone meanwhile
          }
        })
        .map(Number);
    try {
      await waitForState(dir, 'a', 'ready');
      const results = await Promise.all([1, 2, 3].map(() => client(dir, ['restart', 'a'])));
      assert.deepEqual(results.map((result) => result.code), [0, 0, 0], results.map((result) => result.stderr).join(''));
      await sleep(300);
      const row = await rowOf(dir, 'a');
      assert.equal(row.state, 'ready');
      assert.deepEqual(sleepers(), [row.pid], 'one process, the one ps shows');
    } finally {
      await interrupt(run, ...sleepers());
    }
  });

  test('a restart that reaches main after main exited on its own (what it left still holding its output) does not run main again: its exit ends the run', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  e2e: { cmd: "while [ ! -e go ]; do sleep 0.02; done; (exec sleep 3) & echo passed", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'e2e', 'running');
      writeFileSync(join(dir, 'go'), '');
      // Its exit is seen now; its end is judged once its sleep lets go of the output (the 2 s drain grace).
      await run.waitForOutput(/^e2e \| passed$/m);
      const restarted = await client(dir, ['restart', 'db']);
      assert.notEqual(restarted.code, 0, 'nothing was started again');
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
      assert.equal(ended.stdout.match(/^e2e \| passed$/gm)?.length, 1, ended.stdout);
      assert.match(ended.stdout, /^e2e \* exited with status 0 after /m);
      assert.match(ended.stderr, /^e2e +\d+ +exited 0 /m);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart that reaches main after main exited on its own, which its restart policy would have restarted, runs main again: the run goes on', BOUNDED, async () => {
    const { dir, run } = await mainCrashedInItsDrain();
    try {
      // Had the restart come once its sleep let go of the output, main would wait out its
      // backoff, and the restart would run it again at once: so it does.
      const restarted = await client(dir, ['restart', 'e2e']);
      assert.equal(restarted.code, 0, restarted.stderr + run.stdoutSoFar());
      assert.equal((await rowOf(dir, 'e2e')).state, 'running');
    } finally {
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, ended.stdout + ended.stderr);
    }
  });

  test('a stop of main that reaches it after a crash its restart policy would have retried ends the run with 0, as a stop in its backoff does a moment later', BOUNDED, async () => {
    const { dir, run } = await mainCrashedInItsDrain();
    try {
      const stopped = await client(dir, ['stop', 'e2e']);
      assert.equal(stopped.code, 0, stopped.stderr);
      const ended = await run.done;
      // Before: 4, the crash's, though a crash the policy retries fails nothing, and `stop` of main ends the run with 0.
      assert.equal(ended.code, 0, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('restart and start of a process that fails at once, which its restart policy retries, answer with that failure (status 1) at once, not after the backoff; the policy goes on', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  keep: { cmd: "exec sleep 30" }
  web:
    cmd: "if [ -e ${dir}/broken ]; then echo 'cannot bind' >&2; exit 3; fi; echo up; exec sleep 30"
    ready: "up"
    restart: { policy: always, max: 2, backoff: 30s }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'web', 'ready');
      writeFileSync(join(dir, 'broken'), '');
      for (const args of [['restart', 'web'], ['start', 'web']]) {
        if (args[0] === 'start') assert.equal((await client(dir, ['stop', 'web'])).code, 0);
        // Before, the client waited out the 30 s backoff and every retry after it, silent.
        const answer = await answeredWithin(dir, args, 20_000);
        assert.equal(answer.code, 1, answer.stderr);
        assert.equal(
          answer.stderr,
          "subvisor: web did not become ready: exited with status 3 before it was ready; restarting in 30.0 s (restart 1 of 2), as its restart policy says: `subvisor logs web` shows its output\n",
        );
        // The run goes on, and so does the policy: web waits out its backoff, keep is untouched.
        assert.match((await rowOf(dir, 'web')).state, RESTARTING);
        assert.equal((await rowOf(dir, 'keep')).state, 'running');
      }
      // Each answer came from the run before its state line was surely written out: wait for both lines.
      const restarting = /^web +\* restarting in 30\.0 s \(exited with status 3 before it was ready; restart 1 of 2\)$/gm;
      await waitUntil(() => (run.stdoutSoFar().match(restarting) ?? []).length >= 2, 'both restarting lines', 10_000);
      assert.match(run.stdoutSoFar(), /^web +\* starting \(subvisor start\)\n(?:web .*\n)*web +\* restarting in 30\.0 s \(exited with status 3 before it was ready; restart 1 of 2\)\n$/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart whose process fails at once answers at once also while another restart is still stopping: the failure is the answer, not a life given up to wait through', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  slow:
    cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 1; done"
    grace: 50s
  web:
    cmd: "if [ -e ${dir}/broken ]; then while [ ! -e ${dir}/go ]; do sleep 0.1; done; echo 'cannot bind' >&2; exit 3; fi; echo up; exec sleep 30"
    ready: "up"
    restart: { policy: always, max: 2, backoff: 30s }
`,
    );
    const run = await up(dir);
    const slowRestart = { args: ['restart', 'slow'], asked: undefined as RunningCli | undefined };
    try {
      await waitForState(dir, 'web', 'ready');
      await waitForState(dir, 'slow', 'running');
      writeFileSync(join(dir, 'broken'), '');
      const webRestart = startCli(['restart', 'web'], { cwd: dir });
      await run.waitForOutput(/^web +\* starting \(pid \d+\).*\n(?:.*\n)*?web +\* starting \(pid \d+\)/m, 20_000);
      // slow's stop lasts until the test lets it go: its restart stays in its stopping meanwhile.
      slowRestart.asked = startCli(slowRestart.args, { cwd: dir });
      await run.waitForOutput(/^slow +\* stopping \(subvisor restart\)/m, 20_000);
      writeFileSync(join(dir, 'go'), '');
      // Before, web's wait, cut short by the failure while that restart was pending, waited again: for
      // that restart to be done (slow's stop), then through the 30 s backoff, answered after it.
      const answer = await endedWithin(webRestart, ['restart', 'web'], 20_000);
      assert.equal(await Promise.race([slowRestart.asked.done.then(() => 'answered'), sleep(0, 'not yet')]), 'not yet', 'restart web answered while restart slow was still stopping slow');
      writeFileSync(join(dir, 'release'), '');
      assert.equal(answer.code, 1, answer.stderr);
      assert.match(answer.stderr, /^subvisor: web did not become ready: exited with status 3 before it was ready; restarting in 30\.0 s \(restart 1 of 2\)/);
      // The control: the other restart is answered as ever, once slow is up again.
      assert.equal((await endedWithin(slowRestart.asked, slowRestart.args, 30_000)).code, 0);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      slowRestart.asked?.kill('SIGKILL');
      await interrupt(run);
    }
  });

  test('manual restarts never use the restart budget: after three, a crash is still retried', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  flaky:
    cmd: "echo up; while [ ! -f ${dir}/crash ]; do sleep 0.05; done; rm ${dir}/crash; exit 3"
    ready: "up"
    restart: { policy: on-failure, max: 1, backoff: 50ms }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'flaky', 'ready');
      for (let i = 0; i < 3; i++) assert.equal((await client(dir, ['restart', 'flaky'])).code, 0);
      writeFileSync(join(dir, 'crash'), '');
      await run.waitForOutput(/^flaky \* restarting in 50 ms \(exited with status 3; restart 1 of 1\)$/m);
      await run.waitForOutput(/(flaky \* ready after .*\n[^]*){5}/);
      const row = await rowOf(dir, 'flaky');
      assert.equal(row.state, 'ready');
      assert.equal(row.restarts, 1, 'the one restart of the policy');
      assert.doesNotMatch(run.stdoutSoFar(), /giving up/);
    } finally {
      await interrupt(run);
    }
  });
});

describe('stop and start', () => {
  test('stop leaves a process stopped (not a failure); start runs it again; the run stays up while it is stopped, even once the rest has ended', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  worker: { cmd: "echo up; exec sleep 30", ready: "up" }
  job: { cmd: "while [ ! -f ${dir}/finish ]; do sleep 0.05; done; echo finished", task: true }
`,
    );
    const run = await up(dir);
    let first: Awaited<ReturnType<typeof rowOf>> | undefined;
    let second: Awaited<ReturnType<typeof rowOf>> | undefined;
    try {
      first = await waitForState(dir, 'worker', 'ready');
      const stopped = await client(dir, ['stop', 'worker']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal((await rowOf(dir, 'worker')).state, 'stopped');
      assert.equal(isRunning(first.pid ?? -1), false);
      assert.match(run.stdoutSoFar(), /^worker \* stopping \(subvisor stop\): SIGTERM to its process group$/m);
      writeFileSync(join(dir, 'finish'), '');
      await waitForState(dir, 'job', 'exited 0');
      await sleep(300);
      assert.ok(existsSync(socketOf(dir)), 'the run is still up: worker may be started again');
      const started = await client(dir, ['start', 'worker']);
      assert.equal(started.code, 0, started.stderr);
      assert.match(run.stdoutSoFar(), /^worker \* starting \(subvisor start\)\nworker \* starting \(pid \d+\)/m);
      second = await rowOf(dir, 'worker');
      assert.equal(second.state, 'ready');
      assert.notEqual(second.pid, first.pid);
    } finally {
      const ended = await interrupt(run, first?.pid, second?.pid);
      assert.equal(ended.code, 130);
    }
  });

  test('stop of a process whose child has just died while what it left in its group still runs: its death is said, and it is `stopped` from then on', BOUNDED, async () => {
    const dir = configDir(() => `processes:\n  c: { cmd: "echo up; sleep 30", ready: "up" }\n  keep: { cmd: "exec sleep 30" }\n`);
    const run = await up(dir);
    let pid: number | undefined;
    try {
      pid = (await waitForState(dir, 'c', 'ready')).pid ?? undefined;
      assert.ok(pid !== undefined);
      // The stop must come within the drain's grace (2 s): over a connection made beforehand, not
      // by a client that on a loaded machine took longer to start, by when c's death ended the run.
      const connection = await rawConnection(socketOf(dir));
      // The shell dies; its sleep lives on in the group, holding the output pipe, for the drain's grace.
      process.kill(pid, 'SIGTERM');
      await waitUntil(() => !isRunning(pid ?? -1), 'the shell gone');
      connection.send(`${JSON.stringify({ v: PROTOCOL_VERSION, id: 1, command: 'stop', names: ['c'] })}\n`);
      assert.deepEqual(await connection.next(), { v: PROTOCOL_VERSION, id: 1, ok: true });
      connection.destroy();
      // Its own end is said as it was: in the run's output, which may reach us after the reply.
      await run.waitForOutput(/^c +\* died of SIGTERM$/m);
      assert.equal((await rowOf(dir, 'c')).state, 'stopped');
      await sleep(300);
      assert.equal((await rowOf(dir, 'c')).state, 'stopped', 'and stays so');
      assert.equal((await rowOf(dir, 'keep')).state, 'running', 'not a failure: the run goes on');
    } finally {
      const ended = await interrupt(run, pid);
      assert.equal(ended.code, 130);
    }
  });

  test('start of a task returns once it has run: 1 naming the failure when it did not succeed', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  worker: { cmd: "exec sleep 30" }
  migrate: { cmd: "sleep 0.5; exit $(cat ${dir}/code)", task: true, restart: no }
`,
    );
    writeFileSync(join(dir, 'code'), '0');
    const run = await up(dir);
    try {
      await waitForState(dir, 'migrate', 'exited 0');
      writeFileSync(join(dir, 'code'), '5');
      const begun = performance.now();
      const failed = await client(dir, ['start', 'migrate']);
      assert.ok(performance.now() - begun >= 450, 'the client waited for the task to run, not only to begin');
      assert.equal(failed.code, 1, failed.stdout);
      assert.equal(failed.stderr, 'subvisor: migrate did not succeed: migrate failed (status 5)\n');
      // Not a watched task: its failure ends the run, as any failure of a life begun by hand does.
      const ended = await run.done;
      assert.equal(ended.code, 5, ended.stdout + ended.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('a restart whose dependent is then not started: the summary gives it no pid and no duration, not those of its last life', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  db: { cmd: "exit $(cat ${dir}/code)", task: true }
  web: { cmd: "exec sleep 30", dependsOn: { db: succeeded } }
`,
    );
    writeFileSync(join(dir, 'code'), '0');
    const run = await up(dir);
    try {
      await waitForState(dir, 'web', 'running');
      writeFileSync(join(dir, 'code'), '3');
      assert.equal((await client(dir, ['restart', 'db'])).code, 1);
      const ended = await run.done;
      assert.equal(ended.code, 3, ended.stdout + ended.stderr);
      // Nor a duration: that of its last life would say it ran in this one.
      assert.match(ended.stderr, /^web +- +not started: db failed \(status 3\) +- +0$/m);
    } finally {
      await interrupt(run);
    }
  });

  test('a replicated process is named by its own name too: restart web restarts web.1 and web.2, logs web shows both', BOUNDED, async () => {
    const dir = configDir(() => `processes:
  web: { cmd: "echo copy $SUBVISOR_REPLICA; exec sleep 30", ready: "copy", replicas: 2 }
  other: { cmd: "echo other; exec sleep 30", ready: "other" }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      const before = await Promise.all(['web.1', 'web.2', 'other'].map((name) => waitForState(dir, name, 'ready')));
      pids.push(...before.map((row) => row.pid));
      const restarted = await client(dir, ['restart', 'web']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const after = await Promise.all(['web.1', 'web.2', 'other'].map((name) => rowOf(dir, name)));
      pids.push(...after.map((row) => row.pid));
      assert.notEqual(after[0]?.pid, before[0]?.pid, 'web.1 is a new process');
      assert.notEqual(after[1]?.pid, before[1]?.pid, 'web.2 is a new process');
      assert.equal(after[2]?.pid, before[2]?.pid, 'other was left alone');
      const logs = await client(dir, ['logs', 'web']);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /web\.1 .*copy 1/);
      assert.match(logs.stdout, /web\.2 .*copy 2/);
      assert.doesNotMatch(logs.stdout, /other/);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a process stopped by hand stays stopped when what it depends on restarts; a restart naming it starts it again', BOUNDED, async () => {
    const dir = configDir(() => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo copy $SUBVISOR_REPLICA; exec sleep 30", ready: "copy", replicas: 2, dependsOn: [db] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      const before = await Promise.all(['db', 'web.1', 'web.2'].map((name) => waitForState(dir, name, 'ready')));
      pids.push(...before.map((row) => row.pid));
      assert.equal((await client(dir, ['stop', 'web.1'])).code, 0);
      const restarted = await client(dir, ['restart', 'db']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const after = await Promise.all(['db', 'web.1', 'web.2'].map((name) => rowOf(dir, name)));
      pids.push(...after.map((row) => row.pid));
      assert.deepEqual(
        after.map((row) => row.state),
        ['ready', 'stopped', 'ready'],
      );
      assert.notEqual(after[2]?.pid, before[2]?.pid, 'web.2 restarted after db');
      assert.doesNotMatch(run.stdoutSoFar(), /^web\.1 +\* starting \(subvisor restart\)/m);
      const named = await client(dir, ['restart', 'web.1']);
      assert.equal(named.code, 0, named.stderr);
      const again = await rowOf(dir, 'web.1');
      pids.push(again.pid);
      assert.equal(again.state, 'ready');
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a dependent stopped by hand while a restart of what it depends on waits for readiness stays stopped, and the restart succeeds as if the stop came first, also for what depends on it', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "if [ -f ${dir}/started ]; then while [ ! -f ${dir}/go ]; do sleep 0.05; done; fi; touch ${dir}/started; echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo web; exec sleep 30", ready: "web", dependsOn: [db] }
  worker: { cmd: "echo worker; exec sleep 30", ready: "worker", dependsOn: [web] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push(...(await Promise.all(['db', 'web', 'worker'].map((name) => waitForState(dir, name, 'ready')))).map((row) => row.pid));
      const restarting = client(dir, ['restart', 'db']);
      await waitForState(dir, 'web', 'not started: waiting for db');
      pids.push((await rowOf(dir, 'db')).pid);
      const stopped = await client(dir, ['stop', 'web']);
      assert.equal(stopped.code, 0, stopped.stderr);
      writeFileSync(join(dir, 'go'), '');
      const restarted = await restarting;
      assert.equal(restarted.code, 0, restarted.stdout + restarted.stderr);
      // worker depends on db only through web: the restart no longer asks for it either.
      assert.deepEqual((await ps(dir)).map((row) => row.state), ['ready', 'stopped', 'not started: web was stopped']);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('a dependency stopped by hand before it was ready keeps its dependents from starting, and says why; stopped once ready, it does not', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "while [ ! -f ${dir}/go ]; do sleep 0.05; done; echo up; exec sleep 30", ready: "up" }
  web: { cmd: "echo web; exec sleep 30", ready: "web", dependsOn: [db] }
`);
    const run = await up(dir);
    const pids: (number | null)[] = [];
    try {
      pids.push((await waitForState(dir, 'db', 'starting')).pid);
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      await waitForState(dir, 'web', 'not started: db was stopped');
      const refused = await client(dir, ['start', 'web']);
      assert.equal(refused.code, 1, refused.stdout);
      assert.equal(refused.stderr, 'subvisor: web did not become ready: web was not started (db was stopped)\n');

      writeFileSync(join(dir, 'go'), '');
      for (const name of ['db', 'web']) assert.equal((await client(dir, ['start', name])).code, 0);
      pids.push(...(await Promise.all(['db', 'web'].map((name) => rowOf(dir, name)))).map((row) => row.pid));
      // Its conditions were met while db was up; stopping db was asked for, and asking for web too is
      // asking for web without db (README: "A dependent of a stopped process keeps running").
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      const restarted = await client(dir, ['restart', 'web']);
      assert.equal(restarted.code, 0, restarted.stderr);
      const web = await rowOf(dir, 'web');
      pids.push(web.pid);
      assert.deepEqual([(await rowOf(dir, 'db')).state, web.state], ['stopped', 'ready']);
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('stop of the main process replies, then ends the run with status 0', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  app: { cmd: "exec sleep 30", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'app', 'running');
      const stopped = await client(dir, ['stop', 'app']);
      assert.equal(stopped.code, 0, stopped.stderr);
      const ended = await run.done;
      assert.equal(ended.code, 0, ended.stderr);
      assert.ok(lineIndex(ended.stdout, /^app \* stopping \(subvisor stop\): SIGTERM to its process group$/) < lineIndex(ended.stdout, /^db +\* stopping \(app was stopped\): SIGTERM to its process group$/));
    } finally {
      await interrupt(run);
    }
  });

  test('a main process kept from starting by a stop of what it waits for ends the run (status 1), and the others\' stopping lines name it', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  db: { cmd: "exec sleep 30", ready: "never printed" }
  other: { cmd: "exec sleep 30" }
  smoke: { cmd: "echo smoke ran", dependsOn: [db], main: true }
`,
    );
    const run = await up(dir);
    try {
      await waitForState(dir, 'db', 'starting');
      await waitForState(dir, 'other', 'running');
      assert.equal((await client(dir, ['stop', 'db'])).code, 0);
      const ended = await run.done;
      assert.equal(ended.code, 1, ended.stderr);
      assert.match(ended.stdout, /^smoke \* not started: db was stopped$/m);
      assert.match(ended.stdout, /^other \* stopping \(smoke was not started\): SIGTERM to its process group$/m);
      assert.doesNotMatch(ended.stdout, /smoke ran/);
      assert.match(ended.stderr, /^subvisor: smoke failed: not started: db was stopped/m);
    } finally {
      await interrupt(run);
    }
  });

  test('stop asked while the run ends (its processes already stopping) replies at once, with status 0: not once they are stopped, when the run may have closed its socket', BOUNDED, async () => {
    // slow stops only once released, after the reply came.
    const release = (dir: string): string => join(dir, 'release');
    const dir = configDir((at) => `processes:
  slow: { cmd: "trap 'while [ ! -e ${release(at)} ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", grace: 8s }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'slow', 'ready')).pid;
      run.kill('SIGINT');
      await run.waitForOutput(/^slow \* stopping \(SIGINT\)/m);
      const stopped = await client(dir, ['stop', 'slow']);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(stopped.stderr, '');
      assert.ok(pid !== null && isRunning(pid), 'slow is still stopping: the reply did not wait for it');
    } finally {
      writeFileSync(release(dir), '');
      const ended = await interrupt(run, pid);
      assert.equal(ended.code, 130);
    }
  });

  test('start and restart asked while the run ends are refused at once, not after a restart queued before them has stopped what it stops', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", dependsOn: [db], grace: 50s }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'web', 'ready')).pid;
      // Its stop lasts until the test lets web go: every operation asked after it waits to begin.
      const restarting = client(dir, ['restart', 'web']);
      await run.waitForOutput(/^web \* stopping \(subvisor restart\)/m);
      run.kill('SIGINT');
      await waitForState(dir, 'db', 'ready'); // the run still answers: it waits for web to stop
      for (const command of ['start', 'restart']) {
        // Answered while web still stops: at once, not once web had stopped.
        const refused = await client(dir, [command, 'db']);
        assert.equal(refused.code, 1, refused.stderr);
        assert.equal(refused.stderr, 'subvisor: the run is ending: nothing starts any more\n');
      }
      assert.equal((await rowOf(dir, 'web')).state, 'stopping', 'web was still stopping when both were refused');
      writeFileSync(join(dir, 'release'), '');
      assert.equal((await restarting).code, 1);
      assert.equal((await run.done).code, 130);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      // A second Ctrl-C would kill at once: the run is given its end first.
      await Promise.race([run.done, sleep(15_000)]);
      await interrupt(run, pid);
    }
  });

  test('a restart under way when Ctrl-C comes is answered that the run is ending, not left without a reply', BOUNDED, async () => {
    // web's stop lasts until the test lets it go, once the run's end has begun (other's stop says
    // so): before, it lasted 1 s, and on a loaded machine the restart could be done before Ctrl-C.
    const dir = configDir((dir) => `processes:
  db: { cmd: "echo up; exec sleep 30", ready: "up" }
  web: { cmd: "trap 'while [ ! -e ${dir}/release ]; do sleep 0.1; done; exit 0' TERM; echo up; while :; do sleep 0.1; done", ready: "up", dependsOn: [db], grace: 50s }
  other: { cmd: "exec sleep 30" }
`);
    const run = await up(dir);
    let pid: number | null = null;
    try {
      pid = (await waitForState(dir, 'web', 'ready')).pid;
      await waitForState(dir, 'other', 'running');
      const restarting = client(dir, ['restart', 'db']);
      await run.waitForOutput(/^web +\* stopping \(subvisor restart\)/m);
      run.kill('SIGINT');
      await run.waitForOutput(/^other \* stopping \(SIGINT\)/m);
      writeFileSync(join(dir, 'release'), '');
      const refused = await restarting;
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'subvisor: the run is ending: nothing starts any more\n');
      assert.equal((await run.done).code, 130);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      await Promise.race([run.done, sleep(15_000)]);
      await interrupt(run, pid);
    }
  });

  test('an unknown name is an error reply: the client exits 2 (a usage mistake, as up NAME) and the run goes on', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      const before = await waitForState(dir, 'a', 'running');
      const result = await client(dir, ['stop', 'a', 'nope']);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, "subvisor: no process named 'nope' in this run (it has a)\n");
      const after = await rowOf(dir, 'a');
      assert.deepEqual([after.state, after.pid], ['running', before.pid], 'a was not stopped: the request did nothing');
      assert.equal((await client(dir, ['restart'])).code, 2, 'a usage mistake');
    } finally {
      await interrupt(run);
    }
  });
});

describe('logs', () => {
  test('logs -f FILE, written as ps -f FILE is: the error for the unknown process says that -f is --follow here, and how to give the config', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const run = await up(dir);
    try {
      const taken = await client(dir, ['logs', '-f', 'subvisor.yaml']);
      assert.equal(taken.code, 2, taken.stderr);
      assert.equal(taken.stderr, "subvisor: no process named 'subvisor.yaml' in this run (it has a); 'subvisor.yaml' is a file here, and logs reads -f as --follow (as tail does): give the config as --file subvisor.yaml\n");
      // A name that is no file here is only unknown.
      assert.equal((await client(dir, ['logs', '-f', 'b'])).stderr, "subvisor: no process named 'b' in this run (it has a)\n");
    } finally {
      await interrupt(run);
    }
  });

  test('logs colours each process as up does, when up ran only some of them', BOUNDED, async () => {
    const dir = configDir(
      () => `processes:
  alpha: { cmd: "echo a; exec sleep 30" }
  beta: { cmd: "echo b; exec sleep 30" }
  gamma: { cmd: "echo c; exec sleep 30" }
`,
    );
    const run = await up(dir, ['gamma', 'beta']);
    const pids: (number | null)[] = [];
    try {
      await waitForState(dir, 'beta', 'running');
      pids.push(...(await ps(dir)).map((row) => row.pid));
      const logs = await runCli(['logs'], { cwd: dir, env: { FORCE_COLOR: '1' } });
      assert.equal(logs.code, 0, logs.stderr);
      const colourOf = (name: string): string | undefined => new RegExp(`\x1b\\[(\\d+)m${name} *\\|`).exec(logs.stdout)?.[1];
      // As `up` of all three colours them (alpha 36, beta 33, gamma 32), whatever runs.
      assert.deepEqual([colourOf('beta'), colourOf('gamma')], ['33', '32'], JSON.stringify(logs.stdout));
    } finally {
      await interrupt(run, ...pids);
    }
  });

  test('logs -n N: the last N output lines of each process, merged in arrival order, without state lines; -f then follows until Ctrl-C (130)', BOUNDED, async () => {
    const dir = configDir(
      (dir) => `processes:
  a: { cmd: "for i in $(seq 1 150); do echo a$i; done; exec sleep 30", ready: "a150" }
  b: { cmd: "echo b1; sleep 0.1; echo b2 >&2; while [ ! -f ${dir}/more ]; do sleep 0.05; done; echo b3; exec sleep 30", dependsOn: [a] }
`,
    );
    const run = await up(dir);
    try {
      await run.waitForOutput(/^b \| b2$/m);
      const three = await client(dir, ['logs', '-n', '3', 'a']);
      assert.equal(three.code, 0, three.stderr);
      assert.equal(three.stdout, 'a | a148\na | a149\na | a150\n');
      const merged = await client(dir, ['logs', '-n', '2']);
      assert.equal(merged.stdout, 'a | a149\na | a150\nb | b1\nb | b2\n');
      assert.equal((await client(dir, ['logs', '--lines', '2'])).stdout, merged.stdout, '--lines is -n');
      const all = await client(dir, ['logs']);
      const lines = all.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 102, 'the default is the last 100 of each');
      assert.equal(lines[0], 'a | a51');
      assert.ok(lines.every((line) => line.includes(' | ')), 'no state line');

      const follow = startCli(['logs', '-f', '-n', '1', 'b'], { cwd: dir });
      await follow.waitForOutput('b | b2\n');
      writeFileSync(join(dir, 'more'), '');
      await follow.waitForOutput('b | b3\n');
      follow.kill('SIGINT');
      const followed = await follow.done;
      assert.equal(followed.code, 130);
      assert.equal(followed.stdout, 'b | b2\nb | b3\n');
      assert.ok(existsSync(socketOf(dir)), 'the run goes on');
    } finally {
      await interrupt(run);
    }
    assert.equal(readFileSync(join(dir, 'subvisor.yaml'), 'utf8').includes('b3'), true);
  });

  test("a progress line rewritten with \\r reads alike in up's output, its log file and logs: each bare \\r as \\x0d, on one line, a CRLF as a line end; --json keeps the \\r", BOUNDED, async () => {
    // What ffmpeg's frame= line and curl -# write: states joined by \r, ended by \n (CRLF here).
    const progress = String.raw`printf 'get 10%%\rget 100%%\r\nwin\r\n'`;
    const dir = configDir(() => `logs: { dir: logs }\nprocesses:\n  p: { cmd: ${JSON.stringify(`${progress}; exec sleep 30`)} }\n`);
    const shown = ['p | get 10%\\x0dget 100%', 'p | win'];
    const run = await up(dir);
    try {
      await run.waitForOutput('p | win\n');
      assert.deepEqual(run.stdoutSoFar().split('\n').filter((line) => line.startsWith('p | ')), shown);
      const logs = await client(dir, ['logs', 'p']);
      assert.equal(logs.stdout, `${shown.join('\n')}\n`, logs.stderr);
      const file = readFileSync(join(dir, 'logs', 'p.log'), 'utf8').split('\n').map((line) => line.replace(/^\S+ out /, 'p | '));
      assert.deepEqual(file.slice(0, 2), shown);
    } finally {
      await interrupt(run);
    }
    const json = await runCli(['run', '--json', '--label', 'p', '--', 'sh', '-c', progress]);
    const records = json.stdout.split('\n').filter((line) => line.includes('"stream":"stdout"'));
    assert.deepEqual(records.map((line) => (JSON.parse(line) as { line: string }).line), ['get 10%\rget 100%', 'win']);
  });

  test('logs -f ends as a filter does when its reader goes away: | head -1 ends it with 141, at once', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  t: { cmd: "while :; do echo tick; sleep 0.1; done" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 't', 'running');
      const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" logs -f | head -n 1; echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(piped.error, undefined, 'logs -f must end by itself once head has its line, not at the timeout');
      assert.match(piped.stdout, /^t \| tick\nstatus=141\n$/);
      assert.equal((await rowOf(dir, 't')).state, 'running', 'the run goes on');
    } finally {
      await interrupt(run);
    }
  });

  test('logs -f ends with status 0 when the run ends', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo hi; exec sleep 30", ready: "hi" }\n');
    const run = await up(dir);
    try {
      await waitForState(dir, 'a', 'ready');
      const follow = startCli(['logs', '-f'], { cwd: dir });
      await follow.waitForOutput('a | hi\n');
      await waitUntil(() => true, 'nothing');
      await interrupt(run);
      const followed = await follow.done;
      assert.equal(followed.code, 0, followed.stderr);
    } finally {
      await interrupt(run);
    }
  });

  test('a logs -f suspended (Ctrl-Z) when the run ends, owed nothing the kernel does not hold, does not hold the end up; resumed, it gets its last lines and ends with 0', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo hi; exec sleep 30", ready: "hi" }\n');
    const run = await up(dir);
    const follow = startCli(['logs', '-f'], { cwd: dir });
    try {
      await waitForState(dir, 'a', 'ready');
      await follow.waitForOutput('a | hi\n');
      process.kill(follow.pid, 'SIGSTOP');
      const ending = Date.now();
      const ended = await interrupt(run);
      const tookMs = Date.now() - ending;
      assert.equal(ended.code, 130, ended.stderr);
      // The cut-off for a follower that takes nothing is 5 s: this one had nothing left to take.
      assert.ok(tookMs < 4000, `the run took ${tookMs} ms to end beside a suspended follower`);
    } finally {
      process.kill(follow.pid, 'SIGCONT');
      await interrupt(run);
    }
    const followed = await follow.done;
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stdout, 'a | hi\n');
  });
});
