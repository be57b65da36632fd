// With the watchdog turned off (SUBVISOR_WATCHDOG=0) there is no gate to register a child, but a
// child given ids still goes through one for its verdict (src/process/spawn/gate.ts, UNREGISTERED):
// a cwd its user may not enter is refused as with the watchdog, never entered as root.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

/** How `touch ./ran`, started as nobody in `cwd` by a parent without the watchdog, ended: `exit N`, or the SpawnError's code and whether its cwd was the cause. */
function startedAsNobodyIn(cwd: string): string {
  const index = pathToFileURL(resolve('src/index.ts')).href;
  const script = `
    const { runProcess } = await import(${JSON.stringify(index)});
    const ended = await runProcess(['sh', '-c', 'touch ./ran'], { uid: 65534, gid: 65534, cwd: ${JSON.stringify(cwd)}, check: false, stderr: 'ignore' })
      .then((done) => 'exit ' + done.returncode, (error) => error.constructor.name + ' ' + error.code + ' ' + error.cwdUnusable);
    console.log(ended);`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, SUBVISOR_WATCHDOG: '0' }, timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('without the watchdog, a cwd the uid may not enter, itself or through a directory above it, is a SpawnError EACCES and nothing runs (needs root)', { timeout: 60_000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
  const closed = mkdtempSync(join(tmpdir(), 'subvisor-ids-no-watchdog-'));
  try {
    const cwd = join(closed, 'app');
    mkdirSync(cwd);
    chmodSync(cwd, 0o777);
    chmodSync(closed, 0o700);
    assert.equal(startedAsNobodyIn(cwd), 'SpawnError EACCES true', 'through a directory above it');
    assert.equal(existsSync(join(cwd, 'ran')), false, 'the command did not run');
    chmodSync(closed, 0o711);
    chmodSync(cwd, 0o700);
    assert.equal(startedAsNobodyIn(cwd), 'SpawnError EACCES true', 'itself');
    // Control: opened to it, the same command runs there as the same user.
    chmodSync(cwd, 0o777);
    assert.equal(startedAsNobodyIn(cwd), 'exit 0');
    assert.equal(existsSync(join(cwd, 'ran')), true);
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});
