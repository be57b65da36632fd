// setpriv keeps its capabilities (PR_SET_KEEPCAPS) until it execs, so an exec of its own is
// checked as root's: a program the child's user may not run would run as that user. Behind the
// gate, setpriv execs the gate's /bin/sh, and the gate execs the command as the user alone; this
// holds the start without the watchdog (SUBVISOR_WATCHDOG=0) to the same, and to the same report:
// a SpawnError, not env's exit status 126, read as the command's own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { skipsWithoutRootAndSetpriv } from '../../support/setpriv.js';

/** What `program`, started as nobody with groups by a parent without the gate, printed, or how its start ended. */
function startedAsNobody(program: string): string {
  const index = pathToFileURL(resolve('src/index.ts')).href;
  const script = `
    const { runProcess } = await import(${JSON.stringify(index)});
    const ended = await runProcess([${JSON.stringify(program)}, '-u'], { uid: 65534, gid: 65534, groups: [4242], check: false, captureStdout: true, stderr: 'ignore' })
      .then((done) => 'exit ' + done.returncode + ' ' + String(done.stdout).trim(), (error) => error.constructor.name + ' ' + error.code);
    console.log(ended);`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, SUBVISOR_WATCHDOG: '0' }, timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('groups without the watchdog: a program the child\'s user may not execute (mode 0700, root\'s) does not run as that user, and is a SpawnError EACCES, as without groups', { timeout: 60_000 }, (t) => {
  if (skipsWithoutRootAndSetpriv(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'subvisor-groups-exec-'));
  try {
    chmodSync(dir, 0o755);
    const program = join(dir, 'id');
    copyFileSync('/usr/bin/id', program);
    // Control: open to all, the same program runs as nobody.
    chmodSync(program, 0o755);
    assert.equal(startedAsNobody(program), 'exit 0 65534');
    chmodSync(program, 0o700);
    const ended = startedAsNobody(program);
    assert.doesNotMatch(ended, /65534/, 'the program did not run as nobody');
    assert.equal(ended, 'SpawnError EACCES');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
