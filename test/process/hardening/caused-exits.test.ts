// An exit we caused is not the child's failure: a child that exits non-zero because we sent it
// SIGTERM (here, one that traps it and exits 1, as many servers do) is never reported as a
// CalledProcessError. Whoever asked for the stop gets their own reason instead. (The parent's own
// death by a signal is covered with a real parent in parent-death.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CalledProcessError, Cancelled, OutputLimitError, TooSlowError, openNursery, runProcess, superviseRunProcess, type Process } from '../../../src/index.js';
import { waitUntil } from '../../support/processes.js';

/** Says it is ready once its trap is set, then exits 1 on SIGTERM. */
const EXITS_1_ON_TERM = ['sh', '-c', 'trap "exit 1" TERM; echo ready; while :; do sleep 0.05; done'];
const BOUNDED = { timeout: 20_000 };

describe('exits we caused are not failures', () => {
  test('control: the same child sent SIGTERM by the caller through its handle is a CalledProcessError with status 1', BOUNDED, async () => {
    const error = await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(EXITS_1_ON_TERM, { readyWhen: /ready/, killGraceMs: 300 }, ctx));
      proc.terminate(); // the caller's own doing through the handle, not a cancellation of ours
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof AggregateError);
    assert.ok(error.errors[0] instanceof CalledProcessError);
    assert.equal(error.errors[0].returncode, 1);
  });

  test('cancelling the nursery: the child exits 1 on our SIGTERM, and the nursery resolves', BOUNDED, async () => {
    let proc: Process | undefined;
    await openNursery(async (tn) => {
      proc = await tn.start<Process>((ctx) => superviseRunProcess(EXITS_1_ON_TERM, { readyWhen: /ready/, killGraceMs: 300 }, ctx));
      tn.cancel();
    });
    assert.equal(proc?.returncode, 1, 'it did exit 1');
  });

  test('an explicit signal: superviseRunProcess rejects with the abort reason, not a CalledProcessError', BOUNDED, async () => {
    const controller = new AbortController();
    const reason = new Cancelled('shutting down');
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) => superviseRunProcess(EXITS_1_ON_TERM, { readyWhen: /ready/, killGraceMs: 300, signal: controller.signal }, ctx));
      controller.abort(reason);
    }).then(
      () => assert.fail('the supervision must report the cancellation it was given'),
      (error: unknown) => {
        assert.ok(error instanceof AggregateError);
        assert.deepEqual(error.errors, [reason]);
      },
    );
  });

  test('runProcess aborted: rejects with the abort reason, not a CalledProcessError', BOUNDED, async () => {
    const controller = new AbortController();
    const reason = new Error('enough');
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-caused-'));
    const trapped = join(dir, 'trapped');
    try {
      // The child says when its trap is set (a file, since runProcess shows no lines before the
      // end), so the abort cannot come before it and be a plain SIGTERM death instead of exit 1.
      const running = runProcess(['sh', '-c', 'trap "exit 1" TERM; touch "$0"; while :; do sleep 0.05; done', trapped], { signal: controller.signal, killGraceMs: 300, captureStdout: true });
      await waitUntil(() => existsSync(trapped), 'the trap to be set');
      controller.abort(reason);
      await assert.rejects(running, (error) => error === reason);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runProcess aborted while its child floods its capture on the way out: rejects with the abort reason, not OutputLimitError', BOUNDED, async () => {
    // Output written because we stopped the child, into a capture the cancelled call will never
    // return, is no failure of anyone's: the limit guards memory, and the capture stops growing.
    // (A callback that throws during the stop is one: see callbacks.test.ts.)
    const controller = new AbortController();
    const reason = new Error('enough');
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-caused-'));
    const trapped = join(dir, 'trapped');
    try {
      const running = runProcess(['sh', '-c', 'trap "head -c 200000 /dev/zero; exit 0" TERM; touch "$0"; while :; do sleep 0.05; done', trapped], {
        signal: controller.signal,
        killGraceMs: 5000,
        captureStdout: true,
        maxCaptureBytes: 1000,
      });
      await waitUntil(() => existsSync(trapped), 'the trap to be set');
      controller.abort(reason);
      const error = await running.then(() => undefined, (caught: unknown) => caught);
      assert.equal(error, reason, `expected the abort reason, got ${String(error)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('control: the same flood without a cancellation is an OutputLimitError', BOUNDED, async () => {
    const error = await runProcess(['head', '-c', '200000', '/dev/zero'], { captureStdout: true, maxCaptureBytes: 1000 }).catch((caught: unknown) => caught);
    assert.ok(error instanceof OutputLimitError, String(error));
  });

  test('a readiness timeout: start() rejects with TooSlowError, not a CalledProcessError', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const error = await tn
        .start((ctx) => superviseRunProcess(['sh', '-c', 'trap "exit 1" TERM; while :; do sleep 0.05; done'], { readyWhen: /never/, readyTimeoutMs: 200, killGraceMs: 300 }, ctx))
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof TooSlowError);
    });
  });

  test('a capture over its limit: rejects with OutputLimitError, not a CalledProcessError', BOUNDED, async () => {
    const error = await runProcess(['sh', '-c', 'trap "exit 1" TERM; while :; do echo flood; done'], { captureStdout: true, maxCaptureBytes: 10_000, killGraceMs: 300 }).catch(
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof OutputLimitError);
  });
});
