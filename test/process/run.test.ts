import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { runInNewContext } from 'node:vm';
import {
  CalledProcessError,
  Cancelled,
  OutputLimitError,
  SpawnError,
  TooSlowError,
  failAfter,
  openNursery,
  runProcess,
  superviseRunProcess,
} from '../../src/index.js';
import { checkNothingLeaksAroundEachTest } from '../support/leaks.js';
import { skipsWithoutRootAndSetpriv, skipsWithoutSetpriv } from '../support/setpriv.js';

// Every test here spawns real children (sh, coreutils, node); none may take long.
const BOUNDED = { timeout: 20_000 };

/**
 * A fresh temp dir for `fn`, removed afterwards whatever happens. Tests write the pids of what they
 * start to `*.pid` files in it; anything still running at the end (the test failed before stopping
 * it) is SIGKILLed with its group, so a failing test leaks no process.
 */
async function withTempDir<R>(fn: (dir: string) => Promise<R>): Promise<R> {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-'));
  try {
    return await fn(dir);
  } finally {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(dir, name), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1 && isRunning(pid)) killQuietly(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function killQuietly(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // not a group leader, or already gone
    }
  }
}

/**
 * Whether `pid` is a running process. A zombie is not running: pid 1 on this machine does not
 * reap orphans, so a killed grandchild may stay a zombie forever.
 */
function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== 'gone' && state !== 'Z' && state !== 'X';
}

/** The state letter of /proc/PID/stat (R, S, D, T, Z...), or 'gone'. */
function processState(pid: number): string {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return 'gone';
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ')'.
  return stat.charAt(stat.lastIndexOf(')') + 2);
}

/** Waits (bounded) for a child to write its pid, one line, to `file`. */
async function readPidFile(file: string): Promise<number> {
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.endsWith('\n')) return Number(text.trim());
    await sleep(10);
  }
  throw new Error(`no pid was written to ${file} within 5 s`);
}

/**
 * `promise`, or a clear failure if it has not settled within `ms`: a stuck stop then fails with
 * the state of the child it was stopping, not with the test's own timeout. Leaves no timer.
 */
async function settlesWithin<T>(promise: Promise<T>, ms: number, pidFile: string): Promise<T> {
  const timer = new AbortController();
  const late = sleep(ms, undefined, { signal: timer.signal }).then(() => {
    const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
    const state = text === '' ? 'unknown (no pid written)' : `${text}: ${processState(Number(text))}`;
    throw new Error(`not settled within ${ms} ms; the child's state is ${state}`);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    timer.abort();
    late.catch(() => undefined); // its AbortError once the race is decided
  }
}

/** The bytes 0..255, repeated to `length`: every byte value, most of them invalid UTF-8 on their own. */
function everyByte(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = i % 256;
  return bytes;
}

checkNothingLeaksAroundEachTest();

describe('runProcess: the command', () => {
  test('an argv array runs without a shell: $HOME, ; and * reach the child literally', BOUNDED, async () => {
    const args = ['$HOME', 'a;echo injected', '*', '`id`'];
    const { stdout } = await runProcess(['printf', '%s\\n', ...args], { captureStdout: true });
    assert.equal(stdout.toString(), args.map((arg) => `${arg}\n`).join(''));
    // Control: the same words through a shell are expanded, so the probe can tell the difference.
    const viaShell = await runProcess(`printf '%s\\n' ${args.join(' ')}`, { shell: true, captureStdout: true });
    assert.notEqual(viaShell.stdout.toString(), stdout.toString());
  });

  test('a command string without shell: true is a TypeError that names the shell option', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const marker = join(dir, 'spawned');
      await assert.rejects(runProcess(`touch ${marker}`), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /shell: true/);
        return true;
      });
      assert.equal(existsSync(marker), false, 'nothing may be spawned');
    });
  });

  test('a command string with shell: true runs under /bin/sh', BOUNDED, async () => {
    const { stdout } = await runProcess('echo $((40 + 2)) | tr 4 x; readlink /proc/$$/exe', { shell: true, captureStdout: true });
    const [arithmetic, exe] = stdout.toString().split('\n');
    assert.equal(arithmetic, 'x2');
    assert.equal(exe, realpathSync('/bin/sh'));
  });

  test('an argv array with shell: true is a TypeError (it would be joined without quoting)', BOUNDED, async () => {
    await assert.rejects(runProcess(['echo', 'hi'], { shell: true }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /shell: true.*one string/);
      return true;
    });
  });

  test('an empty argv array, or an empty program name, is a TypeError', BOUNDED, async () => {
    await assert.rejects(runProcess([]), { name: 'TypeError', message: /empty array/ });
    await assert.rejects(runProcess(['', 'x']), { name: 'TypeError', message: /cmd\[0\], the program to run, is an empty string/ });
    await assert.rejects(superviseRunProcess(['']), { name: 'TypeError', message: /cmd\[0\], the program to run, is an empty string/ });
  });

  test('a non-string argument is a TypeError naming its index', BOUNDED, async () => {
    await assert.rejects(runProcess(['echo', 42 as unknown as string]), { name: 'TypeError', message: /cmd\[1\] must be a string/ });
  });

  test('a hole in the argv array is a TypeError naming its index, before anything runs (it ran `echo undefined x`)', BOUNDED, async () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is what is tested
    const sparse = ['echo', , 'x'] as string[];
    await assert.rejects(runProcess(sparse, { captureStdout: true }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: 'runProcess: cmd[1] must be a string, got a hole in the array' });
    // eslint-disable-next-line no-sparse-arrays -- the hole is what is tested
    await assert.rejects(superviseRunProcess([, 'x'] as string[]), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /cmd\[0\] must be a string, got a hole in the array/ });
  });

  test('an argument with a NUL byte is a TypeError naming its index', BOUNDED, async () => {
    await assert.rejects(runProcess(['echo', 'a\0b']), { name: 'TypeError', message: /cmd\[1\] contains a NUL byte/ });
  });

  test('a NUL byte in an env name or value is a TypeError naming the variable, as in cmd (not the spawn\'s failure)', BOUNDED, async () => {
    await assert.rejects(runProcess(['true'], { env: { PATH: process.env.PATH, TOKEN: 'a\0b' } }), { name: 'TypeError', message: 'runProcess: env "TOKEN" contains a NUL byte, which no program can receive' });
    await assert.rejects(runProcess(['true'], { env: { 'A\0B': 'x' } }), { name: 'TypeError', message: /env "A\\u0000B" contains a NUL byte/ });
    await runProcess(['true'], { env: { PATH: process.env.PATH, SKIPPED: undefined } }); // control
  });

  test('an env that is not a record of strings is a TypeError before spawning, not a child with "null" or "[object Object]" in its variables, or an empty environment', BOUNDED, async () => {
    const base = { PATH: process.env.PATH };
    const refused = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
    // Each of these reached the child quietly as a string child_process made of it.
    await assert.rejects(runProcess(['true'], { env: { ...base, TOKEN: null } as unknown as NodeJS.ProcessEnv }), { ...refused, message: 'runProcess: env "TOKEN" must be a string, got null; leave it out (or undefined) to unset it' });
    await assert.rejects(runProcess(['true'], { env: { ...base, PORTS: { web: '8080' } } as unknown as NodeJS.ProcessEnv }), { ...refused, message: /env "PORTS" must be a string, got object/ });
    await assert.rejects(superviseRunProcess(['true'], { env: { ...base, HOOK: () => 'x' } as unknown as NodeJS.ProcessEnv }), { ...refused, message: /superviseRunProcess: env "HOOK" must be a string, got function/ });
    // A Map's entries are no properties: the child got an empty environment.
    await assert.rejects(runProcess(['true'], { env: new Map([['PATH', '/bin']]) as unknown as NodeJS.ProcessEnv }), { ...refused, message: /env must be a plain object of strings \(\{ \.\.\.process\.env, NAME: 'value' \}\), got a Map/ });
    await assert.rejects(runProcess(['true'], { env: ['PATH=/bin'] as unknown as NodeJS.ProcessEnv }), { ...refused, message: /env must be a plain object of strings .*, got an array/ });
    // Nor a Set's or URLSearchParams': an object that keeps its entries where child_process does not look is refused.
    await assert.rejects(runProcess(['true'], { env: new Set(['PATH=/bin']) as unknown as NodeJS.ProcessEnv }), { ...refused, message: /env must be a plain object of strings .*, got a Set/ });
    await assert.rejects(runProcess(['true'], { env: new URLSearchParams('PATH=/bin') as unknown as NodeJS.ProcessEnv }), { ...refused, message: /env must be a plain object of strings .*, got a URLSearchParams/ });
    // Control: a null-prototype record and process.env itself are records of variables.
    const bare = Object.assign(Object.create(null) as NodeJS.ProcessEnv, { ...base, ONLY: 'here' });
    assert.equal((await runProcess(['sh', '-c', 'echo "$ONLY"'], { env: bare, captureStdout: true })).stdout.toString(), 'here\n');
    await runProcess(['true'], { env: process.env });
    // Nor one made in another realm (a vm context, a test runner's sandbox), whose Object.prototype is not ours.
    const foreign = runInNewContext('({ ONLY: "there" })') as NodeJS.ProcessEnv;
    assert.equal((await runProcess(['sh', '-c', 'echo "$ONLY"'], { env: { ...base, ...foreign }, captureStdout: true })).stdout.toString(), 'there\n');
    assert.equal((await runProcess(['sh', '-c', 'echo "$ONLY"'], { env: Object.assign(foreign, base), captureStdout: true })).stdout.toString(), 'there\n');
    // Control: what child_process turns into the string a reader expects stays accepted.
    const kept = await runProcess(['sh', '-c', 'echo "$PORT $DEBUG"'], { env: { ...base, PORT: 8080, DEBUG: true } as unknown as NodeJS.ProcessEnv, captureStdout: true });
    assert.equal(kept.stdout.toString(), '8080 true\n');
  });

  test('an env with inherited variables (Object.create(process.env)) reaches the child whole, as child_process reads it (for...in), and its values are checked as its own are', BOUNDED, async () => {
    // Through the spawn gate the child got only the own ones (here OWN alone), with argv0 (no gate) all of them.
    const env = Object.assign(Object.create({ PATH: process.env.PATH, INHERITED: 'yes' }) as NodeJS.ProcessEnv, { OWN: '1' });
    for (const argv0 of [undefined, 'sh']) {
      const got = await runProcess(['sh', '-c', 'echo "$INHERITED $OWN"'], { env, argv0, captureStdout: true });
      assert.equal(got.stdout.toString(), 'yes 1\n', `argv0: ${argv0}`);
    }
    // Unchecked, an inherited null reached the child (without the gate) as the word "null".
    const inheritedNull = Object.create({ PATH: process.env.PATH, TOKEN: null }) as NodeJS.ProcessEnv;
    await assert.rejects(runProcess(['true'], { env: inheritedNull, argv0: 'true' }), { name: 'TypeError', message: /env "TOKEN" must be a string, got null/ });
  });
});

describe('runProcess: stdin', () => {
  test('stdin defaults to /dev/null', BOUNDED, async () => {
    const byDefault = await runProcess(['readlink', '/proc/self/fd/0'], { captureStdout: true });
    assert.equal(byDefault.stdout.toString(), '/dev/null\n');
    // Control: given input, fd 0 is a pipe (a socketpair, in Node), so readlink does not always say /dev/null.
    const piped = await runProcess(['readlink', '/proc/self/fd/0'], { captureStdout: true, stdin: 'x' });
    assert.match(piped.stdout.toString(), /^(pipe|socket):\[\d+\]\n$/);
  });

  test('cat with the default stdin sees EOF at once instead of hanging', BOUNDED, async () => {
    // A stdin left open (an inherited or unwritten pipe) keeps cat waiting past the test's bound.
    const { stdout, returncode } = await runProcess(['cat'], { captureStdout: true });
    assert.equal(returncode, 0);
    assert.equal(stdout.length, 0);
  });

  test('a string on stdin is delivered exactly (UTF-8, NUL, no trailing newline)', BOUNDED, async () => {
    const input = 'héllo\nwörld\0∑ end';
    const { stdout } = await runProcess(['cat'], { stdin: input, captureStdout: true });
    assert.deepEqual(stdout, Buffer.from(input, 'utf8'));
  });

  test('bytes on stdin are delivered exactly, including bytes that are not valid UTF-8', BOUNDED, async () => {
    const input = Buffer.concat([everyByte(256 * 1024 + 13), Buffer.from([0xff, 0xfe, 0xc3])]);
    const { stdout } = await runProcess(['cat'], { stdin: new Uint8Array(input), captureStdout: true });
    assert.ok(stdout);
    assert.equal(stdout.length, input.length);
    assert.ok(stdout.equals(input), 'cat echoed different bytes');
  });

  test('a Uint8Array view on stdin sends its own bytes, not the whole underlying buffer', BOUNDED, async () => {
    const whole = Buffer.from('0123456789');
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 3, 4);
    const { stdout } = await runProcess(['cat'], { stdin: view, captureStdout: true });
    assert.equal(stdout.toString(), '3456');
  });

  test('any view of bytes on stdin (a DataView, another typed array) sends the bytes it views, as a stream write takes them', BOUNDED, async () => {
    const whole = Buffer.from('xxhi there\nyy');
    const dataView = new DataView(whole.buffer, whole.byteOffset + 2, 10);
    assert.equal((await runProcess(['cat'], { stdin: dataView, captureStdout: true })).stdout.toString(), 'hi there\ny');
    const words = new Uint16Array(new Uint8Array([0x68, 0x69]).buffer); // "hi", whatever the byte order
    assert.equal((await runProcess(['cat'], { stdin: words, captureStdout: true })).stdout.toString(), 'hi');
  });

  test('an ArrayBuffer on stdin is a TypeError that says to pass a view of it, as a stream write refuses one', BOUNDED, async () => {
    const bytes = new TextEncoder().encode('hi').buffer;
    await assert.rejects(runProcess(['cat'], { stdin: bytes as never }), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /runProcess: stdin is an ArrayBuffer; pass a view of its bytes: new Uint8Array\(buffer\)/ });
  });

  test("stdin: 'inherit' gives the child the parent's stdin", BOUNDED, async () => {
    const ours = readlinkSync('/proc/self/fd/0');
    const inherited = await runProcess(['readlink', '/proc/self/fd/0'], { stdin: 'inherit', captureStdout: true });
    assert.equal(inherited.stdout.toString(), `${ours}\n`);
    // Control: the default is not the parent's stdin, so the probe can fail.
    assert.notEqual(ours, '/dev/null', 'the test runner gave us /dev/null: inherit cannot be told from the default');
  });

  test('an fd on stdin is read by the child', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'input');
      const content = everyByte(70_000);
      writeFileSync(file, content);
      const fd = openSync(file, 'r');
      try {
        const { stdout } = await runProcess(['cat'], { stdin: fd, captureStdout: true });
        assert.ok(stdout.equals(content), 'cat did not echo the file behind the fd');
      } finally {
        closeSync(fd);
      }
    });
  });

  test('a child that exits without reading 1 MiB of stdin is not an error (EPIPE ignored)', BOUNDED, async () => {
    const result = await runProcess(['true'], { stdin: Buffer.alloc(1 << 20) });
    assert.equal(result.returncode, 0);
  });

  test('a child that reads one byte of stdin and exits is not an error', BOUNDED, async () => {
    const result = await runProcess(['head', '-c', '1'], { stdin: Buffer.alloc(1 << 20, 'y'), captureStdout: true });
    assert.equal(result.returncode, 0);
    assert.equal(result.stdout.toString(), 'y');
  });
});

describe('runProcess: captures', () => {
  test('captureStdout gives the exact bytes, binary-safe, across many pipe reads', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'bytes');
      const content = everyByte((1 << 20) + 7);
      writeFileSync(file, content);
      const { stdout, stderr } = await runProcess(['cat', file], { captureStdout: true });
      assert.ok(stdout.equals(content), 'captured stdout differs from what the child wrote');
      assert.equal(stderr, null);
    });
  });

  test('captureStderr gives the exact bytes, binary-safe, and stdout is null when not captured', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'bytes');
      const content = everyByte((1 << 20) + 7);
      writeFileSync(file, content);
      const { stdout, stderr } = await runProcess(['sh', '-c', 'cat "$1" >&2', 'sh', file], { captureStderr: true, stdout: 'ignore' });
      assert.ok(stderr.equals(content), 'captured stderr differs from what the child wrote');
      assert.equal(stdout, null);
    });
  });

  test('captured stdout and stderr are kept apart', BOUNDED, async () => {
    const { stdout, stderr } = await runProcess(['sh', '-c', 'printf out; printf err >&2; printf OUT'], { captureStdout: true, captureStderr: true });
    assert.equal(stdout.toString(), 'outOUT');
    assert.equal(stderr.toString(), 'err');
  });

  test('stdout and stderr are null when neither is captured', BOUNDED, async () => {
    const result = await runProcess(['sh', '-c', 'echo out; echo err >&2'], { stdout: 'ignore', stderr: 'ignore' });
    assert.equal(result.stdout, null);
    assert.equal(result.stderr, null);
  });

  test('output of exactly maxCaptureBytes is kept; one byte more is an OutputLimitError', BOUNDED, async () => {
    const limit = 4096;
    const exact = await runProcess(['head', '-c', String(limit), '/dev/zero'], { captureStdout: true, maxCaptureBytes: limit });
    assert.equal(exact.stdout.length, limit);
    await assert.rejects(runProcess(['head', '-c', String(limit + 1), '/dev/zero'], { captureStdout: true, maxCaptureBytes: limit }), OutputLimitError);
  });

  test('a child writing stdout forever past maxCaptureBytes is stopped and rejects promptly with OutputLimitError', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const limit = 1 << 20;
      // A grace past the test's bound: only the stop signal, which `yes` obeys, ends it in time.
      await assert.rejects(runProcess(['sh', '-c', 'echo $$ > "$1"; exec yes', 'sh', pidFile], { captureStdout: true, maxCaptureBytes: limit, killGraceMs: 60_000 }), (error: unknown) => {
        assert.ok(error instanceof OutputLimitError, `expected OutputLimitError, got ${String(error)}`);
        assert.equal(error.stream, 'stdout');
        assert.equal(error.limitBytes, limit);
        assert.match(error.message, /stdout/);
        assert.match(error.message, new RegExp(String(limit)));
        return true;
      });
      assert.equal(isRunning(await readPidFile(pidFile)), false, 'the child still runs');
    });
  });

  test('the capture limit applies to stderr too, and the error names stderr', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const limit = 1 << 20;
      await assert.rejects(
        runProcess(['sh', '-c', 'echo $$ > "$1"; exec yes >&2', 'sh', pidFile], { captureStderr: true, maxCaptureBytes: limit }),
        (error: unknown) => {
          assert.ok(error instanceof OutputLimitError, `expected OutputLimitError, got ${String(error)}`);
          assert.equal(error.stream, 'stderr');
          assert.match(error.message, /stderr/);
          return true;
        },
      );
      assert.equal(isRunning(await readPidFile(pidFile)), false, 'the child still runs');
    });
  });
});

describe('runProcess: check', () => {
  test('a non-zero status rejects with a CalledProcessError carrying returncode, cmd and the captures', BOUNDED, async () => {
    const cmd = ['sh', '-c', 'printf out; printf err >&2; exit 3'];
    await assert.rejects(runProcess(cmd, { captureStdout: true, captureStderr: true }), (error: unknown) => {
      assert.ok(error instanceof CalledProcessError, `expected CalledProcessError, got ${String(error)}`);
      assert.equal(error.returncode, 3);
      assert.equal(error.signal, null);
      assert.deepEqual(error.cmd, cmd);
      assert.equal(error.stdout?.toString(), 'out');
      assert.equal(error.stderr?.toString(), 'err');
      assert.match(error.message, /exited with status 3/);
      assert.match(error.message, /check: false/, 'the message should say what to do');
      return true;
    });
  });

  test('the message quotes the command as a shell reads it, so where the command ends and the message goes on is plain', BOUNDED, async () => {
    await assert.rejects(runProcess(['sh', '-c', 'echo oops >&2; exit 3']), (error: unknown) => {
      assert.ok(error instanceof CalledProcessError, `expected CalledProcessError, got ${String(error)}`);
      // A plain join read `sh -c echo oops >&2; exit 3 exited with status 3`.
      assert.equal(error.message, "sh -c 'echo oops >&2; exit 3' exited with status 3; pass check: false to handle the status yourself");
      return true;
    });
  });

  test('the stderr note of a long stderr is its last 16 KiB; the error keeps all of it', BOUNDED, async () => {
    // 20 000 bytes of x on one line, then a last line: the note starts inside the long one.
    const cmd = ['sh', '-c', 'head -c 20000 /dev/zero | tr "\\0" x >&2; echo >&2; echo last words >&2; exit 1'];
    const error = await runProcess(cmd, { captureStderr: true }).then(
      () => assert.fail('should reject'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.stderr?.length, 20_000 + 1 + 'last words\n'.length, 'the error keeps the whole stderr');
    assert.equal(error.notes.length, 1);
    const shown = (error.notes[0] ?? '').replace(/\n {4}/g, '\n');
    assert.equal(shown, `|_.stderr:\n${'x'.repeat(16 * 1024 - 1 - 'last words\n'.length)}\nlast words`);
  });

  test('captured stderr becomes a |_.stderr: note, in notes, in .stack and in util.inspect', BOUNDED, async () => {
    const cmd = ['sh', '-c', 'echo "disk on fire" >&2; exit 1'];
    const captured = await runProcess(cmd, { captureStderr: true }).then(
      () => assert.fail('should reject'),
      (error: unknown) => error,
    );
    assert.ok(captured instanceof CalledProcessError);
    assert.deepEqual(captured.notes, ['|_.stderr:\n    disk on fire']);
    assert.match(captured.stack ?? '', /\|_\.stderr:\n {4}disk on fire/);
    assert.match(inspect(captured), /\|_\.stderr:\n {4}disk on fire/);
    // Control: without a captured stderr there is no note, so the probe can fail.
    const uncaptured = await runProcess(cmd, { stderr: 'ignore' }).then(
      () => assert.fail('should reject'),
      (error: unknown) => error,
    );
    assert.ok(uncaptured instanceof CalledProcessError);
    assert.deepEqual(uncaptured.notes, []);
    assert.equal(uncaptured.stderr, null);
    assert.doesNotMatch(inspect(uncaptured), /\|_\.stderr:/);
  });

  test('a |_.stderr: note of CRLF lines shows its last line as the others, without a \\x0d', BOUNDED, async () => {
    const captured = await runProcess(['sh', '-c', 'printf "disk\\r\\non fire\\r\\n" >&2; exit 1'], { captureStderr: true }).then(
      () => assert.fail('should reject'),
      (error: unknown) => error,
    );
    assert.ok(captured instanceof CalledProcessError);
    assert.deepEqual(captured.notes, ['|_.stderr:\n    disk\n    on fire']);
  });

  test('check: false resolves with the non-zero returncode', BOUNDED, async () => {
    const result = await runProcess(['sh', '-c', 'exit 7'], { check: false });
    assert.equal(result.returncode, 7);
    assert.equal(result.signal, null);
  });
});

describe('runProcess: a child killed by a signal', () => {
  test('with check: false it resolves with returncode -15 and signal SIGTERM', BOUNDED, async () => {
    const result = await runProcess(['sh', '-c', 'kill -TERM $$'], { check: false });
    assert.equal(result.returncode, -15);
    assert.equal(result.signal, 'SIGTERM');
  });

  test('with check it rejects with a CalledProcessError: signal SIGTERM, returncode -15, named in the message', BOUNDED, async () => {
    await assert.rejects(runProcess(['sh', '-c', 'kill -TERM $$']), (error: unknown) => {
      assert.ok(error instanceof CalledProcessError, `expected CalledProcessError, got ${String(error)}`);
      assert.equal(error.signal, 'SIGTERM');
      assert.equal(error.returncode, -15);
      assert.match(error.message, /SIGTERM/);
      return true;
    });
  });
});

describe('runProcess: where and as whom the child runs', () => {
  test('cwd as a string', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const { stdout } = await runProcess(['pwd', '-P'], { cwd: dir, captureStdout: true });
      assert.equal(stdout.toString(), `${realpathSync(dir)}\n`);
    });
  });

  test('cwd as a file: URL', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const { stdout } = await runProcess(['pwd', '-P'], { cwd: pathToFileURL(dir), captureStdout: true });
      assert.equal(stdout.toString(), `${realpathSync(dir)}\n`);
    });
  });

  test('env: the child sees only the environment given', BOUNDED, async () => {
    const { stdout } = await runProcess(['env'], { env: { ONLY_THIS: 'yes', AND: 'a b=c' }, captureStdout: true });
    const lines = stdout.toString().split('\n').filter(Boolean).sort();
    assert.deepEqual(lines, ['AND=a b=c', 'ONLY_THIS=yes']);
  });

  test('argv0 is what the child sees as its argv[0]', BOUNDED, async () => {
    const cmd = [process.execPath, '-e', 'console.log(process.argv0)'];
    const renamed = await runProcess(cmd, { argv0: 'custom-name', captureStdout: true });
    assert.equal(renamed.stdout.toString(), 'custom-name\n');
    // Control: without argv0 the child sees the command itself.
    const plain = await runProcess(cmd, { captureStdout: true });
    assert.equal(plain.stdout.toString(), `${process.execPath}\n`);
  });

  test('uid: the child runs as that user (or, unprivileged, a SpawnError EPERM)', BOUNDED, async () => {
    if (process.getuid?.() === 0) {
      const { stdout } = await runProcess(['id', '-u'], { uid: 65534, captureStdout: true });
      assert.equal(stdout.toString(), '65534\n');
    } else {
      await assert.rejects(runProcess(['id', '-u'], { uid: 65534, captureStdout: true }), (error: unknown) => {
        assert.ok(error instanceof SpawnError, `expected SpawnError, got ${String(error)}`);
        assert.equal(error.code, 'EPERM');
        return true;
      });
    }
  });

  test('gid: the child runs with that group (or, unprivileged, a SpawnError EPERM)', BOUNDED, async () => {
    if (process.getuid?.() === 0) {
      const { stdout } = await runProcess(['id', '-g'], { gid: 65534, captureStdout: true });
      assert.equal(stdout.toString(), '65534\n');
    } else {
      await assert.rejects(runProcess(['id', '-g'], { gid: 65534, captureStdout: true }), (error: unknown) => {
        assert.ok(error instanceof SpawnError, `expected SpawnError, got ${String(error)}`);
        assert.equal(error.code, 'EPERM');
        return true;
      });
    }
  });

  test('groups: the child gets exactly the supplementary groups given, as systemd\'s User= gives a user its groups (or, unprivileged, a SpawnError EPERM)', BOUNDED, async (t) => {
    const cmd = ['sh', '-c', 'sed -n "s/^Groups:[[:space:]]*//p" /proc/self/status; id -u'];
    const options = { uid: 65534, gid: 65534, groups: [65534, 4242], captureStdout: true };
    if (process.getuid?.() !== 0) {
      await assert.rejects(runProcess(cmd, options), (error: unknown) => error instanceof SpawnError && error.code === 'EPERM');
      return;
    }
    if (skipsWithoutSetpriv(t)) return;
    const { stdout } = await runProcess(cmd, options);
    const [groups = '', uid] = String(stdout).split('\n');
    assert.deepEqual(groups.trim().split(/\s+/).sort(), ['4242', '65534']);
    assert.equal(uid, '65534');
    // Control: with uid and gid alone, Node's spawn leaves the child no supplementary group.
    const plain = await runProcess(cmd, { uid: 65534, gid: 65534, captureStdout: true });
    assert.equal(String(plain.stdout), '\n65534\n');
    // A missing program is still diagnosed as such, not an exit status 127 of setpriv's.
    await assert.rejects(runProcess(['no-such-program-for-groups'], options), (error: unknown) => error instanceof SpawnError && error.code === 'ENOENT' && /not found on PATH/.test(error.message));
  });

  test('groups: the loader variables of the child\'s environment (LD_*, as glibc drops them for setuid programs) reach only processes of the child\'s user, never setpriv running as root (needs root and setpriv)', BOUNDED, async (t) => {
    if (skipsWithoutRootAndSetpriv(t)) return;
    // ld.so writes LD_DEBUG's report to LD_DEBUG_OUTPUT.PID, a file its process creates, owned by its uid.
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-loader-'));
    try {
      chmodSync(dir, 0o777);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LD_DEBUG: 'files', LD_DEBUG_OUTPUT: join(dir, 'ld'), KEPT: 'yes' };
      const program = [process.execPath, '-e', 'console.log([process.env.LD_DEBUG, process.env.LD_DEBUG_OUTPUT, process.env.KEPT, process.getuid()].join(" "))'];
      const options = { uid: 65534, gid: 65534, groups: [4242], env, captureStdout: true };
      const starts = {
        gated: async () => String((await runProcess(program, options)).stdout),
        // The gate off (SUBVISOR_WATCHDOG=0, read by the parent): setpriv execs the command itself.
        direct: () => {
          const source = `import { runProcess } from './src/index.ts';\nconst { stdout } = await runProcess(${JSON.stringify(program)}, ${JSON.stringify(options)});\nprocess.stdout.write(stdout);`;
          const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', env: { ...process.env, SUBVISOR_WATCHDOG: '0' }, timeout: 15_000 });
          assert.equal(run.status, 0, run.stderr);
          return run.stdout;
        },
      };
      for (const [how, start] of Object.entries(starts)) {
        // The command still gets them, as it did without groups.
        assert.equal(await start(), `files ${join(dir, 'ld')} yes 65534\n`, how);
        const owners = readdirSync(dir).map((name) => statSync(join(dir, name)).uid);
        assert.ok(owners.length > 0, `control (${how}): the command's own loader wrote its report`);
        assert.deepEqual([...new Set(owners)], [65534], `${how}: no root process read the loader variables`);
        for (const name of readdirSync(dir)) rmSync(join(dir, name));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runProcess: cancellation', () => {
  test('aborting opts.signal rejects with that very reason, well within the kill grace, and the child is gone', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const controller = new AbortController();
      // A grace past the bound below: a stop that waits for it instead of sending SIGTERM fails there.
      const running = runProcess(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { signal: controller.signal, killGraceMs: 60_000 });
      const pid = await readPidFile(pidFile);
      assert.equal(isRunning(pid), true, 'control: the child runs before the abort');
      const reason = new Error('stop now');
      controller.abort(reason);
      const outcome = await settlesWithin(running.then(() => 'resolved', (error: unknown) => error), 10_000, pidFile);
      assert.equal(outcome, reason);
      assert.equal(isRunning(pid), false, 'the child still runs');
    });
  });

  test('output past maxCaptureBytes that a child writes while it is being stopped is no OutputLimitError: the call rejects with the cancellation', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const controller = new AbortController();
      // Quiet until its stop signal, which it answers with more than the capture limit.
      const script = 'trap "head -c 100000 /dev/zero; exit 0" TERM; echo $$ > "$1"; sleep 30 & wait';
      const running = runProcess(['sh', '-c', script, 'sh', pidFile], { captureStdout: true, maxCaptureBytes: 1000, signal: controller.signal });
      await readPidFile(pidFile);
      const reason = new Error('stop now');
      controller.abort(reason);
      assert.equal(await settlesWithin(running.then(() => 'resolved', (error: unknown) => error), 10_000, pidFile), reason);
    });
  });

  test('a cancellation that comes after the child exited, while a leftover holds its pipe, is what the call rejects with', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'leftover.pid');
      const childPidFile = join(dir, 'child.pid');
      const controller = new AbortController();
      // The child leaves a sleep holding its stdout and exits at once; the call waits out the drain grace.
      const script = 'sleep 30 & echo $! > "$1"; echo $$ > "$2"';
      const running = runProcess(['sh', '-c', script, 'sh', pidFile, childPidFile], { captureStdout: true, drainGraceMs: 60_000, signal: controller.signal });
      await readPidFile(pidFile);
      const child = await readPidFile(childPidFile);
      while (isRunning(child)) await sleep(10); // gone once reaped, whatever the load
      const reason = new Error('stop now');
      controller.abort(reason);
      assert.equal(await settlesWithin(running.then(() => 'resolved', (error: unknown) => error), 10_000, pidFile), reason);
    });
  });

  test('one signal given to 30 calls at once warns of no listener leak, cancels them all, and is left with no listener of ours', BOUNDED, async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await withTempDir(async (dir) => {
        const controller = new AbortController();
        const pidFiles = Array.from({ length: 30 }, (_, index) => join(dir, `child-${index}.pid`));
        const runs = pidFiles.map((pidFile) => runProcess(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { signal: controller.signal }).then(() => 'resolved', (error: unknown) => error));
        const reason = new Error('stop them all');
        const pids: number[] = [];
        try {
          // Every child runs, so the abort stops 30 live children rather than 30 spawns not yet made.
          // One after another: the spawns share the event loop's turns, so on a loaded machine the
          // 30th can come well past 5 s after the first; each wait starts from the last one seen.
          for (const pidFile of pidFiles) pids.push(await readPidFile(pidFile));
        } finally {
          controller.abort(reason);
        }
        const outcomes = await Promise.all(runs);
        assert.ok(outcomes.every((outcome) => outcome === reason), 'every call rejects with the reason');
        assert.deepEqual(pids.filter(isRunning), [], 'children still running');
        assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'no listener of ours is left behind');
      });
      const finished = new AbortController();
      await Promise.all(Array.from({ length: 30 }, () => runProcess(['true'], { signal: finished.signal })));
      assert.equal(getEventListeners(finished.signal, 'abort').length, 0, 'calls that end unlink themselves');
      await sleep(10); // warnings are emitted on the next tick
      assert.deepEqual(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map(String), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('an already aborted signal rejects with its reason and spawns nothing', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const marker = join(dir, 'spawned');
      const reason = new Error('cancelled before the start');
      const aborted = AbortSignal.abort(reason);
      await assert.rejects(runProcess(['touch', marker], { signal: aborted }), (error: unknown) => error === reason);
      assert.equal(existsSync(marker), false, 'the command was spawned');
      // A child spawned and killed at once might not get to touch the marker; a spawn attempt of a
      // missing program, though, always ends in a SpawnError. Getting the reason instead proves
      // that no spawn was attempted.
      await assert.rejects(runProcess(['subvisor-no-such-command'], { signal: aborted }), (error: unknown) => error === reason);
      // Controls: not cancelled, the same commands do create the marker / fail to spawn.
      await runProcess(['touch', marker]);
      assert.equal(existsSync(marker), true);
      await assert.rejects(runProcess(['subvisor-no-such-command']), SpawnError);
    });
  });

  test('a child that ignores SIGTERM is SIGKILLed after killGraceMs, and the run settles', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const controller = new AbortController();
      const script = 'trap "" TERM; echo $$ > "$1"; while :; do sleep 0.05; done';
      const running = runProcess(['sh', '-c', script, 'sh', pidFile], { signal: controller.signal, killGraceMs: 300 });
      const pid = await readPidFile(pidFile);
      assert.equal(isRunning(pid), true, 'control: the child runs before the abort');
      const started = performance.now();
      controller.abort(new Cancelled('test'));
      await assert.rejects(settlesWithin(running, 5000, pidFile), Cancelled);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 250, `settled after ${Math.round(elapsed)} ms: SIGTERM cannot have stopped a child that ignores it`);
      assert.ok(elapsed < 3000, `took ${Math.round(elapsed)} ms with killGraceMs 300`);
      assert.equal(isRunning(pid), false, 'the child survived SIGKILL');
    });
  });

  test("cancelling stops the shell child's grandchild too (its process group)", BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const childFile = join(dir, 'child.pid');
      const pidFile = join(dir, 'grandchild.pid');
      const controller = new AbortController();
      const script = 'echo $$ > "$1"; sleep 30 & echo $! > "$2"; wait';
      const running = runProcess(['sh', '-c', script, 'sh', childFile, pidFile], { signal: controller.signal });
      const grandchild = await readPidFile(pidFile);
      assert.equal(isRunning(grandchild), true, 'control: the grandchild runs before the abort');
      controller.abort(new Cancelled('test'));
      await assert.rejects(settlesWithin(running, 5000, childFile), Cancelled);
      assert.equal(isRunning(grandchild), false, 'the grandchild sleep outlived the cancelled run');
    });
  });

  test('control for the group kill: with newSession: false only the child is signalled and its grandchild survives', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const childFile = join(dir, 'child.pid');
      const pidFile = join(dir, 'grandchild.pid');
      const controller = new AbortController();
      const script = 'echo $$ > "$1"; sleep 30 & echo $! > "$2"; wait';
      const running = runProcess(['sh', '-c', script, 'sh', childFile, pidFile], { signal: controller.signal, newSession: false });
      const grandchild = await readPidFile(pidFile);
      controller.abort(new Cancelled('test'));
      await assert.rejects(settlesWithin(running, 5000, childFile), Cancelled);
      // The surviving grandchild is SIGKILLed by withTempDir's cleanup.
      assert.equal(isRunning(grandchild), true, 'the grandchild died: the group test above could not tell a group kill from a child kill');
    });
  });
});

describe('runProcess: the implicit scope', () => {
  test('inside a nursery task it is cancelled by tn.cancel() without any signal passed', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      let outcome: unknown = 'still running';
      const nursery = openNursery(async (tn) => {
        tn.startSoon(async () => {
          try {
            // A grace past the bound below: a stop that waits for it instead of sending SIGTERM fails there.
            await runProcess(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { killGraceMs: 60_000 });
            outcome = 'resolved';
          } catch (error) {
            outcome = error;
            throw error;
          }
        });
        const pid = await readPidFile(pidFile);
        assert.equal(isRunning(pid), true, 'control: the child runs before the cancel');
        tn.cancel();
      });
      await settlesWithin(nursery, 10_000, pidFile);
      assert.ok(outcome instanceof Cancelled, `runProcess should reject with the nursery's Cancelled, got ${String(outcome)}`);
      assert.equal(isRunning(await readPidFile(pidFile)), false, 'the child still runs');
    });
  });

  test('inside failAfter(200) it rejects with TooSlowError', BOUNDED, async () => {
    await withTempDir(async (dir) => {
      const pidFile = join(dir, 'child.pid');
      const started = performance.now();
      // A grace past the bound below: a stop that waits for it instead of sending SIGTERM fails there.
      const deadlined = failAfter(200, () => runProcess(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'sh', pidFile], { killGraceMs: 60_000 }));
      await assert.rejects(settlesWithin(deadlined, 10_000, pidFile), TooSlowError);
      // The deadline is a duration, so this lower bound is the point; how soon after it the call settles is not measured.
      assert.ok(performance.now() - started >= 190, `took ${Math.round(performance.now() - started)} ms`);
      assert.equal(isRunning(await readPidFile(pidFile)), false, 'the child still runs');
    });
  });
});
