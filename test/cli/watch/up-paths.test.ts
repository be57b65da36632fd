// Watch mode of `subvisor up` (SPEC §10): watch paths not there yet, and those that cannot be watched. The built CLI, YAML files,
// real processes, real files changed in a temporary directory; the helpers are up-support.ts's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { killQuietly } from '../../support/processes.js';
import { runCli, startCli } from '../cli.js';
import { BOUNDED, PYTHON, interrupt, nthPid, pids, project, scratch, server, withUp, write } from './up-support.js';

test('a watch path that does not exist yet (a build makes it) is said once, at its place, and watched for: it appearing restarts, and so do changes under it after', BOUNDED, async () => {
  // It was refused, and `watch: [dist]` beside the build that makes dist could not be written.
  // nodemon users ask for it (remy/nodemon#1297); Compose's watcher watches the nearest existing
  // ancestor. A typo is still said, where it is, before anything starts.
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [src, dist], debounce: 150ms }
`, { 'src/a.ts': '' });
  await withUp(dir, async (cli) => {
    await nthPid(cli, 'web', 1);
    write(dir, 'dist/server.js', 'v1');
    // Its watch, set once dist is there, may hear the file after dist itself is told: named last then.
    await cli.waitForOutput(/^web +\* restarting: dist(\/server\.js)?( and 1 more)? changed$/m);
    await nthPid(cli, 'web', 2);
    write(dir, 'dist/server.js', 'v2');
    await cli.waitForOutput(/^web +\* restarting: dist\/server\.js changed$/m);
    await nthPid(cli, 'web', 3);
    const run = await interrupt(cli);
    const warnings = run.stderr.split('\n').filter((line) => line.includes('warning'));
    assert.equal(warnings.length, 1, run.stderr);
    assert.match(warnings[0] ?? '', /^subvisor: warning: subvisor\.yaml:4:27: processes\.web\.watch\.paths\[1\]: dist does not exist yet; it is watched for, and restarts the process once it appears \(if the path is a typo, fix it; relative paths are from the process's cwd, .*\)$/);
  });
});

test('a watched file whose directory does not exist yet is watched for too: its making restarts, its directory alone does not', BOUNDED, async () => {
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: { paths: [build/server.js], debounce: 150ms }
`);
  await withUp(dir, async (cli) => {
    await nthPid(cli, 'web', 1);
    mkdirSync(join(dir, 'build'));
    write(dir, 'build/other.js', 'not watched');
    await sleep(600);
    assert.doesNotMatch(cli.stdoutSoFar(), /restarting/);
    write(dir, 'build/server.js', 'v1');
    await cli.waitForOutput(/^web +\* restarting: build\/server\.js changed$/m);
    await nthPid(cli, 'web', 2);
    await interrupt(cli);
  });
});

test('a watch path under a file (not a directory) is refused before anything starts, at its place', BOUNDED, async () => {
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    watch: [src, package.json/src]
`, { 'src/a.ts': '', 'package.json': '{}' });
  const run = await runCli(['up'], { cwd: dir });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^subvisor: subvisor\.yaml:4:18: processes\.web\.watch\[1\]: cannot watch package\.json\/src: package\.json is not a directory/m);
  assert.doesNotMatch(run.stdout, /started/);
});

test("a watch path under a cwd a variable made that cannot be watched is refused naming the cwd as written, not by its value (.env's secret)", BOUNDED, async () => {
  // A directory closed to the run's user: as root, the run is another uid's (setpriv), as the inotify test does it.
  const uid = 3_000_000 + (process.pid % 1_000_000);
  const asRoot = process.getuid?.() === 0;
  const dir = project(`processes:
  web:
    cmd: "echo web pid $$; exec sleep 30"
    cwd: "\${APP}/src"
    watch: [closed]
`, { '.env': 'APP=s3cr3tdir\n', 's3cr3tdir/src/a.ts': '' });
  mkdirSync(join(dir, 's3cr3tdir', 'src', 'closed'), { mode: 0o000 });
  chmodSync(join(dir, 's3cr3tdir', 'src', 'closed'), 0o000);
  if (asRoot) {
    chmodSync(scratch, 0o755);
    chownSync(dir, uid, uid);
  }
  try {
    const run = await runCli(['up'], { cwd: dir, ...(asRoot ? { execVia: ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'] } : {}) });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.ok(run.stderr.includes(`processes.web.watch: cannot watch ${dir}/\${APP}/src/closed: EACCES`), run.stderr);
    assert.doesNotMatch(run.stderr, /s3cr3t/, 'the value stays out of the refusal');
  } finally {
    chmodSync(join(dir, 's3cr3tdir', 'src', 'closed'), 0o755); // so that the scratch directory can be removed
  }
});

test('out of inotify instances (the user\'s editors hold them all), the refusal names that limit, not ulimit -n', BOUNDED, async (t) => {
  if (process.getuid?.() !== 0 || !existsSync(PYTHON)) {
    assert.notEqual(process.env.CI, 'true', 'CI runs as root, and .ci/run installs python3, which this test needs');
    return t.skip('staged as root only (setpriv to a uid of its own), with python3 to hold the instances');
  }
  // A uid of this test's own: the instances it takes are that user's alone, not those of the
  // machine's other runs (inotify counts them per user).
  const uid = 3_000_000 + (process.pid % 1_000_000);
  const as = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  const dir = project(server, { 'src/a.ts': '' });
  chmodSync(scratch, 0o755);
  chownSync(dir, uid, uid);
  // Takes every instance the user may hold (inotify_init until EMFILE), says how many, and holds them.
  const hold = 'import ctypes, sys, time\nlibc = ctypes.CDLL(None)\nn = 0\nwhile libc.inotify_init() >= 0: n += 1\nprint(n, flush=True)\ntime.sleep(20)\n';
  const holder = spawn(as[0] as string, [...as.slice(1), PYTHON, '-c', hold], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [held] = (await once(holder.stdout, 'data')) as [Buffer];
    assert.ok(Number(held.toString()) > 0, `the holder took ${held.toString()} instances`);
    const run = await runCli(['up'], { cwd: dir, execVia: as });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /starting/, 'nothing started');
    assert.match(run.stderr, /processes\.web\.watch: cannot watch \S+src: this user's limit of inotify instances is reached .*; raise it \(sysctl fs\.inotify\.max_user_instances=\d+\) or end some of them$/m);
  } finally {
    holder.kill('SIGKILL');
  }
  // Control: with the instances given back, the same user and config run.
  await once(holder, 'exit');
  const cli = startCli(['up'], { cwd: dir, execVia: as });
  try {
    await cli.waitForOutput(/^web +\* starting/m);
    await interrupt(cli);
  } finally {
    killQuietly(cli.pid, ...pids(cli, 'web'));
  }
});
