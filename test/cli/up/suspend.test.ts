// subvisor up: Ctrl-Z (SIGSTOP, then SIGCONT): time spent suspended is no probe failure, nor a grace run out.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../support/network.js';
import { waitUntil } from '../../support/processes.js';
import { runCli, startCli } from '../cli.js';
import { config, scratch } from './support.js';

describe('subvisor up', () => {
  test('control for the Ctrl-Z case: a probe try slow to die at the deadline (deaf to SIGTERM) is no suspension, and earns no extra try', { timeout: 30_000 }, async () => {
    const file = config(`processes:
  a:
    cmd: "sleep 30"
    ready: { exec: "trap '' TERM; sleep 3", interval: 100ms }
    readyTimeout: 1s
`);
    const run = await runCli(['up', '-f', file]);
    assert.equal(run.code, 124, run.stdout + run.stderr);
    assert.match(run.stdout, /^a +\* was not ready within 1000 ms/m);
    assert.doesNotMatch(run.stdout, /ready after/);
  });

  for (const kind of ['exec', 'tcp'] as const) {
    test(`${kind === 'exec' ? 'an' : 'a'} ${kind} ready probe is tried again when subvisor is continued after a Ctrl-Z past its readyTimeout: the process came up meanwhile`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(scratch, 'tstp-'));
      const go = join(dir, 'go');
      const port = await freePort();
      const server = join(dir, 'server.js');
      writeFileSync(server, `require('net').createServer().listen(${port}, '127.0.0.1');`);
      const probe = kind === 'exec' ? `{ exec: "test -f ${join(dir, 'up')}", interval: 50ms }` : `{ tcp: "127.0.0.1:${port}", interval: 50ms }`;
      const file = config(`processes:
  app:
    cmd: "while [ ! -f ${go} ]; do sleep 0.02; done; touch ${join(dir, 'up')}; echo up; exec node ${server}"
    ready: ${probe}
    readyTimeout: 1s
`);
      const cli = startCli(['up', '-f', file]);
      try {
        await cli.waitForOutput(/^app +\* starting \(pid \d+\)/m);
        process.kill(cli.pid, 'SIGSTOP');
        writeFileSync(go, '');
        await sleep(1500);
        process.kill(cli.pid, 'SIGCONT');
        await cli.waitForOutput(/^app +\* ready after \d+ ms/m);
        assert.doesNotMatch(cli.stdoutSoFar(), /not ready within/);
      } finally {
        cli.kill('SIGCONT');
        cli.kill('SIGINT');
      }
      assert.equal((await cli.done).code, 130);
    });
  }

  for (const { hangs, what } of [
    { hangs: false, what: 'a liveness try that answered in time, seen only after a Ctrl-Z past its timeout, is not counted: the process runs on' },
    { hangs: true, what: 'control: a liveness try that hangs past its timeout after that Ctrl-Z still fails the process, one try later' },
  ]) {
    test(what, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(scratch, 'tstp-live-'));
      const trying = join(dir, 'trying');
      const hang = join(dir, 'hang');
      const file = config(`processes:
  web:
    cmd: "echo up; exec sleep 1000"
    liveness: { exec: "touch ${trying}; sleep 0.4; rm -f ${trying}; while [ -f ${hang} ]; do sleep 0.05; done", interval: 100ms, timeout: 1s, failures: 1 }
`);
      const cli = startCli(['up', '-f', file]);
      try {
        await cli.waitForOutput(/^web +\| up$/m);
        await waitUntil(() => existsSync(trying), 'a liveness try to begin', 5000);
        process.kill(cli.pid, 'SIGSTOP');
        if (hangs) writeFileSync(hang, '');
        // The try answers 0.4 s in (or, with `hang`, goes on), while subvisor, suspended, sees
        // nothing until well past its 1 s timeout.
        await waitUntil(() => !existsSync(trying), 'the try to answer', 5000);
        await sleep(1200);
        process.kill(cli.pid, 'SIGCONT');
        if (hangs) {
          await cli.waitForOutput(/^web +\* failed its liveness probe 1 time in a row \(last: no answer within 1000 ms/m);
        } else {
          // Two more tries, each seen through, pass (unless the process was stopped instead: said below).
          const stopped = (): boolean => /liveness/.test(cli.stdoutSoFar());
          for (let tries = 0; tries < 2 && !stopped(); tries += 1) {
            await waitUntil(() => existsSync(trying) || stopped(), 'the next try to begin', 5000);
            await waitUntil(() => !existsSync(trying), 'the next try to answer', 5000);
          }
          await sleep(200);
          assert.doesNotMatch(cli.stdoutSoFar(), /liveness|stopping/);
        }
      } finally {
        cli.kill('SIGCONT');
        cli.kill('SIGINT');
        rmSync(hang, { force: true });
      }
      assert.equal((await cli.done).code, hangs ? 1 : 130, cli.stdoutSoFar());
    });
  }

  test('two Ctrl-Zs back to back, each past a liveness try\'s timeout, count neither try: the process runs on', { timeout: 30_000 }, async () => {
    // The control is the `hangs` case above: a late cut with no suspension behind it counts.
    const dir = mkdtempSync(join(scratch, 'tstp-twice-'));
    const trying = join(dir, 'trying');
    const answer = join(dir, 'answer');
    const answered = join(dir, 'answered');
    // A try answers only once told to, and the test tells it only while subvisor is suspended: so
    // each suspended try is one subvisor sees answered only after its timeout, however late the
    // test is to suspend it (a try that answered before the SIGSTOP would prove nothing).
    const file = config(`processes:
  web:
    cmd: "echo up; exec sleep 1000"
    liveness: { exec: "touch ${trying}; while [ ! -f ${answer} ]; do sleep 0.02; done; rm -f ${trying}; echo >> ${answered}", interval: 100ms, timeout: 2s, failures: 1 }
`);
    const cli = startCli(['up', '-f', file]);
    const answers = (): number => (existsSync(answered) ? readFileSync(answered, 'utf8').length : 0);
    try {
      await cli.waitForOutput(/^web +\| up$/m);
      for (let suspension = 0; suspension < 2; suspension += 1) {
        await waitUntil(() => existsSync(trying), 'a liveness try to begin', 5000);
        process.kill(cli.pid, 'SIGSTOP');
        writeFileSync(answer, '');
        await waitUntil(() => !existsSync(trying), 'the try to answer', 5000);
        rmSync(answer);
        // Past the try's 2 s timeout, and well past it counted from the answer: a late cut.
        await sleep(2800);
        process.kill(cli.pid, 'SIGCONT');
      }
      // Two more tries seen through: neither suspended try was a verdict (it comes before the next try).
      writeFileSync(answer, '');
      const stopped = (): boolean => /liveness/.test(cli.stdoutSoFar());
      await waitUntil(() => answers() >= 4 || stopped(), 'two more tries to answer', 10_000);
      assert.doesNotMatch(cli.stdoutSoFar(), /liveness|stopping/);
    } finally {
      cli.kill('SIGCONT');
      cli.kill('SIGINT');
    }
    assert.equal((await cli.done).code, 130, cli.stdoutSoFar());
  });

  test('Ctrl-Z during the stop, past the grace: a process that obeyed its SIGTERM meanwhile is `stopped`, with no SIGKILL claimed', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(scratch, 'tstp-grace-'));
    const gone = join(dir, 'gone');
    const file = config(`processes:
  web:
    cmd: "trap 'sleep 0.3; touch ${gone}; exit 0' TERM; echo up; while :; do sleep 0.05; done"
    ready: "up"
    grace: 1s
`);
    const cli = startCli(['up', '-f', file]);
    try {
      await cli.waitForOutput(/^web +\* ready/m);
      cli.kill('SIGINT');
      await cli.waitForOutput(/^web +\* stopping \(SIGINT\)/m);
      process.kill(cli.pid, 'SIGSTOP');
      // web ends 0.3 s into its 1 s grace; subvisor sees it only when continued, well past the grace.
      await waitUntil(() => existsSync(gone), 'web to obey its SIGTERM', 5000);
      await sleep(1500);
      process.kill(cli.pid, 'SIGCONT');
    } finally {
      cli.kill('SIGCONT');
    }
    const ended = await cli.done;
    assert.equal(ended.code, 130, cli.stdoutSoFar());
    assert.doesNotMatch(cli.stdoutSoFar(), /still running|SIGKILL/);
    assert.match(cli.stdoutSoFar(), /^web +\* stopped$/m);
  });
});
