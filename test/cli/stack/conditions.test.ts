// Dependency conditions and tasks (SPEC §9), with real processes and specs built in code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NO_RESTART, logProbe } from '../../../src/cli/config/index.js';
import { MainNotStarted } from '../../../src/cli/stack/failures.js';
import { Stack } from '../../../src/cli/stack/stack.js';
import { CalledProcessError } from '../../../src/process/errors.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { freePort } from '../../support/network.js';
import { RecordingOutput, resultOf, runToEnd, scratchDir, spec } from './support.js';

checkNothingLeaksAroundEachTest();
const BOUNDED = { timeout: 30_000 };
const scratch = scratchDir('subvisor-conditions-');

describe('conditions', () => {
  test('started: a dependent starts once its dependency has spawned, ready or not', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('server', "echo booting; exec sleep 30", { ready: logProbe(/never printed/) }),
      spec('client', 'echo client ran', { dependsOn: [{ name: 'server', condition: 'started' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(output.indexOf('client', 'stdout', /client ran/) >= 0, output.dump());
    assert.equal(output.indexOf('server', 'ready'), -1, 'the server never became ready');
    assert.equal(resultOf(outcome, 'server').result, 'stopped');
  });

  test('ready: a dependent waits for the ready line; a dependency that is never ready leaves it not started', BOUNDED, async () => {
    // The same pair as above, with `ready`: the server times out and the client never runs.
    const { outcome, output } = await runToEnd([
      spec('server', "echo booting; exec sleep 30", { ready: logProbe(/never printed/), readyTimeoutMs: 300 }),
      spec('client', 'echo client ran', { dependsOn: [{ name: 'server', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 124, output.dump());
    assert.equal(outcome.failure?.name, 'server');
    assert.equal(output.indexOf('client', 'stdout'), -1, 'the client never ran');
    assert.equal(resultOf(outcome, 'client').notStartedBecause, 'server failed (not ready in time)');
    assert.ok(output.indexOf('client', 'waiting', /server to be ready/) >= 0, output.dump());
  });

  test('ready: the dependent starts after the ready line, not at the spawn', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('db', 'sleep 0.3; echo accepting connections; exec sleep 30', { ready: logProbe(/accepting/) }),
      spec('web', 'echo web up', { dependsOn: [{ name: 'db', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const ready = output.indexOf('db', 'ready');
    assert.ok(ready >= 0 && ready < output.indexOf('web', 'starting'), output.dump());
  });

  test('ready: a dependency whose child has exited is not ready, though its end is still being drained: a dependent whose other condition is met meanwhile is not started', BOUNDED, async () => {
    // db exits 1 at 0.3 s; what it left holds its output, so its failure is judged only after the
    // drain grace (2 s). migrate succeeds at 0.8 s, in between.
    const { outcome, output } = await runToEnd([
      spec('db', 'sleep 5 & echo up; sleep 0.3; exit 1', { ready: logProbe(/^up$/) }),
      spec('migrate', 'sleep 0.8', { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'db', condition: 'ready' }, { name: 'migrate', condition: 'succeeded' }] }),
    ]);
    assert.equal(outcome.failure?.name, 'db', output.dump());
    // Before: web started at 0.8 s against a db gone half a second before, and was stopped when its failure was judged.
    assert.equal(output.indexOf('web', 'starting'), -1, output.dump());
    assert.equal(resultOf(outcome, 'web').notStartedBecause, 'db failed (status 1)');
  });

  test('ready: a ready line written before the exit but read after it (the output was behind) is said all the same, as when it is read in time', BOUNDED, async () => {
    // The output takes 0.5 s over the first block (`booting`): meanwhile db writes its ready line
    // and exits, so its exit is seen before that line is read. `run --ready` is such a stack.
    const recording = new RecordingOutput();
    let held = false;
    const output = {
      lines: (...args: Parameters<RecordingOutput['lines']>): Promise<void> | undefined => {
        recording.lines(...args);
        if (held) return undefined;
        held = true;
        return new Promise((resolve) => setTimeout(resolve, 500));
      },
      status: (...args: Parameters<RecordingOutput['status']>): void => recording.status(...args),
    };
    const db = spec('db', 'echo booting; sleep 0.1; echo up; exit 0', { ready: logProbe(/^up$/), readyOptional: true, main: true });
    const outcome = await new Stack([db], { output, signal: new AbortController().signal, defaultGraceMs: 2000 }).run();
    assert.equal(outcome.exitCode, 0, recording.dump());
    const ready = recording.indexOf('db', 'ready');
    // Before: no ready line at all when the exit was seen first (about 1 run in 10 of `run --ready x -- sh -c 'echo x'`).
    assert.ok(ready > recording.indexOf('db', 'stdout', /^up$/), recording.dump());
    assert.ok(ready < recording.indexOf('db', 'exited'), recording.dump());
  });

  test('ready: a tcp probe that passes after the child exited (what it left listens) makes nothing ready: the dependent is not started', BOUNDED, async () => {
    const port = await freePort();
    // db exits 1 at once; what it left starts listening 0.3 s later and holds db's output.
    const listen = `require('net').createServer().listen(${port}, '127.0.0.1')`;
    const { outcome, output } = await runToEnd([
      spec('db', `(sleep 0.3; exec node -e "${listen}") & exit 1`, { ready: { kind: 'tcp', host: '127.0.0.1', port, intervalMs: 50, timeoutMs: 1000, startPeriodMs: 0 } }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'db', condition: 'ready' }] }),
    ]);
    assert.equal(outcome.failure?.name, 'db', output.dump());
    // Before: db was said ready 0.4 s after it exited, and web started, to be stopped when db's failure was judged.
    assert.equal(output.indexOf('db', 'ready'), -1, output.dump());
    assert.equal(output.indexOf('web', 'starting'), -1, output.dump());
  });

  test('ready: a dependency that exited and is restarted is waited for again: the dependent starts at its next ready, not while it is down', BOUNDED, async () => {
    const marker = join(scratch, 'db-restarted');
    // The first db exits 1 at 0.3 s (what it left holds its output until 2 s); the second stays up.
    const cmd = `if [ -e ${marker} ]; then echo up; exec sleep 30; fi; touch ${marker}; sleep 5 & echo up; sleep 0.3; exit 1`;
    const { outcome, output } = await runToEnd([
      spec('db', cmd, { ready: logProbe(/^up$/), restart: { ...NO_RESTART, policy: 'on-failure', backoffMs: 20 } }),
      spec('migrate', 'sleep 0.8', { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'db', condition: 'ready' }, { name: 'migrate', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const [, secondReady = -1] = output.records.flatMap((record, index) => (record.name === 'db' && record.kind === 'ready' ? [index] : []));
    assert.ok(secondReady >= 0 && secondReady < output.indexOf('web', 'starting'), output.dump());
  });

  test('ready: a dependency without a probe that exits at once still has its dependent started, every time: its ready at the spawn is the moment the start is decided', BOUNDED, async () => {
    // The exit was at times seen in the turn the start waits (for a run ending), and then taken as
    // "db exited": whether web ran was a race (1 run in 4 of `up` with these two).
    for (let run = 0; run < 20; run++) {
      const { outcome, output } = await runToEnd([spec('db', 'echo db ran'), spec('web', 'echo web ran', { dependsOn: [{ name: 'db', condition: 'ready' }] })]);
      assert.equal(outcome.exitCode, 0, output.dump());
      assert.ok(output.indexOf('web', 'stdout', /web ran/) >= 0, `run ${run}: ${output.dump()}`);
    }
  });

  test('ready: a service (no task) that exits 0 once ready, before its dependent\'s other condition is met, leaves that dependent not started: it is gone', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('cache', 'echo warmed; sleep 0.2', {}),
      spec('migrate', 'sleep 0.6', { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'cache', condition: 'ready' }, { name: 'migrate', condition: 'succeeded' }] }),
      spec('keep', 'sleep 1.5', { main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.indexOf('web', 'starting'), -1, output.dump());
    assert.equal(resultOf(outcome, 'web').notStartedBecause, 'cache exited');
  });

  test('ready: a task that exits 0 once ready, before its dependent\'s other condition is met, still counts as ready: its exit is its job done, not a service gone', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('seed', 'echo seeded', { task: true }),
      spec('migrate', 'sleep 0.6', { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'seed', condition: 'ready' }, { name: 'migrate', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(output.indexOf('web', 'stdout', /web ran/) >= 0, output.dump());
  });

  test('succeeded: a dependent starts after the task exited 0; the task succeeding does not end the run', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('migrate', 'sleep 0.2; echo migrated', { task: true }),
      spec('web', 'echo serving; sleep 0.3; echo still serving', { dependsOn: [{ name: 'migrate', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const migrated = output.indexOf('migrate', 'exited', /status 0/);
    assert.ok(migrated >= 0 && migrated < output.indexOf('web', 'starting'), output.dump());
    assert.ok(output.indexOf('web', 'stdout', /still serving/) > migrated, 'the run went on after the task succeeded');
    assert.equal(resultOf(outcome, 'migrate').result, 'exited 0');
    assert.equal(resultOf(outcome, 'migrate').restarts, 0);
  });

  test('succeeded: a task that fails ends the run with its status; its dependent is not started, with the reason', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('migrate', "echo 'relation users already exists' >&2; exit 3", { task: true }),
      spec('web', 'echo web ran; exec sleep 30', { dependsOn: [{ name: 'migrate', condition: 'succeeded' }] }),
      spec('other', 'exec sleep 30'),
    ]);
    assert.equal(outcome.exitCode, 3, output.dump());
    assert.equal(outcome.failure?.name, 'migrate');
    assert.ok(outcome.failure.error instanceof CalledProcessError);
    assert.match(outcome.failure.error.stderr?.toString() ?? '', /relation users already exists/);
    assert.equal(output.indexOf('web', 'stdout'), -1, 'web never ran');
    assert.equal(resultOf(outcome, 'web').notStartedBecause, 'migrate failed (status 3)');
    assert.equal(resultOf(outcome, 'web').result, 'not started: migrate failed (status 3)');
    assert.ok(output.indexOf('web', 'not-started', /^not started: migrate failed \(status 3\)$/) >= 0, output.dump());
    assert.equal(resultOf(outcome, 'other').result, 'stopped', 'fail fast stopped the rest');
  });

  test('succeeded: a failed task\'s dependents three and four levels down are not started with their reason too, though fail fast stops them first', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('a', 'exit 1', { task: true }),
      spec('b', 'exec sleep 30', { dependsOn: [{ name: 'a', condition: 'succeeded' }] }),
      spec('c', 'exec sleep 30', { dependsOn: [{ name: 'b', condition: 'started' }] }),
      spec('d', 'exec sleep 30', { dependsOn: [{ name: 'c', condition: 'started' }] }),
      spec('e', 'echo e ran', { dependsOn: [{ name: 'd', condition: 'started' }] }),
    ]);
    assert.equal(outcome.exitCode, 1, output.dump());
    assert.equal(resultOf(outcome, 'c').notStartedBecause, 'b was not started (a failed (status 1))');
    assert.equal(resultOf(outcome, 'd').notStartedBecause, 'c was not started (b was not started (a failed (status 1)))');
    assert.equal(resultOf(outcome, 'e').notStartedBecause, 'd was not started (c was not started (b was not started (a failed (status 1))))');
    assert.ok(output.indexOf('e', 'not-started', /^not started: d was not started/) >= 0, output.dump());
  });

  test('completed: a failed task that nothing depends on ends the run with its status: no dependent said its status does not matter', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([spec('lint', 'exit 3', { task: true }), spec('main', 'sleep 1', { main: true })]);
    assert.equal(outcome.exitCode, 3, output.dump());
    assert.equal(outcome.failure?.name, 'lint', output.dump());
    assert.equal(output.of('lint', 'tolerated').length, 0, output.dump());
  });

  test('completed: a task that fails does not end the run when every dependent waits only for it to complete', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('seed', 'echo seeding failed >&2; exit 4', { task: true }),
      spec('web', 'echo web ran after seed', { dependsOn: [{ name: 'seed', condition: 'completed' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(output.indexOf('web', 'stdout', /web ran after seed/) >= 0, output.dump());
    assert.ok(output.indexOf('seed', 'tolerated', /the run goes on/) >= 0, 'a state line says the failure is tolerated');
    assert.equal(resultOf(outcome, 'seed').result, 'exited with status 4');
  });

  test('completed: the same task with one `succeeded` dependent among them fails the run', BOUNDED, async () => {
    // Control for the test above: one dependent that cares about the status is enough.
    const { outcome, output } = await runToEnd([
      spec('seed', 'exit 4', { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'seed', condition: 'completed' }] }),
      spec('api', 'echo api ran', { dependsOn: [{ name: 'seed', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 4, output.dump());
    assert.equal(resultOf(outcome, 'api').notStartedBecause, 'seed failed (status 4)');
  });

  test('completed: a task that cannot even start did not complete: it fails the run (127), its dependent never runs', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('seed', ['no-such-program-subvisor-test'], { task: true }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'seed', condition: 'completed' }] }),
    ]);
    assert.equal(outcome.exitCode, 127, output.dump());
    assert.equal(output.indexOf('seed', 'tolerated'), -1, 'no state line says the run goes on');
    assert.equal(resultOf(outcome, 'web').notStartedBecause, 'seed failed (could not start)');
  });

  test('a task with a ready probe that exits 0 before the probe passes succeeded: it is not retried, and `succeeded` dependents start', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('migrate', 'echo migrating; echo ran >> "$DIR/migrate-runs"', {
        task: true,
        ready: logProbe(/never printed/),
        restart: { policy: 'on-failure', max: 2, backoffMs: 20, maxBackoffMs: 1000, resetAfterMs: 60_000 },
        env: { DIR: scratch },
      }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'migrate', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(readFileSync(join(scratch, 'migrate-runs'), 'utf8'), 'ran\n', 'the task ran once');
    assert.equal(resultOf(outcome, 'migrate').result, 'exited 0');
    assert.ok(output.indexOf('migrate', 'exited', /^exited with status 0 after .*, before it was ready$/) >= 0, output.dump());
    assert.ok(output.indexOf('web', 'stdout', /web ran/) >= 0, output.dump());
  });

  test('a task that exits 0 before its ready probe passed leaves its `ready` dependents not started, with the reason', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('seed', 'echo seeded', { task: true, ready: logProbe(/never printed/) }),
      spec('web', 'echo web ran', { dependsOn: [{ name: 'seed', condition: 'ready' }], main: true }),
    ]);
    assert.equal(output.indexOf('web', 'stdout'), -1, output.dump());
    assert.equal(resultOf(outcome, 'web').notStartedBecause, 'seed exited before it was ready');
    assert.equal(outcome.exitCode, 1, output.dump());
    // The run's failure is its main process's: never started, said with a class, a code and the reason.
    const error = outcome.failure?.error;
    assert.ok(error instanceof MainNotStarted, output.dump());
    assert.deepEqual({ name: outcome.failure?.name, code: error.code, processName: error.processName, reason: error.reason, message: error.message }, {
      name: 'web',
      code: 'ERR_SUBVISOR_MAIN_NOT_STARTED',
      processName: 'web',
      reason: 'seed exited before it was ready',
      message: 'not started: seed exited before it was ready',
    });
  });

  test('a task with a restart policy is retried on failure, never after success', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      // Fails on its first run only: the marker is in the shell's own environment, so each attempt writes its own file.
      spec('setup', 'if [ -e "$DIR/setup-ran" ]; then echo second run; else touch "$DIR/setup-ran"; exit 1; fi', {
        task: true,
        restart: { policy: 'always', max: 5, backoffMs: 20, maxBackoffMs: 1000, resetAfterMs: 60_000 },
        env: { DIR: scratch },
      }),
      spec('app', 'echo app ran', { dependsOn: [{ name: 'setup', condition: 'succeeded' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(resultOf(outcome, 'setup').restarts, 1, 'once after the failure, not again after the success');
    assert.ok(output.indexOf('app', 'stdout', /app ran/) > output.indexOf('setup', 'stdout', /second run/));
  });
});
