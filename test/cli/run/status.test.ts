// subvisor run: exit statuses and commands that cannot start. The other concerns of `run` are in this folder's other files.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeForeignBinary } from '../../support/binaries.js';
import { runCli } from '../cli.js';

describe('subvisor run', () => {
  test('relays both streams, prefixed, and exits with the child status', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'job', '--', 'sh', '-c', 'echo out line; echo err line >&2; exit 3']);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /^job \| out line$/m);
    assert.match(run.stdout, /^job \| err line$/m);
    assert.match(run.stderr, /^subvisor: job failed: exited with status 3$/m, 'the status said once');
  });

  test('a failure whose words do not say the status the run ends with adds it: died of SIGKILL (exit status 137)', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'job', '--', 'sh', '-c', 'kill -KILL $$']);
    assert.equal(run.code, 137);
    assert.match(run.stderr, /^subvisor: job failed: died of SIGKILL \(exit status 137\)$/m);
  });

  test('exit status 0 for a successful child, and the label defaults to the program name', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', 'echo', 'plain']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^echo \| plain$/m);
    const shell = await runCli(['run', '/bin/sh', '-c', 'echo from the shell']);
    assert.match(shell.stdout, /^sh \| from the shell$/m);
  });

  test('a child killed by signal N exits 128+N', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'sh', '-c', 'kill -KILL $$']);
    assert.equal(run.code, 128 + 9);
    assert.match(run.stderr, /died of SIGKILL/);
  });

  test('a command that cannot start is one line, not a stack trace, with status 127', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'no-such-program-here', 'x']);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /no-such-program-here was not found on PATH/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a whole command given as one argument is told to be split (or read by a shell), whatever its first word is', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--', 'no-such-program-here --x']);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /no-such-program-here --x is one word holding a whole command: give each word as an argument of its own/);
    assert.doesNotMatch(run.stderr, /check the spelling/);
  });

  test("a path with a blank given as one argument ('my dir/x'), its file missing, is no such file (127), not a whole command to split", { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-blank-path-'));
    try {
      mkdirSync(join(dir, 'my dir'));
      const run = await runCli(['run', '--', 'my dir/x'], { cwd: dir });
      assert.equal(run.code, 127);
      assert.match(run.stderr, /no such file: my dir\/x \(exit status 127\)\n/);
      assert.doesNotMatch(run.stderr, /whole command/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [what, make, code] of [
    ['is not executable (EACCES)', (path: string) => writeFileSync(path, '#!/bin/sh\nexit 0\n', { mode: 0o644 }), 'EACCES'],
    ['is a binary for another machine (ENOEXEC)', writeForeignBinary, 'exec format error'],
  ] as const) {
    test(`a command that ${what} exits 126, as a shell says "cannot execute"`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-126-'));
      try {
        const program = join(dir, 'program');
        make(program);
        const run = await runCli(['run', '--', program]);
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, code === 'EACCES' ? /is not executable/ : /exec format error: .* is built for SPARC/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('the starting line shows the argv as a shell would need it: word boundaries and control characters visible', { timeout: 30_000 }, async () => {
    const run = await runCli(['run', '--label', 'q', '--', 'sh', '-c', 'echo a; exit 0', 'x\ty']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^q \* starting \(pid \d+\): sh -c 'echo a; exit 0' \$'x\\ty'$/m);
  });

  test('a program whose file name holds control sequences: the default label shows them escaped, also on a colour terminal', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-label-'));
    try {
      const program = join(dir, 'ev\x1b]0;pwn\x07il');
      writeFileSync(program, '#!/bin/sh\necho ran\n');
      chmodSync(program, 0o755);
      for (const env of [{ FORCE_COLOR: '1' }, { NO_COLOR: '1' }]) {
        const run = await runCli(['run', '--', program], { env });
        assert.equal(run.code, 0, run.stderr);
        // eslint-disable-next-line no-control-regex -- raw control characters are what must not be there
        assert.doesNotMatch(run.stdout, /\x1b\]|\x07/, 'no raw OSC, no raw BEL');
        // eslint-disable-next-line no-control-regex -- the colour's own escape starts the prefix
        assert.match(run.stdout, /^(?:\x1b\[36m)?ev\\e\]0;pwn\\x07il \|.* ran$/m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a program name whose only PATH entry to hold it is a directory this user may not enter: that directory is named, not "chmod +x"', { timeout: 30_000 }, async () => {
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-path-entry-'));
    try {
      writeFileSync(join(closed, 'hidden-prog'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      // Root enters any directory: the command line itself runs as nobody. Anyone else is kept out of its own.
      const asRoot = process.getuid?.() === 0;
      chmodSync(closed, asRoot ? 0o700 : 0o000);
      const run = await runCli(['run', '--', 'hidden-prog'], { cwd: '/', env: { PATH: `${closed}:/usr/bin:/bin` }, ...(asRoot ? { uid: 65534 } : {}) });
      assert.equal(run.code, 126, run.stderr);
      const mode = asRoot ? '700' : '0';
      assert.ok(run.stdout.includes(`cannot start hidden-prog: permission denied: this user may not enter ${closed} (mode ${mode}, owned by uid ${String(process.getuid?.())}), a directory on PATH where hidden-prog may be; grant it search (x) permission there, or give the program's full path`), run.stdout + run.stderr);
    } finally {
      chmodSync(closed, 0o700);
      rmSync(closed, { recursive: true, force: true });
    }
  });
});
