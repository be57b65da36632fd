import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter, getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cancelled, ErrorGroup, NotStartedError, collapseErrorGroup, failAfter, moveOnAfter, openNursery, superviseRunProcess, type Nursery, type Process, type TaskContext } from '../../src/index.js';

/** Sleeps until the scope is cancelled; rethrows the cancellation as a cooperative task would. */
async function sleepForever(signal: AbortSignal): Promise<never> {
  await sleep(60_000, undefined, { signal });
  throw new Error('unreachable: sleepForever woke up without being cancelled');
}

/**
 * Runs `scenario` (an ES module importing from ./src/index.ts) in a child node, whose default mode
 * turns any unhandled rejection into exit 1 (node:test intercepts them itself): its stdout once it
 * exited 0. The scenario ends with the control, a deliberate unhandled rejection when CONTROL is set,
 * which must be seen, or the probe could not fail.
 */
function withoutUnhandledRejections(scenario: string): string {
  const run = (control: boolean) =>
    spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `${scenario}\nif (process.env.CONTROL) void Promise.reject(new Error('control'));`], {
      env: { ...process.env, CONTROL: control ? '1' : '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
  const clean = run(false);
  assert.equal(clean.status, 0, clean.stderr);
  const control = run(true);
  assert.equal(control.status, 1, 'the probe must see a deliberate unhandled rejection');
  assert.match(control.stderr, /control/);
  return clean.stdout;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('openNursery waits for its tasks', () => {
  test('never returns while a task still runs, on success', async () => {
    const log: string[] = [];
    const result = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await sleep(30);
        log.push('task done');
      });
      log.push('body done');
      return 42;
    });
    log.push('nursery done');
    assert.equal(result, 42);
    assert.deepEqual(log, ['body done', 'task done', 'nursery done']);
  });

  test('never returns while a task still runs, on error', async () => {
    const log: string[] = [];
    await assert.rejects(
      openNursery(async (tn) => {
        tn.startSoon(async ({ signal }) => {
          try {
            await sleepForever(signal);
          } finally {
            await sleep(30); // slow cleanup after cancellation must still be waited for
            log.push('slow task cleaned up');
          }
        });
        tn.startSoon(async () => {
          await sleep(5);
          throw new Error('boom');
        });
      }),
      ErrorGroup,
    );
    log.push('nursery done');
    assert.deepEqual(log, ['slow task cleaned up', 'nursery done']);
  });

  test('never returns while a task still runs, on cancellation', async () => {
    const log: string[] = [];
    await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        try {
          await sleepForever(signal);
        } finally {
          await sleep(30);
          log.push('task cleaned up');
        }
      });
      await sleep(5);
      tn.cancel();
    });
    log.push('nursery done');
    assert.deepEqual(log, ['task cleaned up', 'nursery done']);
  });

  test('tasks started by tasks are waited for too', async () => {
    let grandchildDone = false;
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await sleep(5);
        tn.startSoon(async () => {
          await sleep(20);
          grandchildDone = true;
        });
      });
    });
    assert.equal(grandchildDone, true);
  });

  test('startSoon runs tasks later, in the order they were started', async () => {
    const order: number[] = [];
    await openNursery(async (tn) => {
      for (let i = 0; i < 5; i++) {
        tn.startSoon(async () => {
          order.push(i);
        });
      }
      assert.deepEqual(order, [], 'no task may run inside startSoon itself');
    });
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test('runs 10 000 tasks', async () => {
    let finished = 0;
    await openNursery(async (tn) => {
      for (let i = 0; i < 10_000; i++) {
        tn.startSoon(async () => {
          await sleep(1);
          finished++;
        });
      }
    });
    assert.equal(finished, 10_000);
  });
});

describe('errors', () => {
  test('the first error cancels the other tasks', async () => {
    let siblingSawCancel: unknown;
    const failure = new Error('boom');
    const error = await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        try {
          await sleepForever(signal);
        } finally {
          siblingSawCancel = signal.reason;
        }
      });
      tn.startSoon(async () => {
        await sleep(5);
        throw failure;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(siblingSawCancel instanceof Cancelled, 'the sibling is cancelled with a Cancelled reason');
    assert.equal(siblingSawCancel.cause, failure);
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [failure], 'the sibling\'s cancellation is absorbed, not reported');
  });

  test('always a group, even of one', async () => {
    const failure = new TypeError('just one');
    const error = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        throw failure;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.ok(error instanceof AggregateError);
    assert.equal(error.errors.length, 1);
    assert.equal(error.errors[0], failure);
    assert.match(error.message, /TypeError: just one/);
  });

  test('anything thrown is kept, even a value without a string form: the group is made, not a TypeError of ours', async () => {
    const numberMessage = Object.assign(new Error('x'), { message: 42 });
    const throwingMessage = new Error('y');
    Object.defineProperty(throwingMessage, 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    const throwingToString = { toString: (): string => { throw new Error('nope'); } };
    const odd: unknown[] = [Object.create(null), numberMessage, throwingMessage, throwingToString, Symbol('s'), undefined];
    const error = await openNursery(async (tn) => {
      for (const value of odd) {
        tn.startSoon(async () => {
          throw value;
        });
      }
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup, String(error));
    assert.deepEqual(error.errors, odd);
    assert.equal(error.message, 'errors in nursery (6 sub-errors): (an object without a string form); Error: 42; (an object without a string form); (an object without a string form); Symbol(s); undefined');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const revoked = await openNursery(async () => Promise.reject(proxy as Error)).catch((caught: unknown) => caught);
    assert.ok(revoked instanceof ErrorGroup, String(revoked));
    assert.equal(await collapseErrorGroup(() => openNursery(async () => Promise.reject(Object.create(null) as Error))).catch((caught: unknown) => typeof caught), 'object');
  });

  test('every non-cancellation error is kept, in the order it happened', async () => {
    const first = new Error('first');
    const second = new Error('second, raised while being cancelled');
    const third = new Error('third, from the body');
    const error = await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        await sleepForever(signal).catch(() => undefined);
        await sleep(10);
        throw second;
      });
      tn.startSoon(async () => {
        await sleep(5);
        throw first;
      });
      await sleepForever(tn.signal).catch(() => undefined);
      throw third;
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [first, third, second]);
  });

  test('two tasks that throw one shared error object are two failures, as two that throw 42 are', async () => {
    // A module's singleton (`const SHUTTING_DOWN = new Error(...)`) thrown by two tasks: each failed.
    const shared = new Error('service shutting down');
    const error = await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        await sleepForever(signal).catch(() => undefined);
        throw shared;
      });
      tn.startSoon(async () => {
        await sleep(5);
        throw shared;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [shared, shared]);
  });

  test('a synchronous throw from a task is an error like any other', async () => {
    const failure = new Error('sync');
    const error = await openNursery(async (tn) => {
      tn.startSoon(() => {
        throw failure;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [failure]);
  });

  test('the nursery\'s own cancellation is absorbed whatever shape it takes', async () => {
    const result = await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        await sleep(60_000, undefined, { signal }); // AbortError whose cause is the reason
      });
      tn.startSoon(async ({ signal }) => {
        await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
      });
      tn.startSoon(async ({ signal }) => {
        await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Cancelled('mine'))));
      });
      await sleep(5);
      tn.cancel();
      return 'ok';
    });
    assert.equal(result, 'ok');
  });

  test('an AbortError from some other signal is a real error', async () => {
    const unrelated = AbortSignal.abort(new Error('unrelated'));
    const error = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await sleep(1, undefined, { signal: unrelated });
      });
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.equal((error.errors[0] as Error).name, 'AbortError');
  });

  test('a cancel reason given to cancel() is absorbed too', async () => {
    const reason = new Error('shutting down');
    await openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        await sleepForever(signal);
      });
      await sleep(1);
      tn.cancel(reason);
      assert.equal(tn.signal.reason, reason);
    });
  });

  test('no unhandled rejections escape a failing nursery', async () => {
    // node:test intercepts unhandled rejections itself, so the scenario runs in a child node whose
    // default mode turns any unhandled rejection into exit code 1.
    const scenario = `
      import { openNursery } from './src/index.ts';
      await openNursery(async (tn) => {
        tn.startSoon(async () => { throw new Error('task'); });
        void tn.start(async () => { throw new Error('before started'); }).catch(() => undefined);
        tn.startSoon(async ({ signal }) => { await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))); });
        throw new Error('body');
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
    `;
    withoutUnhandledRejections(scenario);
  });
});

describe('start()', () => {
  test('resolves with the started() value while the task keeps running', async () => {
    const log: string[] = [];
    await openNursery(async (tn) => {
      const value = await tn.start<string>(async ({ started }) => {
        started('up');
        await sleep(20);
        log.push('task finished');
      });
      log.push(`started with ${value}`);
    });
    assert.deepEqual(log, ['started with up', 'task finished']);
  });

  test('an error before started() rejects start() bare and leaves the nursery alive', async () => {
    const failure = new Error('could not start');
    let siblingFinished = false;
    const result = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await sleep(20);
        siblingFinished = true;
      });
      const error = await tn.start(async () => {
        await sleep(1);
        throw failure;
      }).catch((caught: unknown) => caught);
      assert.equal(error, failure, 'the same error object, not a group');
      assert.equal(tn.signal.aborted, false);
      return 'survived';
    });
    assert.equal(result, 'survived');
    assert.equal(siblingFinished, true);
  });

  test('an error after started() fails the nursery', async () => {
    const failure = new Error('crashed after start');
    const error = await openNursery(async (tn) => {
      await tn.start(async ({ started }) => {
        started();
        await sleep(1);
        throw failure;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [failure]);
  });

  test('returning without started() is a clear error', async () => {
    await openNursery(async (tn) => {
      await assert.rejects(
        tn.start(async function quitter() {
          await sleep(1);
        }),
        (error: unknown) => error instanceof NotStartedError && error.task === 'quitter' && /^quitter returned without calling started\(\)/.test(error.message),
      );
      // What it returned is kept, and its kind named (never its contents).
      class Report {
        readonly secret = 'not shown';
      }
      const report = new Report();
      const error = await tn.start(() => Promise.resolve(report), 'reporter').catch((caught: unknown) => caught);
      assert.ok(error instanceof NotStartedError);
      assert.equal(error.returned, report);
      assert.match(error.message, /^reporter returned \(with a Report\) without calling started\(\)/);
      assert.doesNotMatch(error.message, /not shown/);
    });
  });

  test('a start() cut short by the nursery\'s cancellation is no unhandled rejection when the body failed before awaiting it', { timeout: 30_000 }, () => {
    // The natural way to bring up two services: start both, then await each. The first fails before
    // it is ready, so the body throws at its await and never reaches the second's, which the
    // nursery's cancellation then rejects. (A child node, as above: node:test catches rejections.)
    const scenario = `
      import { openNursery, superviseRunProcess } from './src/index.ts';
      const outcome = await openNursery(async (tn) => {
        const db = tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo "no config" >&2; exit 1'], { readyWhen: /ready/ }, ctx));
        const web = tn.start((ctx) => superviseRunProcess(['sh', '-c', 'sleep 5; echo ready'], { readyWhen: /ready/ }, ctx));
        await db;
        await web;
      }).catch((error) => error);
      console.log(outcome.errors.map((error) => error.name).join());
      await new Promise((resolve) => setTimeout(resolve, 20));
    `;
    assert.equal(withoutUnhandledRejections(scenario).trim(), 'ExitedBeforeReadyError', 'the failure is reported once, by the nursery');
  });

  test('a start() whose task gives up when cancelled, returning before started(), is no unhandled rejection either when nobody awaits it', { timeout: 30_000 }, () => {
    // The cooperative way to be cancelled while coming up: stop waiting and return. Its start()
    // rejects with NotStartedError; the body, which failed first, never awaits it.
    const scenario = `
      import { openNursery } from './src/index.ts';
      const outcome = await openNursery(async (tn) => {
        const db = tn.start(async () => { throw new Error('no config'); });
        const web = tn.start(async ({ signal, started }) => {
          const up = await new Promise((resolve) => signal.addEventListener('abort', () => resolve(false)));
          if (up) started();
        });
        await db;
        await web;
      }).catch((error) => error);
      console.log(outcome.errors.map((error) => error.message).join());
      await new Promise((resolve) => setTimeout(resolve, 20));
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', scenario], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'no config', 'the failure is reported once, by the nursery');
  });

  test('a task that calls started() once its caller was cancelled hands nothing up: start() ends with that cancellation, as trio\'s', async () => {
    // trio's started(): "if the old nursery is cancelled, then quietly quit now". Before, the value
    // reached a caller whose deadline had passed, and the task, still cancelled, failed its nursery
    // with a cancellation that was not the nursery's.
    let startedAt: 'called' | undefined;
    const outcome = await openNursery(async (tn) => {
      const value = await moveOnAfter(20, () =>
        tn.start<string>(async ({ started, signal }) => {
          await sleep(80); // setup that does not listen for the cancellation
          started('up');
          startedAt = 'called';
          await sleepForever(signal);
        }),
      );
      return { value, nurseryCancelled: tn.signal.aborted };
    });
    assert.equal(startedAt, 'called', 'control: the task did call started()');
    assert.deepEqual(outcome, { value: undefined, nurseryCancelled: false });
  });

  test('a started() that comes once the nursery whose body called start() was cancelled hands nothing up either: that body\'s scope is the nursery\'s', async () => {
    // The same task, awaited by the body itself rather than under a deadline: the caller's scope is
    // then the nursery's, and a sibling's failure cancels it as a deadline would.
    let startedAt: 'called' | undefined;
    let seenByBody: unknown;
    const outcome = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      seenByBody = await tn
        .start<string>(async ({ started }) => {
          await sleep(50); // setup that does not listen for the cancellation
          started('up');
          startedAt = 'called';
        })
        .catch((caught: unknown) => caught);
    }).catch((caught: unknown) => caught);
    assert.equal(startedAt, 'called', 'control: the task did call started()');
    assert.ok(seenByBody instanceof Cancelled, `start() must end with the nursery's cancellation, got ${String(seenByBody)}`);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error as Error).message), ['db failed']);
  });

  test('a start() called from outside any scope gets the value of a started() that comes after the nursery was cancelled: its caller was not, as in trio', async () => {
    // trio's started() quits quietly only when the *caller's* scope is cancelled; the nursery's own
    // cancellation then reaches the task where it is moved. A caller with no scope at all (code
    // handed the nursery, running outside it) has nothing to absorb a Cancelled with.
    let nursery: Nursery | undefined;
    let release = (): void => undefined;
    const running = openNursery(async (tn) => {
      nursery = tn;
      await new Promise<void>((resolve) => (release = resolve));
    });
    await Promise.resolve();
    assert.ok(nursery !== undefined, 'control: the body has run');
    let go = (): void => undefined;
    const setUp = new Promise<void>((resolve) => (go = resolve));
    // Called from this test's own context: no scope of ours is current here.
    const starting = nursery.start<string>(async ({ started }) => {
      await setUp;
      started('up');
    });
    nursery.cancel();
    go();
    const value = await starting.catch((caught: unknown) => caught);
    release();
    await running;
    assert.equal(value, 'up');
  });

  test('a start() whose task fails on its own while its nursery is already failing is no unhandled rejection: its error joins the group', { timeout: 30_000 }, () => {
    // The same two starts, but the second fails on its own as the cancellation reaches it (its
    // shutdown fails, or its child exited in that instant): not the cancellation, and the body that
    // would have awaited it threw at the first await. Before, that error killed the process after
    // the nursery had already rejected, through the try/catch its caller put around it.
    const scenario = `
      import { openNursery } from './src/index.ts';
      const outcome = await openNursery(async (tn) => {
        const db = tn.start(async () => { throw new Error('no config'); });
        const web = tn.start(async ({ signal }) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw new Error('web shutdown failed');
        });
        await db;
        await web;
      }).catch((error) => error);
      console.log(outcome.errors.map((error) => error.message).join());
      await new Promise((resolve) => setTimeout(resolve, 20));
    `;
    assert.equal(withoutUnhandledRejections(scenario).trim(), 'no config,web shutdown failed', 'each failure in the order it happened');
  });

  test('a start() that fails on its own while its nursery is failing still rejects for a caller that awaits it, and is reported once', async () => {
    const shutdown = new Error('web shutdown failed');
    let seenByCaller: unknown;
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        throw shutdown;
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      seenByCaller = await web.catch((caught: unknown) => caught);
      throw seenByCaller;
    }).catch((caught: unknown) => caught);
    assert.equal(seenByCaller, shutdown);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error as Error).message), ['db failed', 'web shutdown failed']);
  });

  test('a start() failing on its own while its nursery fails is one failure though two awaiters of it rethrow it', async () => {
    const shutdown = new Error('web shutdown failed');
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        throw shutdown;
      });
      tn.startSoon(async () => {
        throw await web.catch((caught: unknown) => caught);
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      throw await web.catch((caught: unknown) => caught);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error as Error).message), ['db failed', 'web shutdown failed']);
  });

  test('a start() that throws 42 while its nursery is failing is reported once when its awaiter rethrows it, as an Error is', async () => {
    // A primitive has no identity to mark: before, the rethrow was taken for a second failure.
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        throw 42;
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      throw await web.catch((caught: unknown) => caught);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error instanceof Error ? error.message : error)), ['db failed', 42]);
  });

  test('a 42 that a failing nursery\'s start() joined with and its awaiter rethrew is one failure; a sibling\'s own throw 42 after it is another', async () => {
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        throw 42;
      });
      tn.startSoon(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        await sleep(20); // after the rethrow below
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        throw 42;
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      throw await web.catch((caught: unknown) => caught);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error instanceof Error ? error.message : error)), ['db failed', 42, 42]);
  });

  test('two start()s that each throw 42 while their nursery fails, each rethrown by its awaiter, are two failures, as two Errors are', async () => {
    const outcome = await openNursery(async (tn) => {
      const failingOnAbort = (): Promise<unknown> =>
        tn.start(async ({ signal }) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
          throw 42;
        });
      const [web, api] = [failingOnAbort(), failingOnAbort()];
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      const [webError, apiError] = [await web.catch((caught: unknown) => caught), await api.catch((caught: unknown) => caught)];
      tn.startSoon(async () => {
        throw apiError;
      });
      throw webError;
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    // Before: ['db failed', 42, 42, 42]: the first rethrow spent the one mark both joins had set.
    assert.deepEqual(outcome.errors.map((error) => (error instanceof Error ? error.message : error)), ['db failed', 42, 42]);
  });

  test('a sibling\'s throw 42 and then a failing nursery\'s start() throwing 42 of its own are two failures', async () => {
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        throw 42;
      });
      tn.startSoon(async () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a task may throw anything
        throw 42;
      });
      await web.catch(() => undefined);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors, [42, 42]);
  });

  test('two starts awaited through Promise.all: the second\'s own error, coming once the first\'s has rejected the all, is in the group, not absorbed by the settled all', async () => {
    const outcome = await openNursery(async (tn) => {
      const db = tn.start(async () => {
        throw new Error('db failed');
      });
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        throw new Error('web shutdown failed');
      });
      await Promise.all([db, web]);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.deepEqual(outcome.errors.map((error) => (error as Error).message), ['db failed', 'web shutdown failed']);
  });

  test('an error a start() task joined its failing nursery with is one failure in that nursery only: a later nursery whose two tasks throw it has two', async () => {
    // A module's singleton, as in 'two tasks that throw one shared error object are two failures':
    // joining one nursery's group must not make it one failure everywhere for the rest of the process.
    const quota = new Error('quota exceeded');
    await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        throw quota;
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      await web.catch(() => undefined);
    }).catch((caught: unknown) => caught);
    const later = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        throw quota;
      });
      tn.startSoon(async () => {
        throw quota;
      });
    }).catch((caught: unknown) => caught);
    assert.ok(later instanceof ErrorGroup);
    assert.deepEqual(later.errors, [quota, quota]);
  });

  test('a start() failing with a nested nursery\'s group while its nursery is failing is reported once when its awaiter rethrows the group', async () => {
    const outcome = await openNursery(async (tn) => {
      const web = tn.start(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        await openNursery(async () => {
          throw new Error('web shutdown failed');
        });
      });
      tn.startSoon(async () => {
        throw new Error('db failed');
      });
      throw await web.catch((caught: unknown) => caught);
    }).catch((caught: unknown) => caught);
    assert.ok(outcome instanceof ErrorGroup);
    assert.equal(outcome.errors.length, 2, outcome.message);
  });

  test('a start() that fails on its own while its nursery runs is its caller\'s alone: the nursery is unaffected', async () => {
    const outcome = await openNursery(async (tn) => {
      const error = await tn.start(async () => {
        throw new Error('own');
      }).catch((caught: unknown) => caught);
      return (error as Error).message;
    });
    assert.equal(outcome, 'own');
  });

  test('an awaited start() whose task gives up when cancelled is that cancellation, not a failure of its own', async () => {
    // The cooperative way to be cancelled while coming up: stop waiting and return, as a task
    // written like openNursery's own example does. Its start() rejects with NotStartedError, and
    // the scope it reaches takes it for the cancellation that cut it short.
    const givesUp = async ({ signal, started }: TaskContext): Promise<void> => {
      const up = await new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false)));
      if (up) started();
    };
    const ctrlC = new Error('ctrl-c');
    const outside = new AbortController();
    setTimeout(() => outside.abort(ctrlC), 10);
    const fromOutside = await openNursery(async (tn) => {
      await tn.start(givesUp);
    }, { signal: outside.signal }).catch((error: unknown) => error);
    assert.equal(fromOutside, ctrlC, "the outside signal's reason, not a group of NotStartedError");

    const failed = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await sleep(10);
        throw new Error('no config');
      });
      await tn.start(givesUp);
    }).catch((error: unknown) => error);
    assert.ok(failed instanceof ErrorGroup);
    assert.deepEqual(failed.errors.map((error) => (error as Error).message), ['no config'], 'the failure is reported once, alone');

    const slow = await failAfter(10, () => openNursery((tn) => tn.start(givesUp))).catch((error: unknown) => error);
    assert.equal((slow as Error).name, 'TooSlowError');

    let seen: unknown;
    await openNursery(async (tn) => {
      const web = tn.start(givesUp);
      setTimeout(() => tn.cancel(), 5);
      seen = await web.catch((error: unknown) => error);
    });
    assert.ok(seen instanceof NotStartedError, 'start() itself still says the task returned without started()');
  });

  test('calling started() twice throws', async () => {
    let secondCall: unknown;
    await openNursery(async (tn) => {
      await tn.start<number>(async ({ started }) => {
        started(1);
        try {
          started(2);
        } catch (error) {
          secondCall = error;
        }
      });
    });
    assert.ok(secondCall instanceof Error);
    assert.match(secondCall.message, /called twice/);
    assert.equal((secondCall as NodeJS.ErrnoException).code, 'ERR_INVALID_STATE');
  });

  test('startSoon tasks get a started() that does nothing', async () => {
    await openNursery(async (tn) => {
      tn.startSoon(async (ctx: TaskContext) => {
        ctx.started();
        ctx.started(); // twice is fine: nobody is waiting
      });
    });
  });

  test('before started(), the task is cancelled with the scope that called start()', async () => {
    let taskSawCancel = false;
    await openNursery(async (outer) => {
      await openNursery(async (inner) => {
        inner.startSoon(async () => {
          await sleep(5);
          inner.cancel();
        });
        // The caller (inner's body) is cancelled while waiting: the half-started task in `outer` goes with it.
        await outer.start(async ({ signal }) => {
          try {
            await sleepForever(signal);
          } finally {
            taskSawCancel = signal.aborted;
          }
        });
      });
      assert.equal(outer.signal.aborted, false, 'the outer nursery itself is not cancelled');
    });
    assert.equal(taskSawCancel, true);
  });

  test('after started(), cancelling the caller no longer touches the task', async () => {
    let taskCancelled: boolean | undefined;
    await openNursery(async (outer) => {
      await openNursery(async (inner) => {
        await outer.start(async ({ started, signal }) => {
          started();
          await sleep(20);
          taskCancelled = signal.aborted;
        });
        inner.cancel();
      });
    });
    assert.equal(taskCancelled, false);
  });

  test('start() on a closed nursery rejects and startSoon() throws', async () => {
    let saved: { start: (task: () => Promise<void>) => Promise<unknown>; startSoon: (task: () => Promise<void>) => void } | undefined;
    await openNursery(async (tn) => {
      saved = { start: (task) => tn.start(task), startSoon: (task) => tn.startSoon(task) };
    });
    assert.ok(saved);
    await assert.rejects(saved.start(async () => undefined), { message: /closed to new tasks/, code: 'ERR_INVALID_STATE' });
    assert.throws(() => saved?.startSoon(async () => undefined), { message: /closed to new tasks/, code: 'ERR_INVALID_STATE' });
  });
});

describe('cancellation reaches nested work', () => {
  test('work a task starts from its own timer, microtask or emit is cancelled with it; from a timer made outside it, not (README)', async () => {
    // Each outcome: the task's Cancelled when the scope reached the work, `undefined` when the work's own 300 ms ran out.
    const outcomes = new Map<string, Promise<unknown>>();
    const startWork = (name: string): void => {
      outcomes.set(name, moveOnAfter(300, (signal) => sleep(60_000, undefined, { signal })).catch((error: unknown) => error));
    };
    const outside = new EventEmitter();
    outside.on('go', () => startWork('emit'));
    let fromOutsideTimer = false;
    const outsideTimer = setInterval(() => {
      if (!fromOutsideTimer) return;
      fromOutsideTimer = false;
      startWork('outsideTimer');
    }, 5);
    try {
      await openNursery(async (tn) => {
        tn.startSoon(async () => {
          setTimeout(() => startWork('timeout'), 0);
          queueMicrotask(() => startWork('microtask'));
          outside.emit('go');
          fromOutsideTimer = true;
          await sleep(60_000, undefined, { signal: tn.signal }).catch(() => undefined);
        });
        await sleep(50);
        tn.cancel();
      });
      const settled = new Map<string, unknown>();
      for (const [name, outcome] of outcomes) settled.set(name, await outcome);
      assert.deepEqual([...settled.keys()].sort(), ['emit', 'microtask', 'outsideTimer', 'timeout']);
      for (const name of ['emit', 'microtask', 'timeout']) assert.ok(settled.get(name) instanceof Cancelled, `${name}: ${String(settled.get(name))}`);
      assert.equal(settled.get('outsideTimer'), undefined, 'a timer made outside the task runs in the outside context');
    } finally {
      clearInterval(outsideTimer);
    }
  });

  test('a nested nursery is cancelled with its parent without passing signals', async () => {
    let innerCancelled = false;
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await openNursery(async (inner) => {
          inner.startSoon(async () => {
            try {
              await sleepForever(inner.signal);
            } finally {
              innerCancelled = true;
            }
          });
        });
      });
      await sleep(5);
      tn.cancel();
    });
    assert.equal(innerCancelled, true);
  });

  test('work a settled nested nursery started and left running is still cancelled with the nursery around it', { timeout: 20_000 }, async () => {
    const cleanup = new AbortController();
    let outcome: unknown;
    let reason: unknown;
    try {
      await openNursery(async (tn) => {
        let left: Promise<unknown> | undefined;
        await openNursery(async () => {
          // Started and not awaited: it runs on in the inner nursery's scope after that has closed.
          left = moveOnAfter(60_000, (signal) => sleep(60_000, undefined, { signal }), { signal: cleanup.signal }).catch((caught: unknown) => caught);
        });
        tn.cancel();
        reason = tn.signal.reason;
        outcome = await Promise.race([left, sleep(5000).then(() => 'still running')]);
      });
    } finally {
      cleanup.abort();
    }
    assert.ok(reason instanceof Cancelled);
    assert.equal(outcome, reason);
  });

  test('a nested nursery cancelled from outside rejects with the outer reason, which the outer absorbs', async () => {
    let innerOutcome: unknown;
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        try {
          await openNursery(async (inner) => {
            inner.startSoon(({ signal }) => sleepForever(signal));
          });
        } catch (error) {
          innerOutcome = error;
          throw error;
        }
      });
      await sleep(5);
      tn.cancel();
    });
    assert.ok(innerOutcome instanceof Cancelled);
  });

  test('failAfter inside a task is cancelled by the nursery, not timed out', async () => {
    let seen: unknown;
    let reason: unknown;
    await openNursery(async (tn) => {
      tn.startSoon(async () => {
        seen = await failAfter(60_000, (signal) => sleepForever(signal)).catch((error: unknown) => error);
        throw seen;
      });
      await sleep(5);
      tn.cancel();
      reason = tn.signal.reason;
    });
    // Not the sleep's AbortError: the nursery's own reason, as runProcess and a nested nursery say it.
    assert.ok(reason instanceof Cancelled);
    assert.equal(seen, reason);
  });

  test('an explicit signal combines with the implicit scope', async () => {
    const explicit = new AbortController();
    const reason = new Error('explicit');
    const error = await openNursery(async (tn) => {
      tn.startSoon(async () => {
        await openNursery(async (inner) => {
          inner.startSoon(({ signal }) => sleepForever(signal));
          explicit.abort(reason);
        }, { signal: explicit.signal });
      });
    }).catch((caught: unknown) => caught);
    // The inner nursery rejects with the explicit reason; the outer did not cancel it, so it is a real error.
    assert.ok(error instanceof ErrorGroup);
    assert.deepEqual(error.errors, [reason]);
  });

  test('an outer signal that aborts cancels the nursery, which rejects with its reason after every task settled', async () => {
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    let taskSettled = false;
    const outcome = openNursery(async (tn) => {
      tn.startSoon(async ({ signal }) => {
        try {
          await sleepForever(signal);
        } finally {
          await sleep(10);
          taskSettled = true;
        }
      });
    }, { signal: controller.signal });
    await sleep(5);
    controller.abort(reason);
    await assert.rejects(outcome, (error) => error === reason);
    assert.equal(taskSettled, true);
  });

  // A child that takes its time to go: on SIGTERM it says so, then exits 0 a moment later. The
  // moment it says so, the nursery that cancelled it is winding down.
  const WINDS_DOWN = ['sh', '-c', 'trap "echo winding down; sleep 0.2; exit 0" TERM; echo up; while :; do sleep 1; done'];
  const windsDown = (ctx: TaskContext<Process>, onWindingDown: () => void): Promise<unknown> =>
    superviseRunProcess(WINDS_DOWN, { relayStdout: true, readyWhen: /^up$/, onLine: ({ line }) => line === 'winding down' && onWindingDown() }, ctx);

  test('an outer signal that aborts while the nursery winds down after its own cancel() still makes it reject with its reason', { timeout: 10_000 }, async () => {
    const controller = new AbortController();
    const reason = new Error('user pressed stop');
    const outcome = openNursery(async (tn) => {
      await tn.start<Process>((ctx) => windsDown(ctx, () => controller.abort(reason)));
      tn.cancel();
      return 'finished as if nobody pressed stop';
    }, { signal: controller.signal });
    await assert.rejects(outcome, (error) => error === reason);
  });

  test('an enclosing scope cancelled while a nested nursery winds down after its own cancel(): the nested one rejects with its reason, so the code after it does not run on', { timeout: 10_000 }, async () => {
    let ranOn = false;
    let innerOutcome: unknown;
    await openNursery(async (outer) => {
      outer.startSoon(async () => {
        innerOutcome = await openNursery(async (inner) => {
          await inner.start<Process>((ctx) => windsDown(ctx, () => outer.cancel()));
          inner.cancel();
        }).catch((error: unknown) => error);
        if (innerOutcome instanceof Error) throw innerOutcome;
        ranOn = true;
      });
    });
    assert.ok(innerOutcome instanceof Cancelled);
    assert.equal(ranOn, false);
  });

  test('an already aborted outer signal still runs the body, cancelled from the start', async () => {
    const reason = new Error('too late');
    let bodyRan = false;
    await assert.rejects(
      openNursery(async (tn) => {
        bodyRan = true;
        assert.equal(tn.signal.aborted, true);
      }, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(bodyRan, true);
  });
});

describe('nothing leaks', () => {
  test('no timers or listeners are left behind after success, failure and cancellation', async () => {
    const outer = new AbortController();
    const timersBefore = activeTimers();
    for (const ending of ['success', 'failure', 'cancel'] as const) {
      await openNursery(async (tn) => {
        tn.startSoon(({ signal }) => sleepForever(signal).catch(() => undefined));
        tn.startSoon(async () => {
          await sleep(1);
        });
        await tn.start(async ({ started, signal }) => {
          started();
          await sleepForever(signal).catch(() => undefined);
        });
        await sleep(2);
        if (ending === 'failure') throw new Error('failed');
        tn.cancel();
      }, { signal: outer.signal }).catch((error: unknown) => {
        if (ending !== 'failure') throw error;
      });
    }
    assert.equal(activeTimers(), timersBefore, 'timers left behind');
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0, 'listeners left on the outer signal');
    // Control: the probe does see a listener when one is attached.
    const probe = (): void => undefined;
    outer.signal.addEventListener('abort', probe);
    assert.equal(getEventListeners(outer.signal, 'abort').length, 1);
    outer.signal.removeEventListener('abort', probe);
  });

  test('start() across scopes removes its listeners once settled', async () => {
    await openNursery(async (outer) => {
      await openNursery(async (inner) => {
        await outer.start(async ({ started }) => {
          started();
        });
        await sleep(1);
        assert.equal(getEventListeners(inner.signal, 'abort').length, 0, 'the settled task left nothing on its caller');
        // The one listener left on outer is the open inner nursery's own link to it.
        assert.equal(getEventListeners(outer.signal, 'abort').length, 1);
      });
      assert.equal(getEventListeners(outer.signal, 'abort').length, 0, 'a settled nursery is unlinked');
    });
  });

  test("a listener of the caller's own left on a settled nursery's or task's signal keeps nothing linked: a loop leaves nothing on the scope around it", async () => {
    await openNursery(async (outer) => {
      for (let round = 0; round < 20; round++) {
        await openNursery(async (inner) => {
          inner.signal.addEventListener('abort', () => undefined); // never removed
          await outer.start(async ({ started, signal }) => {
            signal.addEventListener('abort', () => undefined);
            started();
          });
        });
      }
      assert.equal(getEventListeners(outer.signal, 'abort').length, 0, 'links left on the outer signal');
    });
  });
});

describe('deep nesting', () => {
  test('a body starts at once, up to its first await, even 50 nested bodies deep', async () => {
    let innermostRan = false;
    const nest = (left: number): Promise<void> =>
      openNursery(async () => {
        if (left === 0) innermostRan = true;
        else await nest(left - 1);
      });
    const done = nest(50);
    assert.equal(innermostRan, true);
    await done;
  });

  test('a cancel has reached every nested scope by the time cancel() returns', async () => {
    await openNursery(async (outer) => {
      const inner = await outer.start<AbortSignal>(async ({ started }) => {
        await openNursery(async (middle) => {
          await middle.start(async ({ started: innerStarted, signal }) => {
            started(signal);
            innerStarted();
            await sleepForever(signal);
          });
        });
      });
      assert.equal(inner.aborted, false); // control: nothing is cancelled yet
      outer.cancel();
      assert.equal(inner.aborted, true);
    });
  });

  for (const depth of [1_500, 10_000]) {
    for (const how of ['direct', 'start', 'startSoon']) {
      const through = how === 'direct' ? 'each in the body of the one before' : `through ${how}`;
      test(`${depth} nurseries nested ${through} open, and cancel down to the innermost task without recursing per level, leaving no listener`, () => {
        const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/core/fixtures/deep-nesting.ts'], {
          env: { ...process.env, DEPTH: String(depth), HOW: how },
          encoding: 'utf8',
          timeout: 30_000, // when the cancellation breaks off part-way, the inner levels never settle
        });
        assert.equal(run.status, 0, run.stderr); // a RangeError in an abort listener is uncaught: status 1
        assert.deepEqual(JSON.parse(run.stdout), { outcome: 'rejected with the outer reason', listenersLeft: 0 });
      });
    }
  }
});

describe('bad input', () => {
  test('is refused with a TypeError that names the argument', async () => {
    await assert.rejects(openNursery(42 as unknown as () => Promise<void>), /body must be a function/);
    await assert.rejects(openNursery(async () => undefined, { signal: 'nope' as unknown as AbortSignal }), /signal option must be an AbortSignal/);
    // A misspelt key would leave the scope uncancellable without a word (SPEC §8: unknown keys are a TypeError).
    let ran = false;
    const body = async (): Promise<void> => void (ran = true);
    await assert.rejects(openNursery(body, { sgnal: AbortSignal.abort() } as never), /openNursery: unknown option "sgnal"; did you mean "signal"\?/);
    await assert.rejects(failAfter(10, async () => undefined, { sgnal: 1 } as never), /failAfter: unknown option "sgnal"/);
    await assert.rejects(moveOnAfter(10, async () => undefined, { timeout: 1 } as never), /moveOnAfter: unknown option "timeout"/);
    await assert.rejects(openNursery(body, 'x' as never), /openNursery: options must be an object/);
    assert.equal(ran, false, 'nothing ran');
    await openNursery(body, {}); // control
    assert.equal(ran, true);
    await openNursery(async (tn) => {
      assert.throws(() => tn.startSoon('x' as unknown as () => Promise<void>), /task must be a function/);
      await assert.rejects(tn.start(null as unknown as () => Promise<void>), /task must be a function/);
    });
  });
});

describe('collapseErrorGroup', () => {
  test('unwraps a group of exactly one, recursively', async () => {
    const failure = new Error('deep');
    await assert.rejects(
      collapseErrorGroup(() => Promise.reject(new ErrorGroup([new ErrorGroup([failure])]))),
      (error) => error === failure,
    );
  });

  test('leaves a group of several untouched, and passes results through', async () => {
    const group = new ErrorGroup([new Error('a'), new Error('b')]);
    await assert.rejects(collapseErrorGroup(() => Promise.reject(group)), (error) => error === group);
    assert.equal(await collapseErrorGroup(async () => 7), 7);
  });

  test('gives the bare task error of a failing nursery', async () => {
    const failure = new RangeError('bare');
    await assert.rejects(
      collapseErrorGroup(() =>
        openNursery(async (tn) => {
          tn.startSoon(async () => {
            throw failure;
          });
        }),
      ),
      (error) => error === failure,
    );
  });
});
