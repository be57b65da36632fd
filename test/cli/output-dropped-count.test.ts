// What a signal drops is counted exactly where stdout and stderr are one pipe or terminal (`2>&1`,
// a terminal for both): there the words wait for stdout's write under way, which is then written
// whole, so it is no longer dropped and must not be counted (see Output.abandon). Where they part,
// the count is the most that can be lost, and the words say so.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { catches, isRunning, killQuietly, waitUntil, waitsToWrite } from '../support/processes.js';
import { BIN } from './cli.js';

/**
 * Waits until the flood's shell (it writes its pid to `pidFile`) has ended by itself and the CLI, its
 * parent, has reaped it: the CLI has then seen it end (Node emits the child's 'exit' in the callback
 * that reaps it, before it handles any signal sent after), and its lines wait for a reader that does
 * not read. `known` gets the pid once read, for the cleanup.
 */
async function untilFloodReaped(pidFile: string, known: (pid: number) => void): Promise<void> {
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the flood to start', 20_000);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  known(pid);
  // Gone from /proc, not only ended: a zombie is one the CLI has not reaped yet.
  await waitUntil(() => !existsSync(`/proc/${pid}`), 'the CLI to reap the flood, ended by itself', 10_000);
}

test('2>&1: the bytes said dropped are the bytes the reader never got, the write under way written whole and not counted', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-dropped-'));
  const pidFile = join(dir, 'pid');
  const count = 50_000; // `sh | 0123456789` 800 KB: under what the run may hold
  const script = `echo $$ > ${pidFile}; yes 0123456789 | head -n ${count}`;
  // One pipe for both, which nothing reads until the CLI has been told to end.
  const cli = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, BIN, 'run', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
  cli.stdout.pause();
  const ending = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let pid: number | undefined;
  try {
    await untilFloodReaped(pidFile, (known) => (pid = known));
    const chunks: Buffer[] = [];
    cli.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    assert.ok(catches(cli.pid as number, 'SIGHUP'), 'the control: the run catches SIGHUP');
    cli.kill('SIGTERM');
    // Read only once the CLI has taken the signal (read sooner, it might write everything first):
    // its exit at once has then begun, its run's listeners gone (SIGHUP no longer caught). The
    // words wait for the write under way, so read on, and it finishes.
    await waitUntil(() => !catches(cli.pid as number, 'SIGHUP'), 'the CLI to take the SIGTERM and exit at once', 10_000);
    cli.stdout.resume();
    const [code] = await ending;
    const got = Buffer.concat(chunks).toString('latin1');
    const words = got.split('\n').filter((line) => line.startsWith('subvisor: '));
    assert.equal(code, 143, words.join('\n'));
    const dropped = Number(/^subvisor: SIGTERM after (?:the run was over|every process had ended): (\d+) bytes of output not yet written are dropped$/m.exec(got)?.[1]);
    const stdoutGot = Buffer.byteLength(got) - words.reduce((sum, line) => sum + line.length + 1, 0);
    const starting = got.indexOf('\n') + 1;
    const lines = Buffer.byteLength('sh | 0123456789\n') * count;
    assert.ok(stdoutGot < starting + lines + 37, `the reader got everything (${stdoutGot} bytes): nothing was dropped`);
    // What is left beyond the lines is the exit line, `sh * exited with status 0 after 12 ms` (37 to 40 bytes).
    const exitLine = dropped - (starting + lines - stdoutGot);
    assert.ok(exitLine >= 37 && exitLine <= 40, `said ${dropped} bytes dropped; the reader got ${stdoutGot} of ${starting + lines} bytes and the exit line`);
  } finally {
    killQuietly(cli.pid, pid);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Fills the buffer of the pipe `fd` writes to (non-blocking): a write to it then waits until its reader reads. */
function fillPipe(fd: number): void {
  const block = Buffer.alloc(4096, 'x');
  for (;;) {
    try {
      writeSync(fd, block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw error;
    }
  }
}

test('stdout and stderr apart: the bytes said dropped are said to be at most that many, as the write under way may still be read while the words wait for stderr', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-dropped-apart-'));
  const pidFile = join(dir, 'pid');
  const fifo = join(dir, 'stderr');
  const count = 50_000; // `sh | 0123456789` 800 KB: under what the run may hold
  const script = `echo $$ > ${pidFile}; yes 0123456789 | head -n ${count}`;
  spawnSync('mkfifo', [fifo]);
  // stderr a pipe already full, read only once stdout has been: the words wait for it, and
  // meanwhile the reader of stdout takes the rest of the write under way.
  const stderrReader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const stderrWriter = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  fillPipe(stderrWriter);
  const cli = spawn(process.execPath, [BIN, 'run', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', stderrWriter], env: { ...process.env, NO_COLOR: '1' } });
  closeSync(stderrWriter);
  const stdout = cli.stdout as Readable; // piped: stdio[1] is 'pipe'
  stdout.pause();
  const ending = once(cli, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let pid: number | undefined;
  try {
    await untilFloodReaped(pidFile, (known) => (pid = known));
    const chunks: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cli.kill('SIGTERM');
    // The words are counted and wait for stderr: only now is stdout read, and to its end.
    await waitUntil(() => waitsToWrite(cli.pid as number, 2), 'the CLI to wait for stderr to take its words', 10_000);
    stdout.resume();
    const stdoutEnded = once(stdout, 'end');
    // Corked, stdout starts no write after the one under way: once that one is done, it waits for nothing.
    await waitUntil(() => !waitsToWrite(cli.pid as number, 1), 'the reader to take the rest of the write under way', 10_000);
    const stderrChunks: Buffer[] = [];
    await waitUntil(() => {
      // What the pipe held before, then the words: read as they come, and the CLI exits.
      const buffer = Buffer.alloc(65_536);
      try {
        const read = readSync(stderrReader, buffer);
        stderrChunks.push(buffer.subarray(0, read));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      return !isRunning(cli.pid as number) || cli.exitCode !== null;
    }, 'the CLI to exit once stderr took its words', 10_000);
    const [code] = await ending;
    await stdoutEnded;
    const words = Buffer.concat(stderrChunks).toString('latin1').replace(/^x*/, '');
    assert.equal(code, 143, words);
    const said = /^subvisor: SIGTERM after (?:the run was over|every process had ended): (at most )?(\d+) bytes of output not yet written are dropped$/m.exec(words);
    const got = Buffer.concat(chunks).length;
    const starting = Buffer.concat(chunks).indexOf('\n') + 1;
    const total = starting + Buffer.byteLength('sh | 0123456789\n') * count + 40;
    // The control: the reader took some of what was counted, so the count was more than was lost.
    assert.ok(said !== null && got + Number(said[2]) > total, `said ${said?.[0] ?? words}; the reader got ${got} of ${total - 40} bytes and the exit line`);
    assert.equal(said[1], 'at most ', `said ${said[0]}: as if exact, though the reader got ${got} bytes after it was counted`);
  } finally {
    killQuietly(cli.pid, pid);
    closeSync(stderrReader);
    rmSync(dir, { recursive: true, force: true });
  }
});
