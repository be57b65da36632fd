import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { resolve } from 'node:path';
import { mock, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runProcess } from '../../../src/index.js';
import { skipsWithoutRootAndSetpriv } from '../../support/setpriv.js';

/**
 * How a start of `id` as nobody with `groups` ends in a Node parent that is root but was started
 * by setpriv with `capabilities` (setpriv's --bounding-set words): the error's class and code, or
 * the exit status.
 */
function startEnding(capabilities: string): string {
  const index = pathToFileURL(resolve('src/index.ts')).href;
  const script = `
    const { runProcess } = await import(${JSON.stringify(index)});
    const ended = await runProcess(['id'], { uid: 65534, gid: 65534, groups: [4242], check: false, stdout: 'ignore', stderr: 'ignore' })
      .then((done) => 'exit ' + done.returncode, (error) => error.constructor.name + ' ' + error.code);
    console.log(ended);`;
  const run = spawnSync('setpriv', [`--bounding-set=${capabilities}`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim();
}

test('groups: a root whose capability bounding set lacks CAP_SETGID (a container\'s --cap-drop SETGID) gets a SpawnError EPERM before anything runs, not setpriv\'s exit 127 read as the command\'s', { timeout: 60_000 }, (t) => {
  if (skipsWithoutRootAndSetpriv(t)) return;
  // Control: with the capabilities, the same start runs the command.
  assert.equal(startEnding('+setgid,+setuid'), 'exit 0');
  assert.equal(startEnding('-setgid'), 'SpawnError EPERM');
  assert.equal(startEnding('-setuid'), 'SpawnError EPERM');
});

test('groups: a start reads the id maps as often with many groups as with one, not once per group', { timeout: 60_000 }, async (t) => {
  if (skipsWithoutRootAndSetpriv(t)) return;
  // Each group read /proc/self/gid_map again: 65536 groups (NGROUPS_MAX) took seconds per start.
  const readFileSync = fs.readFileSync;
  let mapReads = 0;
  const spy = mock.method(fs, 'readFileSync', (...args: Parameters<typeof readFileSync>) => {
    if (String(args[0]).endsWith('_map')) mapReads += 1;
    return readFileSync(...args);
  });
  const readsWith = async (groups: number[]): Promise<number> => {
    mapReads = 0;
    await runProcess(['true'], { uid: 65534, gid: 65534, groups });
    return mapReads;
  };
  try {
    const withOne = await readsWith([4242]);
    assert.ok(withOne > 0, 'control: the maps are read');
    // Ids a user namespace of 65536 (a rootless container's) maps too: an unmapped one is refused (EINVAL) before anything runs.
    assert.equal(await readsWith(Array.from({ length: 1000 }, (_, index) => 50_000 + index)), withOne);
  } finally {
    spy.mock.restore();
  }
});
