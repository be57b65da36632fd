// A watchdog that lags behind fills its pipe; lines then wait in the parent's queue. Before a gated
// child is spawned, `registrationPipe` must see every queued line (releases above all: the child's
// own line must not overtake the release of a pid it reuses) written, and then resolve: it waited
// for a 'drain' once, which Node emits only after a write that went over the stream's high-water
// mark, and small lines never do, so it hung. Here the watchdog is stopped (SIGSTOP) while ~300 KiB
// of registration lines for one live child of ours pile up, then continued.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { registrationPipe, watchOverChild } from '../../../src/process/stop/watchdog.js';
import { continueGroup, waitUntil, watchdogsOf } from './probes.js';

describe('watchdog: a full pipe', () => {
  test('registrationPipe waits while the watchdog is stopped and its pipe full, and resolves once it reads again', { timeout: 30_000 }, async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore', detached: true });
    await once(child, 'spawn');
    const pid = child.pid ?? 0;
    const releases: (() => void)[] = [];
    let watchdogPid: number | undefined;
    try {
      releases.push(watchOverChild({ pid, newSession: true, killGraceMs: 1, stopSignal: 'SIGTERM' }));
      await waitUntil(() => watchdogsOf(process.pid).length > 0, 'the watchdog started', 10_000);
      watchdogPid = watchdogsOf(process.pid)[0] ?? 0;
      process.kill(-watchdogPid, 'SIGSTOP');
      // Each new grace changes the line, so each is written: ~12 000 lines, far more than the pipe holds.
      for (let grace = 2; grace < 12_000; grace++) releases.push(watchOverChild({ pid, newSession: true, killGraceMs: grace, stopSignal: 'SIGTERM' }));
      let resolved = false;
      const pipe = registrationPipe().then((value) => {
        resolved = true;
        return value;
      });
      await sleep(500);
      assert.equal(resolved, false, 'resolved while its lines could not be written');
      continueGroup(watchdogPid);
      const value = await Promise.race([pipe, sleep(10_000).then(() => 'timed out' as const)]);
      assert.notEqual(value, 'timed out', 'still waiting 10 s after the watchdog read again');
      assert.ok(value !== undefined, 'the pipe of the running watchdog');
    } finally {
      if (watchdogPid !== undefined) continueGroup(watchdogPid);
      for (const release of releases) release();
      child.kill('SIGKILL');
    }
  });
});
