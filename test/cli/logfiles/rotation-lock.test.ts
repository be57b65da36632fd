import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { withRotationLock } from '../../../src/cli/logfiles/rotation-lock.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-rotation-lock-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

function freshDir(): string {
  const dir = join(scratch, `d${dirs++}`);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  return dir;
}

/** A pid no process has: that of a shell that has exited. */
function gonePid(): number {
  return Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }).trim());
}

const LOCK_MODULE = pathToFileURL(resolve('src/cli/logfiles/rotation-lock.ts')).href;

/**
 * A node process that takes `file`'s rotation lock as `role` says, and prints what it saw as JSON.
 * `race`: `rounds` times, leaves a lock naming a gone pid where there is none, then takes the lock
 * (over that one, as the other racer may at the same moment), counting holds that found the
 * other holding too. `stall-first`/`stall-second`: the first holds until the second, having taken
 * the lock over as too old, says it holds; the second then looks whether its lock is still there
 * once the first has let go.
 */
function runDriver(role: string, file: string, extra: string[] = []): Promise<string> {
  const script = `
import { withRotationLock } from ${JSON.stringify(LOCK_MODULE)};
import fs from 'node:fs';
const { role, file, extra } = JSON.parse(process.env.ROTATION_LOCK_DRIVER);
const lock = file.replace(/[^/]*$/, (name) => '.' + name + '.rotating');
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
// A wait that runs out throws: passing on by then let the second take a lock the first had let go.
const waitFor = (path) => {
  for (let i = 0; i < 4000 && !fs.existsSync(path); i++) pause(5);
  if (!fs.existsSync(path)) throw new Error(role + ': waited 20 s for ' + path);
};
if (role === 'race') {
  const [gone, rounds] = extra.map(Number);
  const marker = file + '.held';
  let doubles = 0;
  let holds = 0;
  for (let round = 0; round < rounds; round++) {
    try { fs.writeFileSync(lock, gone + '\\n', { flag: 'wx' }); } catch {}
    withRotationLock(file, () => {
      holds++;
      try { fs.mkdirSync(marker); } catch { doubles++; return true; }
      for (let i = 0; i < 20; i++) fs.readdirSync(fs.realpathSync(file + '/..'));
      fs.rmdirSync(marker);
      return true;
    });
  }
  process.stdout.write(JSON.stringify({ doubles, holds }));
} else if (role === 'stall-first') {
  withRotationLock(file, () => { fs.writeFileSync(file + '.first-holds', ''); waitFor(file + '.second-holds'); return true; });
  fs.writeFileSync(file + '.first-let-go', '');
} else {
  waitFor(file + '.first-holds');
  let lockStayed = null;
  let tookOver = null;
  while (withRotationLock(file, () => {
    tookOver = !fs.existsSync(file + '.first-let-go');
    fs.writeFileSync(file + '.second-holds', '');
    waitFor(file + '.first-let-go');
    lockStayed = fs.existsSync(lock);
    return true;
  }) === 'busy');
  process.stdout.write(JSON.stringify({ tookOver, lockStayed }));
}
`;
  return new Promise((done, fail) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, ROTATION_LOCK_DRIVER: JSON.stringify({ role, file, extra }) }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${role}: ${error.message}\n${stderr}`));
      else done(stdout);
    });
  });
}

test('two runs taking over an abandoned rotation lock at the same moment never both hold it', { timeout: 90_000 }, async () => {
  const dir = freshDir();
  const file = join(dir, 'p.log');
  const gone = String(gonePid());
  const rounds = '1500';
  const results = await Promise.all([runDriver('race', file, [gone, rounds]), runDriver('race', file, [gone, rounds])]);
  const [a, b] = results.map((out) => JSON.parse(out) as { doubles: number; holds: number });
  assert.ok(a !== undefined && b !== undefined);
  // The control: the lock was taken, over and over, by both.
  assert.ok(a.holds > 0 && b.holds > 0, `held ${a.holds} and ${b.holds} times`);
  assert.equal(a.doubles + b.doubles, 0, `the lock was held by both at once ${a.doubles + b.doubles} times in ${a.holds + b.holds} holds`);
});

test('a run whose rotation lock was taken over (it stalled past the lock\'s age) leaves the new holder\'s lock in place when it lets go', { timeout: 60_000 }, async () => {
  const dir = freshDir();
  const file = join(dir, 'p.log');
  const [, second] = await Promise.all([runDriver('stall-first', file), runDriver('stall-second', file)]);
  // The control (tookOver): the second held while the first still did, so the lock was taken over.
  assert.deepEqual(JSON.parse(second), { tookOver: true, lockStayed: true });
  assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), [], 'no lock left behind');
});

test('what a run killed while taking the rotation lock left beside it (.NAME.log.rotating.PID, that pid gone) is removed by the next rotation', () => {
  const dir = freshDir();
  const file = join(dir, 'p.log');
  const leftOver = join(dir, `.p.log.rotating.${gonePid()}`);
  writeFileSync(leftOver, '1\n');
  // The control: another name in the directory, of the same look, stays.
  const other = join(dir, '.q.log.rotating.1');
  writeFileSync(other, '1\n');
  assert.equal(withRotationLock(file, () => true), true);
  assert.ok(!existsSync(leftOver), `${leftOver} is still there`);
  assert.ok(existsSync(other), 'another file\'s is kept');
});

test('a rotation lock that is no file to read (a directory, a link, a pipe at its name) is left over once old, as a file is: not waited for at every rotation for ever, nor opened to wait for a writer', () => {
  const dir = freshDir();
  const file = join(dir, 'p.log');
  const lock = join(dir, '.p.log.rotating');
  const anHourAgo = new Date(Date.now() - 3_600_000);
  // In a child, bounded: a pipe opened to be read waits for a writer, and would hold this process.
  const judged = (): string =>
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { withRotationLock } from ${JSON.stringify(LOCK_MODULE)}; process.stdout.write(String(withRotationLock(${JSON.stringify(file)}, () => true)));`], { encoding: 'utf8', timeout: 30_000 });
  // Taken for gone, each was found again at once: 'busy' after a wait, at every rotation (the pipe: no answer).
  mkdirSync(lock);
  utimesSync(lock, anHourAgo, anHourAgo);
  assert.equal(judged(), 'true', 'a directory an hour old');
  for (const [kind, make] of [
    ['a link to nothing', () => symlinkSync(join(dir, 'nothing'), lock)],
    ['a named pipe', () => execFileSync('mkfifo', [lock])],
  ] as const) {
    rmSync(lock, { recursive: true, force: true });
    make();
    lutimesSync(lock, anHourAgo, anHourAgo);
    assert.equal(judged(), 'true', `${kind} an hour old`);
  }
});
