// Stopping a child stops its whole process group, and the kill grace is measured for the group:
// a grandchild that ignores SIGTERM is killed at the grace even though its parent, the group
// leader, already died of the SIGTERM. A stopped child is continued, so it hears the stop signal.
// And `shell: true` commands, where dash stays the parent of what it runs, are stopped whole.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNursery, runProcess, superviseRunProcess, type Nursery, type Process } from '../../../src/index.js';
import { groupMembers, isRunning, killTagged, processState, runningTagged, waitUntil } from './probes.js';

const KILL_GRACE_MS = 800;

/**
 * `sh -c script` supervised in `tn`, tagged, ready once it prints a pid (that of what it started
 * apart, which `onPid` is told), its stop given `killGraceMs`.
 */
function superviseTellingPid(tn: Nursery, script: string, options: { killGraceMs: number; tag: string }, onPid: (pid: number) => void): Promise<Process> {
  return tn.start<Process>((ctx) =>
    superviseRunProcess(['sh', '-c', script], {
      relayStdout: true,
      logger: { io: (line: string) => onPid(Number(line.slice(line.indexOf('] ') + 2))) },
      readyWhen: /^\d+$/,
      killGraceMs: options.killGraceMs,
      env: { ...process.env, SUBVISOR_TEST_TAG: options.tag },
    }, ctx),
  );
}

describe('group escalation', () => {
  test('a grandchild ignoring SIGTERM is SIGKILLed at the grace, though the leader died of SIGTERM at once', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let leader: Process | undefined;
    let grandchild = 0;
    try {
      // The grandchild ignores SIGTERM (an ignored signal survives exec), says so with its pid,
      // and lets go of the pipe, so nothing but the group check can find it; the leader waits
      // with SIGTERM's default action.
      const script = `sh -c 'trap "" TERM; echo $$; exec sleep 1000 >/dev/null 2>&1' & wait`;
      let cancelledAt = 0;
      await openNursery(async (tn) => {
        leader = await superviseTellingPid(tn, script, { killGraceMs: KILL_GRACE_MS, tag }, (pid) => (grandchild = pid));
        cancelledAt = performance.now();
        tn.cancel();
        // Well inside the grace: the leader is already dead of SIGTERM, the grandchild still runs.
        await leader.wait();
        await sleep(KILL_GRACE_MS / 4);
        assert.equal(leader.signal, 'SIGTERM', 'the leader died of the SIGTERM');
        assert.ok(isRunning(grandchild), 'the grandchild ignored SIGTERM (the probe sees it alive)');
      });
      const settledMs = performance.now() - cancelledAt;
      assert.equal(isRunning(grandchild), false, 'the grandchild was killed before the scope settled');
      assert.ok(settledMs >= KILL_GRACE_MS - 50, `it got its grace (settled after ${settledMs.toFixed(0)} ms)`);
      assert.ok(settledMs < KILL_GRACE_MS + 2000, `then it was killed promptly (settled after ${settledMs.toFixed(0)} ms)`);
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
    }
  });

  test('what a member still alive at the grace started in a session of its own (setsid, as a PostgreSQL backend) is SIGKILLed with the group, not left running', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let escaped = 0;
    try {
      // The leader ignores SIGTERM and waits, as a postmaster in a smart shutdown waits for its
      // sessions; the child it started leads a session of its own (not the group's signals' to
      // hear), says its pid and lets go of the pipe, as a backend busy in a query would run on.
      const script = `trap "" TERM; setsid sh -c 'echo $$; exec sleep 1000 >/dev/null 2>&1' & wait`;
      let cancelledAt = 0;
      await openNursery(async (tn) => {
        const leader = await superviseTellingPid(tn, script, { killGraceMs: KILL_GRACE_MS, tag }, (pid) => (escaped = pid));
        await waitUntil(() => processState(escaped) !== undefined && groupMembers(leader.pid).length === 1, 'the session leader to run apart from the group', 2000);
        cancelledAt = performance.now();
        tn.cancel();
      });
      const settledMs = performance.now() - cancelledAt;
      assert.ok(settledMs >= KILL_GRACE_MS - 50, `the leader got its grace (settled after ${settledMs.toFixed(0)} ms)`);
      // Before: the group's SIGKILL missed it, and it ran on after the scope had settled.
      await waitUntil(() => !isRunning(escaped), 'the process in its own session to be killed with the group', 1000);
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
    }
  });

  // What left the group from a member alive when the stop began is stopped with the group: once
  // the group is gone, it gets the stop signal, and SIGKILL at the grace. Before, only a stop that
  // escalated reached it; one that ended in time (the shell died of its SIGTERM) left it running.
  for (const [shape, ignoresTerm] of [
    ['obeys the stop signal: it gets it once the group is gone, and the stop ends long before the grace', false],
    ['ignores the stop signal: it is SIGKILLed at the grace', true],
  ] as const) {
    test(`what a member started in a session of its own, whose parent then died of the stop signal in time, ${shape}`, { timeout: 20_000 }, async () => {
      const tag = randomUUID();
      // Obeying, the grace is past the test's bound: only the stop signal can end the stop in time
      // (a `< grace / 2` on the time it took failed a loaded machine and proved no more).
      const graceMs = ignoresTerm ? KILL_GRACE_MS : 60_000;
      let escaped = 0;
      try {
        // The leader dies of SIGTERM at once; what it started leads a session of its own, says
        // its pid and lets go of the pipe (as `setsid worker &` in a start script).
        const trap = ignoresTerm ? 'trap \\"\\" TERM; ' : '';
        const script = `setsid sh -c "${trap}echo \\$\\$; exec sleep 1000 >/dev/null 2>&1" & wait`;
        let cancelledAt = 0;
        await openNursery(async (tn) => {
          const leader = await superviseTellingPid(tn, script, { killGraceMs: graceMs, tag }, (pid) => (escaped = pid));
          await waitUntil(() => groupMembers(leader.pid).length === 1 && processState(escaped) === 'S', 'the session leader to run apart from the group, in its sleep', 2000);
          cancelledAt = performance.now();
          tn.cancel();
        });
        const settledMs = performance.now() - cancelledAt;
        assert.equal(isRunning(escaped), false, 'what left the group was stopped before the scope settled');
        if (ignoresTerm) assert.ok(settledMs >= graceMs - 50, `it got its grace (settled after ${settledMs.toFixed(0)} ms)`);
        assert.deepEqual(runningTagged(tag), []);
      } finally {
        killTagged(tag);
      }
    });
  }

  test('what a member started in a session of its own, stopped (SIGSTOP) when the stop begins, is continued after its stop signal, so it handles it', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-stopped-escapee-'));
    const heard = join(dir, 'heard');
    let escaped = 0;
    try {
      // The leader dies of SIGTERM at once; what it started leads a session of its own, handles
      // SIGTERM by saying so, and is stopped by the test before the cancel, as by a Ctrl-Z.
      const handler = `trap 'kill \\$!; echo TERM > ${heard}; exit 0' TERM`;
      const script = `setsid sh -c "${handler}; echo \\$\\$; sleep 1000 >/dev/null 2>&1 & wait" & wait`;
      await openNursery(async (tn) => {
        const leader = await superviseTellingPid(tn, script, { killGraceMs: KILL_GRACE_MS, tag }, (pid) => (escaped = pid));
        await waitUntil(() => groupMembers(leader.pid).length === 1 && processState(escaped) === 'S', 'the session leader to run apart from the group, in its wait', 2000);
        process.kill(escaped, 'SIGSTOP');
        await waitUntil(() => processState(escaped) === 'T', 'the session leader to be stopped', 2000);
        tn.cancel();
      });
      await waitUntil(() => !isRunning(escaped), 'the process in its own session to be gone', 1000);
      // Before: SIGTERM stayed pending in the stopped process, and the SIGKILL at the grace ended it unheard.
      assert.equal(existsSync(heard) ? readFileSync(heard, 'utf8') : 'nothing', 'TERM\n', 'it handled its stop signal');
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what a member started in a session of its own, whose parent died of the stop signal while another member kept the group alive to the grace, is SIGKILLed with the group', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let escaped = 0;
    try {
      // The leader dies of SIGTERM at once, leaving what it started in a session of its own (it
      // ignores SIGTERM) to init: at the grace nothing in /proc ties it to the group any more. A
      // second member ignores SIGTERM too, so the stop escalates rather than ending in time.
      const apart = `setsid sh -c "trap \\"\\" TERM; echo \\$\\$; exec sleep 1000 >/dev/null 2>&1"`;
      const member = `sh -c 'trap "" TERM; exec sleep 1000 >/dev/null 2>&1'`;
      const script = `${apart} & ${member} & wait`;
      await openNursery(async (tn) => {
        const leader = await superviseTellingPid(tn, script, { killGraceMs: KILL_GRACE_MS, tag }, (pid) => (escaped = pid));
        await waitUntil(() => groupMembers(leader.pid).length === 2 && processState(escaped) === 'S', 'the session leader to run apart from the group, in its sleep', 2000);
        tn.cancel();
        await leader.wait();
        assert.equal(leader.signal, 'SIGTERM', 'the leader died of the SIGTERM');
      });
      await waitUntil(() => !isRunning(escaped), 'the process in its own session to be killed with the group', 1000);
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
    }
  });

  test('what left the group and started children of its own (a postmaster, a supervisor, run by `setsid ... &`) stops them itself: once the group is gone, the stop signal goes to it, and to its children only once it is gone', { timeout: 20_000 }, async () => {
    // The postmaster stand-in relays its shutdown to its child after a pause, as a postmaster waits
    // for its backends and a supervisor stops its children in order. Before, the stop signal went
    // to every process that had left the group at once, so the child had it from us first.
    const tag = randomUUID();
    const dir = mkdtempSync(join(tmpdir(), 'rev1-order-'));
    const told = join(dir, 'told');
    try {
      // Each shell sets its trap before the backend prints its pid (the readiness), so no stop can
      // come before a trap, however late a loaded machine runs the postmaster after its fork. Before,
      // the postmaster set its trap after starting the backend, and a fixed 100 ms after the
      // readiness was all it had: stalled that long, it died of the SIGTERM and relayed nothing.
      // (`$!`, not a variable set after the fork: a trap run before that assignment would find it empty.)
      const backend = `trap 'echo backend-stopped >> ${told}; exit 0' TERM; echo \\$\\$; while :; do sleep 0.05; done`;
      const postmaster = `trap 'sleep 0.3; echo postmaster-relays >> ${told}; kill \\$!; wait \\$!; exit 0' TERM; sh -c \\"${backend}\\" & wait`;
      const script = `setsid sh -c "${postmaster}" & wait`;
      await openNursery(async (tn) => {
        await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', script], {
            relayStdout: true,
            readyWhen: /^\d+$/,
            killGraceMs: 5000,
            env: { ...process.env, SUBVISOR_TEST_TAG: tag },
          }, ctx),
        );
        tn.cancel();
      });
      assert.equal(readFileSync(told, 'utf8'), 'postmaster-relays\nbackend-stopped\n', 'the backend was stopped by its postmaster, once');
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what a member started and left behind before the stop (setsid -f, a daemon\'s double fork) is tied to nothing and left running, as the README says', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let daemon = 0;
    try {
      // setsid -f forks and its parent exits at once: the daemon's parent is no member any more.
      const script = `setsid -f sh -c 'echo $$; exec sleep 1000 >/dev/null 2>&1'; exec sleep 1000`;
      await openNursery(async (tn) => {
        await superviseTellingPid(tn, script, { killGraceMs: KILL_GRACE_MS, tag }, (pid) => (daemon = pid));
        await waitUntil(() => processState(daemon) === 'S', 'the daemon to run, in its sleep', 2000);
        tn.cancel();
      });
      await sleep(200);
      assert.equal(isRunning(daemon), true, 'the daemon runs on');
    } finally {
      killTagged(tag);
    }
  });

  test('what left the group and still holds the child\'s pipe once its parent was SIGKILLed from outside (a busy PostgreSQL backend) is stopped after the drain grace, not left running', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let holder = 0;
    try {
      // As a postmaster SIGKILLed by the OOM killer leaves a backend that is busy in a query: in a
      // session of its own, its parent gone before any stop began, still holding the child's stdout.
      const script = `setsid sh -c 'echo $$; exec sleep 1000' & wait`;
      const ended = await openNursery(async () => {
        const done = superviseRunProcess(['sh', '-c', script], {
          relayStdout: true,
          logger: { io: (line: string) => (holder = Number(line.slice(line.indexOf('] ') + 2))) },
          check: false,
          killGraceMs: KILL_GRACE_MS,
          drainGraceMs: 300,
          env: { ...process.env, SUBVISOR_TEST_TAG: tag },
        });
        await waitUntil(() => holder > 0 && processState(holder) === 'S', 'the holder to run, in its sleep', 10_000);
        const leader = runningTagged(tag).find((pid) => pid !== holder);
        assert.ok(leader !== undefined, 'the leader runs');
        process.kill(leader, 'SIGKILL');
        return done;
      });
      assert.equal(ended.signal, 'SIGKILL', 'the leader died of the SIGKILL from outside');
      // Before: the drain gave up on the pipe and the call resolved with the holder still running.
      assert.equal(isRunning(holder), false, 'the holder was stopped');
    } finally {
      killTagged(tag);
    }
  });

  test('what left the group and holds the child\'s pipe is stopped after the drain grace also when the child was gone before its start resolved (a busy event loop)', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    let holder = 0;
    try {
      // onSpawn holds the event loop past the child's life: the start resolves after its end. (A
      // child that exits within a few ms of its spawn may be gone even before spawn() returns to
      // us, under load: that is not asked here.)
      const script = `setsid sh -c 'echo $$; exec sleep 1000' & sleep 0.1; exit 0`;
      const ended = await superviseRunProcess(['sh', '-c', script], {
        relayStdout: true,
        logger: { io: (line: string) => (holder = Number(line.slice(line.indexOf('] ') + 2))) },
        onSpawn: () => {
          const until = performance.now() + 600;
          while (performance.now() < until); // busy, as a loaded parent is
        },
        killGraceMs: KILL_GRACE_MS,
        drainGraceMs: 300,
        env: { ...process.env, SUBVISOR_TEST_TAG: tag },
      });
      assert.equal(ended.returncode, 0);
      assert.ok(holder > 0, 'the holder said its pid');
      // Before: its pipes' ends were read once its start had resolved, from a child gone by then.
      assert.equal(isRunning(holder), false, 'the holder was stopped');
    } finally {
      killTagged(tag);
    }
  });

  test('a process that was running before the child, and was handed its pipe on purpose (an ssh ControlMaster, systemd-run --pipe), is not stopped as a holder', { timeout: 20_000, skip: spawnSync('python3', ['-c', '']).status !== 0 && 'no python3' }, async () => {
    // The keeper takes the child's stdout and stderr over a unix socket (SCM_RIGHTS) and holds them.
    const dir = mkdtempSync(join(tmpdir(), 'revpipe-keeper-'));
    const path = join(dir, 'sock');
    const keeperCode = `import socket,sys,time
s=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1]);s.listen();print('up',flush=True)
c,_=s.accept();_,fds,_,_=socket.recv_fds(c,1,2);print('held',flush=True);time.sleep(1000)`;
    const keeper = spawn('python3', ['-c', keeperCode, path], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let said = '';
      keeper.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
      await waitUntil(() => said.includes('up'), 'the keeper to listen', 15_000);
      const handOver = `import socket,sys;c=socket.socket(socket.AF_UNIX);c.connect(sys.argv[1]);socket.send_fds(c,[b'x'],[1,2])`;
      const ended = await superviseRunProcess(['python3', '-c', handOver, path], { relayStdout: true, killGraceMs: KILL_GRACE_MS, drainGraceMs: 300 });
      assert.equal(ended.returncode, 0);
      assert.ok(said.includes('held'), 'the keeper took the pipes');
      // Before: found through /proc as a holder of the child's pipe, and SIGTERMed.
      assert.equal(keeper.exitCode === null && keeper.signalCode === null && isRunning(keeper.pid ?? 0), true, 'the keeper still runs');
    } finally {
      keeper.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a leftover holding the pipe that no search for holders can reach (newSession: false) costs two drain graces, as before the search, not three', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    // The graces are counted as they run out, not measured: a total under some bound (it was
    // < 2 graces + 900 ms) is what a slow machine breaks, and a third grace cut short would pass it.
    const drainGraceMs = 1500;
    const realSetTimeout = globalThis.setTimeout;
    let gracesSpent = 0;
    mock.method(globalThis, 'setTimeout', (fire: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
      realSetTimeout((...given: unknown[]) => {
        if (ms === drainGraceMs) gracesSpent += 1;
        fire(...given);
      }, ms, ...args),
    );
    try {
      const ended = await superviseRunProcess(['sh', '-c', 'sleep 1000 & exit 0'], {
        relayStdout: true,
        newSession: false,
        killGraceMs: KILL_GRACE_MS,
        drainGraceMs,
        env: { ...process.env, SUBVISOR_TEST_TAG: tag },
      });
      assert.equal(ended.returncode, 0);
      // A grace, the stop of the child (gone), a grace, and the pipe given up once quiet: what was
      // left of the second grace after the search is all that is waited. Before: a third grace
      // after a search that found nothing.
      assert.equal(gracesSpent, 2, 'two drain graces ran out');
    } finally {
      mock.restoreAll();
      killTagged(tag);
    }
  });

  test('in a pid namespace whose /proc is another\'s (unshare --pid without --mount-proc), a grandchild ignoring SIGTERM is still SIGKILLed at the grace', { timeout: 20_000 }, () => {
    // The parent is pid 1 of a namespace of its own (unprivileged, through a user namespace) that
    // still sees the host's /proc, where our children's ids are other processes. The grandchild
    // says it ignores SIGTERM once it does, and lets go of the pipe.
    const script = `(trap "" TERM; echo ignoring; exec sleep 1000 >/dev/null 2>&1) & exec sleep 1000`;
    const program = `import { openNursery, superviseRunProcess } from './dist/index.js';
      import { readlinkSync } from 'node:fs';
      let cancelledAt = 0;
      await openNursery(async (tn) => {
        await tn.start((ctx) => superviseRunProcess(['sh', '-c', ${JSON.stringify(script)}], { killGraceMs: ${KILL_GRACE_MS}, readyWhen: /ignoring/ }, ctx));
        cancelledAt = performance.now();
        tn.cancel();
      });
      console.log(JSON.stringify({ self: readlinkSync('/proc/self'), pid: process.pid, stopMs: performance.now() - cancelledAt }));`;
    const run = spawnSync('unshare', ['-rpf', process.execPath, '--input-type=module', '-e', program], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.status, 0, run.stderr);
    const { self, pid, stopMs } = JSON.parse(run.stdout) as { self: string; pid: number; stopMs: number };
    assert.notEqual(self, String(pid), 'staged: /proc is not our namespace\'s');
    // Before: the host's process under the group's id was not a member, so the group looked empty
    // once the leader died of the SIGTERM, the stop ended at once and the grandchild was left running.
    assert.ok(stopMs >= KILL_GRACE_MS - 50, `the group got its grace, then the SIGKILL (the stop took ${stopMs.toFixed(0)} ms)`);
    assert.match(run.stderr, /still running \d+ ms \(killGraceMs\) after the stop signal; sending SIGKILL to the group/);
  });

  test('a stopped child hears the stop signal: SIGCONT follows it, so its handler runs instead of the SIGKILL at the grace', { timeout: 20_000 }, async () => {
    const tag = randomUUID();
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-stopped-'));
    const marker = join(dir, 'handled');
    try {
      // `wait`, not a foreground sleep: dash would report a foreground job killed by a signal.
      const script = `trap 'echo handled > ${marker}; exit 0' TERM; echo up; sleep 1000 & wait`;
      // Past the test's bound: only its handler, not the SIGKILL at the grace, ends it in time.
      const graceMs = 60_000;
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', script], { readyWhen: /^up$/, killGraceMs: graceMs, env: { ...process.env, SUBVISOR_TEST_TAG: tag } }, ctx),
        );
        // Once the sleep runs: a shell stopped between its fork and the exec would mishandle the signal.
        await waitUntil(() => groupMembers(proc.pid).includes('sleep'), 'the background sleep to run', 2000);
        process.kill(-proc.pid, 'SIGSTOP'); // job control, or a debugger, stops the whole group
        await waitUntil(() => processState(proc.pid) === 'T', 'the child to be stopped', 2000);
        tn.cancel();
      });
      assert.ok(existsSync(marker), 'the stopped child ran its SIGTERM handler');
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      killTagged(tag);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const shellCommands = {
    'background jobs and a wait': 'sleep 1000 & sleep 1000 & wait',
    'a sequence (dash runs the first command as its child)': 'sleep 1000; echo never',
    'a pipeline': 'sleep 1000 | cat',
    'a subshell ignoring SIGTERM': '(trap "" TERM; sleep 1000); echo never',
  };
  for (const [shape, command] of Object.entries(shellCommands)) {
    test(`shell: true, ${shape}: cancelling stops sh and everything it started`, { timeout: 20_000 }, async () => {
      const tag = randomUUID();
      try {
        const controller = new AbortController();
        const running = runProcess(command, { shell: true, signal: controller.signal, killGraceMs: 300, env: { ...process.env, SUBVISOR_TEST_TAG: tag } });
        const outcome = running.catch((error: unknown) => error);
        // Control: sh and what it started are running (more than one process carries the tag).
        await waitUntil(() => runningTagged(tag).length >= 2, `sh and its children to run (tagged: ${runningTagged(tag).join(' ')})`, 5000);
        const reason = new Error('stop');
        controller.abort(reason);
        assert.equal(await outcome, reason);
        await waitUntil(() => runningTagged(tag).length === 0, `every process of the command to die (left: ${runningTagged(tag).join(' ')})`, 2000);
      } finally {
        killTagged(tag);
      }
    });
  }
});
