// subvisor run: --ready, --ready-timeout and --timeout. The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../support/processes.js';
import { runCli, startCli } from '../cli.js';

describe('subvisor run', () => {
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
    // 124 and its words say the timeout ended it (a sleep that ran its course exits 0): no bound on the time taken.
    const run = await runCli(['run', '--timeout', '300ms', '--', 'sleep', '30']);
    assert.equal(run.code, 124);
    assert.match(run.stdout, /--timeout of 300 ms passed/);
  });
});
