// A terminal that goes away (its tmux session or ssh connection ends) under `subvisor run` and
// `subvisor up`, on a real pseudo-terminal (./terminal.ts): told by a SIGHUP from the shell, or
// told by nobody. Either way the children are stopped gracefully (SIGTERM, which they record),
// nothing is left running, no stack trace is printed, and the CLI dies of SIGHUP (129 to a shell),
// which on Node 20 it can only do by re-raising the signal: any ordinary exit with a hung-up
// terminal on its stdio aborts (134).
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fdsWaitingToWrite, isRunning, waitUntil } from '../support/processes.js';
import { reachedOr, untilReached } from '../support/reached.js';
import { startOnTerminal, type Hangup, type TerminalJob } from './terminal.js';

const BOUNDED = { timeout: 40_000 };

/** A child that says when SIGTERM reached it, writing `NAME.stopped`, and prints a line every 100 ms, or nothing. */
function child(name: string, opts: { chatty: boolean }): string {
  const loop = opts.chatty ? 'while :; do echo tick; sleep 0.1; done' : 'while :; do sleep 0.1; done';
  return `trap 'echo > ${name}.stopped; exit 0' TERM; echo $$ > ${name}.pid; ${loop}`;
}

/** The CLI died of SIGHUP, every pid is gone, each child in `stopped` recorded its SIGTERM, and stderr holds no stack trace. */
async function assertDiedOfHangup(job: TerminalJob, pids: readonly number[], stopped: readonly string[]): Promise<void> {
  assert.deepEqual(await job.ended(), { code: null, signal: 'SIGHUP' }, `stderr:\n${job.stderr()}`);
  await waitUntil(() => pids.every((pid) => !isRunning(pid)), `every pid to be gone (still running: ${pids.filter(isRunning).join(' ')})`, 3000);
  for (const name of stopped) assert.ok(existsSync(join(job.dir, `${name}.stopped`)), `${name} was stopped with SIGTERM, gracefully`);
  assert.doesNotMatch(job.stderr(), /\n\s+at |Assertion failed|Native stack/, 'no stack trace');
}

/** Whether the CLI `pid` waits to write to the terminal `tty`: it opens one of its own for its output (see src/cli/terminal-writes.ts). */
function waitsToWriteTo(pid: number, tty: string): boolean {
  return fdsWaitingToWrite(pid).some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === tty;
    } catch {
      return false; // closed meanwhile
    }
  });
}

/** Sends `signal` to `pid`; false when it is gone (a loaded machine: its last words' wait over). */
function signalled(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Control: the terminal did hang up, and the shell that leads its session was told. */
async function assertShellWasTold(job: TerminalJob): Promise<void> {
  await job.waitForFile('shell-got-sighup', 5000).catch(() => undefined);
  assert.ok(existsSync(join(job.dir, 'shell-got-sighup')), 'the shell got the terminal\'s SIGHUP');
}

describe('a closed terminal ends the run like SIGHUP', () => {
  const cases: { hangup: Hangup; what: string }[] = [
    { hangup: 'nobody', what: 'nobody sends SIGHUP (the CLI in a session of its own)' },
    { hangup: 'shell', what: 'the shell passes its SIGHUP on' },
  ];
  for (const { hangup, what } of cases) {
    // A chatty child with nobody telling: the first write after the hang-up fails with EIO.
    // A quiet one: nothing is written until the CLI is told, or sees the terminal hung up itself.
    test(`run, ${what}: the child is stopped gracefully, and the CLI dies of SIGHUP`, BOUNDED, async () => {
      const job = startOnTerminal(['run', '--label', 'worker', '--grace', '5s', '--', 'sh', '-c', child('worker', { chatty: hangup === 'nobody' })], { hangup, stderrToFile: true });
      const pids: number[] = [];
      try {
        pids.push(await job.cliPid());
        await job.waitForFile('worker.pid');
        pids.push(job.pidIn('worker.pid'));
        job.closeTerminal();
        await assertDiedOfHangup(job, pids, ['worker']);
        await assertShellWasTold(job);
      } finally {
        job.dispose(pids);
      }
    });

    test(`up, ${what}: every process and grandchild is stopped gracefully, and the CLI dies of SIGHUP`, BOUNDED, async () => {
      const config = `processes:
  db:
    cmd: "trap 'echo > db.stopped; exit 0' TERM; sleep 30 & echo $! > grandchild.pid; echo $$ > db.pid; wait"
  web:
    cmd: "${child('web', { chatty: hangup === 'shell' })}"
`;
      // Quiet processes with nobody telling: only the CLI's own look at the terminal can find out.
      const job = startOnTerminal(['up', '-f', 'subvisor.yaml', '--grace', '5s'], { hangup, stderrToFile: false, files: { 'subvisor.yaml': config } });
      const pids: number[] = [];
      try {
        pids.push(await job.cliPid());
        for (const file of ['db.pid', 'grandchild.pid', 'web.pid']) {
          await job.waitForFile(file);
          pids.push(job.pidIn(file));
        }
        job.closeTerminal();
        await assertDiedOfHangup(job, pids, ['db', 'web']);
        await assertShellWasTold(job);
      } finally {
        job.dispose(pids);
      }
    });
  }

  test('a second signal after the hang-up kills at once, and the CLI still dies of SIGHUP', BOUNDED, async (t) => {
    const stubborn = (name: string): string => `trap '' TERM; echo $$ > ${name}.pid; while :; do sleep 0.1; done`;
    const config = `processes:\n  a: { cmd: "${stubborn('a')}" }\n  b: { cmd: "${stubborn('b')}" }\n`;
    // The grace is an hour, far past the test's bound: the CLI ends at all only if the second signal did not wait for it.
    const job = startOnTerminal(['up', '-f', 'subvisor.yaml', '--grace', '1h'], { hangup: 'shell', stderrToFile: true, files: { 'subvisor.yaml': config } });
    const pids: number[] = [];
    // A CLI that waits for the grace outlives the test's bound: killed then, so the file can end.
    t.signal.addEventListener('abort', () => job.dispose(pids), { once: true });
    try {
      const cli = await job.cliPid();
      pids.push(cli);
      for (const file of ['a.pid', 'b.pid']) {
        await job.waitForFile(file);
        pids.push(job.pidIn(file));
      }
      job.closeTerminal();
      await assertShellWasTold(job);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(isRunning(cli), 'control: after the SIGHUP, the CLI waits out the grace of processes that ignore SIGTERM');
      process.kill(cli, 'SIGTERM');
      assert.deepEqual(await job.ended(), { code: null, signal: 'SIGHUP' }, `stderr:\n${job.stderr()}`);
      await waitUntil(() => pids.every((pid) => !isRunning(pid)), `every pid to be gone (still running: ${pids.filter(isRunning).join(' ')})`, 3000);
      assert.doesNotMatch(job.stderr(), /\n\s+at |Assertion failed|Native stack/, 'no stack trace');
    } finally {
      job.dispose(pids);
    }
  });
});

// The case lasts the 1.5 s the words wait: on a loaded machine the terminal may close after it.
// Such an attempt proves nothing and is run again; the test fails if none reaches it.
test('a terminal closed while a second Ctrl-C waits for its last words (the terminal paused): the CLI dies of the signal, no crash', { timeout: 120_000 }, () => untilReached(3, closeWhileWordsWait));

async function closeWhileWordsWait(): Promise<void> {
  // Both outlast their stop: a flood (the terminal, paused, is full of it) and one that records its SIGTERM.
  const config = `processes:
  loud: { cmd: "trap '' TERM; echo $$ > loud.pid; while :; do echo tick; done", grace: 30s }
  marker: { cmd: "trap 'echo stopping > marker.stopping' TERM; echo $$ > marker.pid; while :; do sleep 0.1; done", grace: 30s }
`;
  const job = startOnTerminal(['up'], { hangup: 'nobody', stderrToFile: false, files: { 'subvisor.yaml': config } });
  const pids: number[] = [];
  try {
    const cli = await job.cliPid();
    pids.push(cli);
    for (const file of ['loud.pid', 'marker.pid']) {
      await job.waitForFile(file);
      pids.push(job.pidIn(file));
    }
    job.sendKeys('C-s');
    // The flood held back: the terminal paused, and the CLI's writes to it waiting.
    await waitUntil(() => job.paused() && waitsToWriteTo(cli, job.tty()), 'the CLI to wait to write to the paused terminal', 15_000);
    process.kill(cli, 'SIGINT');
    await job.waitForFile('marker.stopping');
    // Again until one counts as the second (one soon after the first is taken for its copy): the
    // processes are then SIGKILLed, and the words wait for the paused terminal.
    await waitUntil(() => !signalled(cli, 'SIGINT') || !isRunning(pids[1] as number), 'the second Ctrl-C to kill the processes', 10_000);
    // The case under test: the last words wait for the paused terminal when it closes. Words that
    // never waited fail every attempt.
    reachedOr(isRunning(cli) && waitsToWriteTo(cli, job.tty()), 'the CLI did not wait for its last words after the second Ctrl-C');
    job.closeTerminal();
    const ending = await job.ended();
    // 130 is the exit after the wait, the terminal still there: its close came too late (an exit
    // with it hung up crashes Node 20, 134), and proves nothing.
    reachedOr(ending.code !== 130, 'the terminal closed after the words stopped waiting (exit 130)');
    // It dies of the first signal, as after any hang-up (an exit then crashes Node 20).
    assert.deepEqual(ending, { code: null, signal: 'SIGINT' });
  } finally {
    job.dispose(pids);
  }
}
