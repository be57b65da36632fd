// Stopping in order (SPEC §9): the order on its own, then real processes whose trap handlers
// write down, with a timestamp, when they got their signal and when they were done.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NO_RESTART, logProbe } from '../../../src/cli/config/index.js';
import { stopInOrder } from '../../../src/cli/stack/shutdown.js';
import { Stack, StopRequest } from '../../../src/cli/stack/stack.js';
import { Interrupted } from '../../../src/cli/interrupts.js';
import type { StatusEvent } from '../../../src/cli/output.js';
import { blockText, type LineBlock } from '../../../src/process/output/ascii-block.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { waitUntil } from '../../support/processes.js';
import { RecordingOutput, resultOf, runToEnd, scratchDir, spec, startStack } from './support.js';
import { stamps } from '../../support/stamps.js';

checkNothingLeaksAroundEachTest();
const BOUNDED = { timeout: 30_000 };
const scratch = scratchDir('subvisor-shutdown-');
let files = 0;

describe('the order', () => {
  // db <- web <- smoke, db <- worker: web and worker depend on db, smoke on web.
  const dependents: Record<string, string[]> = { db: ['web', 'worker'], web: ['smoke'], worker: [], smoke: [] };

  test('a member is stopped only once everything that depends on it has stopped; independent branches at once', async () => {
    const events: string[] = [];
    await stopInOrder(Object.keys(dependents), (name) => dependents[name] ?? [], async (name) => {
      events.push(`${name} begins`);
      await sleep(name === 'worker' ? 50 : 10);
      events.push(`${name} done`);
    });
    const at = (event: string): number => events.indexOf(event);
    assert.ok(at('smoke done') < at('web begins'), events.join(', '));
    assert.ok(at('web done') < at('db begins') && at('worker done') < at('db begins'), events.join(', '));
    assert.ok(at('worker begins') < at('smoke done'), 'worker and smoke (independent) stop at the same time');
  });

  test('a dependent whose stop failed does not keep its dependency running; the failure is rethrown at the end', async () => {
    const stopped: string[] = [];
    const stopping = stopInOrder(Object.keys(dependents), (name) => dependents[name] ?? [], async (name) => {
      if (name === 'web') throw new Error('web would not stop');
      await sleep(1);
      stopped.push(name);
    });
    await assert.rejects(stopping, /web would not stop/);
    assert.deepEqual(stopped.sort(), ['db', 'smoke', 'worker']);
  });

  test('members outside the list are not waited for', async () => {
    const events: string[] = [];
    await stopInOrder(['db', 'web'], (name) => dependents[name] ?? [], async (name) => void events.push(name));
    assert.deepEqual(events, ['web', 'db']);
  });
});

/** A shell command that records `NAME-term TIME` when its stop signal comes, and `NAME-exit TIME` once done after `cleanupS`. */
function recordingStops(name: string, file: string, opts: { signal?: string; cleanupS?: number } = {}): string {
  const now = '$(date +%s%N)';
  const signal = opts.signal ?? 'TERM';
  return `trap 'echo "${name}-term ${now}" >> ${file}; sleep ${opts.cleanupS ?? 0}; echo "${name}-exit ${now}" >> ${file}; exit 0' ${signal}; echo up; while :; do sleep 0.05; done`;
}


describe('stopping a stack in reverse dependency order', () => {
  for (const how of ['the main process exits', 'the run is stopped from outside (Ctrl-C)'] as const) {
    test(`when ${how}, a dependency gets its stop signal only after its dependent has exited`, BOUNDED, async () => {
      const file = join(scratch, `stops-${files++}`);
      const specs = [
        spec('db', recordingStops('db', file), { ready: logProbe(/^up$/) }),
        // web takes 300 ms to finish after its SIGTERM: stopped at the same time, db would hear first.
        spec('web', recordingStops('web', file, { cleanupS: 0.3 }), { dependsOn: [{ name: 'db', condition: 'ready' }], ready: logProbe(/^up$/) }),
        spec('smoke', 'sleep 0.2', { dependsOn: [{ name: 'web', condition: 'ready' }], main: how === 'the main process exits' }),
      ];
      const running = startStack(specs);
      try {
        if (how === 'the main process exits') await running.done;
        else await waitUntil(() => running.output.indexOf('smoke', 'exited') >= 0, 'smoke to be done', 10_000);
      } finally {
        await running.stop();
      }
      const events = stamps(file);
      const webExit = events.get('web-exit');
      const dbTerm = events.get('db-term');
      assert.ok(webExit !== undefined && dbTerm !== undefined, [...events.keys()].join(', '));
      assert.ok(webExit < dbTerm, `web exited ${Number(dbTerm - webExit) / 1e6} ms after db got SIGTERM`);
      const { output } = running;
      assert.ok(output.indexOf('web', 'stopped') < output.indexOf('db', 'stopping'), output.dump());
    });
  }

  for (const how of ['the main process exits', 'the run is stopped from outside (Ctrl-C)'] as const) {
    test(`when ${how}, a dependency waiting out its restart backoff while its dependent stops is not started again`, BOUNDED, async () => {
      const file = join(scratch, `starts-${files++}`);
      const specs = [
        // Fails after 0.1 s (web has started by then: a dependency that is down, in its backoff,
        // starts no dependent), then waits 300 ms to restart: the backoff ends while web is in its 1 s cleanup.
        spec('db', `echo "db-start 0" >> ${file}; sleep 0.1; exit 1`, { restart: { ...NO_RESTART, policy: 'on-failure', max: 3, backoffMs: 300, maxBackoffMs: 300 } }),
        spec('web', recordingStops('web', file, { cleanupS: 1 }), { dependsOn: [{ name: 'db', condition: 'started' }] }),
        spec('smoke', 'sleep 0.3', { main: how === 'the main process exits' }),
      ];
      const running = startStack(specs);
      let outcome;
      try {
        await waitUntil(() => running.output.indexOf('db', 'restarting') >= 0 && running.output.indexOf('smoke', 'exited') >= 0, 'db to fail and smoke to end', 10_000);
      } finally {
        outcome = how === 'the main process exits' ? await running.done : await running.stop(130);
        await running.stop();
      }
      const { output } = running;
      assert.equal(running.output.of('db', 'starting').length, 1, output.dump());
      assert.equal(readFileSync(file, 'utf8').match(/^db-start/gm)?.length, 1, 'db was spawned once');
      assert.ok(output.indexOf('db', 'stopped', /^stopped while waiting to restart$/) >= 0, output.dump());
      assert.ok(output.indexOf('web', 'stopped') >= 0, output.dump());
      assert.equal(outcome.exitCode, how === 'the main process exits' ? 0 : 130, output.dump());
    });
  }

  test('after main\'s exit 0, a process that fails on its own while the rest stop sets the status; its answer to the stop signal would not', BOUNDED, async () => {
    // `slow` depends on `crashes` and takes 2 s to stop: `crashes` gets no stop signal in those
    // seconds, and exits 3 on its own meanwhile (1 s after its start, main ended at 0.3 s). `quits` answers its stop signal with status 5.
    const { outcome, output } = await runToEnd([
      spec('crashes', 'sleep 1; exit 3'),
      spec('slow', "trap 'sleep 2; exit 0' TERM; sleep 30 & wait", { dependsOn: [{ name: 'crashes', condition: 'started' }] }),
      spec('quits', "trap 'exit 5' TERM; sleep 30 & wait"),
      spec('main', 'sleep 0.3', { main: true }),
    ]);
    assert.equal(outcome.exitCode, 3, output.dump());
    assert.equal(outcome.failure?.name, 'crashes', output.dump());
    assert.equal(resultOf(outcome, 'quits').result, 'stopped', output.dump());
  });

  test('after main\'s exit 0, a crash while the rest stop that its restart policy would have retried does not fail the run; its line says why it was not restarted', BOUNDED, async () => {
    // As in the test above, but `crashes` has restarts left: a moment earlier its crash would
    // have been restarted, not the run's failure (the control is the test above, without a policy).
    const { outcome, output } = await runToEnd([
      spec('crashes', 'sleep 1; exit 3', { restart: { ...NO_RESTART, policy: 'on-failure', max: 3, backoffMs: 10 } }),
      spec('slow', "trap 'sleep 2; exit 0' TERM; sleep 30 & wait", { dependsOn: [{ name: 'crashes', condition: 'started' }] }),
      spec('main', 'sleep 0.3', { main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(outcome.failure, undefined, output.dump());
    assert.deepEqual(output.of('crashes', 'failed').map((record) => record.text), ['exited with status 3; not restarted: the run is ending'], output.dump());
    assert.equal(output.of('crashes', 'restarting').length, 0, output.dump());
    assert.equal(resultOf(outcome, 'crashes').result, 'exited with status 3', output.dump());
  });

  test('after main\'s exit 0, an exit 0 on its own while the rest stop, under `restart: always`, is said as an exit: no "not restarted" is added, which is said only of a crash', BOUNDED, async () => {
    // As above, with `restart: always` and an exit 0: the exit was no failure, restarted or not.
    const { outcome, output } = await runToEnd([
      spec('ends', 'sleep 1', { restart: { ...NO_RESTART, policy: 'always', max: 3, backoffMs: 10 } }),
      spec('slow', "trap 'sleep 2; exit 0' TERM; sleep 30 & wait", { dependsOn: [{ name: 'ends', condition: 'started' }] }),
      spec('main', 'sleep 0.3', { main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const [exited, ...more] = output.of('ends', 'exited').map((record) => record.text);
    assert.match(exited ?? '', /^exited with status 0 after [^;]*$/, output.dump());
    assert.deepEqual(more, [], output.dump());
    assert.equal(output.of('ends', 'restarting').length, 0, output.dump());
  });

  test('each process gets its own stopSignal', BOUNDED, async () => {
    const file = join(scratch, `stops-${files++}`);
    const cmd = `trap 'echo "got-INT 0" >> ${file}; exit 0' INT; trap 'echo "got-TERM 0" >> ${file}; exit 0' TERM; echo up; while :; do sleep 0.05; done`;
    const running = startStack([spec('pg', cmd, { stopSignal: 'SIGINT', ready: logProbe(/^up$/) })]);
    try {
      await waitUntil(() => running.output.indexOf('pg', 'ready') >= 0, 'pg to be up');
    } finally {
      await running.stop();
    }
    assert.deepEqual([...stamps(file).keys()], ['got-INT']);
  });

  test('each process gets its own grace: one that ignores its stop signal is killed after its grace, not the default', BOUNDED, async () => {
    const running = startStack([spec('stubborn', "trap '' TERM; echo up; while :; do sleep 0.05; done", { grace: 300, ready: logProbe(/^up$/) })], { defaultGraceMs: 20_000 });
    let outcome;
    const stopStarted = performance.now();
    try {
      await waitUntil(() => running.output.indexOf('stubborn', 'ready') >= 0, 'stubborn to be up');
    } finally {
      outcome = await running.stop();
    }
    const { output } = running;
    const [stopping] = output.of('stubborn', 'stopping');
    const [stopped] = output.of('stubborn', 'stopped');
    assert.ok(stopping !== undefined && stopped !== undefined, output.dump());
    assert.ok(stopped.at - stopping.at >= 280, 'it was given its grace');
    assert.ok(performance.now() - stopStarted < 10_000, 'not the 20 s default');
    assert.equal(resultOf(outcome, 'stubborn').result, 'stopped');
    assert.equal(resultOf(outcome, 'stubborn').killedAfterGraceMs, 300);
  });
});

describe('a stop that comes before the run begins', () => {
  test('a stack whose stop signal is already aborted (a Ctrl-C while up was still making its control socket) starts nothing, each process not started', BOUNDED, async () => {
    const file = join(scratch, `started-${files++}`);
    const controller = new AbortController();
    controller.abort(new Interrupted('SIGINT'));
    const output = new RecordingOutput();
    const stack = new Stack([spec('db', `echo db >> ${file}; exec sleep 30`), spec('web', `echo web >> ${file}; exec sleep 30`, { dependsOn: [{ name: 'db', condition: 'started' }] })], { output, signal: controller.signal, defaultGraceMs: 2000 });
    const outcome = await stack.run();
    assert.equal(output.records.filter((record) => record.kind === 'starting').length, 0, output.dump());
    assert.equal(existsSync(file), false, 'no command ran');
    assert.equal(outcome.exitCode, 130);
    assert.deepEqual(outcome.results.map((result) => result.pid), [undefined, undefined]);
  });
});

describe('stopping and starting by hand (the operations `subvisor stop/start/restart` will call)', () => {
  test('restart: the dependents stop first, then the process; then both start again in order', BOUNDED, async () => {
    const file = join(scratch, `stops-${files++}`);
    const running = startStack([
      spec('db', recordingStops('db', file), { ready: logProbe(/^up$/) }),
      spec('web', recordingStops('web', file, { cleanupS: 0.2 }), { dependsOn: [{ name: 'db', condition: 'ready' }], ready: logProbe(/^up$/) }),
    ]);
    const { stack, output } = running;
    try {
      await waitUntil(() => output.indexOf('web', 'ready') >= 0, 'web to be ready');
      const before = stack.ps().map((one) => one.pid);
      await stack.restart(['db']);
      const events = stamps(file);
      assert.ok((events.get('web-exit') ?? 0n) < (events.get('db-term') ?? 0n), 'web exited before db got SIGTERM');
      await waitUntil(() => output.of('web', 'ready').length === 2, 'web to be ready again', 10_000);
      const after = stack.ps();
      assert.deepEqual(after.map((one) => one.state), ['ready', 'ready']);
      assert.ok(after.every((one, i) => one.pid !== before[i]), 'both are new processes');
      assert.ok(output.records.findLastIndex((record) => record.name === 'db' && record.kind === 'ready') < output.records.findLastIndex((record) => record.name === 'web' && record.kind === 'starting'));
      assert.deepEqual(after.map((one) => one.restarts), [0, 0], 'a manual restart is not a restart of the policy');
    } finally {
      await running.stop();
    }
  });

  test('restart of a process that was ready, whose new life exits 0 before it is ready: its dependent is not started because it exited before it was ready, not as if that life had been', BOUNDED, async () => {
    const marker = join(scratch, `second-life-${files++}`);
    const running = startStack([
      spec('db', `if [ -e '${marker}' ]; then exit 0; fi; touch '${marker}'; echo up; exec sleep 30`, { ready: logProbe(/^up$/), readyOptional: true }),
      spec('web', 'exec sleep 30', { dependsOn: [{ name: 'db', condition: 'ready' }] }),
    ]);
    const { stack, output } = running;
    try {
      await waitUntil(() => output.indexOf('web', 'starting') >= 0, 'web to start');
      await assert.rejects(stack.restart(['db']), { name: 'NotReady' });
      await waitUntil(() => output.of('web', 'not-started').length > 0, 'web to be given up');
      assert.deepEqual(output.of('web', 'not-started').map((record) => record.text), ['not started: db exited before it was ready'], output.dump());
    } finally {
      await running.stop();
    }
  });

  test('stop and start one process: the run goes on without it, then with it again', BOUNDED, async () => {
    const running = startStack([spec('db', 'echo up; exec sleep 30', { ready: logProbe(/^up$/) }), spec('worker', 'echo up; exec sleep 30', { ready: logProbe(/^up$/) })]);
    const { stack, output } = running;
    try {
      await waitUntil(() => output.of('worker', 'ready').length === 1 && output.of('db', 'ready').length === 1, 'both to be ready');
      await stack.stop(['worker']);
      assert.deepEqual(stack.ps().map((one) => one.state), ['ready', 'stopped']);
      await stack.start(['worker']);
      await waitUntil(() => output.of('worker', 'ready').length === 2, 'worker to be ready again');
      assert.equal(stack.ps()[1]?.state, 'ready');
      assert.ok((stack.ps()[1]?.uptimeMs ?? -1) >= 0);
    } finally {
      await running.stop();
    }
  });
});

describe('a stop that comes after an exit the event loop has not seen yet', () => {
  test('the exit is the process\'s own: its failure is its result, not "stopped"', BOUNDED, async () => {
    const controller = new AbortController();
    let pid: number | undefined;
    // The run is ended while the line is delivered, once the child is a zombie: its exit happened, unread.
    class StoppingAtBye extends RecordingOutput {
      override status(event: StatusEvent): void {
        if (event.name === 'job' && event.event === 'starting') pid = event.fields?.pid as number;
        super.status(event);
      }
      override lines(name: string, stream: 'stdout' | 'stderr', block: LineBlock): undefined {
        super.lines(name, stream, block);
        if (name === 'job' && blockText(block).includes('bye') && pid !== undefined) {
          blockUntilZombie(pid);
          controller.abort(new StopRequest('the test is over', 0));
        }
        return undefined;
      }
    }
    const output = new StoppingAtBye();
    const stack = new Stack([spec('job', 'echo bye; exit 3'), spec('other', 'exec sleep 30')], { output, signal: controller.signal, defaultGraceMs: 2000 });
    const outcome = await stack.run();
    assert.equal(resultOf(outcome, 'job').result, 'exited with status 3', output.dump());
    assert.equal(resultOf(outcome, 'other').result, 'stopped');
  });
});

/** Holds the event loop until `pid` has exited and is a zombie, not yet reaped by Node. */
function blockUntilZombie(pid: number): void {
  const deadline = Date.now() + 5000;
  for (;;) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      // Reaped already: on a loaded machine the loop may see the exit before the line is delivered.
      // The stop then comes after an exit the loop has seen, and the exit is the process's own all the same.
      return;
    }
    if (stat.split(') ')[1]?.[0] === 'Z') return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exit within 5 s`);
  }
}
