// `subvisor export systemd` (SPEC §11): golden files of the examples, `systemd-analyze verify`
// silent on every unit, and each translation (environment, dependencies, tasks, restarts,
// readiness, quoting) checked on a config that has them all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../cli.js';
import { EXAMPLE_ENV, SYSTEMD_PATH, assertGolden, normalise, verifyUnits } from './support.js';

const BOUNDED = { timeout: 60_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-export-systemd-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const DEMO = resolve('examples/demo/subvisor.yaml');
const POSTGRES = reachableCopy('examples/postgres');

/**
 * The example's config in a copy every user may reach: its processes run as `postgres`, and the
 * export warns of a cwd that user cannot enter, which the repository's own place (a clone under
 * a 0700 home) may be.
 */
function reachableCopy(example: string): string {
  // A directory of its own: the scratch directory is closed to others by a test below.
  const reachable = mkdtempSync(join(tmpdir(), 'subvisor-export-reachable-'));
  after(() => rmSync(reachable, { recursive: true, force: true }));
  chmodSync(reachable, 0o755);
  const dir = join(reachable, basename(example));
  cpSync(resolve(example), dir, { recursive: true });
  return join(dir, 'subvisor.yaml');
}

describe('export systemd: the examples', () => {
  for (const [name, file, extra] of [
    ['demo', DEMO, ['--ready-log=drop']],
    ['postgres', POSTGRES, []],
  ] as const) {
    test(`${name}: the units match the golden file, byte for byte, run after run`, BOUNDED, async () => {
      const first = await runCli(['export', 'systemd', '-f', file, ...extra], { env: EXAMPLE_ENV });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, '');
      assertGolden(`${name}.systemd.txt`, normalise(first.stdout, file));
      const second = await runCli(['export', 'systemd', '-f', file, ...extra], { env: EXAMPLE_ENV });
      assert.equal(second.stdout, first.stdout);
    });

    test(`${name}: -o DIR is created, and systemd-analyze verify says nothing about any unit`, BOUNDED, async () => {
      const dir = join(scratch, `${name}-units`, 'nested');
      const run = await runCli(['export', 'systemd', '-f', file, '-o', dir, ...extra], { env: EXAMPLE_ENV });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      const verified = verifyUnits(dir);
      assert.deepEqual(verified, { status: 0, output: '' });
      assert.ok(existsSync(join(dir, `${name}.target`)));
    });
  }

  test('log-line readiness is refused, naming every such process, unless --ready-log=drop', BOUNDED, async () => {
    const dir = join(scratch, 'refused');
    const run = await runCli(['export', 'systemd', '-f', DEMO, '-o', dir]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^subvisor: cannot export: processes db, web: log-line readiness .* --ready-log=drop/);
    assert.equal(existsSync(dir), false, 'nothing is written');
    const dropped = await runCli(['export', 'systemd', '-f', DEMO, '--ready-log=drop']);
    assert.match(dropped.stdout, /# ready: the log line \/accepting connections\/ is left out \(--ready-log=drop\)/);
  });
});

/** A project in a directory whose name needs sanitising, with every key the export translates. */
function everythingProject(port: number): string {
  const dir = join(scratch, 'My App!');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.env'), 'A=from-dotenv\nB=from-dotenv\n');
  writeFileSync(join(dir, 'top.env'), 'B=from-top\nC=from-top\n');
  writeFileSync(join(dir, 'web.env'), 'C=from-web-file\nQ="it\'s"\n');
  writeFileSync(
    join(dir, 'subvisor.yaml'),
    `envFile: [top.env]
processes:
  setup:
    cmd: echo "setting up $HOME at 100%"
    task: true
    restart: { policy: always, max: 2, backoff: 1s, maxBackoff: 1s, resetAfter: 30s }
  web:
    cmd: [node, -e, "setInterval(() => {}, 1000)"]
    envFile: web.env
    env: { D: 'say "hi" to $USER at 50%', B: from-env }
    dependsOn: { setup: succeeded, report: completed }
    ready: { tcp: "127.0.0.1:${port}", interval: 100ms, timeout: 1s, startPeriod: 50ms }
    readyTimeout: 20s
    restart: { policy: on-failure, max: 4, backoff: 200ms }
    stopSignal: SIGINT
    grace: 1m30s
  report:
    cmd: [sh, -c, "exit 0"]
    task: true
  script:
    cmd: [./bin/run.sh, ";", "a b", "100%"]
    grace: 0
`,
  );
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'run.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return join(dir, 'subvisor.yaml');
}

/**
 * The argv systemd runs for a unit's `ExecStart=`-like `line`: `${NAME}` from `values` (the env
 * file's), `$$` as `$`, each word unquoted. Enough for the lines export writes, not a full parser.
 */
function asSystemdRuns(line: string, values: Record<string, string>): string[] {
  return (line.slice(line.indexOf('=') + 1).match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((word) => {
    const expanded = word.replaceAll(/\$\{(\w+)\}/g, (_, name: string) => values[name] ?? '').replaceAll('$$', '$');
    return expanded.startsWith('"') ? (JSON.parse(expanded) as string) : expanded;
  });
}

function section(unit: string, name: string): string[] {
  const match = new RegExp(`^\\[${name}\\]\\n((?:.+\\n)*)`, 'm').exec(unit);
  assert.ok(match, `no [${name}] in\n${unit}`);
  return (match[1] ?? '').trimEnd().split('\n');
}

describe('export systemd: what each key becomes', () => {
  const listener = createServer((socket) => socket.destroy());
  let file = '';
  let dir = '';
  const unit = (name: string): string => readFileSync(join(dir, `My-App-${name}.service`), 'utf8');
  after(() => new Promise<void>((done) => listener.close(() => done())));

  test('exported to -o DIR with the prefix from the directory name, verified silently', BOUNDED, async () => {
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
    file = everythingProject((listener.address() as AddressInfo).port);
    dir = join(scratch, 'everything');
    const run = await runCli(['export', 'systemd', '-f', file, '-o', dir], { env: { SUBVISOR_TEST_PARENT: 'must not leak' } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(verifyUnits(dir), { status: 0, output: '' });
    assert.match(readFileSync(join(dir, 'My-App.target'), 'utf8'), /^Wants=My-App-setup\.service My-App-web\.service My-App-report\.service My-App-script\.service$/m);
  });

  test("the target says that a failure does not stop the others, as it ends the run under up (fail-fast is not translated)", BOUNDED, () => {
    assert.match(
      readFileSync(join(dir, 'My-App.target'), 'utf8'),
      /^# fail-fast: not translated: under subvisor a process that fails \(no restart left\) stops the stack; here the other units keep running \(systemd stops a unit's dependents only when it is stopped by hand\)\.$/m,
    );
  });

  test('the environment: env files, then env, merged in a generated file read last (0600); nothing of the parent', BOUNDED, () => {
    const service = section(unit('web'), 'Service');
    const project = resolve(file, '..');
    const files = service.filter((line) => line.startsWith('EnvironmentFile='));
    assert.deepEqual(files, [`EnvironmentFile=-${project}/.env`, `EnvironmentFile=-${project}/top.env`, `EnvironmentFile=-${project}/web.env`, `EnvironmentFile=${dir}/My-App-web.env`]);
    assert.deepEqual(service.filter((line) => line.startsWith('Environment=')), [], 'env is in the generated file only');
    const generated = readFileSync(join(dir, 'My-App-web.env'), 'utf8');
    const lines = generated.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    assert.deepEqual(lines, ["A='from-dotenv'", "B='from-env'", "C='from-web-file'", 'Q="it\'s"', `D='say "hi" to $USER at 50%'`]);
    assert.doesNotMatch(generated, /SUBVISOR_TEST_PARENT/);
    assert.equal(statSync(join(dir, 'My-App-web.env')).mode & 0o777, 0o600);
  });

  test('dependsOn: Requires= + After=, and Wants= + After= for completed', BOUNDED, () => {
    const lines = section(unit('web'), 'Unit');
    assert.deepEqual(
      lines.filter((line) => /^(Requires|Wants|After)=/.test(line)),
      ['Requires=My-App-setup.service', 'After=My-App-setup.service', 'Wants=My-App-report.service', 'After=My-App-report.service'],
    );
  });

  test('a task is a oneshot that remains after exit; its always is on-failure (systemd refuses always there); the budget is a start limit in [Unit]', BOUNDED, () => {
    const setup = unit('setup');
    const service = section(setup, 'Service');
    assert.deepEqual(service.slice(0, 3), ['Type=oneshot', 'RemainAfterExit=yes', 'ExecStart=/bin/sh -c "echo \\"setting up $$HOME at 100%%\\""']);
    assert.ok(service.includes('Restart=on-failure') && service.includes('RestartSec=1s'), service.join('\n'));
    assert.deepEqual(section(setup, 'Unit').filter((line) => line.startsWith('StartLimit')), ['StartLimitIntervalSec=32s', 'StartLimitBurst=3']);
  });

  test('ExecStart= of argv: a relative program made absolute from the cwd, a lone ; escaped, words quoted as needed', BOUNDED, () => {
    const start = section(unit('script'), 'Service').find((line) => line.startsWith('ExecStart='));
    assert.equal(start, `ExecStart="${resolve(file, '..')}/bin/run.sh" \\; "a b" "100%%"`);
  });

  test('restart, stopSignal and grace of a service', BOUNDED, () => {
    const service = section(unit('web'), 'Service');
    for (const line of ['Type=exec', 'Restart=on-failure', 'RestartSec=200ms', 'KillMode=control-group', 'KillSignal=SIGINT', 'TimeoutStopSec=1m30s']) assert.ok(service.includes(line), `${line} in\n${service.join('\n')}`);
    assert.deepEqual(section(unit('web'), 'Unit').filter((line) => line.startsWith('StartLimit')), ['StartLimitIntervalSec=1m800ms', 'StartLimitBurst=5']);
  });

  test("on-failure restarts a service killed by SIGHUP, SIGINT, SIGTERM or SIGPIPE, as up does: systemd counts those deaths as a service's clean exit; a oneshot needs nothing", BOUNDED, () => {
    assert.ok(section(unit('web'), 'Service').includes('RestartForceExitStatus=SIGHUP SIGINT SIGTERM SIGPIPE'), unit('web'));
    // For a oneshot only exit 0 is clean, and a unit without a policy must not be restarted by it.
    for (const name of ['setup', 'script']) assert.ok(!unit(name).includes('RestartForceExitStatus='), unit(name));
  });

  test('grace 0 is the shortest span, not systemd\'s TimeoutStopSec=0 (which never sends SIGKILL)', BOUNDED, () => {
    const script = unit('script');
    assert.ok(section(script, 'Service').includes('TimeoutStopSec=1ms'), script);
  });

  test('a tcp probe is an ExecStartPost= of `subvisor probe` by absolute paths, which passes against the listener', BOUNDED, () => {
    const web = unit('web');
    assert.match(web, /^# ready: tcp 127\.0\.0\.1:\d+ -> ExecStartPost= runs `subvisor probe`/m);
    assert.match(web, /^# ready: the probe's timeout 1s and startPeriod 50ms are not translated: `subvisor probe` tries at once, each try cut at 5s or the deadline\.$/m);
    assert.doesNotMatch(unit('setup'), /not translated: `subvisor probe`/, 'nothing to say without them');
    const post = section(web, 'Service').find((line) => line.startsWith('ExecStartPost='));
    assert.ok(post !== undefined);
    const argv = post.slice('ExecStartPost='.length).split(' ');
    assert.equal(argv[0], process.execPath);
    assert.match(argv[1] ?? '', /^\/.*\/dist\/cli\/main\.js$/);
    assert.deepEqual(argv.slice(2, 4), ['probe', '--tcp']);
    assert.deepEqual(argv.slice(5), ['--interval', '100ms', '--timeout', '20s']);
    assert.ok(section(web, 'Service').includes('TimeoutStartSec=30s'));
    // The words are plain (no quoting to undo): run them as systemd would.
    const probe = spawnSync(process.execPath, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
    assert.equal(probe.status, 0, probe.stderr);
  });

  test('without -o: every file on stdout under its name, the env files named under /etc/systemd/system; --prefix', BOUNDED, async () => {
    const run = await runCli(['export', 'systemd', '-f', file, '--prefix', 'shop']);
    assert.equal(run.code, 0, run.stderr);
    const names = [...run.stdout.matchAll(/^# ==> (.+) <==$/gm)].map((match) => match[1]);
    assert.deepEqual(names, ['shop-setup.service', 'shop-setup.env', 'shop-web.service', 'shop-web.env', 'shop-report.service', 'shop-report.env', 'shop-script.service', 'shop-script.env', 'shop.target']);
    assert.match(run.stdout, /^EnvironmentFile=\/etc\/systemd\/system\/shop-web\.env$/m);
    const inTheWay = join(scratch, 'a-file');
    writeFileSync(inTheWay, '');
    const blocked = await runCli(['export', 'systemd', '-f', file, '-o', join(inTheWay, 'units')]);
    assert.equal(blocked.code, 1, 'a write that failed, as mkdir -p fails on it; not a usage error');
    assert.match(blocked.stderr, /cannot write .*a-file\/units: a file is in the way of a directory; pick another -o/);
    const bad = await runCli(['export', 'systemd', '-f', file, '--prefix', 'a b']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--prefix "a b" cannot start a unit name/);
    const unicode = await runCli(['export', 'systemd', '-f', file, '--prefix', 'ünï']);
    assert.equal(unicode.code, 2);
    assert.match(unicode.stderr, /--prefix "ünï" cannot start a unit name; use ASCII letters, digits, _, \., : and -/, 'ü is a letter, just not one a unit name takes');
  });

  test('a --prefix that makes a unit name longer than systemd takes (255 bytes) is refused before -o is made', BOUNDED, async () => {
    const units = join(scratch, 'long-prefix-units');
    // shop-report.service is the longest name: with this prefix, 256 bytes.
    const prefix = 'p'.repeat(256 - '-report.service'.length);
    const long = await runCli(['export', 'systemd', '-f', file, '--prefix', prefix, '-o', units]);
    assert.equal(long.code, 2, long.stderr);
    assert.match(long.stderr, /the unit name p+… would be 256 bytes, more than the 255 systemd takes; shorten --prefix \(241 bytes\) or the process's name by 1 byte$/m);
    assert.equal(existsSync(units), false, 'nothing written, no directory made');
    const fits = await runCli(['export', 'systemd', '-f', file, '--prefix', prefix.slice(1), '-o', units]);
    assert.equal(fits.code, 0, fits.stderr);
    assert.ok(existsSync(join(units, `${prefix.slice(1)}-report.service`)));
  });
});

describe('export systemd: what a unit cannot carry', () => {
  /** Exports `yaml` (a config in a fresh directory, with `dirs` made in it) to DIR/units. */
  async function exportOf(yaml: string, dirs: readonly string[] = []): Promise<{ code: number | null; stderr: string; units: string }> {
    const project = mkdtempSync(join(scratch, 'own-'));
    for (const dir of dirs) mkdirSync(join(project, dir));
    writeFileSync(join(project, 'subvisor.yaml'), yaml);
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units]);
    return { code: run.code, stderr: run.stderr, units };
  }

  test("a signal's second name (SIGIOT) is written as its first, which KillSignal= knows: verify stays silent", BOUNDED, async () => {
    const run = await exportOf('processes:\n  a:\n    cmd: [/bin/true]\n    stopSignal: SIGIOT\n');
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(join(run.units, readdirSync(run.units).find((name) => name.endsWith('-a.service')) ?? ''), 'utf8'), /^KillSignal=SIGABRT$/m);
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test('a restart budget past the numbers systemd holds is no start limit, or an infinite window, not a line it ignores (then 5 starts in 10 s)', BOUNDED, async () => {
    const run = await exportOf(`processes:
  burst: { cmd: [/bin/true], restart: { policy: always, max: 4294967295 } }
  window: { cmd: [/bin/true], restart: { policy: always, max: 1000000000, backoff: 24h, maxBackoff: 24h } }
  most: { cmd: [/bin/true], restart: { policy: always, max: 4294967294 } }
`);
    assert.equal(run.code, 0, run.stderr);
    const unit = (name: string): string => readFileSync(join(run.units, readdirSync(run.units).find((file) => file.endsWith(`-${name}.service`)) ?? ''), 'utf8');
    const limits = (name: string): string[] => section(unit(name), 'Unit').filter((line) => line.startsWith('StartLimit'));
    assert.deepEqual(limits('burst'), ['StartLimitIntervalSec=0']);
    assert.match(unit('burst'), /^# restart: max 4294967295 is more starts than systemd counts \(4294967295\), so the unit has no start limit\.$/m);
    assert.deepEqual(limits('window'), ['StartLimitIntervalSec=infinity', 'StartLimitBurst=1000000001']);
    assert.deepEqual(limits('most'), ['StartLimitIntervalSec=596523h15m7s', 'StartLimitBurst=4294967295']);
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test('user: nobody is written as its uid, which verify takes silently, with a note saying why; another user by name', BOUNDED, async () => {
    const run = await exportOf('processes:\n  a:\n    cmd: [/bin/true]\n    user: nobody\n  b:\n    cmd: [/bin/true]\n    user: root\n');
    assert.equal(run.code, 0, run.stderr);
    const unit = (name: string): string => readFileSync(join(run.units, readdirSync(run.units).find((file) => file.endsWith(`-${name}.service`)) ?? ''), 'utf8');
    assert.match(unit('a'), /^User=65534$/m);
    assert.match(unit('a'), /^# user: nobody is written as its uid, 65534: systemd warns of the name/m);
    assert.match(unit('b'), /^User=root$/m);
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test("env's values are only in the env file (0600), not in the unit (0644, and shown to every user by systemctl show): a value may hold a secret from .env", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    writeFileSync(join(project, '.env'), 'DB_PASSWORD=s3cret-from-dotenv\n');
    writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: [/bin/true]\n    env: { DATABASE_URL: "postgres://app:${DB_PASSWORD}@db/app" }\n');
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units]);
    assert.equal(run.code, 0, run.stderr);
    const prefix = readdirSync(units).find((name) => name.endsWith('-a.service'))?.slice(0, -'-a.service'.length) ?? '';
    const unit = readFileSync(join(units, `${prefix}-a.service`), 'utf8');
    assert.doesNotMatch(unit, /s3cret/, unit);
    assert.doesNotMatch(unit, /^Environment=/m);
    assert.match(readFileSync(join(units, `${prefix}-a.env`), 'utf8'), /^DATABASE_URL='postgres:\/\/app:s3cret-from-dotenv@db\/app'$/m);
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
  });

  test("a variable's value in cmd is left to systemd as ${NAME}, its value only in the env file (0600): a .env secret, one from subvisor's environment or one the process's env overrides is not in the unit (0644, shown by systemctl show)", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    writeFileSync(join(project, '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const yaml = `processes:
  sh: { cmd: "echo \${API_TOKEN} \${CI_SECRET} \${UNSET_ONE:-plain} $$" }
  argv: { cmd: [/bin/echo, "token=\${API_TOKEN}", "\${CI_SECRET}"] }
  own: { cmd: [/bin/echo, "\${API_TOKEN}"], env: { API_TOKEN: other }, ready: { exec: [/bin/test, "\${API_TOKEN}", "=", x] } }
`;
    writeFileSync(join(project, 'subvisor.yaml'), yaml);
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units], { env: { CI_SECRET: 'p4ss-from-environment' } });
    assert.equal(run.code, 0, run.stderr);
    const prefix = readdirSync(units).find((name) => name.endsWith('-sh.service'))?.slice(0, -'-sh.service'.length) ?? '';
    const unit = (name: string): string => readFileSync(join(units, `${prefix}-${name}.service`), 'utf8');
    const env = (name: string): string => readFileSync(join(units, `${prefix}-${name}.env`), 'utf8');
    assert.match(unit('sh'), /^ExecStart=\/bin\/sh -c "echo \$\{API_TOKEN\} \$\{CI_SECRET\} plain \$\$\$\$"$/m);
    assert.match(unit('argv'), /^ExecStart=\/bin\/echo "token=\$\{API_TOKEN\}" "\$\{CI_SECRET\}"$/m);
    for (const name of ['sh', 'argv']) {
      assert.doesNotMatch(unit(name), /s3cr3t|p4ss/, unit(name));
      assert.match(env(name), /^API_TOKEN='s3cr3t-from-dotenv'$/m);
      assert.match(env(name), /^CI_SECRET='p4ss-from-environment'$/m);
    }
    // Its env gives API_TOKEN another value in the unit's environment: ${API_TOKEN} would read that
    // one, so the value the command reads is in the env file under a name of its own (before, it
    // was written into ExecStart= as it is, for every user to read).
    assert.match(unit('own'), /^ExecStart=\/bin\/echo "\$\{SUBVISOR_INTERPOLATED_API_TOKEN\}"$/m);
    assert.match(unit('own'), /^ExecStartPost=.* probe --exec "\/bin\/test \\"\$\$SUBVISOR_INTERPOLATED_API_TOKEN\\" = x" /m);
    assert.doesNotMatch(unit('own'), /s3cr3t/, unit('own'));
    assert.match(env('own'), /^API_TOKEN='other'$/m);
    assert.match(env('own'), /^SUBVISOR_INTERPOLATED_API_TOKEN='s3cr3t-from-dotenv'$/m);
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
  });

  test("a variable the shell sets itself (PWD) is not left to the shell of an argv exec probe: it keeps the value subvisor read, as up runs it", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    mkdirSync(join(project, 'work'));
    // sh sets PWD to its own cwd (WorkingDirectory=) whatever the environment says, so "$PWD" would read work/, not the value.
    writeFileSync(join(project, 'subvisor.yaml'), 'envFile: false\nprocesses:\n  a: { cmd: [/bin/sleep, "30"], cwd: work, ready: { exec: [/bin/test, "${PWD}", "=", /x] } }\n');
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units, '--prefix', 't'], { env: { PWD: '/exported/from' } });
    assert.equal(run.code, 0, run.stderr);
    const unit = readFileSync(join(units, 't-a.service'), 'utf8');
    assert.match(unit, /^ExecStartPost=.* probe --exec "\/bin\/test \/exported\/from = \/x" /m, unit);
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
  });

  test('a config variable named SHLVL, which bash as sh counts up itself, is not left to the shell of an argv exec probe: the probe passes under bash as under up', BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    writeFileSync(join(project, 'subvisor.yaml'), 'envFile: false\nprocesses:\n  a: { cmd: [/bin/sleep, "30"], ready: { exec: [/bin/test, "${SHLVL}", "=", "5"] } }\n');
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units, '--prefix', 't'], { env: { SHLVL: '5' } });
    assert.equal(run.code, 0, run.stderr);
    const unit = readFileSync(join(units, 't-a.service'), 'utf8');
    const argv = asSystemdRuns(unit.split('\n').find((line) => line.startsWith('ExecStartPost=')) ?? '', {});
    const command = argv[argv.indexOf('--exec') + 1] ?? '';
    assert.equal(command, '/bin/test 5 = 5', unit);
    // Where /bin/sh is bash (Fedora, Arch), "$SHLVL" would read 6 from the unit's SHLVL=5: the probe would never pass.
    const bash = spawnSync('bash', ['-c', command], { env: { SHLVL: '5', PATH: '/usr/bin:/bin' }, timeout: 30_000 });
    assert.equal(bash.status, 0, `${command} under bash`);
  });

  test('a variable\'s value in a ready probe is left to where it runs: ${NAME} in an http URL, a tcp address or a string exec, "$NAME" for the shell of an argv exec; its comment names it', BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    writeFileSync(join(project, '.env'), 'API_TOKEN=s3cr3t-from-dotenv\n');
    const yaml = `processes:
  http: { cmd: [/bin/sleep, "30"], ready: { http: "http://127.0.0.1:8080/health?token=\${API_TOKEN}" } }
  shell: { cmd: [/bin/sleep, "30"], ready: { exec: "test \${API_TOKEN} = x" } }
  argv: { cmd: [/bin/sleep, "30"], ready: { exec: [/bin/test, "token \${API_TOKEN}", "=", x] } }
  tcp: { cmd: [/bin/sleep, "30"], ready: { tcp: "\${API_TOKEN}.internal:5432" } }
`;
    writeFileSync(join(project, 'subvisor.yaml'), yaml);
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units]);
    assert.equal(run.code, 0, run.stderr);
    const prefix = readdirSync(units).find((name) => name.endsWith('-http.service'))?.slice(0, -'-http.service'.length) ?? '';
    const unit = (name: string): string => readFileSync(join(units, `${prefix}-${name}.service`), 'utf8');
    assert.match(unit('http'), /^ExecStartPost=.* probe --http "http:\/\/127\.0\.0\.1:8080\/health\?token=\$\{API_TOKEN\}" /m);
    assert.match(unit('http'), /^# ready: http http:\/\/127\.0\.0\.1:8080\/health\?token=\$\{API_TOKEN\} -> /m);
    assert.match(unit('shell'), /^ExecStartPost=.* probe --exec "test \$\{API_TOKEN\} = x" /m);
    // systemd reads $$ as $: the shell of --exec gets "$API_TOKEN", one word, from the unit's environment.
    assert.match(unit('argv'), /^ExecStartPost=.* probe --exec "\/bin\/test 'token '\\"\$\$API_TOKEN\\" = x" /m);
    // Before, the tcp unit's ExecStartPost= and comment held s3cr3t-from-dotenv.internal:5432.
    assert.match(unit('tcp'), /^ExecStartPost=.* probe --tcp "\$\{API_TOKEN\}\.internal:5432" /m);
    assert.match(unit('tcp'), /^# ready: tcp \$\{API_TOKEN\}\.internal:5432 -> /m);
    for (const name of ['http', 'shell', 'argv', 'tcp']) {
      assert.doesNotMatch(unit(name), /s3cr3t/, unit(name));
      assert.match(readFileSync(join(units, `${prefix}-${name}.env`), 'utf8'), /^API_TOKEN='s3cr3t-from-dotenv'$/m);
    }
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
  });

  test('started on a task or on a probed service: the unit says that After= waits for more than the start; on a plain service, nothing to say', BOUNDED, async () => {
    const run = await exportOf(`processes:
  init: { cmd: [/bin/true], task: true }
  db: { cmd: [/bin/sleep, "30"], ready: { tcp: "127.0.0.1:5432" } }
  cache: { cmd: [/bin/sleep, "30"] }
  web: { cmd: [/bin/sleep, "30"], dependsOn: { init: started, db: started, cache: started } }
`);
    assert.equal(run.code, 0, run.stderr);
    const web = readFileSync(join(run.units, readdirSync(run.units).find((name) => name.endsWith('-web.service')) ?? ''), 'utf8');
    const notes = web.split('\n').filter((line) => line.startsWith('# dependsOn:'));
    assert.deepEqual(notes, [
      '# dependsOn: init started -> After= waits for init to exit, and Requires= for it to succeed: systemd starts nothing after a oneshot before it has run.',
      "# dependsOn: db started -> After= waits for db's ExecStartPost= probe to pass: systemd orders units after the whole start-up.",
    ]);
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test('ready on a task (a dependsOn list) is met when it starts under up; the unit says that After= waits for its exit', BOUNDED, async () => {
    const run = await exportOf(`processes:
  build: { cmd: [/bin/true], task: true }
  check: { cmd: [/bin/true], task: true, ready: { exec: [/bin/true] } }
  web: { cmd: [/bin/sleep, "30"], dependsOn: [build, check] }
`);
    assert.equal(run.code, 0, run.stderr);
    const web = readFileSync(join(run.units, readdirSync(run.units).find((name) => name.endsWith('-web.service')) ?? ''), 'utf8');
    assert.deepEqual(
      web.split('\n').filter((line) => line.startsWith('# dependsOn:')),
      ['build', 'check'].map((name) => `# dependsOn: ${name} ready -> After= waits for ${name} to exit, and Requires= for it to succeed: systemd starts nothing after a oneshot before it has run.`),
    );
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test("a process without task: true that a dependent waits on to succeed or complete is a oneshot, so After= waits for its exit as up does; a Type=exec's dependents would start beside it", BOUNDED, async () => {
    const run = await exportOf(`processes:
  build: { cmd: [/bin/true] }
  cache: { cmd: [/bin/true], restart: always }
  plain: { cmd: [/bin/sleep, "30"] }
  web: { cmd: [/bin/sleep, "30"], dependsOn: { build: succeeded, cache: completed, plain: started } }
`);
    assert.equal(run.code, 0, run.stderr);
    const unit = (name: string): string => readFileSync(join(run.units, readdirSync(run.units).find((file) => file.endsWith(`-${name}.service`)) ?? ''), 'utf8');
    assert.deepEqual(section(unit('build'), 'Service').slice(0, 2), ['Type=oneshot', 'RemainAfterExit=yes']);
    assert.match(unit('build'), /^# Type=oneshot, as for a task: web \(succeeded\) waits for build's exit, and systemd orders a unit after a oneshot's whole run but after a service's start only\.$/m);
    // systemd refuses Restart=always on a oneshot.
    const cache = section(unit('cache'), 'Service');
    assert.deepEqual([cache[0], cache.find((line) => line.startsWith('Restart='))], ['Type=oneshot', 'Restart=on-failure']);
    assert.match(unit('cache'), /^# restart: always is on-failure for a oneshot \(systemd refuses always there\): after an exit 0, which subvisor restarts, it stays exited\.$/m);
    assert.equal(section(unit('plain'), 'Service')[0], 'Type=exec', 'started waits for the start alone');
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  for (const [cwd, why] of [
    ['trail ', 'starts or ends with a blank'],
    ['a\nb', 'holds a control character'],
    // systemd joins the next line to one that ends with a backslash: the next key would be lost.
    ['back\\', 'ends with a backslash'],
  ] as const) {
    test(`a cwd that ${why} is refused, naming the process: systemd would read another directory`, BOUNDED, async () => {
      const run = await exportOf(`processes:\n  a:\n    cmd: [/bin/true]\n    cwd: ${JSON.stringify(cwd)}\n`, [cwd]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^subvisor: cannot export: process a: its cwd ".*" ${why}, which a systemd unit cannot carry; rename the directory or file$`, 'm'));
      assert.equal(existsSync(run.units), false, 'nothing is written');
    });
  }

  for (const program of ['+mytool', '-mytool', '@mytool', ':mytool', '!mytool', '|mytool']) {
    test(`a program named ${program} is refused: systemd reads its first character as a prefix of ExecStart=, even quoted`, BOUNDED, async () => {
      const run = await exportOf(`processes:\n  a:\n    cmd: ["${program}", "--flag"]\n`);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^subvisor: cannot export: process a: its program "\\${program}" starts with "\\${program[0]}", which systemd reads as a prefix of ExecStart= even in quotes; give the program's absolute path$`, 'm'));
      assert.equal(existsSync(run.units), false, 'nothing is written');
    });
  }

  test('a program by path may start with a prefix character: made absolute, it starts with /', BOUNDED, async () => {
    const run = await exportOf('processes:\n  a:\n    cmd: ["./+mytool", "--flag"]\n');
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(join(run.units, readdirSync(run.units).find((name) => name.endsWith('-a.service')) ?? ''), 'utf8'), /^ExecStart=\/\S*\/\+mytool --flag$/m);
  });

  test('a program whose path holds a $ is run from that path: systemd substitutes variables in the arguments, never in the program', BOUNDED, async () => {
    const run = await exportOf('processes:\n  a:\n    cmd: ["./pay$day/run.sh", "$HOME"]\n', ['pay$day']);
    writeFileSync(join(run.units, '..', 'pay$day', 'run.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    assert.equal(run.code, 0, run.stderr);
    const unit = readFileSync(join(run.units, readdirSync(run.units).find((name) => name.endsWith('-a.service')) ?? ''), 'utf8');
    // The program as written, then argv[0] with its $ doubled (as every argument's), so it too reads pay$day.
    assert.match(unit, /^ExecStart=@"\/\S*\/pay\$day\/run\.sh" "\/\S*\/pay\$\$day\/run\.sh" "\$\$HOME"$/m);
    assert.deepEqual(verifyUnits(run.units), { status: 0, output: '' });
  });

  test("a program whose path holds a variable's value is run by a shell, given ${NAME} as an argument: the value (a .env secret) is only in the env file (0600), not in the unit (0644), where systemd would run the path as written", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    mkdirSync(join(project, 's3cr3t-dir'));
    writeFileSync(join(project, 's3cr3t-dir', 'run.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(project, '.env'), `TOOL_DIR=${project}/s3cr3t-dir\nSUB=s3cr3t-dir\n`);
    writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: ["${TOOL_DIR}/run.sh", --flag]\n  b:\n    cmd: ["./${SUB}/run.sh"]\n');
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units, '--prefix', 't']);
    assert.equal(run.code, 0, run.stderr);
    const unit = (name: string): string => readFileSync(join(units, `t-${name}.service`), 'utf8');
    const env = (name: string): string => readFileSync(join(units, `t-${name}.env`), 'utf8');
    // Before, ExecStart= held the path with its value: /.../s3cr3t-dir/run.sh.
    assert.match(unit('a'), /^ExecStart=\/bin\/sh -c "exec \\"\$\$0\\" \\"\$\$@\\"" "\$\{TOOL_DIR\}\/run\.sh" --flag$/m);
    // A relative one is made absolute against its cwd, as one written directly is.
    assert.match(unit('b'), /^ExecStart=\/bin\/sh -c "exec \\"\$\$0\\" \\"\$\$@\\"" "\/\S*\/\.\/\$\{SUB\}\/run\.sh"$/m);
    for (const name of ['a', 'b']) assert.doesNotMatch(unit(name), /s3cr3t/, unit(name));
    assert.match(env('a'), new RegExp(`^TOOL_DIR='${project}/s3cr3t-dir'$`, 'm'));
    assert.match(env('b'), /^SUB='s3cr3t-dir'$/m);
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
  });

  test("a cwd that holds a variable's value is entered by a shell, given ${NAME} as an argument, in ExecStart= and the ExecStartPost= probe: the value (a .env secret) is only in the env file (0600), not in the unit's WorkingDirectory= (0644), which systemd takes as written", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    mkdirSync(join(project, 's3cr3t-dir'));
    writeFileSync(join(project, 's3cr3t-dir', 'run.sh'), '#!/bin/sh\npwd -P > "$1"\n', { mode: 0o755 });
    writeFileSync(join(project, '.env'), 'SUB=s3cr3t-dir\n');
    writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: [./run.sh, out.txt]\n    cwd: "./${SUB}"\n    ready: { exec: [./run.sh, probed.txt] }\n');
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units, '--prefix', 't']);
    assert.equal(run.code, 0, run.stderr);
    const unit = readFileSync(join(units, 't-a.service'), 'utf8');
    // Before, the unit read WorkingDirectory=/.../s3cr3t-dir and ExecStart=/.../s3cr3t-dir/run.sh.
    assert.doesNotMatch(unit, /s3cr3t/, unit);
    assert.doesNotMatch(unit, /^WorkingDirectory=/m, unit);
    const lines = unit.split('\n').filter((line) => /^ExecStart(Post)?=/.test(line));
    assert.equal(lines.length, 2, unit);
    assert.match(readFileSync(join(units, 't-a.env'), 'utf8'), /^SUB='s3cr3t-dir'$/m);
    assert.deepEqual(verifyUnits(units), { status: 0, output: '' });
    const [program = '', ...args] = asSystemdRuns(lines[0] ?? '', { SUB: 's3cr3t-dir' });
    const ran = spawnSync(program, args, { cwd: '/', encoding: 'utf8', timeout: 10_000 });
    assert.equal(ran.status, 0, ran.stderr);
    assert.equal(readFileSync(join(project, 's3cr3t-dir', 'out.txt'), 'utf8').trim(), realpathSync(join(project, 's3cr3t-dir')));
    assert.match(lines[1] ?? '', /^ExecStartPost=\/bin\/sh -c "cd -L -- \\"\$\$0\\" && exec \\"\$\$@\\"" "\/\S*\/\$\{SUB\}" \S*node \S+ probe --exec /);
  });

  test("a cwd a variable makes, written with .. past a linked config directory, is entered where up enters it: .. is taken from the path as written, as up resolves it, not from where the link leads", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    mkdirSync(join(project, 'elsewhere', 'config'), { recursive: true });
    mkdirSync(join(project, 'elsewhere', 'work'));
    mkdirSync(join(project, 'work'));
    symlinkSync(join(project, 'elsewhere', 'config'), join(project, 'config'));
    writeFileSync(join(project, 'config', '.env'), 'SUB=work\n');
    writeFileSync(join(project, 'config', 'subvisor.yaml'), 'processes:\n  a:\n    cmd: [/bin/pwd, -P]\n    cwd: "../${SUB}"\n');
    const config = join(project, 'config', 'subvisor.yaml');
    // The control: up runs it in PROJECT/work, the config's directory as given with ../work resolved from it.
    const upRun = await runCli(['up', '-f', config]);
    assert.equal(upRun.code, 0, upRun.stderr);
    assert.match(upRun.stdout, new RegExp(`^a +\\| ${realpathSync(join(project, 'work'))}$`, 'm'));
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', config, '-o', units, '--prefix', 't']);
    assert.equal(run.code, 0, run.stderr);
    const line = readFileSync(join(units, 't-a.service'), 'utf8').split('\n').find((text) => text.startsWith('ExecStart=')) ?? '';
    const [program = '', ...args] = asSystemdRuns(line, { SUB: 'work' });
    const ran = spawnSync(program, args, { cwd: '/', encoding: 'utf8', timeout: 10_000 });
    assert.equal(ran.status, 0, ran.stderr);
    // Before, `cd -P` took .. from where the link leads: PROJECT/elsewhere/work.
    assert.equal(ran.stdout.trim(), realpathSync(join(project, 'work')), line);
  });

  test('an -o directory with a blank end is refused, saying to pick another -o', BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    writeFileSync(join(project, 'subvisor.yaml'), 'processes:\n  a:\n    cmd: [/bin/true]\n');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', join(project, 'units ')]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^subvisor: cannot export: -o ".*\/units " starts or ends with a blank, which a systemd unit cannot carry in EnvironmentFile=; pick another -o$/m);
    assert.deepEqual(readdirSync(project), ['subvisor.yaml'], 'nothing is written');
  });
});

describe('export systemd: programs named without a path', () => {
  test("warns of a program up finds on its PATH where systemd, which looks in its own fixed path, finds none or another; says nothing of one it finds the same", BOUNDED, async () => {
    const project = mkdtempSync(join(scratch, 'own-'));
    const bin = join(project, 'bin');
    mkdirSync(bin);
    for (const program of ['subvisor-export-tool', 'true']) writeFileSync(join(bin, program), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(
      join(project, 'subvisor.yaml'),
      'processes:\n  argv: { cmd: [subvisor-export-tool, --flag] }\n  shell: { cmd: "exec subvisor-export-tool --flag" }\n  other: { cmd: [true] }\n  same: { cmd: [sh, -c, "exit 0"] }\n  builtin: { cmd: "true; echo up" }\n  assigned: { cmd: "PORT=3000 A=1 subvisor-export-tool" }\n',
    );
    const units = join(project, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(project, 'subvisor.yaml'), '-o', units], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stderr.split('\n').filter((line) => line !== ''), [
      `subvisor: warning: process argv: up runs subvisor-export-tool from ${bin}/subvisor-export-tool, found on its PATH; systemd looks for a program named without a path only in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin, and finds none there; give its full path in cmd`,
      `subvisor: warning: process shell: up runs subvisor-export-tool from ${bin}/subvisor-export-tool, found on its PATH; the unit's shell looks only in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin (the unit's PATH), and finds none there; give its full path in cmd, or set PATH in env`,
      `subvisor: warning: process other: up runs true from ${bin}/true, found on its PATH; systemd looks for a program named without a path only in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin, and finds another there (/usr/bin/true); give its full path in cmd`,
      `subvisor: warning: process assigned: up runs subvisor-export-tool from ${bin}/subvisor-export-tool, found on its PATH; the unit's shell looks only in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin (the unit's PATH), and finds none there; give its full path in cmd, or set PATH in env`,
    ]);
    // `builtin` is not said: sh runs its own `true`, whatever true the PATH holds.
    // What the warning is about: verify cannot find the program either.
    assert.match(verifyUnits(units).output, /Command subvisor-export-tool is not executable/);
  });
});

describe("export systemd: what a unit's User= cannot reach", () => {
  test('warns of a cwd, or the node and CLI of a ready probe, that the user cannot reach: systemd enters and runs them as the user, up enters the cwd first and probes itself', BOUNDED, () => {
    // Any user but the one running the tests (who owns the scratch directory, so may enter it).
    const user = process.getuid?.() === 65_534 ? 'daemon' : 'nobody';
    // The first directory on the way that the user may not enter: the scratch directory (mkdtemp's 0700), as /root.
    chmodSync(scratch, 0o700);
    const home = mkdtempSync(join(scratch, 'private-'));
    // subvisor installed in the private directory, as under /root: a copy, so the CLI's path is there.
    const installed = join(home, 'subvisor');
    mkdirSync(installed);
    cpSync(resolve('dist'), join(installed, 'dist'), { recursive: true });
    cpSync(resolve('package.json'), join(installed, 'package.json'));
    symlinkSync(resolve('node_modules'), join(installed, 'node_modules'), 'dir');
    const project = join(home, 'shop');
    mkdirSync(project);
    writeFileSync(
      join(project, 'subvisor.yaml'),
      `processes:
  db: { cmd: [/bin/sleep, "30"], user: ${user}, ready: { tcp: "127.0.0.1:5432" } }
  away: { cmd: [/bin/sleep, "30"], user: ${user}, cwd: /, ready: { tcp: "127.0.0.1:5433" } }
  reachable: { cmd: [/bin/sleep, "30"], user: ${user}, cwd: / }
  own: { cmd: [/bin/sleep, "30"], ready: { tcp: "127.0.0.1:5434" } }
`,
    );
    const cli = join(installed, 'dist', 'cli', 'main.js');
    const run = spawnSync(process.execPath, [cli, 'export', 'systemd', '-f', join(project, 'subvisor.yaml')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: SYSTEMD_PATH } });
    assert.equal(run.status, 0, run.stderr);
    const barrier = `${scratch} is drwx------, uid ${statSync(scratch).uid}'s`;
    assert.deepEqual(run.stderr.split('\n').filter((line) => line !== ''), [
      `subvisor: warning: process db: systemd enters its cwd ${project} as ${user} (User=), who may not: ${barrier}; up enters it before it switches user. Move the project, or give db a cwd ${user} can enter`,
      `subvisor: warning: process db: its ready probe (ExecStartPost=) runs ${realpathSync(cli)} as ${user} (User=), who may not read it: ${barrier}; install node and subvisor where ${user} can reach them (npm install -g subvisor) and export from there`,
      `subvisor: warning: process away: its ready probe (ExecStartPost=) runs ${realpathSync(cli)} as ${user} (User=), who may not read it: ${barrier}; install node and subvisor where ${user} can reach them (npm install -g subvisor) and export from there`,
    ]);
  });
});

describe("export systemd: a cwd a variable makes, closed to the unit's User=", () => {
  test("names the cwd as written and hides a barrier that would show the variable's value", BOUNDED, () => {
    const user = process.getuid?.() === 65_534 ? 'daemon' : 'nobody';
    const project = mkdtempSync(join(tmpdir(), 'subvisor-export-cwd-secret-'));
    try {
      chmodSync(project, 0o755);
      // The directory the value names is the one closed to the user, so the barrier would name it.
      mkdirSync(join(project, 's3cr3tdir', 'sub'), { recursive: true });
      chmodSync(join(project, 's3cr3tdir'), 0o700);
      writeFileSync(join(project, '.env'), 'TOKEN=s3cr3tdir\n');
      writeFileSync(join(project, 'subvisor.yaml'), `processes:\n  db: { cmd: [/bin/sleep, "30"], user: ${user}, cwd: "\${TOKEN}/sub" }\n`);
      const run = spawnSync(process.execPath, [resolve('dist', 'cli', 'main.js'), 'export', 'systemd', '-f', join(project, 'subvisor.yaml')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: SYSTEMD_PATH } });
      assert.equal(run.status, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /s3cr3t/, 'the value stays out of the warning');
      assert.match(run.stderr, new RegExp(`process db: systemd enters its cwd ${project}/\\$\\{TOKEN\\}/sub as ${user} \\(User=\\), who may not: a directory on the way is closed to it; the details would show`));
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("export systemd: a cwd a variable makes, through a link to a directory closed to the unit's User=", () => {
  test("names no piece of the value, not even the link target's (V=ab/s3cr3t, ab/s3cr3t -> data/s3cr3t/app)", BOUNDED, () => {
    const user = process.getuid?.() === 65_534 ? 'daemon' : 'nobody';
    const project = mkdtempSync(join(tmpdir(), 'subvisor-export-cwd-linked-'));
    try {
      chmodSync(project, 0o755);
      mkdirSync(join(project, 'srv', 'ab'), { recursive: true });
      // The closed directory is on the link's target's way only, and is named as the value's last piece.
      const target = join(project, 'data', 's3cr3t');
      mkdirSync(join(target, 'app'), { recursive: true });
      chmodSync(target, 0o700);
      symlinkSync(join(target, 'app'), join(project, 'srv', 'ab', 's3cr3t'));
      writeFileSync(join(project, '.env'), 'V=ab/s3cr3t\n');
      writeFileSync(join(project, 'subvisor.yaml'), `processes:\n  db: { cmd: [/bin/sleep, "30"], user: ${user}, cwd: "srv/\${V}" }\n`);
      const run = spawnSync(process.execPath, [resolve('dist', 'cli', 'main.js'), 'export', 'systemd', '-f', join(project, 'subvisor.yaml')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: SYSTEMD_PATH } });
      assert.equal(run.status, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /s3cr3t/, 'a piece of the value is shown');
      assert.match(run.stderr, new RegExp(`process db: systemd enters its cwd ${project}/srv/\\$\\{V\\} as ${user} \\(User=\\), who may not: a directory on the way is closed to it; the details would show`));
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("export systemd: a cwd a variable makes, behind a directory closed to the unit's User=", () => {
  test("says the closed directory when the value is not in its path, though it is in the words of its mode (TOKEN=',')", BOUNDED, () => {
    const user = process.getuid?.() === 65_534 ? 'daemon' : 'nobody';
    const project = mkdtempSync(join(tmpdir(), 'subvisor-export-cwd-closed-'));
    try {
      chmodSync(project, 0o700);
      mkdirSync(join(project, ','));
      writeFileSync(join(project, '.env'), 'TOKEN=,\n');
      writeFileSync(join(project, 'subvisor.yaml'), `processes:\n  db: { cmd: [/bin/sleep, "30"], user: ${user}, cwd: "\${TOKEN}" }\n`);
      const run = spawnSync(process.execPath, [resolve('dist', 'cli', 'main.js'), 'export', 'systemd', '-f', join(project, 'subvisor.yaml')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: SYSTEMD_PATH } });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(run.stderr.includes(`who may not: ${project} is drwx------, uid ${statSync(project).uid}'s;`), run.stderr);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe('export systemd run through npx', () => {
  test('warns that the units\' probes would run subvisor from npm\'s npx cache; without a probe, says nothing', BOUNDED, () => {
    // A copy, not a symlink: the CLI names the file that runs, which a symlink would lead back here.
    const installed = join(scratch, 'npm-cache', '_npx', '0123abcd', 'node_modules', 'subvisor');
    mkdirSync(installed, { recursive: true });
    cpSync(resolve('dist'), join(installed, 'dist'), { recursive: true });
    cpSync(resolve('package.json'), join(installed, 'package.json'));
    symlinkSync(resolve('node_modules'), join(installed, 'node_modules'), 'dir');
    const dir = join(scratch, 'npx-project');
    mkdirSync(dir, { recursive: true });
    const exportOf = (ready: string): { status: number | null; stderr: string } => {
      writeFileSync(join(dir, 'subvisor.yaml'), `processes:\n  web:\n    cmd: [node, server.js]\n${ready}`);
      const env = { ...process.env, PATH: SYSTEMD_PATH };
      return spawnSync(process.execPath, [join(installed, 'dist/cli/main.js'), 'export', 'systemd', '-f', join(dir, 'subvisor.yaml')], { encoding: 'utf8', timeout: 30_000, env });
    };
    const probed = exportOf('    ready: { http: "http://127.0.0.1:8080/health" }\n');
    assert.equal(probed.status, 0, probed.stderr);
    assert.match(probed.stderr, /^subvisor: warning: the units' ready probes run subvisor from npm's npx cache \(.*\/_npx\/0123abcd\/node_modules\/subvisor\/dist\/cli\/main\.js\).*install subvisor/m);
    const unprobed = exportOf('');
    assert.equal(unprobed.status, 0, unprobed.stderr);
    assert.equal(unprobed.stderr, '');
  });
});

/** systemd's own reader of env files (EnvironmentFile= parses them the same way), run on its own: it prints what it read. */
const ENVIRONMENT_D_GENERATOR = '/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator';

describe("export systemd: the env file, read by systemd's own parser", () => {
  test('values holding quotes, backslashes, backquotes and % are read back as up has them', BOUNDED, async (t) => {
    if (!existsSync(ENVIRONMENT_D_GENERATOR)) {
      assert.notEqual(process.env.CI, 'true', `CI must have ${ENVIRONMENT_D_GENERATOR} (the systemd package)`);
      t.skip('no systemd environment.d generator here');
      return;
    }
    // No `$`: the generator, unlike EnvironmentFile=, substitutes variables after parsing.
    const values: Record<string, string> = {
      SINGLE: `it's "quoted"`,
      BACKSLASH: "a'b\\c",
      ESCAPED_QUOTE: `x'\\"y`,
      TRAILING_BACKSLASH: "ends' with \\",
      BACKQUOTES: "tick's `cmd`",
      PLAIN: 'no quote \\ "here" at 100%',
    };
    const dir = join(scratch, 'env-reader');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'subvisor.yaml'), `envFile: false\nprocesses:\n  web:\n    cmd: [/bin/sleep, "30"]\n    env: ${JSON.stringify(values)}\n`);
    const units = join(dir, 'units');
    const run = await runCli(['export', 'systemd', '-f', join(dir, 'subvisor.yaml'), '-o', units]);
    assert.equal(run.code, 0, run.stderr);
    const envFile = readdirSync(units).find((name) => name.endsWith('-web.env')) ?? '';
    const config = join(dir, 'xdg', 'environment.d');
    mkdirSync(config, { recursive: true });
    cpSync(join(units, envFile), join(config, '50-web.conf'));
    const generated = spawnSync(ENVIRONMENT_D_GENERATOR, { encoding: 'utf8', timeout: 30_000, env: { XDG_CONFIG_HOME: join(dir, 'xdg'), PATH: '/usr/bin:/bin' } });
    assert.equal(generated.status, 0, generated.stderr);
    // It prints NAME="value" lines a shell reads (the values hold no line breaks, which it would print as \n).
    writeFileSync(join(dir, 'read.sh'), generated.stdout);
    const script = `. ./read.sh; for name in ${Object.keys(values).join(' ')}; do eval "printf '%s\\\\0' \\"\\$$name\\""; done`;
    const read = spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(read.status, 0, read.stderr);
    assert.deepEqual(read.stdout.split('\0').slice(0, -1), Object.values(values), `${readFileSync(join(units, envFile), 'utf8')}\n${generated.stdout}`);
  });
});
