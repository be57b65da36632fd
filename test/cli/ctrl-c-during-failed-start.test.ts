// A program that cannot start (exec format error) is looked into before its failure is told:
// the look for processes writing it (../../src/process/spawn/writers.ts) stats every open file on
// the system, for up to a second. A Ctrl-C in that second cut the look short, and the failure,
// which had happened before it, was then told as no failure at all: `not started`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startCli } from './cli.js';

/** Each opens as many fds as its limit lets it (up to 19,000), so that the look has tens of thousands to go through. */
const FD_HOLDERS = 4;
const HOLD_FDS = "const fs = require('fs'); try { for (let i = 0; i < 19000; i++) fs.openSync('/dev/null', 'r'); } catch {} console.log('holding'); setInterval(() => {}, 1000);";

async function holdFds(): Promise<ChildProcess> {
  // The soft limit raised to the hard one where it is lower: more fds make the look longer.
  const holder = spawn('sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" -e "$1"', process.execPath, HOLD_FDS], { stdio: ['ignore', 'pipe', 'ignore'] });
  await once(holder.stdout, 'data');
  return holder;
}

test('a Ctrl-C while a failed start is looked into leaves that start failed (cannot start), not "not started"', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-failed-start-'));
  const holders: ChildProcess[] = [];
  try {
    // Neither ELF nor a script: the exec fails with ENOEXEC, the failure the look is made for.
    writeFileSync(join(dir, 'junk'), Buffer.from([0, 1, 2, 3, 0x0a]), { mode: 0o755 });
    // `bad` starts once `other` is ready: the moment to press Ctrl-C is known from the output.
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  other:\n    cmd: "echo go; sleep 30"\n    ready: go\n  bad:\n    cmd: [./junk]\n    dependsOn: [other]\n');
    for (let i = 0; i < FD_HOLDERS; i++) holders.push(await holdFds());
    const run = startCli(['up'], { cwd: dir });
    await run.waitForOutput(/other \* ready/, 15_000);
    await sleep(50);
    run.kill('SIGINT');
    const ended = await run.done;
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stdout, /^bad +\* cannot start \.\/junk: exec format error/m, ended.stdout);
    assert.doesNotMatch(ended.stdout + ended.stderr, /not started/);
  } finally {
    for (const holder of holders) holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
