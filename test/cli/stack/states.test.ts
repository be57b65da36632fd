// The states `subvisor ps` shows are SPEC §10's words: a process killed by signal N is `exited
// 128+N` (as a shell and subvisor's own exit status say it), one that could not start is
// `not started: REASON`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcessState } from '../../../src/cli/stack/state.js';
import { spec, startStack } from './support.js';

const BOUNDED = { timeout: 20_000 };

type Run = ReturnType<typeof startStack>;

/** The state `ps` shows for `name` in `run`. */
function stateOf(run: Run, name: string): string | undefined {
  return run.stack.ps().find((row) => row.name === name)?.state;
}

/** Waits (up to 10 s) until `name`'s state matches `wanted`; that state. */
async function untilState(run: Run, name: string, wanted: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = stateOf(run, name);
    if (state !== undefined && wanted.test(state)) return state;
    if (Date.now() > deadline) throw new Error(`state is ${state}, waited for ${String(wanted)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A task `name` running `cmd`, and `waiter`, which waits for it only to complete: the task's
 * failure does not end the run.
 */
function taskAndWaiter(name: string, cmd: string): Run {
  return startStack([spec(name, cmd, { task: true }), spec('waiter', 'exec sleep 30', { dependsOn: [{ name, condition: 'completed' }] })]);
}

describe('ps states', () => {
  test('a process killed by SIGKILL is `exited 137`; one whose command is missing is `not started: ...`', BOUNDED, async () => {
    const run = taskAndWaiter('killed', 'kill -9 $$');
    try {
      assert.equal(await untilState(run, 'killed', /^exited/), 'exited 137');
    } finally {
      await run.stop();
    }
    // One that could not start ends the run (it did not complete): its state says why, after it.
    const missing = startStack([spec('missing', ['/nonexistent/program'], { task: true })]);
    assert.equal((await missing.done).exitCode, 127);
    assert.match(stateOf(missing, 'missing') ?? '', /^not started: .+/);
  });
});

describe('a string cmd runs under sh', () => {
  test('sh cannot find its command: the task exits 127 (it did start), so a dependent waiting for it to complete runs', BOUNDED, async () => {
    const run = taskAndWaiter('t', 'no-such-command-anywhere');
    try {
      assert.equal(await untilState(run, 't', /^(exited|not started: )/), 'exited 127');
      assert.equal(await untilState(run, 'waiter', /^running$/), 'running');
    } finally {
      assert.equal((await run.stop(130)).exitCode, 130, 'the run went on until stopped');
    }
  });
});

describe('the summary duration of a life (ProcessState)', () => {
  test('from the first spawn to the last exit; an attempt whose exit never came does not borrow the one before', () => {
    const start = performance.now();
    const restarted = new ProcessState('web');
    restarted.spawned(101, false, start - 3000);
    restarted.exited(start - 2000);
    restarted.spawned(102, false, start - 1000);
    restarted.exited(start - 500);
    restarted.ended('exited 0');
    assert.ok(Math.abs((restarted.result().durationMs ?? 0) - 2500) < 1e-6, `first spawn to last exit: ${restarted.result().durationMs} ms`);

    const refused = new ProcessState('web');
    refused.spawned(101, false, start - 3000);
    refused.exited(start - 2000);
    refused.spawned(102, false, start - 1000); // its exit never comes: the stop was refused
    refused.ended('failed');
    assert.ok((refused.result().durationMs ?? 0) >= 3000, `the life ran on past the first exit: ${refused.result().durationMs} ms`);
  });
});
