// A child that writes 1 MiB and exits while something it left behind keeps the pipe open: every
// byte is relayed, in order, and `proc.wait()` resolves at the child's exit, not when the pipe
// finally reaches EOF (which here needs the leftover to be stopped after the drain grace).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { openNursery, superviseRunProcess, type Process } from '../../../src/index.js';
import { killTagged, runningTagged, waitUntil } from './probes.js';

const LINES = 16_384;
const LINE_BYTES = 64; // 63 digits and a newline: 16 384 lines are exactly 1 MiB
/** The leftover sleeps holding stdout; the child writes 1 MiB of numbered lines and exits at once. */
const SCRIPT = `(exec sleep 1000) & exec awk 'BEGIN { for (i = 0; i < ${LINES}; i++) printf "%0${LINE_BYTES - 1}d\\n", i }'`;

describe('no truncation at exit', () => {
  for (const drainGraceMs of [0, 50, 800]) {
    test(`1 MiB written just before exit is relayed whole while a leftover holds the pipe (drainGraceMs ${drainGraceMs})`, { timeout: 20_000 }, async () => {
      const tag = randomUUID();
      const lines: string[] = [];
      let exitedAt = 0;
      let settledAt = 0;
      try {
        await openNursery(async (tn) => {
          const proc = await tn.start<Process>((ctx) =>
            superviseRunProcess(['sh', '-c', SCRIPT], {
              relayStdout: true,
              logger: { io: (line: string) => void lines.push(line) },
              label: 't',
              drainGraceMs,
              killGraceMs: 300,
              env: { ...process.env, SUBVISOR_TEST_TAG: tag },
            }, ctx),
          );
          tn.startSoon(async () => {
            assert.equal(await proc.wait(), 0);
            exitedAt = performance.now();
          });
        });
        settledAt = performance.now();
        assert.equal(lines.length, LINES, 'every line was relayed');
        lines.forEach((line, index) => {
          if (line !== `[t:out] ${String(index).padStart(LINE_BYTES - 1, '0')}`) assert.fail(`line ${index} is ${JSON.stringify(line.slice(0, 80))}`);
        });
        await waitUntil(() => runningTagged(tag).length === 0, 'the leftover to be stopped', 2000);
        if (drainGraceMs >= 800) {
          // The pipe stayed open for the whole drain grace, yet wait() had resolved at the exit.
          assert.ok(settledAt - exitedAt >= drainGraceMs - 100, `wait() resolved ${(settledAt - exitedAt).toFixed(0)} ms before the run settled`);
        }
      } finally {
        killTagged(tag);
      }
    });
  }

  test('under a busy event loop, the last line a child wrote before exiting is never dropped (12 at once, 480 runs)', { timeout: 60_000 }, async () => {
    // Twelve supervisions at once keep the loop busy: a whole poll batch can take longer than the
    // drain grace, so the grace may pass before a new child's pipe was polled even once. Only the
    // leftover, stopped after a grace of 0-29 ms, holds the pipe; the line is in it, unread.
    const tag = randomUUID();
    let lost = 0;
    try {
      await openNursery(async (tn) => {
        for (let worker = 0; worker < 12; worker++) {
          tn.startSoon(async () => {
            for (let round = 0; round < 40; round++) {
              const lines: string[] = [];
              await superviseRunProcess(['sh', '-c', '(exec sleep 1000) & echo parent done'], {
                relayStdout: true,
                logger: { io: (line: string) => void lines.push(line) },
                label: 'l',
                drainGraceMs: Math.floor(Math.random() * 30),
                killGraceMs: 100,
                env: { ...process.env, SUBVISOR_TEST_TAG: tag },
              });
              if (lines.length !== 1) lost++;
            }
          });
        }
      });
      assert.equal(lost, 0, `${lost} of 480 runs lost the line their child wrote before exiting`);
      await waitUntil(() => runningTagged(tag).length === 0, 'every leftover to be stopped', 2000);
    } finally {
      killTagged(tag);
    }
  });
});
