// A long wait for a ready probe is said: `still not ready after D; last try: ...`, at growing
// intervals, and never once the wait is over. Real processes, real servers; the first line is
// brought from 30 s down to a few hundred ms.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, mock, test } from 'node:test';
import type { Probe } from '../../../src/cli/config/index.js';
import { sayWhileNotReady } from '../../../src/cli/stack/still-not-ready.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { freePort } from '../../support/network.js';
import { waitUntil } from '../../support/processes.js';
import { runToEnd, scratchDir, spec, startStack, type RecordingOutput, type Recorded } from './support.js';

checkNothingLeaksAroundEachTest();
const BOUNDED = { timeout: 30_000 };
const TIMING = { intervalMs: 50, timeoutMs: 2000, startPeriodMs: 0 };
const FIRST_MS = 200;
/** The first line's wait where a test counts the lines that follow it. */
const SPACED_FIRST_MS = 500;

function stillNotReady(output: RecordingOutput, name: string): Recorded[] {
  return output.of(name, 'still-not-ready');
}

/** The first line of `name` that tells a finished try (on a loaded machine the first try may outlast the first line). */
function firstWithATry(output: RecordingOutput, name: string): Recorded | undefined {
  return stillNotReady(output, name).find((record) => record.text.includes('; last try: '));
}

/** No still-not-ready line of `name` after the first record of `kind`, which came. */
function assertNoneAfter(output: RecordingOutput, name: string, kind: string): void {
  const at = output.indexOf(name, kind);
  assert.ok(at >= 0, `no ${kind} line:\n${output.dump()}`);
  const after = output.records.slice(at).filter((record) => record.name === name && record.kind === 'still-not-ready');
  assert.deepEqual(after, [], output.dump());
}

describe('a process waiting long for its ready probe is said to be, with its last try', () => {
  test('each kind of failing try reads as a liveness failure does, with the fields of a probe failure', BOUNDED, async () => {
    const closedPort = await freePort();
    // Listening before the run, so that its first try is answered: a server started as a process may not be, by the first line.
    const server = createServer((_request, response) => {
      response.statusCode = 503;
      response.end('starting');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const servedPort = (server.address() as AddressInfo).port; // listening on TCP, so an AddressInfo
    const probes: Record<string, { ready: Probe }> = {
      shell: { ready: { kind: 'exec', cmd: 'pg_isready-typo -h /tmp', ...TIMING } },
      argv: { ready: { kind: 'exec', cmd: ['pg_isready-typo', '-h', '/tmp'], ...TIMING } },
      failing: { ready: { kind: 'exec', cmd: 'echo "no response" >&2; exit 2', ...TIMING } },
      status: { ready: { kind: 'http', url: `http://127.0.0.1:${servedPort}/health`, status: undefined, ...TIMING } },
      refused: { ready: { kind: 'http', url: `http://127.0.0.1:${closedPort}/health`, status: undefined, ...TIMING } },
      tcp: { ready: { kind: 'tcp', host: '127.0.0.1', port: closedPort, ...TIMING } },
    };
    const names = Object.keys(probes);
    const running = startStack(
      names.map((name) => spec(name, 'exec sleep 30', { ready: probes[name]?.ready })),
      { stillNotReadyFirstMs: FIRST_MS },
    );
    try {
      await waitUntil(() => names.every((name) => firstWithATry(running.output, name) !== undefined), 'a line with a try for each', 20_000);
    } finally {
      await running.stop();
      await new Promise((resolve) => server.close(resolve));
    }
    const said = (name: string): Recorded => firstWithATry(running.output, name) as Recorded; // waited for above
    assert.match(said('shell').text, /^still not ready after \d+\.?\d* m?s; last try: \S*sh: .*pg_isready-typo: .*not found \(exit status 127\)$/);
    assert.deepEqual(said('shell').fields?.probeExit, { returncode: 127, signal: null });
    assert.match(said('argv').text, /; last try: cannot start pg_isready-typo -h \/tmp: pg_isready-typo was not found on PATH/);
    assert.equal(said('argv').fields?.probeExit, undefined);
    assert.match(said('failing').text, /; last try: no response \(exit status 2\)$/);
    assert.deepEqual(said('failing').fields, { afterMs: said('failing').fields?.afterMs, probeOutput: 'no response', probeExit: { returncode: 2, signal: null } });
    assert.match(said('status').text, /; last try: HTTP 503$/);
    assert.match(said('refused').text, /; last try: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.match(said('tcp').text, /; last try: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.equal(stillNotReady(running.output, 'tcp')[0]?.fields?.afterMs, FIRST_MS);
  });

  test('the lines come at twice the wait each time', BOUNDED, async () => {
    const ready: Probe = { kind: 'exec', cmd: 'exit 1', ...TIMING };
    // Spaced widely: a line that comes later than the wait before it skips the next (as after a
    // Ctrl-Z), and a loaded machine's timer may be 100 ms late, never 500.
    const running = startStack([spec('db', 'exec sleep 30', { ready })], { stillNotReadyFirstMs: SPACED_FIRST_MS });
    try {
      await waitUntil(() => stillNotReady(running.output, 'db').length >= 3, 'three lines', 20_000);
    } finally {
      await running.stop();
    }
    assert.deepEqual(stillNotReady(running.output, 'db').slice(0, 3).map((record) => record.fields?.afterMs), [SPACED_FIRST_MS, 2 * SPACED_FIRST_MS, 4 * SPACED_FIRST_MS]);
    assert.match(stillNotReady(running.output, 'db')[0]?.text ?? '', /^still not ready after 500 ms; /);
  });

  test('nothing more once the probe passes', BOUNDED, async () => {
    const dir = scratchDir('subvisor-still-not-ready-');
    const ready: Probe = { kind: 'exec', cmd: 'test -e ready.flag', ...TIMING };
    // It is ready after its first lines, and lives on past the ones that would have followed.
    const { outcome, output } = await runToEnd(
      [spec('db', 'sleep 0.5; touch ready.flag; exec sleep 30', { cwd: dir, ready }), spec('later', 'exec sleep 2', { dependsOn: [{ name: 'db', condition: 'ready' }], main: true })],
      { stillNotReadyFirstMs: 100 },
    );
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(stillNotReady(output, 'db').length > 0, `no line before it was ready:\n${output.dump()}`);
    assertNoneAfter(output, 'db', 'ready');
  });

  test('nothing more once the process exits, though what it left holds its output', BOUNDED, async () => {
    const ready: Probe = { kind: 'exec', cmd: 'exit 1', ...TIMING };
    // The leftover holds the pipes for 2 s past the exit: the wait ends only once they are drained (or given up).
    const { output } = await runToEnd([spec('db', ['sh', '-c', '(sleep 2; :) & sleep 0.5; echo bye; exit 3', 'sh'], { ready })], { stillNotReadyFirstMs: 100 });
    assert.ok(stillNotReady(output, 'db').length > 0, `no line before it exited:\n${output.dump()}`);
    assertNoneAfter(output, 'db', 'stdout');
  });

  test('nothing more once it is stopped, though its try takes a while to cut', BOUNDED, async () => {
    // A try deaf to SIGTERM is cut only by SIGKILL, 500 ms into the stop.
    const ready: Probe = { kind: 'exec', cmd: 'trap "" TERM; sleep 20', ...TIMING, timeoutMs: 20_000 };
    const running = startStack([spec('db', 'exec sleep 30', { ready })], { stillNotReadyFirstMs: 100 });
    try {
      await waitUntil(() => stillNotReady(running.output, 'db').length > 0, 'a line', 20_000);
    } finally {
      await running.stop();
    }
    assert.equal(stillNotReady(running.output, 'db')[0]?.text, 'still not ready after 100 ms; no try has finished yet');
    assertNoneAfter(running.output, 'db', 'stopping');
  });

  test('nothing more of an attempt once it is restarted: the next one counts from its own start', BOUNDED, async () => {
    const ready: Probe = { kind: 'exec', cmd: 'trap "" TERM; sleep 20', ...TIMING, timeoutMs: 20_000 };
    const running = startStack([spec('db', 'exec sleep 30', { ready }), spec('main', 'exec sleep 30', { main: true })], { stillNotReadyFirstMs: 100 });
    try {
      await waitUntil(() => stillNotReady(running.output, 'db').length > 0, 'a line', 20_000);
      // Resolves once db is ready again, which it never is: the run's stop ends it.
      const restarted = running.stack.restart(['db']).catch(() => undefined);
      const spawned = (): Recorded[] => running.output.of('db', 'starting').filter((record) => record.fields?.pid !== undefined);
      await waitUntil(() => spawned().length === 2, 'the second spawn', 20_000);
      const stopAt = running.output.indexOf('db', 'stopping');
      const startAt = running.output.records.indexOf(spawned()[1] as Recorded); // waited for above
      await waitUntil(() => running.output.records.slice(startAt).some((record) => record.name === 'db' && record.kind === 'still-not-ready'), 'a line of the second attempt', 20_000);
      assert.deepEqual(running.output.records.slice(stopAt, startAt).filter((record) => record.kind === 'still-not-ready'), [], running.output.dump());
      assert.equal(running.output.records.slice(startAt).find((record) => record.kind === 'still-not-ready')?.fields?.afterMs, 100);
      await running.stop();
      await restarted;
    } finally {
      await running.stop();
    }
  });

  test('a readyTimeout ends them: none at or past it', BOUNDED, async () => {
    const ready: Probe = { kind: 'exec', cmd: 'exit 1', ...TIMING };
    // Spaced as above; the deadline falls between the third line and the fourth.
    const { outcome, output } = await runToEnd([spec('db', 'exec sleep 30', { ready, readyTimeoutMs: 4.5 * SPACED_FIRST_MS })], { stillNotReadyFirstMs: SPACED_FIRST_MS });
    assert.equal(outcome.exitCode, 124, output.dump());
    assert.deepEqual(stillNotReady(output, 'db').map((record) => record.fields?.afterMs), [SPACED_FIRST_MS, 2 * SPACED_FIRST_MS, 4 * SPACED_FIRST_MS]);
    const short = await runToEnd([spec('db', 'exec sleep 30', { ready, readyTimeoutMs: 100 })], { stillNotReadyFirstMs: 100 });
    assert.equal(short.outcome.exitCode, 124, short.output.dump());
    assert.deepEqual(stillNotReady(short.output, 'db'), []);
  });
});

test('a line whose time passed while the loop was held (subvisor suspended) is not said late, nor those after it in a burst: the next is the next still ahead', BOUNDED, async () => {
  const said: number[] = [];
  const abort = new AbortController();
  await sayWhileNotReady(50, 60_000, (afterMs) => {
    said.push(afterMs);
    if (said.length === 1) {
      // Held as a stopped process is: the 100 ms and 200 ms lines come due meanwhile.
      const until = performance.now() + 450;
      while (performance.now() < until);
    } else abort.abort();
  }, abort.signal);
  assert.equal(said[0], 50);
  assert.ok((said[1] ?? 0) >= 800, `said after ${said.join(', ')} ms`);
});

test('past 10 min the lines come every 10 min, no longer twice the wait: a wait left on for hours says so now and then', BOUNDED, async () => {
  // No ten minutes here: the timers are Node's mock, moved on a minute at a time, from the real
  // first line at 30 s. The wait's own clock (performance.now) stands still meanwhile, so no line
  // is taken for one held up and skipped.
  mock.timers.enable({ apis: ['setTimeout'] });
  const said: number[] = [];
  const abort = new AbortController();
  try {
    const waiting = sayWhileNotReady(30_000, Infinity, (afterMs) => {
      said.push(afterMs);
      if (said.length === 9) abort.abort();
    }, abort.signal);
    // A minute at a time, with a turn of the loop for the next timer to be set (a tick before it
    // is set only puts it off); bounded: a schedule short of nine lines in ten hours fails below.
    for (let minutes = 0; minutes < 600 && !abort.signal.aborted; minutes++) {
      mock.timers.tick(60_000);
      await new Promise((turn) => setImmediate(turn));
    }
    abort.abort();
    await waiting;
  } finally {
    mock.timers.reset();
  }
  assert.deepEqual(said, [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_560_000, 2_160_000, 2_760_000]);
});
