// SPEC §8: one child stopped on its own (Process.stop), the stop policy (stopSignal, trio's
// deliverCancel), Process.wait() as a cancellation point, and the lifecycle in the log.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Cancelled, CompletedProcess, NotStartedError, ReadyTimeoutError, configureLogging, moveOnAfter, openNursery, runProcess, superviseRunProcess, type Process } from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { isRunning } from '../support/processes.js';

const BOUNDED = { timeout: 20_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-stop-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
checkNothingLeaksAroundEachTest();

/** Prints the pid of a grandchild it keeps, then "ready"; ignores nothing. */
const WITH_GRANDCHILD = 'sleep 30 & echo "$!"; echo ready; wait';

describe('Process.stop()', () => {
  test('a stop before the child is ready: start() rejects with NotStartedError holding the stopped CompletedProcess', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const error = await tn
        .start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { readyWhen: /never/, killGraceMs: 500, onSpawn: (proc) => void proc.stop() }, ctx), 'db')
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof NotStartedError, String(error));
      assert.equal(error.code, 'ERR_SUBVISOR_NOT_STARTED');
      assert.equal(error.message, 'db returned (with a CompletedProcess) without calling started(); it was stopped before it was up');
      assert.ok(error.returned instanceof CompletedProcess);
      assert.equal(error.returned.stopped, true);
      assert.equal(isRunning(error.returned.pid), false);
    });
  });

  test('stops the child and its group; the owning call resolves stopped, and its sibling keeps running', BOUNDED, async () => {
    let completed: CompletedProcess | undefined;
    let grandchild: number | undefined;
    await openNursery(async (tn) => {
      const sibling = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
      const proc = await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(
          ['sh', '-c', WITH_GRANDCHILD],
          { relayStdout: true, readyWhen: /ready/, killGraceMs: 500, onLine: ({ line }) => void (grandchild ??= Number(line)) },
          ctx,
        );
      });
      assert.ok(grandchild !== undefined && isRunning(grandchild), 'control: the grandchild runs before the stop');
      await proc.stop();
      assert.equal(isRunning(proc.pid), false, 'stop() resolves once the child is gone');
      assert.equal(isRunning(grandchild), false, '...and its whole group');
      // ...and once its call has resolved: the task that awaited it has the result already.
      assert.ok(completed instanceof CompletedProcess, 'the owning call resolved before stop() returned');
      assert.equal(completed.stopped, true);
      assert.equal(completed.signal, 'SIGTERM');
      assert.equal(completed.returncode, -15);
      assert.ok(isRunning(sibling.pid), 'the sibling keeps running: nothing was cancelled');
      await sibling.stop();
    }); // resolves: a stop asked for is not a failure
  });

  test('a child that ignores the stop signal is SIGKILLed after killGraceMs, with a warning naming the label and the grace', BOUNDED, async () => {
    const warnings: string[] = [];
    const logger = { warning: (line: string) => void warnings.push(line) };
    let completed: CompletedProcess | undefined;
    const started = performance.now();
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { label: 'stubborn', readyWhen: /ready/, killGraceMs: 300, logger }, ctx);
      });
      await proc.stop();
    });
    assert.ok(performance.now() - started >= 300);
    assert.equal(completed?.signal, 'SIGKILL');
    assert.equal(completed.stopped, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^stubborn: .*300 ms \(killGraceMs\).*SIGKILL/);
  });

  test('a logger with `warn` and no `warning` (pino, console) gets the escalation there', BOUNDED, async () => {
    const warned: string[] = [];
    const records: string[] = [];
    const logger = { warn: (line: string) => void warned.push(line), runtime: (line: string) => void records.push(line) };
    // Stopped once it says its trap is set: before that, SIGTERM would end it within the grace.
    let proc: Process | undefined;
    const onLine = ({ line }: { line: string }): void => void (line === 'ready' && proc?.stop());
    await superviseRunProcess(['sh', '-c', 'trap "" TERM; echo ready; sleep 30 & wait'], { label: 'stubborn', killGraceMs: 200, logger, relayStdout: true, onLine, onSpawn: (spawned) => (proc = spawned) });
    assert.equal(warned.length, 1, warned.join('\n'));
    assert.match(warned[0] ?? '', /^stubborn: still running 200 ms \(killGraceMs\) after it was asked to stop; sending SIGKILL/);
    assert.ok(records.some((record) => record.startsWith('stubborn: stopping (pid ')), records.join('\n'));
  });

  test('a child that exited, leaving a process in its group: the records say so, not that someone asked for a stop', BOUNDED, async () => {
    const records: string[] = [];
    const logger = { runtime: (line: string) => void records.push(line), warning: (line: string) => void records.push(line) };
    // The leftover ignores SIGTERM and holds no pipe: it is stopped after the exit, and SIGKILLed after the grace.
    // The trap is the shell's, set before the leftover starts, which inherits it: no stop can come first.
    await superviseRunProcess(['sh', '-c', 'trap "" TERM; (exec sleep 30) >/dev/null 2>&1 & exit 0'], { label: 'parent', killGraceMs: 200, logger });
    const said = records.join('\n');
    assert.match(said, /^parent: exited with status 0; stopping what is left in its process group \(\d+\): nothing it started may outlive it$/m);
    assert.match(said, /^parent: what it left in its process group is still running 200 ms \(killGraceMs\) after the stop signal; sending SIGKILL to the group \(\d+\)$/m);
    assert.doesNotMatch(said, /asked to stop/);
    // A cancellation while the leftover holds the pipes: its reason is said.
    records.length = 0;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', '(exec sleep 30) & exit 0'], { label: 'drained', drainGraceMs: 60_000, killGraceMs: 200, logger }, ctx));
      await proc.wait();
      tn.cancel(new Cancelled('user pressed stop'));
    });
    assert.match(records.join('\n'), /^drained: exited with status 0; stopping what is left in its process group \(\d+\): Cancelled: user pressed stop$/m);
  });

  test('stop() again, or after the child ended, resolves when the first stop is done', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
      await Promise.all([proc.stop(), proc.stop()]);
      await proc.stop();
      assert.notEqual(proc.returncode, null);
    });
  });

  test('stop() resolves with nothing (SPEC: Promise<void>), never with the call\'s CompletedProcess or its error', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const running = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
      assert.equal(await running.stop(), undefined);
      // A child that failed on its own before the stop: the call's CalledProcessError is the task's to handle.
      const failed = await tn.start<Process>(async (ctx) => {
        await superviseRunProcess(['sh', '-c', 'exit 3'], {}, ctx).catch(() => undefined);
      });
      await failed.wait();
      assert.equal(await failed.stop(), undefined);
    });
  });

  test('a stop asked for is not a CalledProcessError, even when the child exits 1 on it', BOUNDED, async () => {
    let completed: CompletedProcess | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(['sh', '-c', 'trap "exit 1" TERM; echo ready; while :; do sleep 0.05; done'], { readyWhen: /ready/, killGraceMs: 2000 }, ctx);
      });
      await proc.stop();
    });
    assert.equal(completed?.returncode, 1);
    assert.equal(completed.stopped, true);
  });
});

describe('stop policy', () => {
  test('stopSignal is what the group gets on cancellation', BOUNDED, async () => {
    const marker = join(scratch, 'got-int');
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'trap "touch \\"$0\\"; exit 0" INT; echo ready; while :; do sleep 0.05; done', marker], { readyWhen: /ready/, stopSignal: 'SIGINT', killGraceMs: 2000 }, ctx),
      );
      tn.cancel();
    });
    assert.equal(existsSync(marker), true, 'the child ran its SIGINT handler');
  });

  test('a bad stopSignal is refused before spawning', BOUNDED, async () => {
    await assert.rejects(superviseRunProcess(['true'], { stopSignal: 'SIGNOPE' as NodeJS.Signals }), /stopSignal must be a signal name/);
    await assert.rejects(superviseRunProcess(['true'], { stopSignal: 'SIGKILL' }), /stopSignal/);
  });

  test('deliverCancel replaces the stop signal, and may run a process although its scope is cancelled', BOUNDED, async () => {
    const marker = join(scratch, 'got-usr1');
    let delivered = false;
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(
          ['sh', '-c', 'trap "touch \\"$0\\"; exit 0" USR1; trap "" TERM; echo ready; while :; do sleep 0.05; done', marker],
          {
            readyWhen: /ready/,
            killGraceMs: 5000,
            deliverCancel: async (proc) => {
              // A shutdown command: a process of its own, started while the scope is cancelled.
              await runProcess(['kill', '-USR1', String(proc.pid)]);
              delivered = true;
            },
          },
          ctx,
        ),
      );
      tn.cancel();
    });
    assert.equal(delivered, true);
    assert.equal(existsSync(marker), true, 'the child heard the shutdown command, not SIGTERM (which it ignores)');
  });

  test('SIGKILL follows killGraceMs after the stop began, even if deliverCancel never settles; what it started is abandoned', BOUNDED, async () => {
    let helper: number | undefined;
    let child: number | undefined;
    const started = performance.now();
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(
          ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'],
          {
            readyWhen: /ready/,
            killGraceMs: 300,
            deliverCancel: () => superviseRunProcess(['sleep', '30'], { killGraceMs: 500, onSpawn: (spawned) => void (helper = spawned.pid) }).then(() => undefined),
          },
          ctx,
        ),
      );
      child = proc.pid;
      tn.cancel();
    });
    // The grace kept is the point; a stop that waited for deliverCancel's 30 s instead fails the test's bound.
    assert.ok(performance.now() - started >= 300, `stopped before the grace (${Math.round(performance.now() - started)} ms)`);
    assert.ok(child !== undefined && !isRunning(child));
    assert.ok(helper !== undefined, 'control: deliverCancel did start its process');
    assert.equal(isRunning(helper), false, 'what deliverCancel started does not outlive the stop');
  });

  // The hook's own timer is the test's to clear afterwards: the leak check would count it.
  let hookTimer: NodeJS.Timeout | undefined;
  for (const [what, hook] of [
    ['a timer that ignores the cancellation', () => new Promise<void>((resolve) => (hookTimer = setTimeout(resolve, 60_000)))],
    ['a promise that never settles', () => new Promise<void>(() => undefined)],
  ] as const) {
    test(`a deliverCancel that ignores its cancellation (${what}) is abandoned: the scope ends once the group is gone`, BOUNDED, async () => {
      let child: number | undefined;
      const started = performance.now();
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { readyWhen: /ready/, killGraceMs: 300, deliverCancel: hook }, ctx));
        child = proc.pid;
        tn.cancel();
      });
      const elapsed = performance.now() - started;
      // SIGKILL at 300 ms, and the hook, which started nothing, is not waited for: a scope that
      // waited for its 60 s, or forever, fails the test's bound. The grace kept is the point.
      clearTimeout(hookTimer);
      assert.ok(elapsed >= 300, `the scope ended after ${Math.round(elapsed)} ms`);
      assert.ok(child !== undefined && !isRunning(child));
    });
  }

  // Still its own hook after an await, and in a timer or an immediate the hook set (which the hook
  // does not await: it has returned when the stop() comes).
  for (const [when, callStop] of [
    ['after an await', async (proc: Process) => { await sleep(10); await proc.stop(); }],
    ['from a timer the hook set', (proc: Process) => void setTimeout(() => void proc.stop(), 10)],
    ['from an immediate the hook set', (proc: Process) => void setImmediate(() => void proc.stop())],
  ] as const) {
    test(`a deliverCancel that calls stop() on its own process (${when}) gets the default first step (the stop signal), not silence until the SIGKILL`, BOUNDED, async () => {
      let own: Process | undefined;
      let hookCalls = 0;
      const result = await superviseRunProcess(['sh', '-c', 'trap "exit 0" TERM; sleep 30 & echo ready; wait'], {
        relayStdout: true,
        // Longer than any stop signal takes to be heard, shorter than the test's bound: without the
        // stop signal, only this grace's SIGKILL would end the child.
        killGraceMs: 15_000,
        onSpawn: (spawned) => void (own = spawned),
        onLine: ({ line }) => void (line === 'ready' && own?.stop()),
        deliverCancel: (proc) => {
          hookCalls += 1;
          return callStop(proc);
        },
      });
      assert.equal(hookCalls, 1, 'control: the hook ran');
      assert.deepEqual([result.stopped, result.signal, result.returncode], [true, null, 0], 'the child heard SIGTERM and exited by its trap');
    });
  }

  test('Process.stop() resolves once the group is gone, not when a deliverCancel that never settles does', BOUNDED, async () => {
    let child: number | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'echo ready; exec sleep 30'], {
          readyWhen: /ready/,
          // A grace past the test's bound: a stop() that waited for it, not for the group, fails there.
          killGraceMs: 60_000,
          // Its own stop step, then a wait for an answer that never comes (a shutdown request that hangs).
          deliverCancel: (running) => {
            running.terminate();
            return new Promise<void>(() => undefined);
          },
        }, ctx),
      );
      child = proc.pid;
      await proc.stop();
    });
    assert.ok(child !== undefined && !isRunning(child));
  });

  for (const [what, parentGraceMs, helperScript] of [
    ["the parent's grace 0", 0, 'exec sleep 30'],
    ["a shutdown command slower to stop than the parent's grace", 300, 'trap "" TERM; while :; do sleep 0.05; done'],
  ] as const) {
    test(`what an abandoned deliverCancel started is stopped before the scope ends (${what})`, BOUNDED, async () => {
      let helper: number | undefined;
      await openNursery(async (tn) => {
        await tn.start<Process>((ctx) =>
          superviseRunProcess(
            ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'],
            {
              readyWhen: /ready/,
              killGraceMs: parentGraceMs,
              deliverCancel: () => superviseRunProcess(['sh', '-c', helperScript], { killGraceMs: 1000, onSpawn: (spawned) => void (helper = spawned.pid) }).then(() => undefined),
            },
            ctx,
          ),
        );
        tn.cancel();
      });
      assert.ok(helper !== undefined, 'control: deliverCancel did start its process');
      assert.equal(isRunning(helper), false, 'what deliverCancel started does not outlive the scope');
    });
  }

  test('a deliverCancel that throws falls back to the stop signal at once, with a warning', BOUNDED, async () => {
    const warnings: string[] = [];
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(
          ['sh', '-c', 'echo ready; exec sleep 30'],
          {
            label: 'svc',
            readyWhen: /ready/,
            // A grace past the test's bound: without the stop signal at once, only its SIGKILL ends the child.
            killGraceMs: 60_000,
            logger: { warning: (line: string) => void warnings.push(line) },
            deliverCancel: () => {
              throw new Error('no shutdown endpoint');
            },
          },
          ctx,
        ),
      );
      tn.cancel();
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^svc: deliverCancel failed .*no shutdown endpoint/);
    // One that throws undefined is said to have, not taken for a stop's own reason.
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'echo ready; exec sleep 30'], {
          label: 'svc',
          readyWhen: /ready/,
          logger: { warning: (line: string) => void warnings.push(line) },
          deliverCancel: () => {
            // eslint-disable-next-line @typescript-eslint/only-throw-error -- a non-Error is what is tested
            throw undefined;
          },
        }, ctx),
      );
      tn.cancel();
    });
    assert.match(warnings[1] ?? '', /^svc: deliverCancel failed \(it threw undefined\); sending the stop signal instead/);
  });
});

describe('Process.sendSignal()', () => {
  test('a number that is no signal is a RangeError saying what to pass, not kill\'s bare EINVAL; a real number is sent', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500, check: false }, ctx));
      for (const sig of [999, -1, 1.5]) {
        assert.throws(() => proc.sendSignal(sig), (error: Error) => error instanceof RangeError && error.message === `Process.sendSignal: ${sig} is not a signal number (0 to 64); pass a name such as 'SIGTERM'`);
      }
      assert.equal(proc.returncode, null);
      proc.sendSignal(15); // control: SIGTERM by number
      await proc.wait();
      assert.equal(proc.returncode, -15);
    });
  });

  test('a name that is no signal is a TypeError (ERR_UNKNOWN_SIGNAL) whether the child still runs or has exited', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500, check: false }, ctx));
      const refused = (): void => {
        for (const sig of ['SIGFOO', 'sigterm', '15', '', undefined, {}]) {
          assert.throws(() => proc.sendSignal(sig as NodeJS.Signals), { name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL', message: /^Process\.sendSignal: unknown signal .*; pass a name such as 'SIGTERM'/ }, JSON.stringify(sig));
        }
      };
      refused();
      assert.equal(proc.returncode, null, 'nothing was sent');
      proc.sendSignal('SIGTERM');
      await proc.wait();
      refused();
      proc.sendSignal('SIGTERM'); // control: a real one after the exit is no error
    });
  });
});

describe('Process.wait() is a cancellation point', () => {
  test('moveOnAfter(50, () => proc.wait()) moves on, and leaves the child alone', BOUNDED, async () => {
    await openNursery(async (tn) => {
      // Longer than the test's bound: a wait() that the deadline cannot cut fails there.
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '60'], { killGraceMs: 500 }, ctx));
      const result = await moveOnAfter(50, () => proc.wait());
      assert.equal(result, undefined);
      assert.equal(isRunning(proc.pid), true, 'the child is still running');
      await proc.stop();
    });
  });

  test('wait(signal) rejects with the signal’s reason; without a cancellation it resolves with the status', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'sleep 0.3; exit 3'], { check: false }, ctx));
      const controller = new AbortController();
      const reason = new Cancelled('gave up waiting');
      const waiting = proc.wait(controller.signal);
      controller.abort(reason);
      await assert.rejects(waiting, (error) => error === reason);
      assert.equal(await proc.wait(), 3);
    });
  });
});

describe('Process.wait(): a cancelled wait keeps nothing', () => {
  test('100 waits cancelled while the child runs on leave no signal of theirs reachable (a "wait up to 1 s" loop ran for days)', BOUNDED, async () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
      const signals: WeakRef<AbortSignal>[] = [];
      for (let i = 0; i < 100; i++) signals.push(await waitCancelled(proc));
      for (let i = 0; i < 3; i++) {
        await sleep(10); // a WeakRef's target lives to the end of the job that made it
        collect();
      }
      const kept = signals.filter((ref) => ref.deref() !== undefined).length;
      assert.ok(kept <= 1, `${kept} of 100 cancelled waits are still reachable`);
      assert.equal(isRunning(proc.pid), true, 'control: the child ran on through every wait');
      await proc.stop();
    });
  });
});

describe('Process.wait(signal): one signal for many waits', () => {
  test('30 waits bounded by one signal warn of no listener leak, all reject with its reason, and leave no listener', BOUNDED, async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
        const controller = new AbortController();
        const waits = Array.from({ length: 30 }, () => proc.wait(controller.signal).then(() => 'exited', (error: unknown) => error));
        const reason = new Error('enough waiting');
        controller.abort(reason);
        assert.ok((await Promise.all(waits)).every((outcome) => outcome === reason));
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
        await proc.stop();
      });
      await sleep(10); // warnings are emitted on the next tick
      assert.deepEqual(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map(String), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

/** Waits for `proc` with a signal of its own and cancels that wait; a weak reference to the signal. */
async function waitCancelled(proc: Process): Promise<WeakRef<AbortSignal>> {
  const controller = new AbortController();
  const waited = proc.wait(controller.signal).catch(() => undefined);
  controller.abort();
  await waited;
  return new WeakRef(controller.signal);
}

describe('the lifecycle in the log', () => {
  test('spawn, ready (with its time), stop and exit at runtime, to the logger that has the method', BOUNDED, async () => {
    const records: string[] = [];
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'sleep 0.1; echo ready; exec sleep 30'], { label: 'api', readyWhen: /ready/, logger: { runtime: (line: string) => void records.push(line) } }, ctx),
      );
      await proc.stop();
    });
    assert.equal(records.length, 4, records.join('\n'));
    assert.match(records[0] ?? '', /^api: spawned \(pid \d+\): sh -c 'sleep 0.1; echo ready; exec sleep 30'$/);
    assert.match(records[1] ?? '', /^api: ready after (\d+) ms/);
    assert.ok(Number(/after (\d+) ms/.exec(records[1] ?? '')?.[1]) >= 90, 'the time it took to be ready');
    assert.match(records[2] ?? '', /^api: stopping/);
    assert.match(records[3] ?? '', /^api: died of SIGTERM after \d+ ms/);
  });

  test('a readiness timeout is logged as the stop\'s reason in words, not as an internal token', BOUNDED, async () => {
    const records: string[] = [];
    await assert.rejects(
      superviseRunProcess(['sleep', '30'], { label: 'api', readyWhen: /never/, readyTimeoutMs: 100, logger: { runtime: (line: string) => void records.push(line) } }),
      (error: unknown) => error instanceof ReadyTimeoutError && error.timeoutMs === 100,
    );
    const stopping = records.find((line) => line.startsWith('api: stopping'));
    assert.match(stopping ?? '', /^api: stopping \(pid \d+\): ReadyTimeoutError: api was not ready within 100 ms \(no output line matched \/never\/\); it was stopped$/, records.join('\n'));
  });

  test('the spawn record names the command only when it says more than the label: a label that is the command is not repeated', BOUNDED, async () => {
    const records: string[] = [];
    const logger = { runtime: (line: string) => void records.push(line) };
    await superviseRunProcess(['true'], { logger });
    await superviseRunProcess(['sh', '-c', 'exit 0'], { logger });
    const spawned = records.filter((line) => line.includes(': spawned')).map((line) => line.replace(/\d+/g, 'N'));
    // Control: the default label joins the words, so the quoted command still tells where one ends.
    assert.deepEqual(spawned, ['true: spawned (pid N)', "sh -c exit N: spawned (pid N): sh -c 'exit N'"]);
  });

  test('without such a method the records go to the package logger at runtime', BOUNDED, async () => {
    const lines: string[] = [];
    const previous = configureLogging({ level: 'runtime', sink: (record) => void lines.push(`${record.levelName} ${record.message}`) });
    try {
      await superviseRunProcess(['sh', '-c', 'exit 0'], { label: 'quiet' });
    } finally {
      configureLogging(previous);
    }
    assert.deepEqual(
      lines.map((line) => line.replace(/\d+/g, 'N')),
      ["runtime quiet: spawned (pid N): sh -c 'exit N'", 'runtime quiet: exited with status N after N ms (pid N)'],
    );
  });
});
