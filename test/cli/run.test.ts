import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { writeForeignBinary } from '../support/binaries.js';
import { BIN, runCli, startCli } from './cli.js';

describe('subvisor run', () => {
  test('relays both streams, prefixed, and exits with the child status', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'job', '--', 'sh', '-c', 'echo out line; echo err line >&2; exit 3']);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /^job \| out line$/m);
    assert.match(run.stdout, /^job \| err line$/m);
    assert.match(run.stderr, /^subvisor: job failed: exited with status 3$/m, 'the status said once');
  });

  test('a failure whose words do not say the status the run ends with adds it: died of SIGKILL (exit status 137)', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'job', '--', 'sh', '-c', 'kill -KILL $$']);
    assert.equal(run.code, 137);
    assert.match(run.stderr, /^subvisor: job failed: died of SIGKILL \(exit status 137\)$/m);
  });

  test('exit status 0 for a successful child, and the label defaults to the program name', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', 'echo', 'plain']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^echo \| plain$/m);
    const shell = await runCli(['run', '/bin/sh', '-c', 'echo from the shell']);
    assert.match(shell.stdout, /^sh \| from the shell$/m);
  });

  test('a child killed by signal N exits 128+N', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'sh', '-c', 'kill -KILL $$']);
    assert.equal(run.code, 128 + 9);
    assert.match(run.stderr, /died of SIGKILL/);
  });

  test('a command that cannot start is one line, not a stack trace, with status 127', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'no-such-program-here', 'x']);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /no-such-program-here was not found on PATH/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a whole command given as one argument is told to be split (or read by a shell), whatever its first word is', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'no-such-program-here --x']);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /no-such-program-here --x is one word holding a whole command: give each word as an argument of its own/);
    assert.doesNotMatch(run.stderr, /check the spelling/);
  });

  test("a path with a blank given as one argument ('my dir/x'), its file missing, is no such file (127), not a whole command to split", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-blank-path-'));
    try {
      mkdirSync(join(dir, 'my dir'));
      const run = await runCli(['run', '--', 'my dir/x'], { cwd: dir });
      assert.equal(run.code, 127);
      assert.match(run.stderr, /no such file: my dir\/x \(exit status 127\)\n/);
      assert.doesNotMatch(run.stderr, /whole command/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [what, make, code] of [
    ['is not executable (EACCES)', (path: string) => writeFileSync(path, '#!/bin/sh\nexit 0\n', { mode: 0o644 }), 'EACCES'],
    ['is a binary for another machine (ENOEXEC)', writeForeignBinary, 'exec format error'],
  ] as const) {
    test(`a command that ${what} exits 126, as a shell says "cannot execute"`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-126-'));
      try {
        const program = join(dir, 'program');
        make(program);
        const run = await runCli(['run', '--', program]);
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, code === 'EACCES' ? /is not executable/ : /exec format error: .* is built for SPARC/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('"ready after N ms" and the exit\'s duration count from the spawn, even when the CLI learnt late that the command runs', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-held-'));
    try {
      // Preloaded into the CLI: right after each spawn its event loop is held 400 ms, while the
      // command runs on (ready at 100 ms, gone at 200 ms).
      const hold = join(dir, 'hold-after-spawn.mjs');
      writeFileSync(hold, "import { subscribe } from 'node:diagnostics_channel';\nsubscribe('child_process', () => queueMicrotask(() => { const until = performance.now() + 400; while (performance.now() < until); }));\n");
      const run = await runCli(['run', '--label', 'h', '--ready', 'ready', '--', 'sh', '-c', 'sleep 0.1; echo ready; sleep 0.1'], { env: { NODE_OPTIONS: `--import ${hold}` } });
      assert.equal(run.code, 0, run.stderr);
      const readyAfter = Number(/^h \* ready after (\d+) ms$/m.exec(run.stdout)?.[1]);
      assert.ok(readyAfter >= 350, `ready after ${readyAfter} ms\n${run.stdout}`);
      const exitedAfter = Number(/^h \* exited with status 0 after (\d+) ms$/m.exec(run.stdout)?.[1]);
      assert.ok(exitedAfter >= 350, `exited after ${exitedAfter} ms\n${run.stdout}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--ready logs "ready after N ms" at the first matching line', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'd', '--ready', 'up on \\d+', '--', 'sh', '-c', 'echo booting; sleep 0.1; echo up on 80']);
    assert.equal(run.code, 0);
    const readyAfter = Number(/^d \* ready after (\d+) ms$/m.exec(run.stdout)?.[1]);
    assert.ok(readyAfter >= 90, `ready after ${readyAfter} ms: counted from the spawn, past the 0.1 s sleep\n${run.stdout}`);
    const lines = run.stdout.split('\n');
    assert.ok(lines.findIndex((line) => line.includes('ready after')) > lines.findIndex((line) => line.includes('up on 80')));
  });

  test('--ready (and up\'s log probe): the ready line comes right after the matching line, before the lines read with it', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-ready-order-'));
    try {
      // One write, so one read: the lines after the match come in the same block as it.
      const emit = join(dir, 'emit.sh');
      writeFileSync(emit, "printf 'a\\nb\\nc\\nd\\n'; sleep 0.2\n");
      writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  d: { cmd: "sh ${emit}", ready: { log: "^b$" } }\n`);
      for (const args of [['run', '--label', 'd', '--ready', '^b$', '--', 'sh', emit], ['up', '-f', join(dir, 'subvisor.yaml')]]) {
        const run = await runCli(args);
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.split('\n').filter((line) => /^d [|*] (?!starting|exited)/.test(line));
        assert.deepEqual(lines.map((line) => line.replace(/ready after \d+ ms/, 'ready')), ['d | a', 'd | b', 'd * ready', 'd | c', 'd | d'], run.stdout);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--ready-timeout fails with 124 when no line matches in time; a stopping line says why before the child\'s last words, and the failure names the pattern no line matched', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'd', '--ready', 'never', '--ready-timeout', '200ms', '--grace', '500ms', '--', 'sh', '-c', 'trap "echo bye; exit 1" TERM; sleep 30 & wait']);
    assert.equal(run.code, 124);
    assert.match(run.stderr, /not ready within 200 ms/);
    const lines = run.stdout.split('\n');
    const stopping = lines.indexOf('d * stopping (not ready within 200 ms): SIGTERM to its process group');
    // The pattern is named: the lines above are what it did not match (a `Listening` for a `listening`).
    assert.ok(stopping >= 0 && stopping < lines.indexOf('d | bye') && lines.indexOf('d | bye') < lines.indexOf('d * was not ready within 200 ms (no output line matched /never/)'), run.stdout);
    assert.equal(run.stderr, 'subvisor: d failed: was not ready within 200 ms (no output line matched /never/) (exit status 124)\n');
    const json = await runCli(['run', '--json', '--label', 'd', '--ready', 'never', '--ready-timeout', '200ms', '--', 'sleep', '30']);
    const events = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.filter((record) => record.event === 'stopping').map(({ signal, reason }) => ({ signal, reason })),
      [{ signal: 'SIGTERM', reason: 'ready' }],
    );
  });

  test('SIGUSR1 (a log rotator\'s "reopen your logs") opens no inspector port and changes nothing: the run goes on', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--label', 'd', '--', 'sleep', '30']);
    await cli.waitForOutput(/^d \* starting/m);
    cli.kill('SIGUSR1');
    await sleep(500);
    cli.kill('SIGINT');
    const run = await cli.done;
    // What Node says as it opens the inspector (checked rather than the port: another program may listen there).
    assert.doesNotMatch(run.stderr, /Debugger listening/);
    assert.equal(run.code, 130, 'the run went on until Ctrl-C');
  });

  for (const signal of ['SIGQUIT', 'SIGUSR2', 'SIGALRM'] as const) {
    test(`${signal} ends subvisor at once, with no summary, and the watchdog stops its process (README: as after a SIGKILL)`, { timeout: 30_000 }, async () => {
      // No core file left in the working directory where core dumps are on (SIGQUIT's default makes one).
      const cli = startCli(['run', '--label', 'd', '--', 'sh', '-c', 'echo "pid $$"; exec sleep 30'], { execVia: ['sh', '-c', 'ulimit -c 0; exec "$0" "$@"'] });
      await cli.waitForOutput(/^d \| pid \d+$/m);
      const pid = Number(/^d \| pid (\d+)$/m.exec(cli.stdoutSoFar())?.[1]);
      try {
        assert.ok(isRunning(pid), 'control: the process runs before the signal');
        cli.kill(signal);
        const run = await cli.done;
        assert.equal(run.signal, signal);
        assert.doesNotMatch(run.stderr, /^name +pid/m, 'no summary');
        await waitUntil(() => !isRunning(pid), 'the watchdog to stop the process', 5000);
      } finally {
        killQuietly(pid);
      }
    });
  }

  test('SIGKILL to subvisor: what its process started in a session of its own (setsid sleep &) is SIGKILLed by the watchdog at the grace\'s end', { timeout: 30_000 }, async () => {
    const script = 'setsid sh -c \'echo "escapee $$"; exec sleep 1000\' & wait';
    const cli = startCli(['run', '--label', 'd', '--grace', '500ms', '--', 'sh', '-c', script]);
    await cli.waitForOutput(/^d \| escapee \d+$/m);
    const escapee = Number(/^d \| escapee (\d+)$/m.exec(cli.stdoutSoFar())?.[1]);
    try {
      cli.kill('SIGKILL');
      assert.equal((await cli.done).signal, 'SIGKILL');
      // Before: the sh obeyed its SIGTERM, and the sleep, in a session of its own, ran on for good.
      await waitUntil(() => !isRunning(escapee), `the escapee (pid ${escapee}) to be SIGKILLed`, 3000);
    } finally {
      killQuietly(escapee);
    }
  });

  test('a ready line written while subvisor was stopped (Ctrl-Z) counts when it is continued after its --ready-timeout: it came in time', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-tstp-'));
    const go = join(dir, 'go');
    const after = join(dir, 'after');
    const script = `while [ ! -f ${go} ]; do sleep 0.02; done; echo ready; echo more; touch ${after}; exec sleep 30`;
    const cli = startCli(['run', '--label', 'd', '--ready', 'ready', '--ready-timeout', '1s', '--', 'sh', '-c', script]);
    try {
      await cli.waitForOutput(/^d \* starting \(pid \d+\)/m);
      process.kill(cli.pid, 'SIGSTOP');
      writeFileSync(go, '');
      // The child runs on while subvisor is stopped (README: Ctrl-Z suspends subvisor alone), its
      // lines waiting in the pipe; the deadline passes meanwhile.
      await waitUntil(() => existsSync(after), 'the child to run on while subvisor is stopped');
      await sleep(1500);
      process.kill(cli.pid, 'SIGCONT');
      await cli.waitForOutput(/^d \| more$/m);
      assert.match(cli.stdoutSoFar(), /^d \* ready after \d+ ms\n/m);
      assert.doesNotMatch(cli.stdoutSoFar(), /not ready within/);
      assert.match(cli.stdoutSoFar(), /^d \| ready\n(d \* ready after \d+ ms\n)?d \| more$/m, 'nothing written meanwhile is lost');
    } finally {
      process.kill(cli.pid, 'SIGCONT');
      cli.kill('SIGINT');
    }
    assert.equal((await cli.done).code, 130);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a Ctrl-C during the stop of a readiness timeout is the same stop: one stopping line, not two', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--label', 'd', '--ready', 'never', '--ready-timeout', '300ms', '--grace', '1500ms', '--', 'sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    await cli.waitForOutput(/^d \* stopping \(not ready within 300 ms\)/m);
    cli.kill('SIGINT');
    const run = await cli.done;
    assert.equal(run.stdout.match(/^d \* stopping/gm)?.length, 1, run.stdout);
    assert.match(run.stdout, /^d \* still running 1\.5 s after its stop signal: SIGKILL to its process group$/m);
    // The failure came first: the Ctrl-C joined its stop, and does not erase it (before: 130).
    assert.equal(run.code, 124, run.stderr);
    assert.equal(run.stderr, 'subvisor: d failed: was not ready within 300 ms (no output line matched /never/) (exit status 124)\n');
  });

  test('--ready only says when it was ready: a child that exits before its line still sets the status', { timeout: 30_000 }, async () => {
    const clean = await runCli(['run', '--label', 'd', '--ready', 'never', '--', 'sh', '-c', 'echo hi']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /^d \* exited with status 0 after \d+ ms, before it was ready$/m);
    assert.equal(clean.stderr, '', 'no failure report for a child that exited 0');
    // An exit, not a failure, in the records too (a `failed` event would be shown in red).
    const json = await runCli(['run', '--json', '--label', 'd', '--ready', 'never', '--', 'sh', '-c', 'echo hi']);
    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event?: string });
    assert.deepEqual(events.map((record) => record.event).filter(Boolean), ['starting', 'exited', 'summary']);
    const failed = await runCli(['run', '--label', 'd', '--ready', 'never', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
  });

  test('the starting line shows the argv as a shell would need it: word boundaries and control characters visible', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'q', '--', 'sh', '-c', 'echo a; exit 0', 'x\ty']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^q \* starting \(pid \d+\): sh -c 'echo a; exit 0' \$'x\\ty'$/m);
  });

  test('a program whose file name holds control sequences: the default label shows them escaped, also on a colour terminal', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-label-'));
    try {
      const program = join(dir, 'ev\x1b]0;pwn\x07il');
      writeFileSync(program, '#!/bin/sh\necho ran\n');
      chmodSync(program, 0o755);
      for (const env of [{ FORCE_COLOR: '1' }, { NO_COLOR: '1' }]) {
        const run = await runCli(['run', '--', program], { env });
        assert.equal(run.code, 0, run.stderr);
        // eslint-disable-next-line no-control-regex -- raw control characters are what must not be there
        assert.doesNotMatch(run.stdout, /\x1b\]|\x07/, 'no raw OSC, no raw BEL');
        // eslint-disable-next-line no-control-regex -- the colour's own escape starts the prefix
        assert.match(run.stdout, /^(?:\x1b\[36m)?ev\\e\]0;pwn\\x07il \|.* ran$/m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--ready-timeout without --ready is refused (status 2), not ignored', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--ready-timeout', '1s', '--', 'true']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: --ready-timeout has no effect without --ready/);
  });

  test('--ready-timeout 0 is refused (status 2), as --timeout 0 and up\'s readyTimeout: 0 are, not taken for a deadline that only a line already read can meet', { timeout: 30_000 }, async () => {
    for (const zero of ['0', '0s', '0.1ms']) {
      const run = await runCli(['run', '--ready', 'x', '--ready-timeout', zero, '--', 'sh', '-c', 'sleep 0.1; echo x']);
      assert.equal(run.code, 2, `${zero}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /^subvisor: --ready-timeout must be longer than 0/);
    }
    // Control: the shortest deadline there is, 1 ms, is one.
    const short = await runCli(['run', '--ready', 'x', '--ready-timeout', '1', '--', 'sh', '-c', 'sleep 0.5; echo x']);
    assert.equal(short.code, 124, short.stdout + short.stderr);
  });

  test('--timeout stops the child and exits 124', { timeout: 30_000 }, async () => {
    const started = performance.now();
    const run = await runCli(['run', '--timeout', '300ms', '--', 'sleep', '30']);
    assert.equal(run.code, 124);
    assert.ok(performance.now() - started < 10_000);
    assert.match(run.stdout, /--timeout of 300 ms passed/);
  });

  test('a line longer than 1 MiB is printed in pieces of 1 MiB, each a line (a record in --json) of its own', { timeout: 30_000 }, async () => {
    const MiB = 1024 * 1024;
    const script = `process.stdout.write('a'.repeat(${MiB}) + 'b'.repeat(${MiB}) + 'c'.repeat(1000) + '\\nafter\\n')`;
    const plain = await runCli(['run', '--label', 'long', '--', process.execPath, '-e', script]);
    assert.equal(plain.code, 0, plain.stderr);
    const pieces = plain.stdout.split('\n').filter((line) => line.startsWith('long | ')).map((line) => line.slice('long | '.length));
    assert.deepEqual(pieces.map((piece) => [piece[0], piece.length]), [['a', MiB], ['b', MiB], ['c', 1000], ['a', 5]]);
    assert.equal(pieces[3], 'after');
    const json = await runCli(['run', '--json', '--label', 'long', '--', process.execPath, '-e', script]);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { stream: string; line: string }).filter((record) => record.stream === 'stdout');
    assert.deepEqual(lines.map((record) => record.line.length), [MiB, MiB, 1000, 5]);
  });

  test('--json prints one object per line with name, stream and line', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--json', '--label', 'j', '--', 'sh', '-c', 'echo to-out; echo to-err >&2']);
    assert.equal(run.code, 0);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.name === 'j' && record.stream === 'stdout' && record.line === 'to-out'));
    assert.ok(records.some((record) => record.name === 'j' && record.stream === 'stderr' && record.line === 'to-err'));
    assert.ok(records.every((record) => typeof record.time === 'string'));
    assert.ok(records.some((record) => record.stream === 'status' && record.event === 'exited'));
    // The run's end as `up --json` gives it: its exit status in the stream, last.
    assert.deepEqual(records.at(-1), { time: records.at(-1)?.time, name: 'subvisor', stream: 'report', event: 'summary', line: 'exit status 0', exitCode: 0, processes: [{ name: 'j', pid: (records[0] as { pid?: number }).pid, result: 'exited 0', durationMs: (records.at(-1) as { processes: { durationMs: number }[] }).processes[0]?.durationMs, restarts: 0 }] });
    const failed = await runCli(['run', '--json', '--label', 'f', '--', 'sh', '-c', 'echo why >&2; exit 7']);
    assert.equal(failed.code, 7);
    assert.equal(failed.stderr, '', 'in --json everything is a record on stdout');
    const ends = failed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).slice(-2);
    assert.deepEqual(ends.map(({ name, event, exitCode }) => ({ name, event, exitCode })), [{ name: 'f', event: 'failure', exitCode: 7 }, { name: 'subvisor', event: 'summary', exitCode: 7 }]);
  });

  test('--json: a command line run cannot take (an unknown option, a missing value, a bad --ready) is one failure record on stdout (reason usage), status 2, nothing on stderr', { timeout: 30_000 }, async () => {
    const cases = [
      { args: ['run', '--json', '--grce', '5s', '--', 'true'], says: /unknown option '--grce'; did you mean --grace\?/ },
      { args: ['run', '--json', '--label'], says: /^--label needs a value right after it, and got none \(the line ended there\): --label VALUE$/ },
      { args: ['run', '--json', '--ready', '(', '--', 'true'], says: /--ready: not a valid regular expression/ },
      // A --json given where a value was due (`--label $UNSET --json`) still asks for records.
      { args: ['run', '--label', '--json', '--', 'true'], says: /^--label needs a value right after it, and got none \(--json came next; a value that starts with a dash is written --label=--json\)/ },
    ];
    const runs = await Promise.all(cases.map(({ args }) => runCli(args)));
    for (const [i, run] of runs.entries()) {
      const { args, says } = cases[i] as (typeof cases)[number];
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stderr, '', `${args.join(' ')}: in --json everything is a record on stdout`);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.equal(records.length, 1, run.stdout);
      const [record] = records as [Record<string, unknown>];
      assert.deepEqual({ name: record.name, event: record.event, reason: record.reason, code: record.code, exitCode: record.exitCode }, { name: 'subvisor', event: 'failure', reason: 'usage', code: 'ERR_SUBVISOR_USAGE', exitCode: 2 });
      assert.match(String(record.line), says);
    }
    // The control: a --json that is the command's own word is not run's, so the mistake is told in words.
    const plain = await runCli(['run', '--grce', '5s', '--', 'echo', '--json']);
    assert.equal(plain.code, 2);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /^subvisor: unknown option '--grce'; did you mean --grace\?/);
  });

  test("--json: a failure's failed and failure records carry its reason and stable code, as the library's error has them", { timeout: 30_000 }, async () => {
    const identity = async (args: string[]): Promise<Record<string, unknown>[]> => {
      const run = await runCli(['run', '--json', ...args]);
      const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      return records.filter((record) => record.event === 'failed' || record.event === 'failure').map(({ event, reason, code, timeoutMs }) => ({ event, reason, code, timeoutMs }));
    };
    assert.deepEqual(await identity(['--', 'sh', '-c', 'exit 7']), ['failed', 'failure'].map((event) => ({ event, reason: 'exit', code: 'ERR_SUBVISOR_CALLED_PROCESS', timeoutMs: undefined })));
    // A readiness timeout said nothing of itself in --json but its line: no reason, no code, no deadline.
    assert.deepEqual(await identity(['--ready', 'never', '--ready-timeout', '200ms', '--grace', '100ms', '--', 'sleep', '10']), [
      { event: 'failed', reason: 'ready', code: 'ERR_SUBVISOR_READY_TIMEOUT', timeoutMs: 200 },
      { event: 'failure', reason: 'ready', code: 'ERR_SUBVISOR_READY_TIMEOUT', timeoutMs: undefined },
    ]);
    assert.deepEqual(await identity(['--', '/nonexistent/program']), ['failed', 'failure'].map((event) => ({ event, reason: 'spawn', code: 'ENOENT', timeoutMs: undefined })));
  });

  test('--json: each line is the record JSON.stringify makes of it (DEL and C1 escaped), its fields in order, whatever characters it has', { timeout: 30_000 }, async () => {
    // A read of plain lines, then reads each of one line that needs escaping (each kind alone,
    // then all together), written 100 ms apart so that each comes in a read of its own.
    const plain = ['one', '', 'two words', "it's {a} [b] ~`!"];
    const special = ['tab\there', 'say "hi"', 'back\\slash', 'caf\u00e9 \u{1f600}', 'bell\u0007', 'del\u007f', 'c1 csi\u009b2J', 'all "\\\t\u00e9'];
    const writes = [plain.join('\n'), ...special].map((text) => `${text}\n`);
    const script = `const writes = ${JSON.stringify(writes)}; const next = () => { process.stdout.write(writes.shift()); if (writes.length > 0) setTimeout(next, 100); }; next();`;
    const run = await runCli(['run', '--json', '--label', 'j "x"', '--', process.execPath, '-e', script]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').filter((line) => line.includes('"stream":"stdout"'));
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.map((record) => record.line), [...plain, ...special]);
    records.forEach((record, index) => {
      assert.deepEqual(Object.keys(record), ['time', 'name', 'stream', 'line']);
      assert.equal(record.name, 'j "x"');
      // As JSON.stringify writes it, but DEL and C1 (U+009B starts a terminal command) escaped, as the library's NDJSON sink writes them.
      const escaped = JSON.stringify(record).replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
      assert.equal(lines[index], escaped);
    });
    assert.doesNotMatch(run.stdout, /[\u007f-\u009f]/, 'no raw DEL or C1 control reaches the output');
  });

  test('--json: a label with `$&`, `$\'` or `$$` in it is written as given in every record of a read of several lines', { timeout: 30_000 }, async () => {
    // Such a label reaches the text that separates the records of one read; as a replacement
    // pattern, `$&` would put the newline it replaces inside a record, and `$'` the rest of the read.
    const label = "a$&b$'c$$d$`e";
    const run = await runCli(['run', '--json', '--label', label, '--', 'printf', 'one\\ntwo\\nthree\\n']);
    assert.equal(run.code, 0, run.stderr);
    const records = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.filter((record) => record.stream === 'stdout').map(({ name, line }) => ({ name, line })), ['one', 'two', 'three'].map((line) => ({ name: label, line })));
  });

  test('relayed control sequences are neutralised, colours dropped without a terminal', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'e', '--', 'printf', '\\033[2Jcleared \\033[31mred\\033[0m\\n']);
    assert.equal(run.code, 0);
    assert.ok(!run.stdout.includes('\x1b'), 'no raw ESC reaches the output');
    assert.match(run.stdout, /e \| \\x1b\[2Jcleared red/);
  });

  test('lines relayed in blocks keep every character: UTF-8 text whole, a label with `$&` taken literally, each line prefixed once', { timeout: 30_000 }, async () => {
    // Many lines in one read make one block (one replaceAll for its prefixes). The pauses give the
    // UTF-8 line a batch of its own, with no state line beside it that would have the batch checked anyway.
    const script = 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; sleep 0.3; printf "caf\\303\\251 \\346\\227\\245\\nmore\\n"; sleep 0.3; echo last';
    const run = await runCli(['run', '--label', 'x$&y', '--', 'sh', '-c', script]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => !line.startsWith('x$&y *'));
    assert.deepEqual(lines.slice(0, 3), ['x$&y | line 0', 'x$&y | line 1', 'x$&y | line 2']);
    assert.equal(lines.filter((line) => line.startsWith('x$&y | line ')).length, 300);
    assert.ok(lines.includes('x$&y | café 日'), `the UTF-8 line arrives whole: ${JSON.stringify(lines.slice(299, 303))}`);
    assert.ok(lines.includes('x$&y | last'));
  });

  test('SIGINT stops the child gracefully and exits 130; nothing outlives the CLI', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--label', 's', '--', 'sh', '-c', 'trap "echo got TERM; exit 0" TERM; echo pid $$; while :; do sleep 0.05; done']);
    await cli.waitForOutput(/s \| pid \d+/);
    const pid = Number(/s \| pid (\d+)/.exec(cli.stdoutSoFar())?.[1]);
    try {
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      assert.match(run.stdout, /s \| got TERM/, 'the child got SIGTERM and could clean up');
      await waitUntil(() => !isRunning(pid), 'the child to be gone', 2000);
    } finally {
      killQuietly(pid);
    }
  });

  test('SIGTERM exits 143', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--', 'sleep', '30']);
    await cli.waitForOutput('starting (pid');
    cli.kill('SIGTERM');
    assert.equal((await cli.done).code, 143);
  });

  test('a second SIGINT kills at once, without waiting for the grace, and exits 130', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--label', 'stubborn', '--grace', '20s', '--', 'sh', '-c', 'trap "" TERM; echo pid $$; while :; do sleep 0.05; done']);
    await cli.waitForOutput(/stubborn \| pid \d+/);
    const pid = Number(/stubborn \| pid (\d+)/.exec(cli.stdoutSoFar())?.[1]);
    try {
      cli.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(isRunning(pid), 'the first SIGINT waits for the (20 s) grace');
      const started = performance.now();
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      assert.ok(performance.now() - started < 5000, 'the second SIGINT does not wait for the grace');
      assert.match(run.stderr, /^subvisor: second SIGINT: killing stubborn at once$/m, 'said as the run\'s own word, as `up` says it');
      await waitUntil(() => !isRunning(pid), 'the child to be killed', 2000);
    } finally {
      killQuietly(pid);
    }
  });

  test('what still holds the output of a child that exited is stopped with a state line naming it, and SIGKILLed with one at the grace', { timeout: 30_000 }, async () => {
    // In a session of its own, its parent gone (as a PostgreSQL backend whose postmaster was
    // killed): found only by the pipe it holds, after the drain graces.
    const script = `setsid sh -c 'trap "" TERM; echo holder $$; exec sleep 1000' & sleep 0.1; exit 0`;
    const cli = startCli(['run', '--label', 'leaky', '--grace', '1s', '--', 'sh', '-c', script]);
    await cli.waitForOutput(/leaky \| holder \d+/);
    const holder = Number(/leaky \| holder (\d+)/.exec(cli.stdoutSoFar())?.[1]);
    try {
      const run = await cli.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^leaky \\* stopping 1 process that still holds its output \\(pid ${holder}\\): SIGTERM$`, 'm'));
      assert.match(run.stdout, new RegExp(`^leaky \\* still running 1\\.0 s after its stop signal: SIGKILL to 1 process that still holds its output \\(pid ${holder}\\)$`, 'm'));
      await waitUntil(() => !isRunning(holder), 'the holder to be gone', 2000);
    } finally {
      killQuietly(holder);
    }
  });

  test('a second SIGINT during the stop of what still holds the output of a child that exited kills it at once, not at its grace', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-holder-'));
    const told = join(dir, 'told');
    // The holder notes its stop signal and runs on; it still holds the pipe, and so do its sleeps.
    const script = `setsid sh -c 'trap "touch ${told}" TERM; echo holder $$; while :; do sleep 0.05; done' & sleep 0.1; exit 0`;
    const cli = startCli(['run', '--label', 'leaky', '--grace', '60s', '--', 'sh', '-c', script]);
    await cli.waitForOutput(/leaky \| holder \d+/);
    const holder = Number(/leaky \| holder (\d+)/.exec(cli.stdoutSoFar())?.[1]);
    try {
      await waitUntil(() => existsSync(told), 'the holder\'s stop to begin', 10_000);
      assert.ok(isRunning(holder), 'control: it runs on after its stop signal, and its grace is 60 s');
      // The first SIGINT says nothing here (the stop is already under way), so nothing tells when it
      // was taken: SIGINT is sent again every 300 ms, each past the 100 ms within which a signal is
      // the first one told twice, until the run ends. A loaded machine may take two as one.
      cli.kill('SIGINT');
      const again = setInterval(() => cli.kill('SIGINT'), 300);
      const run = await cli.done.finally(() => clearInterval(again));
      assert.equal(run.code, 130);
      assert.match(run.stderr, /^subvisor: second SIGINT: killing leaky at once$/m);
      // Before: the CLI ended, and the holder ran on until the watchdog's SIGKILL at the 60 s grace.
      await waitUntil(() => !isRunning(holder), 'the holder to be killed', 5000);
    } finally {
      killQuietly(holder);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a second SIGINT while the holders of an exited child\'s output are still being looked for kills them too', { timeout: 60_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-holder-'));
    const go = join(dir, 'go');
    const script = `setsid sh -c 'trap "" TERM; echo holder $$; exec sleep 1000' & while [ ! -e ${go} ]; do sleep 0.05; done; echo bye; exit 0`;
    const cli = startCli(['run', '--label', 'leaky', '--grace', '60s', '--', 'sh', '-c', script]);
    await cli.waitForOutput(/leaky \| holder \d+/);
    const holder = Number(/leaky \| holder (\d+)/.exec(cli.stdoutSoFar())?.[1]);
    // Started after the child, processes with many fds open make the search for its holders take a
    // while (it reads each fd of each): the second SIGINT lands before it has found the holder.
    const hog = "const fs = require('node:fs'); for (let i = 0; i < 15000; i++) fs.openSync('/dev/null', 'r'); console.log('open'); setInterval(() => {}, 60000);";
    const hogs = Array.from({ length: 4 }, () => spawn(process.execPath, ['-e', hog], { stdio: ['ignore', 'pipe', 'inherit'] }));
    t.after(() => {
      for (const each of hogs) each.kill('SIGKILL');
      killQuietly(holder);
      rmSync(dir, { recursive: true, force: true });
    });
    await Promise.all(hogs.map((each) => once(each.stdout, 'data')));
    writeFileSync(go, '');
    await cli.waitForOutput(/leaky \| bye/);
    cli.kill('SIGINT');
    // The second 150 ms later, past the 100 ms within which a signal is the first one told twice,
    // so that it lands during the search; and again every 300 ms until the run ends, as a loaded
    // machine may take the first late and these two as one (the run would then wait out the
    // holder's 60 s grace, past this test's timeout).
    await sleep(150);
    cli.kill('SIGINT');
    const again = setInterval(() => cli.kill('SIGINT'), 300);
    const run = await cli.done.finally(() => clearInterval(again));
    // 130, or SIGINT itself for one of the repeats landing after the CLI let go of its handlers on
    // its way out (a shell reads both as 130); never the holder's 60 s grace waited out.
    assert.ok(run.code === 130 || (run.code === null && run.signal === 'SIGINT'), `code ${run.code}, signal ${run.signal}: ${run.stderr}`);
    // Before: found only once its search was over, which no later turn of the loop came to finish.
    await waitUntil(() => !isRunning(holder), 'the holder to be killed', 5000);
  });

  test('--json: the second SIGINT is the run\'s own record, under `subvisor`, as in `up`', { timeout: 30_000 }, async () => {
    const cli = startCli(['run', '--json', '--label', 'stubborn', '--grace', '20s', '--', 'sh', '-c', 'trap "" TERM; echo pid $$; while :; do sleep 0.05; done']);
    await cli.waitForOutput(/"line":"pid \d+"/);
    const pid = Number(/"line":"pid (\d+)"/.exec(cli.stdoutSoFar())?.[1]);
    try {
      cli.kill('SIGINT');
      await cli.waitForOutput(/"event":"stopping"/);
      await new Promise((resolve) => setTimeout(resolve, 300)); // one within 100 ms of the first is ignored (README)
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      const killed = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => record.event === 'killed');
      assert.deepEqual(killed.map(({ name, stream, line }) => ({ name, stream, line })), [{ name: 'subvisor', stream: 'report', line: 'second SIGINT' }]);
      await waitUntil(() => !isRunning(pid), 'the child to be killed', 2000);
    } finally {
      killQuietly(pid);
    }
  });

  test('a child that opens /dev/stdout by name meets a socket (ENXIO); bash -o pipefail and | cat give it a pipe and keep its status, as the README says', { timeout: 30_000 }, async () => {
    const byName = '{ echo out > /dev/stdout; echo err > /dev/stderr; exit 3; }';
    const socket = await runCli(['run', '--label', 's', '--', 'sh', '-c', byName]);
    assert.match(socket.stdout, /^s \| .*cannot create \/dev\/stdout: No such device or address$/m);
    assert.doesNotMatch(socket.stdout, /^s \| out$/m);
    const piped = await runCli(['run', '--label', 'p', '--', 'bash', '-o', 'pipefail', '-c', `${byName} 2>&1 | cat`]);
    assert.equal(piped.code, 3, piped.stderr);
    assert.match(piped.stdout, /^p \| out\np \| err$/m);
  });

  test('a Node child that ends with process.exit() after a burst keeps every line when it ends by itself, or (a burst the pipe holds) writes to a pipe, as the README says', { timeout: 30_000 }, async () => {
    const burst = 'for (let i = 0; i < 3000; i++) console.log("test " + i + " ok"); console.log("SUMMARY: 3000 passed");';
    const byItself = await runCli(['run', '--label', 't', '--', process.execPath, '-e', `${burst} process.exitCode = 0`]);
    const piped = await runCli(['run', '--label', 't', '--', 'bash', '-o', 'pipefail', '-c', `"${process.execPath}" -e '${burst} process.exit(0)' | cat`]);
    for (const run of [byItself, piped]) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.match(/^t \| test \d+ ok$/gm)?.length, 3000);
      assert.match(run.stdout, /^t \| SUMMARY: 3000 passed$/m);
    }
  });

  test('a program name whose only PATH entry to hold it is a directory this user may not enter: that directory is named, not "chmod +x"', { timeout: 30_000 }, async () => {
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-path-entry-'));
    try {
      writeFileSync(join(closed, 'hidden-prog'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      // Root enters any directory: the command line itself runs as nobody. Anyone else is kept out of its own.
      const asRoot = process.getuid?.() === 0;
      chmodSync(closed, asRoot ? 0o700 : 0o000);
      const run = await runCli(['run', '--', 'hidden-prog'], { cwd: '/', env: { PATH: `${closed}:/usr/bin:/bin` }, ...(asRoot ? { uid: 65534 } : {}) });
      assert.equal(run.code, 126, run.stderr);
      const mode = asRoot ? '700' : '0';
      assert.ok(run.stdout.includes(`cannot start hidden-prog: permission denied: this user may not enter ${closed} (mode ${mode}, owned by uid ${String(process.getuid?.())}), a directory on PATH where hidden-prog may be; grant it search (x) permission there, or give the program's full path`), run.stdout + run.stderr);
    } finally {
      chmodSync(closed, 0o700);
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a reader that goes away ends the run like SIGPIPE: the child is stopped, status 141', { timeout: 30_000 }, async () => {
    const pipeline = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- yes | head -n 2 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(pipeline.error, undefined, 'the pipeline must end by itself, not at the timeout');
    assert.match(pipeline.stdout, /status=141/);
  });

  test('a reader that goes away after the child exited, while its last lines are written out, still ends the run with 141', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-late-reader-'));
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  p: { cmd: "seq 1 60000" }\n');
      // 60 000 lines fit in the output's buffer: the child has exited long before the reader reads one line and leaves.
      for (const command of ['run -- seq 1 60000', 'up']) {
        const pipeline = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${command} 2>/dev/null | (sleep 1; head -n 1 >/dev/null); echo "status=\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
        assert.equal(pipeline.error, undefined, `${command}: it must end by itself`);
        assert.match(pipeline.stdout, /status=141/, command);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file-size limit (EFBIG) crossed in the middle of a write stops the run at once, said on stderr', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-efbig-'));
    try {
      // The write that crosses the limit is short; the error came only with the next one, and a
      // child that went quiet meanwhile (here for 30 s) kept the run going with its output cut.
      const limited = spawnSync('bash', ['-c', `ulimit -f 1; "${process.execPath}" "${BIN}" run -- sh -c 'seq 1 200; exec sleep 30' > out`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(limited.error, undefined, 'it must end by itself, long before the child would');
      assert.equal(limited.status, 1, limited.stderr);
      assert.match(limited.stderr, /^subvisor: cannot write to stdout: EFBIG/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a stderr that cannot take the report (2>/dev/full) leaves the child's status, not a defect of subvisor's (70)", { timeout: 30_000 }, async () => {
    const full = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- sh -c 'exit 3' >/dev/null 2>/dev/full`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(full.error, undefined);
    assert.equal(full.status, 3);
  });

  // `up` goes on instead: see ./stdout-file.test.ts.
  test('run with an output that cannot be written (a full disk: /dev/full) stops with status 1, said on stderr', { timeout: 30_000 }, async () => {
    const full = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run -- sh -c 'seq 1 50000; exec sleep 30' > /dev/full`], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(full.error, undefined, 'it must end by itself');
    assert.equal(full.status, 1, full.stderr);
    assert.match(full.stderr, /^subvisor: cannot write to stdout: ENOSPC: no space left on device, write; stopping with status 1$/m);
    assert.doesNotMatch(full.stderr, /internal error/);
  });

  test('--help after any command prints the usage with status 0; after the command it is the command\'s', { timeout: 30_000 }, async () => {
    // Each command's help documents that command: the synopses its section has, and no other.
    const synopses = (text: string): string[] => [...text.matchAll(/^ {2}subvisor (\S+(?: (?:systemd|compose))?)/gm)].map((match) => match[1] ?? '');
    // And only the footer lines that apply: durations where the command takes one, Ctrl-C's two steps where it supervises.
    const footers = (text: string): string[] => [...text.matchAll(/^(Durations|First Ctrl-C)/gm)].map((match) => match[1] ?? '');
    const both = ['Durations', 'First Ctrl-C'];
    const cases: [string[], string[], string[]][] = [
      [['--help'], ['run', 'up', 'ps', 'restart|stop|start', 'logs', 'export systemd', 'export compose', 'probe', '--help'], both],
      [['run', '--help'], ['run', '--help:'], both],
      [['up', '-h'], ['up', '--help:'], both],
      [['ps', '--help'], ['ps', '--help:'], []],
      [['logs', '--help'], ['logs', '--help:'], []],
      [['export', 'systemd', '--help'], ['export systemd', 'export compose', '--help:'], []],
      [['export', '--help'], ['export systemd', 'export compose', '--help:'], []],
      [['probe', '--help'], ['probe', '--help:'], ['Durations']],
      [['stop', '--help'], ['restart|stop|start', '--help:'], []],
    ];
    for (const [args, documented, footer] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /^subvisor: structured supervision of child processes\n\nusage:/, args.join(' '));
      assert.deepEqual(synopses(run.stdout), documented, args.join(' '));
      assert.deepEqual(footers(run.stdout), footer, args.join(' '));
    }
    const passedOn = await runCli(['run', '--label', 'c', '--', 'sh', '-c', 'echo "$1"', 'sh', '--help']);
    assert.equal(passedOn.code, 0, passedOn.stderr);
    assert.match(passedOn.stdout, /^c \| --help$/m);
  });

  test("without a leading --, the command starts at its first word, and a -- after it is the command's own", { timeout: 30_000 }, async () => {
    for (const args of [['run', 'echo', 'a', '--', 'b'], ['run', '--json', 'echo', 'a', '--', 'b'], ['run', '--', 'echo', 'a', '--', 'b']]) {
      const run = await runCli(args);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stdout, /a -- b/, args.join(' '));
    }
  });

  test('--label must be a name: not empty, no control characters (a newline would split every line)', { timeout: 30_000 }, async () => {
    for (const label of ['', 'a\nb', 'tab\there']) {
      const run = await runCli(['run', '--label', label, '--', 'echo', 'hi']);
      assert.equal(run.code, 2, JSON.stringify(label));
      assert.match(run.stderr, label === '' ? /^subvisor: --label needs a value, not an empty or blank string/ : /^subvisor: --label needs a name without control characters/);
    }
  });

  test("an option given an empty value (an unset shell variable) is bad usage, not the current directory or a command that never passes", { timeout: 60_000 }, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'subvisor-empty-'));
    try {
      writeFileSync(join(scratch, 'Procfile'), 'web: echo web\n');
      for (const [args, option] of [
        [['export', 'systemd', '-o', ''], '--output \\(-o\\)'],
        [['export', 'compose', '--image', ' '], '--image'],
        [['probe', '--exec', ''], '--exec'],
        [['probe', '--tcp', '127.0.0.1:1', '--timeout', ''], '--timeout'],
        [['up', '--socket', ''], '--socket'],
        [['logs', '-n', ''], '--lines \\(-n\\)'],
      ] as const) {
        const run = await runCli(args, { cwd: scratch });
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`^subvisor: ${option} needs a value, not an empty or blank string`), args.join(' '));
      }
      // Nothing was written where '' would have led: the current directory.
      assert.deepEqual(readdirSync(scratch), ['Procfile']);
      // An empty --ready is a pattern that every line matches: still allowed.
      assert.equal((await runCli(['run', '--ready', '', '--', 'echo', 'hi'])).code, 0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('in a current directory that was removed, `run` and `probe` run their command there, as a shell would; `up` and the clients say what happened', { timeout: 30_000 }, async () => {
    const inRemoved = (): { execVia: string[] } => ({ execVia: ['sh', '-c', 'cd "$0" && rmdir "$0" && exec "$@"', mkdtempSync(join(tmpdir(), 'subvisor-removed-'))] });
    const run = await runCli(['run', '--', 'sh', '-c', 'echo ran'], inRemoved());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^sh +\| ran$/m);
    const probe = await runCli(['probe', '--exec', 'true', '--timeout', '5s'], inRemoved());
    assert.equal(probe.code, 0, probe.stderr);
    for (const args of [['up'], ['up', '-f', '/nonexistent/subvisor.yaml'], ['ps']]) {
      const refused = await runCli(args, inRemoved());
      assert.equal(refused.code, 1, refused.stderr);
      assert.equal(refused.stderr, 'subvisor: the current directory no longer exists (it was removed): cd to a directory that exists, and run this again\n', args.join(' '));
    }
    // `up --json` says it as a record, the only thing its reader reads.
    const json = await runCli(['up', '--json'], inRemoved());
    assert.equal(json.code, 1, json.stdout + json.stderr);
    assert.equal(json.stderr, '');
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual([record.event, record.reason, record.code, record.exitCode], ['failure', 'cwd', 'ENOENT', 1]);
    assert.match(String(record.line), /^the current directory no longer exists \(it was removed\): cd to a directory/);
  });

  test('bad usage is one line and status 2', { timeout: 30_000 }, async () => {
    for (const args of [['run'], ['run', '--grace', 'soon', '--', 'true'], ['frobnicate'], ['run', '--ready', '(', '--', 'true']]) {
      const run = await runCli(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^subvisor: /);
    }
    const badPattern = await runCli(['run', '--ready', '(', '--', 'true']);
    assert.equal(badPattern.stderr, 'subvisor: --ready: not a valid regular expression (Invalid regular expression: /(/: Unterminated group); fix the pattern (a JavaScript RegExp, without flags)\n(see subvisor run --help)\n');
    // A value forgotten (`--label $UNSET --timestamps`) is said to be missing, with how to give one
    // that starts with a dash; Node's "ambiguous" and its '--label=-XYZ' said neither plainly.
    // (`--label --json` would be a record: see the --json usage test.)
    const dashed = await runCli(['run', '--label', '--timestamps', '--', 'true']);
    assert.equal(dashed.code, 2, dashed.stderr);
    assert.equal(dashed.stderr, 'subvisor: --label needs a value right after it, and got none (--timestamps came next; a value that starts with a dash is written --label=--timestamps): --label VALUE\n(see subvisor run --help)\n');
    const forgotten = await runCli(['run', '--grace', '--', 'true']);
    assert.equal(forgotten.stderr, 'subvisor: --grace needs a value right after it, and got none (`--` came next): --grace VALUE\n(see subvisor run --help)\n');
    // The control: a lone - is a value (-f -, the config on stdin), not a missing one.
    assert.doesNotMatch((await runCli(['up', '-f', '-', '--json'])).stdout, /needs a value/);
    // A negative number is no option: the option's own check says what it expects, not Node's
    // advice to write --lines=-5, which that check would refuse in turn.
    const negative = await runCli(['logs', '-n', '-5']);
    assert.equal(negative.stderr, "subvisor: -n: expected a whole number of lines, 0 or more, got '-5'\n(see subvisor logs --help)\n");
    // --timeout 0 would stop the child as it starts (timeout(1) reads 0 as no timeout at all): refused.
    const zero = await runCli(['run', '--timeout', '0', '--', 'true']);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /^subvisor: --timeout must be longer than 0: it is how long the command may run \(leave it out for no limit\)$/m);
    const negativeDuration = await runCli(['run', '--timeout', '-5s', '--', 'true']);
    assert.equal(negativeDuration.code, 2, negativeDuration.stderr);
    assert.match(negativeDuration.stderr, /^subvisor: --timeout: invalid duration '-5s'/);
    // After `--`, a negative number is the command's.
    const commands = await runCli(['run', '--', 'sh', '-c', 'echo "$1"', 'sh', '-5']);
    assert.match(commands.stdout, /^sh \| -5$/m);
    // A misspelt option: the one most likely meant, and the command's own help.
    const misspelt = await runCli(['run', '--lable', 'x', '--', 'true']);
    assert.equal(misspelt.code, 2, misspelt.stderr);
    assert.equal(misspelt.stderr, "subvisor: unknown option '--lable'; did you mean --label?\n(see subvisor run --help)\n");
    const far = await runCli(['ps', '--zzzzzz']);
    assert.equal(far.stderr, "subvisor: unknown option '--zzzzzz'; the options are --file, --socket, --json, --help\n(see subvisor ps --help)\n");
    const unknownCommand = await runCli(['frobnicate']);
    assert.match(unknownCommand.stderr, /\n\(see subvisor --help\)\n$/);
  });

  test("`help COMMAND` is that command's help; a word that names no command, there or in the command's place, is refused with the one most likely meant", { timeout: 30_000 }, async () => {
    const help = await runCli(['help', 'logs']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, (await runCli(['logs', '--help'])).stdout);
    for (const [args, meant] of [
      [['help', 'bogus'], ''],
      [['help', 'stauts'], "; did you mean 'ps'?"],
      [['rn', '--', 'true'], "; did you mean 'run'?"],
      [['version'], "; did you mean '--version'?"],
      [['--verison'], "; did you mean '--version'?"],
      [['tail', '-f'], "; did you mean 'logs'?"],
    ] as const) {
      const run = await runCli(args);
      const word = args[0] === 'help' ? args[1] : args[0];
      assert.deepEqual(run, { code: 2, signal: null, stdout: '', stderr: `subvisor: unknown command '${word}'${meant}\n(see subvisor --help)\n` }, args.join(' '));
    }
  });

  test('no command at all is bad usage: the usage on stderr, nothing on stdout, status 2', { timeout: 30_000 }, async () => {
    const run = await runCli([]);
    assert.deepEqual({ code: run.code, stdout: run.stdout }, { code: 2, stdout: '' });
    assert.match(run.stderr, /^subvisor: structured supervision of child processes\n\nusage:/);
  });

  test('--version and -v print the package version; --help and -h the usage', { timeout: 30_000 }, async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag]);
      assert.deepEqual({ code: run.code, stdout: run.stdout }, { code: 0, stdout: `${version}\n` }, flag);
    }
    for (const flag of ['--help', '-h']) assert.match((await runCli([flag])).stdout, /^subvisor: structured supervision of child processes\n/, flag);
  });
});
