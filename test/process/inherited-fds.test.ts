import assert from 'node:assert/strict';
import { spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

/** The fd the test's parent is given its file on, left open across exec as a shell's `exec 40<file` leaves it. */
const HELD_FD = 40;

/**
 * What a child of a Node parent that was started holding `file` on {@link HELD_FD} finds on that fd,
 * run as `nobody` and as the parent's own user, behind the spawn gate and (SUBVISOR_WATCHDOG=0) without it.
 */
function seenOnHeldFd(file: string, watchdog: boolean): { other: string; own: string } {
  const index = pathToFileURL(resolve('src/index.ts')).href;
  const script = `
    const { runProcess } = await import(${JSON.stringify(index)});
    const look = (opts) => runProcess(['readlink', '/proc/self/fd/${HELD_FD}'], { ...opts, captureStdout: true, check: false }).then((done) => done.stdout.toString().trim());
    console.log(JSON.stringify({ other: await look({ uid: 65534, gid: 65534 }), own: await look({}) }));`;
  const held = openSync(file, 'r');
  try {
    const stdio: StdioOptions = ['ignore', 'pipe', 'inherit', ...Array.from({ length: HELD_FD - 3 }, () => 'ignore' as const), held];
    const env = { ...process.env, SUBVISOR_WATCHDOG: watchdog ? '1' : '0' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio, env, encoding: 'utf8', timeout: 15_000 });
    assert.equal(run.status, 0, run.stdout);
    return JSON.parse(run.stdout) as { other: string; own: string };
  } finally {
    closeSync(held);
  }
}

test('a child run as another user does not get an fd the parent was started with (one on a root-only file): it finds /dev/null there; a child of its own user still gets it', { timeout: 30_000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (a child run as another uid)');
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-inherited-fds-'));
  try {
    const secret = join(dir, 'root-only');
    writeFileSync(secret, 'a token\n', { mode: 0o600 });
    for (const watchdog of [true, false]) {
      const seen = seenOnHeldFd(secret, watchdog);
      assert.equal(seen.other, '/dev/null', `as nobody, watchdog ${watchdog ? 'on' : 'off'}`);
      // Control: the fd does reach a child that stays this user, so the look above could have found it.
      assert.equal(seen.own, secret, `as its own user, watchdog ${watchdog ? 'on' : 'off'}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
