// What a child reads on stdin under the command line: `run` hands its one child the stdin it was
// given when that is a pipe or a file (`producer | subvisor run -- consumer`, as a shell or
// timeout(1) would), and /dev/null when it is a terminal (SPEC §3: the child never takes the
// terminal's input); `up`'s children always read /dev/null, as concurrently's do by default.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { killQuietly } from '../support/processes.js';
import { BIN } from './cli.js';
import { startOnTerminal } from './terminal.js';

const BOUNDED = { timeout: 30_000 };
const QUIET_ENV = { ...process.env, NO_COLOR: '', FORCE_COLOR: '0' };

describe('stdin under the command line', () => {
  test('run: a closed stdin (<&-) is an empty input to the child, as Node made it /dev/null before subvisor ran (README)', BOUNDED, () => {
    // The control: bash's cat fails on the closed fd, so the closing did happen.
    assert.equal(spawnSync('sh', ['-c', 'exec bash -c cat <&-'], { encoding: 'utf8' }).status, 1);
    const script = 'exec "$0" "$1" run --label c -- sh -c \'readlink /proc/self/fd/0; cat\' <&-';
    const run = spawnSync('sh', ['-c', script, process.execPath, BIN], { encoding: 'utf8', env: QUIET_ENV, timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^c \| \/dev\/null$/m);
  });

  test('run: a piped stdin is the child\'s, so `echo hi | subvisor run -- cat` prints hi and ends at its EOF', BOUNDED, () => {
    const run = spawnSync(process.execPath, [BIN, 'run', '--label', 'c', '--', 'cat'], { input: 'hi\nthere', encoding: 'utf8', env: QUIET_ENV, timeout: 20_000 });
    assert.equal(run.error, undefined, 'it must end at the end of its input, not at the timeout');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^c \| hi\nc \| there$/m);
  });

  test('run: 10 MiB piped to a child that reads slowly arrive whole and in order (the pipe waits, nothing is dropped)', BOUNDED, () => {
    const input = Buffer.alloc(10 * 1024 * 1024);
    for (let index = 0; index < input.length; index++) input[index] = (index * 7919) % 251;
    const digest = createHash('sha256').update(input).digest('hex');
    // It starts reading only after the pipe has long been full: the writer is held back, not cut off.
    const run = spawnSync(process.execPath, [BIN, 'run', '--label', 'sum', '--', 'sh', '-c', 'sleep 0.5; sha256sum'], { input, encoding: 'utf8', env: QUIET_ENV, timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^sum \\| ${digest}  -$`, 'm'));
  });

  test('run: a file given as stdin is read by the child; a closed stdin or /dev/null reads as empty at once', BOUNDED, () => {
    const dir = mkdtempSync(join(tmpdir(), 'stdin-run-file-'));
    try {
      writeFileSync(join(dir, 'in.txt'), 'one\ntwo\n');
      const script = `"${process.execPath}" "${BIN}" run --label wc -- wc -l`;
      const fromFile = spawnSync('bash', ['-c', `${script} < in.txt`], { cwd: dir, encoding: 'utf8', env: QUIET_ENV, timeout: 20_000 });
      assert.equal(fromFile.status, 0, fromFile.stderr);
      assert.match(fromFile.stdout, /^wc \| 2$/m);
      for (const redirect of ['<&-', '</dev/null']) {
        const empty = spawnSync('bash', ['-c', `${script} ${redirect}`], { cwd: dir, encoding: 'utf8', env: QUIET_ENV, timeout: 20_000 });
        assert.equal(empty.error, undefined, `${redirect}: the child must meet EOF, not wait`);
        assert.equal(empty.status, 0, empty.stderr);
        assert.match(empty.stdout, /^wc \| 0$/m, redirect);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('up: a child that reads stdin meets EOF at once, though up\'s own stdin is a pipe that stays open', BOUNDED, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stdin-up-'));
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  reader: { cmd: "cat; echo got EOF", main: true }\n');
    const cli = spawn(process.execPath, [BIN, 'up'], { cwd: dir, env: QUIET_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      cli.stdin.write('for nobody\n'); // and never ended
      let stdout = '';
      cli.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      const [code] = (await Promise.race([
        new Promise((resolve) => cli.on('close', (...ended) => resolve(ended))),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`up did not end: its child waits on stdin\n${stdout}`)), 15_000).unref()),
      ])) as [number | null];
      assert.equal(code, 0, stdout);
      assert.match(stdout, /^reader \| got EOF$/m);
      assert.doesNotMatch(stdout, /for nobody/);
    } finally {
      killQuietly(cli.pid ?? -1);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('run on a terminal: the child reads /dev/null, not the terminal (it has no terminal at all)', { timeout: 40_000 }, async () => {
    const script = 'readlink /proc/self/fd/0 > stdin.txt; echo $$ > child.pid; while [ ! -e go ]; do sleep 0.05; done';
    const job = startOnTerminal(['run', '--', 'sh', '-c', script], { hangup: 'nobody', stderrToFile: true });
    const pids: number[] = [];
    try {
      pids.push(await job.cliPid());
      await job.waitForFile('child.pid');
      pids.push(job.pidIn('child.pid'));
      // Control: the CLI itself reads the terminal.
      assert.match(readlinkSync(`/proc/${String(pids[0])}/fd/0`), /^\/dev\/pts\//);
      writeFileSync(join(job.dir, 'go'), '');
      assert.deepEqual(await job.ended(), { code: 0, signal: null }, job.stderr());
      assert.equal(readFileSync(join(job.dir, 'stdin.txt'), 'utf8').trim(), '/dev/null');
    } finally {
      job.dispose(pids);
    }
  });
});
