// watchStack: what a watch that fails while the run goes on tells the run's output. Real
// directories; fs.watch refuses one of them, as inotify's limit of watches would.
import assert from 'node:assert/strict';
import fs, { type FSWatcher, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatusEvent } from '../../../src/cli/output.js';
import { watchStack, type Restartable } from '../../../src/cli/watch/watch.js';
import { waitUntil } from '../../support/processes.js';
import { spec } from '../stack/support.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-watch-stack-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const idle: Restartable = { ending: false, restartForChange: () => Promise.resolve([]), keptStopped: () => false, waitingToStart: () => false, changeHeard: () => undefined, lastSpawns: () => [] };

test("a directory that cannot be watched at run time is a failed record with the watch's reason and code, as every failed record has them", { timeout: 10_000 }, async () => {
  const root = join(scratch, 'src');
  mkdirSync(root);
  const refused = join(root, 'new');
  const original = fs.watch;
  fs.watch = ((path: string, ...rest: unknown[]) => {
    if (path === refused) throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${path}'`), { code: 'ENOSPC' });
    return (original as (...args: unknown[]) => FSWatcher)(path, ...rest);
  }) as typeof fs.watch;
  const events: StatusEvent[] = [];
  const watching = watchStack(idle, [spec('build', 'true', { watch: { paths: [root], ignore: [], debounceMs: 60_000 } })], { status: (event) => void events.push(event) });
  try {
    mkdirSync(refused);
    await waitUntil(() => events.some((event) => event.event === 'failed'), 'the refused watch to be said');
    const failed = events.find((event) => event.event === 'failed');
    assert.match(failed?.text ?? '', /^cannot watch .*new: the system limit of watched directories is reached; .*; changes under it go unnoticed$/);
    assert.deepEqual(failed?.fields, { reason: 'watch', code: 'ERR_SUBVISOR_WATCH' });
  } finally {
    fs.watch = original;
    watching.close();
  }
});

test('a restart after a change that fails is a failed record with a reason too, and the code of its error', { timeout: 10_000 }, async () => {
  const root = join(scratch, 'app');
  mkdirSync(root);
  const failing: Restartable = { ...idle, restartForChange: () => Promise.reject(Object.assign(new Error('no room'), { code: 'ENOSPC' })) };
  const events: StatusEvent[] = [];
  const watching = watchStack(failing, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 20 } })], { status: (event) => void events.push(event) });
  try {
    writeFileSync(join(root, 'app.js'), '1');
    await waitUntil(() => events.some((event) => event.event === 'failed'), 'the failed restart to be said');
    const failed = events.find((event) => event.event === 'failed');
    assert.deepEqual({ name: failed?.name, text: failed?.text, fields: failed?.fields }, { name: 'subvisor', text: 'a restart after a change failed: no room', fields: { reason: 'error', code: 'ENOSPC' } });
  } finally {
    watching.close();
  }
});

test('a burst that does not pause in 10 s is one restart-waits record, with the path that keeps changing, and no restart while it goes on', { timeout: 30_000 }, async () => {
  // Its own event: `waiting` says a process has not started yet, and this one runs.
  const root = join(scratch, 'busy');
  mkdirSync(root);
  let restarts = 0;
  const counting: Restartable = { ...idle, restartForChange: () => ((restarts += 1), Promise.resolve([])) };
  const events: StatusEvent[] = [];
  const watching = watchStack(counting, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 1000 } })], { status: (event) => void events.push(event) });
  const writer = setInterval(() => writeFileSync(join(root, 'app.log'), String(Date.now())), 50);
  try {
    await waitUntil(() => events.some((event) => event.event === 'restart-waits'), 'the long burst to be said', 20_000);
    const said = events.filter((event) => event.event === 'restart-waits');
    assert.equal(said.length, 1);
    assert.equal(said[0]?.name, 'web');
    // What the line says, as fields a tool reads: the pause it waits for and how long it has waited.
    assert.deepEqual(said[0].fields, { reason: 'change', path: relative(process.cwd(), join(root, 'app.log')), more: 0, debounceMs: 1000, burstMs: 10_000 });
    assert.match(said[0].text, /^restart waits: .*app\.log changing, with no pause of 1\.0 s in 10\.0 s \(if the process writes there itself, leave that out with `ignore`\)$/);
    assert.equal(restarts, 0, 'no restart while the changes go on');
  } finally {
    clearInterval(writer);
    watching.close();
  }
});

test("a restart that looks like the process's own writes carries the count in a field, as its line says it; the restarts before it carry none", { timeout: 10_000 }, async () => {
  // The process's start writes into its watched tree: here the restart itself writes, at once.
  const root = join(scratch, 'loop');
  mkdirSync(root);
  let restarts = 0;
  // Its first start (up's) is now, as its first write is: the restarts that follow are each a start too.
  let spawnedAt = performance.now();
  const writing: Restartable = {
    ...idle,
    lastSpawns: () => [spawnedAt],
    restartForChange: () => ((restarts += 1), (spawnedAt = performance.now()), restarts < 4 && writeFileSync(join(root, 'build.out'), String(restarts)), Promise.resolve([])),
  };
  const events: StatusEvent[] = [];
  const watching = watchStack(writing, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 20 } })], { status: (event) => void events.push(event) });
  try {
    writeFileSync(join(root, 'build.out'), '0');
    await waitUntil(() => restarts >= 4, 'four restarts, each for the write of the one before');
    const said = events.filter((event) => event.event === 'restarting');
    const path = relative(process.cwd(), join(root, 'build.out'));
    assert.deepEqual(
      said.map((event) => event.fields),
      [{ reason: 'change', path, more: 0 }, { reason: 'change', path, more: 0 }, { reason: 'change', path, more: 0, soonAfterStart: 3 }, { reason: 'change', path, more: 0, soonAfterStart: 4 }],
    );
    assert.match(said[2]?.text ?? '', /, each time soon after its start, 3 times in a row /);
  } finally {
    watching.close();
  }
});

test("saves of one file, each soon after the restart before (an editor's autosave), are no own writes: the first of them came long after the process's start", { timeout: 20_000 }, async () => {
  const root = join(scratch, 'autosave');
  mkdirSync(root);
  let restarts = 0;
  // Started a minute ago, and edited since: each restart is a start again, the save before it heard after it.
  let spawnedAt = performance.now() - 60_000;
  const counting: Restartable = { ...idle, lastSpawns: () => [spawnedAt], restartForChange: () => ((restarts += 1), (spawnedAt = performance.now()), Promise.resolve([])) };
  const events: StatusEvent[] = [];
  const watching = watchStack(counting, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 20 } })], { status: (event) => void events.push(event) });
  try {
    for (let save = 1; save <= 5; save++) {
      writeFileSync(join(root, 'app.ts'), String(save));
      await waitUntil(() => restarts === save, `the restart for save ${save}`);
      await sleep(100);
    }
    const said = events.filter((event) => event.event === 'restarting');
    const path = relative(process.cwd(), join(root, 'app.ts'));
    assert.deepEqual(
      said.map((event) => event.fields),
      Array.from({ length: 5 }, () => ({ reason: 'change', path, more: 0 })),
    );
  } finally {
    watching.close();
  }
});

test('a file made and removed within a burst (a tool\'s temporary file) is no change: alone it restarts nothing; beside a save it is not counted', { timeout: 10_000 }, async () => {
  const root = join(scratch, 'temporary');
  mkdirSync(root);
  writeFileSync(join(root, 'app.ts'), 'v1');
  let restarts = 0;
  const counting: Restartable = { ...idle, restartForChange: () => ((restarts += 1), Promise.resolve([])) };
  const events: StatusEvent[] = [];
  const watching = watchStack(counting, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 50 } })], { status: (event) => void events.push(event) });
  try {
    writeFileSync(join(root, 'sedAbc123'), 'v2');
    unlinkSync(join(root, 'sedAbc123'));
    await sleep(500);
    assert.equal(restarts, 0, `nothing changed: ${JSON.stringify(events)}`);
    // The control: the same, with a save beside it, restarts once, for the save alone.
    writeFileSync(join(root, 'sedXyz789'), 'v2');
    renameSync(join(root, 'sedXyz789'), join(root, 'app.ts'));
    await waitUntil(() => restarts === 1, 'the restart for the save');
    const said = events.filter((event) => event.event === 'restarting');
    assert.deepEqual(said.map((event) => event.fields), [{ reason: 'change', path: relative(process.cwd(), join(root, 'app.ts')), more: 0 }]);
  } finally {
    watching.close();
  }
});

/**
 * fs.watch refusing `refused` with Node's own words for `code` (the path in them): EACCES for a
 * watched directory of another user's that this one may not read, ENOSPC at the system's limit.
 */
function refusingWatch(refused: string, code: 'EACCES' | 'ENOSPC'): () => void {
  const original = fs.watch;
  const words = code === 'EACCES' ? 'permission denied' : 'System limit for number of file watchers reached';
  fs.watch = ((path: string, ...rest: unknown[]) => {
    if (path === refused) throw Object.assign(new Error(`${code}: ${words}, watch '${path}'`), { code, syscall: 'watch', path });
    return (original as (...args: unknown[]) => FSWatcher)(path, ...rest);
  }) as typeof fs.watch;
  return () => (fs.watch = original);
}

test('a cwd a variable made (cwd: ${TOKEN}, a .env secret) is named as written when its watch cannot be made: before the start, and for a directory that appears later', { timeout: 10_000 }, async () => {
  const cwd = join(scratch, 's3cr3t');
  const root = join(cwd, 'src');
  mkdirSync(root, { recursive: true });
  const secretCwd = { cwd, cwdParts: [`${scratch}/`, { name: 'TOKEN', value: 's3cr3t' }] };
  // Before the start: the watched path itself is refused, which is the config's problem.
  let restore = refusingWatch(root, 'EACCES');
  let refusal: unknown;
  try {
    watchStack(idle, [spec('web', 'true', { ...secretCwd, watch: { paths: [root], ignore: [], debounceMs: 60_000 } })], { status: () => undefined }).close();
  } catch (error) {
    refusal = error;
  } finally {
    restore();
  }
  assert.ok(refusal instanceof Error, 'the watch was refused');
  assert.match(refusal.message, /processes\.web\.watch: cannot watch \S*\$\{TOKEN\}\/src: EACCES: permission denied, watch '\S*\$\{TOKEN\}\/src'$/);
  assert.doesNotMatch(refusal.message, /s3cr3t/);
  // At run time: a directory made under it that cannot be watched (one we may not read is left out, unsaid).
  const later = join(root, 'new');
  restore = refusingWatch(later, 'ENOSPC');
  const events: StatusEvent[] = [];
  const watching = watchStack(idle, [spec('web', 'true', { ...secretCwd, watch: { paths: [root], ignore: [], debounceMs: 60_000 } })], { status: (event) => void events.push(event) });
  try {
    mkdirSync(later);
    await waitUntil(() => events.some((event) => event.event === 'failed'), 'the refused watch to be said');
    const failed = events.find((event) => event.event === 'failed');
    assert.match(failed?.text ?? '', /^cannot watch \S*\$\{TOKEN\}\/src\/new: the system limit of watched directories is reached; .*; changes under it go unnoticed$/);
    assert.doesNotMatch(failed?.text ?? '', /s3cr3t/);
  } finally {
    restore();
    watching.close();
  }
});

test('a directory that came and went within a burst is no change, nor its files it was found with: a file removed from it before it went is not counted', { timeout: 10_000 }, async () => {
  const root = join(scratch, 'came-and-went');
  const outside = join(scratch, 'came-and-went-stage');
  mkdirSync(root);
  mkdirSync(join(outside, 'tmp'), { recursive: true });
  writeFileSync(join(root, 'app.ts'), 'v1');
  writeFileSync(join(outside, 'tmp', 'x.ts'), 'made outside');
  let restarts = 0;
  const counting: Restartable = { ...idle, restartForChange: () => ((restarts += 1), Promise.resolve([])) };
  const events: StatusEvent[] = [];
  // A debounce far past the steps below, so they are one burst on a loaded machine too.
  const watching = watchStack(counting, [spec('web', 'true', { watch: { paths: [root], ignore: [], debounceMs: 1500 } })], { status: (event) => void events.push(event) });
  try {
    // Moved in whole: its watch finds x.ts already there, and hears it only as it goes. The
    // pauses let each step be heard while the directory is still there, as the bug needed.
    renameSync(join(outside, 'tmp'), join(root, 'tmp'));
    await sleep(200);
    unlinkSync(join(root, 'tmp', 'x.ts'));
    await sleep(200);
    rmSync(join(root, 'tmp'), { recursive: true });
    // The control: a save in the same burst restarts once, for the save alone.
    writeFileSync(join(root, 'app.ts'), 'v2');
    await waitUntil(() => restarts === 1, 'the restart for the save');
    const said = events.filter((event) => event.event === 'restarting');
    assert.deepEqual(said.map((event) => event.fields), [{ reason: 'change', path: relative(process.cwd(), join(root, 'app.ts')), more: 0 }]);
  } finally {
    watching.close();
  }
});
