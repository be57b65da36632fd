// subvisor up: Ctrl-C, and the signals that stop a run (SIGINT, a second one, SIGHUP, SIGTERM).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { startCli } from '../cli.js';
import { config, scratch } from './support.js';

describe('subvisor up', () => {
  test('SIGINT stops every process and exits 130; nothing outlives the CLI', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  db:
    cmd: "sleep 30 & echo grandchild $!; echo ready; wait"
    ready: ready
  web:
    cmd: "echo pid $$; exec sleep 30"
    dependsOn: [db]
`);
    const cli = startCli(['up', '-f', file, '--grace', '2s']);
    await cli.waitForOutput(/web +\| pid \d+/);
    const out = cli.stdoutSoFar();
    const pids = [Number(/db +\* starting \(pid (\d+)\)/.exec(out)?.[1]), Number(/grandchild (\d+)/.exec(out)?.[1]), Number(/web +\| pid (\d+)/.exec(out)?.[1])];
    try {
      assert.ok(pids.every((pid) => pid > 0 && isRunning(pid)));
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      for (const pid of pids) await waitUntil(() => !isRunning(pid), `pid ${pid} to be gone`, 2000);
    } finally {
      killQuietly(...pids);
    }
  });

  test('a second SIGINT SIGKILLs every process and grandchild at once, and exits 130', { timeout: 30_000 }, async (t) => {
    // Everything ignores SIGTERM and the grace is an hour, far past the test's bound: the run ends
    // at all only if the second SIGINT did not wait for the grace.
    const stubborn = (name: string): string => `trap '' TERM; sleep 60 & echo ${name}-grandchild $!; echo ${name} $$; while :; do sleep 0.05; done`;
    // c goes at its SIGTERM: stopped by the first SIGINT, it is not among those the second one kills.
    const file = config(`processes:\n  a: { cmd: "${stubborn('a')}" }\n  b: { cmd: "${stubborn('b')}" }\n  c: { cmd: "exec sleep 60" }\n`);
    // The watchdog off: the children must be killed by the CLI itself, not by the net behind it.
    const cli = startCli(['up', '-f', file, '--grace', '1h'], { env: { SUBVISOR_WATCHDOG: '0' } });
    // A run that waits for the grace outlives the test's bound: killed then, so the file can end.
    t.signal.addEventListener('abort', () => cli.kill('SIGKILL'), { once: true });
    await cli.waitForOutput(/a +\| a \d+[\s\S]*b +\| b \d+|b +\| b \d+[\s\S]*a +\| a \d+/);
    await cli.waitForOutput(/a-grandchild \d+[\s\S]*b-grandchild \d+|b-grandchild \d+[\s\S]*a-grandchild \d+/);
    const out = cli.stdoutSoFar();
    const pids = ['a', 'b', 'a-grandchild', 'b-grandchild'].map((name) => Number(new RegExp(`\\| ${name} (\\d+)`).exec(out)?.[1]));
    try {
      assert.ok(pids.every((pid) => pid > 0 && isRunning(pid)), out);
      cli.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cli.waitForOutput(/^c +\* stopped$/m);
      assert.ok(pids.every(isRunning), 'control: the first SIGINT waits out the grace');
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130);
      await waitUntil(() => pids.every((pid) => !isRunning(pid)), `every process to be killed (still running: ${pids.filter(isRunning).join(' ')})`, 2000);
      // No summary follows (the CLI exits at once): the line names what it kills.
      assert.match(run.stderr, /^subvisor: second SIGINT: killing a, b at once$/m);
    } finally {
      killQuietly(...pids);
    }
  });

  test("a second SIGINT's line names the first five processes it kills and how many more; --json's processes has every one", { timeout: 60_000 }, async () => {
    const copies = 8;
    const names = Array.from({ length: copies }, (_, index) => `web.${index + 1}`);
    // Deaf to SIGTERM, so every copy is still up when the second SIGINT comes.
    const file = config(`processes:\n  web: { cmd: "trap '' TERM; echo up $$; while :; do sleep 0.05; done", replicas: ${copies} }\n`);
    for (const json of [false, true]) {
      const cli = startCli(['up', '-f', file, '--grace', '30s', ...(json ? ['--json'] : [])], { env: { SUBVISOR_WATCHDOG: '0' } });
      const pids = (): number[] => [...cli.stdoutSoFar().matchAll(/up (\d+)/g)].map((match) => Number(match[1]));
      try {
        await waitUntil(() => pids().length === copies, `${copies} copies to be up`, 20_000);
        cli.kill('SIGINT');
        await cli.waitForOutput(/stopping/);
        await sleep(300);
        cli.kill('SIGINT');
        const run = await cli.done;
        assert.equal(run.code, 130);
        if (json) {
          const killed = run.stdout.split('\n').filter((line) => line.includes('"killed"')).map((line) => JSON.parse(line) as { processes?: string[] });
          assert.deepEqual(killed.map((record) => record.processes), [names], run.stdout);
        } else {
          assert.match(run.stderr, /^subvisor: second SIGINT: killing web\.1, web\.2, web\.3, web\.4, web\.5 and 3 more at once$/m);
        }
      } finally {
        killQuietly(...pids());
      }
    }
  });

  // Neither is someone insisting: a terminal going away is often told twice (the shell passes its
  // SIGHUP on, the kernel sends another); GNU timeout sends its SIGTERM to the command and then to
  // its group, ms apart (apart enough here that the kernel cannot merge them, as it may).
  for (const { signal, apartMs, code, told } of [
    { signal: 'SIGHUP', apartMs: 300, code: 129, told: 'sent by a terminal going away' },
    { signal: 'SIGTERM', apartMs: 20, code: 143, told: 'sent at once (as by GNU timeout)' },
  ] as const) {
    test(`a second ${signal} ${told} does not hurry the stop`, { timeout: 30_000 }, async () => {
      const marker = join(scratch, `${signal}.stopped`);
      const slow = `trap 'sleep 0.5; echo > ${marker}; exit 0' TERM; echo pid $$; while :; do sleep 0.05; done`;
      const file = config(`processes:\n  slow: { cmd: "${slow}" }\n`);
      const cli = startCli(['up', '-f', file, '--grace', '10s']);
      await cli.waitForOutput(/slow +\| pid \d+/);
      const pid = Number(/slow +\| pid (\d+)/.exec(cli.stdoutSoFar())?.[1]);
      try {
        cli.kill(signal);
        await new Promise((resolve) => setTimeout(resolve, apartMs));
        cli.kill(signal);
        const run = await cli.done;
        assert.equal(run.code, code);
        assert.doesNotMatch(run.stderr, /second SIG/);
        assert.ok(existsSync(marker), 'the process finished its own SIGTERM handling');
        assert.equal(isRunning(pid), false);
      } finally {
        killQuietly(pid);
      }
    });
  }

  test('Ctrl-C while a process waits for readiness is an interruption (130), not a readiness failure', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  slow:
    cmd: "trap '' TERM; echo booting; while :; do sleep 0.05; done"
    ready: never
    readyTimeout: 1s
    grace: 3s
`);
    const cli = startCli(['up', '-f', file]);
    await cli.waitForOutput('slow | booting');
    cli.kill('SIGINT');
    const run = await cli.done;
    assert.equal(run.code, 130, run.stderr);
    assert.doesNotMatch(run.stderr, /failed/);
  });
});
