// `up` with `user:`, end to end as root: what a process run as another user finds, compared with
// what systemd's `User=` (initgroups(3), a WorkingDirectory= entered as the user) gives it.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runProcess } from '../../src/index.js';
import { skipsWithoutRootAndSetpriv } from '../support/setpriv.js';
import { runCli } from './cli.js';

const BOUNDED = { timeout: 30_000 };
const NOBODY = 65534;
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-up-user-'));
// mkdtemp makes it 0700: the user under test must be able to pass through it.
chmodSync(scratch, 0o755);
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory holding `config` as subvisor.yaml. */
function configDir(config: string): string {
  const dir = mkdtempSync(join(scratch, 'config-'));
  writeFileSync(join(dir, 'subvisor.yaml'), config);
  return dir;
}

/** The kernel's supplementary group list of a command's own process (/proc's `Groups:`), from its output. */
const GROUPS_LINE = "sed -n 's/^Groups:[[:space:]]*/groups:/p' /proc/self/status";

describe('up with user:', () => {
  test('user: the kernel group list holds the user\'s primary group, as initgroups(3) makes it, also for a user /etc/group lists in no group (needs root and setpriv)', BOUNDED, async (t) => {
    if (skipsWithoutRootAndSetpriv(t)) return;
    // Control: a child switched by Node's spawn alone has an empty list, so the probe can fail.
    const bare = await runProcess(['sh', '-c', GROUPS_LINE], { uid: NOBODY, gid: NOBODY, cwd: '/', captureStdout: true });
    assert.equal(bare.stdout.toString().trim(), 'groups:');
    const dir = configDir(`processes:\n  who:\n    cmd: "${GROUPS_LINE.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n    user: nobody\n    cwd: /\n    task: true\n`);
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const listed = /^who \| groups:(.*)$/m.exec(run.stdout)?.[1]?.trim().split(/\s+/);
    assert.ok(listed?.includes(String(NOBODY)), run.stdout);
  });

  test('user: a config in a directory the user may enter below one it may not search (/root/stack, /root 0700) is refused for that process, naming the closed directory, as systemd\'s WorkingDirectory= is (needs root)', BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const closed = mkdtempSync(join(scratch, 'closed-'));
    const dir = join(closed, 'stack');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  who:\n    cmd: id -u\n    user: nobody\n    task: true\n');
    chmodSync(closed, 0o700);
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, new RegExp(`^who \\| ${NOBODY}$`, 'm'), 'it did not run');
    assert.match(run.stderr, new RegExp(`^subvisor: who failed: cannot start id -u: permission denied \\(EACCES\\): uid ${NOBODY} may not enter the cwd ${dir}: ${closed} is mode 700, owned by uid 0; `, 'm'));
    // Control: the directory above opened to search, it runs there.
    chmodSync(closed, 0o711);
    const opened = await runCli(['up'], { cwd: dir });
    assert.equal(opened.code, 0, opened.stdout + opened.stderr);
    assert.match(opened.stdout, new RegExp(`^who \\| ${NOBODY}$`, 'm'));
  });

  test("user: a cwd a variable makes that leads through a link to a directory closed to the user names no piece of the value, not even the link target's (V=ab/s3cr3t, ab/s3cr3t -> /data/s3cr3t/app) (needs root)", BOUNDED, async (t) => {
    if (process.getuid?.() !== 0) return t.skip('only root can start a process as another user');
    const dir = mkdtempSync(join(scratch, 'linked-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'srv', 'ab'), { recursive: true });
    // The closed directory is on the link's target's way only, and is named as the value's last piece.
    const target = join(dir, 'data', 's3cr3t');
    mkdirSync(join(target, 'app'), { recursive: true });
    chmodSync(target, 0o700);
    symlinkSync(join(target, 'app'), join(dir, 'srv', 'ab', 's3cr3t'));
    writeFileSync(join(dir, '.env'), 'V=ab/s3cr3t\n');
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  who:\n    cmd: id -u\n    user: nobody\n    cwd: srv/${V}\n    task: true\n');
    const run = await runCli(['up'], { cwd: dir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout + run.stderr, /s3cr3t/, 'a piece of the value is shown');
    assert.match(run.stderr, new RegExp(`^subvisor: who failed: cannot start id -u: its cwd, ${dir}/srv/\\$\\{V\\}, could not be used \\(EACCES\\); the details would show the value`, 'm'));
    // Control: the target opened, it runs there.
    chmodSync(target, 0o755);
    const opened = await runCli(['up'], { cwd: dir });
    assert.equal(opened.code, 0, opened.stdout + opened.stderr);
    assert.match(opened.stdout, new RegExp(`^who \\| ${NOBODY}$`, 'm'));
  });
});
