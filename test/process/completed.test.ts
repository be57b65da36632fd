// SPEC §8: how a child ended, as data (CompletedProcess, CalledProcessError's new fields), the
// command as a shell reads it, and a stable `code` on every error class.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CalledProcessError,
  Cancelled,
  CompletedProcess,
  ErrorGroup,
  ExitedBeforeReadyError,
  MissingLevelMethodError,
  OutputLimitError,
  ReadyTimeoutError,
  SpawnError,
  TooSlowError,
  UnknownLevelError,
  openNursery,
  runProcess,
  superviseRunProcess,
  type Process,
} from '../../src/index.js';
import { quoteCommand } from '../../src/process/command.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';

const BOUNDED = { timeout: 20_000 };
checkNothingLeaksAroundEachTest();

describe('CompletedProcess', () => {
  test('superviseRunProcess resolves with one: status, pid, duration, command, the stderr tail', BOUNDED, async () => {
    let pid: number | undefined;
    const completed = await superviseRunProcess(['sh', '-c', 'echo warn >&2; sleep 0.2; exit 0'], { onSpawn: (proc) => void (pid = proc.pid) });
    assert.ok(completed instanceof CompletedProcess);
    assert.equal(completed.returncode, 0);
    assert.equal(completed.signal, null);
    assert.equal(completed.pid, pid);
    assert.ok(completed.durationMs >= 190 && completed.durationMs < 10_000, `${completed.durationMs}`);
    assert.equal(completed.command, "sh -c 'echo warn >&2; sleep 0.2; exit 0'");
    assert.deepEqual(completed.args, ['sh', '-c', 'echo warn >&2; sleep 0.2; exit 0']);
    assert.equal(completed.stderr?.toString(), 'warn\n', 'the tail it kept (check is on by default)');
    assert.equal(completed.stdout, null);
    assert.equal(completed.stopped, false);
  });

  test('under nursery.start(), the task resolves with it once the child is gone', BOUNDED, async () => {
    let completed: CompletedProcess | undefined;
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>(async (ctx) => {
        completed = await superviseRunProcess(['sh', '-c', 'exit 0'], {}, ctx);
      });
      assert.equal(typeof proc.pid, 'number');
    });
    assert.equal(completed?.returncode, 0);
  });

  test('the stderr tail is kept with check: false too, and empty when the child wrote nothing there', BOUNDED, async () => {
    const completed = await superviseRunProcess(['sh', '-c', 'echo x >&2'], { check: false });
    assert.equal(completed.stderr?.toString(), 'x\n');
    const quiet = await superviseRunProcess(['true'], { check: false });
    assert.equal(quiet.stderr?.length, 0);
  });

  test('runProcess resolves with one too, with pid, duration and command', BOUNDED, async () => {
    const completed = await runProcess(['sh', '-c', 'echo out; sleep 0.1'], { captureStdout: true });
    assert.ok(completed instanceof CompletedProcess);
    assert.equal(completed.stdout.toString(), 'out\n');
    assert.ok(completed.pid > 0);
    assert.ok(completed.durationMs >= 90);
    assert.equal(completed.command, "sh -c 'echo out; sleep 0.1'");
    assert.equal(completed.stopped, false);
  });

  test('a CalledProcessError carries pid, durationMs and command as well', BOUNDED, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'sleep 0.1; exit 4']).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError);
    assert.ok(error.pid > 0);
    assert.ok(error.durationMs >= 90);
    assert.equal(error.command, "sh -c 'sleep 0.1; exit 4'");
    const viaRun = await runProcess(['false']).catch((caught: unknown) => caught);
    assert.ok(viaRun instanceof CalledProcessError && viaRun.pid > 0 && viaRun.command === 'false');
  });

  test('durationMs and "ready after" count from the spawn, not from when a busy event loop learnt the command runs', BOUNDED, async () => {
    const records: string[] = [];
    const logger = { runtime: (line: string) => void records.push(line) };
    // Right after the spawn, the event loop is held 400 ms: the command runs on, ready at 100 ms and
    // gone at 200 ms, before the loop can read that its start succeeded.
    const holdAfterSpawn = (): void =>
      queueMicrotask(() => {
        const until = performance.now() + 400;
        while (performance.now() < until);
      });
    subscribe('child_process', holdAfterSpawn);
    let completed: CompletedProcess;
    try {
      completed = await superviseRunProcess(['sh', '-c', 'sleep 0.1; echo ready; sleep 0.1'], { readyWhen: /ready/, logger, label: 'busy' });
    } finally {
      unsubscribe('child_process', holdAfterSpawn);
    }
    assert.ok(completed.durationMs >= 350, `durationMs ${completed.durationMs}: from the spawn, which the held loop did not delay`);
    const readyAfter = Number(/ready after (\d+) ms/.exec(records.join('\n'))?.[1]);
    assert.ok(readyAfter >= 350, `ready after ${readyAfter} ms\n${records.join('\n')}`);
  });

  test('durationMs is never shorter than what the command ran, though the parent is held once the fork returned', BOUNDED, async () => {
    // A loaded machine may deschedule the parent right after the fork, while the command runs:
    // here spawn() itself holds it 400 ms once the child runs (a real child; only the parent waits).
    const childProcess = process.getBuiltinModule('node:child_process');
    const realSpawn = childProcess.spawn;
    childProcess.spawn = ((...args: Parameters<typeof realSpawn>) => {
      const child = realSpawn(...args);
      const until = performance.now() + 400;
      while (performance.now() < until);
      return child;
    }) as typeof realSpawn;
    let completed: CompletedProcess;
    try {
      completed = await runProcess(['sh', '-c', 'sleep 0.2']);
    } finally {
      childProcess.spawn = realSpawn;
    }
    assert.ok(completed.durationMs >= 390, `durationMs ${completed.durationMs}: the command ran 200 ms within a spawn() that took 400`);
  });
});

describe('command: the argv as a POSIX shell reads it', () => {
  test('words are quoted only where needed, and quotes inside survive', () => {
    assert.equal(quoteCommand(['ls', '-l', '/tmp/a_b.c']), 'ls -l /tmp/a_b.c');
    assert.equal(quoteCommand(['echo', "it's", 'a b', '', '$HOME', '*']), "echo 'it'\\''s' 'a b' '' '$HOME' '*'");
  });

  test('control characters are made visible, never raw', () => {
    const shown = quoteCommand(['printf', 'a\nb', '\x1b[2J', 'tab\there']);
    assert.equal(shown, "printf $'a\\nb' $'\\e[2J' $'tab\\there'");
    // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
    assert.doesNotMatch(shown, /[\x00-\x1f\x7f]/);
    assert.equal(quoteCommand('echo hi\nrm -rf /tmp/x'), 'echo hi\\nrm -rf /tmp/x', 'a shell string, escaped the same way');
  });

  test('a quoted command runs as the same argv in a real shell', BOUNDED, async () => {
    const argv = ['printf', '%s|', "it's", 'a b', '', '$HOME', 'a\\b'];
    const direct = await runProcess(argv, { captureStdout: true });
    const viaShell = await runProcess(quoteCommand(argv), { shell: true, captureStdout: true });
    assert.equal(viaShell.stdout.toString(), direct.stdout.toString());
  });

  test('a first word a shell would take for a reserved word or an assignment is quoted, and runs as the same argv', BOUNDED, async () => {
    assert.equal(quoteCommand(['done', 'done']), "'done' done");
    assert.equal(quoteCommand(['A=1', 'B=2']), "'A=1' B=2");
    // Programs with those names, on the PATH: bare, `done` is a syntax error and `A=1 x` runs x.
    const bin = mkdtempSync(join(tmpdir(), 'subvisor-words-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    for (const name of ['done', 'A=1', 'time']) {
      writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s:' "$(basename "$0")" "$@"\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}` };
    for (const argv of [['done', 'x'], ['A=1', 'true'], ['time', 'y']]) {
      const direct = await runProcess(argv, { env, captureStdout: true });
      for (const shell of ['/bin/sh', '/bin/bash']) {
        const viaShell = await runProcess(quoteCommand(argv), { shell, env, captureStdout: true, check: false });
        assert.equal(viaShell.stdout.toString(), direct.stdout.toString(), `${quoteCommand(argv)} under ${shell}`);
      }
    }
  });

  for (const [what, text, quoted] of [
    ['a C1 control character', 'a\u0085b\u009b', "a\\xc2\\x85b\\xc2\\x9b"],
    ['characters that reorder or break the text (bidi overrides, isolates, marks, U+2028)', 'a\u202eb\u2066c\u2028d\u200fe\u061cf', "a\\xe2\\x80\\xaeb\\xe2\\x81\\xa6c\\xe2\\x80\\xa8d\\xe2\\x80\\x8fe\\xd8\\x9cf"],
  ] as const) {
    test(`${what}: written as the UTF-8 bytes the child was given`, BOUNDED, async () => {
      const argv = ['printf', '%s', text];
      assert.equal(quoteCommand(argv), `printf %s $'${quoted}'`);
      const direct = await runProcess(argv, { captureStdout: true });
      // dash reads no $'...'; bash does, as POSIX.1-2024 asks.
      const viaShell = await runProcess(quoteCommand(argv), { shell: '/bin/bash', captureStdout: true });
      assert.deepEqual(viaShell.stdout, direct.stdout);
    });
  }

  test('a message names a command with the same escapes', BOUNDED, async () => {
    const missing = await runProcess(['subvisor-no-such\u202e'], {}).catch((error: unknown) => error);
    assert.ok(missing instanceof Error);
    assert.doesNotMatch(missing.message, /\u202e/);
  });

  test('the command of a child with control characters in its argv has none in it', BOUNDED, async () => {
    const completed = await superviseRunProcess(['printf', '\x1b]0;title\x07'], { check: false });
    // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
    assert.doesNotMatch(completed.command, /[\x00-\x1f\x7f]/);
  });

  test('an error\'s message and stack show a hostile argv and stderr, and obey neither: colour kept, and reset', BOUNDED, async () => {
    const error = await superviseRunProcess(['sh', '-c', 'printf "\\033[2Jwiped \\033[31mred\\n" >&2; exit 1', 'x\x1b[2Jy']).catch((caught: unknown) => caught);
    assert.ok(error instanceof CalledProcessError);
    assert.match(error.message, / \$'x\\e\[2Jy' exited with status 1/);
    // Only the kept colour (SGR) and the reset after the note are raw escapes in the stack.
    // eslint-disable-next-line no-control-regex -- finding raw escapes is the point
    const raw = [...(error.stack ?? '').matchAll(/\x1b\[[0-9;]*[A-Za-z]/g)].map((match) => match[0]);
    assert.deepEqual(raw, ['\x1b[31m', '\x1b[0m']);
    assert.match(error.stack ?? '', /\\x1b\[2Jwiped/);
    // The field keeps the bytes as the child wrote them.
    assert.equal(error.stderr?.toString(), '\x1b[2Jwiped \x1b[31mred\n');
    // A readiness timeout names the command the same way.
    const late = await openNursery((tn) => tn.start((ctx) => superviseRunProcess(['sh', '-c', 'exec sleep 5', 'x\x1b[2Jy'], { readyWhen: /never/, readyTimeoutMs: 100, killGraceMs: 500 }, ctx))).catch((caught: unknown) => caught);
    const timeout = late instanceof ErrorGroup ? late.errors[0] : late;
    assert.ok(timeout instanceof ReadyTimeoutError, String(timeout));
    assert.match(timeout.message, /^sh -c 'exec sleep 5' \$'x\\e\[2Jy' was not ready within 100 ms/);
  });
});

describe('every error class has a stable code', () => {
  test('the codes', BOUNDED, async () => {
    const init = { cmd: ['x'], returncode: 1, signal: null };
    assert.equal(new CalledProcessError(init).code, 'ERR_SUBVISOR_CALLED_PROCESS');
    assert.equal(new ExitedBeforeReadyError(init, '/x/').code, 'ERR_SUBVISOR_EXITED_BEFORE_READY');
    assert.equal(new OutputLimitError(['x'], 'stdout', 1).code, 'ERR_SUBVISOR_OUTPUT_LIMIT');
    assert.equal(new TooSlowError(1).code, 'ERR_SUBVISOR_TOO_SLOW');
    assert.equal(new Cancelled().code, 'ERR_SUBVISOR_CANCELLED');
    assert.equal(new ErrorGroup([new Error('x')]).code, 'ERR_SUBVISOR_ERROR_GROUP');
    assert.equal(new MissingLevelMethodError('io', []).code, 'ERR_SUBVISOR_MISSING_LEVEL_METHOD');
    assert.equal(new UnknownLevelError('loud').code, 'ERR_SUBVISOR_UNKNOWN_LEVEL');
    assert.equal(new SpawnError(['x'], 'why').code, 'ERR_SUBVISOR_SPAWN');
    const missing = await runProcess(['/nonexistent/program']).catch((caught: unknown) => caught);
    assert.ok(missing instanceof SpawnError);
    assert.equal(missing.code, 'ENOENT', 'a SpawnError keeps the errno when there is one');
  });

  test('a readiness timeout is a ReadyTimeoutError, a TooSlowError with its own code and the stderr note', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const error = await tn
        .start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo "listening failed: port busy" >&2; exec sleep 30'], { readyWhen: /ready/, readyTimeoutMs: 200, killGraceMs: 500 }, ctx))
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof ReadyTimeoutError);
      assert.ok(error instanceof TooSlowError);
      assert.equal(error.code, 'ERR_SUBVISOR_READY_TIMEOUT');
      assert.equal(error.timeoutMs, 200);
      assert.ok(error.pid > 0);
      assert.deepEqual(error.notes, ['|_.stderr:\n    listening failed: port busy']);
      assert.match(error.stack ?? '', /\|_\.stderr:\n {4}listening failed: port busy/);
    });
  });

  test('an ExitedBeforeReadyError carries the stderr note too', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const error = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo "bad config" >&2; exit 2'], { readyWhen: /ready/ }, ctx)).catch((caught: unknown) => caught);
      assert.ok(error instanceof ExitedBeforeReadyError);
      assert.deepEqual(error.notes, ['|_.stderr:\n    bad config']);
      assert.match(error.message, /; check the readiness pattern and the child's stderr below$/);
    });
  });

  test('an ExitedBeforeReadyError of a child that wrote nothing on stderr does not point at a stderr below', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const error = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; exit 2'], { readyWhen: /ready/ }, ctx)).catch((caught: unknown) => caught);
      assert.ok(error instanceof ExitedBeforeReadyError);
      assert.deepEqual(error.notes, []);
      assert.match(error.message, /; check the readiness pattern \(the child wrote nothing on stderr\)$/);
      // `stderr: 'ignore'` still reads it for the tail: the same words.
      const ignored = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; exit 2'], { readyWhen: /ready/, stderr: 'ignore' }, ctx)).catch((caught: unknown) => caught);
      assert.ok(ignored instanceof ExitedBeforeReadyError);
      assert.match(ignored.message, /; check the readiness pattern \(the child wrote nothing on stderr\)$/);
    });
    // Made by hand without a stderr: nothing is known of it, and nothing is below.
    assert.match(new ExitedBeforeReadyError({ cmd: ['x'], returncode: 1, signal: null }, '/r/').message, /; check the readiness pattern and the child's stderr$/);
  });
});
