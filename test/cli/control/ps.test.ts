// `subvisor ps` (SPEC §10) against a real run: each state in its words, the names it takes, and how
// a command of the control ends when its output cannot take the answer or no run listens.
// The other commands are in ./restart.test.ts, ./stop-start.test.ts and ./logs.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN } from '../cli.js';
import { BOUNDED, RESTARTING, client, configDir, interrupt, ps, rowOf, socketOf, up, waitForState } from './support.js';

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

  test('no run listening: ps says so and exits 1; with --json, stdout stays empty (no `[]`, which would read as a run of no processes)', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    for (const args of [['ps'], ['ps', '--json']]) {
      const result = await client(dir, args);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
      assert.equal(result.stderr, `subvisor: no run is listening on ${socketOf(dir)}: start one with \`subvisor up\`, or reach a run started with --socket PATH by the same --socket PATH\n`);
    }
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
