import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { killQuietly } from '../support/processes.js';
import { BIN, runCli, startCli } from './cli.js';

// `subvisor run -- CMD` in a script, in place of `timeout 5 CMD` or `sh -c CMD`: what a script sees
// ($?, stderr) is what those give, unless the README says why not.
describe('subvisor run as a drop-in for timeout(1) and sh -c', () => {
  for (const [what, make, said] of [
    ['a symbolic link that points back at itself (ELOOP)', (dir: string) => (symlinkSync('loop', join(dir, 'loop')), join(dir, 'loop')), /too many levels of symbolic links/],
    ['a path with a name over 255 bytes (ENAMETOOLONG)', (dir: string) => join(dir, 'n'.repeat(300)), /the path is too long/],
    ['a path that goes on through a file as if it were a directory (ENOTDIR)', (dir: string) => (writeFileSync(join(dir, 'file'), ''), join(dir, 'file', 'x')), /not a directory \(ENOTDIR\): \S+\/file is a file/],
    ['a script whose #! interpreter is not executable (EACCES)', (dir: string) => (writeFileSync(join(dir, 'data'), ''), writeFileSync(join(dir, 'script'), `#!${join(dir, 'data')}\n`, { mode: 0o755 }), join(dir, 'script')), /its interpreter line "#!\S+\/data" names \S+\/data, which is not executable/],
    ['a script whose #! interpreter is a directory (EACCES)', (dir: string) => (writeFileSync(join(dir, 'script'), `#!${dir}\n`, { mode: 0o755 }), join(dir, 'script')), /its interpreter line "#!\S+" names \S+, which is a directory/],
    ['a file named with a slash after it, as if it were a directory (ENOTDIR)', (dir: string) => (writeFileSync(join(dir, 'program'), '#!/bin/sh\n', { mode: 0o755 }), `${join(dir, 'program')}/`), /not a directory \(ENOTDIR\): \S+\/program is a file/],
    ['a script whose #! interpreter is a symbolic link that points back at itself (ELOOP)', (dir: string) => (symlinkSync('loop', join(dir, 'loop')), writeFileSync(join(dir, 'script'), `#!${join(dir, 'loop')}\n`, { mode: 0o755 }), join(dir, 'script')), /its interpreter line "#!\S+\/loop": too many levels of symbolic links/],
    ['a script whose #! interpreter goes on through a file (ENOTDIR)', (dir: string) => (writeFileSync(join(dir, 'file'), ''), writeFileSync(join(dir, 'script'), `#!${join(dir, 'file', 'sh')}\n`, { mode: 0o755 }), join(dir, 'script')), /interpreter line "#!\S+\/file\/sh" goes on through \S+\/file, a file/],
  ] as const) {
    test(`a program that is ${what} cannot be run: status 126, as timeout(1) and bash give it`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-126-'));
      try {
        const program = make(dir);
        // The control: timeout(1) (coreutils) says 126 for any exec failure but ENOENT.
        assert.equal(spawnSync('timeout', ['10', program]).status, 126);
        const run = await runCli(['run', '--', program]);
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, /cannot start/);
        assert.match(run.stderr, said);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('an empty program name is not found: status 127, as bash, timeout(1) and env(1) give it', { timeout: 30_000 }, async () => {
    // The control: coreutils' timeout(1) says 127 (and bash -c '""' and env '' too).
    assert.equal(spawnSync('timeout', ['10', '']).status, 127);
    const run = await runCli(['run', '--', '', 'x']);
    assert.equal(run.code, 127, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^subvisor: cannot start '' x: the program name is empty/);
    // Blanks alone are no name either (`run -- "$A $B"`, both unset), as a cmd of blanks in subvisor.yaml is
    // refused as empty: it was "' ' was not found on PATH (check the spelling ...)", the name unseen.
    const blank = await runCli(['run', '--', ' ', 'x']);
    assert.equal(blank.code, 127, blank.stdout + blank.stderr);
    assert.match(blank.stderr, /^subvisor: cannot start ' ' x: the program name is empty/);
  });

  test('--json: an empty program name is a failure record on stdout, as a program not found is (reason spawn, ENOENT), status 127, nothing on stderr', { timeout: 30_000 }, async () => {
    const failureOf = (stdout: string): Record<string, unknown> | undefined =>
      stdout
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((record) => record.event === 'failure');
    // The control: a name not on PATH, which the run itself fails to start.
    const missing = await runCli(['run', '--json', '--', 'subvisor-no-such-program', 'x']);
    assert.equal(missing.code, 127, missing.stdout + missing.stderr);
    assert.deepEqual([failureOf(missing.stdout)?.reason, failureOf(missing.stdout)?.code], ['spawn', 'ENOENT']);
    const empty = await runCli(['run', '--json', '--', '', 'x']);
    assert.equal(empty.code, 127, empty.stdout + empty.stderr);
    assert.equal(empty.stderr, '', 'in --json everything is a record on stdout');
    assert.equal(empty.stdout.trim().split('\n').length, 1, `one record, the failure: ${empty.stdout}`);
    const failure = failureOf(empty.stdout);
    assert.deepEqual([failure?.reason, failure?.code, failure?.exitCode], ['spawn', 'ENOENT', 127]);
    assert.match(String(failure?.line), /the program name is empty/);
  });

  test('a program still open for writing (ETXTBSY) is said to be being written, by whom, with 126 as bash and timeout(1) give it, not taken for a damaged binary', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-busy-'));
    const program = join(dir, 'true');
    copyFileSync('/bin/true', program);
    // This test's own process is the writer, as a copy or a link step still under way would be.
    const writer = openSync(program, 'a');
    try {
      // The control: timeout(1) is refused the same file, for that reason.
      const control = spawnSync('timeout', ['10', program], { encoding: 'utf8' });
      assert.equal(control.status, 126);
      assert.match(control.stderr, /Text file busy/);
      // Behind the spawn gate, whose shell tells only a status, and without it (Node's own errno).
      for (const watchdog of ['1', '0']) {
        const run = await runCli(['run', '--', program], { env: { SUBVISOR_WATCHDOG: watchdog } });
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, new RegExp(`text file busy \\(ETXTBSY\\): \\S+/true is open for writing by pid ${process.pid} \\(node\\)`), `SUBVISOR_WATCHDOG=${watchdog}`);
        assert.doesNotMatch(run.stderr, /damaged|exec format error/);
      }
      closeSync(writer);
      // Once written and closed, the same file runs.
      assert.equal((await runCli(['run', '--', program])).code, 0);
    } finally {
      closeQuietly(writer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a script whose #! interpreter is still open for writing (ETXTBSY) is said to be refused for its interpreter, naming the writer, with 126 as timeout(1) gives it', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-busy-interpreter-'));
    const interpreter = join(dir, 'sh');
    const script = join(dir, 'script');
    copyFileSync('/bin/sh', interpreter);
    writeFileSync(script, `#!${interpreter}\nexit 0\n`, { mode: 0o755 });
    // This test's own process is the writer of the interpreter; the script itself is closed.
    const writer = openSync(interpreter, 'a');
    try {
      // The control: timeout(1) is refused the script, for its interpreter.
      const control = spawnSync('timeout', ['10', script], { encoding: 'utf8' });
      assert.equal(control.status, 126);
      assert.match(control.stderr, /Text file busy/);
      for (const watchdog of ['1', '0']) {
        const run = await runCli(['run', '--', script], { env: { SUBVISOR_WATCHDOG: watchdog } });
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, new RegExp(`text file busy \\(ETXTBSY\\): \\S+/sh, the interpreter its line "#!\\S+/sh" names, is open for writing by pid ${process.pid} \\(node\\)`), `SUBVISOR_WATCHDOG=${watchdog}`);
        assert.doesNotMatch(run.stderr, /cannot see|exec format error/);
      }
      closeSync(writer);
      // Once its interpreter is closed, the same script runs.
      assert.equal((await runCli(['run', '--', script])).code, 0);
    } finally {
      closeQuietly(writer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a command whose arguments come just under the system\'s limit runs, as under timeout(1), though the spawn gate\'s script would not fit beside them', { timeout: 60_000 }, async () => {
    const env = { ...process.env, NO_COLOR: '', FORCE_COLOR: '0' };
    const fits = (total: number): boolean => spawnSync('/bin/true', argumentsOf(total), { env, stdio: 'ignore' }).error === undefined;
    // The most that exec takes with this environment, found by halving (what ARG_MAX leaves once the environment is in).
    let [low, high] = [0, 4 * 1024 * 1024];
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (fits(middle)) low = middle;
      else high = middle;
    }
    // Room for the CLI's own words in front (`node main.js run --label t --`, each with its NUL and
    // pointer, and node's path once more as the file exec'd where /bin/true was), however long the
    // paths of node and the checkout, with a little slack; not room for the gate's script.
    const words = [process.execPath, BIN, 'run', '--label', 't', '--'].reduce((sum, word) => sum + Buffer.byteLength(word) + 1 + 8, 0);
    const front = words + Buffer.byteLength(process.execPath) - '/bin/true'.length + 32;
    assert.ok(front < 600, `the CLI's words (${front} bytes) leave the gate's ~700 bytes of script no room to fail for`);
    const total = low - front;
    // The control: timeout(1) runs it.
    assert.equal(spawnSync('timeout', ['10', '/bin/true', ...argumentsOf(total)], { env, stdio: 'ignore' }).status, 0);
    const run = await runCli(['run', '--label', 't', '--', '/bin/true', ...argumentsOf(total)]);
    assert.equal(run.code, 0, run.stderr.slice(-500));
  });

  test('a shell builtin given as the program (source, export) is not found, 127 as timeout(1) says, and the message names a shell that has it, not a misspelling', { timeout: 30_000 }, async () => {
    // The control: timeout(1), which runs no shell either, does not find it.
    assert.equal(spawnSync('timeout', ['10', 'source', 'x']).status, 127);
    for (const [builtin, said, way] of [
      // In the command line's words: `shell: true` is the library's option, which no user of it can give.
      ['export', /export is built into the shell, not a program: have a shell run the command \(sh -c '\.\.\.', or in subvisor\.yaml a cmd written as one string\)/, ['sh', '-c', 'export A=1']],
      // Not sh -c: dash, /bin/sh on Debian and Ubuntu, has no `source` either.
      ['source', /source is built into bash, not a program, and not into every sh \(dash, Debian's and Ubuntu's, lacks it\): have bash run the command \(bash -c '\.\.\.'\)/, ['bash', '-c', 'source /dev/null']],
    ] as const) {
      const run = await runCli(['run', '--', builtin, 'x']);
      assert.equal(run.code, 127, run.stdout + run.stderr);
      assert.match(run.stderr, said);
      assert.doesNotMatch(run.stderr, /check the spelling|shell: true/);
      // What the message says to do runs.
      assert.equal((await runCli(['run', '--', ...way])).code, 0, builtin);
    }
    // The control for the second: dash does not know `source`.
    assert.notEqual(spawnSync('dash', ['-c', 'source /dev/null']).status, 0);
  });

  test('a variable assignment given as the program (A=1 CMD, as a shell takes it) is not found, 127 as timeout(1) says, and the message shows env(1) as the way', { timeout: 30_000 }, async () => {
    // The control: timeout(1), which runs no shell either, does not find it.
    assert.equal(spawnSync('timeout', ['10', 'DEBUG=1', 'true']).status, 127);
    const run = await runCli(['run', '--', 'DEBUG=1', 'true']);
    assert.equal(run.code, 127, run.stdout + run.stderr);
    assert.match(run.stderr, /DEBUG=1 is a variable assignment, which a shell reads, not a program: put env in front \(env DEBUG=1 CMD\.\.\.\)/);
    assert.doesNotMatch(run.stderr, /check the spelling/);
    // What the message says to do runs.
    assert.equal((await runCli(['run', '--', 'env', 'DEBUG=1', 'true'])).code, 0);
  });

  test('a script saved with Windows line ends (#!/bin/sh\\r) is not found, 127 as a shell says, and the message names the carriage return, not the #! line', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-crlf-'));
    try {
      const script = join(dir, 'crlf.sh');
      writeFileSync(script, '#!/bin/sh\r\necho hi\r\n', { mode: 0o755 });
      // The control: the same script with Unix line ends runs.
      writeFileSync(join(dir, 'lf.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
      assert.equal((await runCli(['run', '--', join(dir, 'lf.sh')])).code, 0);
      const run = await runCli(['run', '--', script]);
      assert.equal(run.code, 127, run.stdout + run.stderr);
      assert.match(run.stderr, /ends in a carriage return: \S+crlf\.sh has Windows line ends \(CRLF\); convert it: dos2unix /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the command that converts a script saved with Windows line ends can be pasted into a shell, though its path holds a space', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor run crlf '));
    try {
      const script = join(dir, 'crlf.sh');
      writeFileSync(script, '#!/bin/sh\r\necho hi\r\n', { mode: 0o755 });
      const refused = await runCli(['run', '--', script]);
      const convert = /\(or (sed -i .*)\) \(exit status 127\)$/m.exec(refused.stderr)?.[1];
      assert.ok(convert !== undefined, refused.stderr);
      assert.equal(spawnSync('sh', ['-c', convert]).status, 0, convert);
      // The control: the script converted runs.
      const run = await runCli(['run', '--label', 'c', '--', script]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /^c \| hi$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an argument that is not UTF-8 is refused before anything starts (status 2), not passed on with U+FFFD in place of its bytes', { timeout: 30_000 }, () => {
    // Node cannot be given such bytes either: a shell makes them, as it would for timeout(1).
    const run = (program: string): { status: number | null; stdout: Buffer; stderr: string } => {
      const result = spawnSync('sh', ['-c', `${program} printf '%s' "$(printf 'caf\\351')"`], { env: { ...process.env, NO_COLOR: '' }, timeout: 20_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
    };
    // The control: timeout(1) passes the byte on as it was given.
    assert.deepEqual(run('timeout 10').stdout, Buffer.from('caf\xe9', 'latin1'));
    const refused = run(`"${process.execPath}" "${BIN}" run --`);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /argument 2 is not UTF-8 text.* printf 'caf\\351' makes/);
    assert.doesNotMatch(refused.stdout.toString(), /caf/, 'nothing started');
    // A real U+FFFD is text like any other, and goes through.
    const replacement = spawnSync(process.execPath, [BIN, 'run', '--', 'printf', '%s', 'caf\uFFFD'], { timeout: 20_000 });
    assert.equal(replacement.status, 0, replacement.stderr.toString());
    assert.match(replacement.stdout.toString(), /^printf \| caf\uFFFD$/m);
  });

  test('an environment variable that is not UTF-8 reaches the command as its bytes, as under timeout(1), not with U+FFFD in their place', { timeout: 30_000 }, () => {
    // Node cannot be given such bytes either: env(1) puts them in, as a login's locale would.
    const bytesOf = (program: string): string => {
      const command = `${program} sh -c 'printf %s "$LATIN" | od -An -tx1'`;
      const result = spawnSync('sh', ['-c', `exec env "LATIN=$(printf 'caf\\351')" ${command}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 20_000 });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    // The control: timeout(1) passes the byte on as it was given.
    assert.match(bytesOf('timeout 10'), /^ 63 61 66 e9$/m);
    assert.match(bytesOf(`"${process.execPath}" "${BIN}" run --label od --`), /^od \| {2}63 61 66 e9$/m);
  });

  test('where its bytes cannot be passed on (no spawn gate, or a variable name no shell can hold beside it), an environment variable that is not UTF-8 is named in a warning', { timeout: 30_000 }, () => {
    const run = (env: string): { status: number | null; stderr: string } => {
      const command = `"${process.execPath}" "${BIN}" run -- sh -c 'printf %s "$LATIN" | od -An -tx1'`;
      const result = spawnSync('sh', ['-c', `exec env ${env} "LATIN=$(printf 'caf\\351')" ${command}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 20_000 });
      return { status: result.status, stderr: result.stderr };
    };
    // The control: behind the gate the bytes go through, and nothing is said.
    assert.doesNotMatch(run('').stderr, /LATIN/);
    for (const env of ['SUBVISOR_WATCHDOG=0', 'a-b=1']) {
      const warned = run(env);
      assert.equal(warned.status, 0, warned.stderr);
      assert.match(warned.stderr, /the environment variable LATIN is not UTF-8 text: the command gets it with U\+FFFD in place of its bytes/, env);
      assert.doesNotMatch(warned.stderr, /caf/, 'the value is never shown');
    }
  });

  test('a real U+FFFD goes through under a process title (node --title, as NODE_OPTIONS may set it), which writes over the argv /proc shows', { timeout: 30_000 }, () => {
    const run = (title: readonly string[]): { status: number | null; stdout: string; stderr: string } => {
      const result = spawnSync(process.execPath, [...title, BIN, 'run', '--', 'printf', '%s', 'caf\uFFFD'], { encoding: 'utf8', timeout: 20_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    };
    // The control: without a title, /proc holds the argv as given, and the same command runs.
    assert.equal(run([]).status, 0);
    const titled = run(['--title=subvisor-test']);
    assert.equal(titled.status, 0, titled.stderr);
    assert.match(titled.stdout, /^printf \| caf\uFFFD$/m);
  });

  test('--stop-signal INT: a Ctrl-C reaches the command as SIGINT, as under sh -c or timeout(1), so it can clean up as it does on an interrupt', { timeout: 30_000 }, async () => {
    const child = ['sh', '-c', 'trap "echo got INT; exit 0" INT; trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done'];
    const stoppedWith = async (options: readonly string[]): Promise<string> => {
      const cli = startCli(['run', '--label', 'c', ...options, '--', ...child]);
      await cli.waitForOutput('c | up');
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130, run.stdout + run.stderr);
      return run.stdout;
    };
    // The control: by default the stop signal is SIGTERM, whatever stopped the run.
    assert.match(await stoppedWith([]), /^c \| got TERM$/m);
    const interrupted = await stoppedWith(['--stop-signal', 'INT']);
    assert.match(interrupted, /^c \* stopping \(SIGINT\): SIGINT to its process group$/m);
    assert.match(interrupted, /^c \| got INT$/m);
    assert.doesNotMatch(interrupted, /^c \| got TERM$/m);
  });

  test('--stop-signal refuses a signal the command cannot handle, or one it does not know, before anything starts (status 2)', { timeout: 30_000 }, async () => {
    for (const [given, says] of [['KILL', /--stop-signal: SIGKILL cannot be caught/], ['SIGTREM', /unknown signal 'SIGTREM'.*did you mean 'SIGTERM'/]] as const) {
      const run = await runCli(['run', '--stop-signal', given, '--', 'echo', 'started']);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, says);
      assert.doesNotMatch(run.stdout, /started/);
    }
  });

  test('--timeout times the command, as timeout(1) does: one that exited before it keeps its own status while what it left holds its output', { timeout: 30_000 }, async () => {
    // The command ends soon; the sleep it left, in a session of its own, holds its stdout for the
    // drain grace (2 s) and one more after its group's stop: the --timeout passes meanwhile, late
    // in that window, since a command slow to start on a loaded machine must still end before it.
    const run = await runCli(['run', '--label', 'c', '--timeout', '2500ms', '--', 'sh', '-c', 'setsid sleep 30 & echo "holder $!"; sleep 0.3; exit 3']);
    const holder = Number(/^c \| holder (\d+)$/m.exec(run.stdout)?.[1]);
    try {
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stdout, /^c \* exited with status 3$/m);
      assert.doesNotMatch(run.stdout + run.stderr, /--timeout/);
    } finally {
      killQuietly(holder);
    }
    // The control: a command still running at its --timeout is stopped, and the run exits 124.
    const slow = await runCli(['run', '--label', 'c', '--timeout', '500ms', '--', 'sleep', '30']);
    assert.equal(slow.code, 124, slow.stdout + slow.stderr);
  });

  test('--ready-timeout: a command that exited before its deadline, while what it left holds its output past it, keeps its own status', { timeout: 30_000 }, async () => {
    // As for --timeout above: the deadline passes while the sleep it left holds its stdout.
    const run = await runCli(['run', '--label', 'c', '--ready', 'listening', '--ready-timeout', '2500ms', '--', 'sh', '-c', 'setsid sleep 30 & echo "holder $!"; sleep 0.3; exit 0']);
    const holder = Number(/^c \| holder (\d+)$/m.exec(run.stdout)?.[1]);
    try {
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /^c \* exited with status 0 after \d+ ms, before it was ready$/m);
      assert.doesNotMatch(run.stdout + run.stderr, /not ready within/);
    } finally {
      killQuietly(holder);
    }
  });
});

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already, by the test itself
  }
}

/** Arguments of 64 KiB (under Linux's limit for one) that take `total` bytes of exec's room, each with its NUL. */
function argumentsOf(total: number): string[] {
  const args: string[] = [];
  for (let left = total; left > 1; left -= 65_536) args.push('a'.repeat(Math.min(left, 65_536) - 1));
  return args;
}
