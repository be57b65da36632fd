// A small file system of a test's own (tmpfs), to run out of space or of inodes without filling
// the machine's disk. Mounting needs root, as CI runs the tests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Mounts a tmpfs at `dir` (made if missing) with `options` (`size=64k`, `nr_inodes=2`), owner-only
 * (0700, so it passes for a log directory of this user's); false, the test skipped, when not root.
 * The caller unmounts it with {@link unmountTmpfs} in a `finally`.
 */
export function mountTmpfs(t: TestContext, dir: string, options: string): boolean {
  if (process.getuid?.() !== 0) {
    assert.notEqual(process.env.CI, 'true', 'CI runs the tests as root, where a tmpfs can be mounted');
    t.skip('mounting a tmpfs needs root');
    return false;
  }
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `mode=0700,${options}`, 'tmpfs', dir]);
  return true;
}

/** Unmounts what {@link mountTmpfs} mounted at `dir`. */
export function unmountTmpfs(dir: string): void {
  execFileSync('umount', [dir]);
}
