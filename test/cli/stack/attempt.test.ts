// One start of a process at runtime: outside readiness probes, readiness timeouts, liveness, and
// the environment and user a child (and its probes) run with. Real processes, a real HTTP server.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Probe, RestartPolicy } from '../../../src/cli/config/index.js';
import { NO_RESTART } from '../../../src/cli/config/index.js';
import { childEnvironment } from '../../../src/cli/stack/attempt.js';
import { LivenessError, ProbeTimeoutError } from '../../../src/cli/stack/failures.js';
import { checkNothingLeaksAroundEachTest } from '../../support/leaks.js';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { RecordingOutput, resultOf, runToEnd, scratchDir, spec, startStack } from './support.js';
import { Stack, StopRequest } from '../../../src/cli/stack/stack.js';
import { freePort } from '../../support/network.js';
import { skipsWithoutRootAndSetpriv } from '../../support/setpriv.js';

checkNothingLeaksAroundEachTest();
const BOUNDED = { timeout: 30_000 };
const scratch = scratchDir('subvisor-attempt-');
const TIMING = { intervalMs: 50, timeoutMs: 2000, startPeriodMs: 0 };
let dirs = 0;

function freshDir(): string {
  const dir = join(scratch, `d${dirs++}`);
  mkdirSync(dir);
  return dir;
}


const onFailure = (extra: Partial<RestartPolicy> = {}): RestartPolicy => ({ ...NO_RESTART, policy: 'on-failure', backoffMs: 20, ...extra });

describe('readiness probes from outside', () => {
  test('http: a dependent starts only once a real HTTP server child answers 200', BOUNDED, async () => {
    const port = await freePort();
    // The server listens only after 400 ms: a dependent started at the spawn would find nobody.
    const server = `setTimeout(() => require('http').createServer((q, r) => r.end(q.url)).listen(${port}, '127.0.0.1', () => console.log('listening')), 400)`;
    const client = `require('http').get('http://127.0.0.1:${port}/health', (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(9))`;
    const ready: Probe = { kind: 'http', url: `http://127.0.0.1:${port}/health`, status: 200, ...TIMING };
    const { outcome, output } = await runToEnd([
      spec('web', ['node', '-e', server], { ready, readyTimeoutMs: 10_000 }),
      spec('client', ['node', '-e', client], { dependsOn: [{ name: 'web', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const readyAt = output.indexOf('web', 'ready');
    assert.ok(readyAt > output.indexOf('web', 'stdout', /listening/), output.dump());
    assert.ok(readyAt < output.indexOf('client', 'starting'));
    assert.ok(Number(output.of('web', 'ready')[0]?.fields?.afterMs) >= 400);
  });

  test('exec: the probe runs with the process cwd and env, and the dependent waits for it', BOUNDED, async () => {
    const dir = freshDir();
    const ready: Probe = { kind: 'exec', cmd: 'test -e ready.flag && test "$TOKEN" = s3cret', ...TIMING };
    const { outcome, output } = await runToEnd([
      spec('db', 'sleep 0.3; touch ready.flag; exec sleep 30', { cwd: dir, env: { TOKEN: 's3cret' }, ready, readyTimeoutMs: 10_000 }),
      spec('web', ['test', '-e', join(dir, 'ready.flag')], { dependsOn: [{ name: 'db', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(output.indexOf('db', 'ready') < output.indexOf('web', 'starting'));
  });

  test('a readiness timeout stops the process and fails with what the probe said last (status 124)', BOUNDED, async () => {
    const dir = freshDir();
    const ready: Probe = { kind: 'exec', cmd: 'echo "warming up: 40%" >&2; exit 1', ...TIMING };
    const { outcome, output } = await runToEnd([spec('db', `echo $$ > ${dir}/pid; echo 'cannot bind' >&2; exec sleep 30`, { ready, readyTimeoutMs: 400 })]);
    assert.equal(outcome.exitCode, 124, output.dump());
    const { error } = outcome.failure ?? {};
    assert.ok(error instanceof ProbeTimeoutError, String(error));
    // The deadline may come while a try runs: that try is the last, cut short, saying the same.
    assert.match(error.probeOutput, /^warming up: 40%(\n\(still running when the wait ended\))?$/);
    assert.match(error.stderr?.toString() ?? '', /cannot bind/);
    assert.equal(isRunning(Number(readFileSync(join(dir, 'pid'), 'utf8'))), false);
  });

  test("a readiness timeout that cuts a try short reports what that try had printed", BOUNDED, async () => {
    const ready: Probe = { kind: 'exec', cmd: 'echo "waiting for recovery to finish"; exec sleep 30', ...TIMING, timeoutMs: 20_000 };
    const { outcome, output } = await runToEnd([spec('db', 'exec sleep 30', { ready, readyTimeoutMs: 400 })]);
    assert.equal(outcome.exitCode, 124, output.dump());
    const { error } = outcome.failure ?? {};
    assert.ok(error instanceof ProbeTimeoutError, String(error));
    assert.equal(error.probeOutput, 'waiting for recovery to finish\n(still running when the wait ended)');
  });

  test('an argv exec probe whose program the process itself makes is tried until it can start, and passes; before, its first try\'s "not found" failed the process at once', BOUNDED, async () => {
    const dir = freshDir();
    const ready: Probe = { kind: 'exec', cmd: ['./healthcheck'], ...TIMING };
    const makesItsProbe = "sleep 0.3; printf '#!/bin/sh\\nexit 0\\n' > healthcheck; chmod +x healthcheck; exec sleep 30";
    const { outcome, output } = await runToEnd([
      spec('db', makesItsProbe, { cwd: dir, ready }),
      spec('web', ['true'], { dependsOn: [{ name: 'db', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.ok(output.indexOf('db', 'ready') < output.indexOf('web', 'starting'), output.dump());
  });

  test('a process that exits before its probe passes fails, and the probe is not tried again', BOUNDED, async () => {
    const dir = freshDir();
    const ready: Probe = { kind: 'exec', cmd: `echo try >> ${dir}/tries; exit 1`, ...TIMING };
    const { outcome, output } = await runToEnd([spec('db', 'sleep 0.3', { ready })]);
    assert.equal(outcome.exitCode, 1, output.dump());
    assert.match(resultOf(outcome, 'db').result, /exited with status 0 before it was ready/);
    const tries = readFileSync(join(dir, 'tries'), 'utf8').split('\n').length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(readFileSync(join(dir, 'tries'), 'utf8').split('\n').length, tries, 'no try after the exit');
  });

  test('a probe process still running when the run ends is stopped with it, never orphaned', BOUNDED, async () => {
    const dir = freshDir();
    const ready: Probe = { kind: 'exec', cmd: `echo $$ > ${dir}/probe.pid; exec sleep 30`, ...TIMING, timeoutMs: 20_000 };
    const running = startStack([spec('db', 'exec sleep 30', { ready })]);
    let pid = 0;
    try {
      await waitUntil(() => existsSync(join(dir, 'probe.pid')) && readFileSync(join(dir, 'probe.pid'), 'utf8').endsWith('\n'), 'the probe to start');
      pid = Number(readFileSync(join(dir, 'probe.pid'), 'utf8'));
      assert.ok(isRunning(pid));
    } finally {
      await running.stop();
    }
    try {
      await waitUntil(() => !isRunning(pid), 'the probe process to be gone', 3000);
    } finally {
      killQuietly(pid);
    }
  });
});

describe('liveness', () => {
  test('a process that fails its liveness probe is stopped and restarted; the restart line says liveness', BOUNDED, async () => {
    const dir = freshDir();
    // The first attempt never creates the file the probe looks for; the second does, and exits 0 a moment later.
    const cmd = `if [ -e ${dir}/first ]; then touch ${dir}/alive; sleep 0.5; echo healthy; else touch ${dir}/first; exec sleep 30; fi`;
    const liveness = { kind: 'exec' as const, cmd: `test -e ${dir}/alive || { echo "no heartbeat"; exit 1; }`, ...TIMING, failures: 2 };
    const { outcome, output } = await runToEnd([spec('worker', cmd, { liveness, restart: onFailure() })]);
    assert.equal(outcome.exitCode, 0, output.dump());
    const [restart] = output.of('worker', 'restarting');
    assert.match(restart?.text ?? '', /^restarting in 20 ms \(liveness: no heartbeat \(exit status 1\); restart 1 of 3\)$/);
    assert.equal(restart?.fields?.reason, 'liveness');
    assert.equal(resultOf(outcome, 'worker').restarts, 1);
    assert.ok(output.indexOf('worker', 'stdout', /healthy/) > 0);
  });

  test('without a restart policy a liveness failure fails the run, with the probe output', BOUNDED, async () => {
    const liveness = { kind: 'exec' as const, cmd: 'echo "HTTP 503"; exit 1', ...TIMING, failures: 3 };
    const started = performance.now();
    const { outcome, output } = await runToEnd([spec('web', 'echo serving >&2; exec sleep 30', { liveness })]);
    assert.equal(outcome.exitCode, 1, output.dump());
    const { error } = outcome.failure ?? {};
    assert.ok(error instanceof LivenessError, String(error));
    assert.equal(error.failures, 3);
    assert.equal(error.probeOutput, 'HTTP 503');
    assert.deepEqual(error.probeExit, { returncode: 1, signal: null }, 'how the last try exited, as data');
    assert.match(error.stderr?.toString() ?? '', /serving/);
    assert.ok(performance.now() - started < 10_000);
  });

  test("a liveness probe cut at its timeout is said by its reason, not by the progress it printed first", BOUNDED, async () => {
    const liveness = { kind: 'exec' as const, cmd: 'echo "checking the database"; exec sleep 30', ...TIMING, timeoutMs: 200, failures: 1 };
    const { outcome, output } = await runToEnd([spec('web', 'exec sleep 30', { liveness })]);
    const { error } = outcome.failure ?? {};
    assert.ok(error instanceof LivenessError, output.dump());
    assert.equal(error.probeOutput, "checking the database\n(no answer within 200 ms (the probe's timeout))");
    assert.match(error.message, /\(last: \(no answer within 200 ms \(the probe's timeout\)\)\)$/);
  });

  test('liveness begins only once the process is ready', BOUNDED, async () => {
    const dir = freshDir();
    const liveness = { kind: 'exec' as const, cmd: `echo probed >> ${dir}/probes`, ...TIMING, failures: 3 };
    const running = startStack([spec('db', 'sleep 1; echo up; exec sleep 30', { liveness, ready: { kind: 'log', pattern: /up/, ...TIMING } })]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(existsSync(join(dir, 'probes')), false, 'no liveness try before ready');
      await waitUntil(() => existsSync(join(dir, 'probes')), 'a liveness try after ready');
    } finally {
      await running.stop();
    }
  });

  test("liveness's startPeriod runs from the start, not from ready: the wait for readiness counts in it", BOUNDED, async () => {
    const dir = freshDir();
    // Ready 2.5 s after its start; the start period ends 3 s after it. Counted from ready, the
    // first try would come 5.5 s after the start; from the start, 0.5 s after ready.
    const liveness = { kind: 'exec' as const, cmd: `echo probed >> ${dir}/probes; exit 1`, ...TIMING, startPeriodMs: 3000, failures: 1 };
    const started = performance.now();
    const { outcome, output } = await runToEnd([spec('db', 'sleep 2.5; echo up; exec sleep 30', { liveness, ready: { kind: 'log', pattern: /up/, ...TIMING } })]);
    const failedAfterMs = performance.now() - started;
    assert.ok(outcome.failure?.error instanceof LivenessError, output.dump());
    assert.equal(readFileSync(join(dir, 'probes'), 'utf8'), 'probed\n');
    assert.ok(failedAfterMs >= 3000 && failedAfterMs < 4500, `the liveness failure came ${Math.round(failedAfterMs)} ms after the start`);
  });

  test('a process that dies during a liveness try is said to have exited, not to be stopped for its liveness: the try failed of the death', BOUNDED, async () => {
    // Ready at its first request; the second, the liveness try, kills it: the try's connection is
    // reset by its death, a failure that arrives before the exit is told; through a wrapper shell,
    // which exits a moment after its child, later still.
    const server = (port: number): string => `let n = 0; require('http').createServer((q, r) => { if (++n > 1) process.exit(3); r.end('ok'); }).listen(${port}, '127.0.0.1')`;
    const direct = (port: number): string[] => ['node', '-e', server(port)];
    const wrapped = (port: number): string[] => ['sh', '-c', 'node -e "$1"; exit $?', 'sh', server(port)];
    for (const cmd of [direct, wrapped]) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/health`;
      const ready: Probe = { kind: 'http', url, status: undefined, ...TIMING };
      const liveness = { kind: 'http' as const, url, status: undefined, ...TIMING, failures: 1 };
      const { outcome, output } = await runToEnd([spec('web', cmd(port), { ready, readyTimeoutMs: 10_000, liveness })]);
      assert.equal(outcome.exitCode, 3, output.dump());
      assert.equal(output.of('web', 'stopping').length, 0, output.dump());
      assert.equal(outcome.failure?.error instanceof LivenessError, false, output.dump());
    }
  });

  test('a wrapper whose exit comes in while the loop is busy past the wait for it is still seen to have exited, not stopped for its liveness', BOUNDED, async () => {
    // The server dies at the liveness try; its wrapper says so and exits 100 ms later. Subvisor's
    // loop is held for 600 ms as that line comes (a loaded machine's turn): the wait for the exit
    // times out before the exit is told, though the wrapper is by then a zombie.
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/health`;
    const server = `let n = 0; require('http').createServer((q, r) => { if (++n > 1) process.exit(3); r.end('ok'); }).listen(${port}, '127.0.0.1')`;
    const wrapped = ['sh', '-c', 'node -e "$1"; echo wrapper-exiting; sleep 0.1; exit 3', 'sh', server];
    const ready: Probe = { kind: 'http', url, status: undefined, ...TIMING };
    const liveness = { kind: 'http' as const, url, status: undefined, ...TIMING, failures: 1 };
    const output = new BusyAtLine('wrapper-exiting', 600);
    const controller = new AbortController();
    const stack = new Stack([spec('web', wrapped, { ready, readyTimeoutMs: 10_000, liveness })], { output, signal: controller.signal, defaultGraceMs: 2000 });
    const done = stack.run();
    try {
      const outcome = await done;
      assert.equal(outcome.exitCode, 3, output.dump());
      assert.equal(output.of('web', 'stopping').length, 0, output.dump());
    } finally {
      controller.abort(new StopRequest('the test is over', 0));
      await done;
    }
  });
});

/** A recording output that holds the event loop for `busyMs` when a line with `text` comes, as a loaded machine would. */
class BusyAtLine extends RecordingOutput {
  constructor(
    private readonly text: string,
    private readonly busyMs: number,
  ) {
    super();
  }

  override line(name: string, stream: 'stdout' | 'stderr', text: string): undefined {
    super.line(name, stream, text);
    if (text.includes(this.text)) {
      const until = performance.now() + this.busyMs;
      while (performance.now() < until) {
        // held on purpose: nothing else of the run may happen meanwhile
      }
    }
    return undefined;
  }
}

describe('environment', () => {
  test('env files, then the parent, then the process env, lowest first', BOUNDED, async () => {
    const { outcome, output } = await runToEnd(
      [
        spec('show', 'echo "$A $B $C"', {
          envFromFiles: { A: 'file', B: 'file', C: 'file' },
          env: { C: 'own' },
          main: true,
        }),
      ],
      { parentEnv: { ...process.env, B: 'parent', C: 'parent' } },
    );
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('show', 'stdout')[0]?.text, 'file parent own');
  });

  test('user: HOME, USER, LOGNAME and SHELL are the user\'s unless its env sets them', () => {
    const user = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin' };
    const parent = { HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/zsh', PATH: '/bin' };
    assert.deepEqual(childEnvironment(spec('x', 'true', { user }), parent), { HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody', SHELL: '/usr/sbin/nologin', PATH: '/bin' });
    assert.equal(childEnvironment(spec('x', 'true', { user, env: { HOME: '/srv' } }), parent).HOME, '/srv');
    assert.equal(childEnvironment(spec('x', 'true'), parent).USER, 'root', 'control: without a user, the parent\'s');
  });

  test('user: a user whose passwd entry has no home nor shell runs with HOME=/ and SHELL=/bin/sh, never the parent\'s (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const user = { name: 'nohome', uid: 65534, gid: 65534, home: undefined, shell: undefined };
    const { outcome, output } = await runToEnd([spec('who', 'echo "$(id -u) $HOME $SHELL"', { user, cwd: '/', main: true })], {
      parentEnv: { ...process.env, HOME: '/root', SHELL: '/bin/zsh' },
    });
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('who', 'stdout')[0]?.text, '65534 / /bin/sh');
  });

  test('user: the process and its exec probe get the user\'s supplementary groups, as under systemd\'s User= (needs root and setpriv)', BOUNDED, async (t) => {
    if (skipsWithoutRootAndSetpriv(t)) return;
    const user = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin', groups: [4242] };
    const ready: Probe = { kind: 'exec', cmd: 'id -G | grep -qw 4242', ...TIMING };
    const { outcome, output } = await runToEnd([
      spec('probed', 'exec sleep 30', { user, cwd: '/', ready, readyTimeoutMs: 5000 }),
      spec('who', "id -G; sed -n 's/^Groups:[[:space:]]*//p' /proc/self/status", { user, cwd: '/', dependsOn: [{ name: 'probed', condition: 'ready' }], main: true }),
    ]);
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('who', 'stdout')[0]?.text, '65534 4242');
    // The kernel's list (sorted), as initgroups(3) makes it under systemd's User=: the primary group among them.
    assert.equal(output.of('who', 'stdout')[1]?.text.trim(), '4242 65534');
  });

  test('user: the process and its exec probe run as that user (needs root; as anyone else the spawn is refused)', BOUNDED, async () => {
    const user = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin' };
    const ready: Probe = { kind: 'exec', cmd: 'test "$(id -u)" = 65534', ...TIMING };
    const { outcome, output } = await runToEnd([
      spec('probed', 'exec sleep 30', { user, cwd: '/', ready, readyTimeoutMs: 5000 }),
      spec('who', 'echo "$(id -u) $USER $HOME"', { user, cwd: '/', dependsOn: [{ name: 'probed', condition: 'ready' }], main: true }),
    ]);
    if (process.getuid?.() !== 0) {
      assert.notEqual(outcome.exitCode, 0);
      return;
    }
    assert.equal(outcome.exitCode, 0, output.dump());
    assert.equal(output.of('who', 'stdout')[0]?.text, '65534 nobody /nonexistent');
    assert.ok(output.indexOf('probed', 'ready') >= 0, output.dump());
  });
});
