// Cancelling while the child is being spawned: in the same tick as start(), on the next turns of
// the event loop, 1 ms later, and at random moments, over and over. Every run must settle promptly
// and leave no process running (the child leads a group with a grandchild, both tagged so that a
// survivor is found wherever it ended up).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { openNursery, runProcess, superviseRunProcess } from '../../../src/index.js';
import { killTagged, runningTagged, waitUntil } from './probes.js';

const ROUNDS = 40;
const KILL_GRACE_MS = 200;
/** Generous: a run that is stopped settles within the kill grace plus scheduling noise. */
const SETTLES_WITHIN_MS = 3000;

/** How long after start() the cancel comes. */
const moments: Record<string, () => Promise<void>> = {
  'the same tick': () => Promise.resolve(),
  'a microtask later': () => new Promise((resolve) => queueMicrotask(resolve)),
  'the next tick (process.nextTick)': () => new Promise((resolve) => process.nextTick(resolve)),
  'the next loop turn (setImmediate)': () => nextTurn(),
  '1 ms later': () => sleep(1),
  'a random 0-15 ms later': () => sleep(Math.floor(Math.random() * 16)),
};

function taggedEnv(tag: string): NodeJS.ProcessEnv {
  return { ...process.env, SUBVISOR_TEST_TAG: tag };
}

/** A group of two that only a signal ends: sh waiting on a sleeping grandchild. */
const FAMILY = ['sh', '-c', 'sleep 1000 & wait'];

describe('cancel racing spawn never leaves a process running and never hangs', () => {
  for (const [moment, wait] of Object.entries(moments)) {
    test(`superviseRunProcess under tn.start(), cancelled ${moment}, ${ROUNDS} times`, { timeout: 60_000 }, async () => {
      const tag = randomUUID();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const startedAt = performance.now();
          await openNursery(async (tn) => {
            const starting = tn.start((ctx) => superviseRunProcess(FAMILY, { killGraceMs: KILL_GRACE_MS, env: taggedEnv(tag) }, ctx)).catch(() => undefined);
            if (moment === 'the same tick') tn.cancel();
            else {
              await wait();
              tn.cancel();
            }
            await starting;
          });
          const took = performance.now() - startedAt;
          assert.ok(took < SETTLES_WITHIN_MS, `round ${round}: took ${took.toFixed(0)} ms to settle`);
        }
        // A grandchild killed with its group may take a moment to be reaped by whoever owns it now.
        await waitUntil(() => runningTagged(tag).length === 0, `no tagged process left (found ${runningTagged(tag).join(' ')})`, 2000);
      } finally {
        killTagged(tag);
      }
    });

    test(`runProcess with an AbortSignal, aborted ${moment}, ${ROUNDS} times`, { timeout: 60_000 }, async () => {
      const tag = randomUUID();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const startedAt = performance.now();
          const controller = new AbortController();
          const running = runProcess(FAMILY, { signal: controller.signal, killGraceMs: KILL_GRACE_MS, env: taggedEnv(tag), stdout: 'ignore', stderr: 'ignore' });
          const outcome = running.then(
            () => 'resolved',
            (error: unknown) => error,
          );
          await wait();
          const reason = new Error(`stop ${round}`);
          controller.abort(reason);
          assert.equal(await outcome, reason, `round ${round}: rejects with the abort reason`);
          const took = performance.now() - startedAt;
          assert.ok(took < SETTLES_WITHIN_MS, `round ${round}: took ${took.toFixed(0)} ms to settle`);
        }
        await waitUntil(() => runningTagged(tag).length === 0, `no tagged process left (found ${runningTagged(tag).join(' ')})`, 2000);
      } finally {
        killTagged(tag);
      }
    });
  }
});

describe('a scope cancelled before the spawn spawns nothing: the command never runs', () => {
  // The cancel comes in the same tick as the call, while the spawn still waits for the watchdog:
  // a check made only at the call's start would miss it, and the command would run (and might
  // deploy, migrate, send) while the caller is told it was cancelled.
  const RUNS = 20;

  test(`runProcess whose signal aborts in the same tick, ${RUNS} times`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-cancel-race-'));
    try {
      const marker = join(dir, 'ran');
      const tag = randomUUID();
      for (let round = 0; round < RUNS; round++) {
        const controller = new AbortController();
        const running = runProcess(['sh', '-c', 'echo ran >> "$1"', 'sh', marker], { signal: controller.signal, env: taggedEnv(tag) });
        controller.abort(new Error(`stop ${round}`));
        await assert.rejects(running, /stop \d+/);
      }
      // A command that did start gets to write: it has once it is gone.
      await waitUntil(() => runningTagged(tag).length === 0, 'the commands that started to end', 10_000);
      assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').length - 1 : 0, 0, 'commands ran though cancelled');
      // Control: not cancelled, the same command does write.
      await runProcess(['sh', '-c', 'echo ran >> "$1"', 'sh', marker]);
      assert.equal(readFileSync(marker, 'utf8'), 'ran\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a runProcess task of a nursery cancelled a microtask later, ${RUNS} times`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-cancel-race-'));
    try {
      const marker = join(dir, 'ran');
      const tag = randomUUID();
      for (let round = 0; round < RUNS; round++) {
        await openNursery(async (tn) => {
          tn.startSoon(() => runProcess(['sh', '-c', 'echo ran >> "$1"', 'sh', marker], { env: taggedEnv(tag) }));
          // The task has begun (its spawn waits for the watchdog) when the cancel comes.
          await Promise.resolve();
          tn.cancel();
        });
      }
      await waitUntil(() => runningTagged(tag).length === 0, 'the commands that started to end', 10_000);
      assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').length - 1 : 0, 0, 'commands ran though cancelled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
