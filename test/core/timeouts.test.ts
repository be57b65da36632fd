import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { settlesWithin, startTimer } from '../../src/core/timer.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cancelled, TooSlowError, failAfter, moveOnAfter, openNursery, runProcess, superviseRunProcess } from '../../src/index.js';

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('failAfter', () => {
  test('resolves with the result when the work is fast enough', async () => {
    assert.equal(await failAfter(1000, async () => 'fast'), 'fast');
  });

  test('rejects with TooSlowError when the deadline passes, having cancelled the work', async () => {
    let workSawCancel = false;
    const error = await failAfter(10, async (signal) => {
      try {
        await sleep(60_000, undefined, { signal });
      } finally {
        workSawCancel = signal.aborted;
      }
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof TooSlowError);
    assert.equal(error.timeoutMs, 10);
    assert.match(error.message, /timed out after 10 ms/);
    assert.equal(workSawCancel, true);
  });

  test('a TooSlowError made by hand, as trio\'s TooSlowError(), needs no deadline', () => {
    const error = new TooSlowError();
    assert.equal(error.code, 'ERR_SUBVISOR_TOO_SLOW');
    assert.equal(error.timeoutMs, undefined);
    assert.equal(error.message, 'timed out; raise the deadline or make the work faster');
  });

  test('work that finishes despite the deadline keeps its result (trio: nothing was cancelled)', async () => {
    const value = await failAfter(1, async () => {
      await sleep(15); // ignores the signal
      return 'stubborn';
    });
    assert.equal(value, 'stubborn');
  });

  test('the work\'s own errors pass through unchanged', async () => {
    const failure = new Error('own');
    await assert.rejects(failAfter(1000, () => Promise.reject(failure)), (error) => error === failure);
  });

  test('leaves no timer behind, whichever way it ends', async () => {
    const before = activeTimers();
    await failAfter(60_000, async () => 'fast');
    await failAfter(60_000, () => Promise.reject(new Error('x'))).catch(() => undefined);
    await failAfter(5, (signal) => sleep(60_000, undefined, { signal })).catch(() => undefined);
    assert.equal(activeTimers(), before);
    // Control: the probe counts a live timer.
    const timer = setTimeout(() => undefined, 1000);
    assert.equal(activeTimers(), before + 1);
    clearTimeout(timer);
  });

  test('links to an explicit signal only while it runs', async () => {
    const outer = new AbortController();
    let listenersWhileRunning = -1;
    await failAfter(1000, async () => {
      listenersWhileRunning = getEventListeners(outer.signal, 'abort').length;
    }, { signal: outer.signal });
    assert.equal(listenersWhileRunning, 1, 'control: the probe sees the live link');
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
  });

  test('many deadlines inside one long-lived nursery leave nothing attached to it', async () => {
    await openNursery(async (tn) => {
      for (let index = 0; index < 10_000; index++) await failAfter(60_000, async () => index);
      assert.equal(getEventListeners(tn.signal, 'abort').length, 0);
      // Control: a deadline that is still running is attached.
      await failAfter(60_000, async () => {
        assert.equal(getEventListeners(tn.signal, 'abort').length, 1);
      });
    });
  });
});

describe('moveOnAfter', () => {
  test('resolves with undefined when the deadline passes', async () => {
    const value = await moveOnAfter(10, async (signal) => {
      await sleep(60_000, undefined, { signal });
      return 'never';
    });
    assert.equal(value, undefined);
  });

  test('resolves with the result when fast enough', async () => {
    assert.equal(await moveOnAfter(1000, async () => 3), 3);
  });

  test('Infinity means no deadline', async () => {
    const before = activeTimers();
    const pending = moveOnAfter(Infinity, async () => {
      assert.equal(activeTimers(), before, 'no timer is armed for an infinite deadline');
      await sleep(1);
      return 'done';
    });
    assert.equal(await pending, 'done');
  });
});

// A budget computed as `deadline - Date.now()` reaches 0 once it is spent: then the work must not
// begin. trio's fail_after(0) is cancelled on entry; a 0 ms timer let a process spawn first (a
// deploy step run for a millisecond and killed), in about half the calls.
describe('a deadline of 0 has passed when the work starts', () => {
  test('failAfter(0) and moveOnAfter(0) spawn nothing, and say the deadline passed', { timeout: 20_000 }, async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'subvisor-deadline-0-'));
    try {
      for (let i = 0; i < 10; i++) {
        const file = join(scratch, `spawned-${i}`);
        await assert.rejects(failAfter(0, () => runProcess(['touch', file])), TooSlowError);
        assert.equal(await moveOnAfter(0, () => openNursery(async (tn) => tn.startSoon(() => runProcess(['touch', `${file}.nursery`])))), undefined);
        assert.equal(existsSync(file) || existsSync(`${file}.nursery`), false, `call ${i} spawned its command`);
      }
      // Control: a deadline of 1 ms is a timer, not yet fired when the work starts.
      assert.equal(await failAfter(1, async (signal) => signal.aborted), false);
      // As in trio, work that never checks its signal keeps its result.
      assert.equal(await failAfter(0, async (signal) => signal.aborted), true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('deadlines longer than one timer can hold (2^31 - 1 ms)', () => {
  test('a 3e9 ms deadline does not fire early, for failAfter or moveOnAfter', async () => {
    // Node cuts a longer setTimeout to 1 ms, so an unhandled one would fire well within 200 ms.
    const work = async (signal: AbortSignal): Promise<string> => {
      await sleep(200, undefined, { signal });
      return 'finished';
    };
    assert.equal(await failAfter(3e9, work), 'finished');
    assert.equal(await moveOnAfter(3e9, work), 'finished');
    // Control: the same work under a short deadline is cut short.
    assert.equal(await moveOnAfter(10, work), undefined);
  });

  test('a wait longer than one timer is a chain of timers that fires once the whole of it has passed', async () => {
    // The chain at a limit of 20 ms, since the real one is 24.8 days away.
    // Node may run a timer up to a millisecond early, so each link of the chain may lose one.
    const firedAfter = async (ms: number, limitMs: number): Promise<number> => {
      const begun = performance.now();
      let stop = (): void => undefined;
      const fired = new Promise<number>((resolve) => (stop = startTimer(ms, () => resolve(performance.now() - begun), limitMs)));
      const elapsed = await Promise.race([fired, sleep(2000).then(() => Infinity)]);
      stop();
      return elapsed;
    };
    const elapsed = await firedAfter(70, 20);
    assert.ok(elapsed >= 66 && elapsed < 2000, `fired after ${elapsed} ms of 70`);
    // Control: a wait within the limit is one timer, and fires on time too.
    const single = await firedAfter(15, 20);
    assert.ok(single >= 14 && single < 2000, `fired after ${single} ms of 15`);
    // Calling it off stops the chain wherever it is.
    let fired = false;
    const stop = startTimer(70, () => (fired = true), 20);
    await sleep(30);
    stop();
    await sleep(60);
    assert.equal(fired, false);
  });

  test('leaves no timer behind when the work ends before a long deadline', async () => {
    const before = activeTimers();
    assert.equal(await failAfter(3e9, async () => 'fast'), 'fast');
    assert.equal(activeTimers(), before);
  });
});

describe('nesting', () => {
  test('the outer deadline firing first is reported by the outer scope, not the inner one', async () => {
    let innerOutcome: unknown;
    const error = await failAfter(10, async () => {
      innerOutcome = await failAfter(60_000, (signal) => sleep(60_000, undefined, { signal })).catch((caught: unknown) => caught);
      throw innerOutcome;
    }).catch((caught: unknown) => caught);
    assert.ok(!(innerOutcome instanceof TooSlowError), 'the inner scope must not claim the outer deadline');
    assert.ok(error instanceof TooSlowError);
    assert.equal(error.timeoutMs, 10);
  });

  test('work the deadline\'s scope started and left running is still cancelled with the scope around it', { timeout: 20_000 }, async () => {
    const cleanup = new AbortController();
    const outer = new AbortController();
    const reason = new Cancelled('outer');
    try {
      let left: Promise<unknown> | undefined;
      await failAfter(60_000, async () => {
        // Started and not awaited: it runs on in the deadline's scope after failAfter returns.
        left = moveOnAfter(60_000, (signal) => sleep(60_000, undefined, { signal }), { signal: cleanup.signal }).catch((caught: unknown) => caught);
      }, { signal: outer.signal });
      outer.abort(reason);
      const outcome = await Promise.race([left, sleep(5000).then(() => 'still running')]);
      assert.equal(outcome, reason);
    } finally {
      cleanup.abort();
    }
  });

  test('the inner deadline firing first is the inner scope\'s TooSlowError', async () => {
    const outcome = await failAfter(60_000, async () => {
      const inner = await failAfter(5, (signal) => sleep(60_000, undefined, { signal })).catch((caught: unknown) => caught);
      return inner;
    });
    assert.ok(outcome instanceof TooSlowError);
    assert.equal(outcome.timeoutMs, 5);
  });

  test('a nursery inside a deadline is cancelled by it', async () => {
    let taskReason: unknown;
    const value = await moveOnAfter(10, () =>
      openNursery(async (tn) => {
        tn.startSoon(async ({ signal }) => {
          try {
            await sleep(60_000, undefined, { signal });
          } finally {
            taskReason = signal.reason;
          }
        });
      }),
    );
    assert.equal(value, undefined);
    assert.ok(taskReason instanceof Cancelled);
    assert.match(taskReason.message, /deadline of 10 ms/);
  });

  test('an explicit signal cancels the work too, and the call rejects with its reason, as openNursery does', async () => {
    for (const deadline of [failAfter, moveOnAfter]) {
      const reason = new Error('stop');
      await assert.rejects(deadline(60_000, (signal) => sleep(60_000, undefined, { signal }), { signal: AbortSignal.abort(reason) }), (error) => error === reason);
      const later = new AbortController();
      setTimeout(() => later.abort(reason), 20);
      await assert.rejects(deadline(60_000, (signal) => sleep(60_000, undefined, { signal }), { signal: later.signal }), (error) => error === reason, deadline.name);
      // A signal aborted without a reason: the DOMException Node gives it.
      const bare = new AbortController();
      setTimeout(() => bare.abort(), 20);
      await assert.rejects(deadline(60_000, (signal) => sleep(60_000, undefined, { signal }), { signal: bare.signal }), (error) => error === bare.signal.reason, deadline.name);
    }
  });

  test('an explicit signal that aborts after the deadline passed, while the work winds down, is what the call rejects with, not TooSlowError', { timeout: 10_000 }, async () => {
    for (const deadline of [failAfter, moveOnAfter]) {
      const stop = new AbortController();
      const reason = new Error('user pressed stop');
      // On the deadline's SIGTERM the child says so, then takes a moment to exit: the stop lands in between.
      const windsDown = ['sh', '-c', 'trap "echo winding down; sleep 0.2; exit 0" TERM; while :; do sleep 1; done'];
      const onLine = ({ line }: { line: string }): void => {
        if (line === 'winding down') stop.abort(reason);
      };
      await assert.rejects(deadline(100, () => superviseRunProcess(windsDown, { relayStdout: true, onLine }), { signal: stop.signal }), (error) => error === reason, deadline.name);
    }
  });
});

describe('bad input', () => {
  test('a negative, NaN or non-number deadline is a RangeError', async () => {
    for (const ms of [-1, Number.NaN, '5' as unknown as number]) {
      await assert.rejects(failAfter(ms, async () => undefined), RangeError);
      await assert.rejects(moveOnAfter(ms, async () => undefined), RangeError);
    }
  });

  test('a deadline given as a string is named as one, not shown as the number it reads like', async () => {
    for (const deadline of [failAfter, moveOnAfter]) {
      await assert.rejects(deadline('5' as unknown as number, async () => undefined), { name: 'RangeError', message: `${deadline.name}(ms): ms must be a number >= 0 (or Infinity), got the string "5"` });
    }
    // Control: a number out of range is shown as it is.
    await assert.rejects(failAfter(-1, async () => undefined), { message: 'failAfter(ms): ms must be a number >= 0 (or Infinity), got -1' });
  });

  test('a non-function is a TypeError', async () => {
    await assert.rejects(failAfter(1, 'x' as unknown as () => Promise<void>), /fn must be a function/);
  });
});

test('no leak warning from our own signals: a deadline around many scopes, a start() task from a nested scope starting many', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    // A deadline with no enclosing scope: its own signal is the scope, and 20 nurseries listen to it.
    await failAfter(5000, () => Promise.all(Array.from({ length: 20 }, () => openNursery(() => sleep(5)))));
    await moveOnAfter(5000, () => Promise.all(Array.from({ length: 20 }, () => openNursery(() => sleep(5)))));
    // start() from another scope: the task's own signal, with 20 nurseries in it before started().
    await openNursery(async (outer) => {
      await openNursery(async () => {
        await outer.start(async (ctx) => {
          await Promise.all(Array.from({ length: 20 }, () => openNursery(() => sleep(5))));
          ctx.started();
        });
      });
    });
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

describe('settlesWithin', () => {
  test('an interrupt that has aborted already answers false, even for a promise that settles later', async () => {
    assert.equal(await settlesWithin(sleep(200), Infinity, AbortSignal.abort()), false);
    // Control: without the interrupt the same wait sees the promise settle.
    assert.equal(await settlesWithin(sleep(200), Infinity), true);
  });

  test('leaves no listener on the interrupt, whichever way it ends', async () => {
    const interrupt = new AbortController();
    assert.equal(await settlesWithin(Promise.resolve(), 60_000, interrupt.signal), true);
    assert.equal(await settlesWithin(new Promise(() => undefined), 5, interrupt.signal), false);
    assert.equal(getEventListeners(interrupt.signal, 'abort').length, 0);
    // Control: a wait still under way listens.
    const waiting = settlesWithin(new Promise(() => undefined), 60_000, interrupt.signal);
    assert.equal(getEventListeners(interrupt.signal, 'abort').length, 1);
    interrupt.abort();
    assert.equal(await waiting, false);
  });
});
