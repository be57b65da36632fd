// The shared poller that stops wait on for their group to empty (src/process/stop/group-poller.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { whenGroupEmpty } from '../../../src/process/stop/group-poller.js';
import { killQuietly } from '../../support/processes.js';

/** Which comes first: `promise`, or the end of this turn of the event loop. */
function beforeATurn(promise: Promise<void>): Promise<'settled' | 'a turn passed'> {
  return Promise.race([promise.then(() => 'settled' as const), new Promise<'a turn passed'>((resolve) => setImmediate(() => resolve('a turn passed')))]);
}

test('a group with no member left is empty at once, not at the next poll: a chain of stops waited a poll (10 ms) per link', { timeout: 10_000 }, async () => {
  const leader = spawn('sh', ['-c', 'exit 0'], { detached: true, stdio: 'ignore' });
  await once(leader, 'exit');
  const wait = whenGroupEmpty(leader.pid ?? 0);
  try {
    assert.equal(await beforeATurn(wait.empty), 'settled');
  } finally {
    wait.cancel();
  }
});

test('a group with a live member is not empty until it is gone (control)', { timeout: 10_000 }, async () => {
  const leader = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  const exited = once(leader, 'exit');
  const wait = whenGroupEmpty(leader.pid ?? 0);
  try {
    assert.equal(await beforeATurn(wait.empty), 'a turn passed');
    leader.kill('SIGKILL');
    await exited;
    await wait.empty;
  } finally {
    wait.cancel();
    killQuietly(leader.pid);
  }
});
