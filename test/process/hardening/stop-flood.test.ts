// Hundreds of groups stopping at once keep their deadlines: one shared poller looks at /proc for
// all of them (src/process/stop/group-poller.ts), instead of each supervisor scanning it every
// 10 ms, which saturated the event loop and let the SIGKILLs slip by seconds.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { openNursery, superviseRunProcess, type Process } from '../../../src/index.js';
import { killTagged, runningTagged } from './probes.js';

const GROUPS = 300;
const KILL_GRACE_MS = 2000;
/** The leader dies of SIGTERM at once; its child ignores it and says so once its trap is set. */
const SCRIPT = `(trap '' TERM; echo up; exec sleep 1000) & wait`;

describe('stop flood', () => {
  test(`${GROUPS} groups whose members ignore SIGTERM, stopped at once with a ${KILL_GRACE_MS} ms grace: all gone within the grace + 2 s`, { timeout: 110_000 }, async () => {
    const tag = randomUUID();
    const env = { ...process.env, SUBVISOR_TEST_TAG: tag };
    try {
      let cancelledAt = 0;
      await openNursery(async (tn) => {
        const started: Promise<Process>[] = [];
        for (let index = 0; index < GROUPS; index++) {
          started.push(tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', SCRIPT], { env, killGraceMs: KILL_GRACE_MS, readyWhen: /^up$/ }, ctx)));
        }
        await Promise.all(started);
        // Control: the probe sees every leader and every member ignoring SIGTERM.
        assert.equal(runningTagged(tag).length, 2 * GROUPS);
        cancelledAt = performance.now();
        tn.cancel();
      });
      const settledMs = performance.now() - cancelledAt;
      assert.deepEqual(runningTagged(tag), [], 'nothing of any group is left');
      assert.ok(settledMs >= KILL_GRACE_MS - 50, `every group got its grace (all stopped after ${settledMs.toFixed(0)} ms)`);
      // 2.3-2.8 s measured; the bound leaves room for a loaded machine (3.1 s seen once) and still
      // catches what it guards against: 7.9-15 s when each stop scanned /proc by itself.
      assert.ok(settledMs <= KILL_GRACE_MS + 2000, `all ${GROUPS} groups were gone ${settledMs.toFixed(0)} ms after the cancel`);
    } finally {
      killTagged(tag);
    }
  });

  test(`${GROUPS} groups ending together, each with a member left: whether each group still has one is answered by a few passes over /proc, not one per group`, { timeout: 110_000 }, async () => {
    const tag = randomUUID();
    const env = { ...process.env, SUBVISOR_TEST_TAG: tag };
    // The library reaches fs through process.getBuiltinModule: the same module object as this one.
    const readdirSync = fs.readdirSync;
    let procPasses = 0;
    try {
      await openNursery(async (tn) => {
        const started: Promise<Process>[] = [];
        for (let index = 0; index < GROUPS; index++) {
          started.push(tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', SCRIPT], { env, killGraceMs: 500, readyWhen: /^up$/ }, ctx)));
        }
        await Promise.all(started);
        assert.equal(runningTagged(tag).length, 2 * GROUPS, 'every leader and every member runs (control)');
        fs.readdirSync = ((path: fs.PathLike, ...rest: unknown[]) => {
          if (path === '/proc') procPasses++;
          return (readdirSync as (...args: unknown[]) => unknown)(path, ...rest);
        }) as typeof fs.readdirSync;
        // Each leader dies of the SIGTERM and leaves its member, which ignores it, to the SIGKILL.
        tn.cancel();
      });
    } finally {
      fs.readdirSync = readdirSync;
      killTagged(tag);
    }
    assert.deepEqual(runningTagged(tag), [], 'nothing of any group is left');
    // Before, each leader's end read all of /proc for its own group: at least one pass per group.
    assert.ok(procPasses < GROUPS / 4, `${procPasses} passes over /proc for ${GROUPS} groups`);
  });
});
