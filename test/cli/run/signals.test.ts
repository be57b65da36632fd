// subvisor run: signals to subvisor and the stop they start. The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { startCli } from '../cli.js';

describe('subvisor run', () => {
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
});
