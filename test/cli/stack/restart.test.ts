// Restart policies (SPEC §9): the budget's rules on their own, then with real processes.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { NO_RESTART, logProbe, type RestartPolicy } from '../../../src/cli/config/index.js';
import { RestartBudget } from '../../../src/cli/stack/restart.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { resultOf, runToEnd, scratchDir, spec } from './support.js';

checkNothingLeaksAroundEachTest();
const BOUNDED = { timeout: 30_000 };
const scratch = scratchDir('subvisor-restart-');

function policy(extra: Partial<RestartPolicy>): RestartPolicy {
  return { ...NO_RESTART, policy: 'on-failure', ...extra };
}

describe('the restart budget', () => {
  test('the delay doubles from backoff up to maxBackoff; after max restarts in a row it gives up', () => {
    const budget = new RestartBudget(policy({ max: 5, backoffMs: 100, maxBackoffMs: 500 }), false);
    const delays = [1, 2, 3, 4, 5].map(() => budget.next(true, 10)).map((decision) => (decision.restart ? decision.delayMs : undefined));
    assert.deepEqual(delays, [100, 200, 400, 500, 500]);
    assert.deepEqual(budget.next(true, 10), { restart: false, budgetSpent: 5 });
  });

  test('an attempt that stayed up longer than resetAfter starts the count again', () => {
    const budget = new RestartBudget(policy({ max: 1, backoffMs: 100, resetAfterMs: 1000 }), false);
    assert.equal(budget.next(true, 10).restart, true);
    assert.equal(budget.next(true, 10).restart, false, 'control: a quick second failure spends the budget of one');
    const again = new RestartBudget(policy({ max: 1, backoffMs: 100, resetAfterMs: 1000 }), false);
    assert.equal(again.next(true, 10).restart, true);
    assert.deepEqual(again.next(true, 1500), { restart: true, delayMs: 100, number: 1, max: 1 }, 'up 1.5 s: counted from the start, backoff too');
  });

  test('which exits restart: no never, on-failure after a failure, always after any exit but a task success', () => {
    const after = (name: RestartPolicy['policy'], task: boolean, failed: boolean): boolean => new RestartBudget(policy({ policy: name }), task).next(failed, 0).restart;
    assert.deepEqual([after('no', false, true), after('no', false, false)], [false, false]);
    assert.deepEqual([after('on-failure', false, true), after('on-failure', false, false)], [true, false]);
    assert.deepEqual([after('always', false, true), after('always', false, false)], [true, true]);
    assert.deepEqual([after('always', true, true), after('always', true, false)], [true, false]);
  });

  test('an attempt healthy exactly resetAfter is not longer than it: the count goes on', () => {
    const budget = new RestartBudget(policy({ max: 1, backoffMs: 100, resetAfterMs: 1000 }), false);
    budget.next(true, 10);
    assert.deepEqual(budget.next(true, 1000), { restart: false, budgetSpent: 1 });
  });

  test('wouldRestart answers as next would, without spending the budget', () => {
    const budget = new RestartBudget(policy({ max: 1, backoffMs: 100, resetAfterMs: 1000 }), false);
    assert.equal(budget.wouldRestart(true, 10), true);
    assert.equal(budget.wouldRestart(false, 10), false, 'on-failure: a success is not restarted');
    assert.equal(budget.next(true, 10).restart, true, 'asking spent nothing');
    assert.equal(budget.wouldRestart(true, 10), false, 'the budget of one is spent');
    assert.equal(budget.wouldRestart(true, 1000), false, 'up exactly resetAfter: not longer');
    assert.equal(budget.wouldRestart(true, 1500), true, 'up longer than resetAfter: counted from the start');
    assert.equal(budget.next(true, 10).restart, false, 'asking reset nothing');
  });

  test('a manual start resets the count', () => {
    const budget = new RestartBudget(policy({ max: 1 }), false);
    budget.next(true, 0);
    budget.reset();
    assert.equal(budget.next(true, 0).restart, true);
  });
});

describe('restart policies with real processes', () => {
  test('on-failure: restarted up to max with doubling backoff, each restart a state line with its reason; then the run fails', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([spec('flaky', 'echo attempt >&2; exit 2', { restart: policy({ max: 2, backoffMs: 50 }) })]);
    assert.equal(outcome.exitCode, 2, output.dump());
    const restarts = output.of('flaky', 'restarting');
    assert.deepEqual(restarts.map((record) => record.fields?.backoffMs), [50, 100]);
    assert.match(restarts[0]?.text ?? '', /^restarting in 50 ms \(exited with status 2; restart 1 of 2\)$/);
    assert.equal(output.of('flaky', 'stderr').length, 3, 'the first run and two restarts');
    assert.equal(resultOf(outcome, 'flaky').restarts, 2);
    // One failed event per exit, the last one saying the budget is spent.
    const failed = output.of('flaky', 'failed');
    assert.deepEqual(failed.map((record) => record.fields?.returncode), [2, 2, 2], output.dump());
    assert.equal(failed[2]?.text, 'exited with status 2; giving up: no restarts left (2 of 2 used)');
    assert.deepEqual(failed.map((record) => record.fields?.givingUp), [undefined, undefined, true]);
  });

  test('on-failure: a readiness failure (not ready within readyTimeout) is restarted as a failure is', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([spec('db', 'exec sleep 30', { ready: logProbe(/never printed/), readyTimeoutMs: 200, restart: policy({ max: 1, backoffMs: 10 }) })]);
    assert.equal(outcome.exitCode, 124, output.dump());
    assert.match(output.of('db', 'restarting')[0]?.text ?? '', /^restarting in 10 ms \(was not ready within 200 ms \(no output line matched \/never printed\/\); restart 1 of 1\)$/);
    assert.equal(resultOf(outcome, 'db').restarts, 1);
    // Each attempt's stop is said: the first one's line does not stand for the second's.
    assert.deepEqual(output.of('db', 'stopping').map((record) => record.text), Array(2).fill('stopping (not ready within 200 ms): SIGTERM to its process group'), output.dump());
  });

  test('maxBackoff caps the doubling', BOUNDED, async () => {
    const { output } = await runToEnd([spec('flaky', 'exit 1', { restart: policy({ max: 4, backoffMs: 20, maxBackoffMs: 50 }) })]);
    assert.deepEqual(output.of('flaky', 'restarting').map((record) => record.fields?.backoffMs), [20, 40, 50, 50]);
  });

  test('always: a process that exits 0 is restarted too; once the budget is spent its last exit (0) decides', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([spec('beat', 'echo beat', { restart: policy({ policy: 'always', max: 2, backoffMs: 10 }) })]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('beat', 'stdout').length, 3);
    assert.equal(resultOf(outcome, 'beat').restarts, 2);
    assert.equal(resultOf(outcome, 'beat').result, 'exited 0');
    assert.match(output.of('beat', 'restarting')[0]?.text ?? '', /\(exited with status 0; restart 1 of 2\)/);
  });

  test('always on a main process: its exits 0 restart it until the budget is spent; the last one ends the run with 0, stopping the rest', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('server', 'exec sleep 30'),
      spec('client', 'echo ran', { main: true, restart: policy({ policy: 'always', max: 2, backoffMs: 10 }) }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('client', 'stdout').length, 3, 'the first run and two restarts');
    assert.equal(resultOf(outcome, 'server').result, 'stopped', 'the main\'s last exit ended the run');
  });

  test('always: once the budget is spent a last exit that failed fails the run', BOUNDED, async () => {
    const { outcome } = await runToEnd([spec('beat', 'exit 6', { restart: policy({ policy: 'always', max: 1, backoffMs: 10 }) })]);
    assert.equal(outcome.exitCode, 6);
    assert.equal(outcome.failure?.name, 'beat');
  });

  test('resetAfter: a process that stays up long enough between crashes never runs out of restarts', BOUNDED, async () => {
    // Each attempt is up ~300 ms, then fails, three times; the fourth exits 0. With max 1, only
    // the reset lets it get that far.
    const crashing = (dir: string): string =>
      `n=$(ls "${dir}" | wc -l); touch "${dir}/run-$n"; sleep 0.3; if [ "$n" -lt 3 ]; then echo "crash $n" >&2; exit 1; fi; echo done`;
    const withReset = `${scratch}/reset`;
    const withoutReset = `${scratch}/no-reset`;
    for (const dir of [withReset, withoutReset]) mkdirSync(dir);
    const reset = await runToEnd([spec('server', crashing(withReset), { restart: policy({ max: 1, backoffMs: 10, resetAfterMs: 150 }) })]);
    assert.equal(reset.outcome.exitCode, 0, reset.output.dump());
    assert.equal(resultOf(reset.outcome, 'server').restarts, 3);
    // Control: the same process without the reset gives up after its one restart.
    const noReset = await runToEnd([spec('server', crashing(withoutReset), { restart: policy({ max: 1, backoffMs: 10, resetAfterMs: 60_000 }) })]);
    assert.equal(noReset.outcome.exitCode, 1, noReset.output.dump());
    assert.equal(resultOf(noReset.outcome, 'server').restarts, 1);
  });

  test('a stop the run asked for is never counted as a crash: no restart, result stopped', BOUNDED, async () => {
    const { outcome, output } = await runToEnd([
      spec('server', 'exec sleep 30', { restart: policy({ policy: 'always', max: 5, backoffMs: 10 }) }),
      spec('main', 'sleep 0.2', { main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(resultOf(outcome, 'server').restarts, 0);
    assert.equal(resultOf(outcome, 'server').result, 'stopped');
    assert.equal(output.of('server', 'restarting').length, 0);
  });
});
