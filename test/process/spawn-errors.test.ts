import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { CalledProcessError, SpawnError, runProcess, superviseRunProcess, type RunProcessOptions } from '../../src/index.js';
import { writeForeignBinary } from '../support/binaries.js';
import { skipsWithoutRootAndSetpriv } from '../support/setpriv.js';

/** How the messages name the machine these tests run on (Node's `process.arch`, as an ELF header says it). */
const OUR_MACHINE = ({ x64: 'x86-64', arm64: 'AArch64' } as Record<string, string>)[process.arch] ?? process.arch;

// Every test here spawns (or refuses to spawn) real children; none may take long.
const BOUNDED = { timeout: 20_000 };
const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'subvisor-spawn-errors-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes an executable (or not) file in the temp dir and returns its path. */
function writeScript(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

/**
 * Runs `cmd`, expecting it not to start: returns the SpawnError after checking what every spawn
 * failure must be, at once, a SpawnError (never a CalledProcessError), never "killed by signal"
 * (Node reports spawn ENOENT as the exit code -2, which a careless reading turns into signal 2).
 * "At once" without a clock: a start that went on without the gate's verdict (it waits 2 s for one)
 * would read exec's 127 as the command's own status, a CalledProcessError; one that waited for a
 * stop's kill grace waits 60 s here, past the test's own bound.
 */
async function spawnFailure(cmd: string[] | string, opts: RunProcessOptions = {}): Promise<SpawnError> {
  const error = await runProcess(cmd, { killGraceMs: 60_000, ...opts }).then(
    (result) => assert.fail(`the command should not start, yet it ran: ${inspect(result)}`),
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof SpawnError, `expected a SpawnError, got ${inspect(error)}`);
  assert.doesNotMatch(error.message, /signal/i);
  return error;
}

describe('runProcess: a command that cannot start rejects at once with a SpawnError naming it and the cause', () => {
  test('a command not on PATH: ENOENT, "not found on PATH"', BOUNDED, async () => {
    const error = await spawnFailure(['subvisor-no-such-command', '--flag']);
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /^cannot start subvisor-no-such-command --flag: subvisor-no-such-command was not found on PATH/);
    assert.deepEqual(error.cmd, ['subvisor-no-such-command', '--flag']);
  });

  test('a whole command in one argv word (concurrently\'s habit): ENOENT, and the message says to split it or use a shell, not to check the spelling', BOUNDED, async () => {
    const error = await spawnFailure(['sh -c "exit 0"']);
    assert.equal(error.code, 'ENOENT');
    // Quoted as the one word it is: a plain join would hide the very mistake.
    assert.match(error.message, /^cannot start 'sh -c "exit 0"': sh -c "exit 0" is one word holding a whole command: give each word as an argument of its own, or have a shell read it \(sh -c '...', or shell: true\)$/);
    assert.doesNotMatch(error.message, /check the spelling/);
    // As data too, for a program of its own to give its users its own way to a shell.
    assert.equal(error.shellOnly, 'whole-command');
    // Whatever its first word: one that is no program either is still a command in one word (split, that word is said missing).
    const missing = await spawnFailure(['subvisor-no-such-command --flag']);
    assert.match(missing.message, /^cannot start 'subvisor-no-such-command --flag': subvisor-no-such-command --flag is one word holding a whole command: give each word/);
    assert.doesNotMatch(missing.message, /check the spelling/);
    assert.equal(missing.shellOnly, 'whole-command');
    // Control: a path with a blank whose first word is no program is a path: no such file.
    const path = await spawnFailure(['/subvisor/no such/program']);
    assert.match(path.message, /no such file: \/subvisor\/no such\/program$/);
    assert.equal(path.shellOnly, undefined);
  });

  test("a relative path with a blank whose file is missing ('my dir/x'): no such file where its directory is there, both readings where nothing is, never only 'a whole command'", BOUNDED, async () => {
    const cwd = join(dir, 'blank-path');
    mkdirSync(join(cwd, 'my dir'), { recursive: true });
    const path = await spawnFailure(['my dir/x'], { cwd });
    assert.equal(path.code, 'ENOENT');
    assert.match(path.message, /^cannot start 'my dir\/x': no such file: my dir\/x$/);
    assert.equal(path.shellOnly, undefined);
    // No such directory either: a path, or a command whose program is no program; both are said.
    const neither = await spawnFailure(['your dir/x'], { cwd });
    assert.match(neither.message, /^cannot start 'your dir\/x': no such file: your dir\/x, nor a directory your dir; read as a whole command in one word, its program your is not on PATH either$/);
    assert.equal(neither.shellOnly, undefined);
    // Control: a first word that is a program makes it a command, a / after it or not.
    const command = await spawnFailure(['sh my dir/x'], { cwd });
    assert.match(command.message, /is one word holding a whole command/);
    assert.equal(command.shellOnly, 'whole-command');
  });

  test("a program name with a blank at its start or end (' ls', 'ls '): told as a command in one word (split, it runs), not to check the spelling", BOUNDED, async () => {
    for (const program of [' ls', 'ls ', '\tls']) {
      const error = await spawnFailure([program, '-d', '.']);
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /is one word holding a whole command: give each word as an argument of its own/, program);
      assert.doesNotMatch(error.message, /check the spelling/);
      assert.equal(error.shellOnly, 'whole-command');
    }
    // Control: a path whose only blank is at its end, its file missing, is still no such file.
    const path = await spawnFailure(['/subvisor/no-such-program ']);
    assert.match(path.message, /no such file: \/subvisor\/no-such-program $/);
    assert.equal(path.shellOnly, undefined);
  });

  test('a builtin of sh given as the program: ENOENT, and the message says to have a shell run it (shell: true), shellOnly says so as data', BOUNDED, async () => {
    const error = await spawnFailure(['cd', '/']);
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /^cannot start cd \/: cd is built into the shell, not a program: have a shell run the command \(sh -c '...', or shell: true\)$/);
    assert.equal(error.shellOnly, 'builtin');
  });

  test('a missing absolute path: ENOENT, "no such file"', BOUNDED, async () => {
    const missing = join(dir, 'no-such-dir', 'prog');
    const error = await spawnFailure([missing]);
    assert.equal(error.code, 'ENOENT');
    assert.ok(error.message.includes(`no such file: ${missing}`), error.message);
  });

  test('a file without execute permission: EACCES, "permission denied"', BOUNDED, async () => {
    const script = writeScript('not-executable', '#!/bin/sh\nexit 0\n', 0o644);
    const error = await spawnFailure([script]);
    assert.equal(error.code, 'EACCES');
    assert.ok(error.message.startsWith(`cannot start ${script}: permission denied: ${script} is not executable`), error.message);
    // Control: the same file made executable runs, so the mode (not the content) was the cause.
    chmodSync(script, 0o755);
    assert.equal((await runProcess([script])).returncode, 0);
  });

  test('a binary for another architecture: ENOEXEC, "exec format error", not a permission problem', BOUNDED, async () => {
    const binary = writeForeignBinary(join(dir, 'foreign-binary'));
    const error = await spawnFailure([binary], { stderr: 'ignore' });
    assert.equal(error.code, 'ENOEXEC');
    // Both machines named: the one it is for, read from its header, and ours, read from node's.
    assert.equal(error.message, `cannot start ${binary}: exec format error: ${binary} is built for SPARC, and this machine runs ${OUR_MACHINE}`);
  });

  test('a binary for another machine: the gate\'s one-line complaint is all that reaches the child\'s stderr; around the gate (argv0), /bin/sh is handed the file and it is a CalledProcessError (README)', BOUNDED, async () => {
    const binary = writeForeignBinary(join(dir, 'foreign-binary-2'));
    const stderrFile = join(dir, 'gate-stderr');
    const fd = openSync(stderrFile, 'w');
    try {
      assert.equal((await spawnFailure([binary], { stderr: fd })).code, 'ENOEXEC');
    } finally {
      closeSync(fd);
    }
    assert.match(readFileSync(stderrFile, 'utf8'), /^subvisor-gate: \d+: exec: .*foreign-binary-2: Exec format error\n$/);
    const around = await runProcess([binary], { argv0: 'foreign', stderr: 'ignore' }).then(
      () => assert.fail('it should fail'),
      (reason: unknown) => reason,
    );
    assert.ok(around instanceof CalledProcessError, inspect(around));
    assert.notEqual(around.returncode, 0, 'what /bin/sh made of an ELF file: 2 (a syntax error) with dash');
  });

  test('where /bin/sh is bash (Fedora, Arch), a failed exec is still a SpawnError, and a command that runs holds no copy of the gate\'s verdict socket', BOUNDED, () => {
    const binary = writeForeignBinary(join(dir, 'foreign-binary-bash'));
    const { failed, fds } = underBashAsSh(`
      const failed = await runProcess([${JSON.stringify(binary)}], { stderr: 'ignore' }).then(() => 'ran', (error) => error.code + ': ' + error.message);
      const fds = await runProcess(['ls', '/proc/self/fd'], { captureStdout: true });
      console.log(JSON.stringify({ failed, fds: fds.stdout.toString().split('\\n').filter(Boolean) }));`) as { failed: string; fds: string[] };
    assert.equal(failed, `ENOEXEC: cannot start ${binary}: exec format error: ${binary} is built for SPARC, and this machine runs ${OUR_MACHINE}`);
    // 0-2 and ls's own reading of the directory; not 4, which would hold the start up to its cap.
    assert.ok(!fds.includes('4'), `fds of the command: ${fds.join(' ')}`);
  });

  test('where /bin/sh is bash, an environment with a name bash keeps for itself (PPID readonly, SHELLOPTS its options) reaches the command as given, and the gate is not traced', BOUNDED, () => {
    const { stdout, stderr } = underBashAsSh(`
      const run = await runProcess(['env'], { env: { PATH: '/usr/bin:/bin', PPID: '1', SHELLOPTS: 'xtrace', A: '1' }, captureStdout: true, captureStderr: true });
      console.log(JSON.stringify({ stdout: run.stdout.toString(), stderr: run.stderr.toString() }));`) as { stdout: string; stderr: string };
    assert.deepEqual(stdout.split('\n').filter(Boolean).sort(), ['A=1', 'PATH=/usr/bin:/bin', 'PPID=1', 'SHELLOPTS=xtrace']);
    assert.equal(stderr, '', 'nothing of the gate on the command\'s stderr');
    // What the README says bash does add: SHLVL, to an environment that had none.
    const plain = underBashAsSh(`
      const run = await runProcess(['env'], { env: { PATH: '/usr/bin:/bin', A: '1' }, captureStdout: true });
      console.log(JSON.stringify(run.stdout.toString()));`) as string;
    assert.deepEqual(plain.split('\n').filter(Boolean).sort(), ['A=1', 'PATH=/usr/bin:/bin', 'SHLVL=0']);
  });

  test('a damaged binary for this very machine: ENOEXEC, and the message says it is not the architecture', BOUNDED, async () => {
    const binary = join(dir, 'truncated-binary');
    writeFileSync(binary, readFileSync('/bin/true').subarray(0, 120)); // its header, and nothing it describes
    chmodSync(binary, 0o755);
    const error = await spawnFailure([binary], { stderr: 'ignore' });
    assert.equal(error.code, 'ENOEXEC');
    assert.equal(
      error.message,
      `cannot start ${binary}: exec format error: ${binary} is built for ${OUR_MACHINE}, as this machine runs, yet the system would not run it: it is damaged (truncated?), a process this user cannot see has it open for writing (text file busy), or a security policy (AppArmor, SELinux) forbids it`,
    );
  });

  test('an executable file behind a directory its user may not enter: EACCES naming that directory, not "chmod +x"', BOUNDED, async () => {
    const open = mkdtempSync(join(tmpdir(), 'subvisor-closed-dir-'));
    try {
      chmodSync(open, 0o755);
      const closed = join(open, 'closed');
      mkdirSync(closed);
      const script = join(closed, 'run-me');
      writeFileSync(script, '#!/bin/sh\nexit 0\n');
      chmodSync(script, 0o755);
      const asRoot = process.getuid?.() === 0;
      // Root enters any directory: the child is run as nobody. Anyone else is kept out of its own.
      chmodSync(closed, asRoot ? 0o700 : 0o600);
      const opts: RunProcessOptions = asRoot ? { uid: 65534, gid: 65534 } : {};
      const who = asRoot ? 'uid 65534' : 'this user';
      const mode = asRoot ? '700' : '600';
      const owner = String(process.getuid?.());
      for (const cmd of [[script], ['run-me']]) {
        // By path, and by name on a PATH that holds the closed directory.
        const error = await spawnFailure(cmd, cmd[0] === script ? opts : { ...opts, env: { PATH: `${closed}:/usr/bin:/bin` } });
        assert.equal(error.code, 'EACCES');
        const expected = `permission denied: ${who} may not enter ${closed} (mode ${mode}, owned by uid ${owner}), so cannot run ${script}; grant it search (x) permission on that directory, or put the program where it can reach it`;
        if (asRoot || cmd[0] === script) assert.equal(error.message, `cannot start ${cmd.join(' ')}: ${expected}`);
        else assert.match(error.message, /permission denied/); // unprivileged, the file behind it cannot be seen
      }
      // Control: the directory opened, the same command runs as the same user.
      chmodSync(closed, 0o755);
      assert.equal((await runProcess([script], opts)).returncode, 0);
    } finally {
      // The closed directory opened first: unprivileged, rm could not enter it, and would hide the failure.
      chmodSync(join(open, 'closed'), 0o700);
      rmSync(open, { recursive: true, force: true });
    }
  });

  test('a name on PATH that is there but not executable, with a closed PATH entry before it: not blamed on that entry', BOUNDED, async () => {
    const root = mkdtempSync(join(tmpdir(), 'subvisor-closed-path-'));
    try {
      chmodSync(root, 0o755);
      const closed = join(root, 'closed');
      const open = join(root, 'open');
      mkdirSync(closed);
      mkdirSync(open, { mode: 0o755 });
      writeFileSync(join(open, 'not-executable-on-path'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
      const asRoot = process.getuid?.() === 0;
      chmodSync(closed, asRoot ? 0o700 : 0o000);
      const opts: RunProcessOptions = { ...(asRoot ? { uid: 65534, gid: 65534 } : {}), env: { PATH: `${closed}:${open}` } };
      const error = await spawnFailure(['not-executable-on-path'], opts);
      assert.equal(error.code, 'EACCES');
      const who = asRoot ? 'uid 65534' : 'this user';
      assert.equal(error.message, `cannot start not-executable-on-path: permission denied: not-executable-on-path is not executable by ${who} (missing chmod +x, or on a file system mounted noexec?)`);
    } finally {
      chmodSync(join(root, 'closed'), 0o700);
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a uid and gid this user namespace does not map (unshare -r maps only root): EINVAL naming both, not a bare "spawn EINVAL"', BOUNDED, () => {
    const { failed, ran } = inNamespaceOfRootOnly(`
      const failed = await runProcess(['true'], { uid: 65534, gid: 65534 }).then(() => 'ran', (error) => error.code + ': ' + error.message);
      const ran = await runProcess(['true'], { uid: 0, gid: 0 }).then(() => 'ran', (error) => error.message);
      console.log(JSON.stringify({ failed, ran }));`) as { failed: string; ran: string };
    assert.equal(ran, 'ran', 'control: root, which it maps, is taken');
    assert.equal(
      failed,
      'EINVAL: cannot start true: uid 65534 and gid 65534 are not mapped in this user namespace (EINVAL; see /proc/self/uid_map and gid_map): a rootless container maps a range of ids, unshare -r only root; run it as an id mapped here, or outside this namespace',
    );
  });

  test('groups in a user namespace that denies setgroups (unshare -r): EPERM saying so, before anything runs, not setpriv\'s exit 127 as the command\'s', BOUNDED, () => {
    const { failed, ran } = inNamespaceOfRootOnly(`
      const failed = await runProcess(['true'], { uid: 0, gid: 0, groups: [0] }).then((done) => 'ran: ' + done.returncode, (error) => error.code + ': ' + error.message);
      const ran = await runProcess(['true'], { uid: 0, gid: 0 }).then(() => 'ran', (error) => error.message);
      console.log(JSON.stringify({ failed, ran }));`) as { failed: string; ran: string };
    assert.equal(ran, 'ran', 'control: without groups, the same ids are taken');
    assert.equal(failed, 'EPERM: cannot start true: operation not permitted (EPERM): this user namespace denies setting groups (/proc/self/setgroups says deny, as unshare -r sets it); leave out groups, or run outside this namespace');
  });

  test('a directory as the command: EACCES, naming the directory', BOUNDED, async () => {
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const error = await spawnFailure([directory]);
    assert.equal(error.code, 'EACCES');
    assert.ok(error.message.endsWith(`: permission denied: ${directory} is a directory, not a program`), error.message);
  });

  test('a script whose #! line names a missing interpreter: the message quotes the #! line', BOUNDED, async () => {
    const script = writeScript('bad-interpreter', '#!/nonexistent/interpreter -x\necho hi\n', 0o755);
    const error = await spawnFailure([script]);
    assert.equal(error.code, 'ENOENT');
    assert.ok(error.message.includes('"#!/nonexistent/interpreter -x"'), error.message);
    assert.ok(error.message.includes(script), error.message);
    // Control: the same script with a real interpreter runs.
    writeScript('bad-interpreter', '#!/bin/sh\nexit 0\n', 0o755);
    assert.equal((await runProcess([script])).returncode, 0);
  });

  test('a program that ran, then was removed: looked for again, and reported before anything starts', BOUNDED, async () => {
    const script = writeScript('removed-later', '#!/bin/sh\nexit 0\n', 0o755);
    // Several starts in one turn of the event loop: the program is looked at once for all of them.
    const results = await Promise.all([runProcess([script]), runProcess([script]), runProcess([script])]);
    assert.deepEqual(results.map((result) => result.returncode), [0, 0, 0]);
    rmSync(script);
    const error = await spawnFailure([script]);
    assert.equal(error.code, 'ENOENT');
    assert.ok(error.message.includes(`no such file: ${script}`), error.message);
    // Found by looking, not by a failed exec in a started gate (which would say "the exec failed").
    assert.match((error.cause as Error).message, /found before spawning/);
  });

  test('in one turn, a program found without PATH (the default path) is still looked for again with an empty PATH', BOUNDED, async () => {
    const [found, missing] = await Promise.allSettled([runProcess(['sh', '-c', 'exit 0'], { env: {}, cwd: dir }), runProcess(['sh', '-c', 'exit 0'], { env: { PATH: '' }, cwd: dir })]);
    assert.equal(found.status === 'fulfilled' && found.value.returncode, 0);
    assert.ok(missing.status === 'rejected' && missing.reason instanceof SpawnError, inspect(missing));
    assert.equal(missing.reason.code, 'ENOENT');
    assert.match((missing.reason.cause as Error).message, /found before spawning/);
  });

  test('a cwd the child\'s user may not enter (Node enters it as root, then switches): EACCES naming the cwd and its mode, nothing run, as systemd\'s User= with WorkingDirectory= refuses (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const cwd = mkdtempSync(join(tmpdir(), 'subvisor-closed-cwd-'));
    try {
      chmodSync(cwd, 0o700);
      const marker = join(tmpdir(), `${cwd.split('/').pop() ?? ''}.ran`);
      const cmd = ['sh', '-c', 'touch "$1"', 'sh', marker];
      for (const groups of [undefined, [4242]]) {
        // Through Node's own id switch, and through setpriv (groups), alike.
        const error = await spawnFailure(cmd, { uid: 65534, gid: 65534, groups, cwd });
        assert.equal(error.code, 'EACCES');
        assert.equal(error.cwdUnusable, true);
        assert.equal(error.message, `cannot start sh -c 'touch "$1"' sh ${marker}: permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: ${cwd} is mode 700, owned by uid 0; grant it search (x) permission there, or give another cwd`);
        assert.equal(existsSync(marker), false, 'the command did not run');
      }
      // Control: the cwd opened, the same command runs there as the same user.
      chmodSync(cwd, 0o733);
      assert.equal((await runProcess(cmd, { uid: 65534, gid: 65534, cwd })).returncode, 0);
      assert.equal(existsSync(marker), true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      // Beside the cwd, where the user may write it: removed however the test ended.
      rmSync(join(tmpdir(), `${cwd.split('/').pop() ?? ''}.ran`), { force: true });
    }
  });

  test('a cwd its user may enter below a directory it may not search (/root/app, /root 0700): EACCES naming that directory, nothing run, as systemd\'s WorkingDirectory= refuses (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-parent-'));
    try {
      const cwd = join(closed, 'app');
      mkdirSync(cwd, { mode: 0o777 });
      chmodSync(cwd, 0o777);
      chmodSync(closed, 0o700);
      const marker = join(cwd, 'ran');
      // A relative path works from there; an absolute one into it, as node resolves its files, does not.
      const cmd = ['sh', '-c', 'touch ./ran'];
      for (const groups of [undefined, [4242]]) {
        const error = await spawnFailure(cmd, { uid: 65534, gid: 65534, groups, cwd });
        assert.equal(error.code, 'EACCES');
        assert.equal(error.cwdUnusable, true);
        assert.equal(error.message, `cannot start sh -c 'touch ./ran': permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: ${closed} is mode 700, owned by uid 0; grant it search (x) permission there, or give another cwd`);
        assert.equal(existsSync(marker), false, 'the command did not run');
      }
      // Control: the directory above opened to search, the same command runs there as the same user.
      chmodSync(closed, 0o711);
      assert.equal((await runProcess(cmd, { uid: 65534, gid: 65534, cwd })).returncode, 0);
      assert.equal(existsSync(marker), true);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a command too large to exec beside the gate, but not alone, is still kept out of a cwd its user may not search: EACCES, nothing run (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    // Retried without the gate (E2BIG beside its script), the child was started by Node entering
    // the cwd as root before it switched ids: nothing asked whether its user may.
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-e2big-'));
    try {
      const cwd = join(closed, 'app');
      mkdirSync(cwd);
      chmodSync(cwd, 0o777);
      chmodSync(closed, 0o700);
      // In values of 100 000 bytes: one string may be at most 128 KiB, all of them together far more.
      const envOf = (bytes: number): NodeJS.ProcessEnv => {
        const env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LAST: 'z'.repeat(bytes % 100_000) };
        for (let i = 0; i < Math.floor(bytes / 100_000); i++) env[`V${i}`] = 'y'.repeat(100_000);
        return env;
      };
      const execs = (bytes: number): boolean => spawnSync('/bin/true', [], { env: envOf(bytes) }).error === undefined;
      let fits = 0;
      let tooLarge = 64 * 1024 * 1024;
      while (tooLarge - fits > 1) {
        const middle = Math.floor((fits + tooLarge) / 2);
        if (execs(middle)) fits = middle;
        else tooLarge = middle;
      }
      assert.ok(fits > 200_000, `the environment took ${fits} bytes`);
      const marker = join(cwd, 'ran');
      const error = await spawnFailure(['sh', '-c', 'touch ./ran'], { uid: 65534, gid: 65534, cwd, env: envOf(fits - 300) });
      assert.equal(error.code, 'EACCES');
      assert.match(error.message, new RegExp(`may not enter the cwd ${cwd}: ${closed} is mode 700`));
      assert.equal(existsSync(marker), false, 'the command did not run');
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a child given argv0, which goes without the gate, is still kept out of a cwd its user may not search: EACCES, nothing run (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    // No gate takes argv0: Node enters the cwd as root before it switches ids.
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-argv0-'));
    try {
      const cwd = join(closed, 'app');
      mkdirSync(cwd);
      chmodSync(cwd, 0o777);
      chmodSync(closed, 0o700);
      const error = await spawnFailure(['sh', '-c', 'touch ./ran'], { uid: 65534, gid: 65534, cwd, argv0: 'sh' });
      assert.equal(error.code, 'EACCES');
      assert.match(error.message, new RegExp(`may not enter the cwd ${cwd}: ${closed} is mode 700`));
      assert.equal(existsSync(join(cwd, 'ran')), false, 'the command did not run');
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a child given argv0, which goes without the gate, is kept out of a cwd closed to its user by an ACL alone, its mode bits open: EACCES, nothing run (needs root, setfacl)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    if (spawnSync('setfacl', ['--version']).error !== undefined) {
      assert.notEqual(process.env.CI, 'true', 'setfacl is required under CI=true (.ci/run installs acl)');
      return t.skip('setfacl (acl) is not installed');
    }
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-acl-'));
    try {
      const cwd = join(closed, 'app');
      mkdirSync(cwd);
      chmodSync(cwd, 0o777);
      chmodSync(closed, 0o755);
      // The mode bits let uid 65534 through; the ACL entry for it alone does not.
      const acl = spawnSync('setfacl', ['-m', 'u:65534:---', closed], { encoding: 'utf8' });
      if (acl.status !== 0) return t.skip(`this file system takes no ACL: ${acl.stderr}`);
      const cmd = ['sh', '-c', 'touch ./ran'];
      const error = await spawnFailure(cmd, { uid: 65534, gid: 65534, cwd, argv0: 'sh' });
      assert.equal(error.code, 'EACCES');
      assert.equal(error.message, `cannot start sh -c 'touch ./ran': permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}; grant it search (x) permission there, or give another cwd`);
      assert.equal(existsSync(join(cwd, 'ran')), false, 'the command did not run');
      // Control: the ACL taken off, the same command runs there as the same user.
      assert.equal(spawnSync('setfacl', ['-b', closed]).status, 0);
      assert.equal((await runProcess(cmd, { uid: 65534, gid: 65534, cwd, argv0: 'sh' })).returncode, 0);
      assert.equal(existsSync(join(cwd, 'ran')), true);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a child given argv0, which goes without the gate, enters a cwd its mode bits close to its user but an ACL opens, as a gated child does (needs root, setfacl)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    if (spawnSync('setfacl', ['--version']).error !== undefined) {
      assert.notEqual(process.env.CI, 'true', 'setfacl is required under CI=true (.ci/run installs acl)');
      return t.skip('setfacl (acl) is not installed');
    }
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-open-acl-'));
    try {
      const cwd = join(closed, 'app');
      mkdirSync(cwd);
      chmodSync(cwd, 0o777);
      chmodSync(closed, 0o700);
      // The mode bits keep uid 65534 out (it is neither owner nor in the group); the ACL entry for it lets it through.
      const acl = spawnSync('setfacl', ['-m', 'u:65534:r-x', closed], { encoding: 'utf8' });
      if (acl.status !== 0) return t.skip(`this file system takes no ACL: ${acl.stderr}`);
      const cmd = ['sh', '-c', 'touch ./ran'];
      // Control: the gate asks the kernel, which lets it in.
      assert.equal((await runProcess(cmd, { uid: 65534, gid: 65534, cwd })).returncode, 0);
      rmSync(join(cwd, 'ran'));
      // Before: EACCES naming the mode bits ('is mode 750'), though the kernel would have let it in.
      assert.equal((await runProcess(cmd, { uid: 65534, gid: 65534, cwd, argv0: 'sh' })).returncode, 0);
      assert.equal(existsSync(join(cwd, 'ran')), true);
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a cwd given as a symlink into a directory its user may not search: EACCES naming that directory, not the symlink (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-target-'));
    const open = mkdtempSync(join(tmpdir(), 'subvisor-open-link-'));
    try {
      const app = join(closed, 'app');
      mkdirSync(app);
      chmodSync(app, 0o777);
      chmodSync(closed, 0o700);
      chmodSync(open, 0o755);
      const cwd = join(open, 'app');
      symlinkSync(app, cwd);
      const error = await spawnFailure(['true'], { uid: 65534, gid: 65534, cwd });
      assert.equal(error.code, 'EACCES');
      assert.equal(error.message, `cannot start true: permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: ${closed} is mode 700, owned by uid 0; grant it search (x) permission there, or give another cwd`);
    } finally {
      rmSync(open, { recursive: true, force: true });
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a cwd given as LINK/../app, the link into a directory its user may not search: its way is asked as chdir went (into the link\'s target\'s parent), not as the path reads (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const closed = mkdtempSync(join(tmpdir(), 'subvisor-closed-dotdot-'));
    const open = mkdtempSync(join(tmpdir(), 'subvisor-open-dotdot-'));
    try {
      for (const name of ['inner', 'app']) mkdirSync(join(closed, name), { mode: 0o777 });
      chmodSync(join(closed, 'app'), 0o777);
      chmodSync(closed, 0o700);
      chmodSync(open, 0o755);
      // Read as a path, LINK/../app is OPEN/app, which is there and open to all.
      mkdirSync(join(open, 'app'), { mode: 0o777 });
      chmodSync(join(open, 'app'), 0o777);
      symlinkSync(join(closed, 'inner'), join(open, 'link'));
      // Not join(): it would read the `..` away.
      const cwd = `${open}/link/../app`;
      const error = await spawnFailure(['sh', '-c', 'touch ./ran'], { uid: 65534, gid: 65534, cwd });
      // Before: it ran, in CLOSED/app (where chdir, as root, went), an absolute path into it EACCES.
      assert.equal(error.code, 'EACCES');
      assert.equal(error.message, `cannot start sh -c 'touch ./ran': permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: ${closed} is mode 700, owned by uid 0; grant it search (x) permission there, or give another cwd`);
      assert.equal(existsSync(join(closed, 'app', 'ran')), false, 'the command did not run');
    } finally {
      rmSync(open, { recursive: true, force: true });
      rmSync(closed, { recursive: true, force: true });
    }
  });

  test('a missing cwd: the message names the cwd, not the (existing) program', BOUNDED, async () => {
    const cwd = join(dir, 'no-such-cwd');
    const error = await spawnFailure(['true'], { cwd });
    assert.equal(error.code, 'ENOENT');
    assert.equal(error.cwd, cwd);
    assert.equal(error.cwdUnusable, true, 'the cwd, not the program, is what failed');
    assert.ok(error.message.includes(`the cwd ${cwd} does not exist`), error.message);
    assert.doesNotMatch(error.message, /not found on PATH/);
    // Control: a missing program with a good cwd is the program's failure.
    assert.equal((await spawnFailure(['subvisor-no-such-command'], { cwd: dir })).cwdUnusable, false);
  });

  test('a current directory that was removed: the child starts in it, as a shell would start it, and a missing program is still ENOENT', BOUNDED, async () => {
    const home = process.cwd();
    const removed = mkdtempSync(join(dir, 'removed-'));
    process.chdir(removed);
    try {
      rmSync(removed, { recursive: true });
      assert.throws(() => process.cwd(), /ENOENT/, 'the parent itself cannot tell where it is');
      const completed = await runProcess(['sh', '-c', 'echo ran'], { captureStdout: true });
      assert.equal(completed.stdout.toString(), 'ran\n');
      assert.equal((await spawnFailure(['subvisor-no-such-command'])).code, 'ENOENT');
    } finally {
      process.chdir(home);
    }
  });

  test('control characters in the program or cwd a reason names are escaped in the message, as in the command', BOUNDED, async () => {
    const program = join(dir, 'gone\x1b[31m\nprog');
    const missingProgram = await spawnFailure([program]);
    assert.ok(missingProgram.message.includes(`no such file: ${join(dir, 'gone\\e[31m\\nprog')}`), missingProgram.message);
    const cwd = join(dir, 'no\x07such\x9bcwd');
    const missingCwd = await spawnFailure(['true'], { cwd });
    assert.equal(missingCwd.cwd, cwd, 'the field keeps the path as given');
    assert.ok(missingCwd.message.includes(`the cwd ${join(dir, 'no\\x07such\\xc2\\x9bcwd')} does not exist`), missingCwd.message);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    for (const error of [missingProgram, missingCwd]) assert.doesNotMatch(error.message, /[\x00-\x1f\x7f-\x9f]/);
  });

  test('a cwd that is a file: ENOTDIR, "is not a directory"', BOUNDED, async () => {
    const cwd = writeScript('a-file', 'just a file\n', 0o644);
    const error = await spawnFailure(['true'], { cwd });
    assert.equal(error.code, 'ENOTDIR');
    assert.ok(error.message.includes(`the cwd ${cwd} is not a directory`), error.message);
  });

  test('a program behind a symlink loop, or with a name too long: ELOOP and ENAMETOOLONG, as exec says, not EACCES and "chmod +x"', BOUNDED, async () => {
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    const looped = await spawnFailure([join(dir, 'loop-a')]);
    assert.equal(looped.code, 'ELOOP');
    assert.equal(looped.cwdUnusable, false);
    assert.match(looped.message, /loop-a: too many levels of symbolic links \(ELOOP\): a link on the way points back at itself; fix or remove it$/);
    const long = await spawnFailure([join(dir, 'n'.repeat(300))]);
    assert.equal(long.code, 'ENAMETOOLONG');
    assert.match(long.message, /n{20}: the path is too long \(ENAMETOOLONG\)/);
    assert.doesNotMatch(`${looped.message}\n${long.message}`, /chmod|permission/);
  });

  test('a PATH entry behind a symlink loop is passed over, as the shell does; alone, it is ELOOP naming that entry', BOUNDED, async () => {
    const loop = join(dir, 'path-loop');
    symlinkSync(join(dir, 'path-loop-b'), loop);
    symlinkSync(loop, join(dir, 'path-loop-b'));
    const completed = await runProcess(['true'], { env: { PATH: `${loop}:/usr/bin:/bin` } });
    assert.equal(completed.returncode, 0);
    const error = await spawnFailure(['true'], { env: { PATH: loop } });
    assert.equal(error.code, 'ELOOP');
    assert.ok(error.message.includes(`${join(loop, 'true')}: too many levels of symbolic links (ELOOP)`), error.message);
    // With an entry whose `true` may not be run, the last entry's errno is the one said, as dash says it.
    const closed = join(dir, 'path-closed');
    mkdirSync(closed);
    writeScript(join('path-closed', 'true'), '#!/bin/sh\n', 0o644);
    assert.equal((await spawnFailure(['true'], { env: { PATH: `${closed}:${loop}` } })).code, 'ELOOP');
    assert.equal((await spawnFailure(['true'], { env: { PATH: `${loop}:${closed}` } })).code, 'EACCES');
  });

  test('a PATH entry that is a file is passed over, as execvp and the shell do; a name found nowhere is ENOENT and "not found on PATH", gate or not', BOUNDED, async () => {
    // A file put on PATH for its directory (PATH=$PATH:~/bin/tool) is a common slip. Without the
    // gate (argv0 goes around it), libuv's own PATH search says ENOTDIR, which dash, bash and
    // glibc's execvp all treat as "not here"; the gate's dash says 127, not found.
    const file = join(dir, 'path-file');
    writeFileSync(file, '');
    for (const opts of [{}, { argv0: 'around-the-gate' }]) {
      const completed = await runProcess(['true'], { ...opts, env: { PATH: `${file}:/usr/bin:/bin` } });
      assert.equal(completed.returncode, 0, 'control: an entry after the file is searched');
      const error = await spawnFailure(['subvisor-no-such-command'], { ...opts, env: { PATH: `/usr/bin:/bin:${file}` } });
      assert.equal(error.code, 'ENOENT', `${inspect(opts)}: ${error.message}`);
      assert.match(error.message, /subvisor-no-such-command was not found on PATH/);
    }
  });

  for (const [kind, code, make] of [
    ['a symlink loop', 'ELOOP', (): string => (symlinkSync(join(dir, 'cwd-loop-b'), join(dir, 'cwd-loop-a')), symlinkSync(join(dir, 'cwd-loop-a'), join(dir, 'cwd-loop-b')), join(dir, 'cwd-loop-a'))],
    ['a name too long', 'ENAMETOOLONG', (): string => join(dir, 'd'.repeat(300))],
  ] as const) {
    test(`a cwd that is ${kind}: ${code}, and the message names the cwd, for a program on PATH and by path alike`, BOUNDED, async () => {
      const cwd = make();
      for (const cmd of [['true'], ['./run.sh']]) {
        const error = await spawnFailure(cmd, { cwd });
        assert.equal(error.code, code, error.message);
        assert.equal(error.cwdUnusable, true, 'the cwd, not the program, is what failed');
        assert.ok(error.message.includes(`the cwd ${cwd} cannot be reached: `), error.message);
      }
    });
  }

  test('a missing shell: ENOENT, naming the shell', BOUNDED, async () => {
    const error = await spawnFailure('echo hi', { shell: '/nonexistent/shell' });
    assert.equal(error.code, 'ENOENT');
    assert.ok(error.message.includes('the shell /nonexistent/shell was not found'), error.message);
    assert.equal(error.cmd, 'echo hi');
  });

  test('an fd for stdout or stdin that is not open: EBADF, naming the stream and the fd, nothing started', BOUNDED, async () => {
    // fd 1000 is far above what a test process holds open; an fd just closed is the same case.
    const closed = openSync(join(dir, 'closed-fd'), 'w');
    closeSync(closed);
    for (const [name, opts] of [['stdout', { stdout: closed }], ['stdin', { stdin: 1000 }]] as const) {
      const marker = join(dir, `marker-bad-${name}`);
      const error = await spawnFailure(['touch', marker], opts);
      assert.equal(error.code, 'EBADF');
      assert.ok(error.message.includes(`${name} is fd ${opts[name]}, which is not open`), error.message);
      assert.equal(existsSync(marker), false, 'the command was spawned with a closed fd');
    }
    // Control: an open fd is passed on.
    const open = openSync(join(dir, 'open-fd'), 'w');
    try {
      await runProcess(['echo', 'through the fd'], { stdout: open });
    } finally {
      closeSync(open);
    }
    assert.equal(readFileSync(join(dir, 'open-fd'), 'utf8'), 'through the fd\n');
  });

  test('superviseRunProcess: an fd that is not open for a stream it reads and passes on (stderr, stdout with readyWhen) is EBADF too, nothing started', BOUNDED, async () => {
    const closed = openSync(join(dir, 'closed-fd-supervised'), 'w');
    closeSync(closed);
    for (const [name, opts] of [
      ['stderr', { stderr: closed }],
      ['stdout', { stdout: closed, readyWhen: /never/ }],
    ] as const) {
      const marker = join(dir, `marker-supervised-${name}`);
      const error = await superviseRunProcess(['touch', marker], opts).then(
        (result) => assert.fail(`the command should not start, yet it ran: ${inspect(result)}`),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof SpawnError, String(error));
      assert.equal(error.code, 'EBADF');
      assert.ok(error.message.includes(`${name} is fd ${closed}, which is not open`), error.message);
      assert.equal(existsSync(marker), false, 'the command was spawned, its output bound for a closed fd');
    }
  });

  test('too large for exec (E2BIG): one argument or variable over Linux\'s 128 KiB is named, and the message shows only the start of a huge command', BOUNDED, async () => {
    const oneArgument = await spawnFailure(['echo', 'short', 'x'.repeat(200 * 1024)]);
    assert.equal(oneArgument.code, 'E2BIG');
    assert.match(oneArgument.message, /: argv\[2\] is 200 KiB, more than the 128 KiB Linux takes in one argument \(E2BIG\); pass data through stdin or a file instead$/);
    const shellCommand = await spawnFailure(`echo ${'x'.repeat(200 * 1024)}`, { shell: true });
    assert.match(shellCommand.message, /: argv\[2\] \(the command string\) is 201 KiB, more than the 128 KiB Linux takes in one argument/);
    assert.match(oneArgument.message, /^cannot start echo short x{900,}… \(\d+ more characters\): /);
    assert.ok(oneArgument.message.length < 1200, `${oneArgument.message.length} characters`);
    assert.equal((oneArgument.cmd as string[])[2]?.length, 200 * 1024, 'the error keeps the whole command');
    const variable = await spawnFailure(['true'], { env: { ...process.env, HUGE: 'x'.repeat(130 * 1024) } });
    assert.match(variable.message, /: the environment variable HUGE is 130 KiB, more than the 128 KiB Linux takes in one variable \(E2BIG\)/);
    // 10 MiB: over what Linux takes together whatever the stack limit (at most 6 MiB, 3/4 of its 8 MiB cap).
    const together = await spawnFailure(['true', ...Array.from({ length: 100 }, () => 'x'.repeat(100 * 1024))]);
    assert.match(together.message, /: the arguments and environment are too large together \(E2BIG\)/);
    // Control: one argument just under the limit starts.
    await runProcess(['true', 'x'.repeat(127 * 1024)]);
  });

  test('too large for exec (E2BIG) because of groups: the list setpriv gets in one argument is named, with what to do, not the arguments and environment (needs root and setpriv)', BOUNDED, async (t) => {
    if (skipsWithoutRootAndSetpriv(t)) return;
    // 65536, the kernel's NGROUPS_MAX, which the groups option takes: over 128 KiB written out.
    const groups = Array.from({ length: 65536 }, (_, index) => 100_000 + index);
    const error = await spawnFailure(['true'], { uid: 65534, gid: 65534, groups });
    assert.equal(error.code, 'E2BIG');
    assert.equal(error.message, 'cannot start true: the 65536 groups given are 449 KiB as setpriv\'s --groups argument, more than the 128 KiB Linux takes in one argument (E2BIG); give fewer groups');
    // Control: as many as fit in one argument start.
    await runProcess(['true'], { uid: 65534, gid: 65534, groups: groups.slice(0, 10_000) });
  });

  test('too many open files: EMFILE, "too many open files" (a child under ulimit -n 128)', BOUNDED, async () => {
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'emfile-spawn.ts');
    // $0 is this node; run from the repo root so that `--import tsx` resolves. The fixture uses up
    // whatever fds are free, so the limit only has to let it load: node holds 26 fds by then, and
    // its loader reads the library's 55 modules several at a time. Under 40 that load itself ran
    // out of fds now and then on a busy machine (EMFILE opening src/log/sinks/color.ts, exit 1).
    const { stdout } = await runProcess(['sh', '-c', 'ulimit -n 128; exec "$0" --import tsx "$1"', process.execPath, fixture], {
      cwd: REPO_ROOT,
      captureStdout: true,
    });
    const report = JSON.parse(stdout.toString()) as {
      exhausted: { outcome: string; name?: string; code?: string; message?: string };
      withFreeFds: { outcome: string };
    };
    assert.equal(report.exhausted.name, 'SpawnError', inspect(report));
    assert.ok(report.exhausted.code === 'EMFILE' || report.exhausted.code === 'ENFILE', inspect(report));
    assert.match(report.exhausted.message ?? '', /too many open files/);
    // Control: with the fds freed, the same call starts the child.
    assert.equal(report.withFreeFds.outcome, 'resolved', inspect(report));
  });

  test('a spawn that fails for want of fds leaks none: at every count of free fds, the parent holds as many after as before', BOUNDED, async () => {
    // Node's spawn, short of fds only after it made the child's pipes, lost their parents' ends.
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'emfile-leak.ts');
    // Cold: no watchdog yet, so each start short of fds tries to start it first (its stdin is a pipe too).
    for (const [watchdog, cold] of [['1', ''], ['0', ''], ['1', 'cold']] as const) {
      const { stdout } = await runProcess(['sh', '-c', 'ulimit -n 64; exec "$0" --import tsx "$1" "$2"', process.execPath, fixture, cold], {
        cwd: REPO_ROOT,
        env: { ...process.env, SUBVISOR_WATCHDOG: watchdog },
        captureStdout: true,
      });
      const { attempts } = JSON.parse(stdout.toString()) as { attempts: { free: number; outcome: string; leaked: number }[] };
      assert.deepEqual(attempts.filter((attempt) => attempt.leaked !== 0), [], `SUBVISOR_WATCHDOG=${watchdog} ${cold}: ${inspect(attempts)}`);
      // Control: the limit was really reached, and a few fds more were enough to start.
      assert.equal(attempts[0]?.outcome, 'EMFILE', inspect(attempts));
      assert.equal(attempts.at(-1)?.outcome, 'resolved', inspect(attempts));
    }
  });
});

describe('runProcess: invalid options are refused before anything is spawned', () => {
  // Each probe runs `touch MARKER`: had it been spawned, the marker would exist.
  const cases: { option: string; opts: Record<string, unknown>; error: typeof TypeError | typeof RangeError }[] = [
    { option: 'cwd', opts: { cwd: 42 }, error: TypeError },
    { option: 'env', opts: { env: 'x' }, error: TypeError },
    { option: 'uid', opts: { uid: -1 }, error: TypeError },
    { option: 'gid', opts: { gid: 1.5 }, error: TypeError },
    { option: 'argv0', opts: { argv0: 7 }, error: TypeError },
    { option: 'stdin', opts: { stdin: {} }, error: TypeError },
    { option: 'stdout', opts: { stdout: 'pipe' }, error: TypeError },
    { option: 'stderr', opts: { stderr: 'pipe' }, error: TypeError },
    { option: 'stderr', opts: { stderr: -2 }, error: TypeError },
    { option: 'shell', opts: { shell: 1 }, error: TypeError },
    { option: 'captureStdout', opts: { captureStdout: 'yes' }, error: TypeError },
    { option: 'killGraceMs', opts: { killGraceMs: -5 }, error: RangeError },
    { option: 'drainGraceMs', opts: { drainGraceMs: Number.NaN }, error: RangeError },
    { option: 'maxCaptureBytes', opts: { maxCaptureBytes: 0 }, error: RangeError },
    { option: 'check', opts: { check: 'yes' }, error: TypeError },
    { option: 'newSession', opts: { newSession: 'no' }, error: TypeError },
    { option: 'signal', opts: { signal: 'x' }, error: TypeError },
  ];

  test('control: the probe command does create its marker when the options are valid', BOUNDED, async () => {
    const marker = join(dir, 'control-marker');
    await runProcess(['touch', marker]);
    assert.equal(existsSync(marker), true);
  });

  for (const [index, { option, opts, error }] of cases.entries()) {
    test(`${option}: ${inspect(opts[option])} is a ${error.name} naming ${option}`, BOUNDED, async () => {
      const marker = join(dir, `marker-${index}`);
      await assert.rejects(runProcess(['touch', marker], opts), (reason: unknown) => {
        assert.ok(reason instanceof error, `expected a ${error.name}, got ${inspect(reason)}`);
        assert.match(reason.message, new RegExp(`\\b${option}\\b`));
        // Node's own codes for a caller's mistake, as its APIs throw them.
        assert.equal((reason as NodeJS.ErrnoException).code, error === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_VALUE');
        return true;
      });
      assert.equal(existsSync(marker), false, 'the command was spawned despite the invalid option');
    });
  }

  test('null options are a TypeError saying options must be an object', BOUNDED, async () => {
    const marker = join(dir, 'marker-null-options');
    await assert.rejects(runProcess(['touch', marker], null as unknown as RunProcessOptions), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_VALUE',
      message: /options must be an object/,
    });
    assert.equal(existsSync(marker), false);
  });
});

/**
 * Runs `program` (ESM, `runProcess` imported from the built package) in a mount namespace of its
 * own where /bin/sh is bash, as on Fedora or Arch (unprivileged, through a user namespace); the
 * JSON it printed.
 */
function underBashAsSh(program: string): unknown {
  const script = 'mount --bind /bin/bash /bin/sh && exec "$0" "$@"';
  const source = `import { runProcess } from './dist/index.js';\n${program}`;
  const run = spawnSync('unshare', ['-rm', 'sh', '-c', script, process.execPath, '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** Runs `program` (ESM, `runProcess` imported from the built package) in a user namespace that maps only root (unshare -r); the JSON it printed. */
function inNamespaceOfRootOnly(program: string): unknown {
  const source = `import { runProcess } from './dist/index.js';\n${program}`;
  const run = spawnSync('unshare', ['-r', process.execPath, '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}
