import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { makeDirectories } from '../../src/cli/directories.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-directories-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const BOUNDED = { timeout: 30_000 };
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

test('makes every missing directory with the mode, returns the first it made, and nothing when all were there', BOUNDED, () => {
  const deep = join(scratch, 'a', 'b', 'c');
  assert.equal(makeDirectories(deep, 0o700), join(scratch, 'a'));
  for (const dir of [join(scratch, 'a'), join(scratch, 'a', 'b'), deep]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  assert.equal(makeDirectories(deep, 0o700), undefined);
});

test('a file in the way fails as mkdir does: EEXIST for the path itself, ENOTDIR on the way', BOUNDED, () => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, '');
  assert.throws(() => makeDirectories(file), { code: 'EEXIST' });
  assert.throws(() => makeDirectories(join(file, 'below')), { code: 'ENOTDIR' });
});

/**
 * Runs `code` (an ES module body that may import from src/) in a child bounded by `ms`: a mkdir that
 * loops for ever is synchronous, and would hold this process past any test timeout.
 */
function inChild(code: string, ms = 20_000): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: ms, cwd: ROOT });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('a path under /proc fails at once with ENOENT (Node\'s recursive mkdir loops for ever there)', BOUNDED, () => {
  const run = inChild(`import { makeDirectories } from './src/cli/directories.ts';
try { makeDirectories('/proc/subvisor-no-such/logs'); } catch (error) { console.log(error.code); }`);
  assert.deepEqual(run, { status: 0, output: 'ENOENT\n' });
});

test('log files in a dir under /proc: a config error before anything starts, not a hang', BOUNDED, () => {
  const run = inChild(`import { LogFiles } from './src/cli/logfiles/log-files.ts';
try { new LogFiles({ dir: '/proc/subvisor-no-such/logs', maxSizeBytes: 1024, keep: 1 }, ['web']).open(); } catch (error) { console.log(error.message); }`);
  assert.equal(run.status, 0, run.output);
  assert.match(run.output, /cannot write the log files: \/proc\/subvisor-no-such\/logs: ENOENT/);
});
