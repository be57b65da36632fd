import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ExitedBeforeReadyError, OutputClosedBeforeReadyError, openNursery, superviseRunProcess, type Process } from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';

// A child that closes both of its output pipes and keeps running can never print its ready line:
// start() must say so and stop it, not wait for a line that cannot come (forever, without a
// readyTimeoutMs). Before the fix these tests hung until their own bound.

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-output-closed-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
checkNothingLeaksAroundEachTest();

test('a child that closes its stdout and stderr before its ready line, and keeps running, fails start() with OutputClosedBeforeReadyError and is stopped', { timeout: 20_000 }, async () => {
  const pidFile = join(scratch, 'closed.pid');
  const script = `echo $$ > ${pidFile}; echo booting; echo "warming up" >&2; exec >/dev/null 2>&1; exec sleep 60`;
  let pid: number | undefined;
  try {
    await openNursery(async (tn) => {
      const error = await tn
        .start<Process>((ctx) => superviseRunProcess(['sh', '-c', script], { label: 'web', readyWhen: /listening/, killGraceMs: 500 }, ctx))
        .catch((caught: unknown) => caught);
      pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(error instanceof OutputClosedBeforeReadyError, String(error));
      assert.equal(error.code, 'ERR_SUBVISOR_OUTPUT_CLOSED_BEFORE_READY');
      assert.equal(error.pid, pid);
      assert.deepEqual(error.cmd, ['sh', '-c', script]);
      assert.equal(error.readyWhen, '/listening/');
      assert.equal(error.stderr?.toString(), 'warming up\n');
      assert.match(error.message, /^web closed its stdout and stderr before any line matched \/listening\/, and kept running/);
      assert.match(error.message, /keep its output open/);
      assert.match(error.stack ?? '', /\|_\.stderr:\n {4}warming up/);
      assert.equal(isRunning(pid), false, 'the child was stopped before start() rejected');
    });
  } finally {
    killQuietly(pid);
  }
});

test('a child that prints a line and exits 3 before it is ready still fails start() with ExitedBeforeReadyError', { timeout: 20_000 }, async () => {
  await openNursery(async (tn) => {
    const error = await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; echo "port in use" >&2; exit 3'], { readyWhen: /listening/ }, ctx)).catch((caught: unknown) => caught);
    assert.ok(error instanceof ExitedBeforeReadyError, String(error));
    assert.equal(error.returncode, 3);
    assert.equal(error.stderr?.toString(), 'port in use\n');
  });
});

test('a child that closes its output and then exits 3 is judged by its exit, not as one with its output closed', { timeout: 20_000 }, async () => {
  await openNursery(async (tn) => {
    const error = await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; exec >/dev/null 2>&1; exit 3'], { readyWhen: /listening/ }, ctx)).catch((caught: unknown) => caught);
    assert.ok(error instanceof ExitedBeforeReadyError, String(error));
    assert.equal(error.returncode, 3);
  });
});

test('a child that closes only its stdout can still print its ready line on stderr: one pipe open is a line that may still come', { timeout: 20_000 }, async () => {
  const script = 'echo booting; exec >/dev/null; sleep 1; echo listening >&2; exec sleep 60';
  await openNursery(async (tn) => {
    const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', script], { readyWhen: /listening/, killGraceMs: 500 }, ctx));
    assert.equal(isRunning(proc.pid), true);
    tn.cancel();
  });
});

test('a cancellation during the grace after both pipes closed is what start() rejects with, also when the grace ends while the child is being stopped', { timeout: 20_000 }, async () => {
  const closedFile = join(scratch, 'cancelled.closed');
  // It ignores SIGTERM, so its stop (SIGKILL after 1.5 s) outlasts the grace.
  const script = `trap '' TERM; echo $$ > ${closedFile}.pid; exec >/dev/null 2>&1; : > ${closedFile}; exec sleep 60`;
  let pid: number | undefined;
  try {
    const controller = new AbortController();
    const givenUp = new Error('caller gave up');
    const error = await openNursery(async (tn) => {
      const started = tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', script], { readyWhen: /listening/, killGraceMs: 1500 }, ctx));
      await waitUntil(() => existsSync(closedFile), 'the child closed its output');
      pid = Number(readFileSync(`${closedFile}.pid`, 'utf8'));
      // Inside the 500 ms grace; 100 ms lets the parent read both ends first (on a loaded machine it
      // may not have, and the test then shows only that the cancellation wins).
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(givenUp);
      await started;
    }, { signal: controller.signal }).catch((caught: unknown) => caught);
    assert.equal(error, givenUp, String(error));
    assert.equal(isRunning(pid!), false, 'the child was stopped');
  } finally {
    killQuietly(pid);
  }
});
