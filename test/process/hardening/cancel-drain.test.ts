// Cancelling after the child itself has exited, while the drain still waits for its pipes: a
// leftover holds them open, or floods them faster than they are relayed. The drain grace is set
// far beyond the test's bound, so only the cancellation can end the run in time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Cancelled, openNursery, superviseRunProcess, type Process } from '../../../src/index.js';
import { killTagged, runningTagged, waitUntil } from './probes.js';

const KILL_GRACE_MS = 300;
const DRAIN_GRACE_MS = 60_000;
const SETTLES_WITHIN_MS = 3000;

async function cancelDuringDrain(
  script: string,
  logger: { io: (line: string) => void },
  draining: () => boolean = () => true,
): Promise<{ proc: Process; settledMs: number; tag: string }> {
  const tag = randomUUID();
  let proc: Process | undefined;
  let cancelledAt = 0;
  try {
    await openNursery(async (tn) => {
      proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', script], {
          relayStdout: true,
          logger,
          label: 'drain',
          killGraceMs: KILL_GRACE_MS,
          drainGraceMs: DRAIN_GRACE_MS,
          env: { ...process.env, SUBVISOR_TEST_TAG: tag },
        }, ctx),
      );
      await proc.wait(); // the child is gone; its leftover still holds the pipe
      // Control: the probe does see the leftover running while the drain waits.
      await waitUntil(() => runningTagged(tag).length > 0, 'the leftover to be visible', 2000);
      await waitUntil(draining, 'the drain to be under way', 5000);
      cancelledAt = performance.now();
      tn.cancel(new Cancelled('cancelled during the drain'));
    });
    const settledMs = performance.now() - cancelledAt;
    await waitUntil(() => runningTagged(tag).length === 0, 'the leftover to die', 2000);
    assert.ok(proc);
    return { proc, settledMs, tag };
  } finally {
    killTagged(tag);
  }
}

describe('cancel during drain settles promptly and stops everything', () => {
  test('while a leftover holds the pipe open (silently)', { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    const { proc, settledMs } = await cancelDuringDrain('(exec sleep 1000) & echo child done', { io: (line) => void lines.push(line) });
    assert.equal(proc.returncode, 0, 'the child exited by itself');
    assert.ok(settledMs < SETTLES_WITHIN_MS, `settled ${settledMs.toFixed(0)} ms after the cancel`);
    assert.deepEqual(lines, ['[drain:out] child done']);
  });

  test('while a leftover floods the pipe faster than it is relayed', { timeout: 20_000 }, async () => {
    let relayed = 0;
    // A relay that costs something per line, so a backlog builds up in the pipe.
    const logger = {
      io: (): void => {
        relayed++;
        for (let spin = 0; spin < 2000; spin++) Math.sqrt(spin);
      },
    };
    const { proc, settledMs } = await cancelDuringDrain('(exec yes flood) & echo child done', logger, () => relayed > 10_000);
    assert.equal(proc.returncode, 0);
    assert.ok(settledMs < SETTLES_WITHIN_MS, `settled ${settledMs.toFixed(0)} ms after the cancel`);
  });
});
