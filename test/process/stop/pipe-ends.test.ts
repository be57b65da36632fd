import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs, { readFileSync, readSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { awaitingHolderSearch, killUnsearchedHolders, ownEndOf, pipeEnds, pipeHolders } from '../../../src/process/stop/pipe-holders.js';

/**
 * A dash held in the gate's own write (`printf ... >&3 2>/dev/null`, see src/process/spawn/gate.ts):
 * fd 3 is a pipe nobody reads, and the write is more than it takes. Meanwhile dash keeps fds 1 and 2
 * at 10 and up (close-on-exec), fd 1 points at fd 3 and fd 2 at /dev/null. `stderr` is its fd 2.
 * `gate`: fd 3's name, which stands for the watchdog's pipe as the parent names it. `next`: what
 * the shell runs once the write is over.
 */
async function caughtInTheGatesWrite(stderr: 'pipe' | Readable, next = ':'): Promise<{ child: ChildProcess; pid: number; at: (fd: number) => string; gate: string; stop: () => void }> {
  // A group of its own, stopped whole: what `next` starts (a `sleep 30` the shell waits for) would
  // outlive the shell, holding the test file's output open for its 30 s.
  const child = spawn('sh', ['-c', `echo up; printf "%s" "$(head -c 1000000 /dev/zero | tr "\\0" x)" >&3 2>/dev/null; ${next}`], { stdio: ['ignore', 'pipe', stderr, 'pipe', 'pipe'], detached: true });
  const pid = child.pid ?? 0;
  const at = (fd: number): string => readlinkSync(`/proc/${pid}/fd/${fd}`);
  const stop = (): void => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  try {
    await once(child.stdio[1] as Readable, 'data');
    for (let tries = 0; tries < 200 && at(1) !== at(3); tries += 1) await sleep(10);
    assert.equal(at(1), at(3), 'control: fd 1 is the gate\'s pipe now');
  } catch (error) {
    stop();
    throw error;
  }
  return { child, pid, at, gate: at(3), stop };
}

test('a gated child caught writing its registration (fd 1 at the watchdog\'s pipe, fd 2 at /dev/null) still gives its own stdout and stderr as its pipes\' ends', { timeout: 10_000 }, async () => {
  const { pid, at, gate, stop } = await caughtInTheGatesWrite('pipe');
  try {
    // Before: [fd 3's name], and what held the real stdout and stderr was never looked for.
    assert.deepEqual(new Set(pipeEnds(pid, [1, 2], gate)?.ends), new Set([at(10), at(11)]));
  } finally {
    stop();
  }
});

test('an ungated child gives the ends at its fds 1 and 2, and nothing for an fd that is no pipe', { timeout: 10_000 }, async () => {
  const child = spawn('sh', ['-c', 'echo up; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await once(child.stdout, 'data');
    const pid = child.pid ?? 0;
    assert.deepEqual(pipeEnds(pid, [1, 2])?.ends, [readlinkSync(`/proc/${pid}/fd/1`)]);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a gated child caught writing its registration never gives, for its one piped stream, a copy of what it inherited from the parent (its stderr, shared with every child that inherits it)', { timeout: 10_000 }, async () => {
  // The parent's stderr stands for a pipe the parent holds and hands on (stderr: 'inherit' under
  // CI, or under systemd): here its end of another child's stdout.
  const other = spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const { pid, at, gate, stop } = await caughtInTheGatesWrite(other.stdout);
  try {
    assert.equal(at(11), readlinkSync(`/proc/self/fd/${(other.stdout as unknown as { _handle: { fd: number } })._handle.fd}`), 'control: dash keeps the inherited stderr at fd 11');
    // Before: its stdout's copy and the inherited stderr's; a search by the latter finds whoever
    // else was handed the parent's stderr since, and stops them.
    assert.deepEqual(pipeEnds(pid, [1], gate)?.ends, [at(10)]);
  } finally {
    stop();
    other.kill('SIGKILL');
  }
});

/** A stand-in for the watchdog: a process whose stdin is a pipe the parent holds and hands on as is. */
function watchdogLike(): ChildProcess & { stdin: Writable } {
  return spawn('sleep', ['30'], { stdio: ['pipe', 'ignore', 'ignore'] });
}

test('the watchdog\'s pipe, named by the parent, is the pipe a gated child holds at its fd 3', { timeout: 10_000 }, async () => {
  const watchdog = watchdogLike();
  const child = spawn('sh', ['-c', 'echo up; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore', watchdog.stdin] });
  try {
    await once(child.stdout as Readable, 'data');
    const name = ownEndOf(watchdog.stdin);
    assert.match(name ?? '', /^socket:\[\d+\]$/);
    assert.equal(readlinkSync(`/proc/${child.pid ?? 0}/fd/3`), name);
  } finally {
    child.kill('SIGKILL');
    watchdog.kill('SIGKILL');
  }
});

test('a command that keeps copies of its stdout at fds 3 and 4 (`exec 3>&1`) still gives its stdout as its pipe\'s end, gated or not', { timeout: 10_000 }, async () => {
  const watchdog = watchdogLike();
  // The gate's fds 3 and 4 are closed for the command, which may then take them for its own.
  const script = 'exec 3>&1 4>&1; echo up; exec sleep 30';
  const gated = spawn('sh', ['-c', `exec 3>&- 4>&-; ${script}`], { stdio: ['ignore', 'pipe', 'ignore', watchdog.stdin, 'pipe'] });
  const ungated = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await Promise.all([once(gated.stdout as Readable, 'data'), once(ungated.stdout, 'data')]);
    for (const [child, gate] of [[gated, ownEndOf(watchdog.stdin)], [ungated, undefined]] as const) {
      const stdout = readlinkSync(`/proc/${child.pid ?? 0}/fd/1`);
      assert.equal(readlinkSync(`/proc/${child.pid ?? 0}/fd/3`), stdout, 'control: fd 3 is a copy of its stdout');
      // Before: fds 3 and 4 were read as the gate's, and the stdout they copy was never an end.
      assert.deepEqual(pipeEnds(child.pid ?? 0, [1, 2], gate)?.ends, [stdout]);
    }
  } finally {
    for (const child of [gated, ungated, watchdog]) child.kill('SIGKILL');
  }
});

test('a child that has exited already (a zombie, not yet reaped) gives no ends, its fds unread', { timeout: 10_000 }, () => {
  const child = spawn('sh', ['-c', 'exit 0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid ?? 0;
  // Synchronous: the event loop, which reaps it, does not run meanwhile.
  const state = (): string => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] ?? '';
  const until = Date.now() + 5000;
  while (state() !== 'Z' && Date.now() < until);
  assert.equal(state(), 'Z', 'control: a zombie');
  const fdsRead: string[] = [];
  const spies = (['readlinkSync', 'readdirSync'] as const).map((name) => {
    const original = fs[name] as (...args: unknown[]) => unknown;
    return mock.method(fs, name, (...args: unknown[]) => {
      if (String(args[0]).startsWith(`/proc/${pid}/fd`)) fdsRead.push(String(args[0]));
      return original(...args);
    });
  });
  try {
    assert.equal(pipeEnds(pid, [1, 2]), undefined);
    // Before: its fds 1 and 2 and its fd directory were read, to no end.
    assert.deepEqual(fdsRead, []);
  } finally {
    for (const spy of spies) spy.mock.restore();
  }
});

/** Whether ss (iproute2), which pairs a gone child's socket ends with the parent's, is here; required under CI=true. */
function ssHere(t: { skip: (why: string) => void }): boolean {
  if (spawnSync('sh', ['-c', 'command -v ss || test -x /usr/sbin/ss || test -x /sbin/ss']).status === 0) return true;
  assert.notEqual(process.env.CI, 'true', 'CI must have ss (iproute2)');
  t.skip('no ss (iproute2) here');
  return false;
}

/**
 * A launcher gone before its ends could be read: it starts a daemon in a session of its own, which
 * keeps its stdout, and exits at once; returned a zombie (waited for synchronously: the event loop,
 * which reaps it, does not run meanwhile), with its pipes as {@link pipeEnds} names them from the
 * parent's ends. `daemon` resolves to the daemon's pid.
 */
function launcherGoneAtOnce(): { pipes: ReturnType<typeof pipeEnds>; own: string[]; daemon: Promise<number> } {
  const child = spawn('sh', ['-c', 'setsid sleep 30 & echo $!; exit 0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid ?? 0;
  const daemon = once(child.stdout, 'data').then((data) => Number(String(data).trim()));
  const state = (): string => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0] ?? '';
  const until = Date.now() + 5000;
  while (state() !== 'Z' && Date.now() < until);
  assert.equal(state(), 'Z', 'control: a zombie');
  const own = [ownEndOf(child.stdout), ownEndOf(child.stderr)].filter((end) => end !== undefined);
  assert.equal(pipeEnds(pid, [1, 2]), undefined, 'control: its own fds are gone');
  return { pipes: pipeEnds(pid, [1, 2], undefined, () => own), own, daemon };
}

test('a child gone before its ends were read (a zombie) is known by the parent\'s ends of its pipes, and what it left holding its stdout is found', { timeout: 20_000 }, async (t) => {
  if (!ssHere(t)) return;
  const launched = launcherGoneAtOnce();
  let daemon = 0;
  try {
    daemon = await launched.daemon;
    assert.ok(daemon > 0, 'control: the daemon\'s pid');
    // Before: undefined, and nothing was searched for: the daemon ran on, holding the output.
    assert.deepEqual(launched.pipes?.ownEnds, launched.own);
    assert.deepEqual((await pipeHolders(launched.pipes)).map((holder) => holder.pid), [daemon]);
  } finally {
    if (daemon > 0) process.kill(daemon, 'SIGKILL');
  }
});

test('a parent about to die SIGKILLs what holds the pipes of a child gone before its ends were read, though no search had asked ss yet', { timeout: 20_000 }, async (t) => {
  if (!ssHere(t)) return;
  const launched = launcherGoneAtOnce();
  let daemon = 0;
  const searched = awaitingHolderSearch(launched.pipes);
  try {
    daemon = await launched.daemon;
    assert.ok(daemon > 0, 'control: the daemon\'s pid');
    // A process table an earlier search took in this turn of the loop (shared until its check phase) predates the daemon.
    await new Promise(setImmediate);
    killUnsearchedHolders();
    // SIGKILLed, it is a zombie (or reaped) as soon as the signal is delivered; bounded, not timed.
    const stateOf = (): string => {
      try {
        return readFileSync(`/proc/${daemon}/stat`, 'latin1').split(') ')[1]?.[0] ?? '';
      } catch {
        return 'gone';
      }
    };
    for (let wait = 0; wait < 250 && !['Z', 'gone'].includes(stateOf()); wait += 1) await sleep(20);
    // Before: its ends were paired only by an async search, never made: the daemon ran on.
    assert.ok(['Z', 'gone'].includes(stateOf()), `the daemon was killed (state ${stateOf()})`);
  } finally {
    searched();
    if (daemon > 0) process.kill(daemon, 'SIGKILL');
  }
});

test('a gated child that moves on while its ends are read (its write over, the verdict socket kept at fd 10 for its exec) still gives its stdout and stderr, never that socket', { timeout: 10_000 }, async () => {
  // `{ sleep 30; } 4>&-; :` holds the gate's `{ exec CMD; } 4>&-` still: fd 4 kept at fd 10.
  const { child, pid, at, gate, stop } = await caughtInTheGatesWrite('pipe', '{ sleep 30; } 4>&-; :');
  const [stdout, stderr, verdict] = [at(10), at(11), at(4)];
  const readlink = fs.readlinkSync;
  const linkOr = (fd: number): string => {
    try {
      return readlink(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  };
  let movedOn = false;
  // Right after fd 1 is read (the watchdog's pipe), the write is let through and the shell goes on
  // to its group: what a loaded machine does between two reads.
  const spy = mock.method(fs, 'readlinkSync', (...args: Parameters<typeof readlink>) => {
    const link = readlink(...args);
    if (!movedOn && args[0] === `/proc/${pid}/fd/1`) {
      movedOn = true;
      letTheWriteThrough(child, () => linkOr(1) === stdout && linkOr(10) === verdict);
    }
    return link;
  });
  try {
    const ends = pipeEnds(pid, [1, 2], gate)?.ends;
    spy.mock.restore();
    assert.equal(movedOn, true, 'control: the shell went on between the reads');
    assert.equal(linkOr(10), verdict, 'control: the verdict socket at fd 10');
    // Before: [its stderr, the verdict socket] (and before that, [its stderr]): its stdout's holders
    // were never looked for.
    assert.deepEqual(new Set(ends), new Set([stdout, stderr]));
  } finally {
    spy.mock.restore();
    stop();
  }
});

/** Reads the child's fd 3 (nobody else does: the event loop does not run meanwhile) until `done`, for at most 5 s. */
function letTheWriteThrough(child: ChildProcess, done: () => boolean): void {
  const fd = (child.stdio[3] as unknown as { _handle: { fd: number } })._handle.fd;
  const scratch = Buffer.alloc(65_536);
  const until = Date.now() + 5000;
  while (!done() && Date.now() < until) {
    try {
      readSync(fd, scratch);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}
