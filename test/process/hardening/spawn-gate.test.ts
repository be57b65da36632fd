// A parent SIGKILLed while it is spawning leaves no orphan: a child runs its command only once the
// watchdog knows it (the spawn gate, src/process/spawn/gate.ts), so whenever the SIGKILL lands the
// child either never runs its command or is stopped by the watchdog. Each run starts a real parent
// through the built package (spawn-gate-cli.test.ts does the same with the built CLI), kills it at a random moment, and counts through
// /proc the tagged processes still running once the watchdog has had time to stop them. The
// control beside them shows the same probe counting orphans when nothing stops them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FORKED_TAG, continueGroup, killTagged, orphanSummary, orphansOf, runningTagged, startBuiltFixture, stopFixture, waitUntil, watchdogsOf, type Fixture, type KillRun } from './probes.js';

const BURST = 'test/fixtures/hardening/burst.mjs';
const WITHOUT_WATCHDOG = { ...process.env, SUBVISOR_WATCHDOG: '0' };

/** Waits for `parent`'s first line, SIGKILLs it `delayMs` later, and counts what it left running. */
async function killAndCount(parent: Fixture, tag: string, delayMs: number): Promise<KillRun> {
  try {
    await parent.firstLine;
    await sleep(delayMs);
    parent.child.kill('SIGKILL');
    await parent.exited;
    const left = await orphansOf(tag);
    return { killedAtMs: delayMs, orphans: left };
  } finally {
    await stopFixture(parent);
    killTagged(tag);
  }
}

function burst(children: number, env: NodeJS.ProcessEnv = process.env): { parent: Fixture; tag: string } {
  const tag = randomUUID();
  return { parent: startBuiltFixture(BURST, [tag, String(children), '200'], { env: { ...env, [FORKED_TAG]: tag } }), tag };
}

describe('spawn gate: a parent SIGKILLed while spawning leaves no orphan', () => {
  test('40 parents starting 8 children each, SIGKILLed at a random moment of the start: 0 orphans', { timeout: 100_000 }, async () => {
    const runs: KillRun[] = [];
    // Stops at the first run with an orphan: that already fails, and each costs the full wait.
    while (runs.length < 40 && !runs.some(({ orphans }) => orphans > 0)) {
      const { parent, tag } = burst(8);
      // 0-60 ms after the first spawn began: before, during and after the eight spawns.
      runs.push(await killAndCount(parent, tag, Math.floor(Math.random() * 60)));
    }
    assert.equal(runs.filter(({ orphans }) => orphans > 0).length, 0, orphanSummary(runs));
  });

  test('200 children at once, the parent SIGKILLed at a random moment of the burst: 0 orphans', { timeout: 100_000 }, async () => {
    const runs: KillRun[] = [];
    while (runs.length < 5 && !runs.some(({ orphans }) => orphans > 0)) {
      const { parent, tag } = burst(200);
      runs.push(await killAndCount(parent, tag, 200 + Math.floor(Math.random() * 1300)));
    }
    assert.equal(runs.filter(({ orphans }) => orphans > 0).length, 0, orphanSummary(runs));
  });

  test('a watchdog that lags behind loses no registration: 350 children started while it is stopped, the parent SIGKILLed once it runs again: 0 orphans', { timeout: 90_000 }, async () => {
    // The pipe is a non-blocking socket that holds only ~280 unread lines: the gated children whose
    // line does not fit must wait for the watchdog, not run unregistered.
    const { parent, tag } = burst(350);
    let watchdogPid: number | undefined;
    try {
      await parent.firstLine;
      await waitUntil(() => watchdogsOf(parent.child.pid ?? 0).length > 0, 'the watchdog started', 10_000);
      watchdogPid = watchdogsOf(parent.child.pid ?? 0)[0] ?? 0;
      process.kill(-watchdogPid, 'SIGSTOP');
      await waitUntil(() => runningTagged(tag).length >= 350, '350 children started', 40_000);
      continueGroup(watchdogPid);
      await sleep(300);
      parent.child.kill('SIGKILL');
      await parent.exited;
      assert.equal(await orphansOf(tag), 0, 'children left running after the parent died');
    } finally {
      if (watchdogPid !== undefined) continueGroup(watchdogPid);
      await stopFixture(parent);
      killTagged(tag);
    }
  });

  test('control: without the watchdog (SUBVISOR_WATCHDOG=0) the same probe counts the orphans of a SIGKILLed burst', { timeout: 60_000 }, async () => {
    const { parent, tag } = burst(50, WITHOUT_WATCHDOG);
    const run = await killAndCount(parent, tag, 300);
    assert.ok(run.orphans > 0, 'the probe sees the children a SIGKILLed parent left');
  });
});
