// A caller that passes its own uid and gid (a no-op switch) starts its child as it would without
// them: the gate's check of the way to the cwd (src/process/spawn/gate.ts) is for a child run as
// another user, and must not refuse a cwd that the caller itself runs in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isBuildFresh } from '../../../scripts/build-freshness.js';

const NOBODY = 65534;

/** How `sh -c 'id -u'`, started with `ids` by a parent running as nobody in `cwd` (entered as root), ended. */
function startedByNobodyIn(cwd: string, ids: string): string {
  // The built package, by its URL: tsx would spawn esbuild in that cwd, which nobody may not enter.
  if (!isBuildFresh(process.cwd())) throw new Error('dist/index.js is missing or older than src/: run `npm run build`');
  const index = pathToFileURL(resolve('dist/index.js')).href;
  const script = `
    const { runProcess } = await import(${JSON.stringify(index)});
    const ended = await runProcess(['sh', '-c', 'id -u'], { ...${ids}, check: false, captureStdout: true })
      .then((done) => 'exit ' + done.returncode + ' ' + done.stdout.toString().trim(), (error) => error.constructor.name + ' ' + error.code);
    console.log(ended);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('a parent in a cwd below a directory it may not search, passing its own uid and gid, starts its child there as it does without them (needs root)', { timeout: 60_000 }, (t) => {
  if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
  const closed = mkdtempSync(join(tmpdir(), 'subvisor-own-ids-cwd-'));
  try {
    const cwd = join(closed, 'app');
    mkdirSync(cwd);
    chmodSync(cwd, 0o777);
    chmodSync(closed, 0o700);
    // Control: without ids, the child starts where its parent runs.
    assert.equal(startedByNobodyIn(cwd, '{}'), `exit 0 ${NOBODY}`);
    assert.equal(startedByNobodyIn(cwd, `{ uid: ${NOBODY}, gid: ${NOBODY} }`), `exit 0 ${NOBODY}`);
    assert.equal(startedByNobodyIn(cwd, `{ uid: ${NOBODY}, cwd: '.' }`), `exit 0 ${NOBODY}`);
  } finally {
    rmSync(closed, { recursive: true, force: true });
  }
});
