import assert from 'node:assert/strict';
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { directoryOthersMayWrite } from '../../src/cli/others-may-write.js';

const scratch = mkdtempSync(join(tmpdir(), 'subvisor-others-may-write-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a directory whose group another may be in may not hold the names; above it, a group-writable or sticky directory may (/var/log root:syslog 0775, /tmp)', (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (chown to another gid)');
  const dir = join(scratch, 'group');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  chownSync(dir, 0, 65534);
  chmodSync(dir, 0o775);
  assert.deepEqual(directoryOthersMayWrite(dir), { path: dir, why: 'the group 65534 may write it' });
  assert.equal(directoryOthersMayWrite(join(dir, 'sub')), undefined, 'a group-writable directory above');
  chownSync(dir, 0, 0);
  assert.equal(directoryOthersMayWrite(dir), undefined, "root's group");
  chmodSync(dir, 0o1777);
  assert.deepEqual(directoryOthersMayWrite(dir), { path: dir, why: 'every user may write it' }, 'sticky does not keep another from putting a name first');
  assert.equal(directoryOthersMayWrite(join(dir, 'sub')), undefined, 'a sticky directory above: a name there is replaced by its owner alone');
  chmodSync(dir, 0o777);
  assert.deepEqual(directoryOthersMayWrite(join(dir, 'sub')), { path: dir, why: 'every user may write it' }, 'not sticky above: sub may be replaced');
});

test('a link on the way is followed: the directories where it leads are looked at too', (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (chown to another uid)');
  const theirs = join(scratch, 'theirs');
  mkdirSync(join(theirs, 'logs'), { recursive: true });
  chownSync(theirs, 65534, 65534);
  const link = join(scratch, 'link');
  rmSync(link, { force: true });
  symlinkSync(join(theirs, 'logs'), link);
  assert.deepEqual(directoryOthersMayWrite(link), { path: theirs, why: 'another user (uid 65534) owns it' });
  const config = join(scratch, 'subvisor.yaml');
  writeFileSync(config, 'processes: {}\n');
  chownSync(config, 65534, 65534);
  assert.equal(directoryOthersMayWrite(link, { configFile: config }), undefined, "the config file's owner is trusted");
});

test("a link on the way that another user owns is refused, wherever it leads now: they may point it elsewhere after the look (a .subvisor they put first in a sticky /tmp/project)", (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (lchown to another uid)');
  const project = join(scratch, 'sticky-project');
  mkdirSync(project);
  chmodSync(project, 0o1777);
  const ours = join(scratch, 'ours');
  mkdirSync(ours);
  const link = join(project, '.subvisor');
  symlinkSync(ours, link);
  // The control: a link of this user's own, leading to a directory of its own, is fine.
  assert.equal(directoryOthersMayWrite(link), undefined);
  lchownSync(link, 65534, 65534);
  assert.deepEqual(directoryOthersMayWrite(link), { path: link, why: 'it is a link another user (uid 65534) owns, who may point it elsewhere at any time' });
  assert.deepEqual(directoryOthersMayWrite(join(link, 'sub')), { path: link, why: 'it is a link another user (uid 65534) owns, who may point it elsewhere at any time' }, 'on the way to a directory under it too');
  const dangling = join(project, 'logs');
  symlinkSync(join(scratch, 'not-yet'), dangling);
  lchownSync(dangling, 65534, 65534);
  assert.deepEqual(directoryOthersMayWrite(dangling), { path: dangling, why: 'it is a link another user (uid 65534) owns, who may point it elsewhere at any time' }, 'a link to nothing yet: it may lead somewhere later');
  const config = join(project, 'subvisor.yaml');
  writeFileSync(config, 'processes: {}\n');
  chownSync(config, 65534, 65534);
  assert.equal(directoryOthersMayWrite(link, { configFile: config }), undefined, "the config file's owner is trusted");
});

test("a config read from standard input (-f -) has no owner to trust: a file named '-' another user put in the current directory does not make them trusted", (t) => {
  if (process.getuid?.() !== 0) return t.skip('staged as root only (chown to another uid)');
  const project = join(scratch, 'stdin-project');
  mkdirSync(project);
  chmodSync(project, 0o1777);
  const theirs = join(project, '.subvisor');
  mkdirSync(theirs);
  chownSync(theirs, 65534, 65534);
  // Their file, by the name a config from standard input is given: nothing the run read.
  writeFileSync(join(project, '-'), '');
  chownSync(join(project, '-'), 65534, 65534);
  const before = process.cwd();
  process.chdir(project);
  try {
    assert.deepEqual(directoryOthersMayWrite(theirs, { configFile: '-' }), { path: theirs, why: 'another user (uid 65534) owns it' });
    // The control: a config file of theirs, read by its name, makes them trusted.
    assert.equal(directoryOthersMayWrite(theirs, { configFile: join(project, '-') }), undefined);
  } finally {
    process.chdir(before);
  }
});
