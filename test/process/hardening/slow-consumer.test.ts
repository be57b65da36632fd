// A logger that blocks the event loop for a second while the child keeps writing: the child's
// writes must block (its end of the pipe is blocking; only the parent's end is non-blocking), not
// fail with EAGAIN, and nothing we do while we are slow may close the pipe under it (EPIPE). Every
// line arrives, in order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { CalledProcessError, superviseRunProcess } from '../../../src/index.js';

const LINES = 200_000; // `seq` writes about 1.3 MB: far beyond any pipe buffer

function blockFor(ms: number): void {
  // Atomics.wait really blocks the thread, as a synchronous logger writing to a stuck disk would.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A logger that stalls for a second on the first line and once more halfway through. */
function stallingLogger(): { io: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    io: (line) => {
      if (lines.length === 0 || lines.length === LINES / 2) blockFor(1000);
      lines.push(line);
    },
  };
}

function assertEveryLine(lines: string[]): void {
  assert.equal(lines.length, LINES, 'no line lost');
  lines.forEach((line, index) => {
    if (line !== `[seq:out] ${index + 1}`) assert.fail(`line ${index} is ${JSON.stringify(line)}`);
  });
}

const hasPerl = spawnSync('perl', ['-e', '1']).status === 0;

describe('slow consumers', () => {
  test('a logger blocking for a second loses no line, and the writer never sees EAGAIN or EPIPE', { timeout: 30_000 }, async () => {
    const logger = stallingLogger();
    // check (the default) turns a failed write (seq exits 1 on EAGAIN or EPIPE, saying so on
    // stderr) into a CalledProcessError with that stderr attached.
    await superviseRunProcess(['seq', '1', String(LINES)], { relayStdout: true, logger, label: 'seq' });
    assertEveryLine(logger.lines);
  });

  test('the same, when the child exits while we are still stalled and a leftover holds the pipe', { timeout: 30_000 }, async () => {
    const logger = stallingLogger();
    // The drain grace is shorter than the stall: the leftover is stopped while lines still wait
    // in the pipe, and they must still all be relayed.
    await superviseRunProcess(['sh', '-c', `(exec sleep 1000) & exec seq 1 ${LINES}`], { relayStdout: true, logger, label: 'seq', drainGraceMs: 100, killGraceMs: 300 });
    assertEveryLine(logger.lines);
  });

  test('control: a writer whose end of the pipe is made non-blocking does see EAGAIN when we stall', { timeout: 30_000 }, async (t) => {
    if (!hasPerl) {
      t.diagnostic('perl is not installed: this control cannot set O_NONBLOCK here');
      return;
    }
    const logger = stallingLogger();
    const nonBlocking = ['perl', '-MFcntl', '-e', 'fcntl(STDOUT, F_SETFL, fcntl(STDOUT, F_GETFL, 0) | O_NONBLOCK) or die; exec @ARGV', 'seq', '1', String(LINES)];
    const error = await superviseRunProcess(nonBlocking, { relayStdout: true, logger, label: 'seq' }).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError, 'the probe detects a writer that failed');
    assert.match(error.stderr?.toString() ?? '', /Resource temporarily unavailable|write error/);
  });
});
