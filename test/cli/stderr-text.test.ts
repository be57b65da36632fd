// What the command line says on stderr about paths and names it was given: their control
// characters shown as text, as a child's lines are, so none of them can drive the terminal.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from './cli.js';

test('a path with an escape sequence in an error or a warning on stderr is shown as text, not given to the terminal', { timeout: 30_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'subvisor-odd-path-'));
  try {
    const dir = join(base, 'x\x1b]0;PWNED\x07\x1b[31mRED');
    mkdirSync(dir);
    // An error: no run listens beside this config, whose path the message names.
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: "echo ${SUBVISOR_TEST_UNSET_X}"\n');
    const ps = await runCli(['ps'], { cwd: dir });
    assert.equal(ps.code, 1, ps.stderr);
    assert.match(ps.stderr, /no run is listening/);
    // A warning: the config file's path starts it.
    const up = await runCli(['up', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /^subvisor: warning: /m);
    for (const [what, stderr] of [['ps', ps.stderr], ['up', up.stderr]] as const) {
      assert.ok(!stderr.includes('\x1b') && !stderr.includes('\x07'), `${what}: a raw control character reached stderr: ${JSON.stringify(stderr)}`);
      assert.match(stderr, /x\\x1b\]0;PWNED\\x07/, `${what}: the path is shown, its escapes as text`);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
