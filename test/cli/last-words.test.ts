// After a second Ctrl-C the CLI exits 130 at once, but first gives its last words (what it killed,
// what output it drops) a moment to reach stderr (src/cli/last-words.ts). A signal in that moment
// (a third Ctrl-C, pressed by someone who sees nothing happen) must not change how it ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN } from './cli.js';
import { isRunning, killQuietly, signalPending, waitUntil, waitsToWrite } from '../support/processes.js';

test('a third Ctrl-C while the last words wait for a reader that takes nothing: the CLI still exits 130, not killed by it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-last-words-'));
  // 829 KB, less than the CLI holds: `printed` once it is all read. Its stop lasts its grace: each
  // SIGTERM ends only the `sleep` (and says it came), the loop goes on.
  const shell = "trap 'touch stopping' TERM; echo $$ > flood.pid; seq 1 60000; touch printed; while :; do sleep 0.1; done";
  writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  flood: { cmd: "${shell}", grace: 30s }\n`);
  // stdout and stderr one pipe, read by nothing: the words wait for stdout's write under way, for good.
  const cli = spawn('sh', ['-c', 'exec "$@" 2>&1', 'sh', process.execPath, BIN, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  const closed = once(cli, 'exit');
  let floodPid: number | undefined;
  try {
    cli.stdout.pause();
    await waitUntil(() => existsSync(join(dir, 'printed')), 'the flood to be read', 30_000);
    floodPid = Number(readFileSync(join(dir, 'flood.pid'), 'utf8'));
    cli.kill('SIGINT');
    await waitUntil(() => existsSync(join(dir, 'stopping')), 'the stop to begin', 10_000);
    // Again until one counts as the second (one soon after the first is taken for its copy): the
    // flood is then SIGKILLed, and the CLI waits for its words.
    await waitUntil(() => (cli.kill('SIGINT'), !isRunning(floodPid as number)), 'the second Ctrl-C to kill the flood', 10_000);
    const pid = cli.pid as number;
    // The case under test, reached: the words wait (for stdout's write under way, which nobody
    // reads) when the third Ctrl-C comes, and it has been delivered (no longer pending) before
    // anything is read, and the CLI lives on. Its default action would have killed it on delivery.
    assert.ok(isRunning(pid), 'the CLI died of a Ctrl-C while its words waited');
    assert.ok(waitsToWrite(pid, 1), 'the CLI did not wait to write stdout: its last words did not wait for a reader');
    cli.kill('SIGINT');
    await waitUntil(() => !signalPending(pid, 'SIGINT'), 'the third Ctrl-C to be delivered', 10_000);
    assert.ok(isRunning(pid) && waitsToWrite(pid, 1), 'the CLI did not still wait for its words once the third Ctrl-C was delivered');
    cli.stdout.resume();
    const [code, signal] = (await closed) as [number | null, NodeJS.Signals | null];
    assert.deepEqual({ code, signal }, { code: 130, signal: null });
  } finally {
    killQuietly(cli.pid, floodPid);
    rmSync(dir, { recursive: true, force: true });
  }
});
