import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './cli.js';

// `subvisor run -- CMD` in a script, in place of `timeout 5 CMD` or `sh -c CMD`: what a script sees
// ($?, stderr) is what those give, unless the README says why not.
describe('subvisor run as a drop-in for timeout(1) and sh -c', () => {
  for (const [what, make] of [
    ['a symbolic link that points back at itself (ELOOP)', (dir: string) => (symlinkSync('loop', join(dir, 'loop')), join(dir, 'loop'))],
    ['a path with a name over 255 bytes (ENAMETOOLONG)', (dir: string) => join(dir, 'n'.repeat(300))],
  ] as const) {
    test(`a program that is ${what} cannot be run: status 126, as timeout(1) and bash give it`, { timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'subvisor-run-126-'));
      try {
        const program = make(dir);
        // The control: timeout(1) (coreutils) says 126 for any exec failure but ENOENT.
        assert.equal(spawnSync('timeout', ['10', program]).status, 126);
        const run = await runCli(['run', '--', program]);
        assert.equal(run.code, 126, run.stdout + run.stderr);
        assert.match(run.stderr, /cannot start/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
