// What surprised a new user, fixed (SPEC §8): options that were ignored or misread are honoured or
// refused, before anything is spawned, with a message that says what to use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CalledProcessError, openNursery, runProcess, superviseRunProcess, type Process, type SuperviseOptions } from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';

const BOUNDED = { timeout: 20_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-options-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
checkNothingLeaksAroundEachTest();

let markers = 0;
/** A path that exists only if a child ran. */
function marker(): string {
  return join(scratch, `spawned-${++markers}`);
}

describe('streams that are read and passed on', () => {
  test('readyWhen with stdout: an fd reads the ready line and still writes every byte to the fd', BOUNDED, async () => {
    const file = join(scratch, 'stdout.txt');
    const fd = openSync(file, 'w');
    try {
      await openNursery(async (tn) => {
        const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'echo booting; echo ready; exec sleep 30'], { stdout: fd, readyWhen: /^ready$/, killGraceMs: 500 }, ctx));
        await proc.stop();
      });
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(file, 'utf8'), 'booting\nready\n');
  });

  test("'inherit' with readyWhen: ready is found, and the parent's stdout and stderr get every byte", BOUNDED, () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/fixtures/pass-on.ts'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^booting\nready\n/);
    assert.match(run.stdout, /STARTED\n/);
    assert.match(run.stdout, /after\n/);
    assert.match(run.stdout, /TAIL "err line\\n"/, 'the stderr tail is kept while stderr is passed on');
    assert.equal(run.stderr, 'err line\n');
  });

  test('stderr: an fd gets the bytes, and a failure still carries the tail', BOUNDED, async () => {
    const file = join(scratch, 'stderr.txt');
    const fd = openSync(file, 'w');
    let error: unknown;
    try {
      error = await superviseRunProcess(['sh', '-c', 'echo "first words" >&2; echo "last words" >&2; exit 5'], { stderr: fd }).catch((caught: unknown) => caught);
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(file, 'utf8'), 'first words\nlast words\n');
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.stderr?.toString(), 'first words\nlast words\n');
  });

  test('an fd has every byte when the call settles, so the caller may close it at once', BOUNDED, async () => {
    // 64 KiB then a last line, on stderr (read for the tail, passed on to the fd), 40 times: a
    // write still under way when the call settled would miss bytes here, or fail on the closed fd.
    const file = join(scratch, 'settled.txt');
    for (let round = 0; round < 40; round++) {
      const fd = openSync(file, 'w');
      try {
        await superviseRunProcess(['sh', '-c', 'head -c 65536 /dev/zero | tr "\\0" x >&2; echo " end" >&2'], { stderr: fd });
      } finally {
        closeSync(fd);
      }
      const text = readFileSync(file, 'latin1');
      assert.equal(text.length, 65536 + 5, `round ${round}: ${text.length} bytes`);
      assert.ok(text.endsWith('x end\n'));
    }
    // Let a write that outlived the call meet the closed fd now, inside the test.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  test('an fd that stops taking bytes holds the call for drainGraceMs at most', BOUNDED, async () => {
    // The fd is a FIFO nobody reads: it takes 64 KiB, then the write of the rest waits for ever.
    // The child's 100 KiB all leave it (its own pipe holds the rest), so it exits at once; only
    // the flush to the fd is left, and it must be given up after the grace.
    const fifo = join(scratch, 'never-read.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeEnd = openSync(fifo, constants.O_WRONLY);
    try {
      // Nobody will ever read the FIFO: a flush that is not given up keeps the call past the test's bound.
      await superviseRunProcess(['sh', '-c', 'head -c 102400 /dev/zero >&2'], { stderr: writeEnd, drainGraceMs: 300 });
    } finally {
      // Closing the reader fails the write still waiting (EPIPE), which the stream's listener takes.
      closeSync(readEnd);
      await sleep(100);
      closeSync(writeEnd);
    }
  });

  test('the stderr tail is kept with check: false too, wherever stderr goes', BOUNDED, async () => {
    const file = join(scratch, 'unchecked-stderr.txt');
    const fd = openSync(file, 'w');
    try {
      for (const stderr of ['ignore', fd, undefined] as const) {
        const completed = await superviseRunProcess(['sh', '-c', 'echo last words >&2; exit 3'], { stderr, check: false });
        assert.equal(completed.returncode, 3);
        assert.equal(completed.stderr?.toString(), 'last words\n', `stderr: ${String(stderr)}`);
      }
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(file, 'utf8'), 'last words\n', 'and the fd got the bytes');
  });
});

describe('refused before spawning', () => {
  test("runProcess stdin: 'pipe' is a TypeError naming the supported values", BOUNDED, async () => {
    const file = marker();
    await assert.rejects(runProcess(['touch', file], { stdin: 'pipe' }), (error: Error) => error instanceof TypeError && /'ignore', 'inherit', an fd/.test(error.message));
    assert.equal(existsSync(file), false);
    // Control: any other text is still the bytes to send.
    const { stdout } = await runProcess(['cat'], { stdin: 'piped text', captureStdout: true });
    assert.equal(stdout.toString(), 'piped text');
  });

  test('unknown option keys are a TypeError naming the key and the nearest option', BOUNDED, async () => {
    const file = marker();
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => runProcess(['touch', file], { timeout: 10 } as never), /runProcess: unknown option "timeout"; for a deadline, wrap the call: failAfter\(ms, .*signal: AbortSignal\.timeout\(ms\)$/],
      [() => superviseRunProcess(['touch', file], { timeout_ms: 10 } as never), /superviseRunProcess: unknown option "timeout_ms"; for a deadline, wrap the call: failAfter/],
      [() => runProcess(['touch', file], { killGraceMS: 10 } as never), /unknown option "killGraceMS"; did you mean "killGraceMs"\?/],
      [() => runProcess(['touch', file], { killSignal: 'SIGINT' } as never), /did you mean "stopSignal"/],
      [() => superviseRunProcess(['touch', file], { relayStdot: true } as never), /superviseRunProcess: unknown option "relayStdot"; did you mean "relayStdout"\?/],
      // Nothing close: every option is named, the one meant among them.
      [() => superviseRunProcess(['touch', file], { zzzzzz: 1 } as never), /unknown option "zzzzzz"; the options are .*\bkillGraceMs\b.*\brelayStdout\b/],
      [() => runProcess(['touch', file], { encoding: 'utf8' } as never), /runProcess: unknown option "encoding"; the options are .*\bcaptureStdout\b/],
      // Too far for the edit distance, yet plainly one of ours: the word a user reaches for first.
      [() => superviseRunProcess(['touch', file], { grace: 100 } as never), /unknown option "grace"; did you mean "killGraceMs"\?/],
      [() => runProcess(['touch', file], { stop_timeout: 100 } as never), /unknown option "stop_timeout"; did you mean "killGraceMs"\?/],
      [() => runProcess(['touch', file], { workingDirectory: '/' } as never), /did you mean "cwd"\?/],
      [() => runProcess(['touch', file], { user: 0 } as never), /did you mean "uid"\?/],
      [() => runProcess(['touch', file], { maxBuffer: 10 } as never), /did you mean "maxCaptureBytes"\?/],
      // execa's and Node's stdio is three options here; "did you mean stdin" sent a supervised child's
      // caller to the one stream it may not set (always /dev/null, overridden in silence).
      [() => superviseRunProcess(['touch', file], { stdio: 'inherit' } as never), /^superviseRunProcess: unknown option "stdio"; each stream is an option of its own here: stdout and stderr \('inherit', 'ignore' or an fd\), or relayStdout and relayStderr .*; stdin is always \/dev\/null$/],
      [() => runProcess(['touch', file], { stdio: ['ignore', 'inherit', 'inherit'] } as never), /^runProcess: unknown option "stdio"; each stream is an option of its own here: stdin, stdout and stderr /],
      // A capture option spelled another way is told what a supervised child does instead.
      [() => superviseRunProcess(['touch', file], { capture_stdout: true } as never), /superviseRunProcess: capture_stdout is not supported .*relayStdout: true/],
      [() => superviseRunProcess(['touch', file], { maxCaptureBytes: 10 } as never), /superviseRunProcess: maxCaptureBytes is not supported .*maxLineBytes/],
      [() => superviseRunProcess(['touch', file], { maxBuffer: 10 } as never), /superviseRunProcess: maxBuffer is not supported .*maxLineBytes/],
      // A key named like an Object.prototype member is unknown like any other.
      [() => superviseRunProcess(['touch', file], { constructor: 1 } as never), /unknown option "constructor"/],
    ];
    for (const [call, message] of cases) await assert.rejects(call(), (error: Error) => error instanceof TypeError && message.test(error.message));
    assert.equal(existsSync(file), false, 'nothing was spawned');
  });

  // JavaScript lets both through (TypeScript refuses them: test/consumer-types), so this message is
  // all a user gets; "unknown option started" or "0" said nothing of it.
  test("a task's context given as the options, or execa's (file, args), is told where it goes", BOUNDED, async () => {
    const file = marker();
    await openNursery(async (tn) => {
      await assert.rejects(
        tn.start<Process>((ctx) => superviseRunProcess(['touch', file], ctx as never)),
        (error: Error) => error instanceof TypeError && /^superviseRunProcess: unknown option "started"; that is a task context \(ctx\), which goes third: superviseRunProcess\(cmd, \{\}, ctx\)$/.test(error.message),
      );
      await assert.rejects(
        tn.start(async (ctx) => {
          await runProcess(['touch', file], ctx as never);
        }),
        (error: Error) => error instanceof TypeError && /^runProcess: unknown option "started"; that is a task context \(ctx\), which runProcess does not take: .*signal: ctx\.signal/.test(error.message),
      );
    });
    for (const [call, where] of [[() => runProcess('touch', [file] as never), 'runProcess'], [() => superviseRunProcess('touch', [file] as never), 'superviseRunProcess']] as const) {
      await assert.rejects(call(), (error: Error) => error instanceof TypeError && new RegExp(`^${where}: options must be an object, got an array; the program and its arguments go together, first: ${where}\\(\\['echo', 'hi'\\]\\)`).test(error.message));
    }
    assert.equal(existsSync(file), false, 'nothing was spawned');
    // Control: an object that only looks like a context is no such thing (a key named started is unknown like any other).
    await assert.rejects(runProcess(['touch', file], { started: true } as never), (error: Error) => /unknown option "started"; the options are/.test(error.message));
  });

  test('groups that are not group ids (a hole in a sparse array among them) are a TypeError before spawning, not a setpriv that fails as the command', BOUNDED, async () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the case: every() passes it over
    const bad: unknown[] = [[-1], [1.5], ['4242'], [, 4242], 4242];
    for (const groups of bad) {
      const file = marker();
      await assert.rejects(runProcess(['touch', file], { groups: groups as number[] }), (error: Error) => error instanceof TypeError && /groups must be an array of at most \d+ non-negative integer group ids/.test(error.message), JSON.stringify(groups));
      assert.equal(existsSync(file), false);
    }
  });

  test('a bad maxLineBytes names the function called and the value given', BOUNDED, async () => {
    for (const [given, shown] of [['1000', '"1000"'], [3, '3'], [1.5, '1.5']] as const) {
      await assert.rejects(superviseRunProcess(['true'], { maxLineBytes: given as number }), (error: Error) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, new RegExp(`^superviseRunProcess: maxLineBytes must be an integer from 4 .*, got ${shown.replace('.', '\\.')};`));
        return true;
      });
    }
  });

  test('a string option shown in a refusal is cut to 40 characters without splitting an emoji astride the cut', BOUNDED, async () => {
    const refusal = async (stdout: string): Promise<string> => {
      try {
        await runProcess(['true'], { stdout: stdout as never });
      } catch (error) {
        assert.ok(error instanceof TypeError);
        return error.message;
      }
      assert.fail(`accepted: ${stdout}`);
    };
    // Control: the cut is there, after 40 characters.
    assert.match(await refusal('k'.repeat(100)), /got "k{40}…"$/);
    // The emoji's halves are units 40 and 41: left out whole, not its first half shown as \ud83d.
    assert.match(await refusal(`${'k'.repeat(39)}😀${'k'.repeat(10)}`), /got "k{39}…"$/);
  });

  test("runProcess's conflicting options are refused, as trio's \"can't specify both\"", BOUNDED, async () => {
    const file = marker();
    await assert.rejects(runProcess(['touch', file], { captureStdout: true, stdout: 'ignore' }), /can't specify both captureStdout: true and stdout: "ignore"/);
    await assert.rejects(runProcess(['touch', file], { captureStderr: true, stderr: 1 }), /can't specify both captureStderr: true and stderr: 1/);
    assert.equal(existsSync(file), false);
  });

  test("superviseRunProcess's managed keys win on conflict (SPEC §3): the relay over stdout/stderr, /dev/null over stdin", BOUNDED, async () => {
    const lines: string[] = [];
    const onLine = ({ line }: { line: string }): void => void lines.push(line);
    const script = 'readlink /proc/self/fd/0; echo out; echo err >&2';
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, relayStderr: true, stdout: 'inherit', stderr: 'ignore', stdin: 'inherit', onLine });
    assert.deepEqual(lines.sort(), ['/dev/null', 'err', 'out']);
    lines.length = 0;
    await superviseRunProcess(['sh', '-c', script], { relayStdout: true, stdin: undefined, onLine });
    assert.deepEqual(lines, ['/dev/null', 'out']);
    // What they are given must still mean something, overridden or not, read or not: refused before spawning.
    const file = marker();
    const cases: [SuperviseOptions, RegExp][] = [
      [{ stdin: {} as never }, /superviseRunProcess: stdin must be 'ignore', 'inherit', an fd/],
      [{ stdin: -3 }, /superviseRunProcess: stdin fd must be a non-negative integer/],
      [{ relayStdout: true, stdout: -7 }, /superviseRunProcess: stdout fd must be a non-negative integer/],
      [{ relayStderr: true, stderr: 'bogus' as never }, /superviseRunProcess: stderr must be 'ignore', 'inherit' or an fd/],
      [{ stdout: 'inherit', readyWhen: /x/, stderr: -7 }, /superviseRunProcess: stderr fd must be/],
    ];
    for (const [opts, message] of cases) await assert.rejects(superviseRunProcess(['touch', file], opts), (error: Error) => error instanceof TypeError && message.test(error.message));
    assert.equal(existsSync(file), false, 'nothing was spawned');
  });

  test('a logger that is not an object is a TypeError naming the option, before spawning, relayed or not', BOUNDED, async () => {
    const file = marker();
    for (const logger of [null, 5, 'pino']) {
      for (const relayStdout of [false, true]) {
        await assert.rejects(superviseRunProcess(['touch', file], { logger: logger as never, relayStdout }), (error: Error) => error instanceof TypeError && /^superviseRunProcess: logger must be an object with a method per level/.test(error.message), `logger ${String(logger)}, relayStdout ${relayStdout}`);
      }
    }
    assert.equal(existsSync(file), false, 'nothing was spawned');
    await superviseRunProcess(['touch', file], { logger: console }); // control
    assert.equal(existsSync(file), true);
  });

  test('an async readyWhen is refused; a predicate that returns a promise fails at the first line and stops the child', BOUNDED, async () => {
    const file = marker();
     
    const asyncPredicate = (async () => true) as unknown as (line: string) => boolean;
    await assert.rejects(superviseRunProcess(['touch', file], { readyWhen: asyncPredicate }), /readyWhen must answer synchronously/);
    assert.equal(existsSync(file), false);
    let pid: number | undefined;
    await openNursery(async (tn) => {
      const error = await tn
        .start<Process>((ctx) =>
          superviseRunProcess(['sh', '-c', 'echo a; exec sleep 30'], { readyWhen: (() => Promise.resolve(true)) as never, killGraceMs: 500, onSpawn: (proc) => void (pid = proc.pid) }, ctx),
        )
        .catch((caught: unknown) => caught);
      assert.ok(error instanceof TypeError && /returned a promise/.test(error.message), String(error));
    });
    assert.ok(pid !== undefined);
    assert.throws(() => process.kill(pid as number, 0), 'the child was stopped');
  });
});

describe('durations no single timer can hold are honoured, never a millisecond', () => {
  test('readyTimeoutMs: 3e9 does not time out early', BOUNDED, async () => {
    await openNursery(async (tn) => {
      const proc = await tn.start<Process>((ctx) => superviseRunProcess(['sh', '-c', 'sleep 0.3; echo ready; exec sleep 30'], { readyWhen: /ready/, readyTimeoutMs: 3e9, killGraceMs: 500 }, ctx));
      await proc.stop();
    });
  });

  test('drainGraceMs: 3e9 keeps reading what a leftover writes after the child exited', BOUNDED, async () => {
    const lines: string[] = [];
    // The child exits at once; the grandchild it leaves holds stdout and writes 300 ms later.
    await superviseRunProcess(['sh', '-c', '(sleep 0.3; echo late) & echo early'], { relayStdout: true, drainGraceMs: 3e9, onLine: ({ line }) => void lines.push(line) });
    assert.deepEqual(lines, ['early', 'late']);
  });

  test('killGraceMs: 3e9 gives the stop handler its time, not a SIGKILL after a millisecond', BOUNDED, async () => {
    const file = join(scratch, 'term-handled');
    await openNursery(async (tn) => {
      await tn.start<Process>((ctx) =>
        superviseRunProcess(['sh', '-c', 'trap "sleep 0.3; touch \\"$0\\"; exit 0" TERM; echo ready; while :; do sleep 0.05; done', file], { readyWhen: /ready/, killGraceMs: 3e9 }, ctx),
      );
      tn.cancel();
    });
    await sleep(10);
    assert.equal(existsSync(file), true, 'the handler had its 300 ms');
  });
});
