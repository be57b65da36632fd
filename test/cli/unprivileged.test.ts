// subvisor run by an ordinary user, as it is outside CI. Staged as root: the CLI runs as uid 65534
// (setpriv), in a directory of its own that user owns. Such a subvisor may name in `user:` only
// itself, and a config that names anyone else is refused before anything starts. So is a `user:`
// that a root confined to a user namespace (unshare -r) cannot take.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './cli.js';

const UID = 65534;
/** A group that is not the passwd entry's of uid 65534 (65534), as under `sg` or a service's `Group=`. */
const OTHER_GID = 4242;
const BOUNDED = { timeout: 30_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-unprivileged-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory uid 65534 owns, holding `config` as subvisor.yaml. */
function configDirOfUser(config: string): string {
  const dir = mkdtempSync(join(scratch, 'config-'));
  writeFileSync(join(dir, 'subvisor.yaml'), config);
  chownSync(scratch, UID, OTHER_GID);
  chownSync(dir, UID, OTHER_GID);
  return dir;
}

function asUser(gid: number): string[] {
  return ['setpriv', `--reuid=${UID}`, `--regid=${gid}`, '--clear-groups'];
}

describe('subvisor as an ordinary user (uid 65534)', () => {
  test('user: naming itself runs the process as subvisor runs, also with a group other than its passwd entry\'s', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('staged as root only (setpriv to another uid and gid)');
    const dir = configDirOfUser(`processes:\n  who:\n    cmd: echo "$(id -u) $(id -g)"\n    user: ${UID}\n    task: true\n`);
    // Control: with the passwd entry's own group, as before.
    const own = await runCli(['up'], { cwd: dir, execVia: asUser(UID) });
    assert.equal(own.code, 0, own.stdout + own.stderr);
    assert.match(own.stdout, new RegExp(`^who \\| ${UID} ${UID}$`, 'm'));
    const other = await runCli(['up'], { cwd: dir, execVia: asUser(OTHER_GID) });
    assert.equal(other.code, 0, other.stdout + other.stderr);
    assert.match(other.stdout, new RegExp(`^who \\| ${UID} ${OTHER_GID}$`, 'm'));
  });

  test('user: naming another user is refused with what to do, before anything starts (status 2)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('staged as root only (setpriv to another uid and gid)');
    const dir = configDirOfUser('processes:\n  first:\n    cmd: echo started\n  admin:\n    cmd: "true"\n    user: 0\n');
    const run = await runCli(['up'], { cwd: dir, execVia: asUser(UID) });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stdout, '', 'nothing started');
    assert.match(run.stderr, new RegExp(`processes\\.admin\\.user: root needs subvisor to run as root \\(it runs as uid ${UID}, and only root can start a process as another user\\); run subvisor as root, or remove \`user\` to run the process as yourself`));
  });

  test('in a directory it may not enter (sudo -u keeps root\'s), it is told so, not that there is no config file here', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('staged as root only (setpriv to another uid and gid)');
    const dir = mkdtempSync(join(scratch, 'root-only-'));
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: "true"\n');
    chmodSync(dir, 0o700);
    // Control: root, who may enter it, finds the config there (and no run of it).
    const root = await runCli(['ps'], { cwd: dir });
    assert.match(root.stderr, /^subvisor: no run is listening on /, root.stderr);
    const run = await runCli(['ps'], { cwd: dir, execVia: asUser(UID) });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`^subvisor: cannot look for a config file here: this directory may not be searched by this user \\(uid ${UID}\\); run subvisor from a directory it may enter, or pass the config with --file FILE$`, 'm'),
    );
  });
});

describe('subvisor as root of a user namespace that maps only root (unshare -r, as a rootless sandbox may)', () => {
  test('user: naming an id it does not map is refused with what to do, before anything starts (status 2)', BOUNDED, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'subvisor-userns-'));
    try {
      writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  first:\n    cmd: echo started\n  other:\n    cmd: "true"\n    user: ${UID}\n`);
      const run = await runCli(['up'], { cwd: dir, execVia: ['unshare', '-r'] });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stdout, '', 'nothing started');
      assert.match(run.stderr, new RegExp(`processes\\.other\\.user: \\S+ cannot be taken here: uid ${UID} and gid ${UID} are not mapped in this user namespace .*; map them, run subvisor outside this namespace, or remove \`user\``));
      // Control: root, which it maps, is taken.
      writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  first:\n    cmd: echo started\n    user: 0\n');
      const root = await runCli(['up'], { cwd: dir, execVia: ['unshare', '-r'] });
      assert.equal(root.code, 0, root.stdout + root.stderr);
      assert.match(root.stdout, /^first \| started$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
