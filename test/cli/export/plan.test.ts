// Both exports write what `subvisor up` would run (SPEC §10, §11): `replicas: N` as N units or
// services each with its SUBVISOR_REPLICA, dependencies on every copy, a Procfile's processes with
// foreman's PS and PORT (unless --no-port), and `watch`/`logs`, which neither target carries, named in a
// comment. A re-export leaves every file with the export's mode, whatever mode it had.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../cli.js';
import { assertGolden, composeSchemaErrors, normalise, verifyUnits } from './support.js';

const BOUNDED = { timeout: 60_000 };
const scratch = mkdtempSync(join(tmpdir(), 'subvisor-export-plan-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A stack with two copies of web, a task that waits for web, a watched process and log files. */
function replicasProject(): string {
  const dir = join(scratch, 'shop');
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'subvisor.yaml'),
    `logs: { dir: .subvisor/logs }
processes:
  db:
    cmd: [sleep, infinity]
    ready: { tcp: "127.0.0.1:5432" }
  web:
    cmd: [node, web.js]
    replicas: 2
    dependsOn: { db: ready }
    env: { GREETING: hi }
    watch: [src]
  smoke:
    cmd: [sh, -c, "exit 0"]
    task: true
    dependsOn: [web]
`,
  );
  return join(dir, 'subvisor.yaml');
}

/** What is left of an env file's text once its comments are gone: its assignments. */
function assignments(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** A Procfile of two entries, in a directory named procfile. */
function procfileProject(): string {
  const dir = join(scratch, 'procfile');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Procfile'), 'web: node web.js\nworker: node worker.js\n');
  return join(dir, 'Procfile');
}

const file = replicasProject();
const procfile = procfileProject();

describe('export: replicas, watch and logs as `up` runs them', () => {

  test('systemd: a unit per copy (PREFIX-web.1.service), each with its SUBVISOR_REPLICA; what waits for web waits for every copy; verified silently', BOUNDED, async () => {
    const printed = await runCli(['export', 'systemd', '-f', file], { env: { PORT: undefined } });
    assert.equal(printed.code, 0, printed.stderr);
    assertGolden('replicas.systemd.txt', normalise(printed.stdout, file));
    const dir = join(scratch, 'replica-units');
    const run = await runCli(['export', 'systemd', '-f', file, '-o', dir]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(verifyUnits(dir), { status: 0, output: '' });
    assert.deepEqual(assignments(readFileSync(join(dir, 'shop-web.2.env'), 'utf8')), ["GREETING='hi'", "SUBVISOR_REPLICA='2'"]);
    assert.deepEqual(assignments(readFileSync(join(dir, 'shop-db.env'), 'utf8')), [], 'a process of one copy has no SUBVISOR_REPLICA');
    const smoke = readFileSync(join(dir, 'shop-smoke.service'), 'utf8');
    assert.deepEqual(
      smoke.split('\n').filter((line) => /^(Requires|After)=/.test(line)),
      ['Requires=shop-web.1.service', 'After=shop-web.1.service', 'Requires=shop-web.2.service', 'After=shop-web.2.service'],
    );
    const target = readFileSync(join(dir, 'shop.target'), 'utf8');
    assert.match(target, /^Wants=shop-db\.service shop-web\.1\.service shop-web\.2\.service shop-smoke\.service$/m);
    assert.match(target, /^# logs: not carried: journald keeps each unit's output/m);
    assert.match(readFileSync(join(dir, 'shop-web.1.service'), 'utf8'), /^# watch: not carried: /m);
  });

  test('compose: a service per copy (web-1, web-2), each with its SUBVISOR_REPLICA; depends_on every copy; valid against the schema', BOUNDED, async () => {
    const run = await runCli(['export', 'compose', '-f', file], { env: { PORT: undefined } });
    assert.equal(run.code, 0, run.stderr);
    assertGolden('replicas.compose.yaml', run.stdout);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    const services = (parse(run.stdout) as { services: Record<string, Record<string, unknown>> }).services;
    assert.deepEqual(Object.keys(services), ['db', 'web-1', 'web-2', 'smoke']);
    assert.deepEqual(services['web-2']?.environment, { GREETING: 'hi', SUBVISOR_REPLICA: '2', TINI_KILL_PROCESS_GROUP: '1' });
    assert.deepEqual(Object.keys(services.smoke?.depends_on as object), ['web-1', 'web-2']);
    assert.match(run.stdout, /^# logs: not carried: Docker keeps each container's output/m);
    assert.match(run.stdout, /^ {4}# watch: not carried: .*`docker compose watch`/m);
  });

  test("compose: a copy's service name taken by another process is refused, naming both", BOUNDED, async () => {
    const dir = join(scratch, 'clash');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'subvisor.yaml'), 'processes:\n  web:\n    cmd: [node, web.js]\n    replicas: 2\n  web-1:\n    cmd: [sleep, infinity]\n');
    const run = await runCli(['export', 'compose', '-f', join(dir, 'subvisor.yaml')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /process web\.1: its Compose service would be web-1, which is already the name of a process; rename that process/);
    assert.equal(run.stdout, '');
  });
});

describe("export: a Procfile's PS and PORT as `up` gives them", () => {

  test("systemd: foreman's PS (NAME.1) and ports, 5000 then +100 per entry, from $PORT when set; no port with --no-port", BOUNDED, async () => {
    const out = join(scratch, 'procfile-units');
    const run = await runCli(['export', 'systemd', '-f', procfile, '-o', out], { env: { PORT: undefined } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(assignments(readFileSync(join(out, 'procfile-web.env'), 'utf8')), ["PORT='5000'", "PS='web.1'"]);
    assert.deepEqual(assignments(readFileSync(join(out, 'procfile-worker.env'), 'utf8')), ["PORT='5100'", "PS='worker.1'"]);
    const based = await runCli(['export', 'systemd', '-f', procfile], { env: { PORT: '7000' } });
    assert.match(based.stdout, /^PORT='7100'$/m);
    const none = await runCli(['export', 'systemd', '-f', procfile, '--no-port'], { env: { PORT: undefined } });
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stdout, /PORT/);
    assert.match(none.stdout, /^PS='worker\.1'$/m, 'PS is no port: --no-port keeps it');
  });

  test('compose: the same PS and ports in each service environment; none with --no-port', BOUNDED, async () => {
    const run = await runCli(['export', 'compose', '-f', procfile], { env: { PORT: undefined } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(composeSchemaErrors(run.stdout), []);
    const services = (parse(run.stdout) as { services: Record<string, Record<string, unknown>> }).services;
    assert.deepEqual(services.web?.environment, { PORT: '5000', PS: 'web.1', TINI_KILL_PROCESS_GROUP: '1' });
    assert.deepEqual(services.worker?.environment, { PORT: '5100', PS: 'worker.1', TINI_KILL_PROCESS_GROUP: '1' });
    const none = await runCli(['export', 'compose', '-f', procfile, '--no-port'], { env: { PORT: undefined } });
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stdout, /PORT/);
  });

  test("a subvisor.yaml gets no PORT or PS (it says its own env), and --no-port is accepted there too", BOUNDED, async () => {
    const run = await runCli(['export', 'compose', '-f', file, '--no-port'], { env: { PORT: undefined } });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /PORT|\bPS\b/);
  });
});

test('a re-export gives every file its mode again: an env file left 0644 is 0600, a unit left 0600 is 0644', BOUNDED, async () => {
  const dir = join(scratch, 'modes');
  mkdirSync(dir, { recursive: true });
  const env = join(dir, 'procfile-web.env');
  const unit = join(dir, 'procfile-web.service');
  writeFileSync(env, 'SECRET=old\n');
  chmodSync(env, 0o644);
  writeFileSync(unit, '');
  chmodSync(unit, 0o600);
  const run = await runCli(['export', 'systemd', '-f', procfile, '-o', dir], { env: { PORT: undefined } });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(statSync(env).mode & 0o777, 0o600);
  assert.equal(statSync(unit).mode & 0o777, 0o644);
  assert.doesNotMatch(readFileSync(env, 'utf8'), /SECRET/, 'the old text is replaced');
});
