import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRunning, killQuietly, waitUntil } from '../../support/processes.js';
import { runCli, startCli } from '../cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-logs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let configs = 0;

/** Writes `text` as subvisor.yaml into a fresh directory; returns the directory. */
function project(text: string): string {
  const dir = join(scratch, `p${configs++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'subvisor.yaml'), text);
  return dir;
}

/** `TIME out|err TEXT`, TIME in UTC ISO 8601 to the millisecond. */
const LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (out|err) (.*)$/;

function logLines(path: string): { time: string; stream: string; text: string }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = LOG_LINE.exec(line);
      assert.ok(match !== null, `not a log line: ${JSON.stringify(line)}`);
      return { time: match[1] ?? '', stream: match[2] ?? '', text: match[3] ?? '' };
    });
}

describe('subvisor up with logs:', () => {
  test('each process gets DIR/NAME.log: its lines in order, each with the time and out or err, and no state lines', { timeout: 30_000 }, async () => {
    const dir = project(`logs: { dir: out/logs }
processes:
  talker:
    cmd: "echo one; echo two >&2; for i in $(seq 500); do grep -q ' err two$' out/logs/talker.log && break; sleep 0.01; done; echo three"
  quiet:
    cmd: "true"
`);
    // stdout and stderr are two pipes, read as each has something: a line on one is not known to
    // come after a line on the other unless it was written after the other reached the file. A
    // sleep between them was not enough on a loaded machine (the file read out three, then err two).
    const before = Date.now();
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    // dir is relative to the config file's directory.
    const lines = logLines(join(dir, 'out/logs/talker.log'));
    assert.deepEqual(
      lines.map(({ stream, text }) => `${stream} ${text}`),
      ['out one', 'err two', 'out three'],
    );
    for (const { time } of lines) {
      const ms = Date.parse(time);
      assert.ok(ms >= before - 1000 && ms <= Date.now(), `${time} is the time of the run`);
    }
    assert.ok(Date.parse(lines[2]?.time ?? '') >= Date.parse(lines[0]?.time ?? ''), 'times do not go back');
    assert.equal(readFileSync(join(dir, 'out/logs/quiet.log'), 'utf8'), '', 'a process that said nothing has an empty file');
    assert.match(run.stdout, /talker \* starting \(pid/, 'the state lines are on stdout (control)');
    assert.equal(statSync(join(dir, 'out/logs/talker.log')).mode & 0o777, 0o600, 'only the owner reads the output');
  });

  test('each copy of a process with replicas has its own file, in --json mode as in the plain one', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: logs }\nprocesses:\n  web:\n    cmd: echo copy $SUBVISOR_REPLICA\n    replicas: 2\n');
    const run = await runCli(['up', '--json'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(join(dir, 'logs')).sort(), ['web.1.log', 'web.2.log']);
    assert.deepEqual(logLines(join(dir, 'logs', 'web.2.log')).map((line) => `${line.stream} ${line.text}`), ['out copy 2']);
  });

  test('a second run appends to the files', { timeout: 30_000 }, async () => {
    const dir = project('logs: {}\nprocesses:\n  once:\n    cmd: echo hello\n');
    assert.equal((await runCli(['up'], { cwd: dir })).code, 0);
    assert.equal((await runCli(['up'], { cwd: dir })).code, 0);
    // `logs: {}` takes the defaults: .subvisor/logs beside the config.
    assert.deepEqual(logLines(join(dir, '.subvisor/logs/once.log')).map((line) => line.text), ['hello', 'hello']);
  });

  test('without the logs key nothing is written', { timeout: 30_000 }, async () => {
    const dir = project('processes:\n  once:\n    cmd: echo hello\n');
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /once +\| hello/);
    // The control socket's directory stays (the socket is removed at the end; the claim's token
    // stays for the next run); no log in it.
    assert.deepEqual(readdirSync(dir, { recursive: true }).sort(), ['.subvisor', '.subvisor/claim', 'subvisor.yaml']);
  });

  test('a file is rotated before it passes maxSize, and exactly `keep` rotated files stay', { timeout: 30_000 }, async () => {
    // 400 lines of about 45 bytes: about 18 KB through 1 KB files, so many more rotations than kept.
    const dir = project(`logs: { dir: logs, maxSize: 1KB, keep: 2 }
processes:
  counter:
    cmd: "i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo line $i; done"
`);
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readdirSync(join(dir, 'logs')).sort(), ['counter.log', 'counter.log.1', 'counter.log.2']);
    for (const name of ['counter.log', 'counter.log.1', 'counter.log.2']) {
      assert.ok(statSync(join(dir, 'logs', name)).size <= 1024, `${name} holds at most 1 KiB`);
    }
    // Oldest first, the kept files and the current one end with the last lines, in order, none missing.
    const texts = ['counter.log.2', 'counter.log.1', 'counter.log'].flatMap((name) => logLines(join(dir, 'logs', name)).map((line) => line.text));
    const last = 400;
    const first = last - texts.length + 1;
    assert.deepEqual(texts, Array.from({ length: texts.length }, (_, i) => `line ${first + i}`));
    assert.ok(statSync(join(dir, 'logs', 'counter.log.2')).size > 1024 - 60, 'a rotated file was filled up to its size');
  });

  test('keep: 0 keeps no rotated file', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: logs, maxSize: 200, keep: 0 }\nprocesses:\n  counter:\n    cmd: "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done"\n');
    assert.equal((await runCli(['up'], { cwd: dir })).code, 0);
    assert.deepEqual(readdirSync(join(dir, 'logs')), ['counter.log']);
    assert.equal(logLines(join(dir, 'logs', 'counter.log')).at(-1)?.text, 'line 10');
  });

  test('subvisor killed with SIGKILL as soon as the lines reached its stdout: they are in the log files', { timeout: 30_000 }, async () => {
    // The children print, then wait: nothing later comes to push the lines out of a buffer.
    const dir = project(`logs: { dir: logs }
processes:
  talker:
    cmd: "seq 1 3000; echo done; exec sleep 30"
  grumbler:
    cmd: "seq 1 3000 >&2; echo done >&2; exec sleep 30"
`);
    const cli = startCli(['up'], { cwd: dir });
    let pids: number[] = [];
    try {
      await cli.waitForOutput(/talker +\| done\n[^]*grumbler +\| done\n|grumbler +\| done\n[^]*talker +\| done\n/, 20_000);
      cli.kill('SIGKILL');
      pids = [...cli.stdoutSoFar().matchAll(/\* starting \(pid (\d+)\)/g)].map((match) => Number(match[1]));
      assert.equal((await cli.done).signal, 'SIGKILL');
      const expected = [...Array.from({ length: 3000 }, (_, i) => String(i + 1)), 'done'];
      assert.deepEqual(logLines(join(dir, 'logs', 'talker.log')).map((line) => `${line.stream} ${line.text}`), expected.map((text) => `out ${text}`));
      assert.deepEqual(logLines(join(dir, 'logs', 'grumbler.log')).map((line) => `${line.stream} ${line.text}`), expected.map((text) => `err ${text}`));
    } finally {
      cli.kill('SIGKILL');
      killQuietly(...pids);
    }
  });

  test('subvisor killed with SIGKILL during a flood: every line that reached its stdout is in the log files', { timeout: 60_000 }, async () => {
    // Two floods, each as fast as a shell loop writes: the kill lands in the middle of batches.
    const dir = project(`logs: { dir: logs }
processes:
  outflood:
    cmd: "i=0; while :; do i=$((i+1)); echo line $i; done"
  errflood:
    cmd: "i=0; while :; do i=$((i+1)); echo line $i >&2; done"
`);
    const cli = startCli(['up'], { cwd: dir });
    let pids: number[] = [];
    try {
      await cli.waitForOutput('outflood | line 20000\n', 30_000);
      await cli.waitForOutput('errflood | line 20000\n', 30_000);
      pids = [...cli.stdoutSoFar().matchAll(/\* starting \(pid (\d+)\)/g)].map((match) => Number(match[1]));
      cli.kill('SIGKILL');
      const run = await cli.done;
      assert.equal(run.signal, 'SIGKILL');
      for (const [name, stream] of [['outflood', 'out'], ['errflood', 'err']] as const) {
        const shown = [...run.stdout.matchAll(new RegExp(`^${name} +\\| (line \\d+)$`, 'gm'))].map((match) => match[1]);
        const logged = logLines(join(dir, 'logs', `${name}.log`));
        assert.ok(shown.length >= 20_000, `${name}: ${shown.length} lines on stdout`);
        assert.ok(logged.length >= shown.length, `${name}: ${logged.length} lines in the file, ${shown.length} on stdout`);
        // The file holds what stdout showed, in the same order, from its first line.
        for (let i = 0; i < shown.length; i++) {
          if (logged[i]?.text !== shown[i] || logged[i]?.stream !== stream) assert.fail(`${name}: line ${i + 1} of stdout is ${shown[i]}, of the file ${JSON.stringify(logged[i])}`);
        }
      }
      // The children lose their reader and end, or the parent-exit guard ends them.
      await waitUntil(() => pids.every((pid) => !isRunning(pid)), 'the floods to end', 10_000);
    } finally {
      cli.kill('SIGKILL');
      killQuietly(...pids);
    }
  });

  test('a file that hits the size limit (ulimit -f) mid-line is cut back to its last whole line, so the next run appends on a line of its own', { timeout: 30_000 }, async () => {
    // Every log line is 100 bytes (29 of time and stream, 71 of text): a limit of 16 blocks (8 or 16 KiB,
    // as the shell counts them) falls inside a line, so the write that reaches it is a short one.
    const dir = project(`logs: { dir: logs }
processes:
  counter:
    cmd: "i=0; while [ $i -lt 300 ]; do i=$((i+1)); printf 'line %05d %060d\\n' $i 0; done"
`);
    const limited = await runCli(['up'], { cwd: dir, execVia: ['sh', '-c', 'ulimit -f 16; exec "$@"', 'sh'] });
    assert.equal(limited.code, 0, limited.stderr);
    assert.match(limited.stderr, /cannot write .*counter\.log \(EFBIG: file too large, write\); counter's lines go on to the output/);
    assert.match(limited.stdout, /counter +\| line 00300 0+\n/, 'the lines still reached the output');
    const path = join(dir, 'logs', 'counter.log');
    assert.ok(readFileSync(path, 'utf8').endsWith('\n'), 'the file ends with a whole line');
    const kept = logLines(path).length;
    assert.ok(kept > 0 && kept < 300, `${kept} lines kept`);
    const missing = /counter\.log could not be written to the end; (\d+) of counter's lines are missing from it/.exec(limited.stderr);
    assert.equal(Number(missing?.[1]), 300 - kept, `the lines said missing, and those in the file, are all of them: ${limited.stderr}`);
    assert.equal((await runCli(['up'], { cwd: dir })).code, 0);
    const texts = logLines(path).map((line) => line.text);
    assert.deepEqual(texts.slice(kept, kept + 1), [`line 00001 ${'0'.repeat(60)}`], "the second run's first line is whole");
    assert.equal(texts.length, kept + 300);
  });

  test('a log directory that cannot be made (a file in its way) is a config error at the logs key naming the file, before anything starts', { timeout: 30_000 }, async () => {
    const dir = project('processes:\n  once:\n    cmd: "touch started"\nlogs:\n  dir: blocker/logs\n');
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 2);
    // The file in the way is named, not only the directory below it.
    assert.equal(run.stderr, `subvisor: subvisor.yaml:4:1: logs: cannot write the log files: ${join(dir, 'blocker')} is a file, not a directory (ENOTDIR); move it aside, or give \`logs\` a \`dir\` you can write\n`);
    // The file itself named as the directory.
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  once:\n    cmd: "touch started"\nlogs:\n  dir: blocker\n');
    const itself = await runCli(['up'], { cwd: dir });
    assert.equal(itself.code, 2);
    assert.match(itself.stderr, /logs: cannot write the log files: .*\/blocker is a file, not a directory \(EEXIST\); move it aside, or give `logs` a `dir` you can write$/m);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a log directory that is a link to nothing (a volume not mounted) says so, not only EEXIST, before anything starts', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: logs }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    const target = join(dir, 'not-mounted', 'logs');
    symlinkSync(target, join(dir, 'logs'));
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      `subvisor: subvisor.yaml:1:1: logs: cannot write the log files: ${join(dir, 'logs')} is a link to ${target}, which is not there (EEXIST); make or mount ${target}, or give \`logs\` a \`dir\` you can write\n`,
    );
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a log directory that is a relative link to nothing says which directory to make, from where the link is, not from the cwd', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: run/logs }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    mkdirSync(join(dir, 'run'));
    symlinkSync('../not-mounted/logs', join(dir, 'run', 'logs'));
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    // `mkdir ../not-mounted/logs` in the project would make the wrong one: the link is read from run/.
    assert.equal(
      run.stderr,
      `subvisor: subvisor.yaml:1:1: logs: cannot write the log files: ${join(dir, 'run', 'logs')} is a link to ../not-mounted/logs, which is not there (EEXIST); make or mount ${join(dir, 'not-mounted', 'logs')}, or give \`logs\` a \`dir\` you can write\n`,
    );
  });

  test('a NAME.log that is a link into a directory not there, or a directory itself, is refused saying which to make or move, not to give another dir', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: logs }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    mkdirSync(join(dir, 'logs'));
    symlinkSync('../data/once.log', join(dir, 'logs', 'once.log'));
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      `subvisor: subvisor.yaml:1:1: logs: cannot write the log files: ${join(dir, 'logs', 'once.log')} is a link to ../data/once.log, whose directory is not there (ENOENT); make or mount ${join(dir, 'data')}, or remove the link to have a file\n`,
    );
    rmSync(join(dir, 'logs', 'once.log'));
    mkdirSync(join(dir, 'logs', 'once.log'));
    const directory = await runCli(['up'], { cwd: dir });
    assert.equal(directory.code, 2, directory.stderr);
    assert.equal(directory.stderr, `subvisor: subvisor.yaml:1:1: logs: cannot write the log files: ${join(dir, 'logs', 'once.log')} is a directory, not a file (EISDIR); move it aside\n`);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('log files past the limit of open files (ulimit -n) are refused before anything starts, saying to raise the limit, not to change the directory', { timeout: 30_000 }, async () => {
    // 80 log files, each open for the whole run, under a limit of 48 descriptors (node itself takes about 25).
    const processes = Array.from({ length: 80 }, (_, i) => `  p${i}: { cmd: "touch started" }`).join('\n');
    const dir = project(`logs: { dir: logs }\nprocesses:\n${processes}\n`);
    const run = await runCli(['up'], { cwd: dir, execVia: ['sh', '-c', 'ulimit -n 48; exec "$@"', 'sh'] });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: subvisor\.yaml:1:1: logs: cannot open the log files: .*\/logs\/p\d+\.log: too many open files \(EMFILE\): the run keeps one open per process; raise the limit \(ulimit -n\), or run fewer processes$/m);
    assert.doesNotMatch(run.stderr, /give `logs` a `dir`/);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a NAME.log that is a named pipe nothing reads is refused before anything starts, saying to start its reader; up does not wait for one', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: logs }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    mkdirSync(join(dir, 'logs'));
    execFileSync('mkfifo', [join(dir, 'logs', 'once.log')]);
    const cli = startCli(['up'], { cwd: dir });
    const waited = setTimeout(() => cli.kill('SIGKILL'), 10_000);
    const run = await cli.done;
    clearTimeout(waited);
    assert.equal(run.signal, null, 'up ended by itself, not waiting for a reader');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: subvisor\.yaml:1:1: logs: cannot open the log files: .*\/logs\/once\.log: nothing reads this named pipe \(ENXIO\); start its reader before subvisor, or remove it to have a file$/m);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('logs with no run up points at the log files the runs left, where the config writes them (and only then)', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: out/logs }\nprocesses:\n  once:\n    cmd: "echo hello"\n');
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const after = await runCli(['logs', 'once'], { cwd: dir });
    assert.equal(after.code, 1, after.stderr);
    assert.match(after.stderr, /^subvisor: no run is listening on .*control\.sock: start one with `subvisor up`.*; the lines of the runs before are in the log files, .*\/out\/logs\/NAME\.log\n$/);
    // Control: a config without `logs` has no files to point at.
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  once:\n    cmd: "echo hello"\n');
    const without = await runCli(['logs', 'once'], { cwd: dir });
    assert.equal(without.code, 1, without.stderr);
    assert.doesNotMatch(without.stderr, /log files/);
  });

  test('a log directory another user may write is refused before anything starts: nothing is written or rotated through a link put there as NAME.log; the same link in a directory of its own is followed', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: shared, maxSize: 1KB, keep: 1 }\nprocesses:\n  once:\n    cmd: "touch started; echo written"\n');
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'not the log\n');
    symlinkSync(victim, join(shared, 'once.log'));
    const refusal = /^subvisor: subvisor\.yaml:1:1: logs: the log directory .*\/shared is open to other users: every user may write it; a link put there could lead what subvisor writes \(as root too\) to any file it may write; /;
    // Sticky (a /tmp) is shared by design, not to be made private: a directory of its own in it is the way out.
    const advice = {
      [0o777]: /give `logs` a `dir` that only you \(or root\) may write, or make that directory so \(chown, chmod go-w\)\n$/,
      [0o1777]: /give `logs` a directory of its own in it \(`dir: .*\/shared\/APP`, which subvisor makes for you alone\)\n$/,
    };
    for (const mode of [0o777, 0o1777] as const) {
      chmodSync(shared, mode);
      const run = await runCli(['up'], { cwd: dir });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, refusal, `mode ${mode.toString(8)}`);
      assert.match(run.stderr, advice[mode], `mode ${mode.toString(8)}`);
    }
    assert.equal(readFileSync(victim, 'utf8'), 'not the log\n', 'nothing written through the link');
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
    // The advice for the sticky one holds: a directory of its own in it is not refused.
    writeFileSync(join(dir, 'subvisor.yaml'), 'logs: { dir: shared/APP }\nprocesses:\n  once:\n    cmd: "echo own"\n');
    const own = await runCli(['up'], { cwd: dir });
    assert.equal(own.code, 0, own.stderr);
    assert.match(readFileSync(join(shared, 'APP', 'once.log'), 'utf8'), /^\S+ out own\n$/);
    writeFileSync(join(dir, 'subvisor.yaml'), 'logs: { dir: shared, maxSize: 1KB, keep: 1 }\nprocesses:\n  once:\n    cmd: "touch started; echo written"\n');
    // Control: its owner's alone, the link is followed, as a link to a file on a larger disk is.
    chmodSync(shared, 0o755);
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(victim, 'utf8'), /^not the log\n\S+ out written\n$/);
  });

  test('a log directory owned by another user, or under one of theirs, is refused (staged as root: the directories chowned to nobody)', { timeout: 30_000 }, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('staged as root only (chown to another uid)');
    const dir = project('logs: { dir: theirs/sub }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    const under = await runCli(['up'], { cwd: dir });
    assert.equal(under.code, 2, under.stderr);
    assert.match(under.stderr, /logs: the log directory .*\/theirs\/sub is under .*\/theirs, and that directory is open to other users: another user \(uid 65534\) owns it; /);
    assert.equal(existsSync(join(theirs, 'sub')), false, 'a refused run makes no directory');
    writeFileSync(join(dir, 'subvisor.yaml'), 'logs: { dir: theirs }\nprocesses:\n  once:\n    cmd: "touch started"\n');
    const itself = await runCli(['up'], { cwd: dir });
    assert.equal(itself.code, 2, itself.stderr);
    assert.match(itself.stderr, /logs: the log directory .*\/theirs is open to other users: another user \(uid 65534\) owns it; /);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
    // The config file's owner decides what runs anyway: a log directory of theirs is theirs to trust.
    chownSync(join(dir, 'subvisor.yaml'), 65534, 65534);
    const trusted = await runCli(['up'], { cwd: dir });
    assert.equal(trusted.code, 0, trusted.stderr);
  });

  test('a log directory refused when a process watches its files ends the run all the same: up does not stay on with the watches set', { timeout: 30_000 }, async () => {
    const dir = project('logs: { dir: blocker/logs }\nprocesses:\n  web:\n    cmd: "touch started"\n    watch: src\n');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
    const cli = startCli(['up'], { cwd: dir });
    const waited = setTimeout(() => cli.kill('SIGKILL'), 10_000);
    const run = await cli.done;
    clearTimeout(waited);
    assert.equal(run.signal, null, 'up ended by itself, the watches closed');
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /logs: cannot write the log files: .*\/blocker is a file, not a directory \(ENOTDIR\)/);
    assert.equal(existsSync(join(dir, 'started')), false, 'nothing started');
  });

  test('a NAME.log that is a named pipe whose reader stops reading holds nothing up: the lines it cannot take are counted missing, and once it reads again it gets whole lines', { timeout: 120_000 }, async () => {
    // 100 000 lines are some 3.4 MB in the file's form, far more than a pipe holds (64 KiB).
    const dir = project(`logs: { dir: logs }
processes:
  flood:
    cmd: "seq 1 100000; while [ ! -e drained ]; do sleep 0.05; done; echo after; exec sleep 30"
`);
    mkdirSync(join(dir, 'logs'));
    const pipe = join(dir, 'logs', 'flood.log');
    execFileSync('mkfifo', [pipe]);
    // The reader: opened before up, then not read until the flood is over.
    const reader = openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK);
    let received = '';
    const drain = (): void => {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        let read: number;
        try {
          read = readSync(reader, buffer);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
          throw error;
        }
        if (read === 0) return;
        received += buffer.toString('utf8', 0, read);
      }
    };
    const cli = startCli(['up'], { cwd: dir });
    try {
      // Written to stdout only after the pipe was tried: up went on past a full pipe.
      // Bounds for a loaded machine: 100 000 lines relayed take about 1 s on an idle one.
      await cli.waitForOutput('flood | 100000\n', 45_000);
      assert.match(cli.stdoutSoFar(), /flood +\| 1\n/);
      drain();
      writeFileSync(join(dir, 'drained'), '');
      await cli.waitForOutput('flood | after\n', 20_000);
      await waitUntil(() => (drain(), received.endsWith(' out after\n')), 'the line after the gap to reach the reader', 20_000);
      cli.kill('SIGINT');
      const run = await cli.done;
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /cannot write .*\/logs\/flood\.log \(EAGAIN: resource temporarily unavailable, write\); flood's lines go on to the output/);
      const missing = /\/logs\/flood\.log is written again; (\d+) of flood's lines are missing from it/.exec(run.stderr);
      assert.ok(missing !== null, run.stderr);
      const lines = received.slice(0, -1).split('\n');
      for (const line of lines) assert.match(line, LOG_LINE, 'every line the reader got is whole');
      const texts = lines.map((line) => LOG_LINE.exec(line)?.[3]);
      assert.equal(texts.at(-1), 'after');
      const numbers = texts.slice(0, -1);
      assert.ok(numbers.length > 0 && numbers.length < 100_000, `${numbers.length} lines of the flood reached the reader`);
      assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => String(i + 1)), 'those first taken, in order, none cut');
      assert.equal(Number(missing[1]), 100_000 - numbers.length, 'the lines said missing are those that did not reach the reader');
    } finally {
      cli.kill('SIGKILL');
      closeSync(reader);
    }
  });
});

test('two runs writing one log directory, the same process name in each, lose no line when they rotate its file at once: a rotation waits for the other\'s, and moves nothing the other already moved', { timeout: 60_000 }, async () => {
  const logs = join(scratch, `shared${configs++}`);
  const lines = 3000;
  // About 130 rotations of the one file between the two runs, all kept: every line of both is in a file.
  const config = (run: string): string =>
    `logs: { dir: ${logs}, maxSize: 2KB, keep: 400 }\nprocesses:\n  p: { cmd: "i=0; while [ $i -lt ${lines} ]; do i=$((i+1)); echo ${run}-$i; done", main: true }\n`;
  const [a, b] = await Promise.all([runCli(['up'], { cwd: project(config('a')) }), runCli(['up'], { cwd: project(config('b')) })]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const kept = new Set(readdirSync(logs).filter((name) => name.startsWith('p.log')).flatMap((name) => logLines(join(logs, name)).map(({ text }) => text)));
  const missing = ['a', 'b'].flatMap((run) => Array.from({ length: lines }, (_, i) => `${run}-${i + 1}`)).filter((line) => !kept.has(line));
  assert.deepEqual(missing.length, 0, `${missing.length} lines are in no file (${missing.slice(0, 5).join(', ')} ...)\n${a.stderr}${b.stderr}`);
  assert.deepEqual(readdirSync(logs).filter((name) => name.startsWith('.')), [], 'no lock left behind');
});

test('a rotation lock left by a run killed in the middle of a rotation (its pid gone) is taken over: the file is rotated, and the lock removed', { timeout: 30_000 }, async () => {
  const dir = project('logs: { dir: logs, maxSize: 1KB, keep: 5 }\nprocesses:\n  p: { cmd: "seq 1 1000", main: true }\n');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { mode: 0o700 });
  const gone = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }).trim();
  writeFileSync(join(logs, '.p.log.rotating'), `${gone}\n`);
  const run = await runCli(['up'], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(existsSync(join(logs, 'p.log.1')), 'rotated');
  assert.ok(!existsSync(join(logs, '.p.log.rotating')), 'the lock is gone');
});

test('a rotation lock left long ago whose pid another live process has taken since is taken over: the file is rotated, and the lock removed', { timeout: 30_000 }, async () => {
  const dir = project('logs: { dir: logs, maxSize: 1KB, keep: 5 }\nprocesses:\n  p: { cmd: "seq 1 1000", main: true }\n');
  const logs = join(dir, 'logs');
  mkdirSync(logs, { mode: 0o700 });
  // The pid is reused: a live process that is not subvisor, and will never remove the lock.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const lock = join(logs, '.p.log.rotating');
    writeFileSync(lock, `${other.pid}\n`);
    const longAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lock, longAgo, longAgo);
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(logs, 'p.log.1')), 'rotated');
    assert.ok(!existsSync(lock), 'the lock is gone');
  } finally {
    killQuietly(other.pid);
  }
});
