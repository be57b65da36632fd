// stopTarget's policy, the contract the supervisors build `stopSignal` and trio's `deliverCancel` on:
// the stop signal goes first (then SIGCONT), `deliverCancel` replaces that first step, and SIGKILL
// follows `killGraceMs` after the stop began whatever `deliverCancel` does, with `onEscalate`
// called once just before it. Real children, each a group whose handlers write what they got.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs, { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, mock, test } from 'node:test';
import { resolveCommonOptions } from '../../../src/process/options.js';
import { spawnProcess } from '../../../src/process/spawn.js';
import { escapedDescendants } from '../../../src/process/stop/group.js';
import { processTable } from '../../../src/process/stop/process-table.js';
import { stopTarget, type StopPolicy, type StopTarget } from '../../../src/process/stop/terminate.js';
import { isRunning, killQuietly } from '../../support/processes.js';
import { groupMembers, processState, waitUntil } from './probes.js';

const BOUNDED = { timeout: 20_000 };

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'subvisor-stop-policy-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `sh -c` leading its own group, with `traps(log)` set and a `sleep` in the background as
 * the rest of the group; a handler can write the name of its signal to `log`, and stop the sleep
 * with `kill $!`. Resolves once the traps are set.
 */
async function startChild(name: string, traps: (log: string) => string): Promise<{ target: StopTarget; log: string }> {
  const log = join(dir, name);
  const script = `${traps(log)}; sleep 1000 & echo up > ${log}.up; wait; wait`;
  const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
  const { proc } = await spawnProcess(options);
  // Up once its traps are set and the sleep runs (a shell signalled between its fork and the exec could mishandle it).
  await waitUntil(() => existsSync(`${log}.up`) && groupMembers(proc.pid).includes('sleep'), 'the child to set its traps', 5000);
  return { target: { proc, newSession: true }, log };
}

function handled(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** A trap that records `signal` in `log`, then (by default) stops the group's sleep and exits. */
function handler(log: string, signal: string, then = 'kill $!; exit 0'): string {
  return `trap 'echo ${signal} >> ${log}; ${then}' ${signal}`;
}

describe('stopTarget: the stop policy', () => {
  test('the stop signal goes first: SIGINT here, and the child that handles it by exiting is gone without SIGKILL', BOUNDED, async () => {
    const { target, log } = await startChild('stop-signal', (log) => `${handler(log, 'INT')}; ${handler(log, 'TERM', ':')}`);
    try {
      let escalated = false;
      await stopTarget(target, { killGraceMs: 5000, stopSignal: 'SIGINT', onEscalate: () => (escalated = true) });
      assert.deepEqual(handled(log), ['INT']);
      assert.equal(escalated, false);
      assert.equal(target.proc.signal, null, 'it exited by itself');
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('deliverCancel replaces the stop signal: the child gets what it sends, and no SIGTERM', BOUNDED, async () => {
    const { target, log } = await startChild('deliver', (log) => `${handler(log, 'USR1')}; ${handler(log, 'TERM', ':')}`);
    try {
      let delivered = 0;
      let escalated = false;
      const policy: StopPolicy = {
        killGraceMs: 5000,
        stopSignal: 'SIGTERM',
        deliverCancel: () => {
          delivered += 1;
          process.kill(target.proc.pid, 'SIGUSR1');
        },
        onEscalate: () => (escalated = true),
      };
      await stopTarget(target, policy);
      assert.equal(delivered, 1);
      assert.deepEqual(handled(log), ['USR1']);
      assert.equal(escalated, false, 'the child was gone before the grace');
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('SIGKILL follows killGraceMs after the stop began, whatever deliverCancel does; onEscalate runs once, just before it', BOUNDED, async () => {
    const { target } = await startChild('escalate', () => `trap '' TERM`);
    const graceMs = 400;
    try {
      const escalations: boolean[] = [];
      const started = performance.now();
      await stopTarget(target, {
        killGraceMs: graceMs,
        stopSignal: 'SIGTERM',
        // Starts something that would take far longer than the grace (a shutdown command, say).
        deliverCancel: () => void new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
        onEscalate: () => escalations.push(isRunning(target.proc.pid)),
      });
      const elapsed = performance.now() - started;
      assert.deepEqual(escalations, [true], 'called once, while the child still ran');
      assert.equal(target.proc.signal, 'SIGKILL');
      assert.ok(elapsed >= graceMs - 20 && elapsed < graceMs + 1500, `SIGKILLed at the grace (stopped after ${elapsed.toFixed(0)} ms)`);
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('a deliverCancel that throws does not stop the stop: the group is SIGKILLed at the grace, then the error is thrown', BOUNDED, async () => {
    const { target } = await startChild('throws', () => `trap '' TERM`);
    try {
      const failure = new Error('deliverCancel failed');
      await assert.rejects(
        stopTarget(target, {
          killGraceMs: 200,
          stopSignal: 'SIGTERM',
          deliverCancel: () => {
            throw failure;
          },
        }),
        failure,
      );
      assert.equal(target.proc.signal, 'SIGKILL');
      assert.equal(isRunning(target.proc.pid), false);
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('a grace that passed while the parent did not run (Ctrl-Z, a starved loop), with the group gone meanwhile: no SIGKILL is claimed', BOUNDED, async () => {
    const { target, log } = await startChild('late-grace', (log) => handler(log, 'TERM'));
    const graceMs = 200;
    try {
      let escalated = false;
      const stopping = stopTarget(target, { killGraceMs: graceMs, stopSignal: 'SIGTERM', onEscalate: () => (escalated = true) });
      // The SIGTERM went out before the first await. The loop is now held well past the grace, as
      // a suspended parent's is, while the group obeys it: the leader a zombie not yet reaped.
      const heldFrom = performance.now();
      while (performance.now() - heldFrom < 3 * graceMs || processState(target.proc.pid) !== 'Z' || groupMembers(target.proc.pid).length > 0) {
        if (performance.now() - heldFrom > 5000) throw new Error('the group did not obey its SIGTERM within 5 s');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      await stopping;
      assert.deepEqual(handled(log), ['TERM']);
      assert.equal(target.proc.signal, null, 'it exited by itself, of its SIGTERM');
      assert.equal(escalated, false, 'nothing was left to SIGKILL when the loop ran again');
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('control: a grace that passed while the parent did not run, with the group still alive, is escalated at once', BOUNDED, async () => {
    const { target } = await startChild('late-grace-alive', () => `trap '' TERM`);
    const graceMs = 200;
    try {
      const escalations: boolean[] = [];
      const stopping = stopTarget(target, { killGraceMs: graceMs, stopSignal: 'SIGTERM', onEscalate: () => escalations.push(isRunning(target.proc.pid)) });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3 * graceMs);
      // A stop that took the late grace for a group gone unseen would leave it running: no SIGKILL.
      await stopping;
      assert.deepEqual(escalations, [true]);
      assert.equal(target.proc.signal, 'SIGKILL');
    } finally {
      killQuietly(-target.proc.pid);
    }
  });

  test('control: a grace that passed while the parent did not run, the leader a zombie of its SIGTERM but a member left, is escalated: the member is SIGKILLed', BOUNDED, async () => {
    // The second sleep ignores SIGTERM (ignored before its fork); the leader exits of it.
    const { target, log } = await startChild('late-grace-member', (log) => `trap '' TERM; sleep 2000 & ${handler(log, 'TERM')}`);
    const graceMs = 200;
    try {
      let escalated = false;
      const stopping = stopTarget(target, { killGraceMs: graceMs, stopSignal: 'SIGTERM', onEscalate: () => (escalated = true) });
      const heldFrom = performance.now();
      // Also until the other sleep, which SIGTERM kills, is gone: on a loaded machine it may not yet
      // have run to die of its pending signal when the leader is already a zombie.
      while (performance.now() - heldFrom < 3 * graceMs || processState(target.proc.pid) !== 'Z' || groupMembers(target.proc.pid).length > 1) {
        if (performance.now() - heldFrom > 5000) throw new Error('the leader did not obey its SIGTERM within 5 s, or the sleep it kills ran on');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      assert.deepEqual(groupMembers(target.proc.pid), ['sleep'], 'the member that ignores SIGTERM runs on (control)');
      await stopping;
      assert.deepEqual(handled(log), ['TERM']);
      assert.equal(escalated, true, 'the member left was escalated');
      assert.deepEqual(groupMembers(target.proc.pid), [], 'and is gone');
    } finally {
      killQuietly(-target.proc.pid);
    }
  });
  test('a child spawned after /proc was last read for a stop: the worker it started apart from its group is still found and stopped', BOUNDED, async () => {
    // The process table a stop reads is shared by what asks in the same turn of the event loop.
    // Before, one read just before a spawn (a stop elsewhere escalating) was still used when the
    // child was stopped before the loop's next check phase: its `setsid` worker, absent from the
    // table, was missed, and the stop ended at once with the worker running on. On a loaded machine
    // that is what the test above met: the previous test's escalation had read the table.
    const log = join(dir, 'escapee-after-table');
    const script = `setsid sh -c "echo \\$\\$ > ${log}.pid; exec sleep 1000" </dev/null >/dev/null 2>&1 & wait`;
    const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
    escapedDescendants(process.pid); // reads the table, as that escalation did
    const { proc } = await spawnProcess(options);
    const target: StopTarget = { proc, newSession: true };
    let escapee = 0;
    try {
      escapee = workerAsleepWithoutATurn(`${log}.pid`);
      await stopTarget(target, { killGraceMs: 5000, stopSignal: 'SIGTERM' });
      assert.equal(isRunning(escapee), false, 'the worker was stopped before the stop ended');
    } finally {
      killQuietly(-proc.pid, escapee || undefined);
    }
  });

  test('a worker started apart from the group after /proc was read in this turn is still found and stopped', BOUNDED, async () => {
    // The child is already running when the table is read (a stop elsewhere escalating); it then
    // starts its `setsid` worker, and its own stop begins with no turn of the loop between. Before,
    // the stop was answered from the table read before the worker existed and ended at once, the
    // worker running on: a table is shared within a turn only while no process was created since.
    const log = join(dir, 'escapee-after-read');
    const script = `while [ ! -e ${log}.go ]; do sleep 0.01; done; setsid sh -c "echo \\$\\$ > ${log}.pid; exec sleep 1000" </dev/null >/dev/null 2>&1 & wait`;
    const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
    const { proc } = await spawnProcess(options);
    const target: StopTarget = { proc, newSession: true };
    let escapee = 0;
    try {
      escapedDescendants(process.pid); // reads the table, with the child running and no worker yet
      writeFileSync(`${log}.go`, '');
      escapee = workerAsleepWithoutATurn(`${log}.pid`);
      await stopTarget(target, { killGraceMs: 5000, stopSignal: 'SIGTERM' });
      assert.equal(isRunning(escapee), false, 'the worker was stopped before the stop ended');
    } finally {
      killQuietly(-proc.pid, escapee || undefined);
    }
  });

  test('a member that leaves the group without forking (setsid after the read in this turn) is still found and stopped', BOUNDED, async () => {
    // The background job is forked, and a member of the group, before the table is read; it then
    // calls setsid() itself (setsid(1) run by a process that leads no group does not fork) and its
    // own stop begins with no turn of the loop between. No pid was given out since the read, so
    // the table still counted it a member: the group's SIGTERM missed it, the group emptied, and
    // the stop ended with it running.
    const log = join(dir, 'setsid-without-fork');
    execFileSync('mkfifo', [`${log}.go`]);
    const script = `sh -c 'echo $$ > ${log}.pid; read go < ${log}.go; exec setsid sleep 1000' </dev/null >/dev/null 2>&1 & wait`;
    const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
    const { proc } = await spawnProcess(options);
    const target: StopTarget = { proc, newSession: true };
    let worker = 0;
    try {
      await waitUntil(() => existsSync(`${log}.pid`) && (worker = Number(readFileSync(`${log}.pid`, 'utf8'))) > 0 && processState(worker) === 'S', 'the job to wait on its fifo', 5000);
      escapedDescendants(process.pid); // reads the table, the job a member of the group
      writeFileSync(`${log}.go`, 'go\n');
      untilWithoutATurn(() => leftGroupAsSleep(worker), 'the job did not leave the group as sleep');
      await stopTarget(target, { killGraceMs: 5000, stopSignal: 'SIGTERM' });
      assert.equal(isRunning(worker), false, 'the job that left the group was stopped before the stop ended');
    } finally {
      killQuietly(-proc.pid, worker || undefined);
    }
  });

  test('a member whose parent has gone that leaves the group without forking (a daemon\'s setsid() after the read) is still found and stopped', BOUNDED, async () => {
    // As above, but the job's parent exits first (the daemon's first fork), so it lives on under
    // pid 1, no member's child. Before, a member that left made the table be read whole again, in
    // which it was nobody's descendant: the group's SIGTERM missed it and the stop ended with it
    // running. A member that left is an escapee itself, whoever its parent is now.
    const log = join(dir, 'orphan-setsid-without-fork');
    execFileSync('mkfifo', [`${log}.go`]);
    const script = `(sh -c 'echo $$ > ${log}.pid; read go < ${log}.go; exec setsid sleep 1000' </dev/null >/dev/null 2>&1 &); exec sleep 1000`;
    const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
    const { proc } = await spawnProcess(options);
    const target: StopTarget = { proc, newSession: true };
    let worker = 0;
    try {
      await waitUntil(() => existsSync(`${log}.pid`) && (worker = Number(readFileSync(`${log}.pid`, 'utf8'))) > 0 && processState(worker) === 'S' && parentOf(worker) !== proc.pid && groupOf(worker) === proc.pid, 'the orphaned job to wait on its fifo', 5000);
      escapedDescendants(process.pid); // reads the table, the job a member of the group, its parent gone
      writeFileSync(`${log}.go`, 'go\n');
      untilWithoutATurn(() => leftGroupAsSleep(worker), 'the job did not leave the group as sleep');
      await stopTarget(target, { killGraceMs: 5000, stopSignal: 'SIGTERM' });
      assert.equal(isRunning(worker), false, 'the orphaned job that left the group was stopped before the stop ended');
    } finally {
      killQuietly(-proc.pid, worker || undefined);
    }
  });

  test('processes created since the shared table was read are added to it, not /proc read whole again: a flood of stops on a machine where something forks reads it once', BOUNDED, () => {
    // Every ask here is in one turn, each after a fork (as in a cancel of 200 children while a build
    // runs beside it). Before, each ask read every process's stat again: 124 to 200 passes over
    // /proc for one cancel, which then took 2.8 to 3.6 s instead of 0.6.
    const rows = processTable().size;
    let statsRead = 0;
    const realOpen = fs.openSync;
    mock.method(fs, 'openSync', (path: fs.PathLike, ...rest: unknown[]) => {
      if (/^\/proc\/\d+\/stat$/.test(String(path))) statsRead += 1;
      return (realOpen as (...args: unknown[]) => number)(path, ...rest);
    });
    const started: number[] = [];
    try {
      for (let ask = 0; ask < 20; ask++) {
        const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
        if (sleeper.pid !== undefined) started.push(sleeper.pid);
        execFileSync('true');
        assert.ok(processTable().has(sleeper.pid ?? 0), 'a process created since the read is in the table');
      }
    } finally {
      mock.restoreAll();
      for (const pid of started) killQuietly(pid);
    }
    assert.ok(statsRead < (20 * rows) / 4, `${statsRead} stats read for 20 asks of a table of ${rows} processes: /proc read whole each time`);
  });

  test('where /proc/loadavg is rewritten (lxcfs) and its last pid stands still, a worker started after the read in this turn is still found', { timeout: 60_000 }, (t) => {
    // The test above, run again in a mount namespace of its own where /proc/loadavg is a file that
    // never changes, as a container's load average can be. Before, its last field was the only
    // sign of a fork since the read: the stop used the table read before the worker existed.
    if (process.env.SUBVISOR_TEST_FIXED_LOADAVG !== undefined) return;
    const fixed = join(dir, 'fixed-loadavg');
    writeFileSync(fixed, '0.00 0.00 0.00 1/1 1\n');
    const allowed = spawnSync('unshare', ['--mount', '--propagation', 'private', 'mount', '--bind', fixed, '/proc/loadavg'], { stdio: 'ignore' });
    if (allowed.status !== 0) {
      assert.notEqual(process.env.CI, 'true', 'CI must allow unshare --mount and a bind mount');
      t.skip('no unshare --mount here (not root)');
      return;
    }
    const script = `mount --bind "$1" /proc/loadavg && exec "$2" --import tsx --test --test-reporter=tap --test-name-pattern='a worker started apart from the group after /proc was read' "$3"`;
    const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', fixed, process.execPath, fileURLToPath(import.meta.url)], {
      encoding: 'utf8',
      timeout: 50_000,
      // Without the runner's context: a run of its own, not a subtest of this one.
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT')), SUBVISOR_TEST_FIXED_LOADAVG: '1' },
    });
    assert.match(run.stdout, /^# pass 1$/m, run.stdout + run.stderr);
    assert.equal(run.status, 0, run.stdout + run.stderr);
  });

  test('what left the group is still waited for when its /proc entry cannot be read for a moment (EMFILE): the stop does not end with it running', BOUNDED, async () => {
    // The leader dies of its SIGTERM at once; its `setsid` worker ignores it and is waited for
    // until the grace. Before, a look at the worker that could not open its stat (out of fds)
    // counted it as gone: the stop ended there, the worker running on.
    const log = join(dir, 'escapee-unreadable');
    const script = `setsid sh -c "trap '' TERM; echo \\$\\$ > ${log}.pid; exec sleep 1000" </dev/null >/dev/null 2>&1 & wait`;
    const options = resolveCommonOptions('test', ['sh', '-c', script], {}, { stdout: 'ignore', stderr: 'ignore' });
    const { proc } = await spawnProcess(options);
    const target: StopTarget = { proc, newSession: true };
    let escapee = 0;
    try {
      await waitUntil(() => existsSync(`${log}.pid`) && processState((escapee = Number(readFileSync(`${log}.pid`, 'utf8')))) === 'S', 'the worker to run apart from the group, in its sleep', 5000);
      // Long enough that the denial below, two looks long, ends well within it: one still on at
      // the grace (and its SIGKILL's settling) would leave the worker unkillable, rightly.
      const graceMs = 5000;
      const stopping = stopTarget(target, { killGraceMs: graceMs, stopSignal: 'SIGTERM' });
      await waitUntil(() => proc.returncode !== null, 'the leader to die of its SIGTERM', 10_000);
      // Its stat cannot be opened for a moment, as when the parent is out of fds.
      const unreadable = `/proc/${escapee}/stat`;
      const realOpen = fs.openSync;
      const denial = mock.method(fs, 'openSync', (path: fs.PathLike, ...rest: unknown[]) => {
        if (path === unreadable) throw Object.assign(new Error(`EMFILE: too many open files, open '${unreadable}'`), { code: 'EMFILE' });
        return (realOpen as (...args: unknown[]) => number)(path, ...rest);
      });
      // Until the stop has looked at it twice, unread (the second is a look of the wait for it to be
      // gone), or has ended: a time window (100 ms) could pass on a loaded machine with no look in it.
      let ended = false;
      const end = (): void => void (ended = true);
      stopping.then(end, end);
      await waitUntil(() => ended || denial.mock.calls.filter((call) => call.arguments[0] === unreadable).length >= 2, 'the stop to look at the worker while its stat cannot be read', 10_000);
      denial.mock.restore();
      await stopping;
      assert.equal(isRunning(escapee), false, 'the worker was stopped before the stop ended');
    } finally {
      mock.restoreAll();
      killQuietly(-proc.pid, escapee || undefined);
    }
  });
});

/** `pid`'s parent and group, from its stat; undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  return statFields(pid)?.[1];
}

function groupOf(pid: number): number | undefined {
  return statFields(pid)?.[2];
}

function statFields(pid: number): number[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs `sleep` leading a session of its own (it called setsid() and exec'd). */
function leftGroupAsSleep(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return stat.includes('(sleep)') && Number(fields[2]) === pid;
  } catch {
    return false;
  }
}

/**
 * Waits (at most 5 s) until `done()` says so, without letting the event loop turn: an await would
 * let it drop a process table read before. Throws `what`, "within 5 s", when it never does.
 */
function untilWithoutATurn(done: () => boolean, what: string): void {
  const deadline = performance.now() + 5000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what} within 5 s`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}

/** The pid the worker wrote to `pidFile`, once it sleeps, waited for without a turn of the loop. */
function workerAsleepWithoutATurn(pidFile: string): number {
  let pid = 0;
  try {
    untilWithoutATurn(() => existsSync(pidFile) && processState((pid = Number(readFileSync(pidFile, 'utf8')))) === 'S', 'the worker did not start its sleep apart from the group');
  } catch (error) {
    if (pid > 0) killQuietly(pid); // out of the group: the caller's kill of it would miss it
    throw error;
  }
  return pid;
}
