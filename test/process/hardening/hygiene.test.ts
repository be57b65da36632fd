// Hygiene: after a mix of successes, failures, spawn errors and cancellations, the open fds, the
// listeners on `process`, the timers and our child zombies are back to the baseline, no tagged
// process runs, and a finished scope never keeps the event loop alive.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { runProcess } from '../../../src/index.js';
import { runMix } from './mix.js';
import { killTagged, resources, runningTagged, startFixture, stopFixture, waitUntil } from './probes.js';

describe('hygiene', () => {
  before(async () => {
    // The first supervised child starts the parent's watchdog, which keeps one pipe for the
    // parent's lifetime on purpose: take the baseline after it exists.
    await runProcess(['true']);
  });

  test('fds, process listeners, timers and child zombies are back to the baseline after the mix', { timeout: 60_000 }, async () => {
    const tag = randomUUID();
    try {
      const baseline = resources();
      await runMix(tag);
      // A pipe's handle may close a few loop turns after its run settled: give those turns, bounded.
      const deadline = performance.now() + 1000;
      while (performance.now() < deadline && !isDeepStrictEqual(resources(), baseline)) await sleep(10);
      assert.deepEqual(resources(), baseline);
      await waitUntil(() => runningTagged(tag).length === 0, `no tagged process left (found ${runningTagged(tag).join(' ')})`, 2000);
    } finally {
      killTagged(tag);
    }
  });

  test('a finished scope never keeps the event loop alive: a parent running the mix exits by itself', { timeout: 60_000 }, async () => {
    const tag = randomUUID();
    const fixture = startFixture('test/fixtures/hardening/event-loop.ts', [tag]);
    try {
      assert.equal(await fixture.firstLine, 'done');
      const doneAt = performance.now();
      const ended = await Promise.race([fixture.exited, sleep(5000, 'still running')]);
      assert.deepEqual(ended, { code: 0, signal: null }, `exited ${(performance.now() - doneAt).toFixed(0)} ms after done`);
      assert.deepEqual(runningTagged(tag), []);
    } finally {
      await stopFixture(fixture);
      killTagged(tag);
    }
  });
});
