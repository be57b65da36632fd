// A child the system refuses to stop (EPERM: it now runs as a user the parent may not signal) is
// reported, never a crash: the supervising call rejects at once with a StopDeniedError naming it,
// the parent can still finish, and the child is left running (there is no other choice). Staged as
// root: the parent runs without CAP_KILL (test/fixtures/hardening/stop-denied.ts), its child
// switches to uid 65534, which is what a non-root parent meets when its child runs a setuid
// program. Before, the refusal was an unhandled rejection that killed the parent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { killQuietly } from '../../support/processes.js';
import { groupMembers, isRunning, killTagged, runningTagged, startFixture, stopFixture, type Fixture } from './probes.js';

const FIXTURE = 'test/fixtures/hardening/stop-denied.ts';
const BOUNDED = { timeout: 30_000 };
const WITHOUT_KILL = ['setpriv', '--bounding-set', '-kill', '--inh-caps', '-kill'];
const ROOT = process.getuid?.() === 0;

interface Denied {
  readonly name: string;
  /** The name of the error it was being stopped for. */
  readonly cause: string | undefined;
  readonly code: string;
  readonly message: string;
  readonly pid: number;
  readonly signal: string;
}

interface Run {
  readonly fixture: Fixture;
  /** The process that cannot be stopped (the fixture's child). */
  readonly pid: number;
}

async function startParent(mode: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const fixture = startFixture(FIXTURE, [mode], { execVia: WITHOUT_KILL, env: { ...process.env, SUBVISOR_WATCHDOG: '0', ...env } });
  const { pid } = JSON.parse(await fixture.firstLine) as { pid: number };
  return { fixture, pid };
}

/** What the fixture said its supervising call (and Process.stop()) ended with. */
async function outcomeOf(run: Run): Promise<{ call: Denied[] | string; stop?: Denied[] | string; terminate?: string; ms: number }> {
  assert.deepEqual(await run.fixture.exited, { code: 0, signal: null }, 'the parent finished on its own: nothing held its event loop, nothing crashed');
  const last = run.fixture.stdout().trim().split('\n').at(-1) ?? '';
  return (JSON.parse(last) as { outcome: { call: Denied[] | string; stop?: Denied[] | string; terminate?: string; ms: number } }).outcome;
}

function assertDenied(errors: Denied[] | string | undefined, pid: number, signal: string): void {
  assert.ok(Array.isArray(errors) && errors.length === 1, `one error, got ${JSON.stringify(errors)}`);
  const [error] = errors as [Denied];
  assert.equal(error.name, 'StopDeniedError');
  assert.equal(error.code, 'ERR_SUBVISOR_STOP_DENIED');
  assert.equal(error.pid, pid);
  assert.equal(error.signal, signal);
  assert.match(error.message, new RegExp(`${signal} to .* was refused \\(EPERM\\).* it is left running\\. Stop it as its user or as root`));
}

/**
 * As anyone but root, setpriv may not drop CAP_KILL, so none of this can be staged: what is checked
 * then is that it cannot (CI runs as root, and runs all of it).
 */
function unlessStageable(): boolean {
  if (ROOT) return false;
  const staged = spawnSync(WITHOUT_KILL[0] as string, [...WITHOUT_KILL.slice(1), 'true']);
  assert.notEqual(staged.status, 0, 'setpriv dropped CAP_KILL without root: stage the tests below as this user too');
  return true;
}

/** Whether what could not be stopped still runs: the child, or (leftover) the process its group still holds. */
function leftRunning(pid: number, mode: string): boolean {
  return mode === 'leftover' ? groupMembers(pid).includes('sleep') : isRunning(pid);
}

/** Root may signal them all, CAP_KILL or not: the test's own cleanup. */
function killForeign(pid: number, mode: string): void {
  if (mode !== 'own-group') {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  killQuietly(pid);
}

describe('a child the system refuses to stop', () => {
  const cases: [mode: string, what: string, signal: string, group: boolean][] = [
    ['cancel', 'cancelling its scope', 'SIGTERM', true],
    ['own-group', 'cancelling it without a session of its own (newSession: false)', 'SIGTERM', false],
    ['sibling', 'its group holding a process we may signal: the stop goes as far as SIGKILL', 'SIGKILL', true],
    ['leftover', 'its leader exits on SIGTERM, leaving a member of its group we may not signal', 'SIGTERM', true],
    ['hook-fails', 'a deliverCancel that throws, with an infinite grace: its fallback signal is refused', 'SIGTERM', true],
    // Before, its refusal waited for a SIGKILL that an infinite grace never sends: the call never settled.
    ['hook-stops', 'a deliverCancel that calls its own Process.stop() from a timer, with an infinite grace: the stop signal it sends is refused', 'SIGTERM', true],
    // The one refusal reaches the nursery twice, from the body and from the supervising call: one error.
    ['stop-awaited', 'Process.stop() awaited bare by the nursery\'s body', 'SIGTERM', true],
    // And once when the second path runs through a nested nursery, inside its group.
    ['stop-nested', 'Process.stop() awaited in a nested nursery\'s task', 'SIGTERM', true],
  ];
  for (const [mode, what, signal, group] of cases) {
    test(`${what}: the call rejects with StopDeniedError, the parent finishes, the child is left running`, BOUNDED, async () => {
      if (unlessStageable()) return;
      const run = await startParent(mode);
      try {
        const outcome = await outcomeOf(run);
        assertDenied(outcome.call, run.pid, signal);
        assert.match((outcome.call as Denied[])[0]?.message ?? '', group ? new RegExp(`\`kill -- -${run.pid}\``) : new RegExp(`\`kill ${run.pid}\``));
        // At once, not after an endless wait for an exit: the grace (300 ms) and SIGKILL's settle time at most.
        assert.ok(outcome.ms < 5000, `rejected after ${outcome.ms} ms`);
        assert.ok(leftRunning(run.pid, mode), 'what it could not stop still runs: the error is true');
        assert.match(run.fixture.stderr(), /warning .*cannot stop/, 'the library warned on its logger too');
        if (mode === 'cancel') assert.equal((outcome.call as Denied[])[0]?.cause, 'Cancelled', 'why it was being stopped is kept as the cause');
      } finally {
        await stopFixture(run.fixture);
        killForeign(run.pid, mode);
      }
    });
  }

  test('what the child started in a session of its own and may not be signalled is left as it is: a stop with an infinite grace still ends once the group is gone', BOUNDED, async () => {
    // Before, the stop waited for it to be gone, which it never was: the call never settled.
    if (unlessStageable()) return;
    const tag = randomUUID();
    const run = await startParent('escapee', { SUBVISOR_TEST_TAG: tag });
    try {
      const outcome = await outcomeOf(run);
      assert.equal(outcome.call, 'resolved');
      assert.ok(outcome.ms < 5000, `resolved after ${outcome.ms} ms`);
      assert.equal(isRunning(run.pid), false, 'the shell died of its SIGTERM');
      assert.equal(runningTagged(tag).length, 1, 'what it could not stop still runs (control)');
    } finally {
      await stopFixture(run.fixture);
      killTagged(tag);
    }
  });

  test('Process.terminate() throws EPERM; Process.stop() rejects with StopDeniedError', BOUNDED, async () => {
    if (unlessStageable()) return;
    const run = await startParent('stop');
    try {
      const outcome = await outcomeOf(run);
      assert.equal(outcome.terminate, 'EPERM', 'Process.terminate() throws the refusal, as Python\'s send_signal raises it');
      assertDenied(outcome.stop, run.pid, 'SIGTERM');
      assertDenied(outcome.call, run.pid, 'SIGTERM');
    } finally {
      await stopFixture(run.fixture);
      killForeign(run.pid, 'stop');
    }
  });

  test('SIGTERM to the parent: it dies of SIGTERM once its other child had its grace, the refusal never uncaught', BOUNDED, async () => {
    if (unlessStageable()) return;
    const run = await startParent('signal');
    try {
      const signalled = performance.now();
      run.fixture.child.kill('SIGTERM');
      assert.deepEqual(await run.fixture.exited, { code: null, signal: 'SIGTERM' }, run.fixture.stderr());
      // The sibling ignores SIGTERM: the parent waited out its grace (1 s), not died of the refusal at once.
      assert.ok(performance.now() - signalled >= 900, `died after ${Math.round(performance.now() - signalled)} ms`);
      assert.doesNotMatch(run.fixture.stderr(), /Unhandled|^\s+at /m);
      assert.ok(isRunning(run.pid), 'the child it could not stop still runs');
    } finally {
      await stopFixture(run.fixture);
      killForeign(run.pid, 'signal');
    }
  });

  test("another user's finished process that nobody reaped is not one left running: the run succeeds", BOUNDED, async () => {
    if (unlessStageable()) return;
    const fixture = startFixture(FIXTURE, ['zombie'], { execVia: WITHOUT_KILL });
    try {
      const { outcome } = JSON.parse(await fixture.firstLine) as { outcome: { call: unknown } };
      assert.deepEqual(outcome.call, { returncode: 0 }, fixture.stderr());
    } finally {
      await stopFixture(fixture);
    }
  });

  test('a child that exits 0 leaving a process of another user running is reported, not passed over', BOUNDED, async () => {
    if (unlessStageable()) return;
    const fixture = startFixture(FIXTURE, ['daemon'], { execVia: WITHOUT_KILL });
    let pgid: number | undefined;
    try {
      const { outcome } = JSON.parse(await fixture.firstLine) as { outcome: { call: Denied[] } };
      pgid = outcome.call[0]?.pid;
      assert.ok(pgid !== undefined && groupMembers(pgid).includes('sleep'), `left running in its group: ${JSON.stringify(outcome)}`);
      assertDenied(outcome.call, pgid, 'SIGTERM');
    } finally {
      await stopFixture(fixture);
      if (pgid !== undefined) killForeign(pgid, 'daemon');
    }
  });
});
