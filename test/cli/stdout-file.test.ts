// `up > up.log` on a disk that fills: the processes go on, the lines that find no room are dropped
// and counted, and the file is written again once it has room (see src/cli/stdout-file.ts). The
// full disk is a file-size limit (`ulimit -f`, EFBIG), which needs no mount, and the room comes
// back by emptying the file in place, as logrotate's copytruncate does.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitUntil } from '../support/processes.js';
import { mountTmpfs, unmountTmpfs } from '../support/tmpfs.js';
import { BIN } from './cli.js';

test('up with its stdout in a file that has no room (EFBIG) goes on: the processes keep running, the loss is said and counted, the file is written again once it has room, and the run ends with status 1', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  try {
    // 10 000 lines (99 KB) overflow the 64 KiB limit, and what is left of them fits in the file
    // emptied, whenever that happens; the rest comes only once the test says `go`.
    const main = 'seq 1 10000; while [ ! -e go ]; do sleep 0.05; done; echo after-1; echo after-2';
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  p: { cmd: "${main}", main: true }\n`);
    const out = join(dir, 'up.log');
    // Appended to (>>), so that a file emptied in place is written again from its start.
    const cli = spawn('sh', ['-c', 'ulimit -f 128 && exec "$0" "$1" up >> up.log', process.execPath, BIN], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitUntil(() => stderr.includes('cannot write'), 'the warning', 20_000);
      // The limit, and what gives room again (the file emptied, appended to as it is), not only EFBIG's "file too large".
      const limit = `it reached this run's file-size limit \\(EFBIG; ulimit -f: 65536 bytes\\); raise the limit \\(\`prlimit --pid ${cli.pid} --fsize=unlimited\`\\), or empty the file in place`;
      assert.match(stderr, new RegExp(`^subvisor: cannot write stdout: ${limit}; the processes go on, and their lines are dropped until it can be written again$`, 'm'));
      assert.equal(statSync(out).size, 128 * 512, 'the limit was reached');
      truncateSync(out, 0); // room again
      writeFileSync(join(dir, 'go'), '');
      const [code] = (await once(cli, 'close')) as [number | null];
      assert.equal(code, 1, stderr);
    } finally {
      cli.kill('SIGKILL');
    }
    const lines = readFileSync(out, 'utf8').split('\n');
    assert.ok(lines.includes('p | after-1') && lines.includes('p | after-2'), `the process went on, and its later lines are in the file:\n${lines.join('\n')}`);
    assert.ok(lines.every((line) => line === '' || /^p [|*] /.test(line)), `every line whole:\n${lines.join('\n')}`);
    const written = /^subvisor: stdout is written again; (\d+) lines are missing from it$/m.exec(stderr);
    assert.ok(written !== null, stderr);
    assert.ok(Number(written[1]) > 0, stderr);
    assert.equal(stderr.match(/cannot write stdout/g)?.length, 1, `said once: ${stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up with stdout and stderr on one full disk (> /dev/full 2>&1) goes on: a warning that finds no room on stderr stops nothing either', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  try {
    // Well after the first lines found no room, which stopped the run at once before.
    const main = 'seq 1 5000; sleep 1; echo > survived';
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  p: { cmd: "${main}", main: true }\n`);
    const cli = spawn('sh', ['-c', 'exec "$0" "$1" up > /dev/full 2>&1', process.execPath, BIN], { cwd: dir, stdio: 'ignore' });
    try {
      const [code] = (await once(cli, 'close')) as [number | null];
      assert.ok(existsSync(join(dir, 'survived')), 'the process went on to its end');
      assert.equal(code, 1, 'the lines it dropped make the status');
    } finally {
      cli.kill('SIGKILL');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up > up.log 2>&1 with log files on the same full disk: once there is room again, a line torn at the limit is finished before anything else (a log file\'s "written again" on stderr) goes to the file, so every line stays whole', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  try {
    // Lines of 104 bytes in the file: the limit tears one but for 1 chance in 104. The log file,
    // written before each batch goes to stdout, reaches the limit too, and says so again on stderr.
    const main = `yes ${'x'.repeat(99)} | head -n 2000; while [ ! -e go ]; do sleep 0.05; done; echo after`;
    writeFileSync(join(dir, 'subvisor.yaml'), `logs: { dir: logs }\nprocesses:\n  p: { cmd: "${main}", main: true }\n`);
    const out = join(dir, 'up.log');
    const cli = spawn('sh', ['-c', 'ulimit -S -f 128 && exec "$0" "$1" up >> up.log 2>&1', process.execPath, BIN], { cwd: dir, stdio: 'ignore' });
    try {
      await waitUntil(() => existsSync(out) && statSync(out).size === 128 * 512, 'the limit reached', 20_000);
      // Room again without emptying the file: the (soft) file-size limit lifted, as space freed elsewhere on the disk would give it.
      const lifted = spawnSync('prlimit', [`--pid=${cli.pid}`, '--fsize=unlimited'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(lifted.status, 0, lifted.stderr);
      writeFileSync(join(dir, 'go'), '');
      const [code] = (await once(cli, 'close')) as [number | null];
      assert.equal(code, 1);
    } finally {
      cli.kill('SIGKILL');
    }
    const text = readFileSync(out, 'utf8');
    assert.ok(/subvisor: \S*p\.log is written again; \d+ of p's lines are missing from it$/m.test(text), 'the log file said it on stderr, into the same file');
    // The process's lines, subvisor's state lines, its words on stderr, and the summary table.
    const whole = new RegExp(`^(p \\| ${'x'.repeat(99)}|p \\| after|p \\* .*|subvisor: .*|name .*|p {2,}\\d.*|)$`);
    const broken = text.split('\n').filter((line) => !whole.test(line));
    assert.deepEqual(broken, [], 'no line begun by one writer and ended by another');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up --json with its stdout in a file that had no room ends its records with a summary whose exitCode is the status it exits with (1), not the 0 of a run whose records all went out', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  try {
    // 1 000 records (about 80 KB) overflow the 64 KiB limit, and what is left of them fits in the
    // file emptied; the rest, the summary among them, come once the test says `go`.
    const main = 'seq 1 1000; while [ ! -e go ]; do sleep 0.05; done; echo after';
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  p: { cmd: "${main}", main: true }\n`);
    const out = join(dir, 'up.log');
    const cli = spawn('sh', ['-c', 'ulimit -f 128 && exec "$0" "$1" up --json >> up.log', process.execPath, BIN], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let code: number | null;
    try {
      await waitUntil(() => stderr.includes('cannot write'), 'the warning', 20_000);
      truncateSync(out, 0); // room again
      writeFileSync(join(dir, 'go'), '');
      [code] = (await once(cli, 'close')) as [number | null];
    } finally {
      cli.kill('SIGKILL');
    }
    assert.equal(code, 1, stderr);
    const text = readFileSync(out, 'utf8');
    const records = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = records.at(-1);
    assert.equal(summary?.event, 'summary', 'the summary is the last record, written once the file had room');
    assert.deepEqual({ line: summary.line, exitCode: summary.exitCode }, { line: 'exit status 1', exitCode: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up > up.log under `ulimit -f` says that emptying the file gives no room: the shell opened it with `>`, so it is written on at its offset, past the limit; raising the limit does', { timeout: 40_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  try {
    const main = 'seq 1 10000; while [ ! -e go ]; do sleep 0.05; done; echo after';
    writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  p: { cmd: "${main}", main: true }\n`);
    const cli = spawn('sh', ['-c', 'ulimit -f 128 && exec "$0" "$1" up > up.log', process.execPath, BIN], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitUntil(() => stderr.includes('cannot write'), 'the warning', 20_000);
      writeFileSync(join(dir, 'go'), '');
      await once(cli, 'close');
    } finally {
      cli.kill('SIGKILL');
    }
    const words = `cannot write stdout: it reached this run's file-size limit (EFBIG; ulimit -f: 65536 bytes); raise the limit (\`prlimit --pid ${cli.pid} --fsize=unlimited\`): emptying the file gives no room, as the shell opened it with \`>\`, not \`>>\`, and it is written on past the limit`;
    assert.ok(stderr.includes(`subvisor: ${words}; the processes go on`), stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up > up.log on a full file system says it is full (df -h), not only "no space left on device", and at the end that the file\'s last line is cut off, with no newline after it', { timeout: 40_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  const full = join(dir, 'full');
  try {
    if (!mountTmpfs(t, full, 'size=64k')) return;
    try {
      // Lines of 104 bytes in the file: the 64 KiB (16 pages) fill in the middle of one (65536 = 630 × 104 + 16).
      const main = `yes ${'x'.repeat(99)} | head -n 2000`;
      writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  p: { cmd: "${main}", main: true }\n`);
      const out = join(full, 'up.log');
      const cli = spawn('sh', ['-c', 'exec "$0" "$1" up >> full/up.log', process.execPath, BIN], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let code: number | null;
      try {
        [code] = (await once(cli, 'close')) as [number | null];
      } finally {
        cli.kill('SIGKILL');
      }
      assert.equal(code, 1, stderr);
      assert.ok(stderr.includes(`subvisor: cannot write stdout: its file system is full (ENOSPC; \`df -h ${out}\` shows it); free space on it; the processes go on`), stderr);
      const text = readFileSync(out, 'utf8');
      assert.notEqual(text.at(-1), '\n', 'the control: the file ends in the middle of a line');
      assert.match(stderr, /^subvisor: stdout could not be written to the end; \d+ lines are missing from it, and its last line is cut off where it found no room \(no newline ends the file\)$/m);
    } finally {
      unmountTmpfs(full);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up >> up.log with no `ulimit -f` whose file is as large as its file system allows (EFBIG) says so, not that a limit of the run\'s should be raised', { timeout: 40_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-stdout-file-'));
  const big = join(dir, 'big');
  try {
    if (!mountTmpfs(t, big, 'size=64k')) return;
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  p: { cmd: "seq 1 20", main: true }\n');
      // A tmpfs file may be 2^63-1 bytes long (sparse, no room taken), and an append after that is EFBIG.
      execFileSync('truncate', ['-s', '9223372036854775807', join(big, 'up.log')]);
      const run = spawnSync('sh', ['-c', 'ulimit -f unlimited && exec "$0" "$1" up >> big/up.log', process.execPath, BIN], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /^subvisor: cannot write stdout: it is as large as its file system allows a file to be \(EFBIG; ulimit -f is unlimited\); write it on another file system, or empty the file in place; /m);
      assert.doesNotMatch(run.stderr, /raise the limit/);
    } finally {
      unmountTmpfs(big);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
