import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CalledProcessError,
  ExitedBeforeReadyError,
  ReadyTimeoutError,
  TooSlowError,
  collapseErrorGroup,
  failAfter,
  openNursery,
  getLogger,
  superviseRunProcess,
  type LogRecord,
  type Process,
  type SuperviseOptions,
} from '../../src/index.js';
import { configureLogging } from '../../src/log/config.js';
import { createConsoleSink } from '../../src/log/sinks/console.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { captureLogger, isRunning, killQuietly, waitUntil } from '../support/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-supervise-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
checkNothingLeaksAroundEachTest();

describe('1. non-blocking start', () => {
  test('started(proc) fires as soon as the child is spawned, while it still runs', { timeout: 20_000 }, async () => {
    let pid: number | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sleep', '30'], { killGraceMs: 500 }, ctx));
      pid = proc.pid;
      assert.equal(proc.returncode, null, 'handed up while running');
      assert.ok(isRunning(proc.pid));
      tn.cancel();
    });
    assert.ok(pid !== undefined && !isRunning(pid));
  });

  test('supervision runs to completion inside the call: the nursery waits for the child', { timeout: 20_000 }, async () => {
    let exitedBeforeNurseryReturned: number | null = null;
    let proc: Process | undefined;
    await openNursery(async (tn) => {
      proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'sleep 0.2; exit 0'], {}, ctx));
    });
    exitedBeforeNurseryReturned = proc?.returncode ?? null;
    assert.equal(exitedBeforeNurseryReturned, 0);
  });
});

describe('onSpawn', () => {
  test('hands up the process at spawn, before it is ready', { timeout: 20_000 }, async () => {
    let spawnedPid: number | undefined;
    let pidWhenReady: number | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'sleep 0.2; echo up; exec sleep 30'], { readyWhen: /up/, killGraceMs: 500, onSpawn: (spawned) => void (spawnedPid = spawned.pid) }, ctx),
      );
      pidWhenReady = proc.pid;
      tn.cancel();
    });
    assert.equal(typeof spawnedPid, 'number');
    assert.equal(spawnedPid, pidWhenReady);
  });

  test('is called before started() resolves, while the child still is not ready', { timeout: 20_000 }, async () => {
    const events: string[] = [];
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'sleep 0.2; echo up; exec sleep 30'], { readyWhen: /up/, killGraceMs: 500, onSpawn: () => void events.push('spawned') }, ctx),
      );
      events.push('ready');
      tn.cancel();
    });
    assert.deepEqual(events, ['spawned', 'ready']);
  });
});

describe('under startSoon', () => {
  test('a supervised child runs as a startSoon task, its context passed as is', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await openNursery(async (tn) => {
      tn.startSoon((ctx) => superviseRunProcess(['echo', 'soon'], { relayStdout: true, logger, label: 's' }, ctx));
    });
    assert.deepEqual(logger.lines, ['[s:out] soon']);
  });
});

describe('2. deterministic non-zero exit', () => {
  test('the error always carries the complete stderr tail, however fast the child exits', { timeout: 60_000 }, async () => {
    // 2000 lines then an immediate exit: a check racing the drain would lose the last lines.
    const script = 'i=0; while [ $i -lt 2000 ]; do echo "err line $i" >&2; i=$((i+1)); done; exit 5';
    for (let round = 0; round < 15; round++) {
      const error = await superviseRunProcess(['sh', '-c', script]).catch((caught: unknown) => caught);
      assert.ok(error instanceof CalledProcessError);
      assert.equal(error.returncode, 5);
      assert.ok(error.stderr?.toString().endsWith('err line 1999\n'), `round ${round}: the tail lost its last line`);
    }
  });

  test('stderr holds only the last 16 KiB, starting on a character boundary', { timeout: 20_000 }, async () => {
    // 100 KiB of a 3-byte character, then a marker: the tail must be 16 KiB and end with the marker.
    const error = await superviseRunProcess(['node', '-e', "process.stderr.write('€'.repeat(34000) + 'THE END'); process.exitCode = 1"]).catch(
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof CalledProcessError);
    const tail = error.stderr ?? Buffer.alloc(0);
    assert.ok(tail.length <= 16 * 1024 && tail.length > 16 * 1024 - 4, `tail is ${tail.length} bytes`);
    const text = tail.toString('utf8');
    assert.ok(text.endsWith('THE END'));
    assert.ok(!text.includes('\uFFFD'), 'the tail must not start mid-character');
  });

  test('a failure inside a nursery is grouped like any task error; collapseErrorGroup gives it bare', { timeout: 20_000 }, async () => {
    const grouped = await openNursery(async (tn) => {
      await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exit 4'], {}, ctx));
    }).catch((caught: unknown) => caught);
    assert.ok(grouped instanceof AggregateError);
    assert.ok(grouped.errors[0] instanceof CalledProcessError);
    const bare = await collapseErrorGroup(() => openNursery(async (tn) => tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exit 4'], {}, ctx)))).catch(
      (caught: unknown) => caught,
    );
    assert.ok(bare instanceof CalledProcessError);
  });

  test('check: false lets a non-zero exit pass, and the status is in the CompletedProcess', { timeout: 20_000 }, async () => {
    const completed = await superviseRunProcess(['sh', '-c', 'echo why >&2; exit 9'], { check: false });
    assert.equal(completed.returncode, 9);
    assert.equal(completed.stopped, false);
    // Control: the same child with check on is a failure.
    await assert.rejects(superviseRunProcess(['sh', '-c', 'exit 9']), CalledProcessError);
  });

  test('a child killed by a signal it was not sent by us is a failure, with returncode -N', { timeout: 20_000 }, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'kill -KILL $$']).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.returncode, -9);
    assert.equal(error.signal, 'SIGKILL');
    assert.match(error.message, /SIGKILL/);
  });
});

describe('3. parent tty isolation', () => {
  test('stdout goes to /dev/null unless relayed or overridden', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['node', '-e', "process.stderr.write(require('fs').readlinkSync('/proc/self/fd/1') + '\\n')"], { relayStderr: true, logger, label: 'x' });
    assert.deepEqual(logger.lines, ['[x:err] /dev/null']);
  });

  test("stdout: 'inherit' inherits the parent's stdout", { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['node', '-e', "process.stderr.write(require('fs').readlinkSync('/proc/self/fd/1') + '\\n')"], { relayStderr: true, logger, label: 'x', stdout: 'inherit' });
    const ours = readlinkSync('/proc/self/fd/1');
    assert.deepEqual(logger.lines, [`[x:err] ${ours}`]);
  });

  test('stdin is always /dev/null', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['sh', '-c', 'readlink /proc/self/fd/0'], { relayStdout: true, logger, label: 'x' });
    assert.deepEqual(logger.lines, ['[x:out] /dev/null']);
  });

  test('the child leads a new session and process group by default; newSession: false keeps ours', { timeout: 20_000 }, async () => {
    // Fields 5 and 6 of /proc/PID/stat are the process group and session ids.
    const script = 'set -- $(cut -d" " -f5,6 /proc/$$/stat); echo "$$ $1 $2"';
    const fresh = captureLogger();
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, logger: fresh, label: 's' });
    const [pid, pgid, sid] = (fresh.lines[0] ?? '').replace('[s:out] ', '').split(' ');
    assert.equal(pgid, pid);
    assert.equal(sid, pid);
    // Control: without a new session the child stays in our session.
    const kept = captureLogger();
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, logger: kept, label: 's', newSession: false });
    const [keptPid, , keptSid] = (kept.lines[0] ?? '').replace('[s:out] ', '').split(' ');
    assert.notEqual(keptSid, keptPid);
    assert.equal(keptSid, readFileSync('/proc/self/stat', 'latin1').split(') ')[1]?.split(' ')[3]);
  });

  test('a new-session child cannot open /dev/tty, even when the parent has one', { timeout: 30_000 }, () => {
    // `script` gives the probe a controlling terminal (CI has none), so the control can show that
    // a child in our session does reach it.
    const run = spawnSync('script', ['-qec', `${process.execPath} --import tsx test/fixtures/tty-probe.ts`, '/dev/null'], { encoding: 'utf8', timeout: 25_000 });
    const line = run.stdout.split('\n').find((text) => text.startsWith('RESULT '));
    assert.ok(line, `no result from the probe: ${run.stdout} ${run.stderr}`);
    const result = JSON.parse(line.slice('RESULT '.length)) as Record<string, string>;
    assert.equal(result.newSession, 'NO_TTY');
    assert.equal(result.sameSession, 'HAS_TTY', 'control: in our session the child reaches the terminal');
  });
});

describe('4. footguns refused early', () => {
  const marker = (): string => join(scratch, `spawned-${Math.random()}`);

  test("stdout: 'pipe' is refused before spawning, naming relayStdout", async () => {
    const file = marker();
    await assert.rejects(superviseRunProcess(['touch', file], { stdout: 'pipe' as 'ignore' }), /relayStdout: true/);
    assert.equal(existsSync(file), false, 'nothing may be spawned');
  });

  test("stderr: 'pipe' without relayStderr is refused before spawning, saying its tail is kept all the same", async () => {
    const file = marker();
    await assert.rejects(superviseRunProcess(['touch', file], { stderr: 'pipe' as 'ignore' }), /stderr: 'pipe' asks for its lines.*last 16 KiB are kept all the same.*relayStderr: true/);
    assert.equal(existsSync(file), false, 'nothing may be spawned');
  });

  test("stdout: 'pipe' beside relayStdout: true is what the relay does: accepted, and every line relayed", async () => {
    const lines: string[] = [];
    const done = await superviseRunProcess(['sh', '-c', 'echo one; echo two >&2'], {
      stdout: 'pipe',
      stderr: 'pipe',
      relayStdout: true,
      relayStderr: true,
      onLine: ({ stream, line }) => void lines.push(`${stream}: ${line}`),
    });
    assert.equal(done.returncode, 0);
    assert.deepEqual(lines.sort(), ['stderr: two', 'stdout: one']);
  });

  test('captureStdout / captureStderr are refused, naming relayStdout / relayStderr', async () => {
    const file = marker();
    await assert.rejects(superviseRunProcess(['touch', file], { captureStdout: true } as never), /captureStdout is not supported.*relayStdout: true/);
    await assert.rejects(superviseRunProcess(['touch', file], { captureStderr: true } as never), /captureStderr is not supported.*relayStderr: true/);
    assert.equal(existsSync(file), false);
  });

  test('a bad relayLevel fails only when something is relayed', { timeout: 20_000 }, async () => {
    const file = marker();
    // The types already refuse a logger without the level; plain JavaScript gets the run-time check.
    await assert.rejects(superviseRunProcess(['touch', file], { relayStdout: true, relayLevel: 'nope', logger: captureLogger() as never }), /nope/);
    assert.equal(existsSync(file), false, 'refused before spawning');
    await superviseRunProcess(['touch', file], { relayLevel: 'nope', logger: captureLogger() as never });
    assert.equal(existsSync(file), true, 'without relay the level is never looked at');
  });
});

describe('5. live per-line relay', () => {
  test('each line is relayed the moment it is complete, not at exit', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo first; exec sleep 30'], { relayStdout: true, logger, label: 'l', killGraceMs: 500 }, ctx));
      await waitUntil(() => logger.lines.length === 1, 'the first line');
      assert.equal(proc.returncode, null, 'relayed while the child still runs');
      tn.cancel();
    });
    assert.deepEqual(logger.lines, ['[l:out] first']);
  });

  test('CRLF, inner CR, empty lines, a split character and an unterminated last line', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    // "é" is c3 a9: the two bytes arrive in separate writes, 50 ms apart.
    const script = "printf 'crlf\\r\\nin\\rner\\n\\nsplit \\303'; sleep 0.05; printf '\\251 char\\nbad \\377 byte\\nlast'";
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, logger, label: 'r' });
    assert.deepEqual(logger.lines, ['[r:out] crlf', '[r:out] in\rner', '[r:out] ', '[r:out] split é char', '[r:out] bad \uFFFD byte', '[r:out] last']);
  });

  test('a line longer than maxLineBytes is relayed in pieces on character boundaries', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['node', '-e', "process.stdout.write('ab€'.repeat(10) + '\\n')"], { relayStdout: true, logger, label: 'p', maxLineBytes: 8 });
    const pieces = logger.lines.map((line) => line.replace('[p:out] ', ''));
    assert.ok(pieces.length > 1);
    assert.ok(pieces.every((piece) => Buffer.byteLength(piece) <= 8 && !piece.includes('\uFFFD')));
    assert.equal(pieces.join(''), 'ab€'.repeat(10));
  });

  test('the tag is the label, else the command joined by spaces', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await superviseRunProcess(['echo', 'hi'], { relayStdout: true, logger });
    assert.deepEqual(logger.lines, ['[echo hi:out] hi']);
  });

  test('any object with a method named like the level is a logger', { timeout: 20_000 }, async () => {
    const seen: string[] = [];
    const logger = { notice(line: string) { seen.push(line); } };
    await superviseRunProcess(['echo', 'custom'], { relayStdout: true, relayLevel: 'notice', logger, label: 'c' });
    assert.deepEqual(seen, ['[c:out] custom']);
  });

  test("the package's own logger, the default, may be given explicitly: its log(level, message) does not keep it out (types included)", { timeout: 20_000 }, async () => {
    const records: LogRecord[] = [];
    const previous = configureLogging({ sink: (record) => records.push(record), level: 'debug' });
    try {
      await superviseRunProcess(['echo', 'explicit'], { relayStdout: true, logger: getLogger('mine'), label: 'e' });
      await superviseRunProcess(['echo', 'warned'], { relayStdout: true, logger: getLogger(), relayLevel: 'warning', label: 'w' });
      // `console`, whose `log` and `info` take anything, fits too.
      const withConsole: SuperviseOptions = { logger: console };
      assert.equal(withConsole.logger, console);
    } finally {
      configureLogging(previous);
    }
    assert.deepEqual(
      records.filter((record) => record.message.includes(':out]')).map((record) => [record.logger, record.levelName, record.message]),
      [
        ['mine', 'io', '[e:out] explicit'],
        ['subvisor', 'warning', '[w:out] warned'],
      ],
    );
  });
});

describe('6. concurrent drain', () => {
  test('both streams flooding at once, without newlines, cannot block the child', { timeout: 30_000 }, async () => {
    let chars = 0;
    const logger = { io: (line: string) => void (chars += line.length - '[f:xxx] '.length) };
    const flood = 'head -c 4194304 /dev/zero | tr "\\0" o & head -c 4194304 /dev/zero | tr "\\0" e >&2; wait';
    await superviseRunProcess(['sh', '-c', flood], { relayStdout: true, relayStderr: true, logger, label: 'f' });
    assert.equal(chars, 8 * 1024 * 1024);
  });

  test('an unrelayed stderr is drained too, and its tail kept for the error', { timeout: 30_000 }, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'head -c 4194304 /dev/zero | tr "\\0" e >&2; echo last words >&2; exit 1']).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError);
    const tail = error.stderr ?? Buffer.alloc(0);
    assert.equal(tail.length, 16 * 1024);
    assert.ok(tail.toString().endsWith('eeelast words\n'));
  });
});

describe('7. nothing outlives the scope', () => {
  test('cancelling stops the child and its grandchildren', { timeout: 20_000 }, async () => {
    const pidFile = join(scratch, 'grandchild.pid');
    let childPid: number | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`], { killGraceMs: 1000 }, ctx));
      childPid = proc.pid;
      await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the grandchild pid');
      tn.cancel();
    });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    try {
      assert.ok(childPid !== undefined && !isRunning(childPid));
      await waitUntil(() => !isRunning(grandchild), 'the grandchild to die', 2000);
    } finally {
      killQuietly(grandchild);
    }
  });

  test('a child that ignores SIGTERM is killed after killGraceMs, and that is not a failure', { timeout: 20_000 }, async () => {
    let proc: Process | undefined;
    const startedAt = performance.now();
    await openNursery(async (tn) => {
      proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'], { killGraceMs: 300, readyWhen: /ready/ }, ctx));
      tn.cancel();
    });
    assert.equal(proc?.returncode, -9);
    assert.equal(proc.signal, 'SIGKILL');
    assert.ok(performance.now() - startedAt >= 300);
  });

  test('leftovers holding the pipe after the child exits are stopped after drainGraceMs, with their output relayed', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    const pidFile = join(scratch, 'leftover.pid');
    // The subshell inherits stdout, prints, and lingers; its parent exits at once.
    const script = `(echo from leftover; sleep 30) & echo $! > ${pidFile}; echo parent done`;
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, logger, label: 'lo', drainGraceMs: 300, killGraceMs: 500 });
    const leftover = Number(readFileSync(pidFile, 'utf8'));
    try {
      assert.deepEqual([...logger.lines].sort(), ['[lo:out] from leftover', '[lo:out] parent done']);
      assert.equal(isRunning(leftover), false);
    } finally {
      killQuietly(leftover);
    }
  });

  test('leftovers that closed their pipes are stopped too', { timeout: 20_000 }, async () => {
    const pidFile = join(scratch, 'daemon.pid');
    await superviseRunProcess(['sh', '-c', `sleep 30 >/dev/null 2>&1 & echo $! > ${pidFile}`], { killGraceMs: 500 });
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    try {
      assert.equal(isRunning(daemon), false);
    } finally {
      killQuietly(daemon);
    }
  });
});

describe('8. readiness', () => {
  test('started(proc) waits for a matching line, on stdout or stderr, relayed or not', { timeout: 20_000 }, async () => {
    for (const stream of ['', '>&2']) {
      let readyAt = 0;
      const startedAt = performance.now();
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', `echo booting ${stream}; sleep 0.3; echo "listening on 8080" ${stream}; exec sleep 30`], { readyWhen: /listening on \d+/, killGraceMs: 500 }, ctx),
        );
        readyAt = performance.now() - startedAt;
        assert.equal(proc.returncode, null);
        tn.cancel();
      });
      assert.ok(readyAt >= 250, `ready after ${readyAt.toFixed(0)} ms: the "booting" line must not count`);
    }
  });

  test('a global or sticky readyWhen is matched from the start of each line: one pattern serves child after child, its lastIndex left as given', { timeout: 20_000 }, async () => {
    for (const pattern of [/ready/g, /ready/y]) {
      await openNursery(async (tn) => {
        for (let child = 0; child < 2; child++) {
          // Bounded: a pattern matched from where its last match ended never sees the second child's line.
          const proc = await failAfter(5000, () => tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo ready; exec sleep 30'], { readyWhen: pattern, killGraceMs: 500 }, ctx)));
          assert.equal(proc.returncode, null, `${String(pattern)}: child ${child} is ready`);
        }
        tn.cancel();
      });
      assert.equal(pattern.lastIndex, 0, `${String(pattern)}: the caller's pattern is left as given`);
    }
  });

  test('a predicate works as readyWhen', { timeout: 20_000 }, async () => {
    let readyAfterMs = 0;
    await openNursery(async (tn) => {
      const startedAt = performance.now();
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'echo booting; sleep 0.3; echo ok 3; exec sleep 30'], { readyWhen: (line) => line.startsWith('ok'), killGraceMs: 500 }, ctx),
      );
      readyAfterMs = performance.now() - startedAt;
      tn.cancel();
    });
    assert.ok(readyAfterMs >= 250, `start() resolved after ${readyAfterMs.toFixed(0)} ms, before the matching line`);
  });

  test('readiness also counts relayed lines, and relays the ready line itself', { timeout: 20_000 }, async () => {
    const logger = captureLogger();
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'sleep 0.1; echo up; exec sleep 30'], { readyWhen: /up/, relayStdout: true, logger, label: 'r', killGraceMs: 500 }, ctx),
      );
      assert.deepEqual(logger.lines, ['[r:out] up'], 'the ready line is relayed before start() resolves');
      tn.cancel();
    });
  });

  test('cancelling while waiting for readiness is a cancellation, not a readiness timeout', { timeout: 20_000 }, async () => {
    // The child ignores SIGTERM, so stopping it (killGraceMs from the cancel) outlasts the readiness
    // timeout, whenever before it the cancel comes. It says when its trap is set: a SIGTERM before
    // that (a loaded machine) would end it at once. The wait for that has nearly all of the
    // readiness timeout, so a slow start of sh is waited for, not failed.
    let pid: number | undefined;
    let armed = false;
    let cancelledAt = 0;
    await openNursery(async (tn) => {
      tn.startSoon((ctx) =>
        superviseRunProcess(
          ['sh', '-c', 'trap "" TERM; echo armed; while :; do sleep 0.05; done'],
          { readyWhen: /never/, readyTimeoutMs: 4000, killGraceMs: 4000, relayStdout: true, logger: captureLogger(), onSpawn: (proc) => void (pid = proc.pid), onLine: ({ line }) => void (armed ||= line === 'armed') },
          ctx,
        ),
      );
      await waitUntil(() => armed, 'the child set its trap', 3900);
      assert.ok(pid !== undefined && isRunning(pid), 'control: the child runs before the cancel');
      cancelledAt = performance.now();
      tn.cancel();
    }); // a TooSlowError would have failed the nursery here
    assert.ok(pid !== undefined && !isRunning(pid), 'the child is gone once the nursery returns');
    assert.ok(performance.now() - cancelledAt >= 3900, 'it was stopped with its grace (SIGKILL after killGraceMs), not left behind');
  });

  test('a ready line printed while the child is being stopped does not count', { timeout: 20_000 }, async () => {
    await openNursery(async (tn) => {
      const error = await tn
        .start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', "trap 'echo ready; exit 0' TERM; sleep 5 & wait"], { readyWhen: /ready/, readyTimeoutMs: 200, killGraceMs: 2000 }, ctx),
        )
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof TooSlowError, `start() must reject, got ${String(error)}`);
    });
  });

  test('a child that exits before it is ready fails start() with its stderr tail', { timeout: 20_000 }, async () => {
    await openNursery(async (tn) => {
      const error = await tn.start((ctx) => superviseRunProcess(['sh', '-c', 'echo "port in use" >&2; exit 0'], { readyWhen: /listening/ }, ctx)).catch((caught: unknown) => caught);
      assert.ok(error instanceof ExitedBeforeReadyError);
      assert.ok(error instanceof CalledProcessError);
      assert.equal(error.returncode, 0);
      assert.equal(error.stderr?.toString(), 'port in use\n');
      assert.match(error.message, /before it was ready/);
      assert.match(error.stack ?? '', /\|_\.stderr:\n {4}port in use/);
    });
  });

  test('a child that exits before it is ready, leaving a process that holds its output past readyTimeoutMs, fails start() with its exit, not a timeout', { timeout: 20_000 }, async () => {
    const pidFile = join(scratch, 'holder.pid');
    let holder: number | undefined;
    try {
      await openNursery(async (tn) => {
        // The holder, in a session of its own, keeps the stdout open through the drain grace: the
        // deadline passes while the output is still read, after the exit it came later than.
        const cmd = ['sh', '-c', `echo "port in use" >&2; setsid sleep 30 & echo $! > ${pidFile}; sleep 0.3; exit 3`];
        const error = await tn.start((ctx) => superviseRunProcess(cmd, { readyWhen: /listening/, readyTimeoutMs: 2000, drainGraceMs: 1500, killGraceMs: 500 }, ctx)).catch((caught: unknown) => caught);
        holder = Number(readFileSync(pidFile, 'utf8'));
        assert.ok(error instanceof ExitedBeforeReadyError, String(error));
        assert.equal(error.returncode, 3);
        assert.equal(error.stderr?.toString(), 'port in use\n');
      });
    } finally {
      killQuietly(holder);
    }
  });

  test('a child that dies as readyTimeoutMs passes, its exit not yet told, fails start() with its exit, not a timeout', { timeout: 20_000 }, async () => {
    // The loop is held past the deadline; then, in the turn the deadline's verdict runs, the child
    // dies just before it, after the poll that would have reaped it: a zombie whose exit the loop
    // has not told yet. Its exit decides, as an exit the loop had told would.
    const dieUnseen = (proc: Process): void => {
      setTimeout(() => {
        setImmediate(() => {
          process.kill(proc.pid, 'SIGKILL');
          const deadline = Date.now() + 5000;
          while (isRunning(proc.pid) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        });
      }, 1);
      setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300));
    };
    await openNursery(async (tn) => {
      const error = await tn.start((ctx) => superviseRunProcess(['sleep', '30'], { readyWhen: /listening/, readyTimeoutMs: 100, killGraceMs: 500, onSpawn: dieUnseen }, ctx)).catch((caught: unknown) => caught);
      assert.ok(error instanceof ExitedBeforeReadyError, String(error));
      assert.equal(error.signal, 'SIGKILL');
    });
  });

  test('readyTimeoutMs fails start() with TooSlowError (a ReadyTimeoutError naming the pattern in readyWhen) and stops the child', { timeout: 20_000 }, async () => {
    const pidFile = join(scratch, 'slow.pid');
    await openNursery(async (tn) => {
      const error = await tn.start((ctx) => superviseRunProcess(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], { readyWhen: /never/, readyTimeoutMs: 200, killGraceMs: 500 }, ctx)).catch(
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof TooSlowError);
      assert.match(error.message, /not ready within 200 ms \(no output line matched \/never\/\)/);
      assert.ok(error instanceof ReadyTimeoutError);
      assert.equal(error.readyWhen, '/never/');
    });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(isRunning(pid), false);
  });
});

/** A stream for a console sink to write to, and what it was given, a chunk at a time. */
function collectingStream(): { chunks: string[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { chunks, stream };
}

describe('9. relayed text cannot clobber the terminal', () => {
  test('the console sink neutralises control sequences and keeps colours when it colours', { timeout: 20_000 }, async () => {
    const { chunks, stream } = collectingStream();
    const previous = configureLogging({ sink: createConsoleSink({ stream, color: true }) });
    try {
      await superviseRunProcess(['printf', '\\033[2J\\033]0;pwned\\007\\033[31mred\\033[0m\\n'], { relayStdout: true, label: 'esc' });
    } finally {
      configureLogging(previous);
    }
    const output = chunks.join('');
    assert.match(output, /\[esc:out\]/);
    assert.ok(output.includes('\x1b[31mred\x1b[0m'), 'colour (SGR) is kept');
    assert.ok(!output.includes('\x1b[2J'), 'screen clear is neutralised');
    assert.ok(!output.includes('\x1b]0;'), 'title change is neutralised');
  });

  test('a label with a line break stays on its record\'s line: each lifecycle record is one line, and onLine gets the label as shown', { timeout: 20_000 }, async () => {
    const { chunks, stream } = collectingStream();
    const previous = configureLogging({ level: 'runtime', sink: createConsoleSink({ stream, color: false }) });
    const seen: string[] = [];
    try {
      await superviseRunProcess(['echo', 'hi'], { relayStdout: true, label: 'web\nFAKE: exited', onLine: ({ label }) => void seen.push(label) });
    } finally {
      configureLogging(previous);
    }
    const lines = chunks.join('').split('\n').filter((line) => line !== '');
    assert.ok(lines.length >= 2, `spawned and exited: ${lines.join(' | ')}`);
    for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} \S+ +\[subvisor\] [^\n]*web\\nFAKE: exited/, 'every line is a record of its own, the label escaped in it');
    assert.deepEqual(seen, ['web\\nFAKE: exited'], 'onLine is given the label as it is shown');
  });
});

describe('callbacks that throw', () => {
  test('an onSpawn that throws rejects the call with its error, and the child is stopped', { timeout: 20_000 }, async () => {
    const failure = new Error('onSpawn broke');
    let pid: number | undefined;
    const error = await superviseRunProcess(['sleep', '30'], {
      killGraceMs: 500,
      onSpawn: (proc) => {
        pid = proc.pid;
        throw failure;
      },
    }).catch((caught: unknown) => caught);
    assert.equal(error, failure);
    assert.ok(pid !== undefined && !isRunning(pid));
  });

  test('a readyWhen predicate that throws fails the call instead of crashing the parent', { timeout: 20_000 }, async () => {
    const failure = new Error('predicate broke');
    const error = await superviseRunProcess(['sh', '-c', 'echo hi; exec sleep 30'], {
      killGraceMs: 500,
      readyWhen: () => {
        throw failure;
      },
    }).catch((caught: unknown) => caught);
    assert.equal(error, failure);
  });

  test('a logger that throws fails the call instead of crashing the parent', { timeout: 20_000 }, async () => {
    const failure = new Error('logger broke');
    const error = await superviseRunProcess(['sh', '-c', 'echo hi; exec sleep 30'], {
      killGraceMs: 500,
      relayStdout: true,
      logger: {
        io: () => {
          throw failure;
        },
      },
    }).catch((caught: unknown) => caught);
    assert.equal(error, failure);
  });
});

describe('cancellation', () => {
  test('cancelled before spawning: nothing starts', { timeout: 20_000 }, async () => {
    const file = join(scratch, 'never');
    const reason = new Error('too late');
    await assert.rejects(superviseRunProcess(['touch', file], { signal: AbortSignal.abort(reason) }), (error) => error === reason);
    assert.equal(existsSync(file), false);
  });

  test('an exit we caused is not a failure: cancelling rejects with the cancellation, not a CalledProcessError', { timeout: 20_000 }, async () => {
    const controller = new AbortController();
    const reason = new Error('stop now');
    const running = superviseRunProcess(['sleep', '30'], { signal: controller.signal, killGraceMs: 500 });
    await sleep(50);
    controller.abort(reason);
    await assert.rejects(running, (error) => error === reason);
  });
});
