// examples/postgres run by the built CLI against a real PostgreSQL: initdb, postgres on a Unix
// socket, a psql migration, a web server that reads the database, a smoke test as `main`. Run
// twice on one cluster: the second run must find it cleanly shut down. Skipped (with the reason
// printed) where the PostgreSQL binaries are missing, except under CI=true, where that fails.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, killQuietly, waitUntil } from '../support/processes.js';
import { startCli, type CliRun } from '../cli/cli.js';
import { freePort } from '../support/network.js';

const EXAMPLE = resolve('examples/postgres');
const BINARIES = ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready'] as const;
/** One run of the stack, from nothing to a finished shutdown; the whole test is bounded at 90 s. */
const RUN_LIMIT_MS = 40_000;

/** `ROOT/VERSION/bin` for each numbered VERSION under `root`, newest first. */
function versionedBinDirs(root: string): string[] {
  try {
    return readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a))
      .map((version) => join(root, version, 'bin'));
  } catch {
    return [];
  }
}

/** What `pg_config --bindir` says, when there is a pg_config on PATH. */
function pgConfigBinDir(): string[] {
  try {
    return [execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()];
  } catch {
    return [];
  }
}

/**
 * Where each PostgreSQL binary is: only in `$PG_BIN` when that is set; otherwise the versioned
 * server directories first (Debian puts postgres, initdb and pg_ctl only there, and its
 * /usr/bin/psql is a wrapper), then `pg_config --bindir`, then PATH. The directories to put in
 * front of PATH, or what is missing.
 */
function lookUpBinaries(): { readonly path: string } | { readonly missing: string } {
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  const chosen = process.env.PG_BIN ?? '';
  const candidates = chosen !== '' ? [chosen] : [...versionedBinDirs('/usr/lib/postgresql'), ...pgConfigBinDir(), '/usr/local/pgsql/bin', ...pathDirs];
  const where = chosen !== '' ? `PG_BIN (${chosen})` : '/usr/lib/postgresql/*/bin, pg_config --bindir or PATH';
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const binary of BINARIES) {
    const dir = candidates.find((candidate) => existsSync(join(candidate, binary)));
    if (dir === undefined) missing.push(binary);
    else found.set(binary, dir);
  }
  if (missing.length > 0) return { missing: `no ${missing.join(', ')} in ${where}` };
  return { path: [...new Set(found.values()), ...pathDirs].join(delimiter) };
}

/**
 * The PostgreSQL binaries, whether we are root, and the postgres user to run them as there; or,
 * with something missing, the test skipped (failed under CI=true, where PostgreSQL is installed).
 */
function postgresOrSkip(t: TestContext): { binaries: { readonly path: string }; root: boolean; postgresUser: { uid: number; gid: number } | undefined } | undefined {
  const binaries = lookUpBinaries();
  const root = process.getuid?.() === 0;
  const postgresUser = passwdUser('postgres');
  const missing = 'missing' in binaries ? binaries.missing : root && postgresUser === undefined ? 'running as root, and there is no postgres user to run PostgreSQL as' : undefined;
  if (missing !== undefined || !('path' in binaries)) {
    assert.notEqual(process.env.CI, 'true', `PostgreSQL is required under CI=true: ${missing ?? ''}`);
    console.log(`skipping examples/postgres: ${missing ?? ''}`);
    t.skip(missing);
    return undefined;
  }
  return { binaries, root, postgresUser };
}

/** The uid and gid of `name` in /etc/passwd. */
function passwdUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) };
}


/**
 * {@link processesOfRun} once they are gone, or after 2 s: the CLI's watchdog hears of its exit
 * through a pipe's EOF and takes a few ms to exit in turn, so a look at once may catch it on its
 * way out. Anything of the run still there after 2 s was left running.
 */
async function leftRunning(marker: string, dir: string): Promise<string[]> {
  const deadline = Date.now() + 2000;
  let left = processesOfRun(marker, dir);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = processesOfRun(marker, dir);
  }
  return left;
}

/**
 * The live processes of a run: those whose environment holds `marker` (every descendant of the
 * CLI inherits it; postgres keeps its environment) or whose cwd is inside `dir` (a backend sits
 * in the data directory). Zombies are not processes that run.
 */
function processesOfRun(marker: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ = '';
    let cwd = '';
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      // gone, or not ours to read
    }
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      // gone, or not ours to read
    }
    if ((environ.includes(marker) || cwd === dir || cwd.startsWith(`${dir}/`)) && isRunning(Number(entry))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      } catch {
        // gone meanwhile
      }
      found.push(`${entry} ${cmdline}`);
    }
  }
  return found;
}

/** Runs `subvisor up -f FILE` to its end; a run that outlives RUN_LIMIT_MS is stopped and fails. */
async function up(file: string, env: NodeJS.ProcessEnv): Promise<CliRun & { ms: number }> {
  const started = Date.now();
  const cli = startCli(['up', '-f', file], { env });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolveLate) => (timer = setTimeout(() => resolveLate('late'), RUN_LIMIT_MS)));
  const first = await Promise.race([cli.done, late]);
  clearTimeout(timer);
  if (first === 'late') {
    cli.kill('SIGTERM');
    const stopped = await Promise.race([cli.done, sleep(15_000).then(() => undefined)]);
    if (stopped === undefined) killQuietly(cli.pid);
    assert.fail(`subvisor up did not finish within ${RUN_LIMIT_MS} ms; it printed:\n${cli.stdoutSoFar()}`);
  }
  return { ...first, ms: Date.now() - started };
}

/** The index of the first stdout line that matches; fails the test when none does. */
function lineIndex(stdout: string, pattern: RegExp): number {
  const index = stdout.split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no line matches ${String(pattern)} in:\n${stdout}`);
  return index;
}

/** postgres's own lines (what `db | ...` relays). */
function dbLines(stdout: string): string {
  return stdout
    .split('\n')
    .filter((line) => /^db +\| /.test(line))
    .join('\n');
}

test('examples/postgres: the smoke test reads the database through the web server; postgres shuts down cleanly after web, and a second run needs no recovery; nothing is left running', { timeout: 90_000 }, async (t) => {
  const found = postgresOrSkip(t);
  if (found === undefined) return;
  const { binaries, root, postgresUser } = found;

  const scratch = mkdtempSync(join(tmpdir(), 'subvisor-pg-'));
  const dataDir = join(scratch, 'data');
  const marker = `SUBVISOR_PG_TEST=${String(process.pid)}-${String(Date.now())}`;
  try {
    // Processes running as postgres read the example and work in it: a copy they can reach.
    chmodSync(scratch, 0o755);
    const exampleDir = join(scratch, 'example');
    cpSync(EXAMPLE, exampleDir, { recursive: true });
    const config = join(exampleDir, 'subvisor.yaml');
    if (!root) {
      // As yourself, as the example's README says: the same file without its `user:` lines.
      const text = readFileSync(config, 'utf8');
      const mine = text.replace(/^ *user: postgres\n/gm, '');
      assert.equal(text.split('\n').length - mine.split('\n').length, 3, 'initdb, db and migrate each had a user: line');
      writeFileSync(config, mine);
    }
    mkdirSync(dataDir, { mode: 0o700 });
    if (root && postgresUser !== undefined) chownSync(dataDir, postgresUser.uid, postgresUser.gid);
    const [key = '', value = ''] = marker.split('=');
    const env = { PATH: binaries.path, DATA_DIR: dataDir, PORT: String(await freePort()), [key]: value };

    // First run: a fresh cluster.
    const first = await up(config, env);
    t.diagnostic(`first run (initdb included): ${first.ms} ms`);
    assert.equal(first.code, 0, `first run failed:\n${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /^initdb +\| Success\./m, 'initdb made the cluster');
    assert.match(first.stdout, /^smoke +\| smoke: GET \/health -> 200$/m);
    assert.match(first.stdout, /^smoke +\| smoke: 3 items from the database: teapot, kettle, mug$/m, 'the items the migration wrote came back');
    assert.match(first.stdout, /^smoke +\* exited with status 0/m);
    assert.match(first.stdout, /^db +\| .*LOG: +listening on Unix socket /m);
    assert.doesNotMatch(dbLines(first.stdout), /listening on IP/, 'no TCP listener');
    const webExited = lineIndex(first.stdout, /^web +\* (stopped|exited)/);
    assert.ok(lineIndex(first.stdout, /^db +\* stopping/) > webExited, 'db is told to stop only after web exited');
    assert.ok(lineIndex(first.stdout, /^db +\| .*LOG: +received fast shutdown request/) > webExited, 'stopSignal: SIGINT is fast shutdown');
    assert.ok(lineIndex(first.stdout, /^db +\| .*LOG: +database system is shut down$/) > webExited, 'a clean shutdown, after web exited');
    assert.match(first.stderr, /^db +\d+ +stopped /m, 'the summary: db was stopped, not crashed');
    assert.equal(existsSync(join(dataDir, 'postmaster.pid')), false, 'postgres removed its pid file on the way out');
    assert.deepEqual(await leftRunning(marker, scratch), [], 'nothing of the first run is left running');

    // Second run: the same cluster, found as it was left.
    const second = await up(config, env);
    t.diagnostic(`second run: ${second.ms} ms`);
    assert.equal(second.code, 0, `second run failed:\n${second.stdout}\n${second.stderr}`);
    assert.match(second.stdout, /^initdb +\* exited with status 0/m);
    assert.doesNotMatch(second.stdout, /^initdb +\| /m, 'initdb left the existing cluster alone');
    const db = dbLines(second.stdout);
    assert.match(db, /LOG: +database system was shut down at /, 'postgres found a cleanly shut down cluster');
    assert.doesNotMatch(db, /was interrupted|not properly shut down|automatic recovery|redo |crash/i, 'no crash recovery');
    assert.match(second.stdout, /^smoke +\| smoke: 3 items from the database: teapot, kettle, mug$/m, 'the migration is idempotent');
    assert.ok(lineIndex(second.stdout, /^db +\| .*LOG: +database system is shut down$/) > lineIndex(second.stdout, /^web +\* (stopped|exited)/));
    assert.deepEqual(await leftRunning(marker, scratch), [], 'nothing of the second run is left running');
  } finally {
    // Whatever a failed run left: the postmaster named by its pid file, then anything marked.
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) {
        killQuietly(pid);
        await sleep(200);
      }
    } catch {
      // no pid file: postgres is not running
    }
    killQuietly(...processesOfRun(marker, scratch).map((line) => Number(line.split(' ')[0])));
    rmSync(scratch, { recursive: true, force: true });
  }
});

test('a postmaster SIGKILLed from outside while a backend is busy in a query: the backend is stopped with it, and the restart of postgres succeeds; nothing is left running', { timeout: 90_000 }, async (t) => {
  const found = postgresOrSkip(t);
  if (found === undefined) return;
  const { binaries, root, postgresUser } = found;
  const scratch = mkdtempSync(join(tmpdir(), 'subvisor-pg-crash-'));
  const dataDir = join(scratch, 'data');
  const marker = `SUBVISOR_PG_TEST=${String(process.pid)}-crash-${String(Date.now())}`;
  const asPostgres = root && postgresUser !== undefined ? postgresUser : undefined;
  let cli: ReturnType<typeof startCli> | undefined;
  try {
    chmodSync(scratch, 0o755);
    mkdirSync(dataDir, { mode: 0o700 });
    if (asPostgres !== undefined) chownSync(dataDir, asPostgres.uid, asPostgres.gid);
    const user = asPostgres === undefined ? '' : '    user: postgres\n';
    const config = join(scratch, 'subvisor.yaml');
    writeFileSync(
      config,
      'processes:\n' +
        `  initdb:\n    cmd: [initdb, -D, "${dataDir}", --username=postgres, --auth=trust, --no-sync]\n${user}    task: true\n` +
        `  db:\n    cmd: [postgres, -D, "${dataDir}", -k, "${dataDir}", -c, "listen_addresses="]\n${user}    dependsOn: { initdb: succeeded }\n` +
        `    ready: { exec: [pg_isready, -q, -h, "${dataDir}"], interval: 200ms }\n    restart: { policy: on-failure, max: 2 }\n    stopSignal: SIGINT\n    grace: 3s\n`,
    );
    const [key = '', value = ''] = marker.split('=');
    cli = startCli(['up', '-f', config], { env: { PATH: binaries.path, [key]: value } });
    await cli.waitForOutput(/^db +\* ready after/m, 40_000);
    // A query busy on the CPU: its backend does not look whether its postmaster still lives.
    const psql = spawn('psql', ['-X', '-h', dataDir, '-U', 'postgres', '-d', 'postgres', '-c', 'select count(*) from generate_series(1, 1e6) a, generate_series(1, 1e5) b'], {
      env: { ...process.env, PATH: binaries.path, [key]: value },
      stdio: 'ignore',
      ...(asPostgres === undefined ? {} : { uid: asPostgres.uid, gid: asPostgres.gid }),
    });
    t.after(() => killQuietly(psql.pid));
    // Until its backend is at it: a fixed second was at times too short for psql to connect on a
    // loaded machine, and the control below failed.
    await waitUntil(() => processesOfRun(marker, scratch).some((line) => / postgres: .*(SELECT|active)/.test(line)), 'a backend busy in the query', 20_000);
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    assert.ok(processesOfRun(marker, scratch).some((line) => / postgres: .*(SELECT|active)/.test(line)), 'control: a backend is busy in the query');
    process.kill(postmaster, 'SIGKILL');
    // Before: the busy backend ran on, holding the cluster's shared memory, and both restarts
    // failed with "pre-existing shared memory block ... is still in use": the run ended with 1.
    await cli.waitForOutput(/^db +\* restarting in[^\n]*\n(?:.*\n)*db +\* ready after/m, 40_000);
    cli.kill('SIGINT');
    const ended = await cli.done;
    assert.equal(ended.code, 130, `${ended.stdout}\n${ended.stderr}`);
    assert.doesNotMatch(ended.stdout, /pre-existing shared memory block/);
    assert.deepEqual((await leftRunning(marker, scratch)).filter((line) => !/ psql /.test(line)), [], 'nothing of the run is left running');
  } finally {
    if (cli !== undefined) killQuietly(cli.pid);
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) killQuietly(pid);
    } catch {
      // no pid file: postgres is not running
    }
    await sleep(200);
    killQuietly(...processesOfRun(marker, scratch).map((line) => Number(line.split(' ')[0])));
    rmSync(scratch, { recursive: true, force: true });
  }
});
