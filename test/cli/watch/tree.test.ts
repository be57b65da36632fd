// watchTree: one watch per directory, new directories picked up, a file watched through its
// directory, nothing left open after close(). Real files in a temporary directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { type FSWatcher, chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ignoreRule } from '../../../src/cli/watch/ignore.js';
import { lostEvents } from '../../../src/cli/watch/lost-events.js';
import { WatchError } from '../../../src/cli/watch/errors.js';
import { watchTree, type Watching } from '../../../src/cli/watch/tree.js';
import { waitUntil } from '../../support/processes.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-tree-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const BOUNDED = { timeout: 10_000 };

function fresh(): string {
  const dir = join(scratch, `d${dirs++}`);
  mkdirSync(dir);
  return dir;
}

/** Watches `root`; returns the changes heard so far and the watch. */
function watching(root: string, ignore: string[] = []): { changes: string[]; watch: Watching } {
  const changes: string[] = [];
  const watch = watchTree(root, ignoreRule(ignore, root), { changed: (path) => changes.push(path), failed: (error) => assert.fail(error) });
  return { changes, watch };
}

/** Watches a link `.env`, in a fresh directory, to `shared/.env` (made, `A=1`) in another. */
function watchingSharedLink(): { link: string; shared: string; changes: string[]; watch: Watching } {
  const shared = join(fresh(), 'shared');
  mkdirSync(shared);
  writeFileSync(join(shared, '.env'), 'A=1');
  const link = join(fresh(), '.env');
  symlinkSync(join(shared, '.env'), link);
  return { link, shared, ...watching(link) };
}

/** The fs watch handles alive in this process, once those closed before have left the list (libuv closes a handle on the next turn of its loop). */
async function openWatches(): Promise<number> {
  await sleep(20);
  return process.getActiveResourcesInfo().filter((name) => name === 'FSEventWrap').length;
}

test('a directory created after the start is watched too, however deep', BOUNDED, async () => {
  const root = fresh();
  const { changes, watch } = watching(root);
  try {
    mkdirSync(join(root, 'a'));
    await waitUntil(() => changes.includes(join(root, 'a')), 'the new directory');
    mkdirSync(join(root, 'a', 'b'));
    await waitUntil(() => changes.includes(join(root, 'a', 'b')), 'the directory in it');
    writeFileSync(join(root, 'a', 'b', 'c.ts'), 'x');
    await waitUntil(() => changes.includes(join(root, 'a', 'b', 'c.ts')), 'a file two levels down');
  } finally {
    watch.close();
  }
});

/**
 * The kernel's inotify queue (`max_queued_events`), which a flood must overflow; undefined, the
 * test skipped, where it is raised so far past the default 16384 that a flood would take too long
 * (under CI=true such a machine fails the test instead).
 */
function queueToFlood(t: TestContext): number | undefined {
  const queued = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
  if (queued <= 65536) return queued;
  assert.notEqual(process.env.CI, 'true', `fs.inotify.max_queued_events is ${queued} on this CI machine: a flood past it takes too long`);
  t.skip(`fs.inotify.max_queued_events is ${queued}: a flood past it takes too long`);
  return undefined;
}

test('directories made or made anew in a flood that overflowed the kernel\'s queue (its events lost) are watched once it is over', BOUNDED, async (t) => {
  const queued = queueToFlood(t);
  if (queued === undefined) return;
  const root = fresh();
  mkdirSync(join(root, 'flood'));
  mkdirSync(join(root, 'again', 'sub'), { recursive: true });
  const { changes, watch } = watching(root);
  try {
    // All in one turn of the loop, so nothing is read meanwhile: a file written is two events
    // (made, written), and past the queue's limit the kernel drops the rest, these directories'
    // making among them.
    const last = Math.ceil(queued / 2);
    for (let i = 0; i <= last; i++) writeFileSync(join(root, 'flood', String(i)), 'x');
    mkdirSync(join(root, 'made', 'sub'), { recursive: true });
    rmSync(join(root, 'again'), { recursive: true });
    mkdirSync(join(root, 'again', 'sub'), { recursive: true });
    await waitUntil(() => changes.includes(join(root, 'made')), 'the directory made in the flood, found once it is over');
    // Control: the queue did overflow (the flood's last file was never told), so it was not heard.
    assert.equal(changes.includes(join(root, 'flood', String(last))), false, 'the flood was lost in part');
    for (const dir of ['made/sub', 'again/sub']) {
      writeFileSync(join(root, dir, 'after.ts'), 'x');
      await waitUntil(() => changes.includes(join(root, dir, 'after.ts')), `a file written in ${dir} after the flood`);
    }
  } finally {
    watch.close();
  }
});

test('a watched file written in a flood of another tree\'s changes that overflowed the queue (its write lost) is told once the flood is over', BOUNDED, async (t) => {
  const queued = queueToFlood(t);
  if (queued === undefined) return;
  const file = join(fresh(), 'app.yml');
  writeFileSync(file, 'v1');
  const flood = fresh();
  const { changes, watch } = watching(file);
  const other = watching(flood);
  try {
    const last = Math.ceil(queued / 2);
    for (let i = 0; i <= last; i++) writeFileSync(join(flood, String(i)), 'x');
    writeFileSync(file, 'v2');
    await waitUntil(() => changes.includes(file), 'the file written in the flood, told once it is over');
    // Control: the queue did overflow (the flood's last file was never told).
    assert.equal(other.changes.includes(join(flood, String(last))), false, 'the flood was lost in part');
  } finally {
    watch.close();
    other.watch.close();
  }
});

test('a write to the target of a link in a watched directory, lost in another tree\'s flood that overflowed the queue, is told once it is over', BOUNDED, async (t) => {
  const queued = queueToFlood(t);
  if (queued === undefined) return;
  const shared = fresh();
  writeFileSync(join(shared, 'config.json'), '{}');
  const root = fresh();
  symlinkSync(join(shared, 'config.json'), join(root, 'config.json'));
  const flood = fresh();
  const { changes, watch } = watching(root);
  const other = watching(flood);
  try {
    const last = Math.ceil(queued / 2);
    for (let i = 0; i <= last; i++) writeFileSync(join(flood, String(i)), 'x');
    writeFileSync(join(shared, 'config.json'), '{"a":1}');
    await waitUntil(() => changes.includes(join(root, 'config.json')), 'the write to the link\'s target in the flood, told once it is over');
    // Control: the queue did overflow (the flood's last file was never told).
    assert.equal(other.changes.includes(join(flood, String(last))), false, 'the flood was lost in part');
    const told = changes.length;
    for (let i = 0; i < 65536; i++) lostEvents.heard(); // another flood, its events all heard
    await sleep(400);
    assert.equal(changes.length, told, 'a write told is not told again at the next look');
  } finally {
    watch.close();
    other.watch.close();
  }
});

test('a link to a file made in a flood that overflowed the queue is followed once it is over, and one removed in it is let go', BOUNDED, async (t) => {
  const queued = queueToFlood(t);
  if (queued === undefined) return;
  const shared = fresh();
  writeFileSync(join(shared, 'config.json'), '{}');
  writeFileSync(join(shared, 'old.json'), '{}');
  const root = fresh();
  mkdirSync(join(root, 'flood'));
  symlinkSync(join(shared, 'old.json'), join(root, 'old.json'));
  const { changes, watch } = watching(root);
  try {
    const last = Math.ceil(queued / 2);
    for (let i = 0; i <= last; i++) writeFileSync(join(root, 'flood', String(i)), 'x');
    symlinkSync(join(shared, 'config.json'), join(root, 'config.json'));
    rmSync(join(root, 'old.json'));
    await sleep(1000); // the flood read, and looked at again once over
    // Control: the queue did overflow (the flood's last file was never told), so the link's making was not heard.
    assert.equal(changes.includes(join(root, 'flood', String(last))), false, 'the flood was lost in part');
    const before = changes.length;
    writeFileSync(join(shared, 'old.json'), '{"a":1}');
    writeFileSync(join(shared, 'config.json'), '{"a":1}');
    await waitUntil(() => changes.slice(before).includes(join(root, 'config.json')), 'a write to the target of the link made in the flood');
    assert.equal(changes.slice(before).includes(join(root, 'old.json')), false, 'the link removed in the flood tells nothing of its old target');
  } finally {
    watch.close();
  }
});

test('a watched link\'s target written, and told, is not told again when another tree\'s flood is caught up with', BOUNDED, async () => {
  const { shared, changes, watch } = watchingSharedLink();
  try {
    writeFileSync(join(shared, '.env'), 'A=2');
    await waitUntil(() => changes.length > 0, 'the write to the target, through the link');
    await sleep(100);
    const heard = changes.length;
    // Another tree's flood, its events all heard: every tree is looked at again once it is over.
    for (let i = 0; i < 65536; i++) lostEvents.heard();
    await sleep(400);
    assert.equal(changes.length, heard, 'nothing changed since the write told: no change to tell');
  } finally {
    watch.close();
  }
});

test('a root directory that is a symbolic link (current -> releases/v1) is looked at again after a flood as it was: nothing told, and still watched', BOUNDED, async () => {
  const base = fresh();
  mkdirSync(join(base, 'releases', 'v1', 'src'), { recursive: true });
  const root = join(base, 'current');
  symlinkSync(join('releases', 'v1'), root);
  const { changes, watch } = watching(root);
  try {
    for (let i = 0; i < 65536; i++) lostEvents.heard(); // another tree's flood, its events all heard
    await sleep(400);
    assert.deepEqual(changes.slice(), [], 'nothing changed: nothing to tell');
    writeFileSync(join(root, 'app.ts'), 'x');
    await waitUntil(() => changes.includes(join(root, 'app.ts')), 'a file written in the root after the look');
    writeFileSync(join(root, 'src', 'deep.ts'), 'x');
    await waitUntil(() => changes.includes(join(root, 'src', 'deep.ts')), 'a file written under it');
  } finally {
    watch.close();
  }
});

test('a root directory removed and made again (rm -rf dist; mkdir dist) is watched again, at once or later', BOUNDED, async () => {
  for (const pauseMs of [0, 300]) {
    const root = join(fresh(), 'dist');
    mkdirSync(join(root, 'sub'), { recursive: true });
    const { changes, watch } = watching(root);
    try {
      rmSync(root, { recursive: true });
      await sleep(pauseMs);
      mkdirSync(join(root, 'sub'), { recursive: true });
      await waitUntil(() => changes.filter((path) => path === root).length >= 1, 'the root going');
      await sleep(100); // its watch made anew
      writeFileSync(join(root, 'new.js'), 'x');
      await waitUntil(() => changes.includes(join(root, 'new.js')), `a file in the new root (pause ${pauseMs} ms)`);
      writeFileSync(join(root, 'sub', 'deep.js'), 'x');
      await waitUntil(() => changes.includes(join(root, 'sub', 'deep.js')), `a file in a directory of the new root (pause ${pauseMs} ms)`);
    } finally {
      watch.close();
    }
  }
  assert.equal(await openWatches(), 0, 'nothing left open');
});

test('a root directory whose parent is removed too (rm -rf lib, root lib/deep) is watched again once made again, level by level', BOUNDED, async () => {
  for (const pauseMs of [0, 300]) {
    const base = fresh();
    const lib = join(base, 'lib');
    const root = join(lib, 'deep');
    mkdirSync(root, { recursive: true });
    const { changes, watch } = watching(root);
    try {
      rmSync(lib, { recursive: true });
      await waitUntil(() => changes.includes(root), 'the root going');
      await sleep(pauseMs);
      mkdirSync(lib);
      await sleep(pauseMs);
      mkdirSync(root);
      await sleep(100); // its watch made anew
      writeFileSync(join(root, 'g.js'), 'x');
      await waitUntil(() => changes.includes(join(root, 'g.js')), `a file in the new root (pause ${pauseMs} ms)`);
    } finally {
      watch.close();
    }
  }
  assert.equal(await openWatches(), 0, 'nothing left open');
});

test('a file whose directory is removed and made again (rm -rf config; mkdir config) is watched again', BOUNDED, async () => {
  for (const pauseMs of [0, 300]) {
    const dir = join(fresh(), 'config');
    mkdirSync(dir);
    const file = join(dir, 'app.json');
    writeFileSync(file, '1');
    const { changes, watch } = watching(file);
    try {
      rmSync(dir, { recursive: true });
      await waitUntil(() => changes.length > 0, 'the file going');
      await sleep(pauseMs);
      mkdirSync(dir);
      writeFileSync(file, '3');
      await sleep(100);
      const heard = changes.length;
      writeFileSync(file, '4');
      await waitUntil(() => changes.length > heard, `a write to the file in the new directory (pause ${pauseMs} ms)`);
      assert.ok(changes.every((path) => path === file), changes.join(', '));
    } finally {
      watch.close();
    }
  }
  assert.equal(await openWatches(), 0, 'nothing left open');
});

test('removed and made again in one go (the new directory may get the old inode back): a root directory and a file\'s directory are watched again', BOUNDED, async () => {
  for (const kind of ['directory', 'file'] as const) {
    const dir = join(fresh(), 'config');
    mkdirSync(dir);
    const file = join(dir, 'app.json');
    writeFileSync(file, '1');
    const { changes, watch } = watching(kind === 'directory' ? dir : file);
    try {
      rmSync(dir, { recursive: true });
      mkdirSync(dir);
      await sleep(150); // the removal heard, the watch made anew
      const heard = changes.length;
      writeFileSync(file, '2');
      await waitUntil(() => changes.length > heard, `a write in the directory made anew (${kind} root)`);
    } finally {
      watch.close();
    }
  }
  assert.equal(await openWatches(), 0, 'nothing left open');
});

test('a file is watched through its directory: a save by rename is seen, its neighbours are not', BOUNDED, async () => {
  const root = fresh();
  const file = join(root, 'package.json');
  writeFileSync(file, '{}');
  const { changes, watch } = watching(file);
  try {
    writeFileSync(join(root, 'other.json'), '{}');
    writeFileSync(join(root, '.package.json.swp'), '{"a":1}');
    await sleep(150);
    assert.deepEqual(changes, [], 'the neighbours are not heard');
    renameSync(join(root, '.package.json.swp'), file);
    await waitUntil(() => changes.length > 0, 'the save');
    writeFileSync(file, '{"b":2}'); // the watch survived the rename
    await waitUntil(() => changes.length > 1, 'a write after the rename');
    assert.ok(changes.every((path) => path === file), changes.join(', '));
  } finally {
    watch.close();
  }
});

test('a file that is a symbolic link is watched through its target too: a write through the link, or to the target, is heard', BOUNDED, async () => {
  const root = fresh();
  const shared = fresh();
  const target = join(shared, '.env');
  writeFileSync(target, 'A=1');
  const link = join(root, '.env');
  symlinkSync(target, link);
  const { changes, watch } = watching(link);
  try {
    writeFileSync(link, 'A=2'); // an editor saving the file it was given writes the target
    await waitUntil(() => changes.length > 0, 'a write through the link');
    writeFileSync(join(shared, 'other'), 'x');
    writeFileSync(join(shared, '.env.tmp'), 'A=3');
    renameSync(join(shared, '.env.tmp'), target); // a save by rename, in the target's directory
    await waitUntil(() => changes.length > 1, 'a save of the target by rename');
    const heard = changes.length;
    await sleep(100);
    writeFileSync(target, 'A=4'); // the target's watch survived the rename
    await waitUntil(() => changes.length > heard, 'a write after the rename');
    assert.ok(changes.every((path) => path === link), changes.join(', '));
  } finally {
    watch.close();
  }
});

test('a link whose target goes away is heard once a target is back: pointed at a file made later, or its directory removed and made again', BOUNDED, async () => {
  for (const how of ['repointed', 'directory made again'] as const) {
    const { link, shared, changes, watch } = watchingSharedLink();
    try {
      let target = join(shared, '.env');
      if (how === 'repointed') {
        target = join(shared, '.env.next');
        symlinkSync(target, `${link}.tmp`);
        renameSync(`${link}.tmp`, link); // a link to nothing, yet
      } else {
        rmSync(shared, { recursive: true });
      }
      await waitUntil(() => changes.length > 0, `the link's target gone (${how})`);
      await sleep(100);
      if (how !== 'repointed') mkdirSync(shared);
      await sleep(100); // the directory's watch is set before the file is made in it
      let heard = changes.length;
      writeFileSync(target, 'A=2');
      await waitUntil(() => changes.length > heard, `the target made again (${how})`);
      await sleep(100);
      heard = changes.length;
      writeFileSync(target, 'A=3');
      await waitUntil(() => changes.length > heard, `a write to the target once it is there (${how})`);
      assert.ok(changes.every((path) => path === link), changes.join(', '));
    } finally {
      watch.close();
    }
  }
});

test('a chain of links is heard at each link: one in the middle pointed elsewhere, then its new target written', BOUNDED, async () => {
  const root = fresh();
  const middle = fresh();
  const first = fresh();
  const second = fresh();
  writeFileSync(join(first, '.env'), 'A=1');
  writeFileSync(join(second, '.env'), 'A=2');
  symlinkSync(join(first, '.env'), join(middle, '.env'));
  const link = join(root, '.env');
  symlinkSync(join(middle, '.env'), link);
  const { changes, watch } = watching(link);
  try {
    writeFileSync(join(first, '.env'), 'A=3'); // the end of the chain
    await waitUntil(() => changes.length > 0, 'a write at the end of the chain');
    let heard = changes.length;
    symlinkSync(join(second, '.env'), join(middle, '.env.new'));
    renameSync(join(middle, '.env.new'), join(middle, '.env')); // the middle link pointed elsewhere
    await waitUntil(() => changes.length > heard, 'the middle link pointed elsewhere');
    await sleep(100);
    heard = changes.length;
    writeFileSync(join(second, '.env'), 'A=4');
    await waitUntil(() => changes.length > heard, 'a write to the new end of the chain');
    heard = changes.length;
    writeFileSync(join(first, '.env'), 'A=5'); // no longer in the chain
    await sleep(200);
    assert.equal(changes.length, heard, 'the old end is no longer heard');
    assert.ok(changes.every((path) => path === link), changes.join(', '));
  } finally {
    watch.close();
  }
});

test('a link to a file in a directory removed and made again at once (rm -rf shared; mkdir shared): later writes are heard too', BOUNDED, async () => {
  const { link, shared, changes, watch } = watchingSharedLink();
  try {
    rmSync(shared, { recursive: true });
    mkdirSync(shared);
    writeFileSync(join(shared, '.env'), 'A=2');
    await waitUntil(() => changes.length > 0, 'the target made again');
    await sleep(300);
    const heard = changes.length;
    writeFileSync(join(shared, '.env'), 'A=3');
    await waitUntil(() => changes.length > heard, 'a later write to the new target');
    assert.ok(changes.every((path) => path === link), changes.join(', '));
  } finally {
    watch.close();
  }
});

test('a link to a file whose directory goes after it, then comes back with it, one step at a time', BOUNDED, async () => {
  const { shared, changes, watch } = watchingSharedLink();
  try {
    rmSync(join(shared, '.env'));
    await waitUntil(() => changes.length > 0, 'the target removed');
    await sleep(200);
    rmSync(shared, { recursive: true });
    await sleep(200);
    mkdirSync(shared);
    await sleep(200);
    const heard = changes.length;
    writeFileSync(join(shared, '.env'), 'A=2');
    await waitUntil(() => changes.length > heard, 'the target made again');
  } finally {
    watch.close();
  }
});

test('a directory link on the way (current -> v1) pointed elsewhere is heard, then the new target written, not the old one', BOUNDED, async () => {
  const base = fresh();
  const root = fresh();
  for (const release of ['v1', 'v2']) {
    mkdirSync(join(base, release));
    writeFileSync(join(base, release, '.env'), 'A=1');
  }
  symlinkSync(join(base, 'v1'), join(base, 'current'));
  const link = join(root, '.env');
  symlinkSync(join(base, 'current', '.env'), link);
  const { changes, watch } = watching(link);
  try {
    symlinkSync(join(base, 'v2'), join(base, 'current.new'));
    renameSync(join(base, 'current.new'), join(base, 'current')); // ln -sfn v2 current, at once
    await waitUntil(() => changes.length > 0, 'the directory link pointed elsewhere');
    await sleep(200);
    let heard = changes.length;
    writeFileSync(join(base, 'v2', '.env'), 'A=2');
    await waitUntil(() => changes.length > heard, 'a write to the new target');
    heard = changes.length;
    writeFileSync(join(base, 'v1', '.env'), 'A=3');
    await sleep(200);
    assert.equal(changes.length, heard, 'the old release is no longer heard');
  } finally {
    watch.close();
  }
});

test('a relative link through a linked directory (shared/../x, shared -> elsewhere/s) is read where the kernel reads it', BOUNDED, async () => {
  const base = fresh();
  const elsewhere = fresh();
  mkdirSync(join(elsewhere, 's'));
  writeFileSync(join(elsewhere, 'x'), 'A=1');
  symlinkSync(join(elsewhere, 's'), join(base, 'shared'));
  const link = join(base, '.env');
  symlinkSync('shared/../x', link);
  const { changes, watch } = watching(link);
  try {
    writeFileSync(join(elsewhere, 'x'), 'A=2');
    await waitUntil(() => changes.length > 0, 'a write to the end the kernel reads');
  } finally {
    watch.close();
  }
});

test('a link whose target\'s directory cannot be watched is said once, not at every change', BOUNDED, async () => {
  const root = fresh();
  const locked = fresh();
  const end = fresh();
  writeFileSync(join(end, 'target'), 'A=1');
  symlinkSync(join(end, 'target'), join(locked, 'middle'));
  const link = join(root, '.env');
  symlinkSync(join(locked, 'middle'), link);
  const failures: WatchError[] = [];
  // A directory fs.watch refuses: inotify's limit reached, or one not ours to read.
  const unwatchable = (path: string): void => {
    if (path === locked) throw Object.assign(new Error(`ENOSPC: System limit for number of file watchers reached, watch '${path}'`), { code: 'ENOSPC' });
  };
  const original = fs.watch;
  fs.watch = ((path: string, ...rest: unknown[]) => (unwatchable(path), (original as (...args: unknown[]) => FSWatcher)(path, ...rest))) as typeof fs.watch;
  let watch: Watching | undefined;
  try {
    const changes: string[] = [];
    watch = watchTree(link, ignoreRule([], link), { changed: (path) => changes.push(path), failed: (error) => failures.push(error) });
    assert.equal(failures.length, 1);
    for (let i = 0; i < 4; i++) {
      const heard = changes.length;
      writeFileSync(join(end, 'target'), `A=${i}`);
      await waitUntil(() => changes.length > heard, `write ${i}`);
    }
    assert.equal(failures.length, 1, failures.map((error) => error.message).join('\n'));
  } finally {
    fs.watch = original;
    watch?.close();
  }
});

test('a directory on the way to a link\'s end touched or chmodded is no change; the end written is one', BOUNDED, async () => {
  const { shared, changes, watch } = watchingSharedLink();
  try {
    utimesSync(shared, new Date(), new Date());
    chmodSync(shared, 0o750);
    await sleep(300);
    assert.deepEqual(changes, [], 'a directory\'s own times and mode are not the file');
    writeFileSync(join(shared, '.env'), 'A=2');
    await waitUntil(() => changes.length > 0, 'a write to the end');
  } finally {
    watch.close();
  }
});

test('a link\'s end that comes back between the look and the new watch (cp -r made the directory, then the file) is told', BOUNDED, async () => {
  const { shared, changes, watch } = watchingSharedLink();
  const original = fs.watch;
  try {
    rmSync(shared, { recursive: true });
    await waitUntil(() => changes.length > 0, 'the directory gone');
    const heard = changes.length;
    // The file is made just before the directory's new watch begins: that watch cannot hear it.
    fs.watch = ((path: string, ...rest: unknown[]) => {
      if (path === shared) writeFileSync(join(shared, '.env'), 'A=2');
      return (original as (...args: unknown[]) => FSWatcher)(path, ...rest);
    }) as typeof fs.watch;
    mkdirSync(shared);
    await waitUntil(() => changes.length > heard, 'the end back');
  } finally {
    fs.watch = original;
    watch.close();
  }
});

test('a root directory under a linked directory (proj -> real), removed and made again, is watched again', BOUNDED, async () => {
  const base = fresh();
  mkdirSync(join(base, 'real', 'dist'), { recursive: true });
  symlinkSync(join(base, 'real'), join(base, 'proj'));
  const root = join(base, 'proj', 'dist');
  const { changes, watch } = watching(root);
  try {
    rmSync(join(base, 'real', 'dist'), { recursive: true });
    await waitUntil(() => changes.length > 0, 'the root gone');
    await sleep(100);
    mkdirSync(join(base, 'real', 'dist'));
    await waitUntil(() => changes.length > 1, 'the root back');
    await sleep(100);
    const heard = changes.length;
    writeFileSync(join(root, 'out.js'), 'x');
    await waitUntil(() => changes.length > heard, 'a write in the root made again');
  } finally {
    watch.close();
  }
});

test('a plain file under a directory link (current/config, current -> v1): the link pointed elsewhere is heard, then the new file written', BOUNDED, async () => {
  const base = fresh();
  for (const release of ['v1', 'v2']) {
    mkdirSync(join(base, release));
    writeFileSync(join(base, release, 'config'), 'A=1');
  }
  symlinkSync(join(base, 'v1'), join(base, 'current'));
  const file = join(base, 'current', 'config');
  const { changes, watch } = watching(file);
  try {
    symlinkSync(join(base, 'v2'), join(base, 'current.new'));
    renameSync(join(base, 'current.new'), join(base, 'current')); // ln -sfn v2 current, at once
    await waitUntil(() => changes.length > 0, 'the directory link pointed elsewhere');
    await sleep(200);
    const heard = changes.length;
    writeFileSync(join(base, 'v2', 'config'), 'A=2');
    await waitUntil(() => changes.length > heard, 'a write to the file the path now names');
    assert.ok(changes.every((path) => path === file), changes.join(', '));
  } finally {
    watch.close();
  }
});

for (const [what, rootOf] of [
  ['a root directory that is a link (current -> v1)', (base: string) => join(base, 'current')],
  ['a root directory under a directory link (current/src, current -> v1)', (base: string) => join(base, 'current', 'src')],
] as const) {
  test(`${what}: the link pointed elsewhere is heard, then writes in the new directory, not in the old`, BOUNDED, async () => {
    const base = fresh();
    for (const release of ['v1', 'v2', 'v3']) mkdirSync(join(base, release, 'src'), { recursive: true });
    symlinkSync(join(base, 'v1'), join(base, 'current'));
    const root = rootOf(base);
    const inRelease = (release: string, name: string): string => join(base, release, root.endsWith('src') ? 'src' : '', name);
    const { changes, watch } = watching(root);
    try {
      /** Points `current` at `release` at once, as `ln -sfn` does it, and waits to hear it. */
      const switchTo = async (release: string): Promise<void> => {
        const heard = changes.length;
        symlinkSync(join(base, release), join(base, 'current.new'));
        renameSync(join(base, 'current.new'), join(base, 'current'));
        await waitUntil(() => changes.length > heard, `the link pointed at ${release}`);
        await sleep(200);
      };
      await switchTo('v2');
      let heard = changes.length;
      writeFileSync(inRelease('v2', 'app.js'), 'x');
      await waitUntil(() => changes.length > heard, 'a write in the directory the path now names');
      assert.ok(changes.slice(heard).includes(join(root, 'app.js')), changes.join(', '));
      // The old release is no longer what the path names: a write there is nothing.
      await sleep(200);
      heard = changes.length;
      writeFileSync(inRelease('v1', 'old.js'), 'x');
      await sleep(500);
      assert.deepEqual(changes.slice(heard), [], 'a write in the release the path left');
      // And again: each switch is followed, a directory made under the new one watched too.
      await switchTo('v3');
      mkdirSync(inRelease('v3', 'lib'));
      await waitUntil(() => changes.includes(join(root, 'lib')), 'a directory made in the third release');
      heard = changes.length;
      writeFileSync(join(inRelease('v3', 'lib'), 'deep.js'), 'x');
      await waitUntil(() => changes.slice(heard).includes(join(root, 'lib', 'deep.js')), 'a write one level down in it');
    } finally {
      watch.close();
    }
    assert.equal(await openWatches(), 0);
  });
}

test('a root directory link switched to another file system whose directory has the same inode number (/dev/pts -> /dev/shm, both 1) is followed', BOUNDED, async () => {
  // Every tmpfs, devpts or proc root is inode 1: only the device tells them apart.
  assert.equal(fs.statSync('/dev/pts').ino, fs.statSync('/dev/shm').ino, 'the machine this test is meant for');
  const base = fresh();
  symlinkSync('/dev/pts', join(base, 'current'));
  const root = join(base, 'current');
  const { changes, watch } = watching(root);
  const written = join('/dev/shm', `subvisor-tree-${process.pid}`);
  try {
    symlinkSync('/dev/shm', join(base, 'current.new'));
    renameSync(join(base, 'current.new'), root);
    await waitUntil(() => changes.includes(root), 'the link pointed at /dev/shm');
    await sleep(200);
    writeFileSync(written, 'x');
    await waitUntil(() => changes.includes(join(root, `subvisor-tree-${process.pid}`)), 'a write in /dev/shm, through the link');
  } finally {
    watch.close();
    rmSync(written, { force: true });
  }
});

test('left-out directories are never entered, and what is under them is not heard', BOUNDED, async () => {
  const root = fresh();
  mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'src'));
  const before = await openWatches();
  const { changes, watch } = watching(root, ['dist']);
  try {
    assert.equal((await openWatches()) - before, 2, 'the root and src only');
    writeFileSync(join(root, 'node_modules', 'pkg', 'index.js'), '');
    writeFileSync(join(root, 'dist', 'out.js'), '');
    writeFileSync(join(root, 'src', 'app.ts'), '');
    await waitUntil(() => changes.includes(join(root, 'src', 'app.ts')), 'the change in src');
    await sleep(100);
    assert.deepEqual(changes, [join(root, 'src', 'app.ts')]);
  } finally {
    watch.close();
  }
});

test('a symbolic link to a file inside a watched directory is followed: its target written (through the link or not) is heard as the link, there at the start or made later, and pointed elsewhere', BOUNDED, async () => {
  const root = fresh();
  const shared = fresh();
  const other = fresh();
  for (const dir of [shared, other]) {
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'neighbour.txt'), '');
  }
  const link = join(root, 'config.json');
  symlinkSync(join(shared, 'config.json'), link);
  const { changes, watch } = watching(root);
  try {
    writeFileSync(join(shared, 'neighbour.txt'), 'x');
    writeFileSync(join(shared, 'config.json'), '{"a":1}');
    await waitUntil(() => changes.includes(link), 'its target written');
    await sleep(100);
    assert.deepEqual(changes.filter((path) => path !== link), [], 'the target\'s neighbour is no change');
    changes.length = 0;
    writeFileSync(link, '{"a":2}');
    await waitUntil(() => changes.includes(link), 'a write through the link');
    // Pointed elsewhere (made anew by rename, as `ln -sfn` does): heard, then the new target, not the old.
    symlinkSync(join(other, 'config.json'), join(root, 'next'));
    renameSync(join(root, 'next'), link);
    await sleep(100);
    changes.length = 0;
    writeFileSync(join(shared, 'config.json'), '{"old":1}');
    writeFileSync(join(other, 'config.json'), '{"b":1}');
    await waitUntil(() => changes.includes(link), 'the new target written');
    // A link made after the start is followed too.
    const later = join(root, 'later.json');
    symlinkSync(join(shared, 'neighbour.txt'), later);
    await sleep(100);
    writeFileSync(join(shared, 'neighbour.txt'), 'y');
    await waitUntil(() => changes.includes(later), 'the target of a link made later');
  } finally {
    watch.close();
  }
});

test('a symbolic link in a watched directory to one of the run\'s own files (its log file) is not followed there: the run\'s own writes restart nothing', BOUNDED, async () => {
  const root = fresh();
  const logs = join(root, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'web.log'), '');
  symlinkSync(join('logs', 'web.log'), join(root, 'latest.log'));
  const changes: string[] = [];
  const watch = watchTree(root, ignoreRule([], root, [logs]), { changed: (path) => changes.push(path), failed: (error) => assert.fail(error) });
  try {
    await sleep(50);
    for (let line = 0; line < 3; line++) {
      fs.appendFileSync(join(logs, 'web.log'), `line ${line}\n`);
      await sleep(50);
    }
    await sleep(100);
    assert.deepEqual(changes.slice(), [], 'a line logged is no change: followed, every line would restart the process, and its start log another');
    // Control: a link to a file of the project is still followed.
    writeFileSync(join(root, 'app.json'), '{}');
    symlinkSync('app.json', join(root, 'current.json'));
    await waitUntil(() => changes.includes(join(root, 'current.json')), 'the link made');
    changes.length = 0;
    fs.appendFileSync(join(root, 'app.json'), ' ');
    await waitUntil(() => changes.includes(join(root, 'current.json')), 'its target written, told as the link');
  } finally {
    watch.close();
  }
});

test('a symbolic link to a directory inside a watched directory is not entered (a link to a parent would loop)', BOUNDED, async () => {
  const root = fresh();
  const elsewhere = fresh();
  mkdirSync(join(root, 'src'));
  symlinkSync(elsewhere, join(root, 'linked'));
  symlinkSync(root, join(root, 'src', 'loop'));
  const before = await openWatches();
  const { changes, watch } = watching(root);
  try {
    assert.equal((await openWatches()) - before, 2, 'the root and src only');
    writeFileSync(join(elsewhere, 'far.txt'), '');
    writeFileSync(join(root, 'src', 'app.ts'), '');
    await waitUntil(() => changes.includes(join(root, 'src', 'app.ts')), 'the change in src');
    await sleep(100);
    assert.deepEqual(changes, [join(root, 'src', 'app.ts')]);
  } finally {
    watch.close();
  }
});

test('close() ends every watch: nothing is left to keep the process alive, and nothing more is heard', BOUNDED, async () => {
  const root = fresh();
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  const before = await openWatches();
  const { changes, watch } = watching(root);
  assert.equal((await openWatches()) - before, 3);
  watch.close();
  assert.equal(await openWatches(), before);
  writeFileSync(join(root, 'a', 'x'), '');
  await sleep(100);
  assert.deepEqual(changes, []);
});

test('an EMFILE of a watch with one file descriptor still free is told as the inotify instances, and with none as ulimit -n', BOUNDED, () => {
  // In a child with a low limit, filled up to `free` descriptors short of it (inotify_init needs one).
  const script = `
    import fs from 'node:fs';
    const { WatchError } = await import(${JSON.stringify(new URL('../../../src/cli/watch/errors.ts', import.meta.url).href)});
    const emfile = Object.assign(new Error('too many open files'), { code: 'EMFILE' });
    const opened = [];
    try { for (;;) opened.push(fs.openSync('/dev/null', 'r')); } catch {}
    for (let i = 0; i < Number(process.argv[1]); i++) fs.closeSync(opened.pop());
    const message = new WatchError('/src', emfile).message;
    for (const fd of opened) fs.closeSync(fd);
    console.log(message);`;
  const told = (free: number): string =>
    spawnSync('sh', ['-c', 'ulimit -n 64 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, script, String(free)], { encoding: 'utf8' }).stdout;
  assert.match(told(1), /limit of inotify instances is reached/, 'one free: inotify_init would have had it, so the instances ran out');
  assert.match(told(2), /limit of inotify instances is reached/);
  assert.match(told(0), /too many open files; raise the limit \(ulimit -n\)/, 'none free: the fds ran out');
});

test('a root that does not exist yet, its parent neither, is watched for: made, it is told, and watched as the directory it is', { timeout: 10_000 }, async () => {
  const missing = join(fresh(), 'build', 'dist');
  const { changes, watch } = watching(missing);
  try {
    mkdirSync(join(missing, '..'));
    writeFileSync(join(missing, '..', 'other.js'), 'beside it');
    mkdirSync(missing);
    await waitUntil(() => changes.includes(missing), 'the root, once made');
    writeFileSync(join(missing, 'server.js'), 'v1');
    await waitUntil(() => changes.includes(join(missing, 'server.js')), 'a file written in it');
    assert.ok(!changes.includes(join(missing, '..', 'other.js')), `what is beside it is not its change: ${changes.join(', ')}`);
  } finally {
    watch.close();
  }
});

test('a file root that does not exist yet is watched for, and then as a file: its making is told, a write to it too', { timeout: 10_000 }, async () => {
  const file = join(fresh(), 'server.js');
  const { changes, watch } = watching(file);
  try {
    writeFileSync(file, 'v1');
    await waitUntil(() => changes.includes(file), 'the file, once made');
    changes.length = 0;
    writeFileSync(file, 'v2');
    await waitUntil(() => changes.includes(file), 'a write to it');
  } finally {
    watch.close();
  }
});
