import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { installedSetpriv } from '../../src/process/spawn/groups.js';

/**
 * Skips `t` and says so (true) when util-linux's setpriv, which gives a child its supplementary
 * groups, is not where the library looks for it; CI installs it, so there a missing one fails.
 */
export function skipsWithoutSetpriv(t: TestContext): boolean {
  if (installedSetpriv() !== undefined) return false;
  assert.notEqual(process.env.CI, 'true', 'setpriv (util-linux) is missing on CI');
  t.skip('setpriv (util-linux) is not installed');
  return true;
}

/** {@link skipsWithoutSetpriv}, and skips when this process is not root: only root starts a child as another user. */
export function skipsWithoutRootAndSetpriv(t: TestContext): boolean {
  if (process.getuid?.() !== 0) {
    t.skip('only root can start a process as another user');
    return true;
  }
  return skipsWithoutSetpriv(t);
}
