// The end report goes to stderr after every line stdout was given before it, also when stdout
// takes them slowly (a reader or a terminal slower than the output, `up 2>&1 | less`, a terminal
// paused with Ctrl-S): both streams often end on one screen, where a report written at once came
// before the rest of the output, inside a line of it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOutput } from '../../src/cli/output.js';
import { BIN } from './cli.js';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';

const REPORT = 'subvisor: web failed: exited with status 3\n';

/**
 * stdout and stderr as one screen. stdout is a slow reader: the system takes the first 100 bytes
 * of a write at once and the rest a moment later, as a pipe or terminal slower than the output
 * does; stderr is taken whole at once.
 */
function oneScreen(): { shown: string[]; stdout: Writable; stderr: Writable } {
  const shown: string[] = [];
  const stdout = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      shown.push(chunk.subarray(0, 100).toString('latin1'));
      setTimeout(() => {
        shown.push(chunk.subarray(100).toString('latin1'));
        callback();
      }, 1);
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      shown.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { shown, stdout, stderr };
}

test('the report on stderr comes after every line stdout was given before it, though stdout takes them slowly', { timeout: 30_000 }, async () => {
  const { shown, stdout, stderr } = oneScreen();
  const output = createOutput({ names: ['web'], json: false, stdout, stderr, env: { NO_COLOR: '1' }, reportAfterStdout: true });
  for (let index = 1; index <= 2000; index++) void output.line('web', 'stdout', `line ${index}`);
  output.report(REPORT, {});
  // The control: stdout had not taken everything when the report was given.
  assert.ok(stdout.writableLength > 0, 'stdout had taken every line already: nothing was slow');
  await output.close();
  const screen = shown.join('');
  assert.ok(screen.endsWith(`web | line 2000\n${REPORT}`), `the report is not after the last line:\n${screen.slice(0, 300)}...`);
});

test('a report given while stdout holds nothing is written at once', () => {
  const { shown, stdout, stderr } = oneScreen();
  const output = createOutput({ names: ['web'], json: false, stdout, stderr, env: { NO_COLOR: '1' }, reportAfterStdout: true });
  output.report(REPORT, {});
  assert.deepEqual(shown, [REPORT]);
});

test('a report still waiting for stdout is written when the output is dropped', { timeout: 30_000 }, async () => {
  const { shown, stdout, stderr } = oneScreen();
  const output = createOutput({ names: ['web'], json: false, stdout, stderr, env: { NO_COLOR: '1' }, reportAfterStdout: true });
  // Several writes' worth (a batch is 64 KiB at most): the one under way is written whole, the others dropped.
  for (let index = 1; index <= 10_000; index++) void output.line('web', 'stdout', `line ${index}`);
  output.report(REPORT, {});
  await output.abandon('second SIGINT');
  const stderrSaid = shown.filter((chunk) => chunk.startsWith('subvisor: '));
  assert.equal(stderrSaid[0], REPORT);
  assert.match(stderrSaid[1] ?? '', /^subvisor: second SIGINT: \d+ bytes of output not yet written are dropped\n$/);
});

test('when the output is dropped, the words saying so come after the line stdout was writing, and none of what is dropped follows them', { timeout: 30_000 }, async () => {
  const { shown, stdout, stderr } = oneScreen();
  const output = createOutput({ names: ['web'], json: false, stdout, stderr, env: { NO_COLOR: '1' }, reportAfterStdout: true });
  // Several writes' worth (a batch is 64 KiB at most): one under way, the others behind it.
  for (let index = 1; index <= 10_000; index++) void output.line('web', 'stdout', `line ${index}`);
  output.flush();
  // The control: stdout is in the middle of a write (its first 100 bytes shown, a line cut short).
  assert.ok(!(shown.at(-1) ?? '').endsWith('\n'), 'stdout was not in the middle of a line');
  await output.abandon('second SIGINT');
  // Whatever stdout was still to write then must not come out either, in the moment the process lives on.
  await sleep(50);
  const screen = shown.join('');
  const words = screen.indexOf('subvisor: second SIGINT: ');
  assert.notEqual(words, -1, `the drop was not said:\n${screen.slice(-300)}`);
  assert.equal(screen[words - 1], '\n', `the words are inside a line:\n${screen.slice(words - 200, words + 100)}`);
  assert.match(screen.slice(words), /^subvisor: second SIGINT: \d+ bytes of output not yet written are dropped\n$/);
});

test('where stdout and stderr part, the report is written at once, whatever stdout still holds', () => {
  const { shown, stdout, stderr } = oneScreen();
  const output = createOutput({ names: ['web'], json: false, stdout, stderr, env: { NO_COLOR: '1' }, reportAfterStdout: false });
  for (let index = 1; index <= 2000; index++) void output.line('web', 'stdout', `line ${index}`);
  output.report(REPORT, {});
  assert.equal(shown.at(-1), REPORT);
});

test('up 2>&1 behind a slow reader: the report follows the last line, on a line of its own', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-report-order-'));
  writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  flood:\n    cmd: "echo $$ > flood.pid; seq 1 30000; exit 3"\n');
  const cli = spawn('sh', ['-c', '"$@" 2>&1', 'sh', process.execPath, BIN, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  try {
    // The reader takes nothing until the process has exited and the run has had a moment to report.
    cli.stdout.pause();
    await waitUntil(() => existsSync(join(dir, 'flood.pid')) && readFileSync(join(dir, 'flood.pid'), 'utf8').trim() !== '', 'the flood to start', 10_000);
    const floodPid = Number(readFileSync(join(dir, 'flood.pid'), 'utf8'));
    const socket = join(dir, '.subvisor', 'control.sock');
    assert.ok(existsSync(socket), `no control socket at ${socket} to wait for`);
    await waitUntil(() => !isRunning(floodPid), 'the flood to exit', 10_000);
    // The run removes its control socket as it ends, and reports straight after: waited for, not
    // guessed at with a sleep that a loaded machine outlasts (the report then came after the reader
    // had resumed, and a report written at once passed too).
    await waitUntil(() => !existsSync(socket), 'the run to end (its control socket removed)', 10_000);
    const chunks: Buffer[] = [];
    cli.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = once(cli, 'close');
    cli.stdout.resume();
    const [code] = (await closed) as [number | null];
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    assert.equal(code, 3);
    const last = lines.indexOf('flood | 30000');
    const report = lines.indexOf('subvisor: flood failed: exited with status 3');
    assert.ok(report > last && last > 0, `the report (line ${report}) is not after the last line (${last}):\n${lines.filter((line) => line.includes('subvisor:')).join('\n')}`);
  } finally {
    killQuietly(cli.pid);
    rmSync(dir, { recursive: true, force: true });
  }
});
