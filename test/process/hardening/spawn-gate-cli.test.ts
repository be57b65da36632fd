// `subvisor run` SIGKILLed the moment its child appears leaves no orphan: the CLI spawns through
// the same gate as the library (see spawn-gate.test.ts), and this runs the built CLI as a user does.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { killTagged, orphanSummary, orphansOf, runningTagged, startBuiltFixture, stopFixture, waitUntil, type KillRun } from './probes.js';

const CLI = resolve('dist/cli/main.js');

describe('spawn gate: the CLI', () => {
  test('`subvisor run -- sleep 1000` SIGKILLed as soon as its child appears: 0 orphans in 40 runs', { timeout: 110_000 }, async () => {
    const runs: KillRun[] = [];
    // Stops at the first run with an orphan: that already fails, and each costs the full wait.
    while (runs.length < 40 && !runs.some(({ orphans }) => orphans > 0)) {
      const tag = randomUUID();
      const cli = startBuiltFixture(CLI, ['run', '--grace', '200ms', '--', 'sleep', '1000'], { env: { ...process.env, SUBVISOR_TEST_TAG: tag } });
      try {
        const started = performance.now();
        // The CLI carries the tag too: its environment is what the child inherits.
        await waitUntil(() => runningTagged(tag).some((pid) => pid !== cli.child.pid), 'the child to appear', 10_000);
        cli.child.kill('SIGKILL');
        await cli.exited;
        runs.push({ killedAtMs: Math.round(performance.now() - started), orphans: await orphansOf(tag) });
      } finally {
        await stopFixture(cli);
        killTagged(tag);
      }
    }
    assert.equal(runs.filter(({ orphans }) => orphans > 0).length, 0, orphanSummary(runs));
  });
});
