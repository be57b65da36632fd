// A child that failed on its own, and a stop or cancellation that came only after that exit (in
// the same turn, or while a leftover held its pipes and the drain waited for them): the stop did
// not cause the exit, so the failure is reported, with its stderr, and `stopped` is not claimed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CalledProcessError, Cancelled, openNursery, runProcess, superviseRunProcess, type CompletedProcess, type Process } from '../../../src/index.js';
import { exitedUnseen } from '../../../src/process/stop/group.js';
import { killTagged, runningTagged, waitUntil } from './probes.js';

const BOUNDED = { timeout: 20_000 };
/** Far beyond the test's bound: only the cancellation can end the drain in time. */
const DRAIN_GRACE_MS = 60_000;

/**
 * Holds the event loop (as a busy parent does) until `pid` has exited: a zombie, its exit not yet
 * seen by Node, which reaps it only once the loop runs again.
 */
function blockUntilExited(pid: number): void {
  const deadline = Date.now() + 5000;
  const state = (): string | undefined => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
  while (state() !== 'Z') if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit within 5 s`);
}

/** The errors an `openNursery` rejection holds, by class name, and the CalledProcessError among them. */
function errorsOf(error: unknown): { names: string[]; failure: CalledProcessError | undefined } {
  const errors = error instanceof AggregateError ? (error.errors as unknown[]) : [error];
  return { names: errors.map((each) => (each as Error).constructor.name), failure: errors.find((each) => each instanceof CalledProcessError) };
}

describe('an exit of its own before the stop', () => {
  test('the body fails in the same turn as the child\'s failing exit: both are reported, the child\'s with its stderr', BOUNDED, async () => {
    const rejected = await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo "disk full" >&2; exit 2'], {}, ctx));
      await proc.wait();
      throw new Error('the body failed too');
    }).then(() => undefined, (error: unknown) => error);
    const { names, failure } = errorsOf(rejected);
    assert.deepEqual([...names].sort(), ['CalledProcessError', 'Error']);
    assert.equal(failure?.returncode, 2);
    assert.equal(failure.stderr?.toString(), 'disk full\n');
  });

  test('a cancellation while a leftover holds its pipes: the failure is reported, not swallowed, and the leftover is stopped', BOUNDED, async () => {
    const tag = randomUUID();
    try {
      const rejected = await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', 'echo "disk full" >&2; (exec sleep 30) & exit 2'], { drainGraceMs: DRAIN_GRACE_MS, killGraceMs: 300, env: { ...process.env, SUBVISOR_TEST_TAG: tag } }, ctx),
        );
        await proc.wait();
        await waitUntil(() => runningTagged(tag).length > 0, 'the leftover to be seen holding the pipes', 2000);
        tn.cancel(new Cancelled('cancelled during the drain'));
      }).then(() => undefined, (error: unknown) => error);
      const { names, failure } = errorsOf(rejected);
      assert.deepEqual(names, ['CalledProcessError']);
      assert.equal(failure?.returncode, 2);
      assert.equal(failure.stderr?.toString(), 'disk full\n');
      await waitUntil(() => runningTagged(tag).length === 0, 'the leftover to be gone', 2000);
    } finally {
      killTagged(tag);
    }
  });

  test('a child that exited 0 and is cancelled during the drain: the cancellation, as before', BOUNDED, async () => {
    const tag = randomUUID();
    try {
      let ended: CompletedProcess | 'cancelled' | undefined;
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', '(exec sleep 30) & exit 0'], { drainGraceMs: DRAIN_GRACE_MS, env: { ...process.env, SUBVISOR_TEST_TAG: tag } }, ctx).then(
            (completed) => void (ended = completed),
            (error: unknown) => {
              if (!(error instanceof Cancelled)) throw error;
              ended = 'cancelled';
            },
          ),
        );
        await proc.wait();
        await waitUntil(() => runningTagged(tag).length > 0, 'the leftover to be seen holding the pipes', 2000);
        tn.cancel();
      });
      assert.equal(ended, 'cancelled');
    } finally {
      killTagged(tag);
    }
  });

  test('Process.stop() right after wait(): the child\'s failure is reported; after a clean exit, stopped is false', BOUNDED, async () => {
    const rejected = await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo "disk full" >&2; exit 2'], {}, ctx));
      await proc.wait();
      await proc.stop();
    }).then(() => undefined, (error: unknown) => error);
    const { names, failure } = errorsOf(rejected);
    assert.deepEqual(names, ['CalledProcessError']);
    assert.equal(failure?.returncode, 2);
    assert.equal(failure.stderr?.toString(), 'disk full\n');

    let completed: CompletedProcess | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(['true'], {}, ctx);
      });
      await proc.wait();
      await proc.stop();
    });
    assert.equal(completed?.returncode, 0);
    assert.equal(completed.stopped, false, 'the stop came after the exit: it ended nothing');
  });

  test('a stop while the event loop has not yet seen the exit (the parent was busy): the exit is still the child\'s own', BOUNDED, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'echo "database corrupted" >&2; exit 3'], {
      onSpawn: (proc) => {
        blockUntilExited(proc.pid);
        void proc.stop();
      },
    }).then(
      (completed) => completed,
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof CalledProcessError, `a CalledProcessError, not ${String(error)}`);
    assert.equal(error.returncode, 3);
    assert.equal(error.stderr?.toString(), 'database corrupted\n');

    const rejected = await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo "migration failed" >&2; exit 4'], {}, ctx));
      blockUntilExited(proc.pid);
      throw new Error('unrelated');
    }).then(() => undefined, (rejection: unknown) => rejection);
    const { names, failure } = errorsOf(rejected);
    assert.deepEqual([...names].sort(), ['CalledProcessError', 'Error']);
    assert.equal(failure?.returncode, 4);
  });

  test('two children that fail in the same turn, reaped together: both failures are reported with their stderr, neither as the other\'s cancellation', BOUNDED, async () => {
    // libuv reaps every exited child in one pass, then runs their exit callbacks one by one, and
    // the first one's failure cancels the nursery from within its callback: the second is reaped
    // by then (no /proc entry at all), its exit not yet told.
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-reaped-together-'));
    try {
      const go = join(dir, 'go');
      // Each says why on stderr and closes its pipes (drained long before its exit), then waits.
      const failing = (why: string, status: number): string[] => ['sh', '-c', `echo up; echo "${why}" >&2; exec >&- 2>&-; while [ ! -e "$1" ]; do sleep 0.01; done; exit ${status}`, 'sh', go];
      const rejected = await openNursery(async (tn) => {
        const first = await tn.start<Process>((ctx) => superviseRunProcess(failing('disk full', 2), { readyWhen: /^up$/ }, ctx));
        const second = await tn.start<Process>((ctx) => superviseRunProcess(failing('migration failed', 3), { readyWhen: /^up$/ }, ctx));
        // Both exit while the event loop is held, so that it sees (and reaps) them in one turn.
        writeFileSync(go, '');
        blockUntilExited(first.pid);
        blockUntilExited(second.pid);
      }).then(() => undefined, (error: unknown) => error);
      assert.ok(rejected instanceof AggregateError, String(rejected));
      const reported = (rejected.errors as unknown[]).map((each) => (each instanceof CalledProcessError ? `${each.returncode} ${each.stderr?.toString().trim()}` : String(each)));
      assert.deepEqual(reported.sort(), ['2 disk full', '3 migration failed']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exitedUnseen: yes for a child that exited unseen (a zombie, or no process at all: reaped, its exit not yet told); no for a live one', BOUNDED, async () => {
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    const ended = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    try {
      assert.equal(exitedUnseen(live.pid ?? -1), false, 'running');
      blockUntilExited(ended.pid ?? -1);
      assert.equal(exitedUnseen(ended.pid ?? -1), true, 'a zombie');
      let nobody = 4_000_000;
      while (existsSync(`/proc/${nobody}`)) nobody -= 1;
      assert.equal(exitedUnseen(nobody), true, 'no process has the pid: reaped');
    } finally {
      live.kill('SIGKILL');
      for (const child of [live, ended]) if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  test('runProcess: a signal that aborts while a leftover holds the pipes of a failed child rejects with its failure', BOUNDED, async () => {
    const tag = randomUUID();
    try {
      const controller = new AbortController();
      const running = runProcess(['sh', '-c', 'echo "disk full" >&2; (exec sleep 30) & exit 3'], { captureStderr: true, signal: controller.signal, drainGraceMs: DRAIN_GRACE_MS, killGraceMs: 300, env: { ...process.env, SUBVISOR_TEST_TAG: tag } });
      // The shell gone, its leftover alone holding the pipes; then a moment for Node to see the exit.
      await waitUntil(() => runningTagged(tag).length === 1, 'the shell to have exited, its leftover running', 2000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort(new Cancelled('given up'));
      const error = await running.then(() => undefined, (rejection: unknown) => rejection);
      assert.ok(error instanceof CalledProcessError, String(error));
      assert.equal(error.returncode, 3);
      assert.equal(error.stderr?.toString(), 'disk full\n');
    } finally {
      killTagged(tag);
    }
  });
});
