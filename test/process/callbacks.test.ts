// The caller's callbacks (onSpawn, onLine, the logger, readyWhen) run inside the supervision: what
// they do wrong stops the child and fails the call, never the parent; what they start belongs to
// the scope they run in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, moveOnAfter, openNursery, superviseRunProcess, type Process } from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { isRunning, waitUntil } from '../support/processes.js';

const BOUNDED = { timeout: 20_000 };
checkNothingLeaksAroundEachTest();

/** Collects unhandled rejections while `fn` runs (and one turn after). */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

describe('async callbacks', () => {
  test('an async onSpawn that rejects fails the call and stops the child; no unhandled rejection', BOUNDED, async () => {
    let pid: number | undefined;
    const boom = new Error('could not record the pid');
    const unhandled = await unhandledDuring(async () => {
      await assert.rejects(
        superviseRunProcess(['sleep', '30'], {
          killGraceMs: 500,
          onSpawn: (async (proc: Process) => {
            pid = proc.pid;
            await Promise.resolve();
            throw boom;
          }) as unknown as (proc: Process) => void,
        }),
        (error) => error === boom,
      );
    });
    assert.deepEqual(unhandled, []);
    assert.ok(pid !== undefined && !isRunning(pid));
  });
});

describe('callbacks that throw during a cancellation', () => {
  test('an onLine that throws on a line the child writes while it is being stopped fails the call: its error is not lost behind the cancellation', BOUNDED, async () => {
    const boom = new Error('the sink failed on the goodbye line');
    let pid: number | undefined;
    let threw = false;
    const outcome = await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', "trap 'echo bye; exit 0' TERM; echo hi; while :; do sleep 0.05; done"], {
          relayStdout: true,
          readyWhen: /^hi$/, // the trap is set
          killGraceMs: 5000,
          onLine: ({ line }) => {
            if (line !== 'bye') return;
            threw = true;
            throw boom;
          },
        }, ctx),
      );
      pid = proc.pid;
      tn.cancel();
    }).catch((caught: unknown) => caught);
    assert.ok(threw, 'control: onLine threw on the line written during the stop');
    assert.ok(outcome instanceof Error && 'errors' in outcome, `the nursery must fail, got ${String(outcome)}`);
    assert.deepEqual(outcome.errors, [boom]);
    assert.ok(pid !== undefined && !isRunning(pid));
  });

  test('control: a cancellation during which no callback throws is only that cancellation', BOUNDED, async () => {
    const outcome = await openNursery(async (tn) => {
      await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', "trap 'echo bye; exit 0' TERM; echo hi; while :; do sleep 0.05; done"], { relayStdout: true, readyWhen: /^hi$/, killGraceMs: 5000, onLine: () => undefined }, ctx));
      tn.cancel();
      return 'cancelled';
    });
    assert.equal(outcome, 'cancelled');
  });
});

describe('work a callback starts', () => {
  test('a process started inside onLine belongs to the scope the callback runs in: it is cancelled with it', BOUNDED, async () => {
    let inner: Promise<unknown> | undefined;
    let innerPid: number | undefined;
    await openNursery(async (tn) => {
      tn.startSoon((ctx) =>
        superviseRunProcess(
          ['sh', '-c', 'echo go; exec sleep 30'],
          {
            relayStdout: true,
            killGraceMs: 500,
            onLine: () => {
              // Fire and forget, as a logger that ships lines through a helper process might.
              inner = superviseRunProcess(['sleep', '30'], { killGraceMs: 300, onSpawn: (proc) => void (innerPid = proc.pid) }).catch((error: unknown) => error);
            },
          },
          ctx,
        ),
      );
      await waitUntil(() => innerPid !== undefined, 'the callback to start its process');
      assert.ok(isRunning(innerPid as number), 'control: it runs while the scope does');
      tn.cancel();
    });
    // What holds (and the README says): it is stopped with the scope, but only the work a nursery
    // started is waited for; start such work with tn.startSoon to have it awaited.
    const outcome = await inner;
    assert.ok(outcome instanceof Cancelled, `cancelled with the scope, got ${String(outcome)}`);
    assert.equal(isRunning(innerPid as number), false);
  });

  for (const where of ['a task that tn.start() began from a nested scope, once it has ended', 'a nursery that has closed', 'a moveOnAfter scope that has ended']) {
    test(`work a callback started in ${where} is still cancelled with the enclosing nursery`, BOUNDED, async () => {
      let inner: Promise<unknown> | undefined;
      let innerPid: number | undefined;
      const supervise = (): Promise<unknown> =>
        superviseRunProcess(['sh', '-c', 'echo go'], {
          relayStdout: true,
          onLine: () => {
            inner = superviseRunProcess(['sleep', '30'], { killGraceMs: 300, onSpawn: (proc) => void (innerPid = proc.pid) }).catch((error: unknown) => error);
          },
        });
      await openNursery(async (outer) => {
        await openNursery(async (nested) => {
          // The task ends (its child said `go` and exited) while what its callback started runs on.
          if (where.startsWith('a task')) await outer.start(async (ctx) => ctx.started(await supervise()));
          else if (where.startsWith('a moveOnAfter')) await moveOnAfter(10_000, supervise);
          else nested.startSoon(supervise);
        });
        await waitUntil(() => innerPid !== undefined, 'the callback to start its process');
        assert.ok(isRunning(innerPid as number), 'control: it runs while the scope does');
        outer.cancel();
      });
      const timer = new AbortController();
      const outcome = await Promise.race([inner, sleep(3000, 'still running 3 s after the cancel', { signal: timer.signal })]);
      timer.abort();
      if (innerPid !== undefined && isRunning(innerPid)) process.kill(innerPid, 'SIGKILL');
      assert.ok(outcome instanceof Cancelled, `cancelled with the enclosing scope, got ${String(outcome)}`);
    });
  }
});
