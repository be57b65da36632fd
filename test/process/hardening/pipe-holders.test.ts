// What left an exited child's group and still holds its pipes is found through /proc and stopped
// (see src/process/stop/pipe-holders.ts): a cancellation reaches it as it reaches the group, a
// kill from outside the stop reaches it at once, and its stop is told as the group's is.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs, { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNursery, superviseRunProcess, type Process } from '../../../src/index.js';
import { killAllOwned } from '../../../src/process/stop/parent-exit.js';
import { isRunning, killTagged, processState, waitUntil } from './probes.js';

const scratch = mkdtempSync(join(tmpdir(), 'pipe-holders-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * A leader that starts a holder of its stdout in a session of its own (as a PostgreSQL backend
 * leads one), which says its pid, and exits once `gate` exists: after the spawn has read its pipes'
 * ends, however slow a loaded machine is to get there (a leader gone first leaves none to look for).
 */
function leavingAHolder(holder: string, gate: string): string[] {
  return ['sh', '-c', `setsid sh -c '${holder}' & while [ ! -e ${gate} ]; do sleep 0.02; done; exit 0`];
}

/** The pid a relayed `holder PID` line gave, once its sleep runs; then lets the leader exit. */
async function holderPid(said: () => number, gate: string): Promise<number> {
  await waitUntil(() => said() > 0 && processState(said()) === 'S', 'the holder to run, in its sleep', 10_000);
  writeFileSync(gate, '');
  return said();
}

test('a cancellation after the child exited stops what holds its pipe at once, not after another drain grace', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  let holder = 0;
  try {
    // A drain grace longer than the test: before, the one after the group's stop was waited out
    // whatever the cancellation, and only then was the holder found and stopped.
    const finished = openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(leavingAHolder('echo holder $$; exec sleep 1000', join(scratch, 'gate-cancel')), {
          relayStdout: true,
          logger: { io: (line: string) => (holder = Number(/holder (\d+)/.exec(line)?.[1] ?? holder)) },
          drainGraceMs: 60_000,
          killGraceMs: 60_000,
          env: { ...process.env, SUBVISOR_TEST_TAG: tag },
        }, ctx),
      );
      await holderPid(() => holder, join(scratch, 'gate-cancel'));
      await proc.wait();
      tn.cancel();
    });
    const ended = await Promise.race([finished.then(() => 'finished'), sleep(12_000, undefined, { ref: false }).then(() => 'still waiting')]);
    assert.equal(ended, 'finished', 'the scope ended within 12 s of a 60 s drain grace');
    assert.equal(isRunning(holder), false, 'the holder was stopped');
  } finally {
    killTagged(tag);
  }
});

test('a kill from outside the holders\' stop (the parent\'s exit, a second Ctrl-C) SIGKILLs them at once, not at their grace', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  const told = join(scratch, 'told');
  let holder = 0;
  try {
    // The holder notes its stop signal and runs on; it still holds the pipe, and so do its sleeps.
    const done = superviseRunProcess(leavingAHolder(`trap "touch ${told}" TERM; echo holder $$; while :; do sleep 0.05; done`, join(scratch, 'gate-kill')), {
      relayStdout: true,
      logger: { io: (line: string) => (holder = Number(/holder (\d+)/.exec(line)?.[1] ?? holder)) },
      drainGraceMs: 300,
      killGraceMs: 60_000,
      env: { ...process.env, SUBVISOR_TEST_TAG: tag },
    });
    await waitUntil(() => holder > 0, 'the holder to say its pid', 10_000);
    writeFileSync(join(scratch, 'gate-kill'), '');
    await waitUntil(() => existsSync(told), 'the holders\' stop to begin', 10_000);
    assert.equal(isRunning(holder), true, 'control: the holder runs on after its stop signal, and its grace is 60 s');
    // What the CLI's second Ctrl-C and the parent's exit do: SIGKILL to everything owned.
    killAllOwned();
    await waitUntil(() => !isRunning(holder), 'the holder to be killed', 5000);
    assert.equal((await done).returncode, 0);
  } finally {
    killTagged(tag);
  }
});

test('the holders\' stop, and its SIGKILL at the grace, are told to the logger with their pids', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  let holder = 0;
  const runtime: string[] = [];
  const warnings: string[] = [];
  try {
    const done = superviseRunProcess(leavingAHolder('trap "" TERM; echo holder $$; exec sleep 1000', join(scratch, 'gate-told')), {
      label: 'leaky',
      relayStdout: true,
      logger: {
        io: (line: string) => (holder = Number(/holder (\d+)/.exec(line)?.[1] ?? holder)),
        runtime: (line: string) => runtime.push(line),
        warning: (line: string) => warnings.push(line),
      },
      drainGraceMs: 300,
      killGraceMs: 500,
      env: { ...process.env, SUBVISOR_TEST_TAG: tag },
    });
    await holderPid(() => holder, join(scratch, 'gate-told'));
    assert.equal((await done).returncode, 0);
    assert.ok(runtime.includes(`leaky: exited with status 0; stopping 1 process that still holds its output (pid ${holder})`), runtime.join('\n'));
    assert.deepEqual(warnings, [`leaky: sending SIGKILL to 1 process that still holds its output (pid ${holder}): still running 500 ms (killGraceMs) after the stop signal`]);
    assert.equal(isRunning(holder), false, 'the holder was killed');
  } finally {
    killTagged(tag);
  }
});

/**
 * Records the reads of a process's fd table (`/proc/N/fd`), the search's unit of work (one per
 * process on the host); `spy.mock.restore()` ends it.
 */
function fdTableReads(): { searched: Set<string>; spy: { mock: { restore: () => void } } } {
  const searched = new Set<string>();
  const readdir = fs.readdirSync;
  const spy = mock.method(fs, 'readdirSync', (...args: Parameters<typeof readdir>) => {
    if (typeof args[0] === 'string' && /^\/proc\/\d+\/fd$/.test(args[0])) searched.add(args[0]);
    return readdir(...args);
  });
  return { searched, spy };
}

test('a cancellation of children that left nothing behind reads no other process\'s fds: the search for holders is for pipes still held after the group\'s stop', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  const { searched, spy } = fdTableReads();
  try {
    await openNursery(async (tn) => {
      for (let i = 0; i < 3; i += 1) {
        await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '1000'], { relayStdout: true, logger: { io: () => undefined }, env: { ...process.env, SUBVISOR_TEST_TAG: tag } }, ctx));
      }
      // The later children are started after the first: a search from its pipes would read them.
      searched.clear();
      tn.cancel();
    });
    // Before: every cancelled child searched every process started since it (a second of a
    // 100-child shutdown on a busy host, where the groups' stops took a tenth of it).
    assert.deepEqual([...searched], []);
  } finally {
    spy.mock.restore();
    killTagged(tag);
  }
});

test('the search for holders reads no fd of a process that started before the child: it cannot have inherited the pipes', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  const older = spawn('sleep', ['1000'], { stdio: 'ignore' });
  let holder = 0;
  const { searched, spy } = fdTableReads();
  try {
    await waitUntil(() => processState(older.pid ?? 0) === 'S', 'the older process to run', 10_000);
    // Start times are in clock ticks: one in the same tick as the child's cannot be told older.
    await waitUntil(() => uptimeTicks() > startTicks(older.pid ?? 0) + 1, 'a clock tick past the older process\'s start', 10_000);
    const done = superviseRunProcess(leavingAHolder('echo holder $$; exec sleep 1000', join(scratch, 'gate-older')), {
      relayStdout: true,
      logger: { io: (line: string) => (holder = Number(/holder (\d+)/.exec(line)?.[1] ?? holder)) },
      drainGraceMs: 300,
      killGraceMs: 500,
      env: { ...process.env, SUBVISOR_TEST_TAG: tag },
    });
    await holderPid(() => holder, join(scratch, 'gate-older'));
    assert.equal((await done).returncode, 0);
    assert.ok(searched.has(`/proc/${holder}/fd`), 'control: the search ran, and read the holder\'s fds');
    // Before: every process on the host was read, fd by fd, and only then passed over for its age.
    assert.equal(searched.has(`/proc/${older.pid}/fd`), false);
  } finally {
    spy.mock.restore();
    older.kill('SIGKILL');
    killTagged(tag);
  }
});

test('what a holder starts after the search has listed the processes, left holding the pipes once the holder is stopped, is found by the search made again, and stopped', { timeout: 20_000 }, async () => {
  const tag = randomUUID();
  const go = join(scratch, 'go-forked');
  let holder = 0;
  let forked = 0;
  // The holder's next command, a long sleep, begins while the search reads the first fd table: after
  // it listed the processes. The search yields as it goes, and on a busy host takes a while, so a
  // shell's next command can come in there; the read is held in place until it has.
  const readdir = fs.readdirSync;
  let armed = false;
  const spy = mock.method(fs, 'readdirSync', (...args: Parameters<typeof readdir>) => {
    if (armed && typeof args[0] === 'string' && /^\/proc\/\d+\/fd$/.test(args[0])) {
      armed = false;
      writeFileSync(go, '');
      forked = waitSyncFor(() => childrenRunning(holder, 'sleep\u00001000\u0000'));
    }
    return readdir(...args);
  });
  try {
    const done = superviseRunProcess(leavingAHolder(`echo holder $$; while [ ! -e ${go} ]; do sleep 0.01; done; sleep 1000; :`, join(scratch, 'gate-forked')), {
      relayStdout: true,
      logger: { io: (line: string) => (holder = Number(/holder (\d+)/.exec(line)?.[1] ?? holder)) },
      drainGraceMs: 300,
      killGraceMs: 500,
      env: { ...process.env, SUBVISOR_TEST_TAG: tag },
    });
    await waitUntil(() => holder > 0, 'the holder to say its pid', 10_000);
    armed = true;
    await holderPid(() => holder, join(scratch, 'gate-forked'));
    assert.equal((await done).returncode, 0);
    assert.ok(forked > 0, 'control: the holder started its long sleep during the search');
    // Before: only the holder was stopped; its sleep, not listed, held the pipes on, and ran on.
    assert.equal(isRunning(forked), false, 'what the holder started during the search was stopped');
  } finally {
    spy.mock.restore();
    killTagged(tag);
  }
});

/** The pid of a running child of `parent` whose command line is `cmdline`, else 0. */
function childrenRunning(parent: number, cmdline: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [, state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === parent && state !== 'Z' && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8') === cmdline) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return 0;
}

/** Waits, blocking the event loop (the search is held where it is), until `found` gives a pid; at most 10 s. */
function waitSyncFor(found: () => number): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 10_000; waited += 10) {
    const pid = found();
    if (pid > 0) return pid;
    Atomics.wait(pause, 0, 0, 10);
  }
  return 0;
}

/** The time since boot in clock ticks (USER_HZ, 100 on Linux), as /proc/PID/stat gives start times. */
function uptimeTicks(): number {
  return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
}

/** When `pid` started, in clock ticks since boot. */
function startTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}
