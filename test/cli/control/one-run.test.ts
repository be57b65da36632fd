// One run per config (SPEC §10): the claim on the control socket against a stale socket of a killed
// run, a suspended run, a second `up`, another user; where the socket goes (--socket, a directory
// that cannot be made, a path too long for a socket address). The socket's protocol, access and
// load are in ./socket.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { killQuietly } from '../../support/processes.js';
import { BIN, runCli, startCli } from '../cli.js';
import { BOUNDED, answers, client, configDir, interrupt, ps, socketOf, up, waitForState, waitUntilAsync } from './support.js';

describe('one run per config', () => {
  test('a run killed with SIGKILL leaves a stale socket: clients say no run is listening, and the next run replaces it', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const first = await up(dir);
    const { pid } = await waitForState(dir, 'a', 'running');
    first.kill('SIGKILL');
    await first.done;
    killQuietly(pid ?? undefined); // SIGKILL leaves no time to stop the children
    assert.ok(existsSync(socketOf(dir)), 'the killed run left its socket');
    const nobody = await client(dir, ['ps']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no run is listening on .*control\.sock: start one with `subvisor up`/);
    const second = await up(dir);
    try {
      const row = await waitForState(dir, 'a', 'running');
      assert.notEqual(row.pid, pid);
    } finally {
      const ended = await interrupt(second);
      assert.equal(ended.code, 130, ended.stderr);
    }
  });

  test('a suspended run (SIGSTOP): ps, logs and logs -f say within 5 s that it does not answer, status 1; resumed, it answers', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "echo hi; exec sleep 30" }\n');
    const run = await up(dir);
    const { pid } = await waitForState(dir, 'a', 'running');
    process.kill(run.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const queries = await Promise.all([client(dir, ['ps']), client(dir, ['logs', '-n', '5']), client(dir, ['logs', '-f'])]);
      assert.ok(Date.now() - started < 20_000);
      for (const query of queries) {
        assert.equal(query.code, 1, query.stderr);
        assert.match(query.stderr, /the run on .*control\.sock has not answered in 5 s: it is suspended \(Ctrl-Z, SIGSTOP: resume it with `kill -CONT`\) or stuck/);
      }
    } finally {
      process.kill(run.pid, 'SIGCONT');
    }
    const logs = await client(dir, ['logs']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /a \| hi/);
    const ended = await interrupt(run, pid);
    assert.equal(ended.code, 130, ended.stderr);
  });

  test('the claim on the socket is held by the run, not by its file: with the file removed, a second up is still refused', BOUNDED, async () => {
    // What makes two ups racing for a stale socket safe: only the run holding the claim (a Linux
    // abstract socket, freed by the kernel when its holder dies) touches the file. Shown here
    // deterministically: the file goes, the claim stays.
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started >> ${dir}/starts; exec sleep 30" }\n`);
    const first = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      unlinkSync(socketOf(dir));
      const second = await runCli(['up'], { cwd: dir });
      assert.equal(second.code, 1, second.stdout);
      assert.match(second.stderr, /another run is already up on this control socket/);
      assert.equal(readFileSync(join(dir, 'starts'), 'utf8'), 'started\n', 'nothing started twice');
    } finally {
      await interrupt(first);
    }
    // Its holder gone, the claim is free again.
    const third = await up(dir);
    await waitForState(dir, 'a', 'running');
    await interrupt(third);
  });

  test('the claim cannot be taken first by another user: a name anyone may work out from the directory, held, keeps no run from starting', BOUNDED, async (t) => {
    if (process.platform !== 'linux') return t.skip('abstract sockets are Linux\'s');
    // An abstract name has no owner: any local user may bind it. The directory's dev and inode are
    // anyone's to stat, so a name made of them alone let another user keep this run from starting.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    mkdirSync(join(dir, '.subvisor'), { mode: 0o700 });
    const { dev, ino } = statSync(join(dir, '.subvisor'));
    const squatter = createServer((socket) => socket.destroy());
    squatter.listen(`\0subvisor-control:${dev}:${ino}:control.sock`);
    await once(squatter, 'listening');
    try {
      const run = await up(dir);
      await waitForState(dir, 'a', 'running');
      // The run holds its claim under the name with the token, which only its user can read.
      const token = readFileSync(join(dir, '.subvisor', 'claim'), 'utf8').trim();
      assert.match(token, /^[0-9a-f]{32}$/);
      assert.ok(readFileSync('/proc/net/unix', 'latin1').includes(`@subvisor-control:${dev}:${ino}:${token}:control.sock`), 'the claim is bound under the token\'s name');
      // And a second up is still refused.
      const second = await runCli(['up'], { cwd: dir });
      assert.equal(second.code, 1, second.stdout);
      assert.match(second.stderr, /another run is already up on this control socket/);
      assert.equal((await interrupt(run)).code, 130);
    } finally {
      squatter.close();
    }
  });

  test('a claim file that holds no token, or cannot be read, is refused before anything starts, saying to remove it; not passed over for a name anyone may take first', BOUNDED, async (t) => {
    if (process.platform !== 'linux') return t.skip('claims are Linux\'s');
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started >> ${dir}/starts" }\n`);
    const claimFile = join(dir, '.subvisor', 'claim');
    mkdirSync(join(dir, '.subvisor'), { mode: 0o700 });
    // Cut by hand, and one that cannot be read (a directory: unreadable as a file for root too).
    for (const [breakIt, why] of [
      [() => writeFileSync(claimFile, 'not a token\n', { mode: 0o600 }), /does not hold a claim token/],
      [() => mkdirSync(claimFile), /cannot be read: EISDIR/],
    ] as const) {
      breakIt();
      const refused = await runCli(['up'], { cwd: dir });
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /^subvisor: /m);
      assert.match(refused.stderr, why);
      assert.ok(refused.stderr.includes(`${claimFile} `), refused.stderr);
      assert.match(refused.stderr, /remove it .*and start again/);
      assert.equal(existsSync(join(dir, 'starts')), false, 'nothing started');
      rmSync(claimFile, { recursive: true });
    }
    // The control: with the file removed as told, the run starts, and makes a token again.
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(join(dir, 'starts'), 'utf8'), 'started\n');
    assert.match(readFileSync(claimFile, 'utf8'), /^[0-9a-f]{32}$/);
  });

  test('a Ctrl-C sent the moment the socket answers ends the run with 130, as one sent later does: not by the signal itself', BOUNDED, async () => {
    // The run listened before it took over SIGINT: a script that waits for `ps` to answer, then
    // presses Ctrl-C, saw it die of the signal (6 of 20 tries), its status lost.
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    for (let i = 0; i < 10; i++) {
      const run = startCli(['up'], { cwd: dir });
      const deadline = Date.now() + 10_000;
      while (!(await answers(socketOf(dir)))) {
        if (Date.now() > deadline) {
          run.kill('SIGKILL');
          assert.fail(`no run answered within 10 s:\n${(await run.done).stderr}`);
        }
        await sleep(1);
      }
      const ended = await interrupt(run);
      assert.equal(ended.code, 130, `try ${i}:\n${ended.stdout}\n${ended.stderr}`);
    }
  });

  test('a second up on the same config is refused before anything starts (or any log file is made)', BOUNDED, async () => {
    const dir = configDir((dir) => `logs: { dir: logs }\nprocesses:\n  a: { cmd: "echo started >> ${dir}/starts; exec sleep 30" }\n`);
    const first = await up(dir);
    try {
      await waitForState(dir, 'a', 'running');
      // Two copies of a: the log files of a refused run would be new ones, a.1.log and a.2.log.
      const second = await runCli(['up', 'a=2'], { cwd: dir });
      assert.equal(second.code, 1);
      assert.deepEqual(readdirSync(join(dir, 'logs')), ['a.log'], 'the refused run made no log file');
      assert.match(second.stderr, new RegExp(`^subvisor: another run is already up on this control socket: it listens on ${socketOf(dir).replaceAll('.', '\\.')} .*--socket PATH$`, 'm'));
      assert.equal(second.stdout, '', 'nothing started');
      assert.equal(readFileSync(join(dir, 'starts'), 'utf8'), 'started\n');
      // With --json, the refusal is a failure record on stdout, what its reader reads, and nothing on stderr.
      const json = await runCli(['up', '--json'], { cwd: dir });
      assert.equal(json.code, 1);
      assert.equal(json.stderr, '');
      const record = JSON.parse(json.stdout) as Record<string, unknown>;
      assert.deepEqual({ ...record, time: typeof record.time, line: typeof record.line }, { time: 'string', name: 'subvisor', stream: 'report', event: 'failure', line: 'string', reason: 'control', code: 'ERR_SUBVISOR_RUN_ALREADY_UP', exitCode: 1 });
      assert.match(String(record.line), /^another run is already up on this control socket/);
      assert.equal(readFileSync(join(dir, 'starts'), 'utf8'), 'started\n');
      assert.equal((await ps(dir)).length, 1, 'the first run is untouched');
    } finally {
      await interrupt(first);
    }
  });

  test('a control socket up cannot have is, with --json, a failure record carrying its code, as the README lists them', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started >> ${dir}/starts; exec sleep 30" }\n`);
    writeFileSync(join(dir, 'not-a-socket'), '');
    const cases = [
      { socket: join(dir, 'not-a-socket'), code: 'ERR_SUBVISOR_SOCKET_IN_USE' },
      { socket: join(dir, 'x'.repeat(120)), code: 'ERR_SUBVISOR_SOCKET_PATH_TOO_LONG' },
    ];
    for (const { socket, code } of cases) {
      const refused = await runCli(['up', '--json', '--socket', socket], { cwd: dir });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.equal(refused.stderr, '');
      const record = JSON.parse(refused.stdout) as Record<string, unknown>;
      assert.deepEqual([record.event, record.reason, record.code], ['failure', 'control', code]);
      assert.ok(readFileSync('README.md', 'utf8').includes(`\`${code}\``), `${code} is listed in the README`);
    }
    assert.equal(existsSync(join(dir, 'starts')), false, 'nothing started');
  });

  test('an up run by a process of the up beside it (same directory, so the same socket) is told that it runs inside that run, as which process, and the --socket to add; done so, it runs', BOUNDED, async () => {
    const outer = (extra: string[]): string => `processes:\n  inner: { cmd: ${JSON.stringify([process.execPath, BIN, 'up', '-f', 'inner.yaml', ...extra])} }\n`;
    const dir = configDir(() => outer([]));
    writeFileSync(join(dir, 'inner.yaml'), 'processes:\n  x: { cmd: "echo nested ran" }\n');
    const refused = await runCli(['up'], { cwd: dir });
    assert.equal(refused.code, 1, refused.stderr);
    assert.doesNotMatch(refused.stdout, /nested ran/);
    const said = `subvisor: this up runs inside the run listening on ${socketOf(dir)}, as its process inner, and every config in one directory has the same control socket by default: give this one its own, in inner's command: subvisor up -f inner.yaml --socket .subvisor/inner.sock`;
    assert.ok(refused.stdout.split('\n').includes(`inner | ${said}`), refused.stdout);
    // The control: with the --socket it names, the inner run runs.
    writeFileSync(join(dir, 'subvisor.yaml'), outer(['--socket', '.subvisor/inner.sock']));
    const nested = await runCli(['up'], { cwd: dir });
    assert.equal(nested.code, 0, nested.stdout + nested.stderr);
    assert.match(nested.stdout, /^inner \| x \| nested ran$/m);
  });

  test('--socket PATH: the run listens there and a client finds it there', BOUNDED, async () => {
    const dir = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n');
    const socket = join(dir, 'elsewhere', 'run.sock');
    const run = await up(dir, ['--socket', socket], socket);
    try {
      const listed = await runCli(['ps', '--json', '--socket', socket], { cwd: '/' });
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal((JSON.parse(listed.stdout) as { name: string }[])[0]?.name, 'a');
      assert.equal(existsSync(socketOf(dir)), false, 'not the default one');
      // Both ways of naming a run at once is a mistake: one of them would be ignored.
      for (const args of [['ps', '-f', join(dir, 'subvisor.yaml')], ['stop', '-f', join(dir, 'subvisor.yaml'), 'a'], ['logs', '--file', join(dir, 'subvisor.yaml')]]) {
        const both = await runCli([...args, '--socket', socket], { cwd: '/' });
        assert.equal(both.code, 2, both.stderr);
        assert.match(both.stderr, /^subvisor: give (-f|--file) FILE \(the run beside that config\) or --socket PATH \(the run listening there\), not both/);
      }
      const after = await runCli(['ps', '--json', '--socket', socket], { cwd: '/' });
      assert.equal((JSON.parse(after.stdout) as { state: string }[])[0]?.state, 'running', 'the stop was refused: nothing was done');
    } finally {
      await interrupt(run);
    }
    assert.equal(existsSync(socket), false);
  });

  test('a socket directory that cannot be made is refused before anything starts, pointing at --socket', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started > ${dir}/started; exec sleep 30" }\n`);
    writeFileSync(join(dir, 'a-file'), '');
    const run = await runCli(['up', '--socket', join(dir, 'a-file', 'run.sock')], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    // What is wrong, not mkdir's word for it ("EEXIST: file already exists"), which says the opposite.
    assert.equal(run.stderr, `subvisor: cannot create the control socket's directory ${join(dir, 'a-file')}: ${join(dir, 'a-file')} is a file, not a directory (EEXIST); move it aside, or give the run a socket elsewhere with --socket PATH\n`);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a socket where nobody may listen (in /proc) is refused with a message, not a crash, before anything starts', BOUNDED, async () => {
    const dir = configDir((dir) => `processes:\n  a: { cmd: "echo started > ${dir}/started; exec sleep 30" }\n`);
    const run = await runCli(['up', '--socket', '/proc/subvisor-test.sock'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^subvisor: cannot listen on the control socket \/proc\/subvisor-test\.sock: listen EACCES: .*\. Give the run a socket where it may write, with --socket PATH$/m);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a config on a read-only file system: the refusal says so, not "no such file or directory" (a recursive mkdir\'s word for it)', BOUNDED, async () => {
    // A file system of its own, read-only once the config is on it (the tests run as root, as CI does).
    const dir = configDir(() => '');
    const mounted = (args: string[]): void => assert.equal(spawnSync(args[0] as string, args.slice(1), { stdio: 'inherit' }).status, 0, args.join(' '));
    mounted(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  a: { cmd: "exec sleep 30" }\n`);
      mounted(['mount', '-o', 'remount,ro', dir]);
      const run = await runCli(['up'], { cwd: dir });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^subvisor: cannot create the control socket's directory .*\.subvisor: it is on a read-only file system \(EROFS.*\)\. Give the run a socket where it may write, with --socket PATH/m);
      assert.doesNotMatch(run.stderr, /ENOENT/);
    } finally {
      mounted(['umount', dir]);
    }
  });

  test('a config deeper than a socket address holds: the run and its clients reach the socket by a relative path', BOUNDED, async () => {
    const deep = configDir(() => 'processes:\n  a: { cmd: "exec sleep 30" }\n', `deep-${'d'.repeat(120)}`);
    assert.ok(Buffer.byteLength(socketOf(deep)) > 107);
    const run = startCli(['up'], { cwd: deep });
    try {
      // Polled with the CLI, which (run in `deep`) reaches the socket as `.subvisor/control.sock`.
      await waitUntilAsync(async () => (await client(deep, ['ps'])).code === 0, 'the run to answer');
      assert.equal((await waitForState(deep, 'a', 'running')).state, 'running');
    } finally {
      await interrupt(run);
    }
  });
});
