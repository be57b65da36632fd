// What a signal drops is counted exactly where stdout and stderr are one pipe or terminal (`2>&1`,
// a terminal for both): there the words wait for stdout's write under way, which is then written
// whole, so it is no longer dropped and must not be counted (see Output.abandon).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { BIN } from './cli.js';

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
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'the flood to start', 20_000);
    pid = Number(readFileSync(pidFile, 'utf8'));
    await waitUntil(() => !isRunning(pid as number), 'the child to end by itself', 10_000);
    await sleep(500); // the run is over: its lines wait for a reader that does not read
    const chunks: Buffer[] = [];
    cli.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cli.kill('SIGTERM');
    // Long enough for the CLI to take the signal, not for its exit (1.5 s): the words wait for the
    // write under way, so read on, and it finishes.
    await sleep(300);
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
